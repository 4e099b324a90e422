"""Activation functions with PyTorch's definitions and parameters: softplus, leaky_relu, elu,
gelu (sigmoid, tanh and relu are in ``elementwise.py``). Each is one primitive declared by its
local derivative; none overflows, whatever x."""

from __future__ import annotations

import math

import numpy as np

from ..primitive import def_elementwise, primitive
from .comparisons import clip, greater, minimum, where
from .elementwise import exp, sigmoid
from .functions import erfc, normal_pdf


def _constant(value, x):
    """``value`` in x's dtype, so that a float32 derivative stays float32."""
    return np.asarray(value, dtype=x.dtype)


@primitive("softplus")
def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(βx))/β, computed as logaddexp(0, βx)/β (never overflows); where βx >
    threshold, x itself (PyTorch's cut-off: the difference is below e^(−threshold)/β)."""
    bx = x * beta
    return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)


def_elementwise(softplus, lambda ans, x, beta=1.0, threshold=20.0:
                where(greater(x * beta, threshold), 1, sigmoid(x * beta)))


@primitive("leaky_relu")
def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, negative_slope·x elsewhere (slope negative_slope at 0, as in PyTorch)."""
    return np.where(x > 0, x, x * negative_slope)


def_elementwise(leaky_relu, lambda ans, x, negative_slope=0.01:
                where(greater(x, 0), 1, _constant(negative_slope, x)))


@primitive("elu")
def elu(x, alpha=1.0):
    """x where x > 0, α(eˣ − 1) elsewhere (eˣ of min(x, 0) only, so it never overflows)."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def_elementwise(elu, lambda ans, x, alpha=1.0:
                where(greater(x, 0), 1, alpha * exp(minimum(x, 0))))

# gelu's tanh form: Φ(x) ≈ ½(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), computed as σ(2u) (the
# same number, without the cancellation of 1 + tanh(u) for x ≪ 0). Beyond |x| = 30, σ(2u) is 0
# or 1 exactly in float32 and float64, so x is clipped there: the same values, no x³ overflow.
_K, _C, _TANH_LIMIT = math.sqrt(2 / math.pi), 0.044715, 30.0


def _tanh_form(x):
    """(x clipped to ±30, 2u of it)."""
    x = clip(x, -_TANH_LIMIT, _TANH_LIMIT)
    return x, (2 * _K) * (x + _C * (x * x * x))


def _normal_cdf(x, approximate):
    """Φ(x) = ½erfc(−x/√2) (approximate="none"; erfc keeps the tail x ≪ 0 exact, where
    ½(1 + erf) would cancel) or ½(1 + tanh(u)) = σ(2u) (approximate="tanh")."""
    if approximate == "tanh":
        return sigmoid(_tanh_form(x)[1])
    if approximate == "none":
        return 0.5 * erfc(x * (-1 / math.sqrt(2)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")


@primitive("gelu")
def gelu(x, approximate="none"):
    """x·Φ(x), Φ the standard normal distribution function: exactly, ½x(1 + erf(x/√2)), or
    with approximate="tanh", ½x(1 + tanh(√(2/π)(x + 0.044715x³))) — PyTorch's two forms (see
    ``_normal_cdf`` for how they are computed)."""
    return x * _normal_cdf(x, approximate)


def _gelu_slope(ans, x, approximate="none"):
    """Φ(x) + x·Φ′(x), Φ′ = φ (exact) or, for the tanh form, 2σ(2u)σ(−2u)·u′(x)."""
    if approximate == "tanh":
        xc, two_u = _tanh_form(x)
        cdf = sigmoid(two_u)
        return cdf + (2 * _K) * xc * cdf * sigmoid(-two_u) * (1 + (3 * _C) * (xc * xc))
    return _normal_cdf(x, approximate) + x * normal_pdf(x)


def_elementwise(gelu, _gelu_slope)
