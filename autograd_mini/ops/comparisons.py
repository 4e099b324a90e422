"""Comparisons and the choices made with them: ``< <= > >= == !=``, ``where``, ``maximum``,
``minimum`` and ``clip``.

A comparison gives booleans: not differentiable (its result never requires grad), but the
mask it makes routes gradients — ``where(x > 0, x, 0)`` sends the gradient to x where x > 0.
``maximum``/``minimum`` and ``clip`` follow PyTorch at ties and at NaN (see their docstrings).
"""

from __future__ import annotations

import numpy as np

from ..primitive import def_elementwise, defjvp, defvjp, primitive

less = primitive("less", differentiable=False)(np.less)
less_equal = primitive("less_equal", differentiable=False)(np.less_equal)
greater = primitive("greater", differentiable=False)(np.greater)
greater_equal = primitive("greater_equal", differentiable=False)(np.greater_equal)
equal = primitive("equal", differentiable=False)(np.equal)
not_equal = primitive("not_equal", differentiable=False)(np.not_equal)


@primitive("where")
def where(condition, x, y):
    """x where ``condition`` holds, y elsewhere (all three broadcast together). Differentiable
    in x and y (the gradient goes to the operand chosen), not in the condition."""
    return np.where(condition, x, y)


def _to_x(g, ans, condition, x, y):
    """The part of g (a gradient, or a tangent going forward) that x gets: where the condition
    holds, and zero elsewhere — not g·mask, so a NaN in g does not leak where x was not chosen."""
    return where(condition, g, 0)


def _to_y(g, ans, condition, x, y):
    return where(condition, 0, g)


defvjp(where, None, _to_x, _to_y)
defjvp(where, None, _to_x, _to_y)  # linear in x and y: the same masks carry tangents forward

maximum = primitive("maximum")(np.maximum)
minimum = primitive("minimum")(np.minimum)


@primitive("maximum_share", differentiable=False)
def maximum_share(x, y, like):
    """The share of maximum(x, y)'s gradient that x gets, in ``like``'s dtype: 1 where x > y,
    ½ where x = y (ties split equally), 0 where x < y — and 1 where x or y is NaN (the result
    is NaN; PyTorch gives the whole gradient to both operands then)."""
    share = np.where(np.less(x, y), 0.0, np.where(np.equal(x, y), 0.5, 1.0))
    return share.astype(like.dtype, copy=False)


def_elementwise(maximum, lambda ans, x, y: maximum_share(x, y, ans),
                lambda ans, x, y: maximum_share(y, x, ans))
def_elementwise(minimum, lambda ans, x, y: maximum_share(y, x, ans),
                lambda ans, x, y: maximum_share(x, y, ans))


@primitive("clip")
def clip(x, a_min, a_max):
    """x limited to [a_min, a_max] (either bound may be None: no limit on that side); like
    numpy, a_min > a_max gives a_max everywhere."""
    return np.clip(x, a_min, a_max)


@primitive("clip_source", differentiable=False)
def clip_source(x, a_min, a_max, argnum):
    """True where clip(x, a_min, a_max) takes its value from argument ``argnum``: x where
    a_min ≤ x ≤ a_max (the bounds themselves included, as in PyTorch's clamp), a_min where
    x < a_min ≤ a_max, a_max where x > a_max or a_min > a_max. NaN anywhere: none of them."""
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    if argnum == 0:
        return np.logical_and(np.greater_equal(x, lo), np.less_equal(x, hi))
    if argnum == 1:
        return np.logical_and(np.less(x, lo), np.less_equal(lo, hi))
    return np.logical_or(np.greater(x, hi), np.greater(lo, hi))


def_elementwise(clip, *(lambda ans, x, lo, hi, i=i: clip_source(x, lo, hi, argnum=i)
                        for i in range(3)))
