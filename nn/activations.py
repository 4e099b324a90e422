"""The activation functions σ, in one table: for each name, the engine function a layer applies
and the numpy σ and σ′ the hand-derived reference (:mod:`nn.backprop`) uses.

=============  ================  =====================  ==========================
name           engine            numpy σ(z)             σ′(z), from z and a = σ(z)
=============  ================  =====================  ==========================
``sigmoid``    ``ops.sigmoid``   1 / (1 + e^−z)         a (1 − a)
``tanh``       ``ops.tanh``      tanh z                 1 − a²
``relu``       ``ops.relu``      max(z, 0)              [z > 0]
``identity``   none              z                      1
``softmax``    ``ops.softmax``   e^{z_j} / Σₖ e^{z_k}   not elementwise
=============  ================  =====================  ==========================

``softmax`` is output-only: its Jacobian is not elementwise, so the reference uses it only with
the softmax cost, where BP1 is δᴸ = aᴸ − y and σ′ is never needed; an ``MLP`` for that cost has
an ``identity`` output layer and the cost applies the softmax to the logits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from autograd_mini import Tensor, ops

__all__ = [
    "ACTIVATIONS", "ALL_NAMES", "TABLE", "Activation", "log_softmax", "sigmoid", "softmax",
]


def sigmoid(z: npt.ArrayLike) -> np.ndarray:
    """Logistic function ``sigma(z) = 1 / (1 + exp(-z))``, elementwise, same shape as ``z``.

    Evaluated without overflow for any finite ``z`` (no warning at ``z = +-1000``):
    with ``e = exp(-|z|)`` in ``(0, 1]``, ``sigma(z) = 1 / (1 + e)`` for ``z >= 0`` and
    ``sigma(z) = e / (1 + e)`` for ``z < 0``. Keeps a floating input dtype.
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    with np.errstate(under="ignore"):
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)  # e = exp(-|z|), never overflows
        r = e + 1.0
        np.reciprocal(r, out=r)  # r = sigma(|z|)
        e *= r  # e = sigma(-|z|)
        np.copyto(r, e, where=z < 0)
    return r


def softmax(z: npt.ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``softmax(z)_j = exp(z_j - m) / sum_k exp(z_k - m)``.

    ``m`` is the maximum along ``axis`` so no exponential overflows. Same shape as ``z``;
    for a batch ``(N, n)`` in row layout use the default ``axis=-1``.
    """
    z = np.asarray(z)
    with np.errstate(under="ignore"):
        p = z - z.max(axis=axis, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=axis, keepdims=True)
    return p


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``ln softmax(z) = (z - m) - ln sum_k exp(z_k - m)`` along ``axis``; always finite."""
    with np.errstate(under="ignore"):
        s = z - z.max(axis=axis, keepdims=True)
        s -= np.log(np.exp(s).sum(axis=axis, keepdims=True))
    return s


# σ′(z) for the elementwise activations, from z and the saved output a = σ(z); each returns
# a new array (or a boolean mask), so the caller may multiply into it.


def _sigmoid_prime(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    t = 1.0 - a
    t *= a  # a (1 - a)
    return t


def _tanh_prime(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    t = a * a
    np.subtract(1.0, t, out=t)  # 1 - a^2
    return t


def _relu_prime(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return z > 0


def _softmax_prime(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    raise AssertionError("softmax has no elementwise derivative: it is only used with the "
                         "softmax cost, where BP1 is the closed form delta^L = a^L - y")


class Activation(NamedTuple):
    """One activation function σ."""

    name: str
    #: The engine function a layer applies to z (a Tensor); None for the identity.
    engine: Callable[[Tensor], Tensor] | None
    #: Numpy σ of an array of z, rows (N, n) or a column (n, 1) for the elementwise ones.
    sigma: Callable[[np.ndarray], np.ndarray]
    #: Numpy σ′(z) from z and a = σ(z); None for the identity (σ′ = 1: the product is skipped).
    sigma_prime: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    #: Only for the output layer (and only with the softmax cost).
    output_only: bool = False


TABLE: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", ops.sigmoid, sigmoid, _sigmoid_prime),
    "tanh": Activation("tanh", ops.tanh, np.tanh, _tanh_prime),
    "relu": Activation("relu", ops.relu, lambda z: np.maximum(z, 0), _relu_prime),
    "identity": Activation("identity", None, lambda z: z, None),
    "softmax": Activation("softmax", ops.softmax, softmax, _softmax_prime, output_only=True),
}

#: Every activation name, the output-only "softmax" included (``nn.backprop.ACTIVATIONS``).
ALL_NAMES: tuple[str, ...] = tuple(TABLE)

#: The activations a ``Dense`` layer takes, name -> engine function (None for the identity);
#: this is ``nn.ACTIVATIONS``.
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor] | None] = {
    name: act.engine for name, act in TABLE.items() if not act.output_only
}
