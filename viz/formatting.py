"""How numbers, arrays and operation settings are written in pictures: short and readable."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np


def format_scalar(value: Any) -> str:
    """Format one number compactly: ``6``, ``0.5``, ``-3.142``, ``1.23e-05``, ``True``."""
    v = np.asarray(value).reshape(-1)[0] if np.ndim(value) else value
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        return f"{complex(v):.4g}"
    f = float(v)
    if math.isfinite(f) and f == int(f) and abs(f) < 1e6:
        return str(int(f))
    text = f"{f:.4g}"
    return "0" if text == "-0" else text


def _format_nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return format_scalar(a)
    return "[" + ", ".join(_format_nested(row) for row in a) + "]"


def shape_text(shape: Sequence[int]) -> str:
    """``(3,)``, ``(2, 3)``: a shape as Python writes it."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def format_array(value: Any, max_values: int = 6) -> list[str]:
    """Describe an array in a few short lines.

    Scalars (0-d) give one line, their value. Other arrays give ``shape dtype`` and, when not
    empty, ``min …, mean …, max …`` (omitted for single elements); arrays with at most
    ``max_values`` elements also list their values.
    """
    a = np.asarray(value)
    if a.ndim == 0:
        return [format_scalar(a)]
    lines = [f"{shape_text(a.shape)} {a.dtype}"]
    if a.size == 0:
        lines.append("empty")
        return lines
    if a.size > 1 and np.issubdtype(a.dtype, np.number) and not np.iscomplexobj(a):
        with np.errstate(all="ignore"):
            stats = (np.min(a), np.mean(a), np.max(a))
        lines.append("min {}, mean {}, max {}".format(*(format_scalar(s) for s in stats)))
    if a.size <= max_values:
        lines.append(_format_nested(a))
    return lines


def value_lines(prefix: str, value: Any, like: Any = None) -> list[str]:
    """Lines describing ``value``, the first one starting with ``prefix``.

    When ``like`` (the tensor's data) has the same shape and dtype, the shape/dtype line is
    left out: a gradient is then described by its summary and small values only.
    """
    lines = format_array(value)
    if np.ndim(value) > 0 and like is not None:
        a, ref = np.asarray(value), np.asarray(like)
        if a.shape == ref.shape and a.dtype == ref.dtype:
            lines = lines[1:] or ["empty"]
    return [f"{prefix} {lines[0]}"] + lines[1:]


def format_setting(arg: Any) -> str:
    """An operation's setting (an axis, a shape, an index, a dtype) in a few characters."""
    if arg is None or isinstance(arg, (bool, int, float, str, np.generic)):
        return format_scalar(arg) if isinstance(arg, (int, float, np.number)) else str(arg)
    if isinstance(arg, (tuple, list)):
        return "(" + ", ".join(format_setting(a) for a in arg) + ")"
    if isinstance(arg, np.ndarray):
        return format_array(arg)[0]
    if isinstance(arg, slice):
        parts = ["" if v is None else str(v) for v in (arg.start, arg.stop, arg.step)]
        return ":".join(parts[:2] if arg.step is None else parts)
    if arg is Ellipsis:
        return "..."
    text = repr(arg)
    return text if len(text) <= 20 else type(arg).__name__


#: Characters that cannot be drawn or written as they are: control characters (NUL, ESC, newline
#: ...), surrogates (not encodable as UTF-8), line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: Any, max_chars: int | None = None) -> str:
    """``text`` as one drawable line: control characters, surrogates and line breaks are written
    as Python escapes (``a\\x00b``, ``\\x1b[31m``, ``\\n``), so that a name shows what it
    holds and cannot break the picture. Longer than ``max_chars``, it is cut with ``…``."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch) not in _UNPRINTABLE:
            out.append(ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    line = "".join(out)
    if max_chars is not None and len(line) > max_chars:
        line = line[: max_chars - 1] + "…"
    return line
