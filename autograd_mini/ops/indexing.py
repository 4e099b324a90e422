"""Indexing and joining: ``x[index]`` and its reverse, ``concatenate`` and ``stack``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..primitive import def_linear, defvjp, defvjp_joint, primitive
from .shapes import reshape


def _is_basic(index):
    """True when ``x[index]`` picks every element at most once (ints, slices, None, ...)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
               for i in items)


@primitive("getitem")
def getitem(x, index):
    """x[index]: basic or integer-array indexing, as in numpy."""
    return x[index]


@primitive("scatter_add")
def scatter_add(g, shape, index):
    """A zero array of ``shape`` with g added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


defvjp(getitem, lambda g, ans, x, index: scatter_add(g, shape=x.shape, index=index))
defvjp(scatter_add, lambda g, ans, x, shape, index: getitem(g, index=index))
def_linear(getitem)
def_linear(scatter_add)


@primitive("concatenate")
def _concatenate(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(argnums, g, ans, *xs, axis=0):
    """Each input's slab of g: one pass over the inputs for all of them (the start of input i is
    the sum of the lengths before it, so slabs computed one by one would cost O(n²))."""
    axis = axis % ans.ndim
    ends = np.cumsum([x.shape[axis] for x in xs]).tolist()
    before = (slice(None),) * axis
    return [getitem(g, index=before + (slice(ends[i] - xs[i].shape[axis], ends[i]),))
            for i in argnums]


defvjp_joint(_concatenate, _concatenate_vjp)
def_linear(_concatenate)


@primitive("stack")
def _stack(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _stack_vjp(argnums, g, ans, *xs, axis=0):
    """Each input's layer of g along the new axis."""
    before = (slice(None),) * (axis % ans.ndim)
    return [getitem(g, index=before + (i,)) for i in argnums]


defvjp_joint(_stack, _stack_vjp)
def_linear(_stack)


def concatenate(tensors: Sequence[Any], axis: int | None = 0):
    """Join tensors along an existing axis (like ``np.concatenate``)."""
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor")
    if axis is None:  # numpy's meaning: flatten, then join
        tensors, axis = [reshape(t, shape=(-1,)) for t in tensors], 0
    return _concatenate(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0):
    """Join tensors of one shape along a new axis (like ``np.stack``)."""
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    return _stack(*tensors, axis=axis)
