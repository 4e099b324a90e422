"""Products of arrays: ``matmul`` (the ``@`` operator), ``tensordot``, and numpy's ``dot``,
``inner`` and ``outer`` made of them.

Products are linear in each operand separately (``def_multilinear``): the forward rule for
operand i is the product with operand i replaced by its tangent. The reverse rule for an operand
is a product of the gradient with the other operand, contracted over the other operand's own
axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import def_multilinear, defvjp, defvjp_argnum, primitive
from ..tensor_base import TensorBase
from .arithmetic import multiply
from .shapes import mT, normalize_axis, ravel, reshape, shape_of, transpose


def _explain_matmul(args, params, err):
    """Which dimensions of which operand disagree, in place of numpy's signature message."""
    if len(args) != 2:
        return None
    a, b = (np.shape(x._data if isinstance(x, TensorBase) else x) for x in args)
    if not a or not b:
        return ValueError(f"matmul: operands must have at least one dimension, got shapes "
                          f"{a} and {b}")
    inner_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner_b:
        return ValueError(
            f"matmul: shapes {a} and {b} are not aligned: the last dimension of the left "
            f"operand ({a[-1]}) must equal the {'only' if len(b) == 1 else 'second-to-last'}"
            f" dimension of the right operand ({inner_b})"
        )
    return ValueError(f"matmul: the batch dimensions {a[:-2]} and {b[:-2]} of shapes {a} "
                      f"and {b} cannot be broadcast together")


matmul = primitive("matmul", explain=_explain_matmul)(np.matmul)


def col(x):
    """x with a new last axis of length 1: vectors as columns."""
    return reshape(x, shape=x.shape + (1,))


def _row(x):
    return reshape(x, shape=x.shape[:-1] + (1,) + x.shape[-1:])


def _matmul_vjp_a(g, ans, a, b):
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)   [a vector when a is one too]
        return col(g) * b if a.ndim > 1 else g * b
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        return reshape(matmul(b, col(g)), shape=g.shape[:-1] + (b.shape[-2],))
    return matmul(g, mT(b))


def _matmul_vjp_b(g, ans, a, b):
    if a.ndim == 1:  # (k,) @ (..., k, m): the outer product a gᵀ
        return g * a if b.ndim == 1 else col(a) * _row(g)
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        return reshape(matmul(mT(a), col(g)), shape=a.shape[:-2] + a.shape[-1:])
    return matmul(mT(a), g)


defvjp(matmul, _matmul_vjp_a, _matmul_vjp_b)
def_multilinear(matmul)


# ---- tensordot --------------------------------------------------------------------------------


@primitive("tensordot")
def _tensordot(a, b, axes):
    """Σ over the paired axes ``axes = (axes of a, axes of b)`` of a ⊗ b: the result has a's
    other axes, then b's other axes."""
    return np.tensordot(a, b, axes)


def _tensordot_vjp(argnum, g, ans, a, b, axes):
    """g contracted with the other operand over that operand's free axes, then the axes put
    back in the operand's order. The paired axes come out in the other operand's order."""
    (ax_a, ax_b), nd_a, nd_b = axes, len(a.shape), len(b.shape)
    free_a = [i for i in range(nd_a) if i not in ax_a]
    free_b = [i for i in range(nd_b) if i not in ax_b]
    n_a = len(free_a)
    if argnum == 0:
        r = _tensordot(g, b, axes=(tuple(range(n_a, n_a + len(free_b))), tuple(free_b)))
        order = free_a + [ax_a[k] for k in sorted(range(len(ax_b)), key=lambda k: ax_b[k])]
    else:
        r = _tensordot(a, g, axes=(tuple(free_a), tuple(range(n_a))))
        order = [ax_b[k] for k in sorted(range(len(ax_a)), key=lambda k: ax_a[k])] + free_b
    perm = tuple(int(i) for i in np.argsort(order))
    return r if perm == tuple(range(len(perm))) else transpose(r, perm)


defvjp_argnum(_tensordot, _tensordot_vjp)
def_multilinear(_tensordot)


def _pairs(axes: Any, sa: tuple, sb: tuple) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """numpy's ``axes`` (an int n: a's last n with b's first n; or two sequences) normalized,
    with the paired lengths checked."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(len(sa), len(sb)):
            raise ValueError(f"tensordot: cannot contract {n} axes of shapes {sa} and {sb}")
        pa, pb = tuple(range(len(sa) - n, len(sa))), tuple(range(n))
    else:
        try:
            xa, xb = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or a pair of axis sequences, "
                             f"not {axes!r}") from None
        xa = tuple(xa) if isinstance(xa, (tuple, list)) else (xa,)
        xb = tuple(xb) if isinstance(xb, (tuple, list)) else (xb,)
        if len(xa) != len(xb):
            raise ValueError(f"tensordot: {len(xa)} axes of a {xa} but {len(xb)} of b {xb}")
        pa = tuple(normalize_axis("tensordot", i, sa) for i in xa)
        pb = tuple(normalize_axis("tensordot", i, sb) for i in xb)
    for i, j in zip(pa, pb, strict=True):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: axis {i} of a (length {sa[i]}, shape {sa}) and axis "
                             f"{j} of b (length {sb[j]}, shape {sb}) differ")
    return pa, pb


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """numpy's ``tensordot``: Σ over paired axes of a and b of their product. ``axes=n`` pairs
    a's last n axes with b's first n; ``axes=([i, ...], [j, ...])`` pairs axis i of a with
    axis j of b. The result has a's unpaired axes, then b's."""
    return _tensordot(a, b, axes=_pairs(axes, shape_of(a), shape_of(b)))


def dot(a: Any, b: Any) -> Any:
    """numpy's ``dot``: a·b for scalars; the inner product of vectors; the matrix product of
    matrices (and matrix-vector); for more dimensions, Σ over the last axis of a and the
    second-to-last of b (the last when b is a vector)."""
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return multiply(a, b)
    k = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != k:
        raise ValueError(f"dot: shapes {sa} and {sb} are not aligned: the last axis of a "
                         f"({sa[-1]}) must equal the {'only' if len(sb) == 1 else 'second-to-last'}"
                         f" axis of b ({k})")
    if len(sa) <= 2 and len(sb) <= 2:
        return matmul(a, b)
    return tensordot(a, b, ((-1,), (max(len(sb) - 2, 0),)))


def inner(a: Any, b: Any) -> Any:
    """numpy's ``inner``: Σ over the last axes of a and b (a·b for scalars): for vectors
    Σᵢ aᵢbᵢ, for matrices a bᵀ."""
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return multiply(a, b)
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: the last axes of shapes {sa} and {sb} differ ({sa[-1]} and "
                         f"{sb[-1]})")
    return tensordot(a, b, ((-1,), (-1,)))


def outer(a: Any, b: Any) -> Any:
    """numpy's ``outer``: the matrix of products aᵢbⱼ of the elements of a and b (flattened)."""
    return multiply(col(ravel(a)), ravel(b))
