"""Fused primitives for dense networks: one node for a layer's ``x Wᵀ + b`` and one for each
cost, so a training step records few operations.

The costs take what they need explicitly — the output ``a`` (quadratic) or the logits ``z``
(the cross-entropies, which never take log 0) — and are means over the N rows of a batch.
"""

from __future__ import annotations

import numpy as np

from ..primitive import defjvp, defvjp, primitive
from .elementwise import sigmoid
from .products import col, matmul
from .reductions import log_softmax, softmax, sum
from .shapes import mT, reshape, shape_of


@primitive("affine")
def affine(x, w, b):
    """z = x Wᵀ + b for a batch of rows x (N, n_in), W (n_out, n_in), b (n_out,) -> (N, n_out).
    (For one example, x (n_in,) gives z = W x + b.)"""
    z = np.matmul(x, w.T)
    z += b
    return z


def _affine_vjp_w(g, ans, x, w, b):
    if x.ndim == 1:
        return col(g) * x  # δ xᵀ
    if x.ndim > 2:  # a stack of batches: one batch of rows
        g, x = reshape(g, shape=(-1, g.shape[-1])), reshape(x, shape=(-1, x.shape[-1]))
    return g.T @ x  # Σₙ δₙ xₙᵀ


defvjp(affine, lambda g, ans, x, w, b: matmul(g, w), _affine_vjp_w, lambda g, ans, x, w, b: g)
defjvp(affine, lambda t, ans, x, w, b: matmul(t, mT(w)),
       lambda t, ans, x, w, b: matmul(x, mT(t)), lambda t, ans, x, w, b: t)


def _batch(a):
    return a.shape[0] if a.ndim > 1 else 1


def _same_shape(name, a, y):
    if shape_of(a) != shape_of(y):
        raise ValueError(f"{name}: the output has shape {np.shape(a)} but the targets have shape "
                         f"{np.shape(y)}; they must be equal")


def _cost(name, fun, dsum_dout, dsum_dy):
    """A cost primitive J(out, y) = S(out, y) / N, the mean over the N rows, from the two
    partial derivatives of the sum S (arrays shaped like out): reverse rule ``(g/N) · ∂S/∂out``
    (the scalar divided, not the array), forward rule ``Σ t · ∂S/∂out / N`` — each fact
    written once."""
    prim = primitive(name)(fun)
    defvjp(prim, lambda g, ans, o, y: dsum_dout(o, y) * (g / _batch(o)),
           lambda g, ans, o, y: dsum_dy(o, y) * (g / _batch(o)))
    defjvp(prim, lambda t, ans, o, y: sum(t * dsum_dout(o, y)) / _batch(o),
           lambda t, ans, o, y: sum(t * dsum_dy(o, y)) / _batch(o))
    return prim


def _quadratic_cost(a, y):
    """J = (1/N) Σₙ ½‖aₙ − yₙ‖² for a batch of N rows (one example when a is a vector)."""
    _same_shape("quadratic_cost", a, y)
    d = a - y
    return np.asarray(0.5 * np.vdot(d, d) / _batch(a))


quadratic_cost = _cost("quadratic_cost", _quadratic_cost, lambda a, y: a - y, lambda a, y: y - a)


def _bce_with_logits(z, y):
    """Binary cross-entropy of a = σ(z) against y, from the logits z:
    J = (1/N) Σₙ Σⱼ −[y ln a + (1−y) ln(1−a)] = (1/N) Σ [softplus(z) − y z]  (never log 0)."""
    _same_shape("bce_with_logits", z, y)
    return np.asarray((np.sum(np.logaddexp(0, z)) - np.vdot(y, z)) / _batch(z))


bce_with_logits = _cost("bce_with_logits", _bce_with_logits,
                        lambda z, y: sigmoid(z) - y, lambda z, y: -z)


def _softmax_cross_entropy(z, y):
    """Log-likelihood cost of softmax(z) against target distributions y (one-hot rows):
    J = −(1/N) Σₙ Σⱼ yⱼ ln softmax(z)ⱼ, from the logits z. A class with yⱼ = 0 adds 0 even
    where softmax(z)ⱼ underflows to 0 (ln 0 = −∞ would make it nan: 0 · ln 0 = 0, its limit)."""
    _same_shape("softmax_cross_entropy", z, y)
    log_p = log_softmax(z, axis=-1)
    cost = -np.vdot(y, log_p)
    if np.isnan(cost) and np.isneginf(log_p).any():
        log_p[y == 0] = 0
        cost = -np.vdot(y, log_p)
    return np.asarray(cost / _batch(z))


softmax_cross_entropy = _cost(
    "softmax_cross_entropy", _softmax_cross_entropy,
    lambda z, y: softmax(z) * sum(y, axis=-1, keepdims=True) - y,
    lambda z, y: -log_softmax(z))

