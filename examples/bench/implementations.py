"""The training rows (``Data``) and the implementations that train on them in place, a range of
steps of an epoch at a time: the engine through ``nn`` (``Autodiff``, ``Plain``), the
hand-written BP1–BP4 (``Reference``, ``Loop``) and PyTorch (``Torch``)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import nn
from nn import backprop

from .system import SCRIPT

# The implementations in the order of the tables.
IMPL_ORDER = ("autodiff", "plain", "reference", "torch", "loop")

Weights = list[tuple[np.ndarray, np.ndarray]]


class Data:
    """The training rows, made once: uint8 pixels and integer labels, cast per dtype on demand
    (one dtype at a time is kept, to bound memory)."""

    def __init__(self, args: argparse.Namespace) -> None:
        n, n_in, n_out = args.examples, args.sizes[0], args.sizes[-1]
        self.source = args.dataset
        if args.dataset == "synthetic":
            rng = np.random.default_rng(args.seed)
            self.pixels = rng.integers(0, 256, size=(n, n_in), dtype=np.uint8)
            self.labels = rng.integers(0, n_out, size=n)
            self.scaled = None
        else:
            from nn.cli_checks import data_error_message
            from nn.cli_display import script_command
            from nn.datasets import DownloadError, load_mnist

            try:
                mn = load_mnist(args.dataset, data_dir=args.data_dir, dtype=np.float64)
            except DownloadError as err:
                raise SystemExit(data_error_message(
                    err, args.dataset, f"{script_command(str(SCRIPT))} --dataset {args.dataset}"
                )) from err
            except OSError as err:
                raise SystemExit(f"--dataset {args.dataset}: {err}") from err
            x, y = mn.x_train, mn.y_train
            if x.shape[1] != n_in or int(y.max()) >= n_out:
                raise SystemExit(f"--dataset {args.dataset}: rows of {x.shape[1]} pixels and "
                                 f"{int(y.max()) + 1} classes do not fit --sizes {args.sizes}")
            reps = -(-n // len(x))
            if reps > 1:
                self.source += f" ({len(x)} images repeated to {n} rows)"
            self.scaled = np.tile(x, (reps, 1))[:n]
            self.pixels = None
            self.labels = np.tile(y, reps)[:n]
        self.n_out = n_out
        self._dtype: np.dtype | None = None
        self._xy: tuple[np.ndarray, np.ndarray] | None = None

    def get(self, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """The inputs (scaled to [0, 1]) and one-hot targets in ``dtype``."""
        dtype = np.dtype(dtype)
        if self._xy is None or self._dtype != dtype:  # (np.dtype("float64") == None is True)
            self._xy = None  # drop the previous dtype's arrays first
            if self.pixels is not None:
                x = self.pixels.astype(dtype)
                x *= dtype.type(1 / 255)
            else:
                x = self.scaled.astype(dtype)
            y = nn.one_hot(self.labels, self.n_out, dtype=dtype)
            self._dtype, self._xy = dtype, (x, y)
        return self._xy


def output_activation(cost: str) -> str:
    """The output layer's activation for ``cost``: the softmax cost takes the logits."""
    return "identity" if cost == "softmax" else "sigmoid"


def batch_starts(rows: int, batch: int, start: int = 0, stop: int | None = None) -> range:
    """The first rows of the batches of steps [start, stop) of an epoch over ``rows`` rows
    (to the end of the epoch when ``stop`` is None)."""
    end = rows if stop is None else min(rows, stop * batch)
    return range(start * batch, end, batch)


class Autodiff:
    """The engine through ``nn`` with the fused cost (``nn.output_cost``)."""

    name = "autodiff"

    def __init__(self, model: nn.MLP, cost: str, lr: float) -> None:
        self.model = model
        self.opt = nn.SGD(model.parameters(), lr)
        self.cost = cost
        self.scale = 1.0

    def prepare(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def reset(self, init: Weights) -> None:
        for layer, (w, b) in zip(self.model.layers, init, strict=True):
            layer.weight.data[...] = w
            layer.bias.data[...] = b
        self.opt.zero_grad()

    def epoch(self, batch: int, start: int = 0, stop: int | None = None) -> int:
        """Train on steps [start, stop) of the epoch (all of it by default); the steps run."""
        model, opt, cost, x, y = self.model, self.opt, self.cost, self.x, self.y
        starts = batch_starts(len(x), batch, start, stop)
        for i in starts:
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad()
            zs, acts = model.forward_all(xb)
            J = nn.output_cost(cost, zs[-1], acts[-1], yb)
            J.backward()
            opt.step()
        return len(starts)

    def weights(self) -> Weights:
        return [(layer.weight.data, layer.bias.data) for layer in self.model.layers]


class Plain(Autodiff):
    """The engine as a user writes the quadratic cost with plain operators, no fused cost:
    ``J = ((model(x) - y) ** 2).sum() * (0.5 / n)`` — five recorded operations where the
    fused cost has one."""

    name = "plain"

    def epoch(self, batch: int, start: int = 0, stop: int | None = None) -> int:
        model, opt, x, y = self.model, self.opt, self.x, self.y
        starts = batch_starts(len(x), batch, start, stop)
        for i in starts:
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad()
            J = ((model(xb) - yb) ** 2).sum() * (0.5 / len(xb))
            J.backward()
            opt.step()
        return len(starts)


class Reference:
    """The hand-derived numpy BP1–BP4 on whole mini-batches, then the SGD step."""

    name = "reference"
    gradients = staticmethod(backprop.backprop_batched)

    def __init__(self, init: Weights, activations: list[str], cost: str, lr: float) -> None:
        self.w = [(w.copy(), b.copy()) for w, b in init]
        self.activations, self.cost, self.lr = activations, cost, lr
        self.scale = 1.0

    def prepare(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def reset(self, init: Weights) -> None:
        for (w, b), (w0, b0) in zip(self.w, init, strict=True):
            w[...] = w0
            b[...] = b0

    def epoch(self, batch: int, start: int = 0, stop: int | None = None) -> int:
        w, acts, cost, lr, x, y = self.w, self.activations, self.cost, self.lr, self.x, self.y
        gradients = self.gradients
        starts = batch_starts(len(x), batch, start, stop)
        for i in starts:
            g = gradients(w, acts, x[i:i + batch], y[i:i + batch], cost)
            backprop.sgd_step(w, g, lr)
        return len(starts)

    def weights(self) -> Weights:
        return self.w


class Loop(Reference):
    """The per-example loop on the first ``subset`` rows; its time is scaled to the epoch."""

    name = "loop"
    gradients = staticmethod(backprop.backprop_loop)

    def __init__(self, init: Weights, activations: list[str], cost: str, lr: float,
                 subset: int) -> None:
        super().__init__(init, activations, cost, lr)
        self.subset = subset

    def prepare(self, x: np.ndarray, y: np.ndarray) -> None:
        m = min(self.subset, len(x))
        self.scale = len(x) / m
        self.x, self.y = x[:m], y[:m]


class Torch:
    """PyTorch eager on the CPU: the same network, cost and loop."""

    name = "torch"

    def __init__(self, init: Weights, cost: str, lr: float, threads: int) -> None:
        import torch
        import torch.nn.functional as F

        self.torch = torch
        torch.set_num_threads(threads)
        dtype = {np.dtype(np.float32): torch.float32,
                 np.dtype(np.float64): torch.float64}[init[0][0].dtype]
        layers: list[Any] = []
        self.linears = []
        for i, (w, _) in enumerate(init):
            lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=dtype)
            self.linears.append(lin)
            layers.append(lin)
            if i < len(init) - 1 or cost == "quadratic":
                layers.append(torch.nn.Sigmoid())
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
        if cost == "quadratic":
            self.loss = lambda a, y: 0.5 * ((a - y) ** 2).sum(1).mean()
        elif cost == "cross-entropy":
            self.loss = lambda z, y: (F.binary_cross_entropy_with_logits(z, y, reduction="sum")
                                      / z.shape[0])
        else:
            self.loss = F.cross_entropy  # class-probability targets: the mean log-likelihood
        self.scale = 1.0
        self.reset(init)

    def prepare(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = self.torch.from_numpy(x), self.torch.from_numpy(y)

    def reset(self, init: Weights) -> None:
        with self.torch.no_grad():
            for lin, (w, b) in zip(self.linears, init, strict=True):
                lin.weight.copy_(self.torch.from_numpy(w))
                lin.bias.copy_(self.torch.from_numpy(b))
        self.opt.zero_grad()

    def epoch(self, batch: int, start: int = 0, stop: int | None = None) -> int:
        model, opt, loss, x, y = self.model, self.opt, self.loss, self.x, self.y
        starts = batch_starts(len(x), batch, start, stop)
        for i in starts:
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad()
            J = loss(model(xb), yb)
            J.backward()
            opt.step()
        return len(starts)

    def weights(self) -> Weights:
        return [(lin.weight.detach().numpy(), lin.bias.detach().numpy()) for lin in self.linears]


def max_abs_diff(a: Weights, b: Weights) -> float:
    """The largest absolute difference between two sets of weights."""
    return float(max(max(np.max(np.abs(wa - wb)), np.max(np.abs(ba - bb)))
                     for (wa, ba), (wb, bb) in zip(a, b, strict=True)))


def torch_status() -> str | None:
    """None when PyTorch can be imported, else the reason why not."""
    try:
        import torch  # noqa: F401
    except Exception as err:  # ImportError, or a broken installation
        return f"{type(err).__name__}: {err}"
    return None
