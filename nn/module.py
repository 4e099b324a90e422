"""``Module``: parameters found by walking attributes, state dicts, and ``Sequential``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd_mini import Tensor


class Module:
    """Base class of layers and models, as in PyTorch.

    A parameter is any attribute that is a Tensor with ``requires_grad=True``; sub-modules are
    attributes that are Modules (or lists/tuples of them). Parameters are named by their path,
    e.g. ``layers.0.weight``, in the order the attributes were set.
    """

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, parameter) pairs; a parameter shared by several sub-modules comes once."""
        seen: set[Tensor] = set()
        for name, p in self._walk(prefix, set()):
            if p not in seen:
                seen.add(p)
                yield name, p

    def _walk(self, prefix: str, visited: set[int]) -> Iterator[tuple[str, Tensor]]:
        if id(self) in visited:
            return
        visited.add(id(self))
        for name, value in vars(self).items():
            items = (
                [(f"{name}.{i}", v) for i, v in enumerate(value)]
                if isinstance(value, (list, tuple)) else [(name, value)]
            )
            for key, v in items:
                if isinstance(v, Tensor) and v.requires_grad:
                    yield prefix + key, v
                elif isinstance(v, Module):
                    yield from v._walk(prefix + key + ".", visited)

    def parameters(self) -> list[Tensor]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``.grad = None``, or zero them in place."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data.fill(0)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values, keyed by name."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy values into the parameters; every key must match and every shape agree."""
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if missing or unexpected:
            raise KeyError(
                f"load_state_dict: {type(self).__name__} state does not match: missing keys "
                f"{missing or 'none'}, unexpected keys {unexpected or 'none'}"
            )
        for name, p in params.items():
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ValueError(
                    f"load_state_dict: '{name}' has shape {value.shape} in the state but "
                    f"{p.shape} in the model"
                )
        for name, p in params.items():
            p.data[...] = state[name]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Dense(784, 30), Dense(30, 10))``."""

    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"{type(self).__name__}({inner}\n)"
