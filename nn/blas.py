"""The thread count of numpy's BLAS (OpenBLAS), read and set at run time.

Training a small network multiplies small matrices (a mini-batch of 10 rows): a multithreaded
BLAS only adds synchronisation there, and on a busy machine its spin-waiting threads slow
training down by a factor of 10 to 100. ``OPENBLAS_NUM_THREADS=1`` fixes that, but only if it
is set before numpy is imported; :func:`limit_blas_threads` does the same afterwards, through
OpenBLAS's own ``openblas_set_num_threads``, unless the environment chose a thread count.

Only OpenBLAS (the BLAS of numpy's wheels) is handled; with another BLAS these functions do
nothing and say so (``None`` / ``False``).
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["THREAD_ENV_VARS", "OpenBLAS", "limit_blas_threads"]

#: Environment variables that set the BLAS thread count; if one is set, it is respected.
THREAD_ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


class OpenBLAS:
    """numpy's OpenBLAS, reached with ctypes to read (and set) its thread count.

    Found through the shared libraries mapped into this process (``/proc/self/maps``), so
    numpy must have been imported first. ``path`` and ``config`` (OpenBLAS's build string) are
    None when no OpenBLAS is loaded.
    """

    def __init__(self) -> None:
        self.path: str | None = None
        self.config: str | None = None
        self._get = self._set = None
        try:
            with open("/proc/self/maps") as f:
                paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower()
                                and line.split()[-1].startswith("/")})
        except OSError:
            paths = []
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix in ("scipy_openblas_", "openblas_"):
                for suffix in ("64_", ""):
                    get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                    if get is None:
                        continue
                    self.path, self._get = path, get
                    self._set = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
                    config = getattr(lib, f"{prefix}get_config{suffix}", None)
                    if config is not None:
                        config.restype = ctypes.c_char_p
                        self.config = config().decode(errors="replace")
                    return

    def threads(self) -> int | None:
        """The current thread count, or None without OpenBLAS."""
        return None if self._get is None else int(self._get())

    def set_threads(self, n: int) -> bool:
        """Use ``n`` threads from now on; False if that is not possible."""
        if self._set is None:
            return False
        self._set(int(n))
        return True


def limit_blas_threads(n: int = 1) -> int | None:
    """Set numpy's OpenBLAS to ``n`` threads unless ``OPENBLAS_NUM_THREADS`` or
    ``OMP_NUM_THREADS`` is set; returns the thread count in effect (None: no OpenBLAS)."""
    import numpy  # noqa: F401  (OpenBLAS is found among the libraries numpy loaded)

    blas = OpenBLAS()
    if not any(os.environ.get(var) for var in THREAD_ENV_VARS):
        blas.set_threads(n)
    return blas.threads()
