"""Draw computation graphs of autograd_mini tensors, and layer diagrams of nn models.

:func:`draw_graph` walks everything a tensor depends on and returns a :class:`Diagram` (a
``graphviz.Digraph`` that renders through :func:`viz.dot.render`, so it works with the
system Graphviz or with ``graphviz-pure``). The picture has three kinds of node:

* value nodes (rounded boxes): one per tensor, titled by its name (or, if unnamed, the
  operation that produced it), with its data and gradient. Leaves that require grad
  (parameters, inputs) are filled blue, constant leaves grey (dashed border), intermediate
  results white and the root green;
* operation nodes (small amber ellipses) holding a symbol (``+ − × ÷ ^ @ exp σ tanh relu Σ``
  ...), placed between the input values and the value they produce;
* constant nodes (small dashed grey boxes) for numbers and arrays that took part in an
  arithmetic operation without being tensors (the ``1`` in ``b + 1``).

Edges run from inputs to operations to outputs. An edge from a scalar input to an operation
with a scalar result is labelled with the local derivative, e.g. ``∂e/∂c = 2``.

Gradients of intermediate results are only kept by the engine for tensors that called
``retain_grad()`` before ``backward()``; :func:`retain_grads` does that for a whole graph.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from nn.files import write_atomic

from .dot import RenderError, render

__all__ = [
    "Diagram",
    "GraphTooLargeError",
    "draw_graph",
    "draw_model",
    "format_array",
    "format_scalar",
    "render_svg",
    "retain_grads",
    "tensor_repr_svg",
    "walk",
]

FONT = "Helvetica"

#: Display symbol of each operation name; unknown operations are shown by name.
OP_SYMBOLS: dict[str, str] = {
    "add": "+", "radd": "+",
    "sub": "−", "rsub": "−", "subtract": "−",
    "mul": "×", "rmul": "×", "multiply": "×",
    "div": "÷", "rdiv": "÷", "truediv": "÷", "rtruediv": "÷", "divide": "÷",
    "pow": "^", "rpow": "^", "power": "^",
    "matmul": "@", "rmatmul": "@", "dot": "@",
    "neg": "−x", "negate": "−x", "negative": "−x",
    "exp": "exp", "log": "log", "sqrt": "√", "abs": "|x|", "absolute": "|x|",
    "sigmoid": "σ", "tanh": "tanh", "relu": "relu",
    "softmax": "softmax", "log_softmax": "log softmax", "logsumexp": "logsumexp",
    "sum": "Σ", "mean": "mean", "max": "max", "min": "min",
    "transpose": "ᵀ", "T": "ᵀ", "reshape": "reshape", "getitem": "[ ]",
}
#: Operations whose non-tensor arguments are operands (drawn as constant nodes); for any other
#: operation such arguments are settings (an axis, a shape) and are written under its symbol.
ARITHMETIC_OPS = frozenset(
    name for name, sym in OP_SYMBOLS.items() if sym in {"+", "−", "×", "÷", "^", "@"}
)

COLORS = {
    "param": "#cfe2ff",  # leaf requiring grad
    "const": "#eeeeee",  # leaf not requiring grad, and literal constants
    "inner": "#ffffff",  # intermediate result
    "root": "#d4edda",  # the tensor drawn
    "op": "#ffe8a8",
}


class GraphTooLargeError(ValueError):
    """The graph has more value nodes than ``max_nodes`` allows."""


# --------------------------------------------------------------------------- diagram object


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with :func:`viz.dot.render`.

    It behaves like any Digraph (``.source``, ``.node()``, ``.edge()`` ...), but its notebook
    display and :meth:`svg` / :meth:`save` go through autograd_mini's renderer, which uses the
    system Graphviz when present and the pip-installed ``graphviz-pure`` otherwise.
    ``backend`` (``"system"``, ``"pure"`` or None) forces one of them.
    """

    backend: str | None = None

    def svg(self, backend: str | None = None) -> str:
        """Render to SVG text."""
        return self.pipe_via_renderer("svg", backend)  # type: ignore[return-value]

    def pipe_via_renderer(self, format: str = "svg", backend: str | None = None) -> str | bytes:
        """Render to ``format`` with :func:`viz.dot.render`."""
        engine = None if self.engine == "dot" else self.engine
        return render(self.source, format=format, engine=engine, backend=backend or self.backend)

    def save(self, path: str | os.PathLike[str], backend: str | None = None) -> Path:
        """Write the picture to ``path`` atomically; the format is the path's suffix.

        ``.svg``, ``.png``, ``.jpg`` ... are rendered; ``.dot`` / ``.gv`` get the DOT source.
        """
        suffix = Path(path).suffix.lower().lstrip(".")
        if not suffix:
            raise ValueError(f"cannot tell the output format of {str(path)!r}: add a suffix")
        if suffix in ("dot", "gv"):
            return write_atomic(path, self.source)
        fmt = "jpeg" if suffix == "jpg" else suffix
        return write_atomic(path, self.pipe_via_renderer(fmt, backend))

    # Notebook display ----------------------------------------------------------------------
    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except RenderError:
            return None

    def _repr_image_svg_xml(self) -> str:  # used by graphviz's own mimebundle machinery
        return self.svg()

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        if "image/svg+xml" not in wanted:
            return {}
        try:
            return {"image/svg+xml": self.svg()}
        except RenderError as exc:
            return {"text/plain": f"<{type(self).__name__}: cannot render: {exc}>"}


# --------------------------------------------------------------------------- number formatting


def format_scalar(value: Any) -> str:
    """Format one number compactly: ``6``, ``0.5``, ``-3.142``, ``1.23e-05``, ``True``."""
    v = np.asarray(value).reshape(-1)[0] if np.ndim(value) else value
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        return f"{complex(v):.4g}"
    f = float(v)
    if math.isfinite(f) and f == int(f) and abs(f) < 1e6:
        return str(int(f))
    text = f"{f:.4g}"
    return "0" if text == "-0" else text


def _format_nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return format_scalar(a)
    return "[" + ", ".join(_format_nested(row) for row in a) + "]"


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def format_array(value: Any, max_values: int = 6) -> list[str]:
    """Describe an array in a few short lines.

    Scalars (0-d) give one line, their value. Other arrays give ``shape dtype`` and, when not
    empty, ``min …, mean …, max …`` (omitted for single elements); arrays with at most
    ``max_values`` elements also list their values.
    """
    a = np.asarray(value)
    if a.ndim == 0:
        return [format_scalar(a)]
    lines = [f"{_shape_text(a.shape)} {a.dtype}"]
    if a.size == 0:
        lines.append("empty")
        return lines
    if a.size > 1 and np.issubdtype(a.dtype, np.number) and not np.iscomplexobj(a):
        with np.errstate(all="ignore"):
            stats = (np.min(a), np.mean(a), np.max(a))
        lines.append("min {}, mean {}, max {}".format(*(format_scalar(s) for s in stats)))
    if a.size <= max_values:
        lines.append(_format_nested(a))
    return lines


# --------------------------------------------------------------------------- graph walking


def _is_tensor(obj: Any) -> bool:
    return hasattr(obj, "data") and hasattr(obj, "requires_grad") and hasattr(obj, "inputs")


def _inputs(t: Any) -> tuple[Any, ...]:
    return tuple(getattr(t, "inputs", None) or ())


def walk(root: Any) -> list[Any]:
    """Return every tensor ``root`` depends on (itself included), inputs before outputs.

    The walk is iterative, so arbitrarily deep graphs do not hit the recursion limit; a
    tensor reached along several paths is listed once.
    """
    if not _is_tensor(root):
        raise TypeError(f"expected an autograd_mini Tensor, got {type(root).__name__}")
    order: list[Any] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        ins = _inputs(node)
        if i < len(ins):
            stack.append((node, i + 1))
            child = ins[i]
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, 0))
        else:
            order.append(node)
    return order


def retain_grads(root: Any) -> int:
    """Call ``retain_grad()`` on every intermediate tensor ``root`` depends on.

    Call it before ``root.backward()`` so that :func:`draw_graph` can show the gradient of
    every node, not only of the leaves. Returns the number of tensors marked.
    """
    n = 0
    for t in walk(root):
        if not _is_leaf(t) and hasattr(t, "retain_grad"):
            t.retain_grad()
            n += 1
    return n


def _is_leaf(t: Any) -> bool:
    leaf = getattr(t, "is_leaf", None)
    return (not _inputs(t)) if leaf is None else bool(leaf)


def _local_derivatives(t: Any) -> tuple[Any, ...] | None:
    try:
        from autograd_mini.autodiff import local_derivatives
    except ImportError:
        return None
    try:
        return tuple(local_derivatives(t))
    except Exception:  # a drawing must not fail because one derivative is unavailable
        return None


# --------------------------------------------------------------------------- DOT building


def _html_table(rows: list[tuple[str, dict[str, str]]]) -> str:
    """An HTML-like label: one centred cell per row; each row is (text, font attributes)."""
    cells = []
    for text, font in rows:
        body = html.escape(text, quote=False)
        if font.get("bold"):
            body = f"<B>{body}</B>"
        attrs = " ".join(f'{k.upper()}="{v}"' for k, v in font.items() if k != "bold")
        if attrs:
            body = f"<FONT {attrs}>{body}</FONT>"
        cells.append(f"<TR><TD>{body}</TD></TR>")
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(
        cells
    ) + "</TABLE>>"


def _value_lines(prefix: str, value: Any, like: Any = None) -> list[str]:
    """Lines describing ``value``, the first one starting with ``prefix``.

    When ``like`` (the tensor's data) has the same shape and dtype, the shape/dtype line is
    left out: a gradient is then described by its summary and small values only.
    """
    lines = format_array(value)
    if np.ndim(value) > 0 and like is not None:
        a, ref = np.asarray(value), np.asarray(like)
        if a.shape == ref.shape and a.dtype == ref.dtype:
            lines = lines[1:] or ["empty"]
    return [f"{prefix} {lines[0]}"] + lines[1:]


def _display_name(t: Any) -> str:
    name = getattr(t, "name", None)
    if name:
        return str(name)
    op = getattr(t, "op", None)
    if op:
        return str(op)
    return "param" if getattr(t, "requires_grad", False) else "const"


def _is_scalar_size(t: Any) -> bool:
    return int(np.size(t.data)) == 1


def draw_graph(
    root: Any,
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
    n_const = 0
    for t in tensors:
        vid = ids[id(t)]
        leaf = _is_leaf(t)
        if t is root:
            kind = "root"
        elif leaf:
            kind = "param" if t.requires_grad else "const"
        else:
            kind = "inner"

        rows: list[tuple[str, dict[str, str]]] = [(_display_name(t), {"bold": "1"})]
        if show_data:
            rows += [(line, {}) for line in _value_lines("data", t.data)]
        grad = getattr(t, "grad", None)
        if show_grad and grad is not None:
            gdata = getattr(grad, "data", grad)
            rows += [(line, {"color": "#b02a37"}) for line in _value_lines("grad", gdata, t.data)]
        elif show_grad and t.requires_grad:  # constants never get a gradient: no line
            rows.append(("grad —", {"color": "#888888"}))
        style = "rounded,filled" + (",dashed" if kind == "const" else "")
        penwidth = "2" if kind == "root" else "1"
        g.node(vid, label=_html_table(rows), shape="box", style=style,
               fillcolor=COLORS[kind], penwidth=penwidth, margin="0.08,0.04")

        if leaf:
            continue
        ins = _inputs(t)
        op = str(getattr(t, "op", None) or "op")
        opid = f"op{vid[1:]}"
        symbol = OP_SYMBOLS.get(op, op)
        op_args = getattr(t, "op_args", None) or ins
        others = [a for a in op_args if not _is_tensor(a)]
        draw_consts = op in ARITHMETIC_OPS
        settings = [] if draw_consts else [_short(a) for a in others]
        settings += [f"{k}={_short(v)}" for k, v in _op_kwargs(t).items()
                     if v is not None and v is not False]
        op_label = symbol
        if settings:
            op_label = _html_table([(symbol, {}),
                                    (", ".join(settings), {"point-size": "9"})])
        g.node(opid, label=op_label, shape="ellipse", style="filled",
               fillcolor=COLORS["op"], fontsize="13" if len(symbol) <= 2 else "11",
               margin="0.04,0.02", tooltip=op)

        derivs = _local_derivatives(t) if show_edge_derivatives else None
        out_scalar = _is_scalar_size(t)
        out_name = _display_name(t)
        tensor_pos = 0
        for arg in op_args:
            if _is_tensor(arg):
                label = ""
                d = derivs[tensor_pos] if derivs and tensor_pos < len(derivs) else None
                if d is not None and out_scalar and _is_scalar_size(arg) and np.size(d) == 1:
                    label = f"∂{out_name}/∂{_display_name(arg)} = {format_scalar(d)}"
                tensor_pos += 1
                src = ids.get(id(arg))
                if src is not None:
                    g.edge(src, opid, label=label)
            elif draw_consts:
                cid = f"k{n_const}"
                n_const += 1
                g.node(cid, label=_html_table([(line, {}) for line in format_array(arg)]),
                       shape="box", style="rounded,filled,dashed", fillcolor=COLORS["const"],
                       fontsize="10", margin="0.05,0.02", height="0.3")
                g.edge(cid, opid, style="dashed")
        g.edge(opid, vid)
    return g


def _op_kwargs(t: Any) -> dict[str, Any]:
    """Keyword settings of the operation that made ``t`` (an axis, a shape), if recorded."""
    kw = getattr(t, "op_kwargs", None)
    if kw is None:
        kw = getattr(getattr(t, "_node", None), "kwargs", None)
    return dict(kw) if isinstance(kw, dict) else {}


def _short(arg: Any) -> str:
    if arg is None or isinstance(arg, (bool, int, float, str, np.generic)):
        return format_scalar(arg) if isinstance(arg, (int, float, np.number)) else str(arg)
    if isinstance(arg, (tuple, list)):
        return "(" + ", ".join(_short(a) for a in arg) + ")"
    if isinstance(arg, np.ndarray):
        return format_array(arg)[0]
    if isinstance(arg, slice):
        parts = ["" if v is None else str(v) for v in (arg.start, arg.stop, arg.step)]
        return ":".join(parts[:2] if arg.step is None else parts)
    if arg is Ellipsis:
        return "..."
    text = repr(arg)
    return text if len(text) <= 20 else type(arg).__name__


def render_svg(
    root: Any,
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


def tensor_repr_svg(t: Any) -> str | None:
    """SVG picture of a tensor's computation graph for notebooks, or None.

    None (so that notebooks fall back to the text repr) for a leaf, which has no graph to
    draw, and whenever the graph is too large (over 200 tensors) or cannot be rendered.
    Meant for ``Tensor._repr_svg_``.
    """
    try:
        if _is_leaf(t):
            return None
        return draw_graph(t).svg()
    except Exception:  # a display hook must never raise
        return None


# --------------------------------------------------------------------------- layer view

_ACTIVATION_SYMBOLS = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "identity": "id",
                       "softmax": "softmax", None: "id"}


def draw_model(model: Any, x: Any = None, rankdir: str = "LR") -> Diagram:
    """Draw an nn model one box per layer, with the shapes of what each layer holds.

    Each layer box shows its weight ``W (n_out, n_in)``, bias ``b (n_out,)``, the shapes of its
    pre-activation ``z = x Wᵀ + b`` and activation ``a = f(z)``, the activation function and
    the number of parameters. ``z`` and ``a`` have a batch dimension: when ``x`` (an
    ``(N, n_in)`` array or Tensor) is given, ``N`` is its batch size, else it is shown as
    ``·``. An input box and an output box frame the layers.

    ``model`` has ``.layers``: a list of layers, each with ``.weight`` (``(n_out, n_in)``),
    ``.bias`` (``(n_out,)``, or None) and ``.activation`` (``"sigmoid"``, ``"tanh"``,
    ``"relu"``, ``"identity"``). A plain list of layers is accepted too.

    Raises:
        ValueError: a layer's input size does not match the previous output size (or ``x``).
    """
    layers = list(getattr(model, "layers", model))
    if not layers:
        raise ValueError("the model has no layers to draw")

    batch: str = "·"
    feature_shape: tuple[int, ...] | None = None
    if x is not None:
        xshape = np.shape(getattr(x, "data", x))
        if len(xshape) == 1:
            batch, feature_shape = "", (xshape[0],)
        elif len(xshape) == 2:
            batch, feature_shape = str(xshape[0]), (xshape[1],)
        else:
            raise ValueError(f"x must have shape (N, n_in) or (n_in,), got {xshape}")

    def with_batch(n: int) -> str:
        return f"({n},)" if batch == "" else f"({batch}, {n})"

    g = Diagram(name="model", format="svg")
    g.attr(rankdir=rankdir, fontname=FONT, nodesep="0.3", ranksep="0.4")
    g.attr("node", fontname=FONT, fontsize="11", shape="box", style="rounded,filled")
    g.attr("edge", color="#555555", arrowsize="0.7")

    first_in = int(np.shape(layers[0].weight.data)[1])
    if feature_shape is not None and feature_shape[0] != first_in:
        raise ValueError(
            f"x has {feature_shape[0]} features but the first layer expects {first_in}"
        )
    g.node("input", label=_html_table([("input x", {"bold": "1"}),
                                       (with_batch(first_in), {})]),
           fillcolor=COLORS["const"])
    prev, prev_out = "input", first_in
    total = 0
    for i, layer in enumerate(layers, start=1):
        wshape = tuple(int(s) for s in np.shape(layer.weight.data))
        if len(wshape) != 2:
            raise ValueError(f"layer {i}: weight must be 2-D (n_out, n_in), got {wshape}")
        n_out, n_in = wshape
        if n_in != prev_out:
            raise ValueError(
                f"layer {i} expects {n_in} inputs but receives {prev_out} from the previous step"
            )
        bias = getattr(layer, "bias", None)
        bshape = tuple(int(s) for s in np.shape(bias.data)) if bias is not None else None
        act = getattr(layer, "activation", None)
        act_name = act if isinstance(act, str) or act is None else getattr(
            act, "__name__", type(act).__name__)
        sym = _ACTIVATION_SYMBOLS.get(act_name, str(act_name))
        params = int(np.prod(wshape)) + (int(np.prod(bshape)) if bshape else 0)
        total += params
        rows = [
            (f"layer {i}: {n_in} → {n_out}, {act_name or 'identity'}", {"bold": "1"}),
            (f"W {_shape_text(wshape)}", {}),
            (f"b {_shape_text(bshape)}" if bshape is not None else "b none", {}),
            (f"z {with_batch(n_out)}", {}),
            (f"a {with_batch(n_out)}", {}),
            (f"a = {sym}(z), z = x Wᵀ + b", {"color": "#666666", "point-size": "9"}),
            (f"{params:,} parameters", {"color": "#666666", "point-size": "9"}),
        ]
        node = f"layer{i}"
        g.node(node, label=_html_table(rows), fillcolor=COLORS["param"])
        g.edge(prev, node)
        prev, prev_out = node, n_out
    g.node("output", label=_html_table([("output", {"bold": "1"}),
                                        (with_batch(prev_out), {}),
                                        (f"{total:,} parameters in all",
                                         {"color": "#666666", "point-size": "9"})]),
           fillcolor=COLORS["root"])
    g.edge(prev, "output")
    return g
