"""The IDX file format of MNIST: :func:`read_idx`, :func:`write_idx` and :class:`IDXError`.

An IDX file is: two zero bytes, a one-byte type code, a one-byte dimension count d, d big-endian
uint32 dimension sizes, then the array in C order, big-endian. Files may be gzip-compressed
(detected from the content when reading, chosen by a ``.gz`` name when writing).
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import IO, Any, NamedTuple

import numpy as np

from ..files import atomic_file

__all__ = [
    "MAX_IDX_BYTES", "IDXError", "IDXHeader", "read_idx", "read_idx_header", "shape_text",
    "write_idx",
]

PathLike = str | os.PathLike[str]

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
#: Trailing bytes counted before giving up (a report, not a limit on anything allocated).
_MAX_TRAILING = 64 * _CHUNK
#: Deflate's maximum compression ratio (258 bytes from a 2-bit length/distance pair): a gzip
#: file of n bytes never holds more than 1032*n bytes of data.
_DEFLATE_MAX_RATIO = 1032

#: The largest array :func:`read_idx` reads unless told otherwise (1 GiB; MNIST's largest
#: file holds 47 MB, EMNIST's 547 MB).
MAX_IDX_BYTES = 1 << 30


class IDXError(ValueError):
    """A file is not a well-formed IDX file, or does not hold the data expected of it."""


def shape_text(shape: Sequence[int]) -> str:
    """``(60000, 28, 28)`` as ``60000x28x28``, the way IDX files describe their arrays."""
    return "x".join(str(d) for d in shape)


class IDXHeader(NamedTuple):
    """What an IDX header declares: the element ``dtype`` (native byte order), the ``shape``
    and ``offset``, the header's length in bytes (where the data starts)."""

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        return f"{shape_text(self.shape)} {self.dtype.name}"


def _read_full(f: IO[bytes], n: int) -> bytes:
    parts = []
    while n > 0:
        part = f.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def _size_error(path: str, expected: int, found: int | str, what: str) -> IDXError:
    if isinstance(found, int) and found < expected:
        hint = "file truncated?"
    else:
        hint = "trailing data after the array: wrong dimensions in the header, or corrupt file?"
    return IDXError(f"{path}: expected {expected} bytes of data for {what}, found {found} ({hint})")


def _parse_header(f: IO[bytes], path: str) -> IDXHeader:
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
    return IDXHeader(dtype, struct.unpack(f">{ndim}I", dims), 4 + 4 * ndim)


def _check_declared(header: IDXHeader, path: str, size: int, compressed: bool,
                    max_bytes: int) -> None:
    """Refuse, before anything is allocated, a header that declares more data than the file
    can hold (all of it for a raw file, deflate's maximum ratio for a gzip one) or than
    ``max_bytes``. Dimensions are checked with a zero one counted as 1, so that an empty
    0x4294967295x4294967295 array is refused too."""
    what = header.describe()
    nominal = math.prod(max(d, 1) for d in header.shape) * header.dtype.itemsize
    if nominal > max_bytes:
        raise IDXError(
            f"{path}: header declares a {what} array ({nominal} bytes), more than the "
            f"{max_bytes} bytes read_idx accepts (corrupt header? pass max_bytes= to read a "
            "larger file)"
        )
    if not compressed and size - header.offset != header.nbytes:
        raise _size_error(path, header.nbytes, size - header.offset, what)
    if compressed and header.nbytes > _DEFLATE_MAX_RATIO * size:
        raise IDXError(
            f"{path}: header declares a {what} array ({header.nbytes} bytes), but a gzip file "
            f"of {size} bytes holds at most {_DEFLATE_MAX_RATIO * size} (corrupt header or "
            "truncated file?)"
        )


def _read_data(f: IO[bytes], header: IDXHeader, path: str) -> np.ndarray:
    """The array that follows the header in ``f``, read in bounded chunks into a buffer that
    grows with the data actually there (memory follows the file, not the header's claim)."""
    expected = header.nbytes
    buf = bytearray()
    while len(buf) < expected:
        chunk = f.read(min(_CHUNK, expected - len(buf)))
        if not chunk:
            raise _size_error(path, expected, len(buf), header.describe())
        buf += chunk
    extra = 0
    while extra <= _MAX_TRAILING and (chunk := f.read(_CHUNK)):
        extra += len(chunk)
    if extra:
        found = expected + extra if extra <= _MAX_TRAILING else f"more than {expected + extra}"
        raise _size_error(path, expected, found, header.describe())
    out = np.frombuffer(buf, dtype=header.dtype)
    if not header.dtype.isnative:
        out = out.byteswap(inplace=True).view(header.dtype.newbyteorder("="))
    return out.reshape(header.shape)


@contextlib.contextmanager
def _open_idx(path: str, label: str) -> Iterator[tuple[IO[bytes], int, bool]]:
    """``(stream, file size, compressed)`` of an IDX file, gzip-decoded if it is compressed;
    gzip errors become :class:`IDXError` naming ``label``."""
    with open(path, "rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            yield raw, size, False
            return
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                yield f, size, True  # type: ignore[misc]
        except EOFError as exc:
            raise IDXError(
                f"{label}: gzip stream ends before its end marker (file truncated?)"
            ) from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise IDXError(f"{label}: corrupt gzip stream ({exc})") from exc


def read_idx(path: PathLike, *, max_bytes: int = MAX_IDX_BYTES, name: str | None = None
             ) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw; detected from the content, not the name).

    Returns an array with the shape stored in the header, e.g. (60000, 28, 28) uint8 for
    MNIST training images or (60000,) uint8 for their labels. Multi-byte types (int16,
    int32, float32, float64) are stored big-endian and returned in native byte order.

    Memory is bounded by the data actually in the file, never by what its header claims: the
    declared size is checked against the file's size (for a gzip file, against deflate's
    maximum compression ratio) and against ``max_bytes`` (default :data:`MAX_IDX_BYTES`,
    1 GiB) before anything is allocated, and gzip data is decompressed in 1 MiB chunks.

    Raises ``FileNotFoundError`` if the file does not exist and :class:`IDXError` naming the
    file (``name`` if given, else ``path``) for a bad magic number, unknown type code,
    truncated header, a declared size the file cannot hold or over ``max_bytes``, too few or
    too many data bytes, or a corrupt/truncated gzip stream.
    """
    path = os.fspath(path)
    label = path if name is None else name
    with _open_idx(path, label) as (f, size, compressed):
        header = _parse_header(f, label)
        _check_declared(header, label, size, compressed, max_bytes)
        return _read_data(f, header, label)


def read_idx_header(path: PathLike, *, name: str | None = None) -> IDXHeader:
    """The header of the IDX file ``path`` (its dtype and shape), without reading the data;
    raises :class:`IDXError` as :func:`read_idx` does for a malformed header."""
    path = os.fspath(path)
    label = path if name is None else name
    with _open_idx(path, label) as (f, _size, _compressed):
        return _parse_header(f, label)


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
