"""Statistics of arrays over axes: ``var``, ``std``, ``prod`` and the running sum ``cumsum``.

The reductions are declared like elementwise functions, by their local derivative
∂ans/∂xᵢ (an array of x's shape): ``def_reduction`` turns it into the reverse rule (the
gradient, broadcast back over the reduced axes, times it) and the forward rule (the tangent
times it, summed over the axes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..primitive import def_linear, defjvp, defvjp, primitive
from .comparisons import equal, where
from .indexing import getitem
from .reductions import mean, sum, unreduce
from .shapes import reshape


def def_reduction(prim, slope: Callable) -> None:
    """``prim(x, axis=None, keepdims=False, ...)`` reduces x over ``axis``; ``slope(ans, x,
    axis, keepdims, ...)`` is ∂ans/∂x, of x's shape. Reverse ``g·slope``, forward ``Σ t·slope``."""
    defvjp(prim, lambda g, ans, x, axis=None, keepdims=False, **params:
           unreduce(g, x.shape, axis, keepdims) * slope(ans, x, axis, keepdims, **params))
    defjvp(prim, lambda t, ans, x, axis=None, keepdims=False, **params:
           sum(t * slope(ans, x, axis, keepdims, **params), axis=axis, keepdims=keepdims))


def _count(x, axis):
    """How many elements of x each result summarises."""
    axes = range(x.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([x.shape[a] for a in axes]))


@primitive("var")
def var(x, axis=None, ddof=0, keepdims=False):
    """The variance Σ(x − mean)²/(N − ddof) over ``axis`` (numpy's default ddof=0; ddof=1 for
    the unbiased estimate, PyTorch's default)."""
    return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _var_slope(ans, x, axis, keepdims, ddof=0):
    return (x - mean(x, axis=axis, keepdims=True)) * (2 / (_count(x, axis) - ddof))


def_reduction(var, _var_slope)


@primitive("std")
def std(x, axis=None, ddof=0, keepdims=False):
    """The standard deviation √var over ``axis``. Where it is 0 its gradient is taken as 0,
    as in PyTorch (√ has no derivative at 0)."""
    return np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _std_slope(ans, x, axis, keepdims, ddof=0):
    s = unreduce(ans, x.shape, axis, keepdims)
    zero = equal(s, 0)
    return where(zero, 0, _var_slope(ans, x, axis, keepdims, ddof) / (2 * where(zero, 1, s)))


def_reduction(std, _std_slope)


@primitive("prod")
def prod(x, axis=None, keepdims=False):
    """The product of the elements of x over ``axis``."""
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_slope(ans, x, axis, keepdims):
    """The product of the other elements of each one's lane: ans/xᵢ in a lane without a zero;
    at a lane's only zero, the product of the rest; 0 elsewhere (two zeros: 0 everywhere).
    Written so that the second derivative is right too wherever the lane has at most one zero.
    """
    zero = equal(x, 0)
    nonzero = where(zero, 1, x)
    rest = prod(nonzero, axis=axis, keepdims=True)  # the product of the lane's non-zeros
    alone = equal(sum(zero, axis=axis, keepdims=True), 1)
    return where(zero, where(alone, rest, 0), unreduce(ans, x.shape, axis, keepdims) / nonzero)


def_reduction(prod, _prod_slope)


@primitive("cumsum")
def _cumsum(x, axis):
    return np.cumsum(x, axis=axis)


def _reversed(x, axis):
    """x backwards along ``axis`` (a getitem, so it is differentiable)."""
    return getitem(x, index=(slice(None),) * (axis % x.ndim) + (slice(None, None, -1),))


# Each xᵢ is in every running sum from i on, so its gradient is the sum of g from i to the end.
defvjp(_cumsum, lambda g, ans, x, axis: _reversed(_cumsum(_reversed(g, axis), axis=axis), axis))
def_linear(_cumsum)


def cumsum(x, axis: int | None = None):
    """The running sums of x along ``axis`` (of the flattened x when None, like numpy)."""
    if axis is None:
        x, axis = reshape(x, shape=(-1,)), 0
    return _cumsum(x, axis=axis)
