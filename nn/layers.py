"""Dense layers and the multilayer perceptron of the texts.

Notation: layer l has weight Wˡ of shape (n_l, n_{l−1}) and bias bˡ of shape (n_l,);
zˡ = Wˡaˡ⁻¹ + bˡ and aˡ = σ(zˡ). A batch is a matrix whose rows are examples, so in code
Zˡ = Aˡ⁻¹ (Wˡ)ᵀ + bˡ with Aˡ⁻¹ of shape (N, n_{l−1}). The activation names, and the engine
function σ of each, are those of :data:`nn.activations.ACTIVATIONS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd_mini import Tensor, ops

from .activations import ACTIVATIONS
from .init import INITS, as_rng, init_dense
from .module import Module

__all__ = ["ACTIVATIONS", "MLP", "Dense"]


def _check_activation(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {tuple(ACTIVATIONS)}")


class Dense(Module):
    """a = σ(x Wᵀ + b): ``weight`` (n_out, n_in), ``bias`` (n_out,); x is (N, n_in) or (n_in,)."""

    def __init__(
        self, n_in: int, n_out: int, activation: str = "sigmoid", init: str = "gaussian",
        rng: Any = None, dtype: Any = np.float64,
    ) -> None:
        _check_activation(activation)
        if init not in INITS:
            raise ValueError(f"Dense: unknown init {init!r}; choose from {INITS}")
        w, b = init_dense(n_in, n_out, init, rng, dtype)
        self.n_in, self.n_out = n_in, n_out
        self.activation = activation
        self.weight = Tensor(w, requires_grad=True, name="W")
        self.bias = Tensor(b, requires_grad=True, name="b")

    def preactivation(self, x: Any) -> Tensor:
        """z = x Wᵀ + b. Input data of another dtype is converted to the layer's."""
        if type(x) is not np.ndarray and not isinstance(x, Tensor):
            x = np.asarray(x)
        shape = x.shape
        if not shape or shape[-1] != self.n_in:
            raise ValueError(
                f"Dense({self.n_in}, {self.n_out}): input has shape {shape}; expected "
                f"(N, {self.n_in}) or ({self.n_in},)"
            )
        weight = self.weight
        if x.dtype != weight.dtype:
            x = x.astype(weight.dtype)
        return ops.affine(x, weight, self.bias)

    def activate(self, z: Tensor) -> Tensor:
        f = ACTIVATIONS[self.activation]
        return z if f is None else f(z)

    def forward(self, x: Any) -> Tensor:
        return self.activate(self.preactivation(x))

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation!r})"


class MLP(Module):
    """A dense feed-forward network, e.g. ``MLP([784, 30, 10])``.

    ``activation`` is used in every layer, except the last when ``output_activation`` is given
    (use "identity" for a softmax/log-likelihood output, whose cost works on the logits).
    """

    def __init__(
        self, sizes: Sequence[int], activation: str = "sigmoid",
        output_activation: str | None = None, init: str = "gaussian", rng: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: needs at least an input and an output size, got {sizes}")
        rng = as_rng(rng)
        acts = [activation] * (len(sizes) - 1)
        if output_activation is not None:
            acts[-1] = output_activation
        self.sizes = sizes
        self.layers = [
            Dense(n_in, n_out, act, init, rng, dtype)
            for n_in, n_out, act in zip(sizes[:-1], sizes[1:], acts, strict=True)
        ]

    def forward(self, x: Any) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def forward_all(self, x: Any) -> tuple[list[Tensor], list[Tensor]]:
        """(zs, activations): zˡ and aˡ of every layer l = 1..L, for reading δˡ = ∂C/∂zˡ."""
        zs, acts = [], []
        for layer in self.layers:
            z = layer.preactivation(x)
            x = layer.activate(z)
            zs.append(z)
            acts.append(x)
        return zs, acts

    def weights(self) -> list[Tensor]:
        return [layer.weight for layer in self.layers]

    def biases(self) -> list[Tensor]:
        return [layer.bias for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        return [layer.activation for layer in self.layers]

    def __repr__(self) -> str:
        return f"MLP({self.sizes}, activations={self.activations})"
