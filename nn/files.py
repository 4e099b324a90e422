"""Writing files atomically: a reader sees the old file or the complete new one, never a part.

Used for everything the project writes — checkpoints, IDX files, downloads (``nn``), pictures
(``viz``) — so that nothing a user had is lost on a crash or Ctrl-C. It lives in ``nn``, not in
the engine: ``autograd_mini`` writes no files.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """``with atomic_file(path) as f: f.write(...)`` — write ``path`` all or nothing.

    The data goes to a hidden temporary file in the same directory (with the usual permissions,
    not ``mkstemp``'s owner-only ones), which is synced and then renamed over ``path``. If the
    body raises — Ctrl-C included — the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (``str`` as UTF-8) to ``path`` atomically; returns ``path`` as a Path."""
    with atomic_file(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else bytes(data))
    return Path(path)
