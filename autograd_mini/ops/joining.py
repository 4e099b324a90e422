"""Joining and splitting: hstack, vstack, column_stack; split, array_split.

No new primitive: the stacks are ``concatenate`` after a reshape of their 0-d and 1-d
operands, and the pieces of a split are slices of x (``getitem``), so their gradients are those
of concatenate and of indexing. (The reverse of a split into k pieces adds k gradients of x's
size.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .indexing import concatenate, getitem
from .shapes import normalize_axis, reshape, shape_of


def _nonempty(op: str, tensors: Sequence[Any]) -> list:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    return tensors


def _at_least(x: Any, shape: tuple) -> Any:
    """x reshaped to ``shape`` when it has fewer dimensions (0-d and 1-d operands)."""
    return x if len(shape_of(x)) >= len(shape) else reshape(x, shape)


def _join(op: str, tensors: Sequence[Any], shape: tuple, axis: int | None) -> Any:
    """The tensors, each reshaped to ``shape`` when it has fewer dimensions, concatenated along
    ``axis`` (None: 0 for vectors, else 1); a ValueError naming ``op`` when they do not fit."""
    given = _nonempty(op, tensors)
    xs = [_at_least(t, shape) for t in given]
    shapes = [shape_of(x) for x in xs]
    if axis is None:
        axis = 0 if len(shapes[0]) == 1 else 1
    if len({len(s) for s in shapes}) > 1 or len({s[:axis] + s[axis + 1:] for s in shapes}) > 1:
        raise ValueError(f"{op}: cannot join tensors of shapes "
                         f"{' and '.join(str(shape_of(t)) for t in given)} along axis {axis}: "
                         "their other axes differ")
    return concatenate(xs, axis=axis)


def hstack(tensors: Sequence[Any]) -> Any:
    """Tensors joined side by side: along axis 1, or axis 0 when they are vectors (numpy)."""
    return _join("hstack", tensors, (-1,), None)


def vstack(tensors: Sequence[Any]) -> Any:
    """Tensors joined one below the other along axis 0; vectors become rows (numpy)."""
    return _join("vstack", tensors, (1, -1), 0)


def column_stack(tensors: Sequence[Any]) -> Any:
    """Vectors as the columns of a matrix (matrices join as blocks of columns), along axis 1."""
    return _join("column_stack", tensors, (-1, 1), 1)


def _pieces(x: Any, bounds: Sequence[int], axis: int) -> list:
    """The slices of x along ``axis`` between consecutive ``bounds``."""
    lead = (slice(None),) * axis
    return [getitem(x, index=lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:],
                                                                     strict=True)]


def _split(op: str, x: Any, indices_or_sections: Any, axis: int, equal: bool) -> list:
    shape = shape_of(x)
    axis = normalize_axis(op, axis, shape)
    n = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"{op}: the number of sections must be positive, not {k}")
        if equal and n % k:
            raise ValueError(f"{op}: axis {axis} of shape {shape} has length {n}, which {k} "
                             "equal sections do not divide (array_split allows unequal ones)")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
    else:
        bounds = [0, *(int(i) for i in indices_or_sections), n]  # sliced as Python slices
    return _pieces(x, [int(b) for b in bounds], axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """numpy's ``split``: x cut along ``axis`` into k equal pieces (``indices_or_sections=k``,
    which must divide the length) or at the given indices. (The method ``Tensor.split`` is
    PyTorch's, which takes piece sizes.) Returns a list of tensors."""
    return _split("split", x, indices_or_sections, axis, equal=True)


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """``split`` allowing unequal pieces: k pieces of a length n, the first n mod k of them
    one longer. Returns a list of tensors."""
    return _split("array_split", x, indices_or_sections, axis, equal=False)


def split_sizes(x: Any, split_size_or_sections: Any, dim: int = 0) -> list:
    """PyTorch's ``split``: pieces of ``split_size_or_sections`` elements along ``dim`` (the
    last one shorter), or of the listed sizes, which must add up to the length."""
    shape = shape_of(x)
    dim = normalize_axis("split", dim, shape)
    n = shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: the piece size must be positive, not {size}")
        bounds = [*range(0, n, size), n] if n else [0, 0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {sizes} do not add up to the length {n} of axis "
                             f"{dim} (shape {shape})")
        bounds = [0, *np.cumsum(sizes).tolist()]
    return _pieces(x, bounds, dim)
