"""Forward mode: tangents carried through every operation, one primitive at a time.

Inside ``with forward_mode():`` a Tensor may carry a ``tangent`` (an array of its shape: the
direction in which its value is changed). Each primitive applied then also computes the tangent
of its result from its inputs' tangents with its forward rules (dual numbers): one sweep gives
J·v, the change of every output caused by a change of the inputs in one direction.

It is an observer of the recording path (``state.py``), so it costs nothing when not in use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .primitive import Primitive
from .state import Observer, observing, state
from .tensor_base import TensorBase


class TangentPusher(Observer):
    """Computes ``out.tangent`` for every primitive applied while it is observing."""

    def recorded(self, out: TensorBase, prim: Primitive, args: tuple, raw: tuple,
                 params: dict) -> None:
        if prim.differentiable:
            out.tangent = push_tangents(prim, args, raw, out._data, params)


def _counted(prim: Primitive, argnum: int) -> None:
    for observer in state.observers:
        observer.tangent_rule(prim, argnum)


def push_tangents(prim: Primitive, args: tuple, raw: tuple, ans: np.ndarray, params: dict) -> Any:
    """The tangent of ``ans = prim(*args)`` from the tangents its Tensor arguments carry (None
    when none does): Σᵢ ∂ans/∂argᵢ · tᵢ, broadcast to the result's shape."""
    tangents = [a.tangent if isinstance(a, TensorBase) else None for a in args]
    if all(t is None for t in tangents):
        return None
    if prim.jvp_linear is not None:  # linear: the operation itself, applied to the tangents
        tangent = prim.jvp_linear(tangents, ans, *raw, **params)
        for i, t in enumerate(tangents):
            if t is not None:
                _counted(prim, i)
    else:
        tangent = None
        for i, t in enumerate(tangents):
            if t is not None:
                contribution = prim.jvp(i)(t, ans, *raw, **params)
                tangent = contribution if tangent is None else tangent + contribution
                _counted(prim, i)
    tangent = np.asarray(tangent)
    if tangent.shape != ans.shape:
        tangent = np.broadcast_to(tangent, ans.shape)
    return tangent


class forward_mode:
    """While active, Tensors carrying a ``tangent`` propagate it through every operation."""

    def __init__(self) -> None:
        self._observing: Any = None

    def __enter__(self) -> None:
        if not any(isinstance(o, TangentPusher) for o in state.observers):
            self._observing = observing(TangentPusher())
            self._observing.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._observing is not None:
            self._observing.__exit__(*exc)
            self._observing = None
