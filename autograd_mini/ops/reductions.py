"""Reductions over axes — sum, mean, max, logsumexp — and the softmax family built on them.

The reductions call numpy's ufunc reductions (``np.add.reduce``, ``np.maximum.reduce``)
directly: ``np.sum`` and ``np.max`` are Python functions around them, the same numbers for
arrays at twice the cost for the small arrays of a training step."""

from __future__ import annotations

import numpy as np

from ..broadcasting import broadcast_to
from ..primitive import def_linear, defjvp, defvjp, primitive
from .elementwise import exp
from .shapes import reshape


def _axis(x, axis):
    """``axis`` as numpy takes it, except that a 0-d x can be reduced over axis 0 or -1 (or
    (0,), (-1,)) — its one element — as PyTorch allows (numpy only for some reductions, and
    not for tuples)."""
    if x.ndim or axis is None:
        return axis
    axes = axis if isinstance(axis, tuple) else (axis,)
    return None if len(axes) == 1 and axes[0] in (0, -1) else axis


def unreduce(g, shape, axis, keepdims):
    """Broadcast g, the result of reducing an array of ``shape`` over ``axis``, back to it."""
    if axis is not None and not keepdims and shape:
        axes = axis if isinstance(axis, tuple) else (axis,)
        kept = list(g.shape)
        for a in sorted(a % len(shape) for a in axes):
            kept.insert(a, 1)
        g = reshape(g, shape=tuple(kept))
    return broadcast_to(g, shape=shape)  # (the primitive itself: shape is a tuple already)


@primitive("sum")
def sum(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    """Σ x over ``axis`` (all axes when None)."""
    return np.add.reduce(x, axis=_axis(x, axis), keepdims=keepdims)


defvjp(sum, lambda g, ans, x, axis=None, keepdims=False: unreduce(g, x.shape, axis, keepdims))
def_linear(sum)


@primitive("mean")
def mean(x, axis=None, keepdims=False):
    """The mean of x over ``axis`` (all axes when None)."""
    axis = _axis(x, axis)
    if type(x) is np.ndarray and x.dtype.char in "fd" and x.size:  # np.mean, without its
        total = np.add.reduce(x, axis=axis, keepdims=keepdims)    # Python layers (2 µs)
        return total / (x.size // total.size)
    return np.mean(x, axis=axis, keepdims=keepdims)


def _count(x, ans):
    return x.size // (ans.size or 1)


defvjp(mean, lambda g, ans, x, axis=None, keepdims=False:
       unreduce(g, x.shape, axis, keepdims) / _count(x, ans))
def_linear(mean)


@primitive("max")
def max(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    """The largest element of x over ``axis`` (NaN where there is a NaN). Its gradient is
    shared equally between ties, and between the NaNs where the maximum is NaN."""
    return np.maximum.reduce(x, axis=_axis(x, axis), keepdims=keepdims)


@primitive("argmax_share", differentiable=False)
def argmax_share(x, ans, axis=None, keepdims=False):
    """1/k where x equals its maximum over ``axis`` (k = number of ties), 0 elsewhere. Where the
    maximum is NaN, the NaNs are its k ties (as PyTorch's ``max()``), not nothing: a NaN
    maximum passes its gradient to the NaNs it came from, never NaN to every element."""
    axis = _axis(x, axis)
    if axis is not None and not keepdims:
        ans = np.expand_dims(ans, axis)
    hit = (x == ans).astype(x.dtype)
    k = hit.sum(axis=axis, keepdims=True)
    if not k.all():  # a NaN maximum equals nothing
        hit = (x == ans) | (np.isnan(ans) & np.isnan(x))
        hit = hit.astype(x.dtype)
        k = hit.sum(axis=axis, keepdims=True)
    return hit / k


defvjp(max, lambda g, ans, x, axis=None, keepdims=False:
       unreduce(g, x.shape, axis, keepdims) * argmax_share(x, ans, axis=axis, keepdims=keepdims))
defjvp(max, lambda t, ans, x, axis=None, keepdims=False:
       sum(t * argmax_share(x, ans, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims))


@primitive("logsumexp")
def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) over ``axis``, shifted by the maximum so that exp never overflows."""
    axis = _axis(x, axis)
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log 0 = -inf is the right answer for all -inf
        r = np.log(np.add.reduce(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims or axis is None and r.ndim == 0 else np.squeeze(r, axis=axis)


def _softmax_of(x, ans, axis, keepdims):
    return exp(x - unreduce(ans, x.shape, axis, keepdims))


defvjp(logsumexp, lambda g, ans, x, axis=None, keepdims=False:
       unreduce(g, x.shape, axis, keepdims) * _softmax_of(x, ans, axis, keepdims))
defjvp(logsumexp, lambda t, ans, x, axis=None, keepdims=False:
       sum(t * _softmax_of(x, ans, axis, keepdims), axis=axis, keepdims=keepdims))


@primitive("softmax")
def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis``, computed from x − max(x)."""
    with np.errstate(over="ignore"):  # x − max(x) = −∞ for logits far below: exp gives 0
        e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
    e /= np.add.reduce(e, axis=axis, keepdims=True)
    return e


defvjp(softmax, lambda g, ans, x, axis=-1: ans * (g - sum(g * ans, axis=axis, keepdims=True)))
defjvp(softmax, lambda t, ans, x, axis=-1: ans * (t - sum(t * ans, axis=axis, keepdims=True)))


@primitive("log_softmax")
def log_softmax(x, axis=-1):
    """x − logsumexp(x) along ``axis``, computed as (x − m) − log Σ exp(x − m) with m = max(x):
    x − m is exact, so large logits lose nothing (x − logsumexp(x) would subtract two large
    rounded numbers: float32 logits near 1e3 would keep only 4 digits)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # as PyTorch: an inf
        # logit or all -inf give nan; a logit far below the max gives x - max = -inf
        s = x - np.maximum.reduce(x, axis=axis, keepdims=True)
        return s - np.log(np.add.reduce(np.exp(s), axis=axis, keepdims=True))


defvjp(log_softmax, lambda g, ans, x, axis=-1: g - exp(ans) * sum(g, axis=axis, keepdims=True))
defjvp(log_softmax, lambda t, ans, x, axis=-1: t - sum(exp(ans) * t, axis=axis, keepdims=True))
