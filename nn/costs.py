"""Costs of a mini-batch, each the mean over its N examples (rows).

The cross-entropy costs are computed from the logits z, never from log(a), so no log(0) and no
overflow can occur: given the output of a ``sigmoid`` node, the cross-entropy cost reads that
node's input z from the graph; the softmax cost takes the logits themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_mini import Tensor, ops

from .targets import one_hot, targets

__all__ = [
    "COSTS", "cross_entropy_cost", "get_cost", "one_hot", "output_cost", "quadratic_cost",
    "softmax_cost", "targets",
]


def quadratic_cost(a: Tensor, y: Any) -> Tensor:
    """C = (1/N) Σₙ ½‖aₙ − yₙ‖²."""
    return ops.quadratic_cost(a, targets(y, a, "quadratic"))


def cross_entropy_cost(a: Tensor, y: Any) -> Tensor:
    """C = −(1/N) Σₙ Σⱼ [yⱼ ln aⱼ + (1−yⱼ) ln(1−aⱼ)] for sigmoid outputs a = σ(z).

    When a was recorded as the output of a sigmoid, C is evaluated from its z as
    (1/N) Σ [softplus(z) − y z]: exact, and differentiable. Without a recorded graph (under
    ``no_grad``), it is evaluated from a clipped away from 0 and 1, so no log(0) occurs.
    """
    y = targets(y, a, "cross-entropy")
    if a.op == "sigmoid":
        return ops.bce_with_logits(a.op_args[0], y)
    if a.requires_grad:
        raise ValueError(
            "cross-entropy cost: expects the output of a sigmoid layer (it is computed stably "
            f"from that layer's z); got a tensor made by {a.op or 'the user'}. For logits, use "
            "autograd_mini.bce_with_logits(z, y)."
        )
    tiny = np.finfo(a.dtype).tiny if a.dtype.kind == "f" else np.finfo(float).tiny
    p = np.clip(a.data, tiny, 1 - np.finfo(a.dtype).epsneg)
    n = a.shape[0] if a.ndim > 1 else 1
    return Tensor(-(np.vdot(y, np.log(p)) + np.vdot(1 - y, np.log1p(-p))) / n, dtype=a.dtype)


def softmax_cost(z: Tensor, y: Any) -> Tensor:
    """Log-likelihood of a softmax output layer from its logits z (like PyTorch's
    ``CrossEntropyLoss``): C = −(1/N) Σₙ ln softmax(zₙ)_{yₙ}, never taking log(0)."""
    if z.op == "softmax":
        raise ValueError("softmax cost: takes the logits z, not softmax(z); pass the output of "
                         "a layer with activation='identity'")
    return ops.softmax_cross_entropy(z, targets(y, z, "softmax"))


def output_cost(name: str, z: Tensor, a: Tensor, y: Any) -> Tensor:
    """The cost ``name`` of a batch from the output layer's z and a = σ(z): quadratic from a,
    cross-entropy (sigmoid outputs) and softmax from z — exact also under ``no_grad``, where no
    recorded graph leads from a back to z."""
    get_cost(name)
    if name == "quadratic":
        return quadratic_cost(a, y)
    if name == "cross-entropy":
        return ops.bce_with_logits(z, targets(y, z, name))
    return softmax_cost(z, y)


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
