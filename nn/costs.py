"""Costs of a mini-batch, each the mean over its N examples (rows), and the one table of cost
names (:data:`COST_TABLE`) that says what each takes.

=================  =============================  =====================================
name               takes                          C (mean over the rows n)
=================  =============================  =====================================
``quadratic``      the output a                   (1/N) Σₙ ½‖aₙ − yₙ‖²
``cross-entropy``  the logits z of a sigmoid      (1/N) Σₙ Σⱼ [softplus(z) − y z]
                   output layer, a = σ(z)         = −(1/N) Σ [y ln a + (1−y) ln(1−a)]
``softmax``        the logits z                   −(1/N) Σₙ ln softmax(zₙ)_{yₙ}
=================  =============================  =====================================

Each cost takes what it needs explicitly, so the cross-entropy costs are computed from z, never
from log(a): no log(0), no overflow, exact under ``no_grad`` too. Call them as
:func:`quadratic_cost` (a, y), :func:`sigmoid_cross_entropy_cost` (z, y), :func:`softmax_cost`
(z, y), or by name with the output layer's z and a: :func:`output_cost` (name, z, a, y).

Compatibility: :func:`get_cost` / :data:`COSTS` give each cost as a function of the network's
output ``model(x)`` (a, or the logits for an identity output layer). For "cross-entropy" that is
:func:`cross_entropy_cost`, which reads z back from a recorded sigmoid: prefer the forms above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from autograd_mini import Tensor, ops

from .targets import one_hot, targets

__all__ = [
    "COSTS", "COST_NAMES", "COST_TABLE", "Cost", "check_output_activation", "cost_spec",
    "cross_entropy_cost", "get_cost", "one_hot", "output_cost", "quadratic_cost",
    "sigmoid_cross_entropy_cost", "softmax_cost", "targets",
]


def quadratic_cost(a: Tensor, y: Any) -> Tensor:
    """C = (1/N) Σₙ ½‖aₙ − yₙ‖² of the output a (N, n_L)."""
    return ops.quadratic_cost(a, targets(y, a, "quadratic"))


def sigmoid_cross_entropy_cost(z: Tensor, y: Any) -> Tensor:
    """Cross-entropy of sigmoid outputs a = σ(z), from the logits z (N, n_L):
    C = −(1/N) Σₙ Σⱼ [yⱼ ln aⱼ + (1−yⱼ) ln(1−aⱼ)], evaluated as (1/N) Σ [softplus(z) − y z]:
    exact at any z, and the same with or without a recorded graph."""
    return ops.bce_with_logits(z, targets(y, z, "cross-entropy"))


def softmax_cost(z: Tensor, y: Any) -> Tensor:
    """Log-likelihood of a softmax output layer from its logits z (like PyTorch's
    ``CrossEntropyLoss``): C = −(1/N) Σₙ ln softmax(zₙ)_{yₙ}, never taking log(0)."""
    if z.op == "softmax":
        raise ValueError("softmax cost: takes the logits z, not softmax(z); pass the output of "
                         "a layer with activation='identity'")
    return ops.softmax_cross_entropy(z, targets(y, z, "softmax"))


class Cost(NamedTuple):
    """One cost: what it takes and the output layer an ``MLP`` trained with it has."""

    name: str
    #: "a": computed from the output a = σ(z); "z": from the output layer's logits z.
    takes: str
    #: The explicit cost function, called with z or a as ``takes`` says, and the targets y.
    function: Callable[[Tensor, Any], Tensor]
    #: The output layer's activation (None: the same as the hidden layers').
    output_activation: str | None


COST_TABLE: dict[str, Cost] = {
    "quadratic": Cost("quadratic", "a", quadratic_cost, None),
    "cross-entropy": Cost("cross-entropy", "z", sigmoid_cross_entropy_cost, "sigmoid"),
    "softmax": Cost("softmax", "z", softmax_cost, "identity"),
}

#: The cost names (``nn.backprop.COSTS``).
COST_NAMES: tuple[str, ...] = tuple(COST_TABLE)


def cost_spec(name: str) -> Cost:
    """The :class:`Cost` called ``name``; ``ValueError`` naming the choices if there is none."""
    try:
        return COST_TABLE[name]
    except KeyError:
        raise ValueError(f"unknown cost {name!r}; choose from {COST_NAMES}") from None


def output_cost(name: str, z: Tensor, a: Tensor, y: Any) -> Tensor:
    """The cost ``name`` of a batch from the output layer's z and a = σ(z) (both (N, n_L)):
    quadratic from a, cross-entropy (sigmoid outputs) and softmax from z — exact also under
    ``no_grad``, where no recorded graph leads from a back to z."""
    cost = cost_spec(name)
    return cost.function(z if cost.takes == "z" else a, y)


def check_output_activation(name: str, activation: str, caller: str) -> None:
    """Refuse the cross-entropy cost on an output layer that is not a sigmoid: the cost reads
    the layer's z as the logits of a = σ(z)."""
    if name == "cross-entropy" and activation != "sigmoid":
        raise ValueError(f"{caller}: the cross-entropy cost needs a sigmoid output layer, got "
                         f"{activation!r}")


# --------------------------------------------------------------------------------------
# Compatibility: costs as functions of the network's output
# --------------------------------------------------------------------------------------


def cross_entropy_cost(a: Tensor, y: Any) -> Tensor:
    """Compatibility function: the cross-entropy of sigmoid outputs a = σ(z), given a.

    Reads z from a recorded sigmoid (``a.op == "sigmoid"``): prefer
    :func:`sigmoid_cross_entropy_cost` (z, y) or :func:`output_cost`, which take z explicitly.

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
            "nn.sigmoid_cross_entropy_cost(z, y)."
        )
    tiny = np.finfo(a.dtype).tiny if a.dtype.kind == "f" else np.finfo(float).tiny
    p = np.clip(a.data, tiny, 1 - np.finfo(a.dtype).epsneg)
    n = a.shape[0] if a.ndim > 1 else 1
    return Tensor(-(np.vdot(y, np.log(p)) + np.vdot(1 - y, np.log1p(-p))) / n, dtype=a.dtype)


#: Each cost as a function of the network's output ``model(x)``: a for "quadratic" and
#: "cross-entropy" (sigmoid outputs), the logits of an identity output layer for "softmax".
#: Only "cross-entropy" differs from the explicit function of :data:`COST_TABLE`.
COSTS: dict[str, Callable[[Tensor, Any], Tensor]] = {
    **{name: cost.function for name, cost in COST_TABLE.items()},
    "cross-entropy": cross_entropy_cost,
}


def get_cost(name: str) -> Callable[[Tensor, Any], Tensor]:
    """The cost function called ``name`` ("quadratic", "cross-entropy" or "softmax"), as a
    function of the network's output (see :data:`COSTS`)."""
    cost_spec(name)
    return COSTS[name]
