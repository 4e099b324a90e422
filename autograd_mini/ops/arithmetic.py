"""Arithmetic: ``+ - * / **`` and negation."""

from __future__ import annotations

import numpy as np

from ..primitive import (
    def_elementwise,
    def_linear,
    def_multilinear,
    defvjp,
    primitive,
)
from .elementwise import log

add = primitive("add")(np.add)
defvjp(add, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
def_linear(add)

subtract = primitive("sub")(np.subtract)
defvjp(subtract, lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
def_linear(subtract)

negative = primitive("neg")(np.negative)
defvjp(negative, lambda g, ans, x: -g)
def_linear(negative)

multiply = primitive("mul")(np.multiply)
defvjp(multiply, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
def_multilinear(multiply)

divide = primitive("div")(np.true_divide)
def_elementwise(divide, lambda ans, x, y: 1 / y, lambda ans, x, y: -ans / y)

power = primitive("pow")(np.power)
is_zero = primitive("is_zero", differentiable=False)(lambda x: np.equal(x, 0))


def _log_base(x):
    """log x, but 0 where x = 0: there xʸ is flat in y (0ʸ = 0 for y > 0), so d(xʸ)/dy = 0."""
    return log(x + is_zero(x))


def_elementwise(power, lambda ans, x, y: y * x ** (y - 1), lambda ans, x, y: ans * _log_base(x))
