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
import inspect
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .state import shared, state
from .tensor_base import TensorBase, _creation_order, _Extra

_new = object.__new__
_next_number = _creation_order.__next__
# The types numpy computes in (arrays, and the scalars of 0-d results), for a set lookup on the
# recording path; any other numpy scalar type is recognised by isinstance.
_NUMPY_TYPES = frozenset({np.ndarray, np.float64, np.float32, np.float16, np.int64, np.int32,
                          np.int16, np.int8, np.uint8, np.bool_})


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
            prim.vjps[argnum] = prim.jvps[argnum] = _times_derivative(d)


def _times_derivative(d: Callable) -> Callable:
    """``rule(g, ans, *args, **params) = g · d(ans, *args, **params)`` — the same for both modes.

    For a derivative of the operand(s) alone (no parameters), the rule takes exactly those
    arguments: a call with a fixed number of arguments is about twice as cheap as one that
    packs ``*args`` and ``**params``, and this runs once per operation in every sweep."""
    fixed = [p for p in inspect.signature(d).parameters.values()
             if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
    if len(fixed) == 2 and len(inspect.signature(d).parameters) == 2:
        return lambda g, ans, x: g * d(ans, x)
    if len(fixed) == 3 and len(inspect.signature(d).parameters) == 3:
        return lambda g, ans, x, y: g * d(ans, x, y)
    return lambda g, ans, *args, **params: g * d(ans, *args, **params)


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
    """``prim(*args, **params)`` with Tensors among ``args``: compute, and record how.

    This runs once per operation, so it is written for speed: one pass over the arguments, the
    result made without calling ``__init__``, and one look at the engine's state when nothing
    special is on (``state.quiet``: recording, no observers).
    """
    raw = []
    needs_grad = leaf = False
    cls = None
    for a in args:
        if isinstance(a, TensorBase):
            if cls is None:
                cls = type(a)
            if a.requires_grad:
                needs_grad = True
            if a._op is None:
                leaf = True
            raw.append(a._data)
        else:
            raw.append(a)
    try:
        ans = prim.fun(*raw, **params) if params else prim.fun(*raw)
    except (ValueError, IndexError, TypeError, OverflowError) as err:
        raise _explain(prim, args, params, err) from None
    if type(ans) not in _NUMPY_TYPES and not isinstance(ans, np.generic):
        ans = np.asarray(ans)
    out = _new(cls)
    out._data = ans
    out.grad = None
    out._seq = _next_number()
    out._extra = None
    quiet = not shared.loud or state.quiet
    if needs_grad and prim.differentiable and (quiet or state.grad_enabled):
        out.requires_grad = True
        out._op = prim
        out._args = args
        out._params = params or None
        out._saved = raw = tuple(raw)
        if leaf:  # leaves remember the latest graph that needs their values (write_guard.py)
            saver = weakref.ref(out)
            for a in args:
                if isinstance(a, TensorBase) and a._op is None:
                    extra = a._extra
                    if extra is None:
                        extra = a._extra = _Extra()
                    extra.saver = saver
    else:
        out.requires_grad = False
        out._op = None
        out._args = ()
        out._params = None
        out._saved = None
    if not quiet and state.observers:
        raw = tuple(raw)
        for observer in state.observers:
            observer.recorded(out, prim, args, raw, params)
    return out
