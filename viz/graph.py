"""Draw the computation graph of an autograd_mini tensor.

:func:`draw_graph` walks everything a tensor depends on and returns a :class:`Diagram` (a
``graphviz.Digraph`` that renders through :func:`viz.dot.render`, so it works with the
system Graphviz or with ``graphviz-pure``). The picture has three kinds of node:

* value nodes (rounded boxes): one per tensor, titled by its name (or, if unnamed, the
  operation that produced it), with its data and gradient. Leaves that require grad
  (parameters, inputs) are filled blue, constant leaves grey (dashed border), intermediate
  results white and the root green;
* operation nodes (small amber ellipses) holding a symbol (``+ − × ÷ ^ @ exp σ tanh relu Σ``
  ...) and the operation's settings (an axis, a shape), placed between the input values and
  the value they produce;
* constant nodes (small dashed grey boxes) for numbers and arrays that took part in an
  operation without being tensors (the ``1`` in ``b + 1``).

Edges run from inputs to operations to outputs. An edge from a scalar input to an operation
with a scalar result is labelled with the local derivative, e.g. ``∂e/∂c = 2``.

Unnamed tensors are titled by their operation, numbered when several share a title
(``add₁``, ``add₂``), so that every title, and every edge label, names one node.

Gradients of intermediate results are only kept by the engine for tensors that called
``retain_grad()`` before ``backward()``; :func:`retain_grads` does that for a whole graph. A
node without its gradient shows ``grad —``, and a note under the picture says why.

Drawing is bounded: Graphviz's work grows with the nodes and, above all, with the edges that
span many layers (a tensor used all along a long graph), so :func:`draw_graph` refuses graphs
over ``max_nodes`` value nodes or ``max_edges`` edge segments with :class:`GraphTooLargeError`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from autograd_mini import Tensor
from nn.files import write_atomic

from .diagram import COLORS, FONT, Diagram, html_table, html_text
from .formatting import format_array, format_scalar, format_setting, printable, value_lines

#: The symbol drawn for each primitive of the engine (``autograd_mini.ops.PRIMITIVES``).
OP_SYMBOLS: dict[str, str] = {
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−x", "matmul": "@",
    "exp": "exp", "log": "log", "sqrt": "√", "abs": "|x|", "sign": "sign",
    "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "cast": "cast",
    "reshape": "reshape", "transpose": "ᵀ", "broadcast_to": "broadcast", "sum_to": "Σ to",
    "getitem": "[ ]", "scatter_add": "[ ] +=", "concatenate": "concat", "stack": "stack",
    "sum": "Σ", "mean": "mean", "max": "max", "argmax_share": "argmax share",
    "logsumexp": "log Σ exp", "softmax": "softmax", "log_softmax": "log softmax",
    "affine": "x Wᵀ + b", "quadratic_cost": "½‖a − y‖²", "bce_with_logits": "BCE(σ(z), y)",
    "softmax_cross_entropy": "CE(softmax(z), y)", "is_zero": "= 0", "positive_mask": "> 0",
    "flip": "flip", "roll": "roll", "tile": "tile", "repeat": "repeat", "pad": "pad",
    "diagonal": "diagonal", "diag_embed": "diag embed", "triu": "triu", "tril": "tril",
    "tensordot": "⊗·", "einsum": "einsum",
    "less": "<", "less_equal": "≤", "greater": ">", "greater_equal": "≥", "equal": "==",
    "not_equal": "≠", "where": "where", "maximum": "maximum", "minimum": "minimum",
    "maximum_share": "maximum share", "clip": "clip", "clip_source": "clip source",
    "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "sin⁻¹", "arccos": "cos⁻¹",
    "arctan": "tan⁻¹", "arctan2": "atan2", "sinh": "sinh", "cosh": "cosh", "arcsinh": "sinh⁻¹",
    "arccosh": "cosh⁻¹", "arctanh": "tanh⁻¹", "log1p": "log(1+x)", "expm1": "eˣ−1",
    "log2": "log₂", "log10": "log₁₀", "exp2": "2ˣ", "logaddexp": "log(eˣ+eʸ)", "hypot": "hypot",
    "square": "x²", "reciprocal": "1/x", "floor": "⌊x⌋", "ceil": "⌈x⌉", "floor_divide": "//",
    "mod": "%", "erf": "erf", "erfc": "erfc", "zeros_like": "0", "softplus": "softplus",
    "leaky_relu": "leaky relu", "elu": "elu", "gelu": "gelu", "min": "min", "argmax": "argmax",
    "argmin": "argmin", "sort": "sort", "argsort": "argsort", "permute_along": "permute",
    "var": "var", "std": "std", "prod": "Π", "cumsum": "cumsum",
}


#: The longest title a node gets; longer names are cut with "…".
MAX_TITLE = 40
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class GraphTooLargeError(ValueError):
    """The graph has more value nodes than ``max_nodes`` or more edge segments than
    ``max_edges`` allow."""


# --------------------------------------------------------------------------- graph walking


def walk(root: Tensor) -> list[Tensor]:
    """Return every tensor ``root`` depends on (itself included), inputs before outputs.

    The walk is iterative, so arbitrarily deep graphs do not hit the recursion limit; a
    tensor reached along several paths is listed once.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"expected an autograd_mini Tensor, got {type(root).__name__}")
    order: list[Tensor] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Tensor, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        ins = node.inputs
        if i < len(ins):
            stack.append((node, i + 1))
            child = ins[i]
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, 0))
        else:
            order.append(node)
    return order


def retain_grads(root: Tensor) -> int:
    """Call ``retain_grad()`` on every intermediate tensor ``root`` depends on.

    Call it before ``root.backward()`` so that :func:`draw_graph` can show the gradient of
    every node, not only of the leaves. Returns the number of tensors marked.
    """
    n = 0
    for t in walk(root):
        if not t.is_leaf:
            t.retain_grad()
            n += 1
    return n


def local_derivatives(t: Tensor) -> tuple[np.ndarray | None, ...]:
    """For a non-leaf ``t``, the local partial derivative ∂t/∂input for each Tensor input
    (in ``t.inputs`` order) when both are scalars (size 1); ``None`` where either is not.

    This is what a graph drawing writes on each edge: for e = c · d, (d, c). It applies the
    operation's own reverse rule to a gradient of 1.
    """
    if t.is_leaf:
        return ()
    raw = [a.data if isinstance(a, Tensor) else a for a in t.op_args]
    out = []
    for i, a in enumerate(t.op_args):
        if not isinstance(a, Tensor):
            continue
        if t.size != 1 or a.size != 1:
            out.append(None)
            continue
        g = t.primitive.vjp(i)(np.ones_like(t.data), t.data, *raw, **t.op_params)
        out.append(np.asarray(g).reshape(()))
    return tuple(out)


# --------------------------------------------------------------------------- graph size


def edge_segments(tensors: list[Tensor]) -> tuple[int, int, Tensor | None]:
    """Estimate the layout work of drawing ``tensors`` (inputs before outputs, as :func:`walk`
    lists them): return (edges, edge segments, the tensor whose edges span the most layers).

    Graphviz's ``dot`` puts nodes on layers and routes an edge that skips layers through one
    dummy node per layer it crosses; its time grows with these segments, not with the nodes
    alone. Layers are estimated as ``dot`` ranks a DAG: a result one layer after its operation,
    an operation one after its latest input, and each leaf or constant just before the first
    operation that uses it. An edge counts one segment per layer it spans.
    """
    layer: dict[int, int] = {}
    first_use: dict[int, int] = {}
    uses: list[tuple[Tensor, int]] = []  # (input, layer of the operation using it)
    edges = 0
    for t in tensors:
        if t.is_leaf:
            continue
        ins = t.inputs
        op_layer = 1 + max((layer.get(id(a), 0) for a in ins), default=0)
        layer[id(t)] = op_layer + 1
        for a in ins:
            uses.append((a, op_layer))
            if a.is_leaf:
                first_use[id(a)] = min(first_use.get(id(a), op_layer), op_layer)
        edges += len(t.op_args) + 1  # every operand (constants included), and the result
    for key, op_layer in first_use.items():
        layer[key] = op_layer - 1
    segments = edges - len(uses)  # constants and results: one segment each
    span: dict[int, int] = {}
    for a, op_layer in uses:
        length = op_layer - layer[id(a)]
        segments += length
        span[id(a)] = span.get(id(a), 0) + length
    widest = max(tensors, key=lambda t: span.get(id(t), 0)) if span else None
    return edges, segments, widest


def check_size(tensors: list[Tensor], max_nodes: int | None, max_edges: int | None) -> None:
    """Raise :class:`GraphTooLargeError` when ``tensors`` exceed ``max_nodes`` or
    ``max_edges`` (edge segments, see :func:`edge_segments`); the message says by how much,
    why it matters, and which arguments draw it anyway."""
    n = len(tensors)
    problems, lift = [], []
    if max_nodes is not None and n > max_nodes:
        problems.append(f"{n} value nodes, more than max_nodes={max_nodes}")
        lift.append("max_nodes=None")
    edges, segments, widest = edge_segments(tensors) if max_edges is not None else (0, 0, None)
    if max_edges is not None and segments > max_edges:
        users = sum(1 for t in tensors if any(a is widest for a in t.inputs))
        problem = f"{edges} edges crossing {segments:,} layers of the layout in all"
        if widest is not None and users > 2:
            problem += (f" ({_base_title(widest)} feeds {users} operations spread along the "
                        "graph, and Graphviz routes each long edge through every layer it "
                        "crosses)")
        problems.append(f"{problem}, more than max_edges={max_edges}")
        lift.append("max_edges=None")
    if problems:
        raise GraphTooLargeError(
            "the graph of this tensor has " + " and ".join(problems) + "; laying it out could "
            "take minutes and gigabytes, for an unreadable picture. Draw it anyway with "
            f"viz.draw_graph(t, {', '.join(lift)}) (rendering is stopped after its timeout), "
            "draw a smaller part of the computation, or, for an nn model, use the layer-level "
            "view viz.draw_model(model)."
        )


# --------------------------------------------------------------------------- DOT building


def _base_title(t: Tensor) -> str:
    if t.name is not None and str(t.name) != "":
        return printable(t.name, MAX_TITLE)
    if t.op:
        return str(t.op)
    return "param" if t.requires_grad else "const"


def titles(tensors: list[Tensor]) -> dict[int, str]:
    """A title for each tensor (by ``id``), unique within the drawing: its name, else its
    operation, else ``param`` / ``const``; titles shared by several tensors are numbered in
    the order given (``add₁``, ``add₂``), skipping any number another title already uses."""
    groups: dict[str, list[Tensor]] = {}
    for t in tensors:
        groups.setdefault(_base_title(t), []).append(t)
    taken = {title for title, members in groups.items() if len(members) == 1}
    out: dict[int, str] = {}
    for title, members in groups.items():
        if len(members) == 1:
            out[id(members[0])] = title
            continue
        k = 0
        for t in members:
            k += 1
            while title + str(k).translate(_SUBSCRIPTS) in taken:
                k += 1
            out[id(t)] = title + str(k).translate(_SUBSCRIPTS)
            taken.add(out[id(t)])
    return out


def grad_notes(tensors: list[Tensor], root: Tensor) -> list[str]:
    """What the ``grad —`` lines of a drawing mean, and how to fill them in."""
    missing = [t for t in tensors if t.requires_grad and t.grad is None]
    if not missing:
        return []
    who = str(root.name) if str(root.name or "").isidentifier() else "t"
    if all(t.grad is None for t in tensors):
        return [f"grad — : no gradients yet; call viz.retain_grads({who}), then "
                f"{who}.backward(), to see every node's"]
    notes = []
    if any(not t.is_leaf for t in missing):
        notes.append(f"grad — : not kept (backward() keeps the leaves' gradients only); "
                     f"call viz.retain_grads({who}) before {who}.backward()")
    if any(t.is_leaf for t in missing):
        notes.append("grad — on a leaf: no backward() has reached it since its grad was reset")
    return notes


def _value_node(g: Diagram, vid: str, t: Tensor, title: str, kind: str, show_data: bool,
                show_grad: bool) -> None:
    rows: list[tuple[str, dict[str, str]]] = [(title, {"bold": "1"})]
    if show_data:
        rows += [(line, {}) for line in value_lines("data", t.data)]
    if show_grad and t.grad is not None:
        rows += [(line, {"color": "#b02a37"})
                 for line in value_lines("grad", t.grad.data, t.data)]
    elif show_grad and t.requires_grad:  # constants never get a gradient: no line
        rows.append(("grad —", {"color": "#888888"}))
    style = "rounded,filled" + (",dashed" if kind == "const" else "")
    g.node(vid, label=html_table(rows), shape="box", style=style, fillcolor=COLORS[kind],
           penwidth="2" if kind == "root" else "1", margin="0.08,0.04")


def _op_node(g: Diagram, opid: str, t: Tensor) -> None:
    symbol = OP_SYMBOLS.get(t.op, t.op)
    settings = [f"{k}={format_setting(v)}" for k, v in t.op_params.items()
                if v is not None and v is not False]
    label = symbol
    if settings:
        label = html_table([(symbol, {}), (", ".join(settings), {"point-size": "9"})])
    g.node(opid, label=label, shape="ellipse", style="filled", fillcolor=COLORS["op"],
           fontsize="13" if len(symbol) <= 2 else "11", margin="0.04,0.02", tooltip=t.op)


def draw_graph(
    root: Tensor,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    show_edge_derivatives: bool = True,
    max_nodes: int | None = 200,
    max_edges: int | None = 1000,
) -> Diagram:
    """Draw the computation graph of everything ``root`` depends on.

    Each tensor becomes a box with its name (or, if unnamed, its operation, numbered when
    several share one: ``add₁``, ``add₂``), its data (``show_data``) and its gradient
    (``show_grad``: the value of ``.grad``, or ``grad —`` for a tensor that requires grad but
    has none kept, explained by a note under the picture, see :func:`retain_grads`; tensors
    that do not require grad get no gradient line). Control characters in names are shown
    escaped (``a\\x00b``). Scalars print their value; arrays print shape,
    dtype and min/mean/max, plus the values when they have at most 6 elements; a gradient
    array prints its min/mean/max and small values.
    Each operation is an ellipse with its symbol between its inputs and its result. Leaves
    requiring grad are blue, constant leaves grey, intermediate results white, ``root``
    green. With ``show_edge_derivatives``, edges from a scalar input into an operation with a
    scalar result are labelled with the local derivative, e.g. ``∂e/∂c = 2``.

    Args:
        root: the tensor whose history is drawn.
        rankdir: Graphviz direction, ``"LR"`` (inputs on the left) or ``"TB"`` (top down).
        max_nodes: the most tensors to draw; None for no limit.
        max_edges: the most edge segments to lay out, an edge counting once per layer of
            the picture it crosses (see :func:`edge_segments`): a tensor that feeds operations
            all along a long graph makes Graphviz slow far below ``max_nodes``. The default
            keeps rendering under about a second; None for no limit.

    Raises:
        GraphTooLargeError: the graph has more than ``max_nodes`` tensors or more than
            ``max_edges`` edge segments.
        TypeError: ``root`` is not a tensor.
    """
    tensors = walk(root)
    check_size(tensors, max_nodes, max_edges)
    names = titles(tensors)

    g = Diagram(name="autograd_mini", format="svg")
    g.attr(rankdir=rankdir, fontname=FONT, nodesep="0.25", ranksep="0.35")
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="10", color="#555555", arrowsize="0.7")

    ids = {id(t): f"v{i}" for i, t in enumerate(tensors)}
    g.value_ids = ids  # id(tensor) → its node's DOT id (the SVG <title>): viz.animate uses it
    n_const = 0
    for t in tensors:
        vid = ids[id(t)]
        if t is root:
            kind = "root"
        elif t.is_leaf:
            kind = "param" if t.requires_grad else "const"
        else:
            kind = "inner"
        _value_node(g, vid, t, names[id(t)], kind, show_data, show_grad)
        if t.is_leaf:
            continue
        opid = f"op{vid[1:]}"
        _op_node(g, opid, t)
        derivs = iter(local_derivatives(t) if show_edge_derivatives else ())
        for arg in t.op_args:
            if isinstance(arg, Tensor):
                d = next(derivs, None)
                label = ""
                if d is not None:
                    text = f"∂{names[id(t)]}/∂{names[id(arg)]} = {format_scalar(d)}"
                    label = f"<{html_text(text)}>"
                g.edge(ids[id(arg)], opid, label=label)
            else:  # a constant operand: the 1 in b + 1
                cid = f"k{n_const}"
                n_const += 1
                g.node(cid, label=html_table([(line, {}) for line in format_array(arg)]),
                       shape="box", style="rounded,filled,dashed", fillcolor=COLORS["const"],
                       fontsize="10", margin="0.05,0.02", height="0.3")
                g.edge(cid, opid, style="dashed")
        g.edge(opid, vid)
    if show_grad:
        g.add_notes(grad_notes(tensors, root))
    return g


def render_svg(
    root: Tensor,
    path: str | os.PathLike[str] | None = None,
    backend: str | None = None,
    **options: Any,
) -> str:
    """Draw ``root``'s computation graph (see :func:`draw_graph`) and return the SVG text.

    When ``path`` is given the SVG is also written there, atomically. ``options`` are passed to
    :func:`draw_graph`; ``backend`` (``"system"`` / ``"pure"``) forces a renderer.
    """
    svg = draw_graph(root, **options).svg(backend=backend)
    if path is not None:
        write_atomic(path, svg)
    return svg
