"""Arithmetic: ``+ - * / **`` and negation.

Each computes with Python's operator rather than numpy's ufunc (``operator.mul``, not
``np.multiply``): on arrays the two are the same, but on numpy scalars — the values of 0-d
tensors — the operator takes numpy's scalar fast path, about ten times faster than a ufunc call.
"""

from __future__ import annotations

import operator

import numpy as np

from ..primitive import (
    def_elementwise,
    def_linear,
    def_multilinear,
    defvjp,
    primitive,
)
from ..tensor_base import TensorBase
from .elementwise import log

add = primitive("add")(operator.add)
defvjp(add, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
def_linear(add)

subtract = primitive("sub")(operator.sub)
defvjp(subtract, lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
def_linear(subtract)

negative = primitive("neg")(operator.neg)
defvjp(negative, lambda g, ans, x: -g)
def_linear(negative)

multiply = primitive("mul")(operator.mul)
defvjp(multiply, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
def_multilinear(multiply)

divide = primitive("div")(operator.truediv)
def_elementwise(divide, lambda ans, x, y: 1 / y, lambda ans, x, y: -ans / y)

power = primitive("pow")(operator.pow)
is_zero = primitive("is_zero", differentiable=False)(lambda x: np.equal(x, 0))


def _log_base(x):
    """log x, but 0 where x = 0: there xʸ is flat in y (0ʸ = 0 for y > 0), so d(xʸ)/dy = 0."""
    return log(x + is_zero(x))


def _pow_dx(ans, x, y):
    """∂xʸ/∂x = y·xʸ⁻¹, which is 0 where y = 0 (xʸ = 1 for every x), also at x = 0 and at
    subnormal x, where xʸ⁻¹ = 1/x overflows and y·xʸ⁻¹ would be 0·∞ = nan. A constant
    exponent 0 gives 0 outright (as PyTorch). Elsewhere x is moved to x + 1 where y = 0 and
    |x| is below the smallest normal number: the value there stays 0, and the shift is a
    constant, so the derivatives of this rule (create_graph) are those of y·xʸ⁻¹ — in x zero,
    as they should be; in y, 1/x for every x whose inverse is finite."""
    if not isinstance(y, (TensorBase, np.ndarray)):  # a constant number: x ** 2, x ** 0
        if y == 2:  # the usual square: 2·x, without computing x ** 1
            return 2 * x
        return y * x ** (y - 1) if y != 0 else 0
    xv, yv = (a._data if isinstance(a, TensorBase) else a for a in (x, y))
    tiny = (yv == 0) & (np.abs(xv) < np.finfo(xv.dtype).tiny)
    if tiny.any():
        x = x + tiny.astype(xv.dtype)
    return y * x ** (y - 1)


def_elementwise(power, _pow_dx, lambda ans, x, y: ans * _log_base(x))
