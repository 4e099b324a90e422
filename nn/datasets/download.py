"""Downloading a file over HTTP(S) from a list of mirrors: bounded, verified, all or nothing.

:func:`download_file` tries each mirror in turn. What arrives goes to a temporary file that is
renamed into place only when it is complete and verified — its MD5 when known, then the
caller's check of its content (``verify``) — so a failed, interrupted, endless or wrong
download leaves nothing behind and the next mirror is tried. Each transfer is bounded in size
(``max_bytes``: the file's known size, or :data:`MAX_DOWNLOAD_BYTES`) and in time: no socket
operation waits longer than ``timeout``, and the whole transfer, headers included, ends by
``deadline`` seconds however slowly a server trickles bytes. :class:`DownloadError` lists what
went wrong at each mirror.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import io
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from ..files import atomic_file

__all__ = ["DEFAULT_DEADLINE", "MAX_DOWNLOAD_BYTES", "DownloadError", "download_file"]

_CHUNK = 1 << 20
#: Size cap for a file whose size is not known in advance (256 MiB; the largest official
#: MNIST-format file is 26 MB).
MAX_DOWNLOAD_BYTES = 256 << 20
#: Seconds one file may take from one mirror, connection and headers included.
DEFAULT_DEADLINE = 600.0


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


class _DeadlineExceeded(TimeoutError):
    """The transfer's deadline passed (however steadily bytes were arriving)."""


# --------------------------------------------------------------------------------------
# HTTP with a deadline on the whole exchange
# --------------------------------------------------------------------------------------


class _DeadlineSocketReader(io.RawIOBase):
    """A socket's reads, each waiting at most ``timeout`` and never past ``deadline_at``
    (a ``time.monotonic()`` value): a server sending a byte a second cannot stretch the
    transfer, as it can with a plain per-read socket timeout."""

    def __init__(self, sock: socket.socket, timeout: float | None, deadline_at: float) -> None:
        super().__init__()
        self.sock, self.timeout, self.deadline_at = sock, timeout, deadline_at
        # Through makefile(), so the socket stays open until this reader is closed, as it
        # does for http.client's own reader (urllib closes its reference early).
        self.raw = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline_at - time.monotonic()
        if remaining <= 0:
            raise _DeadlineExceeded("deadline passed")
        self.sock.settimeout(remaining if self.timeout is None else min(self.timeout, remaining))
        try:
            return self.raw.readinto(buffer)  # type: ignore[no-any-return]
        except TimeoutError:
            if time.monotonic() >= self.deadline_at:
                raise _DeadlineExceeded("deadline passed") from None
            raise

    def close(self) -> None:
        self.raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, deadline_at: float,
                 timeout: float | None, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # http.client's reader, unused: status, headers and body go through ours
        self.fp = io.BufferedReader(_DeadlineSocketReader(sock, timeout, deadline_at))


class _DeadlineConnection:
    """Mixed into http.client's connections: responses are read with the deadline."""

    def __init__(self, *args: Any, deadline_at: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connecting (and a TLS handshake) waits at most until the deadline too.
        remaining = max(deadline_at - time.monotonic(), 0.001)
        timeout = self.timeout  # type: ignore[attr-defined]
        if not isinstance(timeout, (int, float)) or timeout > remaining:
            self.timeout = remaining
        self.response_class = functools.partial(  # type: ignore[assignment]
            _DeadlineResponse, deadline_at=deadline_at, timeout=self.timeout)  # type: ignore


class _HTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class _DeadlineHandler:
    """Mixed into urllib's HTTP(S) handlers: connections are made with the deadline."""

    connection: type

    def __init__(self, deadline_at: float) -> None:
        super().__init__()
        self.deadline_at = deadline_at

    def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
        factory = functools.partial(self.connection, deadline_at=self.deadline_at)
        return super().do_open(factory, req, **kwargs)  # type: ignore[misc]


class _HTTPHandler(_DeadlineHandler, urllib.request.HTTPHandler):
    connection = _HTTPConnection


class _HTTPSHandler(_DeadlineHandler, urllib.request.HTTPSHandler):
    connection = _HTTPSConnection


def _open(url: str, timeout: float, deadline_at: float) -> Any:
    """urlopen for http(s) only (proxies from the environment and redirects as usual), with
    every read of status, headers and body bounded by ``deadline_at``."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), _HTTPHandler(deadline_at),
                    _HTTPSHandler(deadline_at), urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPRedirectHandler(), urllib.request.HTTPErrorProcessor(),
                    urllib.request.UnknownHandler()):
        opener.add_handler(handler)
    return opener.open(url, timeout=timeout)


# --------------------------------------------------------------------------------------
# One transfer
# --------------------------------------------------------------------------------------


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


class _Limits:
    """How much (``max_bytes``) and how long (``deadline`` seconds from ``start``) one
    transfer may take; ``timeout`` bounds each socket operation."""

    def __init__(self, max_bytes: int, timeout: float, deadline: float) -> None:
        self.max_bytes, self.timeout, self.deadline = max_bytes, timeout, deadline
        self.start = time.monotonic()

    @property
    def deadline_at(self) -> float:
        return self.start + self.deadline

    def late(self, received: int) -> _MirrorFailure:
        return _MirrorFailure(
            f"too slow: the {self.deadline:g} s deadline for the whole transfer passed after "
            f"{received} bytes"
        )


def _connect(url: str, limits: _Limits) -> Any:
    try:
        return _open(url, limits.timeout, limits.deadline_at)
    except urllib.error.HTTPError as exc:
        raise _MirrorFailure(f"HTTP error {exc.code} {exc.reason}") from exc
    except _DeadlineExceeded as exc:
        raise limits.late(0) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, _DeadlineExceeded):
            raise limits.late(0) from exc
        raise _MirrorFailure(f"cannot connect: {exc.reason}", unreachable=True) from exc
    except (http.client.HTTPException, OSError) as exc:
        raise _MirrorFailure(f"cannot connect: {exc!r}", unreachable=True) from exc
    except ValueError as exc:  # malformed URL
        raise _MirrorFailure(f"invalid URL: {exc}") from exc


def _stream(url: str, out: IO[bytes], limits: _Limits, progress: bool, label: str
            ) -> tuple[str, int]:
    """Copy ``url`` into ``out`` within ``limits``; returns (md5 hex digest, bytes received).

    Network-side problems become :class:`_MirrorFailure`; local I/O errors propagate.
    """
    response = _connect(url, limits)
    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > limits.max_bytes:
            raise _MirrorFailure(f"the server announces {total} bytes, more than the "
                                 f"{limits.max_bytes} expected of this file")
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        bar = _Progress(label, total, progress)
        try:
            while True:
                try:
                    chunk = response.read1(min(_CHUNK, limits.max_bytes + 1 - received))
                except http.client.IncompleteRead as exc:
                    received += len(exc.partial)
                    break  # reported below, as a short transfer
                except _DeadlineExceeded as exc:
                    raise limits.late(received) from exc
                except (http.client.HTTPException, OSError) as exc:
                    raise _MirrorFailure(
                        f"transfer failed after {received} bytes: {exc!r}"
                    ) from exc
                if not chunk:
                    break
                received += len(chunk)
                if received > limits.max_bytes:
                    raise _MirrorFailure(f"the server sent more than the {limits.max_bytes} "
                                         "bytes expected of this file (an endless response?)")
                out.write(chunk)
                digest.update(chunk)
                bar.update(received)
        finally:
            bar.close(received)
    if total is not None and received != total:
        raise _MirrorFailure(
            f"connection closed after {received} of {total} bytes (incomplete download)"
        )
    return digest.hexdigest(), received


def _looks_like_html(path: Path) -> bool:
    with open(path, "rb") as f:
        start = f.read(512).lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body"))


def _fetch(url: str, dest: Path, expected_md5: str | None, limits: _Limits, progress: bool,
           verify: Callable[[Path], None] | None) -> None:
    """Download ``url`` to ``dest`` via a temp file; ``dest`` appears only if complete and valid
    (a failed, interrupted or mismatched download leaves nothing behind)."""
    with atomic_file(dest) as out:
        got_md5, size = _stream(url, out, limits, progress, dest.name)
        out.flush()
        tmp = Path(out.name)
        if expected_md5 is not None and got_md5 != expected_md5.lower():
            html = " (an HTML page, not the file)" if _looks_like_html(tmp) else ""
            raise _MirrorFailure(
                f"checksum mismatch: expected md5 {expected_md5}, got {got_md5} "
                f"({size} bytes received){html}"
            )
        if verify is not None:
            if _looks_like_html(tmp):
                raise _MirrorFailure(f"received an HTML page ({size} bytes), not the file")
            try:
                verify(tmp)
            except ValueError as exc:
                raise _MirrorFailure(f"wrong content: {exc}") from exc


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
    max_bytes: int | None = None,
    deadline: float = DEFAULT_DEADLINE,
    verify: Callable[[Path], None] | None = None,
) -> Path:
    """Download the file ``name`` into ``directory`` from the first of ``mirrors`` (base URLs,
    tried in order) that delivers it verified.

    Verified means: at most ``max_bytes`` bytes (default :data:`MAX_DOWNLOAD_BYTES`; pass the
    file's size when known), within ``deadline`` seconds for the whole transfer (each socket
    operation also within ``timeout``), MD5 ``expected_md5`` (None: not checked), and
    ``verify(path)`` — called on the complete temporary file — raises no ``ValueError``.
    With ``progress`` a progress bar goes to stderr. Returns the path of the file, which
    appears only once it is complete and verified.

    Raises :class:`DownloadError` when no mirror delivers it: the message names ``dataset``,
    lists what went wrong at each mirror and ends with ``hint``.
    """
    cap = MAX_DOWNLOAD_BYTES if max_bytes is None else max_bytes
    failures: list[tuple[str, str]] = []
    unreachable = 0
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            _fetch(url, directory / name, expected_md5, _Limits(cap, timeout, deadline),
                   progress, verify)
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
