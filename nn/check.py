"""``check_backprop``: autodiff against the hand-derived equations BP1–BP4, number by number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_mini import Tensor, grad

from . import backprop
from .costs import check_output_activation, cost_spec, output_cost
from .layers import MLP
from .targets import targets


@dataclass
class LayerDiff:
    """Largest differences in one layer l between autodiff and the reference.

    ``*_abs`` is max |autodiff − reference|; ``*_rel`` is that divided by max |reference|
    (a norm-wise relative difference, meaningful even where single entries are near zero).
    """

    layer: int
    shape: tuple[int, int]
    delta_abs: float
    delta_rel: float
    weight_abs: float
    weight_rel: float
    bias_abs: float
    bias_rel: float

    @property
    def max_rel(self) -> float:
        return max(self.delta_rel, self.weight_rel, self.bias_rel)


@dataclass
class BackpropReport:
    """The result of ``check_backprop``: one ``LayerDiff`` per layer; ``print()`` shows a table."""

    cost: str
    method: str
    batch: int
    dtype: str
    layers: list[LayerDiff]
    cost_autodiff: float
    cost_reference: float

    @property
    def max_relative(self) -> float:
        return max(d.max_rel for d in self.layers)

    def ok(self, rtol: float = 1e-12) -> bool:
        return self.max_relative <= rtol

    def __str__(self) -> str:
        head = (f"autodiff vs BP1-BP4 ({self.method} reference), cost={self.cost}, "
                f"batch={self.batch}, {self.dtype}; C = {self.cost_autodiff:.12g} (autodiff), "
                f"{self.cost_reference:.12g} (reference)")
        cols = ("layer", "W shape", "δ max abs", "δ max rel", "∂C/∂W abs", "∂C/∂W rel",
                "∂C/∂b abs", "∂C/∂b rel")
        rows = [cols] + [
            (str(d.layer), f"{d.shape[0]}x{d.shape[1]}", *(f"{v:.2e}" for v in (
                d.delta_abs, d.delta_rel, d.weight_abs, d.weight_rel, d.bias_abs, d.bias_rel)))
            for d in self.layers
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join([head, *lines, f"largest relative difference: {self.max_relative:.2e}"])


def _diff(a: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    err = float(np.max(np.abs(a - ref))) if a.size else 0.0
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return err, err / scale if scale > 0 else err


def check_backprop(model: MLP, x: Any, y: Any, cost: str = "quadratic",
                   method: str = "batched") -> BackpropReport:
    """Run one batch through autodiff and through the reference equations; compare.

    x: (N, n_0) rows of inputs; y: (N, n_L) targets or (N,) integer labels. Autodiff's δˡ is
    read as N·∂J/∂zˡ (J is the batch mean), the texts' per-example δ. ``method`` picks the
    reference: "batched" (matrix form) or "loop" (one example at a time, summed).
    """
    if method not in ("batched", "loop"):
        raise ValueError(f"check_backprop: method must be 'batched' or 'loop', got {method!r}")
    x = x.data if isinstance(x, Tensor) else np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"check_backprop: x must be a batch of rows (N, n_in); got shape "
                         f"{x.shape} (for one example use x[None, :])")
    cost_spec(cost)
    check_output_activation(cost, model.layers[-1].activation, "check_backprop")
    zs, acts = model.forward_all(x)
    J = output_cost(cost, zs[-1], acts[-1], y)
    params = model.weights() + model.biases()
    gs = grad(J, zs + params)
    L = len(zs)
    g_z, g_w, g_b = gs[:L], gs[L:2 * L], gs[2 * L:]

    weights = [(layer.weight.data, layer.bias.data) for layer in model.layers]
    y_ref = targets(y, zs[-1], cost)
    reference = backprop.backprop_batched if method == "batched" else backprop.backprop_loop
    ref = reference(weights, model.activations, x, y_ref, cost)

    n = x.shape[0]
    rows = []
    for l in range(L):
        d = _diff(g_z[l].data * n, ref.deltas[l])
        w = _diff(g_w[l].data, ref.weights[l])
        b = _diff(g_b[l].data, ref.biases[l])
        rows.append(LayerDiff(l + 1, model.layers[l].weight.shape, *d, *w, *b))
    return BackpropReport(cost, method, n, str(x.dtype), rows, J.item(), float(ref.cost))
