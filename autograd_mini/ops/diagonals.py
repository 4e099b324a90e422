"""Diagonals and triangles of matrices: diagonal, diag, trace, triu, tril.

Two primitives, each the other's reverse rule, carry diagonals: ``diagonal`` reads the
``offset``-th diagonal of x (over ``axis1``, ``axis2``) and ``diag_embed`` writes a vector onto
the diagonal of a zero array. numpy's ``diag`` is one or the other depending on the rank;
``trace`` is the sum of a ``diagonal``. ``triu`` and ``tril`` keep a triangle and zero the rest
(their reverse rule keeps the same triangle of the gradient). All are linear.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import def_linear, defvjp, primitive
from .reductions import sum
from .shapes import normalize_axis, shape_of


def _diagonal_index(n, offset):
    """(rows, cols) of the ``offset``-th diagonal with ``n`` elements."""
    i = np.arange(n)
    return (i, i + offset) if offset >= 0 else (i - offset, i)


@primitive("diagonal")
def _diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset``-th diagonal of x over the axes ``axis1``, ``axis2`` (a copy), as the last
    axis of the result: ``diagonal(x)[..., i] = x[i, i + offset, ...]``."""
    return np.diagonal(x, offset, axis1, axis2).copy()


@primitive("diag_embed")
def diag_embed(g, shape, offset=0, axis1=0, axis2=1):
    """A zero array of ``shape`` with the last axis of g written onto its ``offset``-th
    diagonal over ``axis1``, ``axis2`` (the reverse of ``diagonal``)."""
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    view[(...,) + _diagonal_index(g.shape[-1], offset)] = g
    return out


defvjp(_diagonal, lambda g, ans, x, offset=0, axis1=0, axis2=1:
       diag_embed(g, shape=x.shape, offset=offset, axis1=axis1, axis2=axis2))
defvjp(diag_embed, lambda g, ans, x, shape, offset=0, axis1=0, axis2=1:
       _diagonal(g, offset=offset, axis1=axis1, axis2=axis2))
def_linear(_diagonal)
def_linear(diag_embed)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """numpy's ``diagonal``: the ``offset``-th diagonal (above the main one when positive) over
    ``axis1`` and ``axis2``; the other axes come first, the diagonal last."""
    shape = shape_of(x)
    if len(shape) < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {shape}")
    a1, a2 = normalize_axis("diagonal", axis1, shape), normalize_axis("diagonal", axis2, shape)
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 are the same axis ({a1}) of shape {shape}")
    return _diagonal(x, offset=int(offset), axis1=a1, axis2=a2)


def diag(v: Any, k: int = 0) -> Any:
    """numpy's ``diag``, both ways: of a vector, the square matrix with v on its k-th diagonal;
    of a matrix, its k-th diagonal (a vector)."""
    shape = shape_of(v)
    if len(shape) == 1:
        n = shape[0] + abs(int(k))
        return diag_embed(v, shape=(n, n), offset=int(k))
    if len(shape) == 2:
        return _diagonal(v, offset=int(k))
    raise ValueError(f"diag: needs a vector or a matrix, got shape {shape}")


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The sum of the ``offset``-th diagonal over ``axis1``, ``axis2`` (one per remaining
    index for more than 2 dimensions): ``trace(A) = Σᵢ Aᵢᵢ``."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


# ---- triangles --------------------------------------------------------------------------------


@primitive("triu")
def _triu(x, k=0):
    """x with the elements below its k-th diagonal set to 0 (over the last two axes)."""
    return np.triu(x, k)


@primitive("tril")
def _tril(x, k=0):
    """x with the elements above its k-th diagonal set to 0 (over the last two axes)."""
    return np.tril(x, k)


defvjp(_triu, lambda g, ans, x, k=0: _triu(g, k=k))
defvjp(_tril, lambda g, ans, x, k=0: _tril(g, k=k))
def_linear(_triu)
def_linear(_tril)


def _triangle(prim, x, k):
    shape = shape_of(x)
    if len(shape) < 2:
        raise ValueError(f"{prim.name}: needs at least 2 dimensions, got shape {shape}")
    return prim(x, k=int(k))


def triu(x: Any, k: int = 0) -> Any:
    """The upper triangle of x: its k-th diagonal and above (over the last two axes), 0 below."""
    return _triangle(_triu, x, k)


def tril(x: Any, k: int = 0) -> Any:
    """The lower triangle of x: its k-th diagonal and below (over the last two axes), 0 above."""
    return _triangle(_tril, x, k)
