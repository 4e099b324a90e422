"""Writing files atomically: a reader sees the old file or the complete new one, never a part.

Used for everything the project writes — checkpoints, IDX files, downloads (``nn``), pictures
(``viz``) — so that nothing a user had is lost on a crash, Ctrl-C or a full disk. It lives in
``nn``, not in the engine: ``autograd_mini`` writes no files.

How: the data goes to a hidden temporary file ``.<name>.<pid>.<random>.part`` next to the
target, which is synced and then renamed over the target (``os.replace``, atomic on POSIX and
Windows). Any failure removes the temporary file. A process killed outright (SIGKILL, power
loss) cannot remove it: the next write to the same target removes such leftovers of processes
that no longer run (:func:`remove_stale_parts`).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["STALE_SECONDS", "atomic_file", "remove_stale_parts", "write_atomic"]

#: A leftover temporary file is removed only if its writer is gone and it has not been
#: modified for this many seconds (a writer on another machine sharing the directory keeps
#: its file's modification time fresh).
STALE_SECONDS = 10.0


def _user_error(exc: OSError, path: Path) -> OSError:
    """``exc`` (about the hidden temporary file, or no file) restated about ``path``, the file
    the user asked for: same errno, hence the same class (PermissionError, ...)."""
    if exc.errno is None:
        return OSError(f"cannot write {os.fspath(path)}: {exc}")
    return OSError(exc.errno, exc.strerror or str(exc), os.fspath(path))


class _TempFile(io.FileIO):
    """The temporary file: write errors (a full disk, a quota) name the target, not us."""

    def __init__(self, tmp: Path, target: Path) -> None:
        super().__init__(os.fspath(tmp), "xb")  # O_CREAT | O_EXCL, mode 0o666 & ~umask
        self.target = target

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            return super().write(data)
        except OSError as exc:
            raise _user_error(exc, self.target) from None


def _temp_name(target: Path) -> Path:
    return target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}.part"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def remove_stale_parts(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files an earlier write to ``path`` left behind when its process
    was killed outright; returns what was removed.

    Only files named like ours for this target (``.<name>.<pid>.<hex>.part``) whose process no
    longer runs and which have not changed for :data:`STALE_SECONDS` are removed; anything
    else — another live writer's file, or a file we cannot decide about — is left alone.
    POSIX only (elsewhere nothing is removed).
    """
    if os.name != "posix":
        return []
    target = Path(path)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]{{12}}\.part")
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or int(match[1]) == os.getpid() or _process_exists(int(match[1])):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_SECONDS:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _copy_owner_and_mode(fd: int, tmp: Path, target: Path) -> None:
    """Give the new file the owner, group and permissions of the file it replaces (a
    ``chmod 600`` checkpoint stays 600); a new target keeps the umask-based mode."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return
    if hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except OSError:
            pass  # not allowed (we are not root): the file becomes ours, as any new file would
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(st.st_mode))
    else:  # pragma: no cover - Windows: only the read-only flag exists
        os.chmod(tmp, stat.S_IMODE(st.st_mode))


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """``with atomic_file(path) as f: f.write(...)`` — write ``path`` all or nothing.

    The data goes to a hidden temporary file in the same directory, whose path is ``f.name``
    (to check the content before it is committed). When the body finishes, the file gets the
    permissions (and, where allowed, the owner) of the file it replaces — a new file the usual
    umask-based ones —, is synced and renamed over ``path``. If the body raises — Ctrl-C
    included — the temporary file is removed and ``path`` is untouched. A symbolic link at
    ``path`` is followed: the file it points to is replaced, the link stays.

    A file-system failure (missing or read-only directory, full disk, ...) raises an
    ``OSError`` of the usual class whose ``filename`` is ``path`` — never the hidden name.
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    remove_stale_parts(target)
    while True:
        tmp = _temp_name(target)
        try:
            raw = _TempFile(tmp, target)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _user_error(exc, target) from None
    f = io.BufferedWriter(raw)
    try:
        yield f  # type: ignore[misc]
        try:
            f.flush()
            _copy_owner_and_mode(raw.fileno(), tmp, target)
            os.fsync(raw.fileno())
            f.close()
            os.replace(tmp, target)
        except OSError as exc:
            raise _user_error(exc, target) from None
    except BaseException:
        raw.close()  # without flushing what is still buffered: the file is dropped anyway
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (``str`` as UTF-8) to ``path`` atomically; returns ``path`` as a Path."""
    with atomic_file(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else bytes(data))
    return Path(path)
