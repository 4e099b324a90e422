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

Gradients of intermediate results are only kept by the engine for tensors that called
``retain_grad()`` before ``backward()``; :func:`retain_grads` does that for a whole graph.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from autograd_mini import Tensor
from nn.files import write_atomic

from .diagram import COLORS, FONT, Diagram, html_table
from .formatting import format_array, format_scalar, format_setting, value_lines

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


class GraphTooLargeError(ValueError):
    """The graph has more value nodes than ``max_nodes`` allows."""


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


# --------------------------------------------------------------------------- DOT building


def _display_name(t: Tensor) -> str:
    if t.name:
        return str(t.name)
    if t.op:
        return str(t.op)
    return "param" if t.requires_grad else "const"


def _value_node(g: Diagram, vid: str, t: Tensor, kind: str, show_data: bool,
                show_grad: bool) -> None:
    rows: list[tuple[str, dict[str, str]]] = [(_display_name(t), {"bold": "1"})]
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
) -> Diagram:
    """Draw the computation graph of everything ``root`` depends on.

    Each tensor becomes a box with its name (or its operation if unnamed), its data
    (``show_data``) and its gradient (``show_grad``: the value of ``.grad``, or ``grad —``
    for a tensor that requires grad but has none kept, see :func:`retain_grads`; tensors that
    do not require grad get no gradient line). Scalars print their value; arrays print shape,
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

    Raises:
        GraphTooLargeError: the graph has more than ``max_nodes`` tensors.
        TypeError: ``root`` is not a tensor.
    """
    tensors = walk(root)
    if max_nodes is not None and len(tensors) > max_nodes:
        raise GraphTooLargeError(
            f"the graph of this tensor has {len(tensors)} value nodes, more than "
            f"max_nodes={max_nodes}; drawing it would give an unreadable picture. "
            "Pass max_nodes=None to draw it anyway, or, for an nn model, use the layer-level "
            "view viz.draw_model(model)."
        )

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
        _value_node(g, vid, t, kind, show_data, show_grad)
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
                    label = f"∂{_display_name(t)}/∂{_display_name(arg)} = {format_scalar(d)}"
                g.edge(ids[id(arg)], opid, label=label)
            else:  # a constant operand: the 1 in b + 1
                cid = f"k{n_const}"
                n_const += 1
                g.node(cid, label=html_table([(line, {}) for line in format_array(arg)]),
                       shape="box", style="rounded,filled,dashed", fillcolor=COLORS["const"],
                       fontsize="10", margin="0.05,0.02", height="0.3")
                g.edge(cid, opid, style="dashed")
        g.edge(opid, vid)
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
