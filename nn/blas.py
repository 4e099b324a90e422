"""BLAS at run time: the thread count of the OpenBLAS libraries in the process, and ``axpy``,
the one BLAS routine the optimizer calls directly.

Thread count. Training a small network multiplies small matrices (a mini-batch of 10 rows): a
multithreaded BLAS only adds synchronisation there, and on a busy machine its spin-waiting
threads slow training down by a factor of 10 to 100. ``OPENBLAS_NUM_THREADS=1`` fixes that, but
only if it is set before numpy is imported; :func:`limit_blas_threads` does the same afterwards,
through OpenBLAS's own ``openblas_set_num_threads``, unless the environment chose a thread count.
numpy's wheels and scipy's each bring their own OpenBLAS: both are set.

Only OpenBLAS (the BLAS of numpy's and scipy's wheels) is handled; with another BLAS these
functions do nothing and say so (``None`` / ``False``).

``axpy``. An SGD step is ``w ← w − η·g``; numpy computes it in two passes over memory with a
temporary (``η·g``, then the subtraction), BLAS's axpy in one pass with none. For a 784×100
weight matrix the arrays do not fit in a core's cache together, so the extra traffic is most of
the step: a third of a whole training step at batch 10 in float64 (``examples/benchmark.py``).
numpy does not expose axpy; scipy's BLAS wrappers do, at 0.2 µs a call (imported at the first
call).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["THREAD_ENV_VARS", "OpenBLAS", "axpy", "limit_blas_threads"]

#: Environment variables that set the BLAS thread count; if one is set, it is respected.
THREAD_ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")

_AXPY: dict[np.dtype, Callable[..., Any]] = {}  # by dtype, filled at the first call
_threads: int | None = None  # the count last set by OpenBLAS.set_threads (or the limit)


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> bool:
    """``y ← y + alpha·x`` in place, in one BLAS pass, where BLAS can write into ``y`` itself:
    ``x`` and ``y`` of the same shape and dtype, float32 or float64, ``y`` C-contiguous and
    writeable. Returns False, changing nothing, otherwise (the caller then uses numpy)."""
    f = (_AXPY or _load_axpy()).get(y.dtype)
    flags = y.flags
    if f is None or x.dtype != y.dtype or x.shape != y.shape or not flags.c_contiguous \
            or not flags.writeable:
        return False
    f(x.ravel(), y.ravel(), y.size, alpha)  # (the flat view of y is written in place)
    return True


def _load_axpy() -> dict[np.dtype, Callable[..., Any]]:
    """scipy's axpy routines, imported at the first optimizer step rather than with ``nn``
    (80 ms and 10,000 objects a program that never trains need not carry). scipy's OpenBLAS
    comes with them: it gets the thread count already set for numpy's."""
    from scipy.linalg import blas

    _AXPY.update({np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy})
    if _threads is not None:
        OpenBLAS().set_threads(_threads)
    return _AXPY


class OpenBLAS:
    """The OpenBLAS libraries of this process (numpy's first, then scipy's), reached with ctypes
    to read and set their thread counts.

    Found through the shared libraries mapped into this process (``/proc/self/maps``): numpy's
    once numpy is imported, scipy's once ``axpy`` has been called. ``path`` and ``config`` (the
    build string) describe numpy's, whose thread count ``threads()`` reads; ``set_threads``
    sets all. They are None, and ``threads()`` too, when no OpenBLAS is loaded.
    """

    def __init__(self) -> None:
        self.path: str | None = None
        self.config: str | None = None
        self._libs: list[tuple[str, Callable[[], Any], Callable[[int], Any], str | None]] = []
        try:
            with open("/proc/self/maps") as f:
                paths = {line.split()[-1] for line in f if "openblas" in line.lower()
                         and line.split()[-1].startswith("/")}
        except OSError:
            paths = set()
        numpy_dir = os.path.dirname(os.path.dirname(np.__file__))
        # numpy's own library first: the one the thread count reported is read from
        for path in sorted(paths, key=lambda p: (not p.startswith(numpy_dir + "/numpy"), p)):
            found = _thread_functions(path)
            if found is not None:
                self._libs.append((path, *found))
        if self._libs:
            self.path, self.config = self._libs[0][0], self._libs[0][3]

    def threads(self) -> int | None:
        """numpy's OpenBLAS thread count, or None without OpenBLAS."""
        return int(self._libs[0][1]()) if self._libs else None

    def set_threads(self, n: int) -> bool:
        """Use ``n`` threads from now on, in every OpenBLAS loaded (and in scipy's when it is
        loaded later, for ``axpy``); False if there is none."""
        global _threads
        _threads = int(n) if self._libs else None
        for _, _, set_, _ in self._libs:
            set_(int(n))
        return bool(self._libs)


def _thread_functions(
    path: str,
) -> tuple[Callable[[], Any], Callable[[int], Any], str | None] | None:
    """``(get_num_threads, set_num_threads, config)`` of the OpenBLAS at ``path`` (its symbols
    carry a prefix and a suffix that depend on the build), or None."""
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", ""):
            get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            set_ = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
            if get is None or set_ is None:
                continue
            config = getattr(lib, f"{prefix}get_config{suffix}", None)
            text = None
            if config is not None:
                config.restype = ctypes.c_char_p
                text = config().decode(errors="replace")
            return get, set_, text
    return None


def limit_blas_threads(n: int = 1) -> int | None:
    """Set the OpenBLAS libraries (numpy's and scipy's) to ``n`` threads unless
    ``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` is set; returns the thread count in effect
    (None: no OpenBLAS)."""
    blas = OpenBLAS()
    if not any(os.environ.get(var) for var in THREAD_ENV_VARS):
        blas.set_threads(n)
    return blas.threads()
