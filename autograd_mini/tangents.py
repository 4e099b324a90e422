"""Forward mode: tangents carried through every operation, one primitive at a time.

Inside ``with forward_mode():`` a Tensor may carry a ``tangent`` (an array of its shape: the
direction in which its value is changed). Each primitive applied then also computes the tangent
of its result from its inputs' tangents with its forward rules (dual numbers): one sweep gives
J·v, the change of every output caused by a change of the inputs in one direction.

It is an observer of the recording path (``state.py``), so it costs nothing when not in use.

**Levels.** Forward mode can be nested: each ``jvp`` call is a *level* (a ``Level``) with its own
tangents, kept by the level rather than on the tensors, so that the tangents of an inner ``jvp``
never mix with those of an outer one. When an enclosing level (or reverse mode) must
differentiate the tangents of an inner one — ``jvp`` of ``jvp``, ``grad`` of ``jvp`` — the inner
level computes its tangents with primitives on Tensors, as ``create_graph=True`` does for the
backward sweep: the outer levels watch those operations like any others and push their own
tangents through them. The inner level does not watch its own rules (that would never end).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .broadcasting import broadcast_to
from .primitive import Primitive
from .state import Observer, observing, state
from .tensor_base import TensorBase


class TangentPusher(Observer):
    """Computes the tangent of the result of every primitive applied while it is observing.

    This one keeps tangents on the tensors themselves (``t.tangent``): the level of
    ``forward_mode()``. With ``differentiable=True`` the tangents are computed with primitives on
    Tensors, so that enclosing levels and reverse mode can differentiate them.
    """

    tangent_of: Callable[[TensorBase], Any] = staticmethod(operator.attrgetter("tangent"))

    def __init__(self, differentiable: bool = False) -> None:
        self.differentiable = differentiable

    def set_tangent(self, t: TensorBase, tangent: Any) -> None:
        t.tangent = tangent

    def recorded(self, out: TensorBase, prim: Primitive, args: tuple, raw: tuple,
                 params: dict) -> None:
        if not prim.differentiable:
            return
        tangent_of = self.tangent_of
        tangents = [tangent_of(a) if isinstance(a, TensorBase) else None for a in args]
        for t in tangents:
            if t is not None:
                break
        else:  # no input has a tangent
            return
        if self.differentiable:  # on Tensors, watched by the levels outside this one only
            observers = state.observers
            state.set(state.grad_enabled, observers[:observers.index(self)])
            try:
                tangent = push_tangents(prim, tangents, args, out, params)
            finally:
                state.set(state.grad_enabled, observers)
        else:
            tangent = push_tangents(prim, tangents, raw, out._data, params)
        self.set_tangent(out, tangent)
        for observer in state.observers:
            for i, t in enumerate(tangents):
                if t is not None:
                    observer.tangent_rule(prim, i)


class Level(TangentPusher):
    """One level of nested forward mode (one ``jvp`` call). Its tangents are its own, by
    tensor, so they never mix with another level's, nor outlive the level (a tensor kept from
    an earlier ``jvp`` carries no stale tangent into a later one). They are kept until the
    level ends, like a recorded graph until its backward pass."""

    def __init__(self, differentiable: bool = False) -> None:
        super().__init__(differentiable)
        self._tangents: dict[TensorBase, Any] = {}
        self.tangent_of = self._tangents.get  # type: ignore[method-assign]
        self.set_tangent = self._tangents.__setitem__  # type: ignore[method-assign]

    def __enter__(self) -> Level:
        """``with Level() as level: ...`` — the level is active inside."""
        self._outside = state.observers
        state.set(state.grad_enabled, self._outside + (self,))
        return self

    def __exit__(self, *exc: object) -> None:
        state.set(state.grad_enabled, self._outside)
        self._tangents.clear()  # the level is over: forget its tangents


def is_tracked(x: Any) -> bool:
    """Whether something outside watches the Tensor ``x``: reverse mode records operations on
    it, or a level of forward mode is active (and may give it a tangent). A function transform
    (``jvp``, ``value_and_grad``) then keeps its inputs connected to ``x``."""
    if not isinstance(x, TensorBase) or x.dtype.kind != "f":
        return False
    return (x.requires_grad and state.grad_enabled) or \
        any(isinstance(o, TangentPusher) for o in state.observers)


def push_tangents(prim: Primitive, tangents: list, args: tuple, ans: Any, params: dict) -> Any:
    """The tangent of ``ans = prim(*args)`` from its arguments' ``tangents`` (None: no
    tangent): Σᵢ ∂ans/∂argᵢ · tᵢ, broadcast to the result's shape. On arrays (``args`` raw,
    ``ans`` an array) or, for a differentiable level, on Tensors (``ans`` the result Tensor)."""
    if prim.jvp_linear is not None:  # linear: the operation itself, applied to the tangents
        tangent = prim.jvp_linear(tangents, ans, *args, **params)
    else:
        tangent = None
        for i, t in enumerate(tangents):
            if t is not None:
                contribution = prim.jvp(i)(t, ans, *args, **params)
                tangent = contribution if tangent is None else tangent + contribution
    if isinstance(ans, TensorBase):
        shape = tangent.shape if isinstance(tangent, TensorBase) else np.shape(tangent)
        return tangent if shape == ans.shape else broadcast_to(tangent, shape=ans.shape)
    tangent = np.asarray(tangent)
    if tangent.shape != ans.shape:
        tangent = np.broadcast_to(tangent, ans.shape)
    return tangent


class forward_mode:
    """While active, Tensors carrying a ``tangent`` propagate it through every operation."""

    def __init__(self) -> None:
        self._observing: Any = None

    def __enter__(self) -> None:
        if not any(type(o) is TangentPusher for o in state.observers):
            self._observing = observing(TangentPusher())
            self._observing.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._observing is not None:
            self._observing.__exit__(*exc)
            self._observing = None
