"""Downloading a file over HTTP(S) from a list of mirrors, MD5-verified, with a progress bar.

:func:`download_file` tries each mirror in turn; what arrives goes to a temporary file that is
renamed into place only when it is complete and its checksum matches, so a failed, interrupted
or corrupt download leaves nothing behind. :class:`DownloadError` lists what went wrong at each
mirror.
"""

from __future__ import annotations

import hashlib
import http.client
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..files import atomic_file

__all__ = ["DownloadError", "download_file"]

_CHUNK = 1 << 20


class DownloadError(OSError):
    """No mirror delivered a file with the expected checksum.

    The facts, for a caller that phrases its own advice (a command line says ``--data-dir``,
    not ``load_mnist(data_dir=...)``): ``failures`` lists ``(url, what went wrong)`` for each
    mirror tried; ``dataset`` and ``file`` name what was being downloaded; ``unreachable`` is
    true when no mirror could be connected to (offline?). :func:`nn.datasets.load_mnist` also
    fills in ``searched``, the directories it looked in first (the cache last), and
    ``missing``, the files it still lacked.
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = (), *,
                 dataset: str | None = None, file: str | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(message)
        self.failures = list(failures)
        self.dataset, self.file, self.unreachable = dataset, file, unreachable
        self.searched: list[Path] = []
        self.missing: list[str] = []


class _MirrorFailure(Exception):
    """One mirror failed to deliver a file; ``unreachable`` if we never got connected."""

    def __init__(self, reason: str, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class _Progress:
    """A one-line progress bar on stderr: percent, MB, MB/s."""

    def __init__(self, label: str, total: int | None, enabled: bool) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self.start = self.last = time.monotonic()
        self.width = 0  # length of the previous line, to blank it out when overwriting

    def update(self, done: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        rate = done / 1e6 / max(now - self.start, 1e-6)
        if self.total:
            text = (
                f"{self.label}: {100 * done / self.total:5.1f}% "
                f"{done / 1e6:.1f}/{self.total / 1e6:.1f} MB {rate:.1f} MB/s"
            )
        else:
            text = f"{self.label}: {done / 1e6:.1f} MB {rate:.1f} MB/s"
        sys.stderr.write(f"\r{text.ljust(self.width)}")
        sys.stderr.flush()
        self.width = len(text)

    def close(self, done: int) -> None:
        if self.enabled:
            self.update(done, force=True)
            sys.stderr.write("\n")
            sys.stderr.flush()


def _stream(
    url: str, out: IO[bytes], timeout: float, progress: bool, label: str
) -> tuple[str, int]:
    """Copy ``url`` into ``out``; returns (md5 hex digest, bytes received).

    Network-side problems become :class:`_MirrorFailure`; local I/O errors propagate.
    """
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise _MirrorFailure(f"HTTP error {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise _MirrorFailure(f"cannot connect: {exc.reason}", unreachable=True) from exc
    except (http.client.HTTPException, OSError) as exc:
        raise _MirrorFailure(f"cannot connect: {exc!r}", unreachable=True) from exc
    except ValueError as exc:  # malformed URL
        raise _MirrorFailure(f"invalid URL: {exc}") from exc

    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        bar = _Progress(label, total, progress)
        try:
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except http.client.IncompleteRead as exc:
                    received += len(exc.partial)
                    break  # reported below, as a short transfer
                except (http.client.HTTPException, OSError) as exc:
                    raise _MirrorFailure(
                        f"transfer failed after {received} bytes: {exc!r}"
                    ) from exc
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(received)
        finally:
            bar.close(received)
    if total is not None and received != total:
        raise _MirrorFailure(
            f"connection closed after {received} of {total} bytes (incomplete download)"
        )
    return digest.hexdigest(), received


def _fetch(url: str, dest: Path, expected_md5: str | None, timeout: float, progress: bool) -> None:
    """Download ``url`` to ``dest`` via a temp file; ``dest`` appears only if complete and valid
    (a failed, interrupted or mismatched download leaves nothing behind)."""
    with atomic_file(dest) as out:
        got_md5, size = _stream(url, out, timeout, progress, dest.name)
        if expected_md5 is not None and got_md5 != expected_md5.lower():
            raise _MirrorFailure(
                f"checksum mismatch: expected md5 {expected_md5}, got {got_md5} "
                f"({size} bytes received)"
            )


def download_file(
    name: str,
    directory: Path,
    mirrors: Sequence[str],
    expected_md5: str | None,
    *,
    timeout: float,
    progress: bool,
    dataset: str,
    hint: str = "",
) -> Path:
    """Download the file ``name`` into ``directory`` from the first of ``mirrors`` (base URLs,
    tried in order) that delivers it with MD5 ``expected_md5`` (None: not checked).

    ``timeout`` is the socket timeout in seconds; with ``progress`` a progress bar goes to
    stderr. Returns the path of the file, which appears only once it is complete and verified.
    Raises :class:`DownloadError` when no mirror delivers it: the message names ``dataset``,
    lists what went wrong at each mirror and ends with ``hint``.
    """
    failures: list[tuple[str, str]] = []
    unreachable = 0
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            _fetch(url, directory / name, expected_md5, timeout, progress)
            return directory / name
        except _MirrorFailure as exc:
            failures.append((url, str(exc)))
            unreachable += exc.unreachable
    listing = "\n".join(f"    {url}: {reason}" for url, reason in failures) or "    (none given)"
    offline = bool(failures) and unreachable == len(failures)
    if offline:
        headline = f"could not download {name} ({dataset}): no mirror could be reached (offline?)"
    else:
        headline = f"could not download {name} ({dataset}) from any mirror"
    raise DownloadError(f"{headline}:\n{listing}" + (f"\n{hint}" if hint else ""), failures,
                        dataset=dataset, file=name, unreachable=offline)
