"""The process and the machine: BLAS threads, RSS, load average, the glibc allocator setting,
and the script that child processes re-run. Imports no numpy, so that ``one_blas_thread``
can run before numpy is loaded."""

from __future__ import annotations

import os
import resource
from pathlib import Path

# The entry point, re-run for the "large" allocator's child (--worker) and the scalar graph's
# processes (--scalar-child).
SCRIPT = Path(__file__).resolve().parent.parent / "benchmark.py"

# The allocator setting of the issue: no mmap for big arrays, no trimming of the heap top.
LARGE_ENV = {"MALLOC_MMAP_THRESHOLD_": "1073741824", "MALLOC_TRIM_THRESHOLD_": "1073741824"}


def one_blas_thread() -> None:
    """One BLAS thread unless the environment says otherwise: the matrices of a mini-batch are
    small, and a second thread that spin-waits for a core another process holds makes an epoch
    10-100x slower, which would be measured as the engine's cost. OpenBLAS reads this when
    numpy is imported (so call this first); the child process of the "large" allocator
    inherits it."""
    if "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


def _proc_status(key: str) -> float | None:
    """A ``kB`` field of /proc/self/status in MB (None where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident set size now, in MB (the peak so far where /proc is missing)."""
    now = _proc_status("VmRSS")
    if now is None:
        now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return now


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float | None:
    """The peak RSS since the last ``reset_peak_rss``, in MB (None where there is no /proc)."""
    return _proc_status("VmHWM")


def load_average() -> float | None:
    """The 1-minute load average (None where the system does not report it)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def allocator_label(env: dict[str, str] | os._Environ = os.environ) -> str:
    """"default" with neither MALLOC variable set, "large" with both set as in LARGE_ENV."""
    values = {k: env.get(k) for k in LARGE_ENV}
    if all(v is None for v in values.values()):
        return "default"
    return "large" if values == LARGE_ENV else "custom"


def allocator_env(variant: str) -> dict[str, str]:
    """This process's environment with the MALLOC variables of ``variant`` ("large" or not)."""
    env = {k: v for k, v in os.environ.items() if k not in LARGE_ENV}
    if variant == "large":
        env.update(LARGE_ENV)
    return env
