"""Stochastic gradient descent, with momentum and L2 weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd_mini import Tensor

from .blas import axpy


class SGD:
    """w ← w − η·v, where v = μ·v + (∂C/∂w + λ′·w) and ∂C/∂w is ``w.grad``.

    ``.grad`` holds the gradient of the batch's mean cost, so this is the texts' rule
    w ← w − η·(mean gradient over the mini-batch). ``weight_decay`` λ′ adds the gradient of the
    L2 term (λ′/2)‖w‖²; Nielsen's chapter 3 writes it λ/(2n)·Σw², i.e. λ′ = λ/n for a training
    set of n examples, and decays weights but not biases — pass parameter groups for that:
    ``SGD([{"params": model.weights(), "weight_decay": lam / n}, {"params": model.biases()}],
    lr=0.5)``. ``momentum`` μ = 0 gives plain SGD.
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        if isinstance(params, Tensor):
            raise TypeError("SGD: params must be a list of Tensors (or of parameter groups), "
                            "not a single Tensor; write SGD([w], ...)")
        params = list(params)
        if not params:
            raise ValueError("SGD: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}
        self.param_groups = [{**self.defaults, **g, "params": list(g["params"])} for g in groups]
        seen: set[Tensor] = set()
        for g in self.param_groups:
            _check_hyperparameters(g["lr"], g["momentum"], g["weight_decay"])
            for p in g["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError("SGD: every parameter must be a Tensor with requires_grad")
                if p in seen:
                    raise ValueError("SGD: a parameter appears more than once; it would be "
                                     "updated twice per step")
                seen.add(p)
        self._velocity: dict[int, np.ndarray] = {}
        self._scratch: dict[int, np.ndarray] = {}

    @property
    def params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data.fill(0)

    def step(self) -> None:
        """One update of every parameter that has a gradient, in place: ``w ← w − η·v`` as one
        BLAS axpy (one pass over memory, no temporary: ``nn/blas.py``), else with numpy."""
        for group in self.param_groups:
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                v = grad.data
                if wd or mu:
                    v = self._direction(p, v, mu, wd)
                w = p.data  # (read-only while a graph not yet backpropagated holds p: refused)
                if not axpy(-lr, v, w):
                    w -= lr * v  # float16, or values not laid out for BLAS
                p.data = w  # marks p as changed in place (an older graph then refuses)

    def _direction(self, p: Tensor, g: np.ndarray, mu: float, wd: float) -> np.ndarray:
        """``v = μ·v + (g + λ′·w)``, the momentum buffer (or ``g + λ′·w`` without momentum)."""
        key = id(p)
        if wd:
            step = self._scratch.get(key)
            if step is None or step.shape != g.shape or step.dtype != g.dtype:
                step = self._scratch[key] = np.empty_like(g)
            np.multiply(p.data, wd, out=step)
            step += g
            g = step
        if mu:
            v = self._velocity.get(key)
            if v is None:
                v = self._velocity[key] = np.array(g, copy=True)
            else:
                v *= mu
                v += g
            g = v
        return g

    def state_dict(self) -> dict[str, np.ndarray]:
        """The momentum buffers, keyed by parameter position (for checkpoints)."""
        return {f"velocity.{i}": self._velocity[id(p)].copy()
                for i, p in enumerate(self.params) if id(p) in self._velocity}

    def check_state_dict(self, state: Mapping[str, Any]) -> dict[int, np.ndarray]:
        """Check ``state`` (as :meth:`state_dict` returns it) against these parameters, changing
        nothing; returns the momentum buffers it holds, as copies in the parameters' dtypes.

        Raises ``KeyError`` for a key other than ``velocity.<i>`` for a parameter position i,
        ``ValueError`` for a value that is not a float array of that parameter's shape.
        """
        params = self.params
        velocity = {}
        for key, value in state.items():
            prefix, _, index = str(key).partition(".")
            if prefix != "velocity" or not index.isdigit() or int(index) >= len(params):
                raise KeyError(f"SGD.load_state_dict: unexpected key {key!r:.60} (expected "
                                 f"velocity.0 .. velocity.{len(params) - 1})")
            p = params[int(index)]
            value = np.asarray(value)
            if value.shape != p.shape or value.dtype.kind != "f":
                raise ValueError(f"SGD.load_state_dict: {key} is {value.dtype} {value.shape}, "
                                 f"the parameter is {p.dtype} {p.shape}")
            velocity[id(p)] = np.array(value, dtype=p.dtype)
        return velocity

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore momentum buffers; on any mismatch (see :meth:`check_state_dict`) nothing is
        changed."""
        self._velocity = self.check_state_dict(state)


def _check_hyperparameters(lr: float, momentum: float, weight_decay: float) -> None:
    if not lr > 0:
        raise ValueError(f"SGD: learning rate must be positive, got {lr}")
    if not 0 <= momentum < 1:
        raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
    if not weight_decay >= 0:
        raise ValueError(f"SGD: weight_decay must be non-negative, got {weight_decay}")
