"""The backward sweep: ``backward()``, ``grad()`` and gradient hooks.

One pass over the recorded graph in reverse topological order — decreasing creation number —
with no recursion, so a chain a million operations deep is fine. Each tensor reached passes its
total gradient ``g`` through its operation's reverse rules to its inputs; gradients arriving at
a tensor by several paths are summed; broadcasting is undone by ``sum_to``, here and nowhere
else. ``backward()`` (of one tensor or several) accumulates the results into ``.grad`` of the
leaves; ``grad()`` returns them, touches no ``.grad``, and sweeps only the part of the graph its
inputs need. A tensor's hooks (``hooks.py``) see its total gradient, and may replace it, before it
flows on.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .broadcasting import ones, sum_to
from .gc_policy import after_sweep
from .grad_mode import enable_grad, set_grad_enabled
from .hooks import run_hooks
from .state import shared, state
from .tensor_base import TensorBase
from .write_guard import changed_after

_NO_PARAMS: dict = {}


def _sweep(
    roots: Sequence[TensorBase],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    targets: Sequence[TensorBase] | None = None,
) -> dict[TensorBase, Any]:
    """Propagate ``root_grads`` from ``roots`` to everything they depend on.

    Tensors are visited in decreasing creation number (``_seq``): every use of a tensor was made
    after it, so when a tensor is reached, all the gradient flowing into it has arrived. A heap
    of the tensors that have received some gradient gives that order without a separate pass
    over the graph (and without recursion, however deep the graph).

    With ``targets=None`` the gradients are accumulated into ``.grad`` of the leaves (and of
    non-leaves that asked to ``retain_grad``). Otherwise nothing's ``.grad`` is touched, the
    total gradient of each target is returned, and only the part of the graph between the roots
    and the targets is swept (and freed): the tensors from which a target can be reached.

    The pending gradient of each tensor is kept as ``(value, fresh)``; ``fresh`` means the value
    was computed by a rule of this sweep (not passed on as it came), so that, unless it is a view
    of another array, it can become a ``.grad`` without a copy.
    """
    want = need = through = None
    if targets is not None:
        want = set(targets)
        need, through = _leading_to(roots, want)
    observers = state.observers
    hooks_on = shared.hooked > 0
    # Everything but an ordinary backward() — targets, hooks, observers, create_graph — is
    # handled in ``_visit``, behind this one flag: the loop below runs once per tensor, and in
    # the common case it should test nothing that is off.
    special = want is not None or hooks_on or bool(observers) or create_graph
    reduce = (lambda gi, shape: sum_to(gi, shape=shape)) if create_graph else sum_to.fun
    found: dict[TensorBase, Any] = {}
    pending: dict[TensorBase, tuple[Any, bool]] = {}
    heap: list[tuple[int, TensorBase]] = []
    push, pop, get = heapq.heappush, heapq.heappop, pending.get
    if len(roots) > 1:
        for r, g in zip(roots, root_grads, strict=True):
            prev = get(r)
            if prev is None:
                pending[r] = (g, False)
                push(heap, (-r._seq, r))
            else:
                pending[r] = (prev[0] + g, True)
    # Leaves only add up what reaches them, so unless someone watches the order of the steps,
    # their gradient waits in ``leaves`` and they are visited last (in decreasing creation
    # number, as the heap would): a parameter used all along a graph then does not keep the
    # heap from being empty, and the chain between its uses goes through in hand (below).
    defer_leaves = not observers
    leaves: dict[TensorBase, list] = {}
    if heap:
        t = pop(heap)[1]
        g, fresh = pending.pop(t)
    else:  # one root (the usual backward()): it starts in hand
        t, g, fresh = roots[0], root_grads[0], False
    visited = 0
    while t is not None:
        visited += 1
        prim = t._op
        extra = t._extra  # name, hooks, retain_grad, in-place stamp: None for most tensors
        if special:
            prim, g, fresh = _visit(t, prim, g, fresh, create_graph, observers, want, through,
                                    found)
        elif prim is None or extra is not None and extra.retains_grad:
            _accumulate_grad(t, g, fresh, False)
        # When this tensor sends gradient to one input and nothing else is pending, that input
        # is the next to visit: it is kept in hand (``nxt``) instead of going through the dict
        # and the heap. A chain of operations then costs no heap at all — a third of the
        # sweep's time in a long scalar chain.
        nxt = None
        if prim is not None:
            if t._saved is None:
                raise RuntimeError(
                    f"backward through the graph a second time: the saved values of "
                    f"'{prim.name}' were freed by the first backward(). Pass retain_graph=True "
                    "to the first backward() (or grad()) if you need to go through the graph "
                    "again."
                )
            seq = t._seq
            if extra is not None and extra.version > seq:
                raise RuntimeError(changed_after(t.describe(), prim.name))
            params = t._params
            if create_graph:
                args, ans = t._args, t
            else:
                args, ans = t._saved, t._data
            vjps = prim.vjps
            joint = None
            i = -1
            for a in t._args:
                i += 1
                if not isinstance(a, TensorBase):
                    continue
                if a._extra is not None and a._extra.version > seq:  # (constants too)
                    raise RuntimeError(changed_after(a.describe(), prim.name))
                if not a.requires_grad or need is not None and a not in need:
                    continue
                rule = vjps.get(i)
                if rule is not None:  # (a call without **{} is measurably cheaper)
                    gi = rule(g, ans, *args) if params is None else rule(g, ans, *args, **params)
                elif prim.vjp_joint is not None:  # one call for all the arguments (concatenate)
                    if joint is None:
                        joint = _joint_grads(t, prim, need, g, ans, args, params or _NO_PARAMS)
                    gi = joint[i]
                else:
                    gi = prim.vjp(i)(g, ans, *args, **(params or _NO_PARAMS))
                shape = a._data.shape
                if gi.shape != shape:  # undo broadcasting: the only place it is done
                    gi = reduce(gi, shape)
                if observers:
                    for observer in observers:
                        observer.sent(t, i, a, gi)
                if a._op is None and defer_leaves:
                    item = leaves.get(a)
                    if item is None:
                        leaves[a] = [gi, gi is not g]
                    else:  # (in place: a parameter used a thousand times gets no new objects)
                        item[0] = item[0] + gi
                        item[1] = True
                elif nxt is None and not heap:
                    nxt, nxt_g = a, gi
                else:
                    if nxt is not None:  # a second input: both wait in the heap
                        pending[nxt] = (nxt_g, nxt_g is not g)
                        push(heap, (-nxt._seq, nxt))
                        nxt = None
                    prev = get(a)
                    if prev is None:
                        pending[a] = (gi, gi is not g)
                        push(heap, (-a._seq, a))
                    else:
                        pending[a] = (prev[0] + gi, True)
            if not retain_graph:
                t._saved = None
        if nxt is not None:
            t, g, fresh = nxt, nxt_g, nxt_g is not g
        elif heap:
            t = pop(heap)[1]
            g, fresh = pending.pop(t)
        else:
            t = None
    # The leaves, last: they only receive (nothing flows on from them), so their visit is the
    # accumulation alone.
    for t in sorted(leaves, key=_creation_number, reverse=True) if leaves else ():
        g, fresh = leaves[t]
        visited += 1
        if special:
            _visit(t, None, g, fresh, create_graph, observers, want, through, found)
        else:
            _accumulate_grad(t, g, fresh, False)
    after_sweep(visited)
    return found


def _visit(t: TensorBase, prim: Any, g: Any, fresh: bool, create_graph: bool,
           observers: tuple, want: set | None, through: set | None,
           found: dict) -> tuple[Any, Any, bool]:
    """What the sweep does at ``t`` beyond an ordinary backward(): run its hooks, tell the
    observers, accumulate (``create_graph``), or — for ``grad()`` — keep the gradient of a
    target and stop where no target lies below. Returns ``(prim, g, fresh)``, prim None where
    the sweep stops."""
    extra = t._extra
    if extra is not None and extra.hooks:
        g, fresh = run_hooks(t, extra.hooks, g, create_graph), False
    for observer in observers:
        observer.visited(t, g)
    if want is None:
        if prim is None or extra is not None and extra.retains_grad:
            _accumulate_grad(t, g, fresh, create_graph)
    else:
        if t in want:
            found[t] = g
        if t not in through:
            prim = None  # grad() stops here: nothing it wants lies below
    return prim, g, fresh


def _joint_grads(t: TensorBase, prim: Any, need: Any, g: Any, ans: Any, args: tuple,
                 params: dict) -> dict[int, Any]:
    """The gradients of all the arguments of ``t`` that need one, by argument number, from the
    primitive's joint reverse rule (one call: see ``primitive.defvjp_joint``)."""
    argnums = [i for i, a in enumerate(t._args) if isinstance(a, TensorBase) and a.requires_grad
               and (need is None or a in need)]
    return dict(zip(argnums, prim.vjp_joint(argnums, g, ans, *args, **params), strict=True))


def _leading_to(roots: Sequence[TensorBase],
                targets: set[TensorBase]) -> tuple[set[TensorBase], set[TensorBase]]:
    """``(reaching, through)``: the tensors from which one of ``targets`` can be reached (the
    targets included), and those of them that reach one through an input — the only tensors
    whose reverse rules ``grad()`` runs (and frees), each only for the inputs in ``reaching``.

    Nothing made before the oldest target can depend on one, so the walk stops there: the graph
    below the targets is never visited. When every path walked ends at a target (the usual
    ``grad(loss, parameters)``), everything walked reaches one; otherwise a second pass, in
    creation order (inputs first), finds what does."""
    floor = min([t._seq for t in targets])
    seen, through, dead_end = set(roots), set(), False
    stack = list(roots)
    while stack:  # (the loop of _inputs, written out: this walk is grad()'s extra cost)
        t = stack.pop()
        has_input = False
        for a in t._args:
            if isinstance(a, TensorBase) and a._seq >= floor and a.requires_grad:
                has_input = True
                if a not in seen:
                    seen.add(a)
                    stack.append(a)
        if has_input:
            through.add(t)
        elif t not in targets:
            dead_end = True
    if not dead_end:
        return seen, through
    reaching, through = set(targets), set()
    for t in sorted(seen, key=_creation_number):
        if any(a in reaching for a in _inputs(t, floor)):
            through.add(t)
            reaching.add(t)
    return reaching, through


def _inputs(t: TensorBase, floor: int) -> Iterator[TensorBase]:
    """The inputs of ``t`` that require grad, made at or after creation number ``floor``."""
    for a in t._args:
        if isinstance(a, TensorBase) and a._seq >= floor and a.requires_grad:
            yield a


_creation_number = operator.attrgetter("_seq")


def _accumulate_grad(t: TensorBase, g: Any, fresh: bool, create_graph: bool) -> None:
    """``t.grad += g`` — in place into our own buffer when no graph is being recorded."""
    wrap = type(t)._wrap
    if create_graph:
        if not isinstance(g, TensorBase):
            g = wrap(g)
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
        if t.grad is not None:
            t.grad = t.grad + g
        elif g.requires_grad:
            t.grad = g  # recorded: later accumulation into it is never in place (see below)
        else:
            t.grad = wrap(np.array(g._data))  # g's data may be saved in the new graph
        return
    if isinstance(g, TensorBase):
        g = g._data
    if t.grad is None:
        if g.dtype != t._data.dtype:
            g = g.astype(t._data.dtype)
        elif not fresh or type(g) is not np.ndarray or g.base is not None \
                or not g.flags.writeable:
            g = np.array(g)
        t.grad = wrap(g)
    elif t.grad.requires_grad:  # a grad recorded by an earlier create_graph=True: keep it pure
        t.grad = wrap(t.grad._data + g)
    else:
        np.add(t.grad._data, g, out=t.grad._data, casting="unsafe")


def _as_grad_array(g: Any, t: TensorBase, what: str) -> np.ndarray:
    data = g._data if isinstance(g, TensorBase) else g
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


def _root_grad(t: TensorBase, g: Any, what: str, create_graph: bool) -> Any:
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"{what}: the output has shape {t.shape}, so a gradient argument is needed: "
                f"pass an array of shape {t.shape} holding the gradient of the final scalar with "
                "respect to this output (ones for a plain sum)."
            )
        g = ones(t._data.shape, t._data.dtype)
    elif isinstance(g, TensorBase) and create_graph:
        if g.shape != t.shape:
            _as_grad_array(g, t, what)
        return g
    else:
        g = _as_grad_array(g, t, what)
    return type(t)._wrap(g) if create_graph else g


def backward(
    tensors: TensorBase | Sequence[TensorBase],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate the gradients of ``tensors`` into ``.grad`` of every leaf they depend on.

    ``tensors``: one Tensor or a sequence of them (one sweep for all: PyTorch's
    ``torch.autograd.backward``); ``grad_tensors``: the gradient of the final scalar with
    respect to each — one array-like (or None) per tensor, each of its tensor's shape, None for
    a one-element tensor meaning 1. The sum ``Σₖ <grad_tensors[k], d tensors[k] / d leaf>`` is
    added to each leaf's ``.grad``. The graph is freed afterwards unless ``retain_graph=True``
    (default: ``create_graph``); ``create_graph=True`` records the backward pass itself, so the
    gradients can be differentiated again.
    """
    if isinstance(tensors, TensorBase):  # one tensor: the usual case
        if not tensors.requires_grad:
            raise _nothing_to_differentiate("this tensor")
        tensors, gs = [tensors], [_root_grad(tensors, grad_tensors, "backward()", create_graph)]
    else:
        tensors, gs = _roots(list(tensors), grad_tensors, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        with enable_grad():
            _sweep(tensors, gs, retain_graph, True)
    else:
        _sweep(tensors, gs, retain_graph, False)


def _nothing_to_differentiate(which: str) -> RuntimeError:
    return RuntimeError(
        f"backward(): {which} does not require grad, so there is nothing to differentiate: "
        "none of its inputs was created with requires_grad=True, or it was computed inside "
        "no_grad()."
    )


def _roots(tensors: list, grad_tensors: Any, create_graph: bool) -> tuple[list, list]:
    """The tensors of ``backward(tensors, grad_tensors)`` and their gradients, checked."""
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, (TensorBase, np.ndarray)) or len(grad_tensors) != len(tensors):
        raise ValueError(f"backward(): {len(tensors)} tensors, so grad_tensors must be a "
                         f"sequence of {len(tensors)} gradients (None for a one-element tensor)")
    for k, t in enumerate(tensors):
        if not isinstance(t, TensorBase):
            raise TypeError(f"backward(): tensors must be Tensors, not {type(t).__name__}")
        if not t.requires_grad:
            raise _nothing_to_differentiate(f"tensor {k}")
    return tensors, [_root_grad(t, g, "backward()", create_graph)
                     for t, g in zip(tensors, grad_tensors, strict=True)]


def grad(
    outputs: TensorBase | Sequence[TensorBase],
    inputs: TensorBase | Sequence[TensorBase],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[TensorBase | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple of Tensors.

    ``sum_k <grad_outputs[k], d outputs[k] / d inputs[i]>`` for each input i; ``.grad`` of no
    tensor is changed. With ``create_graph=True`` the results are themselves differentiable.
    """
    outputs = [outputs] if isinstance(outputs, TensorBase) else list(outputs)
    inputs = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (TensorBase, np.ndarray)):
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
        if not isinstance(x, TensorBase) or not x.requires_grad:
            raise RuntimeError("grad(): every input must be a Tensor with requires_grad=True")
    if retain_graph is None:
        retain_graph = create_graph
    gs = [_root_grad(o, g, "grad()", create_graph)
          for o, g in zip(outputs, grad_outputs, strict=True)]
    with set_grad_enabled(create_graph):
        found = _sweep(outputs, gs, retain_graph, create_graph, targets=inputs)
    result: list[TensorBase | None] = []
    for x in inputs:
        g = found.get(x)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "grad(): one of the inputs was not used to compute the outputs; pass "
                    "allow_unused=True to get None for it."
                )
            result.append(None)
        elif isinstance(g, TensorBase):
            result.append(g if g.dtype == x.dtype else g.astype(x.dtype))
        else:
            result.append(type(x)._wrap(np.array(g, dtype=x.dtype)))
    return tuple(result)
