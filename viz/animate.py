"""Watch a sweep: a step-through page of reverse or forward mode on your own expression.

:func:`animate_backward` and :func:`animate_forward` trace a sweep (:mod:`viz.trace`), draw the
graph once with :func:`viz.draw_graph` and return a :class:`StepThrough`: one self-contained HTML
page (inline SVG, CSS, script and data; it loads nothing, so it works offline in any browser)
with previous / next / play buttons and the arrow keys. At each step the node being visited is
outlined, the edges its value flows along are lit, and every node shows the gradient (or, in
forward mode, the derivative) it holds at that moment — in italics while it is still a partial
sum, in bold once final. In a notebook the object displays inline; ``.save(path)`` writes it.
"""

from __future__ import annotations

import html
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from autograd_mini import Tensor

from .formatting import value_lines
from .graph import GraphTooLargeError, draw_graph, walk, write_atomic
from .trace import (
    Trace,
    arrived_text,
    formula,
    send_text,
    short,
    terms_text,
    trace_backward,
    trace_forward,
)

#: The most nodes (tensors) a step-through shows by default: one step each.
MAX_NODES = 100
#: How much larger than Graphviz's own size the graph may be drawn, up to FIT_PT points wide;
#: a graph wider than that is drawn at its own size and scrolls (to the node of each step).
ZOOM, FIT_PT = 1.5, 720
_MAX_LISTED = 6  # inputs named in the closing sentence


class StepThrough:
    """A step-through page: ``.html`` is the whole page; ``.save(path)`` writes it (atomically);
    in a notebook it displays inline (in an isolated frame)."""

    def __init__(self, page: str, title: str, steps: int, height: int) -> None:
        self.html, self.title, self.steps, self._height = page, title, steps, height

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (e.g. ``sweep.html``) all or nothing; returns the path."""
        return write_atomic(path, self.html)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" title="'
                f'{html.escape(self.title, quote=True)}" sandbox="allow-scripts" '
                f'style="width:100%; height:{self._height}px; border:1px solid #ddd"></iframe>')

    def __repr__(self) -> str:
        steps = f"{self.steps} step" + ("" if self.steps == 1 else "s")
        return f"<StepThrough: {self.title}, {steps}; .save('sweep.html') writes it>"


# --------------------------------------------------------------------------- public functions


def animate_backward(
    t: Tensor, path: str | os.PathLike[str] | None = None, *, grad: Any = None,
    max_nodes: int | None = MAX_NODES, rankdir: str = "LR", backend: str | None = None,
) -> StepThrough:
    """A step-through page of the reverse sweep from ``t`` (see :func:`viz.trace_backward`).

    Like the trace, it fills no ``.grad`` and keeps the graph. ``path``: also write the page
    there. ``grad``: the seed when ``t`` is not a scalar. ``max_nodes``: refuse graphs of more
    tensors (None: no limit). ``rankdir``: ``"LR"`` (inputs on the left) or ``"TB"`` (top
    down). ``backend``: force a Graphviz renderer (``"system"`` / ``"pure"``).

    Raises:
        GraphTooLargeError: the graph has more than ``max_nodes`` tensors.
    """
    _check_size(t, max_nodes, "animate_backward")
    trace = trace_backward(t, grad)
    root = trace.label(t)
    shown = {id(s.tensor): s.grad for s in trace}
    value_ids, svg = _draw(t, shown, rankdir, backend)
    nodes = _nodes(trace, value_ids, shown, "grad")
    running: dict[int, Any] = {}
    steps = [{"node": None, "inputs": [], "arrived": [], "note": f"Reverse mode from {root}: "
              "press Next (or →) to run the sweep one node at a time."}]
    for k, step in enumerate(trace, 1):
        node = nodes[id(step.tensor)]
        node["visit"] = k
        node["changes"].append(_change(k, "grad", step.grad, step.tensor, "final"))
        inputs = []
        for send in step.sends:
            if send.sent is None:
                continue
            key = id(send.input)
            running[key] = send.sent if key not in running else running[key] + send.sent
            nodes[key]["changes"].append(_change(k, "grad", running[key], send.input, "partial"))
            inputs.append(value_ids[key])
        arrived = [value_ids[id(sender)] for sender, _ in step.received]
        steps.append({"node": node["id"], "inputs": inputs, "arrived": arrived,
                      "note": _backward_note(trace, k)})
    intro = (f"Reverse mode (backpropagation). The sweep starts at {root} with ∂{root}/∂{root} = "
             f"{short(trace[0].grad)} and visits each node once, the last computed first. A node "
             "whose gradient is complete passes gradient × the local derivative on each edge to "
             "its inputs; a node used in several places adds up what arrives — the sum over all "
             f"paths. One sweep gives ∂{root}/∂(every input).")
    return _page(f"Reverse sweep from {root}", intro, f"∂{root}/∂node", nodes, steps, svg, path)


def animate_forward(
    t: Tensor, wrt: Tensor, path: str | os.PathLike[str] | None = None, *,
    tangent: Any = None, max_nodes: int | None = MAX_NODES, rankdir: str = "LR",
    backend: str | None = None,
) -> StepThrough:
    """A step-through page of forward mode through ``t``'s graph seeded at the input ``wrt``
    (see :func:`viz.trace_forward`): ∂node/∂wrt for every node, inputs first.

    ``path``, ``max_nodes``, ``rankdir`` and ``backend`` as for :func:`animate_backward`;
    ``tangent`` is the seed direction (default all ones).
    """
    _check_size(t, max_nodes, "animate_forward")
    trace = trace_forward(t, wrt, tangent)
    w = trace.label(wrt)
    shown = {id(s.tensor): s.tangent for s in trace}
    value_ids, svg = _draw(t, shown, rankdir, backend)
    prefix = f"∂/∂{w}"
    nodes = _nodes(trace, value_ids, shown, prefix)
    steps = [{"node": None, "inputs": [], "arrived": [], "note": f"Forward mode seeded at {w}: "
              "press Next (or →) to compute the derivatives one node at a time."}]
    for k, step in enumerate(trace, 1):
        node = nodes[id(step.tensor)]
        node["visit"] = k
        node["changes"].append(_change(k, prefix, step.tangent, step.tensor, "final"))
        inputs = [value_ids[id(term.input)] for term in step.terms
                  if term.contribution is not None]
        steps.append({"node": node["id"], "inputs": inputs, "arrived": [],
                      "note": _forward_note(trace, k, shown)})
    intro = (f"Forward mode, seeded at {w}: ∂{w}/∂{w} = 1 and every other input 0. Each node's "
             f"derivative with respect to {w} is computed from its inputs' derivatives as soon as "
             "they are known, in the order the values were: local derivative × the input's "
             f"derivative, summed over the inputs. One sweep gives ∂(every node)/∂{w} — for this "
             "one input; each other input needs a sweep of its own.")
    return _page(f"Forward sweep from {w}", intro, f"∂node/∂{w}", nodes, steps, svg, path)


# --------------------------------------------------------------------------- the data


def _check_size(t: Tensor, max_nodes: int | None, fn: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: expected an autograd_mini Tensor, got {type(t).__name__}")
    n = len(walk(t))
    if max_nodes is not None and n > max_nodes:
        raise GraphTooLargeError(
            f"{fn}: the graph of this tensor has {n} nodes (tensors), more than "
            f"max_nodes={max_nodes}: a step-through of {n} steps is too long to watch. Print "
            "viz.trace_backward(t) / viz.trace_forward(t, wrt) to read the whole sweep as a "
            "table, animate a smaller example (for an nn model, fewer layers: the batch size "
            "does not matter), or pass max_nodes=None to animate it anyway."
        )


def _draw(t: Tensor, shown: dict[int, np.ndarray], rankdir: str,
          backend: str | None) -> tuple[dict, str]:
    """The graph drawn by draw_graph with the sweep's final values in the gradient lines (so the
    boxes are sized for them); every ``.grad`` is put back as it was."""
    saved = []
    try:
        for x in walk(t):
            if id(x) in shown:
                saved.append((x, x.grad))
                x.grad = Tensor(shown[id(x)])
        diagram = draw_graph(t, rankdir=rankdir, max_nodes=None)
        svg = diagram.svg(backend=backend)
    finally:
        for x, g in saved:
            x.grad = g
    return diagram.value_ids, svg


def _change(k: int, prefix: str, value: Any, t: Tensor, status: str) -> list:
    """From step k on, a node shows ``value``: its box lines, status, and the table's text."""
    text = short(value) + (" so far" if status == "partial" else "")
    return [k, value_lines(prefix, value, t.data), status, text]


def _nodes(trace: Trace, value_ids: dict[int, str], shown: dict[int, np.ndarray],
           prefix: str) -> dict[int, dict]:
    """Every tensor drawn, in the order of the steps (the side table's rows), with how many
    value lines its box has and what they show before the sweep."""
    nodes = {}
    for step in trace:
        x = step.tensor
        lines = len(value_lines(prefix, shown[id(x)], x.data))
        nodes[id(x)] = {"id": value_ids[id(x)], "label": trace.label(x), "lines": lines,
                        "row": True, "visit": None,
                        "changes": [[0, [f"{prefix} —"], "none", "—"]]}
    return nodes


# --------------------------------------------------------------------------- the notes


def _listing(names: list[str], values: list[str]) -> str:
    listed = [f"{n} = {v}" for n, v in zip(names[:_MAX_LISTED], values, strict=False)]
    more = f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
    return ", ".join(listed) + more


def _backward_note(trace: Trace, k: int) -> str:
    step, labels, root = trace[k - 1], trace.labels, trace.label(trace.root)
    name = labels[id(step.tensor)]
    if not step.received:
        note = f"Step {k}: the sweep starts at {root} with ∂{root}/∂{root} = {short(step.grad)}."
    elif len(step.received) == 1:
        note = (f"Step {k}: all of {name}'s gradient has arrived: ∂{root}/∂{name} = "
                f"{short(step.grad)} ({arrived_text(step, labels)}).")
    else:
        note = (f"Step {k}: all of {name}'s gradient has arrived, by {len(step.received)} "
                f"paths: ∂{root}/∂{name} = {arrived_text(step, labels)} = {short(step.grad)}.")
    if step.sends:
        sends = ";  ".join(send_text(s, step.grad, labels) for s in step.sends)
        note += f" {name} = {formula(step.tensor, labels)} sends gradient × local derivative: "
        note += sends + "."
    else:
        note += f" {name} is an input: its gradient is final."
    if k == len(trace):
        inputs = [s for s in trace if s.tensor.is_leaf]
        names = [f"∂{root}/∂{labels[id(s.tensor)]}" for s in inputs]
        note += (" Done: one reverse sweep gave the gradient with respect to every input: "
                 + _listing(names, [short(s.grad) for s in inputs]) + ".")
    return note


def _forward_note(trace: Trace, k: int, tangents: dict[int, np.ndarray]) -> str:
    step, labels = trace[k - 1], trace.labels
    root, w, name = trace.label(trace.root), trace.label(trace.wrt), labels[id(step.tensor)]
    if step.tensor is trace.wrt:
        note = (f"Step {k}: {w} is the input we differentiate with respect to: the sweep is "
                f"seeded with ∂{w}/∂{w} = {short(step.tangent)}.")
    elif step.tensor.is_leaf:
        note = (f"Step {k}: {name} is another input; it does not change when {w} does: "
                f"∂{name}/∂{w} = {short(step.tangent)}.")
    else:
        note = (f"Step {k}: {name} = {formula(step.tensor, labels)}. ∂{name}/∂{w} = the sum of "
                f"local derivative × ∂input/∂{w} over its inputs: "
                f"{terms_text(step, tangents, labels)}; in all {short(step.tangent)}.")
    if k == len(trace):
        others = [labels[id(s.tensor)] for s in trace
                  if s.tensor.is_leaf and s.tensor.requires_grad and s.tensor is not trace.wrt]
        note += (f" Done: one forward sweep gave ∂{root}/∂{w} = {short(step.tangent)} — for {w} "
                 "only.")
        if others:
            note += (f" ∂{root}/∂{others[0]} needs another sweep, seeded at {others[0]}: one "
                     "sweep per input. Reverse mode gets them all in one sweep.")
    return note


# --------------------------------------------------------------------------- the page


def _template() -> str:
    return resources.files("viz").joinpath("step_through.html").read_text(encoding="utf-8")


def _inline_svg(svg: str) -> tuple[str, float, bool]:
    """Graphviz's SVG as an element of the page (a small graph enlarged and shrinking with the
    window, a large one at its own size), its height in pixels, and whether it is large."""
    svg = svg[svg.index("<svg"):]
    tag = re.match(r"<svg\b[^>]*>", svg).group(0)
    size = dict(re.findall(r'\s(width|height)="([\d.]+)pt"', tag))
    width, height = float(size.get("width", 400)), float(size.get("height", 300))
    zoom = min(ZOOM, max(1.0, FIT_PT / width))
    style = f"width:{width * zoom:.0f}pt; height:auto"
    large = width * zoom > FIT_PT
    if not large:
        style += "; max-width:100%"
    new_tag = re.sub(r'\s(width|height)="[^"]*"', "", tag)
    new_tag = new_tag.replace("<svg", f'<svg style="{style}"', 1)
    return new_tag + svg[len(tag):], height * zoom * 4 / 3, large


def _page(title: str, intro: str, value_head: str, nodes: dict[int, dict], steps: list[dict],
          svg: str, path: str | os.PathLike[str] | None) -> StepThrough:
    svg, svg_height, large = _inline_svg(svg)
    data = {"title": title, "intro": intro, "valueHead": value_head, "stacked": large,
            "nodes": list(nodes.values()), "steps": steps}
    # Inside <script>: no "<", ">" or "&" at all, so the data can never close the element.
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    parts = {"TITLE": html.escape(title), "DATA": text, "SVG": svg}
    page = re.sub(r"@@(TITLE|DATA|SVG)@@", lambda m: parts[m.group(1)], _template())
    result = StepThrough(page, title, len(steps) - 1, int(min(1000, svg_height + 300)))
    if path is not None:
        result.save(path)
    return result
