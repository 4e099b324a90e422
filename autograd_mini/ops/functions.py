"""numpy's elementary functions beyond exp, log and sqrt: trigonometric and hyperbolic functions
and their inverses, exp and log in other bases and near zero, square and reciprocal, hypot and
logaddexp, rounding and remainders, erf and erfc.

Each is declared by its local derivative alone (``def_elementwise``: both rules follow), written
so that it stays finite wherever the derivative is: ``1/hypot(1, x)`` rather than
``1/sqrt(1 + x²)``, whose x² overflows for large x. Rounding (floor, ceil, ``//``) is piecewise
constant: zero gradient, as in PyTorch. Outside a function's domain (arcsin(2), arccosh(0.5),
log2(−1)) the result is NaN with numpy's RuntimeWarning, as numpy and PyTorch give NaN.
"""

from __future__ import annotations

import math

import numpy as np

from ..primitive import def_elementwise, primitive
from .comparisons import clip, equal, where
from .elementwise import def_piecewise_constant, exp, sigmoid, sqrt

__all__ = [  # the functions; normal_pdf is a helper of gelu
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "ceil", "cos", "cosh",
    "erf", "erfc", "exp2", "expm1", "floor", "floor_divide", "hypot", "log10", "log1p", "log2",
    "logaddexp", "mod", "reciprocal", "sin", "sinh", "square", "tan",
]

LN2, LN10 = math.log(2.0), math.log(10.0)

# ---- trigonometric and hyperbolic ------------------------------------------------------------

sin = primitive("sin")(np.sin)
cos = primitive("cos")(np.cos)
tan = primitive("tan")(np.tan)
def_elementwise(sin, lambda ans, x: cos(x))
def_elementwise(cos, lambda ans, x: -sin(x))
def_elementwise(tan, lambda ans, x: 1 + ans * ans)  # sec² = 1 + tan²

hypot = primitive("hypot")(np.hypot)  # √(x² + y²) without overflow; its gradient is NaN at 0
def_elementwise(hypot, lambda ans, x, y: x / ans, lambda ans, x, y: y / ans)


def _inverse_of_hypot_1(x):
    """1/√(1 + x²), as 1/hypot(1, x): no overflow for large x."""
    return 1 / hypot(1, x)


def _inverse_of_1_plus_square(x):
    """1/(1 + x²), as r·r with r = 1/hypot(1, x): no overflow for large x."""
    r = _inverse_of_hypot_1(x)
    return r * r


def _inverse_sqrt_1_minus_square(x):
    """1/√(1 − x²), as 1/√((1 − x)(1 + x)): accurate near ±1."""
    return 1 / sqrt((1 - x) * (1 + x))


arcsin = primitive("arcsin")(np.arcsin)
arccos = primitive("arccos")(np.arccos)
arctan = primitive("arctan")(np.arctan)
def_elementwise(arcsin, lambda ans, x: _inverse_sqrt_1_minus_square(x))
def_elementwise(arccos, lambda ans, x: -_inverse_sqrt_1_minus_square(x))
def_elementwise(arctan, lambda ans, x: _inverse_of_1_plus_square(x))

arctan2 = primitive("arctan2")(np.arctan2)


def _over_squared_radius(a, y, x):
    """a/(x² + y²), as a/r/r with r = hypot(x, y); 0 at the origin, as in PyTorch."""
    r = hypot(x, y)
    r = where(equal(r, 0), 1, r)
    return a / r / r


def_elementwise(arctan2, lambda ans, y, x: _over_squared_radius(x, y, x),
                lambda ans, y, x: _over_squared_radius(-y, y, x))

sinh = primitive("sinh")(np.sinh)
cosh = primitive("cosh")(np.cosh)
def_elementwise(sinh, lambda ans, x: cosh(x))
def_elementwise(cosh, lambda ans, x: sinh(x))

arcsinh = primitive("arcsinh")(np.arcsinh)
arccosh = primitive("arccosh")(np.arccosh)
arctanh = primitive("arctanh")(np.arctanh)
def_elementwise(arcsinh, lambda ans, x: _inverse_of_hypot_1(x))
def_elementwise(arccosh, lambda ans, x: 1 / (sqrt(x - 1) * sqrt(x + 1)))
def_elementwise(arctanh, lambda ans, x: 1 / ((1 - x) * (1 + x)))

# ---- exponentials and logarithms -------------------------------------------------------------

log1p = primitive("log1p")(np.log1p)  # log(1 + x), accurate for small x
expm1 = primitive("expm1")(np.expm1)  # eˣ − 1, accurate for small x
log2 = primitive("log2")(np.log2)
log10 = primitive("log10")(np.log10)
exp2 = primitive("exp2")(np.exp2)
def_elementwise(log1p, lambda ans, x: 1 / (1 + x))
def_elementwise(expm1, lambda ans, x: exp(x))  # not ans + 1, which cancels for x ≪ 0
def_elementwise(log2, lambda ans, x: (1 / LN2) / x)
def_elementwise(log10, lambda ans, x: (1 / LN10) / x)
def_elementwise(exp2, lambda ans, x: ans * LN2)

logaddexp = primitive("logaddexp")(np.logaddexp)  # log(eˣ + eʸ), never overflows
def_elementwise(logaddexp, lambda ans, x, y: sigmoid(x - y), lambda ans, x, y: sigmoid(y - x))

# ---- powers ---------------------------------------------------------------------------------

square = primitive("square")(np.square)
def_elementwise(square, lambda ans, x: 2 * x)


@primitive("reciprocal")
def reciprocal(x):
    """1/x (a float for integer x too, unlike ``np.reciprocal``)."""
    return np.true_divide(1, x)


def_elementwise(reciprocal, lambda ans, x: -(ans * ans))

# ---- rounding and remainders ----------------------------------------------------------------

floor = primitive("floor")(np.floor)
ceil = primitive("ceil")(np.ceil)
floor_divide = primitive("floor_divide")(np.floor_divide)  # x // y = floor(x / y)
def_piecewise_constant(floor)
def_piecewise_constant(ceil)
def_piecewise_constant(floor_divide)


@primitive("mod")
def mod(x, y):
    """x % y = x − y·(x // y), which has the sign of y (numpy's ``mod``/``remainder``, Python's
    ``%``, PyTorch's ``remainder``). ∂/∂x = 1, ∂/∂y = −(x // y)."""
    return np.remainder(x, y)


def_elementwise(mod, lambda ans, x, y: 1, lambda ans, x, y: -floor_divide(x, y))

# ---- the error function ---------------------------------------------------------------------


def _each(fun, x):
    """The C library function ``fun`` (math.erf, math.erfc) applied to each element of x: exact
    to the last bit or so, at about 0.1 µs per element. Floats keep their dtype."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    values = np.fromiter(map(fun, x.ravel().tolist()), np.float64, count=x.size)
    return values.reshape(x.shape).astype(dtype, copy=False)


@primitive("erf")
def erf(x):
    """erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt, elementwise."""
    return _each(math.erf, x)


@primitive("erfc")
def erfc(x):
    """erfc(x) = 1 − erf(x), computed directly: accurate where it is tiny (large x)."""
    return _each(math.erfc, x)


def _gaussian(x, limit):
    """e^(−x²), x clipped to ±limit first (where e^(−x²) is 0 already), so x² never overflows."""
    x = clip(x, -limit, limit)
    return exp(-(x * x))


def normal_pdf(x):
    """φ(x) = e^(−x²/2)/√(2π), the standard normal density."""
    return _gaussian(x * (1 / math.sqrt(2)), 30) * (1 / math.sqrt(2 * math.pi))


def _erf_slope(ans, x):
    """erf′(x) = (2/√π) e^(−x²)."""
    return (2 / math.sqrt(math.pi)) * _gaussian(x, 30)


def_elementwise(erf, _erf_slope)
def_elementwise(erfc, lambda ans, x: -_erf_slope(ans, x))
