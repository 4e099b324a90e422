"""Elementwise functions, each declared by its local derivative alone (both rules follow)."""

from __future__ import annotations

import numpy as np

from ..primitive import (
    def_elementwise,
    def_linear,
    defjvp_argnum,
    defvjp,
    defvjp_argnum,
    primitive,
)

exp = primitive("exp")(np.exp)
def_elementwise(exp, lambda ans, x: ans)

log = primitive("log")(np.log)
def_elementwise(log, lambda ans, x: 1 / x)

sqrt = primitive("sqrt")(np.sqrt)
def_elementwise(sqrt, lambda ans, x: 0.5 / ans)

zeros_like = primitive("zeros_like", differentiable=False)(np.zeros_like)


def def_piecewise_constant(prim):
    """``prim`` is piecewise constant in every operand (sign, floor, ceil, ``//``): its
    derivative is zero wherever it exists, and zero is used at the jumps too (as in PyTorch).
    The rules give zeros, even where the incoming gradient is inf or nan."""
    defvjp_argnum(prim, lambda argnum, g, ans, *args, **params: zeros_like(g))
    defjvp_argnum(prim, lambda argnum, t, ans, *args, **params: zeros_like(t))


sign = primitive("sign")(np.sign)
def_piecewise_constant(sign)
positive_mask = primitive("positive_mask", differentiable=False)(lambda x: x > 0)

absolute = primitive("abs")(np.abs)
def_elementwise(absolute, lambda ans, x: sign(x))


@primitive("sigmoid")
def sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ). Where e⁻ˣ overflows to inf the result is exactly 0, its true
    limit, so the overflow is expected and not reported."""
    e = np.negative(x)
    if type(e) is not np.ndarray or e.dtype.kind != "f":  # 0-d results are numpy scalars
        e = np.array(e, dtype=np.result_type(e, np.float32))
    with np.errstate(over="ignore", under="ignore"):
        np.exp(e, out=e)
    e += 1.0
    return np.reciprocal(e, out=e)


def_elementwise(sigmoid, lambda ans, x: ans * (1 - ans))  # σ′ = σ(1 − σ), from the output

tanh = primitive("tanh")(np.tanh)
def_elementwise(tanh, lambda ans, x: 1 - ans * ans)

relu = primitive("relu")(lambda x: np.maximum(x, 0))
def_elementwise(relu, lambda ans, x: positive_mask(x))


@primitive("cast")
def cast(x, dtype):
    """x converted to ``dtype``."""
    return x.astype(dtype)


defvjp(cast, lambda g, ans, x, dtype: cast(g, dtype=x.dtype))
def_linear(cast)
