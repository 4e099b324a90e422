"""Costs of a mini-batch, each the mean over its N examples (rows).

The cross-entropy costs are computed from the logits z, never from log(a), so no log(0) and no
overflow can occur: given the output of a ``sigmoid`` (or ``softmax``) node, the cost reads that
node's input z from the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_mini import Tensor, ops


def one_hot(labels: Any, n: int, dtype: Any = np.float64) -> np.ndarray:
    """Integer labels (N,) as rows of an (N, n) matrix with a single 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"one_hot: labels must be a 1-d integer array, got {labels.dtype} "
                         f"of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"one_hot: labels must lie in 0..{n - 1}, found {labels.min()}.."
                         f"{labels.max()}")
    out = np.zeros((labels.size, n), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def targets(y: Any, out: Tensor, cost: str) -> np.ndarray:
    """y as an array shaped like the network's output: integer labels become one-hot rows."""
    y = y.data if isinstance(y, Tensor) else np.asarray(y)
    if y.dtype.kind in "iu" and y.ndim == out.ndim - 1:
        y = one_hot(y, out.shape[-1], out.dtype)
    if y.shape != out.shape:
        raise ValueError(f"{cost} cost: targets of shape {y.shape} do not match the network "
                         f"output of shape {out.shape}")
    return y


def quadratic_cost(a: Tensor, y: Any) -> Tensor:
    """C = (1/N) Σₙ ½‖aₙ − yₙ‖²."""
    return ops.quadratic_cost(a, targets(y, a, "quadratic"))


def cross_entropy_cost(a: Tensor, y: Any) -> Tensor:
    """C = −(1/N) Σₙ Σⱼ [yⱼ ln aⱼ + (1−yⱼ) ln(1−aⱼ)] for sigmoid outputs a = σ(z), evaluated
    from z as (1/N) Σ [softplus(z) − y z]."""
    if a.op != "sigmoid":
        raise ValueError(
            "cross-entropy cost: expects the output of a sigmoid layer (it is computed stably "
            f"from that layer's z); got a tensor made by {a.op or 'the user'}. For logits, use "
            "autograd_mini.bce_with_logits(z, y)."
        )
    z = a.op_args[0]
    return ops.bce_with_logits(z, targets(y, a, "cross-entropy"))


def softmax_cost(z: Tensor, y: Any) -> Tensor:
    """Log-likelihood of a softmax output layer: C = −(1/N) Σₙ ln softmax(zₙ)_{yₙ}, from the
    logits z (or from a tensor made by ``softmax``, whose input is used)."""
    if z.op == "softmax":
        z = z.op_args[0]
    return ops.softmax_cross_entropy(z, targets(y, z, "softmax"))


COSTS: dict[str, Callable[[Tensor, Any], Tensor]] = {
    "quadratic": quadratic_cost,
    "cross-entropy": cross_entropy_cost,
    "softmax": softmax_cost,
}


def get_cost(name: str) -> Callable[[Tensor, Any], Tensor]:
    """The cost function called ``name`` ("quadratic", "cross-entropy" or "softmax")."""
    try:
        return COSTS[name]
    except KeyError:
        raise ValueError(f"unknown cost {name!r}; choose from {tuple(COSTS)}") from None
