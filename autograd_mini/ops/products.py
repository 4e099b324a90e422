"""Products of arrays: ``matmul`` (the ``@`` operator)."""

from __future__ import annotations

import numpy as np

from ..primitive import def_multilinear, defvjp, primitive
from ..tensor_base import TensorBase
from .shapes import mT, reshape


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
