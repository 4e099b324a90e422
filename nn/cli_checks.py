"""Checks the training command line (:mod:`nn.cli`) makes before it trains, and its advice when
the data cannot be had.

Everything that would otherwise fail after minutes of training — an output file that cannot be
written, a network too large for the memory, a missing plotting library — is found out here, in
a fraction of a second, and reported on one line. :func:`data_error_message` turns the facts a
:class:`~nn.datasets.DownloadError` carries into advice for someone at a shell prompt.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import numpy as np

from .datasets.download import DownloadError
from .datasets.mirrors import IDX_FILES
from .datasets.mnist import DATA_ENV_VAR, SYSTEM_PACKAGES

__all__ = [
    "available_memory", "check_module", "check_network_size", "check_writable",
    "data_error_message", "network_bytes", "parameter_count",
]

EVAL_BATCH = 1000  # examples evaluated at once (nn.train.Trainer's eval_batch_size)


def check_writable(path: str, option: str) -> str | None:
    """Why the file ``path`` (given as ``option``) could not be written, or None if it can.

    The directory must exist and take a new file: a hidden probe file is created in it and
    removed again (file permissions, a read-only file system, a full quota all show up here).
    """
    target = Path(path).expanduser()
    if target.is_dir():
        return f"{option} {path} is a directory; give a file name (e.g. {Path(path) / 'run.npz'})"
    parent = target.parent
    if not parent.exists():
        return f"{option} {path}: the directory {parent} does not exist (create it first)"
    if not parent.is_dir():
        return f"{option} {path}: {parent} is not a directory"
    probe = parent / f".{target.name}.{secrets.token_hex(4)}.probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        return f"{option} {path}: cannot write in {parent} ({exc.strerror or exc})"
    os.close(fd)
    probe.unlink(missing_ok=True)
    return None


def check_module(name: str, option: str, package: str | None = None) -> str | None:
    """Why ``option`` cannot be used (the module ``name`` is not installed), or None."""
    if importlib.util.find_spec(name) is not None:
        return None
    return (f"{option} needs {name}, which is not installed: pip install {package or name} "
            "(or leave out the option)")


def parameter_count(sizes: list[int]) -> int:
    """Weights and biases of an MLP with layer ``sizes``."""
    return sum(m * n + n for m, n in zip(sizes[:-1], sizes[1:], strict=True))


def network_bytes(sizes: list[int], dtype: str, batch_size: int) -> int:
    """Rough memory a training run of an MLP with ``sizes`` needs, in bytes.

    Parameters four times over (weights, gradients, momentum buffers, the update's
    temporaries) and the activations of the larger of a training and an evaluation batch
    (z, a and δ of every layer).
    """
    activations = max(batch_size, EVAL_BATCH) * sum(sizes[1:]) * 3
    return (4 * parameter_count(sizes) + activations) * np.dtype(dtype).itemsize


def available_memory() -> int | None:
    """The memory this machine could give a new process, in bytes (None if unknown): Linux's
    MemAvailable, else the physical memory."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


def check_network_size(
    sizes: list[int], dtype: str, batch_size: int, n_in: int, n_out: int,
    memory: int | None = None,
) -> str | None:
    """Why the network ``sizes`` (two or more positive sizes, as ``TrainConfig.validate``
    checks) cannot be trained on inputs of ``n_in`` values with ``n_out`` classes, or None.
    ``memory`` defaults to :func:`available_memory`."""
    shown = " ".join(map(str, sizes))
    if sizes[0] != n_in or sizes[-1] != n_out:
        inner = " ".join(map(str, sizes[1:-1])) or "30"
        return (f"--sizes {shown}: the data has {n_in} inputs and {n_out} classes, so the "
                f"first size must be {n_in} and the last {n_out}, e.g. --sizes {n_in} {inner} "
                f"{n_out}")
    need = network_bytes(sizes, dtype, batch_size)
    memory = available_memory() if memory is None else memory
    if memory is not None and need > memory:
        return (f"--sizes {shown}: {parameter_count(sizes):,} parameters would need about "
                f"{_gb(need)} of memory to train in {dtype}, but only {_gb(memory)} is "
                "available; use smaller hidden layers")
    return None


def data_error_message(exc: DownloadError, dataset: str, command: str) -> str:
    """Advice for a command-line user whose ``dataset`` could be neither found nor downloaded:
    where it was looked for, what each mirror said, and how to point ``command`` at files."""
    why = "no mirror could be reached: offline?" if exc.unreachable else "no mirror delivered it"
    lines = [f"no {dataset} data found, and the download failed ({why})"]
    if exc.searched:
        env = os.environ.get(DATA_ENV_VAR, "")
        env_dirs = {Path(env).expanduser(), Path(env).expanduser() / dataset} if env else set()
        lines.append("  looked for the files in:")
        for i, d in enumerate(exc.searched):
            note = ("  ($" + DATA_ENV_VAR + ")" if d in env_dirs
                    else "  (the download cache)" if i == len(exc.searched) - 1 else "")
            lines.append(f"    {d}{note}")
        if not env:
            lines.append(f"    (${DATA_ENV_VAR} is not set)")
    if exc.failures:
        lines.append(f"  tried to download {exc.file or 'the files'} from:")
        lines += [f"    {url}: {reason}" for url, reason in exc.failures]
    lines += [
        "To use files you have, put these four in one directory DIR (.gz or not):",
        "    " + " ".join(f"{stem}.gz" for stem in IDX_FILES),
        "and run",
        f"    {command} --data-dir DIR ...",
        f"or set {DATA_ENV_VAR}=DIR (the files in DIR itself or in DIR/{dataset}/).",
    ]
    if dataset in SYSTEM_PACKAGES:
        lines.append(f"On Debian and Ubuntu, sudo apt-get install {SYSTEM_PACKAGES[dataset]} "
                     f"installs {dataset} where it is found without any option.")
    if not exc.unreachable:
        lines.append("Or try again later: a mirror may be down.")
    return "\n".join(lines)
