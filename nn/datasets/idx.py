"""The IDX file format of MNIST: :func:`read_idx`, :func:`write_idx` and :class:`IDXError`.

An IDX file is: two zero bytes, a one-byte type code, a one-byte dimension count d, d big-endian
uint32 dimension sizes, then the array in C order, big-endian. Files may be gzip-compressed
(detected from the content when reading, chosen by a ``.gz`` name when writing).
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from ..files import atomic_file

__all__ = ["IDXError", "read_idx", "shape_text", "write_idx"]

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


class IDXError(ValueError):
    """A file is not a well-formed IDX file, or does not hold the data expected of it."""


def shape_text(shape: Sequence[int]) -> str:
    """``(60000, 28, 28)`` as ``60000x28x28``, the way IDX files describe their arrays."""
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
    what = f"{shape_text(shape)} {dtype.name}"
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
