"""Order: the smallest element (``min``, max's mirror), where the extremes are (``argmax``,
``argmin``: integer indices, not differentiable), and sorting (``sort``, differentiable, and
``argsort``)."""

from __future__ import annotations

import numpy as np

from ..primitive import defjvp, defvjp, primitive
from .reductions import max as _max
from .shapes import reshape


@primitive("min")
def min(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    """The smallest element of x over ``axis``. Its gradient is shared equally between ties."""
    return np.min(x, axis=axis, keepdims=keepdims)


# max's rules send the gradient to the elements equal to the result, shared between ties, so
# they are min's too: taken from max, so that the two stay one rule.
defvjp(min, _max.vjp(0))
defjvp(min, _max.jvp(0))


@primitive("argmax", differentiable=False)
def argmax(x, axis=None, keepdims=False):
    """The index of the largest element over ``axis`` (of the flattened x when None); the first
    one at ties; a NaN counts as the largest, as in numpy and PyTorch."""
    return np.argmax(x, axis=axis, keepdims=keepdims)


@primitive("argmin", differentiable=False)
def argmin(x, axis=None, keepdims=False):
    """The index of the smallest element over ``axis`` (of the flattened x when None); the first
    one at ties; a NaN counts as the smallest, as in numpy and PyTorch."""
    return np.argmin(x, axis=axis, keepdims=keepdims)


@primitive("argsort", differentiable=False)
def argsort(x, axis=-1):
    """The indices that sort x along ``axis`` (of the flattened x when None): a stable sort,
    NaNs last, as in numpy."""
    return np.argsort(x, axis=axis, kind="stable")


@primitive("permute_along")
def permute_along(x, order, axis=-1):
    """x reordered along ``axis``: each lane of x taken in the order of the same lane of the
    integer array ``order`` (``np.take_along_axis``), a permutation of its positions."""
    return np.take_along_axis(x, order, axis=axis)


# Linear in x; its reverse is the inverse permutation, argsort(order).
defvjp(permute_along, lambda g, ans, x, order, axis=-1:
       permute_along(g, argsort(order, axis=axis), axis=axis))
defjvp(permute_along, lambda t, ans, x, order, axis=-1: permute_along(t, order, axis=axis))


@primitive("sort")
def _sort(x, axis=-1):
    return np.sort(x, axis=axis, kind="stable")


# sort(x) = permute_along(x, argsort(x)): the gradient goes back to where each value came from.
defvjp(_sort, lambda g, ans, x, axis=-1:
       permute_along(g, argsort(argsort(x, axis=axis), axis=axis), axis=axis))
defjvp(_sort, lambda t, ans, x, axis=-1: permute_along(t, argsort(x, axis=axis), axis=axis))


def sort(x, axis: int | None = -1):
    """x sorted along ``axis`` (flattened first when None), ascending, NaNs last, like numpy
    (a stable sort: ties keep their order, and their gradients go back in that order)."""
    if axis is None:
        x, axis = reshape(x, shape=(-1,)), 0
    return _sort(x, axis=axis)
