"""Datasets: IDX files, MNIST / Fashion-MNIST loading, and seedable mini-batches.

Pure numpy and the standard library; this module does not import the autodiff engine.

- :func:`read_idx` / :func:`write_idx` read and write the IDX format used by MNIST.
- :func:`load_mnist` finds (or downloads, checksum-verified) MNIST or Fashion-MNIST and
  returns float images in [0, 1] and integer (or one-hot) labels.
- :class:`BatchIterator` yields shuffled mini-batches, reproducibly, with a resumable
  JSON-serialisable random state.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import math
import operator
import os
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from . import costs
from .files import atomic_file

__all__ = [
    "DATA_ENV_VAR",
    "IDX_FILES",
    "MD5",
    "MIRRORS",
    "SYSTEM_DATASET_DIRS",
    "BatchIterator",
    "DownloadError",
    "IDXError",
    "MNIST",
    "load_mnist",
    "read_idx",
    "write_idx",
]

PathLike = str | os.PathLike[str]

# --------------------------------------------------------------------------------------
# IDX format
# --------------------------------------------------------------------------------------
# An IDX file is: two zero bytes, a one-byte type code, a one-byte dimension count d,
# d big-endian uint32 dimension sizes, then the array in C order, big-endian.

_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES: dict[str, int] = {dt.name: code for code, dt in _IDX_DTYPES.items()}
_IDX_TYPE_LIST = ", ".join(f"0x{code:02X} ({dt.name})" for code, dt in _IDX_DTYPES.items())
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


class IDXError(ValueError):
    """A file is not a well-formed IDX file, or does not hold the data expected of it."""


def _shape_str(shape: Sequence[int]) -> str:
    return "x".join(str(d) for d in shape)


def _read_full(f: IO[bytes], n: int) -> bytes:
    parts = []
    while n > 0:
        part = f.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def _readinto_full(f: IO[bytes], buf: memoryview) -> int:
    got = 0
    while got < len(buf):
        n = f.readinto(buf[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def _size_error(path: str, expected: int, found: int, what: str) -> IDXError:
    if found < expected:
        hint = "file truncated?"
    else:
        hint = "trailing data after the array: wrong dimensions in the header, or corrupt file?"
    return IDXError(f"{path}: expected {expected} bytes of data for {what}, found {found} ({hint})")


def _read_idx_stream(f: IO[bytes], path: str, size: int | None) -> np.ndarray:
    """Parse an IDX stream. ``size`` is the total byte size when known (uncompressed file)."""
    head = _read_full(f, 4)
    if len(head) < 4:
        raise IDXError(
            f"{path}: expected a 4-byte IDX magic number, found only {len(head)} bytes "
            "(empty or truncated file?)"
        )
    if head[:2] != b"\0\0":
        raise IDXError(
            f"{path}: bad magic number 0x{head.hex()}: expected two zero bytes, a type code and "
            "a dimension count (not an IDX file?)"
        )
    code, ndim = head[2], head[3]
    dtype = _IDX_DTYPES.get(code)
    if dtype is None:
        raise IDXError(
            f"{path}: unknown IDX data type code 0x{code:02X} in magic number 0x{head.hex()}; "
            f"expected one of {_IDX_TYPE_LIST}"
        )
    if ndim == 0:
        raise IDXError(f"{path}: magic number 0x{head.hex()} declares 0 dimensions, expected >= 1")
    dims = _read_full(f, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise IDXError(
            f"{path}: expected {4 * ndim} bytes of dimension sizes for the {ndim} dimensions "
            f"declared in the magic number, found {len(dims)} (truncated file, or wrong "
            "dimension count?)"
        )
    shape = struct.unpack(f">{ndim}I", dims)
    count = math.prod(shape)
    expected = count * dtype.itemsize
    what = f"{_shape_str(shape)} {dtype.name}"
    if size is not None and size - 4 - 4 * ndim != expected:
        # Known size: fail before allocating anything a corrupt header may ask for.
        raise _size_error(path, expected, size - 4 - 4 * ndim, what)
    try:
        out = np.empty(count, dtype)
    except (MemoryError, ValueError) as exc:
        raise IDXError(
            f"{path}: header declares a {what} array ({expected} bytes), too large to allocate "
            "(corrupt header?)"
        ) from exc
    got = _readinto_full(f, memoryview(out.view(np.uint8)))
    if got < expected:
        raise _size_error(path, expected, got, what)
    extra = 0
    while chunk := f.read(_CHUNK):
        extra += len(chunk)
    if extra:
        raise _size_error(path, expected, expected + extra, what)
    if not dtype.isnative:
        out = out.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return out.reshape(shape)


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw; detected from the content, not the name).

    Returns an array with the shape stored in the header, e.g. (60000, 28, 28) uint8 for
    MNIST training images or (60000,) uint8 for their labels. Multi-byte types (int16,
    int32, float32, float64) are stored big-endian and returned in native byte order.

    Raises ``FileNotFoundError`` if the file does not exist and :class:`IDXError` (naming the
    file) for a bad magic number, unknown type code, truncated header, too few or too many
    data bytes, or a corrupt/truncated gzip stream.
    """
    path = os.fspath(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _read_idx_stream(raw, path, os.fstat(raw.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                return _read_idx_stream(f, path, None)  # type: ignore[arg-type]
        except EOFError as exc:
            raise IDXError(
                f"{path}: gzip stream ends before its end marker (file truncated?)"
            ) from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise IDXError(f"{path}: corrupt gzip stream ({exc})") from exc


def write_idx(path: PathLike, array: np.ndarray) -> None:
    """Write ``array`` (any shape with 1..255 dimensions) as an IDX file, atomically.

    Supported dtypes: uint8, int8, int16, int32, float32, float64 (stored big-endian).
    The data goes to a temp file in the destination directory that is then renamed over
    ``path``, so readers never see a half-written file. Gzip-compressed (reproducibly:
    no timestamp) if ``path`` ends with ``.gz``.
    """
    arr = np.asarray(array)
    code = _IDX_CODES.get(arr.dtype.name)
    if code is None:
        raise TypeError(
            f"write_idx: IDX cannot store dtype {arr.dtype}; "
            f"convert to one of {', '.join(_IDX_CODES)}"
        )
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"write_idx: IDX arrays need 1..255 dimensions, got {arr.ndim}")
    if any(d > 0xFFFFFFFF for d in arr.shape):
        raise ValueError(f"write_idx: dimension sizes must fit in 32 bits, got {arr.shape}")
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data = np.ascontiguousarray(arr, dtype=_IDX_DTYPES[code]).reshape(-1).view(np.uint8)

    name = os.path.basename(os.fspath(path))
    with atomic_file(path) as f:
        if name.endswith(".gz"):
            with gzip.GzipFile(
                filename=name[:-3], mode="wb", fileobj=f, mtime=0, compresslevel=6
            ) as gz:
                gz.write(header)
                gz.write(data)
        else:
            f.write(header)
            f.write(data)


# --------------------------------------------------------------------------------------
# MNIST / Fashion-MNIST
# --------------------------------------------------------------------------------------

#: Standard file names (without ``.gz``): train images, train labels, test images, labels.
IDX_FILES: tuple[str, str, str, str] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: Download mirrors per dataset, tried in order. Add an entry (and ``MD5``) to register
#: another dataset in the same format.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}

#: Published MD5 of each downloadable ``.gz`` file. Files are only verified when
#: downloaded: local copies may legitimately be recompressed (Debian's are) or unpacked.
MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

#: Environment variable naming a directory with the files (directly or in ``<dir>/<dataset>/``).
DATA_ENV_VAR = "AUTOGRAD_MINI_DATA"

#: System-wide dataset roots, searched as ``<root>/<dataset>/`` (Debian's
#: ``dataset-fashion-mnist`` package installs to ``/usr/share/datasets/fashion-mnist/``).
SYSTEM_DATASET_DIRS: list[str] = ["/usr/share/datasets"]


class MNIST(NamedTuple):
    """MNIST-style splits.

    x_train: (N, 784) or (N, 28, 28) floats in [0, 1]; y_train: (N,) int64, or (N, 10)
    one-hot in the image dtype; x_test / y_test likewise with the test count.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class DownloadError(OSError):
    """No mirror delivered a file with the expected checksum.

    ``failures`` lists ``(url, what went wrong)`` for each mirror tried.
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.failures = list(failures)


class _MirrorFailure(Exception):
    """One mirror failed to deliver a file; ``unreachable`` if we never got connected."""

    def __init__(self, reason: str, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


def _dataset_key(dataset: str) -> str:
    key = dataset.strip().lower().replace("_", "-")
    if key not in MIRRORS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(MIRRORS))}")
    return key


def _find_files(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each of IDX_FILES to an existing file in ``directory``; also return the missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for stem in IDX_FILES:
        # Uncompressed first: it loads faster, and is what a user who unpacked them has.
        for candidate in (directory / stem, directory / f"{stem}.gz"):
            if candidate.is_file():
                found[stem] = candidate
                break
        else:
            missing.append(stem)
    return found, missing


def _cache_dir(key: str, cache_dir: PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser() / key
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says relative paths are invalid and must be ignored.
    root = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return root / "autograd-mini" / key


def _search_dirs(key: str) -> list[Path]:
    dirs = []
    env = os.environ.get(DATA_ENV_VAR, "")
    if env:
        base = Path(env).expanduser()
        dirs += [base, base / key]
    dirs += [Path(root) / key for root in SYSTEM_DATASET_DIRS]
    return dirs


def _local_files_hint(key: str, cache: Path) -> str:
    names = "\n".join(f"    {stem}.gz" for stem in IDX_FILES)
    return (
        f"To use local copies instead, put these four files in one directory (uncompressed "
        f"copies without .gz also work):\n{names}\n"
        f"and pass it explicitly:\n"
        f"    load_mnist({key!r}, data_dir='/path/to/dir')\n"
        f"or set the environment variable (the files may be in the directory itself or in "
        f"its '{key}/' subdirectory):\n"
        f"    export {DATA_ENV_VAR}=/path/to/dir\n"
        f"or copy them into the cache directory {cache}/"
    )


def load_mnist(
    dataset: str = "mnist",
    data_dir: PathLike | None = None,
    download: bool = True,
    one_hot: bool = False,
    dtype: DTypeLike = np.float64,
    flatten: bool = True,
    *,
    cache_dir: PathLike | None = None,
    mirrors: Sequence[str] | None = None,
    md5: Mapping[str, str] | None = None,
    progress: bool | None = None,
    timeout: float = 30.0,
) -> MNIST:
    """Load MNIST or Fashion-MNIST (``dataset="mnist"`` / ``"fashion-mnist"``).

    Returns ``MNIST(x_train, y_train, x_test, y_test)``: images as ``dtype`` (a float type)
    scaled to [0, 1], shape (N, 784), or (N, 28, 28) with ``flatten=False``; labels int64 of
    shape (N,), or (N, 10) one-hot in ``dtype`` with ``one_hot=True``.

    The four standard files (``train-images-idx3-ubyte.gz`` etc., or the same names without
    ``.gz``) are looked for, all four in one directory, in:

    1. ``data_dir`` if given -- and only there: missing files are an error;
    2. ``$AUTOGRAD_MINI_DATA`` and ``$AUTOGRAD_MINI_DATA/<dataset>/``;
    3. ``/usr/share/datasets/<dataset>/`` (see ``SYSTEM_DATASET_DIRS``);
    4. the cache ``<cache_dir>/<dataset>/``; ``cache_dir`` defaults to
       ``$XDG_CACHE_HOME/autograd-mini`` (``~/.cache/autograd-mini``).

    Failing that, if ``download`` is true, the files missing from the cache are downloaded
    from ``mirrors`` (default ``MIRRORS[dataset]``) in turn, with a socket ``timeout`` in
    seconds, checked against ``md5`` (file name -> hex digest; default ``MD5[dataset]``;
    files absent from it are not checked) and only then renamed into the cache. A progress
    bar goes to stderr when it is a terminal, or always with ``progress=True``.

    Raises ``FileNotFoundError`` when the files cannot be found (and not downloaded),
    :class:`DownloadError` when no mirror delivers a file, :class:`IDXError` when a file is
    malformed or the files do not match each other.
    """
    key = _dataset_key(dataset)
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"load_mnist: dtype must be a floating type, got {dt}")

    def load(files: dict[str, Path]) -> MNIST:
        train = _load_split(files[IDX_FILES[0]], files[IDX_FILES[1]], dt, flatten, one_hot)
        test = _load_split(files[IDX_FILES[2]], files[IDX_FILES[3]], dt, flatten, one_hot)
        return MNIST(train[0], train[1], test[0], test[1])

    if data_dir is not None:
        directory = Path(data_dir).expanduser()
        files, missing = _find_files(directory)
        if missing:
            needed = ", ".join(f"{stem}.gz" for stem in IDX_FILES)
            if directory.is_dir():
                problem = f"is missing: {', '.join(f'{stem}.gz' for stem in missing)}"
            else:
                problem = "is not a directory" if directory.exists() else "does not exist"
            raise FileNotFoundError(
                f"load_mnist: data_dir {directory} {problem}; it must contain {needed} "
                "(the uncompressed names without .gz also work)"
            )
        return load(files)

    searched = _search_dirs(key)
    for directory in searched:
        files, missing = _find_files(directory)
        if not missing:
            return load(files)

    cache = _cache_dir(key, cache_dir)
    files, missing = _find_files(cache)
    if not missing:
        return load(files)
    if not download:
        where = "\n".join(f"    {d}" for d in [*searched, cache])
        raise FileNotFoundError(
            f"load_mnist: {key} not found (download=False). Looked in:\n{where}\n"
            + _local_files_hint(key, cache)
        )

    cache.mkdir(parents=True, exist_ok=True)
    urls = list(MIRRORS[key] if mirrors is None else mirrors)
    sums = MD5.get(key, {}) if md5 is None else md5
    if progress is None:
        progress = sys.stderr is not None and sys.stderr.isatty()
    for stem in missing:
        name = f"{stem}.gz"
        _download(name, cache, urls, sums.get(name), key, timeout, progress)
    files, missing = _find_files(cache)
    assert not missing, missing
    return load(files)


def _load_split(
    images_path: Path, labels_path: Path, dtype: np.dtype[Any], flatten: bool, one_hot: bool
) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXError(
            f"{images_path}: expected uint8 images of shape Nx28x28, "
            f"found {_shape_str(images.shape)} {images.dtype}"
        )
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise IDXError(
            f"{labels_path}: expected a 1-dimensional integer array of labels, "
            f"found {_shape_str(labels.shape)} {labels.dtype}"
        )
    if len(images) != len(labels):
        raise IDXError(
            f"image/label count mismatch: {images_path} holds {len(images)} images but "
            f"{labels_path} holds {len(labels)} labels"
        )
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise IDXError(
            f"{labels_path}: labels must be in 0..9, found {labels[bad[0]]} at index {bad[0]} "
            f"({bad.size} out-of-range labels)"
        )
    n = len(images)
    x = (images.reshape(n, 28 * 28) if flatten else images).astype(dtype)
    x /= 255  # division (not * 1/255) so that 255 maps to exactly 1.0
    y = labels.astype(np.int64)
    return (x, costs.one_hot(y, 10, dtype)) if one_hot else (x, y)


# -- downloading ------------------------------------------------------------------------


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


def _download(
    name: str,
    cache: Path,
    mirrors: Sequence[str],
    expected_md5: str | None,
    key: str,
    timeout: float,
    progress: bool,
) -> None:
    failures: list[tuple[str, str]] = []
    unreachable = 0
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            _fetch(url, cache / name, expected_md5, timeout, progress)
            return
        except _MirrorFailure as exc:
            failures.append((url, str(exc)))
            unreachable += exc.unreachable
    listing = "\n".join(f"    {url}: {reason}" for url, reason in failures) or "    (none given)"
    if failures and unreachable == len(failures):
        headline = f"could not download {name} ({key}): no mirror could be reached (offline?)"
    else:
        headline = f"could not download {name} ({key}) from any mirror"
    raise DownloadError(f"{headline}:\n{listing}\n{_local_files_hint(key, cache)}", failures)


# --------------------------------------------------------------------------------------
# Mini-batches
# --------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


class BatchIterator:
    """Seedable mini-batch iterator over paired arrays ``x`` (N, ...) and ``y`` (N, ...).

    Each ``iter()`` is one epoch: it yields ``(xb, yb)`` with xb (B, ...) and yb (B, ...),
    B = ``batch_size`` except possibly a smaller last batch (dropped with ``drop_last``).
    With ``shuffle`` every epoch uses a new permutation drawn from this iterator's own
    ``numpy.random.Generator`` (built from ``seed``, or the Generator passed as ``seed``,
    which is then shared). Batches are fresh copies (one fancy-indexing copy each), so
    modifying them never changes ``x``/``y``.

    :meth:`state_dict` captures the random state and the position inside an unfinished
    epoch as JSON-serialisable data; after :meth:`load_state_dict` the iterator continues
    with exactly the batches the original would have produced next. Run one epoch at a
    time: the position tracked is that of the most recently started epoch.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        shuffle: bool = True,
        seed: int | np.random.Generator | np.random.SeedSequence | None = None,
        drop_last: bool = False,
    ) -> None:
        x = np.asarray(x)
        y = np.asarray(y)
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError("BatchIterator: x and y need a leading example axis, got scalars")
        if len(x) != len(y):
            raise ValueError(
                f"BatchIterator: x and y must have the same number of examples, "
                f"got {len(x)} and {len(y)}"
            )
        if isinstance(batch_size, bool):
            raise TypeError("BatchIterator: batch_size must be an integer, got a bool")
        batch_size = operator.index(batch_size)
        if batch_size < 1:
            raise ValueError(f"BatchIterator: batch_size must be >= 1, got {batch_size}")
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._epoch_start: dict[str, Any] | None = None  # rng state before this epoch's draw
        self._done = 0  # batches yielded so far in the epoch in progress
        self._skip = 0  # batches to skip in the next epoch (set by load_state_dict)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.x)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of ``(xb, yb)`` batches (resuming a loaded state's epoch if any)."""
        n, bs = len(self.x), self.batch_size
        start, self._skip = self._skip, 0
        self._epoch_start = self.rng.bit_generator.state
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        self._done = start
        for b in range(start, len(self)):
            idx = order[b * bs : (b + 1) * bs]
            self._done = b + 1
            yield self.x[idx], self.y[idx]
        self._epoch_start = None
        self._done = 0

    def state_dict(self) -> dict[str, Any]:
        """The state needed to resume: JSON-serialisable (``json.dumps`` it to store it)."""
        if self._epoch_start is not None and self._done < len(self):
            rng_state, done = self._epoch_start, self._done
        else:
            rng_state, done = self.rng.bit_generator.state, self._skip
        return {
            "bit_generator": _jsonable(rng_state),
            "batches_done": done,
            "num_examples": len(self.x),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state: Mapping[str, Any] | str) -> None:
        """Restore a :meth:`state_dict` (or its JSON string); the next ``iter()`` resumes.

        Raises ``ValueError`` if the state was saved for a different data size or settings.
        """
        if isinstance(state, str):
            state = json.loads(state)
        if not isinstance(state, Mapping):
            raise TypeError(f"BatchIterator.load_state_dict: expected a dict, got {type(state)}")
        for field in ("num_examples", "batch_size", "shuffle", "drop_last"):
            mine = len(self.x) if field == "num_examples" else getattr(self, field)
            if state[field] != mine:
                raise ValueError(
                    f"BatchIterator.load_state_dict: state has {field}={state[field]!r}, "
                    f"this iterator has {mine!r}"
                )
        done = int(state["batches_done"])
        if not 0 <= done <= len(self):
            raise ValueError(f"BatchIterator.load_state_dict: bad batches_done={done}")
        bg_state = state["bit_generator"]
        kind = bg_state["bit_generator"]
        if type(self.rng.bit_generator).__name__ != kind:
            cls = getattr(np.random, kind, None)
            if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
                raise ValueError(f"BatchIterator.load_state_dict: unknown bit generator {kind!r}")
            self.rng = np.random.Generator(cls())
        self.rng.bit_generator.state = bg_state
        self._skip = done
        self._epoch_start = None
        self._done = 0
