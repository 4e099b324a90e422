"""Primitives — the operations the engine differentiates — their rules, and recording.

A ``Primitive`` wraps a numpy function. Called on plain arrays it is just that function; called
with a Tensor among its arguments it computes the value on the arrays and, when an input
requires grad, records on the result how it was made (see ``tensor_base.py``).

Each primitive has, per positional argument, two rules:

* a reverse rule (vjp) ``rule(g, ans, *args, **params)`` → ``g · ∂ans/∂arg``: the gradient of
  the final scalar with respect to that argument, given its gradient ``g`` with respect to the
  result ``ans``;
* a forward rule (jvp) ``rule(t, ans, *args, **params)`` → ``∂ans/∂arg · t``: the change of the
  result caused by a change ``t`` of that argument.

Rules are written with operators and primitives, so the same rule runs on plain ndarrays (an
ordinary backward pass) and on Tensors (``create_graph=True``: the backward pass is itself
recorded). A rule may return a result of a broadcast shape: the sweep sums it back to the
argument's shape (``broadcasting.sum_to``), the one place where broadcasting is undone.

Most rules follow from one fact about the primitive, declared once:

* ``def_linear(f)`` — f is linear in its operands: its forward rule is f itself, applied to the
  tangents (reshape, sum, getitem, concatenate, ...);
* ``def_multilinear(f)`` — f is linear in each operand separately: the forward rule for operand
  i is f with operand i replaced by its tangent (multiply, matmul);
* ``def_elementwise(f, df_dx, ...)`` — f acts elementwise: from its local derivative alone,
  ``g · f′`` is the reverse rule and ``t · f′`` the forward rule (sigmoid, exp, division, ...).

The rest declare their rules with ``defvjp`` / ``defjvp`` one line per argument — or, when the
arguments' rules share work (concatenate and stack of many tensors), one reverse rule for all of
them with ``defvjp_joint``, which the sweep calls once per tensor.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .state import state
from .tensor_base import TensorBase


class Primitive:
    """An operation the engine knows how to differentiate.

    Positional arguments are operands (Tensors, arrays or scalars); keyword arguments are
    static parameters (axis, shape, index, ...). ``explain(args, params, err)`` may turn the
    numpy error of a bad call into one that names the operation and says what is wrong, of the
    same kind as numpy's (``None``, or another kind: the generic message naming the operation
    and the shapes).
    """

    def __init__(self, fun: Callable, name: str, differentiable: bool = True,
                 explain: Callable | None = None) -> None:
        self.fun = fun
        self.name = name
        self.differentiable = differentiable
        self.explain = explain
        self.vjps: dict[int, Callable] = {}
        self.vjp_argnum: Callable | None = None
        self.vjp_joint: Callable | None = None
        self.jvps: dict[int, Callable] = {}
        self.jvp_argnum: Callable | None = None
        self.jvp_linear: Callable | None = None
        self.__doc__ = fun.__doc__
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Any, **params: Any) -> Any:
        for a in args:
            if isinstance(a, TensorBase):
                return record(self, args, params)
        return self.fun(*args, **params)

    def vjp(self, argnum: int) -> Callable:
        """The reverse rule for argument ``argnum``."""
        if self.vjp_joint is not None and argnum not in self.vjps:
            return functools.partial(_one_of_joint, self.vjp_joint, argnum)
        return self._rule(self.vjps, self.vjp_argnum, argnum, "reverse")

    def jvp(self, argnum: int) -> Callable:
        """The forward rule for argument ``argnum``."""
        return self._rule(self.jvps, self.jvp_argnum, argnum, "forward-mode")

    def _rule(self, rules: dict, any_argnum: Callable | None, argnum: int, kind: str) -> Callable:
        rule = rules.get(argnum)
        if rule is not None:
            return rule
        if any_argnum is not None:
            return functools.partial(any_argnum, argnum)
        raise NotImplementedError(f"{self.name}: no {kind} rule for argument {argnum}")


def _one_of_joint(rule: Callable, argnum: int, g: Any, ans: Any, *args: Any, **params: Any) -> Any:
    return rule((argnum,), g, ans, *args, **params)[0]


def primitive(name: str, differentiable: bool = True,
              explain: Callable | None = None) -> Callable[[Callable], Primitive]:
    """Decorator: turn a numpy function into a Primitive called ``name``."""
    return lambda fun: Primitive(fun, name, differentiable, explain)


# ---- declaring rules --------------------------------------------------------------------------


def defvjp(prim: Primitive, *rules: Callable | None) -> None:
    """Reverse rules, one per positional argument, each ``rule(g, ans, *args, **params)``."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            prim.vjps[argnum] = rule


def defjvp(prim: Primitive, *rules: Callable | None) -> None:
    """Forward rules, one per argument, each ``rule(t, ans, *args, **params)`` returning the
    contribution of that argument's tangent ``t`` to the tangent of the result."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            prim.jvps[argnum] = rule


def defvjp_argnum(prim: Primitive, rule: Callable) -> None:
    """One reverse rule for any number of arguments: ``rule(argnum, g, ans, *args, **params)``."""
    prim.vjp_argnum = rule


def defvjp_joint(prim: Primitive, rule: Callable) -> None:
    """One reverse rule for all arguments at once, for primitives whose arguments' rules share
    work: ``rule(argnums, g, ans, *args, **params)`` returns the gradients of the arguments
    numbered ``argnums``, in that order. The sweep calls it once per tensor (concatenate and
    stack of n inputs: one call and O(n) work, where n per-argument calls, each receiving all n
    arguments, would be O(n²))."""
    prim.vjp_joint = rule


def defjvp_argnum(prim: Primitive, rule: Callable) -> None:
    """One forward rule for any number of arguments: ``rule(argnum, t, ans, *args, **params)``."""
    prim.jvp_argnum = rule


def def_linear(prim: Primitive) -> None:
    """``prim`` is linear in its operands (jointly), so its forward rule is ``prim`` itself:
    ``J·t = prim(t₁, …, tₙ)``, an operand without a tangent counting as zeros."""

    def jvp(tangents: list, ans: Any, *args: Any, **params: Any) -> Any:
        return prim(*[_zeros_like(a) if t is None else t
                      for t, a in zip(tangents, args, strict=True)], **params)

    prim.jvp_linear = jvp


def _zeros_like(a: Any) -> np.ndarray:
    a = a._data if isinstance(a, TensorBase) else a
    return np.zeros(np.shape(a), np.result_type(a))


def def_multilinear(prim: Primitive) -> None:
    """``prim`` is linear in each operand separately (a product): the forward rule for operand
    i is ``prim`` with operand i replaced by its tangent."""

    def jvp(argnum: int, t: Any, ans: Any, *args: Any, **params: Any) -> Any:
        return prim(*args[:argnum], t, *args[argnum + 1:], **params)

    prim.jvp_argnum = jvp


def def_elementwise(prim: Primitive, *derivatives: Callable | None) -> None:
    """``prim`` acts elementwise; ``derivatives[i](ans, *args, **params)`` is its local
    derivative ∂ans/∂argᵢ. Both rules follow: reverse ``g · ∂ans/∂argᵢ``, forward
    ``t · ∂ans/∂argᵢ``."""
    for argnum, d in enumerate(derivatives):
        if d is not None:
            prim.vjps[argnum] = lambda g, ans, *args, d=d, **params: g * d(ans, *args, **params)
            prim.jvps[argnum] = lambda t, ans, *args, d=d, **params: t * d(ans, *args, **params)


# ---- recording --------------------------------------------------------------------------------


def _shape_of(a: Any) -> tuple:
    return np.shape(a._data if isinstance(a, TensorBase) else a)


# The kinds of error a bad call can raise, most specific first: the engine's error is of the
# same kind as numpy's (``except TypeError`` around a call still works), with its own message.
# AxisError is numpy's ValueError-and-IndexError for an axis out of range.
_ERROR_KINDS = (np.exceptions.AxisError, IndexError, TypeError, OverflowError, ValueError)


def _explain(prim: Primitive, args: tuple, params: dict, err: Exception) -> Exception:
    """An error naming the operation and the shapes, in place of numpy's own message, and of
    numpy's kind: a TypeError stays a TypeError, an OverflowError (an axis or a Python integer
    too large for its dtype: ``uint8 + -4``) an OverflowError."""
    kind = next(k for k in _ERROR_KINDS if isinstance(err, k))
    if prim.explain is not None:
        explained = prim.explain(args, params, err)
        if explained is not None and isinstance(explained, kind):
            return explained
    if str(err).startswith(prim.name + ":"):  # the primitive explained itself
        return err
    shapes = " and ".join(str(_shape_of(a)) for a in args)
    if issubclass(kind, IndexError):  # an index or an axis out of range: numpy's words suffice
        return kind(f"{prim.name}: {err} (tensor of shape {shapes})")
    extras = "".join(f", {k}={v!r}" for k, v in params.items() if k != "index")
    return kind(f"{prim.name}: cannot apply to operands of shape {shapes}{extras}: {err}")


def record(prim: Primitive, args: tuple, params: dict) -> TensorBase:
    """``prim(*args, **params)`` with Tensors among ``args``: compute, and record how."""
    raw = []
    needs_grad = False
    cls = None
    for a in args:
        if isinstance(a, TensorBase):
            needs_grad = needs_grad or a.requires_grad
            cls = cls or type(a)
            a = a._data
        raw.append(a)
    try:
        ans = prim.fun(*raw, **params)
    except (ValueError, IndexError, TypeError, OverflowError) as err:
        raise _explain(prim, args, params, err) from None
    out = cls._wrap(ans)
    if needs_grad and state.grad_enabled and prim.differentiable:
        out.requires_grad = True
        out._op = prim
        out._args = args
        out._params = params or None
        out._saved = tuple(raw)
        saver = None
        for a in args:  # leaves remember the latest graph that needs their values
            if isinstance(a, TensorBase) and a._op is None:
                a._saver = saver = saver or weakref.ref(out)
    if state.observers:
        raw = tuple(raw)
        for observer in state.observers:
            observer.recorded(out, prim, args, raw, params)
    return out
