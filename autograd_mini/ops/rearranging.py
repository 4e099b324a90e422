"""Rearranging: flip, roll, tile, repeat, pad — results whose elements are copies of the
input's elements in a new arrangement (and, for ``pad``, constants around them).

Each is linear, so its forward rule is the operation itself applied to the tangent
(``def_linear``; ``pad`` with a nonzero constant is affine: its tangent is padded with 0). Each
reverse rule sends every element of ``g`` back to the element it was copied from, summing the
copies: ``flip`` and ``roll`` undo themselves, ``tile`` and ``repeat`` sum their copies, ``pad``
keeps the middle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import def_linear, defjvp, defvjp, primitive
from .indexing import getitem, scatter_add
from .reductions import sum
from .shapes import normalize_axes, normalize_axis, ravel, reshape, shape_of

# ---- flip and roll ----------------------------------------------------------------------------


@primitive("flip")
def _flip(x, axis=None):
    """x with the order of its elements reversed along ``axis`` (every axis when None)."""
    return np.flip(x, axis)


defvjp(_flip, lambda g, ans, x, axis=None: _flip(g, axis=axis))
def_linear(_flip)


def flip(x: Any, axis: Any = None) -> Any:
    """x reversed along ``axis`` (an int, a tuple, or None for every axis):
    ``flip(x, 0)[i] = x[n - 1 - i]``."""
    return _flip(x, axis=None if axis is None else normalize_axes("flip", axis, shape_of(x)))


@primitive("roll")
def _roll(x, shift, axis=None):
    """x shifted cyclically by ``shift`` places along ``axis`` (of the flattened x when None)."""
    return np.roll(x, shift, axis)


def _negated(shift):
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


defvjp(_roll, lambda g, ans, x, shift, axis=None: _roll(g, shift=_negated(shift), axis=axis))
def_linear(_roll)


def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """x shifted cyclically: ``roll(x, s, 0)[(i + s) % n] = x[i]``. ``shift`` and ``axis`` may
    be tuples of one length (several axes at once); with ``axis=None`` x is rolled as a flat
    vector and keeps its shape."""
    if axis is None:
        if not isinstance(shift, (int, np.integer)):
            raise ValueError(f"roll: with axis=None the shift must be one int, not {shift!r}")
        return _roll(x, shift=int(shift))
    axes = normalize_axes("roll", axis, shape_of(x))
    shifts = tuple(int(s) for s in shift) if isinstance(shift, (tuple, list)) else (int(shift),)
    if len(shifts) == 1 and len(axes) > 1:
        shifts *= len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
    return _roll(x, shift=shifts, axis=axes)


# ---- tile and repeat --------------------------------------------------------------------------


@primitive("tile")
def _tile(x, reps):
    """x repeated as a whole ``reps[i]`` times along axis i (``reps`` has one entry per axis)."""
    return np.tile(x, reps)


def _untile(g, x, reps):
    """Σ of the tiles of g: g viewed as (r₀, n₀, r₁, n₁, ...) summed over the r axes."""
    shape = x.shape
    g = reshape(g, tuple(k for r, n in zip(reps, shape, strict=True) for k in (r, n)))
    return sum(g, axis=tuple(range(0, 2 * len(shape), 2)))


defvjp(_tile, lambda g, ans, x, reps: _untile(g, x, reps))
def_linear(_tile)


def tile(x: Any, reps: Any) -> Any:
    """x repeated as a whole: ``tile(x, (2, 3))`` puts 2 × 3 copies of a matrix side by side.
    As numpy: with more reps than axes, x gets new leading axes; with fewer, the reps apply
    to the last axes. (This is PyTorch's ``Tensor.repeat``.)"""
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repetitions {reps} must not be negative")
    shape = shape_of(x)
    d = max(len(reps), len(shape))
    if len(shape) < d:
        x = reshape(x, (1,) * (d - len(shape)) + shape)
    return _tile(x, reps=(1,) * (d - len(reps)) + reps)


@primitive("repeat")
def _repeat(x, repeats, axis):
    """Each element of x repeated ``repeats`` times along ``axis`` (an int, or one count per
    element along that axis)."""
    return np.repeat(x, repeats, axis)


def _unrepeat(g, x, repeats, axis):
    """Σ of the copies of each element: a reshape and a sum for a constant count, a scatter-add
    for counts that differ."""
    n = x.shape[axis]
    if isinstance(repeats, int):
        g = reshape(g, x.shape[:axis] + (n, repeats) + x.shape[axis + 1:])
        return sum(g, axis=axis + 1)
    source = np.repeat(np.arange(n), repeats)
    return scatter_add(g, shape=x.shape, index=(slice(None),) * axis + (source,))


defvjp(_repeat, lambda g, ans, x, repeats, axis: _unrepeat(g, x, repeats, axis))
def_linear(_repeat)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Any:
    """numpy's ``repeat``: each ELEMENT repeated ``repeats`` times along ``axis`` —
    ``repeat([a, b], 2) = [a, a, b, b]``; ``repeats`` may give one count per element. With
    ``axis=None`` x is flattened first. (The method ``Tensor.repeat`` is PyTorch's, which
    repeats the whole tensor: that is ``tile``.)"""
    if axis is None:
        x, axis = ravel(x), 0
    shape = shape_of(x)
    axis = normalize_axis("repeat", axis, shape)
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts < 0).any():
        raise ValueError(f"repeat: repeats must be a non-negative int or a sequence of them, "
                         f"not {repeats!r}")
    if counts.ndim == 1 and counts.size not in (1, shape[axis]):
        raise ValueError(f"repeat: {counts.size} counts for axis {axis} of length {shape[axis]} "
                         f"(shape {shape}); give one count, or one per element")
    counts = int(counts.reshape(-1)[0]) if counts.size == 1 else tuple(int(c) for c in counts)
    return _repeat(x, repeats=counts, axis=axis)


# ---- pad --------------------------------------------------------------------------------------


@primitive("pad")
def _pad(x, pad_width, constant_values=0):
    """x surrounded by ``constant_values``: ``pad_width[i] = (before, after)`` along axis i."""
    return np.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _middle(g, pad_width):
    return getitem(g, index=tuple(slice(b, n - a) for (b, a), n in zip(pad_width, g.shape,
                                                                        strict=True)))


defvjp(_pad, lambda g, ans, x, pad_width, constant_values=0: _middle(g, pad_width))
defjvp(_pad, lambda t, ans, x, pad_width, constant_values=0: _pad(t, pad_width=pad_width))

_COPYING_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    """numpy's ``pad``: x with ``pad_width`` elements added before and after along each axis
    (``pad_width`` is an int, a ``(before, after)`` pair, or one pair per axis). Modes:
    ``constant`` (``constant_values``, a number or one (before, after) pair per axis) and the
    modes that copy x's own elements — ``edge``, ``reflect``, ``symmetric``, ``wrap``."""
    shape = shape_of(x)
    try:
        widths = np.broadcast_to(np.asarray(pad_width), (len(shape), 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not give (before, after) for each "
                         f"axis of a tensor of shape {shape}") from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} must be non-negative ints")
    widths = tuple((int(b), int(a)) for b, a in widths)
    if mode == "constant":
        values = np.asarray(constant_values)
        if values.ndim:
            values = tuple(map(tuple, np.broadcast_to(values, (len(shape), 2)).tolist()))
        else:
            values = values.item()
        return _pad(x, pad_width=widths, constant_values=values)
    if mode not in _COPYING_MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use 'constant' or one of "
                         f"{', '.join(map(repr, _COPYING_MODES))}")
    if any(n == 0 and b + a > 0 for n, (b, a) in zip(shape, widths, strict=True)):
        raise ValueError(f"pad: mode {mode!r} cannot pad an empty axis (shape {shape})")
    # where each element of the result is copied from, axis by axis: an index of x
    sources = [np.pad(np.arange(n), w, mode=mode) for n, w in zip(shape, widths, strict=True)]
    return getitem(x, index=np.ix_(*sources))
