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
    """y as an array shaped like the network's output (N, n_L), in its dtype.

    Integer labels (N,) become one-hot rows; for a single output unit (n_L = 1) a vector (N,)
    is the column of target values.
    """
    y = y.data if isinstance(y, Tensor) else np.asarray(y)
    given = y.shape
    if y.ndim == out.ndim - 1 and out.ndim >= 1 and y.shape == out.shape[:-1]:
        if out.shape[-1] == 1:
            y = y[..., None]
        elif y.dtype.kind in "iu":
            y = one_hot(y.reshape(-1), out.shape[-1], out.dtype).reshape(out.shape)
    if y.shape != out.shape:
        raise ValueError(f"{cost} cost: targets of shape {given} do not match the network "
                         f"output of shape {out.shape} (give (N,) integer labels or (N, "
                         f"{out.shape[-1] if out.ndim else 1}) target rows)")
    return y.astype(out.dtype, copy=False)


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
