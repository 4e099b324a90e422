"""Recording operations and running them backwards.

This module holds the whole machinery of reverse-mode differentiation:

* the grad mode (``no_grad`` / ``enable_grad``): whether operations are recorded;
* ``Primitive``: an operation with a forward function and, registered beside it in ``ops.py``,
  one reverse rule (vjp) and one forward rule (jvp) per argument;
* recording: calling a primitive on Tensors computes the result and, when some input requires
  grad, attaches a ``Node`` (primitive, arguments) to it — the graph is the web of these nodes;
* the backward sweep: one pass over the graph in reverse topological order — decreasing
  creation number — with no recursion, so a chain a million operations deep is fine.

A reverse rule has the form ``rule(g, ans, *args, **kwargs) -> gradient for one argument`` where
``g`` is the gradient of the result ``ans``. Rules are written with plain operators and with the
primitives themselves, so the same rule runs on raw ndarrays (the fast path) and on Tensors
(``create_graph=True``: the backward pass is itself recorded and can be differentiated again).
Rules may return a gradient of a broadcast shape; the sweep sums it back to the argument's shape
(``ops.sum_to``) — the only place broadcasting is undone.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tensor import Tensor

# --------------------------------------------------------------------------------------------
# Grad mode
# --------------------------------------------------------------------------------------------

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Whether operations on Tensors are currently recorded."""
    return _grad_enabled


class set_grad_enabled:
    """Context manager and decorator that switches recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev: list[bool] = []

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev.append(_grad_enabled)
        _grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self.prev.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Nothing computed inside is recorded: ``with no_grad(): ...``, ``@no_grad()`` or
    ``@no_grad``."""

    def __new__(cls, func: Callable | None = None):
        if func is not None:  # used as a decorator without parentheses
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None) -> None:
        super().__init__(False)


class enable_grad(no_grad):
    """Recording switched back on, e.g. inside a ``no_grad`` block."""

    def __init__(self, func: Callable | None = None) -> None:
        set_grad_enabled.__init__(self, True)


# --------------------------------------------------------------------------------------------
# Operation counting (used to show the cost of forward and reverse mode in operations)
# --------------------------------------------------------------------------------------------


class OpCounter:
    """Counts primitive applications: ``forward`` values, ``tangent`` rules, ``adjoint`` rules."""

    def __init__(self) -> None:
        self.forward = 0
        self.tangent = 0
        self.adjoint = 0

    def __repr__(self) -> str:
        return f"OpCounter(forward={self.forward}, tangent={self.tangent}, adjoint={self.adjoint})"


_counter: OpCounter | None = None


class count_ops:
    """``with count_ops() as c: ...`` counts the primitive operations executed inside."""

    def __enter__(self) -> OpCounter:
        global _counter
        self.prev = _counter
        self.counter = _counter = OpCounter()
        return self.counter

    def __exit__(self, *exc: object) -> None:
        global _counter
        _counter = self.prev


# --------------------------------------------------------------------------------------------
# Primitives and recording
# --------------------------------------------------------------------------------------------


class Primitive:
    """An operation the engine knows how to differentiate.

    Called on ndarrays/scalars only, it is just its forward function. Called with at least one
    Tensor argument, it computes the forward value on the Tensors' data and records a Node.
    Positional arguments are operands (Tensors, arrays or scalars); keyword arguments are
    static parameters (axis, shape, index, ...).
    """

    def __init__(self, fun: Callable, name: str, differentiable: bool = True) -> None:
        self.fun = fun
        self.name = name
        self.differentiable = differentiable
        self.vjps: dict[int, Callable] = {}
        self.vjp_argnum: Callable | None = None
        self.jvps: dict[int, Callable] = {}
        self.jvp_argnum: Callable | None = None
        self.__doc__ = fun.__doc__
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args, **kwargs):
        for a in args:
            if isinstance(a, Tensor):
                return _record(self, args, kwargs)
        return self.fun(*args, **kwargs)

    def vjp(self, argnum: int) -> Callable:
        rule = self.vjps.get(argnum)
        if rule is not None:
            return rule
        if self.vjp_argnum is not None:
            return functools.partial(self.vjp_argnum, argnum)
        raise NotImplementedError(f"{self.name}: no reverse rule for argument {argnum}")

    def jvp(self, argnum: int) -> Callable:
        rule = self.jvps.get(argnum)
        if rule is not None:
            return rule
        if self.jvp_argnum is not None:
            return functools.partial(self.jvp_argnum, argnum)
        raise NotImplementedError(f"{self.name}: no forward-mode rule for argument {argnum}")


def primitive(name: str, differentiable: bool = True) -> Callable[[Callable], Primitive]:
    """Decorator: turn a numpy function into a Primitive called ``name``."""
    return lambda fun: Primitive(fun, name, differentiable)


def defvjp(prim: Primitive, *rules: Callable | None) -> None:
    """Register reverse rules, one per positional argument, each ``rule(g, ans, *args, **kw)``."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            prim.vjps[argnum] = rule


def defjvp(prim: Primitive, *rules: Callable | None) -> None:
    """Register forward rules, one per argument, each ``rule(t, ans, *args, **kw)`` returning
    the contribution of that argument's tangent ``t`` to the tangent of the result."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            prim.jvps[argnum] = rule


def defvjp_argnum(prim: Primitive, rule: Callable) -> None:
    """One reverse rule for any number of arguments: ``rule(argnum, g, ans, *args, **kw)``."""
    prim.vjp_argnum = rule


def defjvp_argnum(prim: Primitive, rule: Callable) -> None:
    """One forward rule for any number of arguments: ``rule(argnum, t, ans, *args, **kw)``."""
    prim.jvp_argnum = rule


class Node:
    """How a non-leaf Tensor was made.

    ``prim`` and ``args`` (Tensors and constants, in call order) describe the operation and let
    the graph be walked and drawn; ``parents`` holds the positions in ``args`` of the Tensors
    that gradients flow to; ``saved`` holds the argument values the reverse rules read, released
    by backward unless the graph is retained. (Tuples of ints and arrays: the garbage collector
    need not track them, which matters for graphs of millions of nodes.)
    """

    __slots__ = ("prim", "args", "kwargs", "parents", "saved")

    def __init__(self, prim: Primitive, args: tuple, kwargs: dict, parents: tuple,
                 saved: tuple) -> None:
        self.prim = prim
        self.args = args
        self.kwargs = kwargs
        self.parents = parents
        self.saved = saved


def _explain(prim: Primitive, args: tuple, kwargs: dict, err: Exception) -> Exception:
    """A ValueError naming the operation and the shapes, in place of numpy's own message."""
    shapes = " and ".join(str(np.shape(a.data if isinstance(a, Tensor) else a)) for a in args)
    params = "".join(f", {k}={v!r}" for k, v in kwargs.items() if k != "index")
    if prim.name == "matmul" and len(args) == 2:
        a, b = (np.shape(x.data if isinstance(x, Tensor) else x) for x in args)
        if not a or not b:
            return ValueError(f"matmul: operands must have at least one dimension, got shapes "
                              f"{a} and {b}")
        inner_b = b[0] if len(b) == 1 else b[-2]
        if a[-1] != inner_b:
            return ValueError(
                f"matmul: shapes {a} and {b} are not aligned: the last dimension of the left "
                f"operand ({a[-1]}) must equal the {'only' if len(b) == 1 else 'second-to-last'}"
                f" dimension of the right operand ({inner_b})"
            )
        return ValueError(f"matmul: the batch dimensions {a[:-2]} and {b[:-2]} of shapes {a} "
                          f"and {b} cannot be broadcast together")
    if str(err).startswith(prim.name + ":"):  # the primitive explained itself
        return err
    if isinstance(err, IndexError):
        return IndexError(f"{prim.name}: {err} (tensor of shape {shapes})")
    return ValueError(f"{prim.name}: cannot apply to operands of shape {shapes}{params}: {err}")


def _record(prim: Primitive, args: tuple, kwargs: dict) -> Tensor:
    raw = []
    parents = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if a.requires_grad:
                parents.append(i)
            a = a.data
        raw.append(a)
    try:
        ans = prim.fun(*raw, **kwargs)
    except (ValueError, IndexError, TypeError) as err:
        raise _explain(prim, args, kwargs, err) from None
    out = Tensor._wrap(ans)
    ans = out.data
    if parents and _grad_enabled and prim.differentiable:
        out.requires_grad = True
        out._node = Node(prim, args, kwargs, tuple(parents), tuple(raw))
    if _counter is not None:
        _counter.forward += 1
    if _tangents_active and prim.differentiable:
        out.tangent = _push_tangents(prim, args, raw, ans, kwargs)
    return out


# Forward mode: while tangents are active, every recorded primitive also pushes the tangents of
# its inputs forward with its jvp rules (dual numbers, one operation at a time).
_tangents_active = 0


class forward_mode:
    """While active, Tensors carrying a ``tangent`` propagate it through every operation."""

    def __enter__(self) -> None:
        global _tangents_active
        _tangents_active += 1

    def __exit__(self, *exc: object) -> None:
        global _tangents_active
        _tangents_active -= 1


def _push_tangents(prim: Primitive, args: tuple, raw: tuple, ans: np.ndarray, kwargs: dict):
    tangent = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a.tangent is not None:
            t = prim.jvp(i)(a.tangent, ans, *raw, **kwargs)
            tangent = t if tangent is None else tangent + t
            if _counter is not None:
                _counter.tangent += 1
    if tangent is None:
        return None
    tangent = np.asarray(tangent)
    if tangent.shape != ans.shape:
        tangent = np.broadcast_to(tangent, ans.shape)
    return tangent


# --------------------------------------------------------------------------------------------
# The backward sweep
# --------------------------------------------------------------------------------------------


def _sweep(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    targets: Sequence[Tensor] | None = None,
) -> dict[Tensor, Any]:
    """Propagate ``root_grads`` from ``roots`` to everything they depend on.

    Tensors are visited in decreasing creation number (``Tensor._seq``): every use of a tensor
    was made after it, so when a tensor is reached, all the gradient flowing into it has
    arrived. A heap of the tensors that have received some gradient gives that order without a
    separate pass over the graph (and without recursion, however deep the graph).

    With ``targets=None`` the gradients are accumulated into ``.grad`` of the leaves (and of
    non-leaves that asked to ``retain_grad``). Otherwise nothing's ``.grad`` is touched and the
    total gradient of each target is returned.

    The pending gradient of each tensor is kept as ``(value, fresh)``; ``fresh`` means the array
    was made by this sweep and no one else holds it, so it can become a ``.grad`` without a copy.
    """
    want = None if targets is None else set(targets)
    found: dict[Tensor, Any] = {}
    pending: dict[Tensor, tuple[Any, bool]] = {}
    heap: list[tuple[int, Tensor]] = []
    for r, g in zip(roots, root_grads, strict=True):
        prev = pending.get(r)
        if prev is None:
            pending[r] = (g, False)
            heapq.heappush(heap, (-r._seq, r))
        else:
            pending[r] = (prev[0] + g, True)
    while heap:
        t = heapq.heappop(heap)[1]
        g, fresh = pending.pop(t)
        node = t._node
        if want is None:
            if node is None or t._retains_grad:
                _accumulate_grad(t, g, fresh, create_graph)
        elif t in want:
            found[t] = g
        if node is None:
            continue
        if node.saved is None:
            raise RuntimeError(
                f"backward through the graph a second time: the saved values of '{node.prim.name}'"
                " were freed by the first backward(). Pass retain_graph=True to the first "
                "backward() (or grad()) if you need to go through the graph again."
            )
        prim, kwargs = node.prim, node.kwargs
        args, ans = (node.args, t) if create_graph else (node.saved, t.data)
        for i in node.parents:
            a = node.args[i]
            gi = (prim.vjps.get(i) or prim.vjp(i))(g, ans, *args, **kwargs)
            if gi.shape != a.data.shape:  # undo broadcasting: the only place it is done
                gi = (_ops.sum_to if create_graph else _ops.sum_to.fun)(gi, a.data.shape)
            if _counter is not None:
                _counter.adjoint += 1
            prev = pending.get(a)
            if prev is None:
                fresh = gi is not g and (gi.data if create_graph else gi).base is None
                pending[a] = (gi, fresh)
                heapq.heappush(heap, (-a._seq, a))
            else:
                pending[a] = (prev[0] + gi, True)
        if not retain_graph:
            node.saved = None
    return found


def _accumulate_grad(t: Tensor, g: Any, fresh: bool, create_graph: bool) -> None:
    """``t.grad += g`` — in place into our own buffer when no graph is being recorded."""
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor._wrap(g)
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
        if t.grad is not None:
            t.grad = t.grad + g
        elif g.requires_grad:
            t.grad = g  # recorded: later accumulation into it is never in place (see below)
        else:
            t.grad = Tensor._wrap(np.array(g.data))  # g's data may be saved in the new graph
        return
    if isinstance(g, Tensor):
        g = g.data
    if t.grad is None:
        if g.dtype != t.data.dtype:
            g = g.astype(t.data.dtype)
        elif not fresh or type(g) is not np.ndarray or not g.flags.writeable:
            g = np.array(g)
        t.grad = Tensor._wrap(g)
    elif t.grad.requires_grad:  # a grad recorded by an earlier create_graph=True: keep it pure
        t.grad = Tensor._wrap(t.grad.data + g)
    else:
        np.add(t.grad.data, g, out=t.grad.data, casting="unsafe")


def _as_grad_array(g: Any, t: Tensor, what: str) -> np.ndarray:
    data = g.data if isinstance(g, Tensor) else g
    try:
        data = np.asarray(data, dtype=t.dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: the gradient must be a numeric array of shape {t.shape}, "
                        f"not {type(g).__name__}") from None
    if data.shape != t.shape:
        raise ValueError(
            f"{what}: the gradient given has shape {data.shape} but the tensor has shape {t.shape}"
        )
    return data


def _root_grad(t: Tensor, g: Any, what: str, create_graph: bool) -> Any:
    if g is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{what}: the output has shape {t.shape}, so a gradient argument is needed: "
                f"pass an array of shape {t.shape} holding the gradient of the final scalar with "
                "respect to this output (ones for a plain sum)."
            )
        g = _ones(t.data.shape, t.data.dtype)
    elif isinstance(g, Tensor) and create_graph:
        if g.shape != t.shape:
            _as_grad_array(g, t, what)
        return g
    else:
        g = _as_grad_array(g, t, what)
    return Tensor._wrap(g) if create_graph else g


_ONES: dict[tuple, np.ndarray] = {}


def _ones(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A read-only array of ones (the seed of a scalar output), made once per shape and dtype."""
    key = (shape, dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = _ONES[key] = np.ones(shape, dtype)
        ones.flags.writeable = False
    return ones


def backward(
    tensor: Tensor, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
) -> None:
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad`` (see ``Tensor.backward``)."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad, so there is nothing to "
            "differentiate: none of its inputs was created with requires_grad=True, or it was "
            "computed inside no_grad()."
        )
    if retain_graph is None:
        retain_graph = create_graph
    g = _root_grad(tensor, grad, "backward()", create_graph)
    if create_graph:
        with enable_grad():
            _sweep([tensor], [g], retain_graph, True)
    else:
        _sweep([tensor], [g], retain_graph, False)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple of Tensors.

    ``sum_k <grad_outputs[k], d outputs[k] / d inputs[i]>`` for each input i; ``.grad`` of no
    tensor is changed. With ``create_graph=True`` the results are themselves differentiable.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad(): {len(outputs)} outputs but {len(grad_outputs)} grad_outputs were given"
        )
    for o in outputs:
        if not o.requires_grad:
            raise RuntimeError(
                "grad(): an output does not require grad: none of its inputs requires grad, "
                "or it was computed inside no_grad()."
            )
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad(): every input must be a Tensor with requires_grad=True")
    if retain_graph is None:
        retain_graph = create_graph
    gs = [_root_grad(o, g, "grad()", create_graph)
          for o, g in zip(outputs, grad_outputs, strict=True)]
    with set_grad_enabled(create_graph):
        found = _sweep(outputs, gs, retain_graph, create_graph, targets=inputs)
    result: list[Tensor | None] = []
    for x in inputs:
        g = found.get(x)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "grad(): one of the inputs was not used to compute the outputs; pass "
                    "allow_unused=True to get None for it."
                )
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g if g.dtype == x.dtype else g.astype(x.dtype))
        else:
            result.append(Tensor._wrap(np.array(g, dtype=x.dtype)))
    return tuple(result)


def local_derivatives(t: Tensor) -> tuple[np.ndarray | None, ...]:
    """For a non-leaf ``t``, the local partial derivative d t / d input for each Tensor input
    (in ``t.inputs`` order) when both are scalars (size 1); ``None`` where either is not.

    This is what a graph drawing writes on each edge: for e = c * d, (d, c).
    """
    node = t._node
    if node is None:
        return ()
    raw = [a.data if isinstance(a, Tensor) else a for a in node.args]  # saved may be freed
    out = []
    for i, a in enumerate(node.args):
        if not isinstance(a, Tensor):
            continue
        if t.data.size != 1 or a.data.size != 1:
            out.append(None)
            continue
        g = node.prim.vjp(i)(np.ones_like(t.data), t.data, *raw, **node.kwargs)
        out.append(np.asarray(g).reshape(()))
    return tuple(out)


# Last: ops defines its primitives with this module's functions (the sweep uses ops.sum_to).
from . import ops as _ops  # noqa: E402
