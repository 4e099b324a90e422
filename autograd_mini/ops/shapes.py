"""Shapes: reshape, transpose, broadcast — operations that move values without changing them."""

from __future__ import annotations

import numpy as np

from ..broadcasting import broadcast_to, sum_to
from ..primitive import def_linear, defvjp, primitive

__all__ = ["broadcast_to", "mT", "reshape", "sum_to", "transpose"]


@primitive("reshape")
def reshape(x, shape):
    """x with a new shape (a view when possible); ``-1`` infers one dimension."""
    return np.reshape(x, shape)


defvjp(reshape, lambda g, ans, x, shape: reshape(g, shape=x.shape))
def_linear(reshape)


@primitive("transpose")
def transpose(x, axes=None):
    """x with its axes permuted (reversed when ``axes`` is None)."""
    return np.transpose(x, axes)


def _inverse_axes(axes):
    return None if axes is None else tuple(np.argsort([a % len(axes) for a in axes]))


defvjp(transpose, lambda g, ans, x, axes=None: transpose(g, axes=_inverse_axes(axes)))
def_linear(transpose)


def mT(x):
    """x with its last two axes swapped (a batch of matrices transposed)."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return transpose(x, axes=tuple(axes))
