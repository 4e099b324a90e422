"""Step-by-step traces of the two sweeps: watch backpropagation happen, node by node.

For e = (a + b) · (b + 1) at a = 2, b = 1 (c = a + b = 3, d = b + 1 = 2, e = c · d = 6):

* :func:`trace_backward` records the reverse sweep from e as the engine runs it. The sweep starts
  at e with ∂e/∂e = 1 and visits every node once, latest first; a node passes its gradient times
  the local derivative on each edge to its inputs, and a node used twice adds what arrives:
  b gets 3 · 1 = 3 from d, then 2 · 1 = 2 from c, so ∂e/∂b = 3 + 2 = 5 — the "sum over all
  paths". One sweep gives ∂e/∂(every input).
* :func:`trace_forward` records forward mode seeded at one input (b): every node's derivative
  with respect to b, computed inputs first from its inputs' derivatives. One sweep gives
  ∂(every node)/∂b — for that one input only.

Both return a :class:`Trace`: a list of step records that prints as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

import autograd_mini
from autograd_mini import Tensor, forward_mode, no_grad
from autograd_mini.state import Observer, observing

from .formatting import format_array, format_scalar, format_setting, shape_text
from .graph import local_derivatives, titles, walk

_INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "matmul": "@"}


# --------------------------------------------------------------------------- the records


class Send(NamedTuple):
    """What one step of the reverse sweep sends to one Tensor input of its operation."""

    input: Tensor
    local: np.ndarray | None  # ∂tensor/∂input when both are scalars (size 1), else None
    sent: np.ndarray | None  # the gradient sent (None: the input is a constant, nothing sent)


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One step of the reverse sweep: ``tensor`` is reached holding its total gradient ``grad``
    (∂root/∂tensor, an ndarray of its shape) and sends one share to each input (``sends``, in
    argument order). ``received`` lists what had arrived, in arrival order, as (sender, gradient)
    pairs: ``grad`` is their sum (empty for the root, which holds the seed)."""

    tensor: Tensor
    grad: np.ndarray
    sends: tuple[Send, ...]
    received: tuple[tuple[Tensor, np.ndarray], ...]


class Term(NamedTuple):
    """What one Tensor input contributes to a tangent in forward mode."""

    input: Tensor
    local: np.ndarray | None  # ∂tensor/∂input when both are scalars (size 1), else None
    contribution: np.ndarray | None  # this input's share of the tangent (None: it has none)


@dataclass(frozen=True, eq=False)
class ForwardStep:
    """One step of the forward sweep: ``tangent`` is ∂tensor/∂wrt (an ndarray of the tensor's
    shape; zeros where it does not depend on wrt), the sum of the ``terms``, one per input."""

    tensor: Tensor
    tangent: np.ndarray
    terms: tuple[Term, ...]


class Trace(list):
    """The steps of one sweep, in the order they ran; ``print(trace)`` shows them as a table.

    ``mode`` is ``"reverse"`` or ``"forward"``, ``root`` the tensor traced, ``wrt`` the input a
    forward sweep is seeded at (None for reverse), ``labels`` the name each tensor is shown by.
    """

    def __init__(self, steps: list, mode: str, root: Tensor, wrt: Tensor | None,
                 labels: dict[int, str]) -> None:
        super().__init__(steps)
        self.mode, self.root, self.wrt, self.labels = mode, root, wrt, labels

    def of(self, tensor: Tensor) -> BackwardStep | ForwardStep:
        """The step that handled ``tensor``."""
        for step in self:
            if step.tensor is tensor:
                return step
        raise KeyError(f"{self.label(tensor)} is not part of this {self.mode} sweep")

    def label(self, tensor: Tensor) -> str:
        """The name ``tensor`` is shown by (its name, or its operation, numbered if repeated)."""
        return self.labels.get(id(tensor)) or tensor.name or tensor.op or "tensor"

    def table(self) -> str:
        """The steps as a text table (what printing the trace shows)."""
        return backward_table(self) if self.mode == "reverse" else forward_table(self)

    __str__ = __repr__ = table


# --------------------------------------------------------------------------- names and values


def short(value: Any) -> str:
    """A value in a few characters: ``5``, ``[1, 2]``, ``(4, 5) in [-0.3, 0.8]``; ``—`` for None."""
    if value is None:
        return "—"
    a = np.asarray(value)
    if a.size == 1:
        return format_scalar(a)
    if a.size == 0:
        return f"{shape_text(a.shape)} empty"
    if a.size <= 4:
        return format_array(a)[-1]
    with np.errstate(all="ignore"):
        low, high = np.min(a), np.max(a)
    if low == high:
        return f"{shape_text(a.shape)} all {format_scalar(low)}"
    return f"{shape_text(a.shape)} in [{format_scalar(low)}, {format_scalar(high)}]"


def formula(t: Tensor, labels: dict[int, str]) -> str:
    """How ``t`` was made, in its inputs' names: ``a + b``, ``sigmoid(affine₁)``; for a leaf,
    ``input`` (requires grad) or ``constant``."""
    if t.is_leaf:
        return "input" if t.requires_grad else "constant"
    args = []
    for a in t.op_args:
        if isinstance(a, Tensor):
            args.append(labels.get(id(a), a.name or a.op or "tensor"))
        else:
            args.append(short(a) if np.size(a) == 1 else f"array{shape_text(np.shape(a))}")
    if t.op in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[t.op]} {args[1]}"
    args += [f"{k}={format_setting(v)}" for k, v in t.op_params.items()
             if v is not None and v is not False]
    return f"{t.op}({', '.join(args)})"


def send_text(send: Send, grad: np.ndarray, labels: dict[int, str]) -> str:
    """``to c: 1 × 2 = 2`` (gradient × local derivative = sent), or ``to W₁: (3, 4) in [...]``."""
    name = labels[id(send.input)]
    if send.sent is None:
        return f"{name}: nothing (a constant)"
    if send.local is not None and np.size(grad) == 1:
        return f"to {name}: {short(grad)} × {short(send.local)} = {short(send.sent)}"
    return f"to {name}: {short(send.sent)}"


def terms_text(step: ForwardStep, tangents: dict[int, np.ndarray], labels: dict[int, str]) -> str:
    """``from c: 2 × 1 = 2;  from d: 3 × 1 = 3`` (local derivative × the input's tangent = its
    share). Inputs without a tangent are left out for arrays (they add nothing)."""
    parts = []
    for term in step.terms:
        name, tangent_in = labels[id(term.input)], tangents[id(term.input)]
        if term.local is not None and np.size(tangent_in) == 1:
            share = 0 if term.contribution is None else term.contribution
            parts.append(f"from {name}: {short(term.local)} × {short(tangent_in)} = {short(share)}")
        elif term.contribution is not None:
            parts.append(f"from {name}: {short(term.contribution)}")
    return ";  ".join(parts) or "0: no input depends on the seed"


def arrived_text(step: BackwardStep, labels: dict[int, str]) -> str:
    """``3 from d + 2 from c`` — what a node of the reverse sweep received (``from e`` when it
    came by one edge only); ``seed`` for the root."""
    if not step.received:
        return "seed"
    if len(step.received) == 1:
        return f"from {labels[id(step.received[0][0])]}"
    return " + ".join(f"{short(g)} from {labels[id(src)]}" for src, g in step.received)


# --------------------------------------------------------------------------- reverse mode


class _SweepRecorder(Observer):
    """Keeps what the backward sweep tells its observers: each visit and what it sent."""

    def __init__(self) -> None:
        self.visits: list[tuple[Tensor, np.ndarray, dict[int, np.ndarray]]] = []

    def visited(self, tensor: Tensor, grad: Any) -> None:
        self.visits.append((tensor, np.array(grad), {}))

    def sent(self, tensor: Tensor, argnum: int, to: Tensor, grad: Any) -> None:
        self.visits[-1][2][argnum] = np.array(grad)


def trace_backward(t: Tensor, grad: Any = None) -> Trace:
    """The reverse sweep from ``t``, step by step, as the engine runs it.

    Each step (a :class:`BackwardStep`) is one tensor reached by the sweep, latest-made first,
    with ``grad`` = ∂t/∂tensor (all the gradient it gets, an ndarray of its shape), ``sends``
    = one ``(input, local, sent)`` per Tensor input of its operation and ``received`` = the
    ``(sender, gradient)`` pairs it was the sum of. ``grad`` seeds the sweep (default 1; needed
    when ``t`` is not a scalar).

    The real sweep runs, watched by an observer, so the numbers are exactly — bit for bit — those
    ``backward()`` would compute. But it runs like ``autograd_mini.grad(..., retain_graph=True)``:
    no ``.grad`` is filled and the graph is kept, so you can trace, draw and animate the same
    graph and still call ``backward()`` afterwards.
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"trace_backward: expected an autograd_mini Tensor, got {type(t).__name__}")
    if not t.requires_grad:
        raise ValueError(
            "trace_backward: this tensor does not require grad, so there is no sweep to trace: "
            "make its inputs with requires_grad=True (and compute it outside no_grad())."
        )
    if grad is None and t.size != 1:
        raise ValueError(
            f"trace_backward: the tensor has shape {t.shape}, not one number: pass grad=, an "
            f"array of shape {t.shape} holding the gradient the sweep starts from."
        )
    tensors = walk(t)
    leaves = [x for x in tensors if x.is_leaf and x.requires_grad]
    if grad is not None and not isinstance(grad, Tensor):
        grad = np.asarray(grad)
    recorder = _SweepRecorder()
    try:
        with observing(recorder):
            autograd_mini.grad(t, leaves, grad_outputs=grad, retain_graph=True,
                               allow_unused=True)
    except RuntimeError as err:
        if "second time" not in str(err):
            raise
        raise RuntimeError(
            "trace_backward: the graph was freed by an earlier backward() (it keeps no values to "
            "sweep through); trace before calling backward(), or call backward(retain_graph=True)."
        ) from None
    labels = titles(tensors)
    arrived: dict[int, list[tuple[Tensor, np.ndarray]]] = {}
    steps = []
    for tensor, g, sent in recorder.visits:
        locals_ = iter(local_derivatives(tensor))
        sends = []
        for argnum, a in enumerate(tensor.op_args):
            if isinstance(a, Tensor):
                send = Send(a, next(locals_), sent.get(argnum))
                sends.append(send)
                if send.sent is not None:
                    arrived.setdefault(id(a), []).append((tensor, send.sent))
        steps.append(BackwardStep(tensor, g, tuple(sends), tuple(arrived.pop(id(tensor), ()))))
    return Trace(steps, "reverse", t, None, labels)


# --------------------------------------------------------------------------- forward mode


def _tangent_of(r: Tensor) -> np.ndarray:
    if r.tangent is None:  # forward mode's "no tangent": it does not depend on the seed
        return np.zeros(r.shape, dtype=r.dtype)
    return np.array(np.broadcast_to(r.tangent, r.shape))


def trace_forward(t: Tensor, wrt: Tensor, tangent: Any = None) -> Trace:
    """Forward mode through ``t``'s graph seeded at the input ``wrt``, step by step.

    Every tensor ``t`` depends on is one step (a :class:`ForwardStep`), inputs before the results
    made from them, with ``tangent`` = ∂tensor/∂wrt (the change of the tensor for a change of
    ``wrt`` in the direction ``tangent``, default all ones; for a scalar ``wrt`` that is just the
    derivative) and ``terms`` = one ``(input, local, contribution)`` per Tensor input.

    ``t`` is already computed, so its recorded operations are run again on the same values inside
    ``forward_mode()``: the tangents are the engine's own, equal to what
    ``autograd_mini.jvp`` gives for the same function. Nothing of ``t``'s graph is changed.
    """
    if not isinstance(t, Tensor) or not isinstance(wrt, Tensor):
        raise TypeError("trace_forward: expected autograd_mini Tensors for t and wrt")
    tensors = walk(t)
    if not any(x is wrt for x in tensors):
        raise ValueError("trace_forward: wrt is not one of the tensors t was computed from")
    if not wrt.is_leaf:
        raise ValueError(
            f"trace_forward: wrt must be an input of the graph (a leaf), not a result of "
            f"{wrt.op!r}: forward mode is seeded at an input"
        )
    seed = np.ones(wrt.shape, wrt.dtype) if tangent is None else np.asarray(tangent, wrt.dtype)
    if seed.shape != wrt.shape:
        raise ValueError(f"trace_forward: tangent has shape {seed.shape} but wrt has shape "
                         f"{wrt.shape}; they must be the same")
    replayed: dict[int, Tensor] = {}
    steps = []
    with no_grad(), forward_mode():
        for x in tensors:
            terms: tuple[Term, ...] = ()
            if x.is_leaf:
                r = x.detach()
                r.tangent = seed if x is wrt else None
            else:
                args = [replayed[id(a)] if isinstance(a, Tensor) else a for a in x.op_args]
                r = x.primitive(*args, **x.op_params)
                terms = _terms(x, args)
            replayed[id(x)] = r
            steps.append(ForwardStep(x, _tangent_of(r), terms))
    return Trace(steps, "forward", t, wrt, titles(tensors))


def _terms(x: Tensor, args: list) -> tuple[Term, ...]:
    """Each Tensor input's share of ``x``'s tangent: the operation run again with only that
    argument carrying its tangent (inside forward_mode)."""
    locals_ = iter(local_derivatives(x))
    terms = []
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            continue
        contribution = None
        if a.tangent is not None:
            alone = [b if j == i or not isinstance(b, Tensor) else b.detach()
                     for j, b in enumerate(args)]
            contribution = _tangent_of(x.primitive(*alone, **x.op_params))
        terms.append(Term(x.op_args[i], next(locals_), contribution))
    return tuple(terms)


# --------------------------------------------------------------------------- tables


def _steps(trace: Trace) -> str:
    return f"{len(trace)} step" + ("" if len(trace) == 1 else "s")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [r[0].rjust(widths[0])] + [c.ljust(w) for c, w in zip(r[1:], widths[1:],
                                                                     strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def backward_table(trace: Trace) -> str:
    """The reverse sweep as a table: step, node, how it was made, its gradient, what arrived and
    what it sends."""
    labels, root = trace.labels, trace.label(trace.root)
    rows = []
    for k, step in enumerate(trace, 1):
        sends = ";  ".join(send_text(s, step.grad, labels) for s in step.sends)
        rows.append([str(k), labels[id(step.tensor)], formula(step.tensor, labels),
                     short(step.grad), arrived_text(step, labels), sends or "(an input)"])
    head = [f"Reverse sweep from {root}: {_steps(trace)}, in the order the engine runs them.",
            "Each node, once all its gradient has arrived, sends gradient × local derivative to "
            "each input."]
    return "\n".join(head + _table(
        ["step", "node", "made by", f"∂{root}/∂node", "= what arrived",
         "sends (gradient × local = sent)"], rows))


def forward_table(trace: Trace) -> str:
    """The forward sweep as a table: step, node, how it was made, its tangent and its terms."""
    labels = trace.labels
    wrt = trace.label(trace.wrt) if trace.wrt is not None else "?"
    tangents = {id(step.tensor): step.tangent for step in trace}
    rows = []
    for k, step in enumerate(trace, 1):
        if step.tensor is trace.wrt:
            terms = "seed"
        elif step.tensor.is_leaf:
            terms = f"an input other than {wrt}"
        else:
            terms = terms_text(step, tangents, labels)
        rows.append([str(k), labels[id(step.tensor)], formula(step.tensor, labels),
                     short(step.tangent), terms])
    head = [f"Forward sweep seeded at {wrt}: {_steps(trace)}, inputs first.",
            f"Each node's derivative with respect to {wrt} is the sum, over its inputs, of",
            f"the local derivative × that input's derivative with respect to {wrt}."]
    return "\n".join(head + _table(
        ["step", "node", "made by", f"∂node/∂{wrt}", f"= sum of (local × ∂input/∂{wrt})"],
        rows))
