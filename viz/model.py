"""The layer-level view of an nn model: one box per layer, with the shapes of what it holds.

For a network too large for :func:`viz.draw_graph` (a 784-30-10 MLP records tens of thousands
of scalars' worth of operations per batch), this is the picture that stays readable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .diagram import COLORS, FONT, Diagram, html_table
from .formatting import shape_text

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
    g.node("input", label=html_table([("input x", {"bold": "1"}),
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
            (f"W {shape_text(wshape)}", {}),
            (f"b {shape_text(bshape)}" if bshape is not None else "b none", {}),
            (f"z {with_batch(n_out)}", {}),
            (f"a {with_batch(n_out)}", {}),
            (f"a = {sym}(z), z = x Wᵀ + b", {"color": "#666666", "point-size": "9"}),
            (f"{params:,} parameters", {"color": "#666666", "point-size": "9"}),
        ]
        node = f"layer{i}"
        g.node(node, label=html_table(rows), fillcolor=COLORS["param"])
        g.edge(prev, node)
        prev, prev_out = node, n_out
    g.node("output", label=html_table([("output", {"bold": "1"}),
                                        (with_batch(prev_out), {}),
                                        (f"{total:,} parameters in all",
                                         {"color": "#666666", "point-size": "9"})]),
           fillcolor=COLORS["root"])
    g.edge(prev, "output")
    return g
