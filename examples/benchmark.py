"""Benchmarks: the autodiff engine against the hand-written BP1–BP4 and against PyTorch.

One command, one process (plus one child per extra allocator setting), one run:

1. **Training.** One epoch of a dense sigmoid network (default 784-100-10, quadratic cost, plain
   SGD) over ``--examples`` MNIST-shaped rows, for every dtype × batch size, with

   a. ``autodiff``: the engine through ``nn``, written as a user writes it
      (``opt.zero_grad(); J = cost(model(xb), yb); J.backward(); opt.step()``);
   b. ``reference``: the hand-derived numpy BP1–BP4, ``nn.backprop.backprop_batched`` +
      ``sgd_step``;
   c. ``torch``: PyTorch eager on the CPU (when importable), same network, cost and loop;
   d. ``loop`` (``--with-loop``): the per-example ``backprop_loop``, timed on a subset and
      extrapolated to the epoch (marked ``*``).

   The implementations take turns, a, b, c, a, b, c, ..., ``--repeats`` epochs each, so that the
   load of a shared machine hits them alike; the tables give medians and the ratios of the
   medians (and, in brackets, the median of the per-repeat ratios). All start from the same
   weights and see the same batches, so after the first epoch their weights must agree (in
   float64 to ~1e-10): the benchmark checks that and exits with status 1 if not.

   glibc reads ``MALLOC_*`` variables at start-up only, so the figures with
   ``MALLOC_MMAP_THRESHOLD_=MALLOC_TRIM_THRESHOLD_=1073741824`` ("large") come from a child
   process of this script with those variables set. Parent and child run in lockstep, one
   round of epochs each in turn, so both allocator settings see the same machine load.
   Before the epochs, everything alive is frozen out of the garbage collector (``gc.freeze``),
   so that the objects of the torch modules loaded for (c) do not slow the collector's passes
   during (a) and (b) more than in a process without torch.

2. **Per-operation overhead**: µs per elementwise operation on a (10, 10) Tensor that requires
   grad, against the same numpy call on the raw arrays; and the backward of a 5-operation graph.

3. **Deep graph**: forward and backward of a ``--chain-nodes`` (default 1,000,000) long scalar
   chain ``y = y * c``: seconds, peak memory (tracemalloc, in a separate repetition) and RSS after
   each repetition; whether the graph is freed by reference counting alone (no cycles).

4. **Training memory**: RSS and live Tensors after each of ``--memory-epochs`` autodiff epochs.

It ends with the targets of the performance issue, each with its measured value and PASS or
MISS; a timing measured while the machine was too busy to trust it (the 1-minute load average
above the number of cores, or repeats that disagree by more than half) is marked
``UNTRUSTED: machine busy (load x.x on n cores)`` instead. Timings are wall-clock seconds on a
possibly shared machine: compare ratios, not seconds. numpy's BLAS and PyTorch run on one
thread unless ``--blas-threads``/``--torch-threads`` or ``OPENBLAS_NUM_THREADS`` say otherwise:
for matrices this small a second thread only adds synchronisation, and on a busy machine it
spin-waits for a core and makes an epoch 10-100x slower.

    python examples/benchmark.py                          # everything (10-15 min on 2 cores)
    python examples/benchmark.py --quick                  # a smoke run, a few seconds
    python examples/benchmark.py --dtypes float64 --batch-sizes 32 --allocator both
    python examples/benchmark.py --json bench.json        # the figures, for tracking
    python examples/benchmark.py --skip-torch --skip-chain --skip-micro --with-loop
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import timeit
import traceback
import tracemalloc
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# One BLAS thread unless the environment says otherwise: the matrices of a mini-batch are small,
# and a second thread that spin-waits for a core another process holds makes an epoch 10-100x
# slower, which would be measured as the engine's cost. OpenBLAS reads this when numpy is
# imported; the child process of the "large" allocator inherits it.
if "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

import autograd_mini as ag  # noqa: E402
import nn  # noqa: E402
from autograd_mini import Tensor, ops  # noqa: E402
from nn import backprop  # noqa: E402
from nn.blas import OpenBLAS  # noqa: E402

# The allocator setting of the issue: no mmap for big arrays, no trimming of the heap top.
LARGE_ENV = {"MALLOC_MMAP_THRESHOLD_": "1073741824", "MALLOC_TRIM_THRESHOLD_": "1073741824"}

# Targets of the performance issue.
TARGET_AD_REF = 1.25
STRETCH_AD_REF = 1.1
TARGET_AD_TORCH = 0.5
TARGET_AD_TORCH_BATCHES = (10, 32)
TARGET_CHAIN_BACKWARD_S = 0.8
TARGET_CHAIN_FORWARD_S = 2.5
TARGET_CHAIN_BYTES = 300
TARGET_FUSED_REF = 1.05  # the engine through nn's fused cost, against the hand-written numpy
TARGET_PLAIN_REF = 1.1  # the cost written with plain operators, against the same
TARGET_PLAIN_BATCHES = (10, 32)
TARGET_SCALAR_TORCH = 0.5  # a scalar graph, forward + backward per operation, against PyTorch
AGREE_TOL = {"float64": 1e-10, "float32": 1e-3}
# Per-repeat ratios spreading more than this around their median make a timing untrusted.
SPREAD_TOL = 0.5

FULL = {"examples": 60000, "repeats": 5, "chain_nodes": 1_000_000, "chain_reps": 3,
        "memory_epochs": 5, "micro_calls": 20000, "scalar_reps": 31, "scalar_steps": 1000}
QUICK = {"examples": 600, "repeats": 1, "chain_nodes": 10_000, "chain_reps": 3,
         "memory_epochs": 3, "micro_calls": 500, "scalar_reps": 3, "scalar_steps": 100}

IMPL_ORDER = ("autodiff", "plain", "reference", "torch", "loop")


# ----------------------------------------------------------------------------------------------
# Process measurements
# ----------------------------------------------------------------------------------------------


def _proc_status(key: str) -> float | None:
    """A ``kB`` field of /proc/self/status in MB (None where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident set size now, in MB (the peak so far where /proc is missing)."""
    now = _proc_status("VmRSS")
    if now is None:
        now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return now


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float | None:
    return _proc_status("VmHWM")


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def allocator_label(env: dict[str, str] | os._Environ = os.environ) -> str:
    """"default" with neither MALLOC variable set, "large" with both set as in LARGE_ENV."""
    values = {k: env.get(k) for k in LARGE_ENV}
    if all(v is None for v in values.values()):
        return "default"
    return "large" if values == LARGE_ENV else "custom"


def allocator_env(variant: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LARGE_ENV}
    if variant == "large":
        env.update(LARGE_ENV)
    return env


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------


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
                    err, args.dataset, f"{script_command(__file__)} --dataset {args.dataset}"
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


# ----------------------------------------------------------------------------------------------
# The implementations: each trains one epoch in place
# ----------------------------------------------------------------------------------------------

Weights = list[tuple[np.ndarray, np.ndarray]]


def output_activation(cost: str) -> str:
    return "identity" if cost == "softmax" else "sigmoid"


class Autodiff:
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

    def epoch(self, batch: int, stop: int | None = None) -> int:
        model, opt, cost, x, y = self.model, self.opt, self.cost, self.x, self.y
        n = len(x) if stop is None else min(len(x), stop * batch)
        for i in range(0, n, batch):
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad()
            zs, acts = model.forward_all(xb)
            J = nn.output_cost(cost, zs[-1], acts[-1], yb)
            J.backward()
            opt.step()
        return -(-n // batch)

    def weights(self) -> Weights:
        return [(layer.weight.data, layer.bias.data) for layer in self.model.layers]


class Plain(Autodiff):
    """The engine as a user writes the quadratic cost with plain operators, no fused cost:
    ``J = ((model(x) - y) ** 2).sum() * (0.5 / n)`` — five recorded operations where the
    fused cost has one."""

    name = "plain"

    def epoch(self, batch: int, stop: int | None = None) -> int:
        model, opt, x, y = self.model, self.opt, self.x, self.y
        n = len(x) if stop is None else min(len(x), stop * batch)
        for i in range(0, n, batch):
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad()
            J = ((model(xb) - yb) ** 2).sum() * (0.5 / len(xb))
            J.backward()
            opt.step()
        return -(-n // batch)


class Reference:
    name = "reference"

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

    def epoch(self, batch: int, stop: int | None = None) -> int:
        w, acts, cost, lr, x, y = self.w, self.activations, self.cost, self.lr, self.x, self.y
        n = len(x) if stop is None else min(len(x), stop * batch)
        for i in range(0, n, batch):
            g = backprop.backprop_batched(w, acts, x[i:i + batch], y[i:i + batch], cost)
            backprop.sgd_step(w, g, lr)
        return -(-n // batch)

    def weights(self) -> Weights:
        return self.w


class Loop(Reference):
    """The per-example loop on the first ``subset`` rows; its time is scaled to the epoch."""

    name = "loop"

    def __init__(self, init: Weights, activations: list[str], cost: str, lr: float,
                 subset: int) -> None:
        super().__init__(init, activations, cost, lr)
        self.subset = subset

    def prepare(self, x: np.ndarray, y: np.ndarray) -> None:
        m = min(self.subset, len(x))
        self.scale = len(x) / m
        self.x, self.y = x[:m], y[:m]

    def epoch(self, batch: int, stop: int | None = None) -> int:
        w, acts, cost, lr, x, y = self.w, self.activations, self.cost, self.lr, self.x, self.y
        n = len(x) if stop is None else min(len(x), stop * batch)
        for i in range(0, n, batch):
            g = backprop.backprop_loop(w, acts, x[i:i + batch], y[i:i + batch], cost)
            backprop.sgd_step(w, g, lr)
        return -(-n // batch)


class Torch:
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

    def epoch(self, batch: int, stop: int | None = None) -> int:
        model, opt, loss, x, y = self.model, self.opt, self.loss, self.x, self.y
        n = len(x) if stop is None else min(len(x), stop * batch)
        for i in range(0, n, batch):
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad()
            J = loss(model(xb), yb)
            J.backward()
            opt.step()
        return -(-n // batch)

    def weights(self) -> Weights:
        return [(lin.weight.detach().numpy(), lin.bias.detach().numpy()) for lin in self.linears]


def max_abs_diff(a: Weights, b: Weights) -> float:
    return float(max(max(np.max(np.abs(wa - wb)), np.max(np.abs(ba - bb)))
                     for (wa, ba), (wb, bb) in zip(a, b, strict=True)))


def torch_status() -> str | None:
    """None when PyTorch can be imported, else the reason why not."""
    try:
        import torch  # noqa: F401
    except Exception as err:  # ImportError, or a broken installation
        return f"{type(err).__name__}: {err}"
    return None


class TrainingSession:
    """Training of every implementation for one (dtype, batch) at a time, one epoch each per
    ``round()``. Runs in this process, or in a child behind a ``RemoteSession``."""

    WARMUP_BATCHES = 20

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data = Data(args)
        self.blas = OpenBLAS()
        if args.blas_threads:
            self.blas.set_threads(args.blas_threads)
        self.torch_error = "skipped (--skip-torch)" if args.skip_torch else torch_status()
        self.impls: list[Any] = []

    def info(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "allocator": allocator_label(),
                "malloc_env": {k: os.environ.get(k) for k in LARGE_ENV},
                "blas_threads": self.blas.threads(), "torch": self.torch_error or "ok",
                "data": self.data.source}

    def setup(self, dtype: str, batch: int) -> dict[str, Any]:
        a = self.args
        self.impls = []
        gc.unfreeze()
        x, y = self.data.get(dtype)
        model = nn.MLP(a.sizes, output_activation=output_activation(a.cost), rng=a.seed,
                       dtype=dtype)
        self.init = [(layer.weight.data.copy(), layer.bias.data.copy())
                     for layer in model.layers]
        acts = ["sigmoid"] * (len(a.sizes) - 2) + [output_activation(a.cost)]
        impls: list[Any] = [Autodiff(model, a.cost, a.lr)]
        if a.cost == "quadratic":  # the plain-operator form below is the quadratic cost
            twin = nn.MLP(a.sizes, output_activation=output_activation(a.cost), rng=a.seed,
                          dtype=dtype)
            impls.append(Plain(twin, a.cost, a.lr))
        impls.append(Reference(self.init, acts, a.cost, a.lr))
        if self.torch_error is None:
            impls.append(Torch(self.init, a.cost, a.lr, a.torch_threads))
        if a.with_loop:
            impls.append(Loop(self.init, acts, a.cost, a.lr, a.loop_examples))
        for impl in impls:
            impl.prepare(x, y)
            impl.epoch(batch, stop=self.WARMUP_BATCHES)  # first calls, lazy initialisations
            impl.reset(self.init)
        self.impls, self.batch, self.rounds = impls, batch, 0
        # Everything alive now (torch's modules above all) is moved out of the garbage
        # collector's sight: it would make the collector's full passes during the epochs slower
        # than in a process without torch, and the collection before each epoch costly.
        gc.collect()
        gc.freeze()
        return {"steps": -(-len(x) // batch), "impls": [i.name for i in impls]}

    def round(self) -> dict[str, Any]:
        times = {}
        for impl in self.impls:
            gc.collect()
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            c0, t0 = time.process_time(), time.perf_counter()
            steps = impl.epoch(self.batch)
            t = time.perf_counter() - t0
            c = time.process_time() - c0
            ru1 = resource.getrusage(resource.RUSAGE_SELF)
            times[impl.name] = {
                "s": t * impl.scale, "measured_s": t, "cpu_s": c * impl.scale, "steps": steps,
                "minflt": ru1.ru_minflt - ru0.ru_minflt, "majflt": ru1.ru_majflt - ru0.ru_majflt,
                "nivcsw": ru1.ru_nivcsw - ru0.ru_nivcsw,
            }
        by_name = {impl.name: impl for impl in self.impls}
        ref = by_name["reference"].weights()
        agreement = {name: max_abs_diff(by_name[name].weights(), ref)
                     for name in ("autodiff", "plain", "torch") if name in by_name}
        self.rounds += 1
        return {"times": times, "agreement": agreement, "rss_mb": rss_mb(),
                "load": load_average()}

    def finish(self) -> dict[str, Any]:
        self.impls = []
        return {"rss_mb": rss_mb()}

    def close(self) -> None:
        self.impls = []
        gc.unfreeze()


class RemoteSession:
    """A TrainingSession in a child process (another allocator setting), driven over pipes."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--worker"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True, bufsize=1)
        self._info = self._call({"cmd": "info"})

    def _call(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark child process ended (status {self.proc.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError("benchmark child process failed:\n" + reply["error"])
        return reply

    def info(self) -> dict[str, Any]:
        return self._info

    def setup(self, dtype: str, batch: int) -> dict[str, Any]:
        return self._call({"cmd": "setup", "dtype": dtype, "batch": batch})

    def round(self) -> dict[str, Any]:
        return self._call({"cmd": "round"})

    def finish(self) -> dict[str, Any]:
        return self._call({"cmd": "finish"})

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._call({"cmd": "exit"})
            except (RuntimeError, OSError, ValueError):
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def worker(args: argparse.Namespace) -> int:
    """The child's side of RemoteSession: JSON commands on stdin, one JSON reply per line."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else written to stdout goes to stderr, not into the replies
    sys.stdout = sys.stderr
    session = TrainingSession(args)
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            cmd = msg["cmd"]
            if cmd == "exit":
                out.write(json.dumps({}) + "\n")
                break
            if cmd == "info":
                reply = session.info()
            elif cmd == "setup":
                reply = session.setup(msg["dtype"], msg["batch"])
            elif cmd == "round":
                reply = session.round()
            elif cmd == "finish":
                reply = session.finish()
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception:
            reply = {"error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
    return 0


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def summarize(dtype: str, batch: int, info: dict[str, Any], rounds: list[dict[str, Any]]
              ) -> dict[str, Any]:
    names = [n for n in IMPL_ORDER if n in rounds[0]["times"]]
    secs = {n: [r["times"][n]["s"] for r in rounds] for n in names}
    med = {n: median(secs[n]) for n in names}
    res: dict[str, Any] = {
        "dtype": dtype, "batch": batch, "steps": info["steps"], "seconds": secs,
        "median_s": med,
        "cpu_s": {n: median([r["times"][n]["cpu_s"] for r in rounds]) for n in names},
        "minflt_per_step": {n: median([r["times"][n]["minflt"] / r["times"][n]["steps"]
                                       for r in rounds]) for n in names},
        "nivcsw_per_epoch": {n: median([r["times"][n]["nivcsw"] for r in rounds])
                             for n in names},
        "agreement_after_1_epoch": rounds[0]["agreement"],
        "agreement_final": rounds[-1]["agreement"],
        "load": [r["load"] for r in rounds],
        "rss_mb": [r["rss_mb"] for r in rounds],
    }
    for mine, other, key in (("autodiff", "reference", "ad_ref"), ("autodiff", "torch", "ad_torch"),
                             ("plain", "reference", "plain_ref")):
        if mine in med and other in med:
            res[f"ratio_{key}"] = med[mine] / med[other]
            per = [a / b for a, b in zip(secs[mine], secs[other], strict=True)]
            res[f"ratio_{key}_per_repeat"] = per
            res[f"ratio_{key}_per_repeat_median"] = median(per)
    return res


def run_training(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    variants = ["default", "large"] if args.allocator == "both" else [args.allocator]
    local = allocator_label()
    sessions: dict[str, Any] = {}
    results: dict[str, Any] = {}
    try:
        for v in variants:
            sessions[v] = (TrainingSession(args) if v == local
                           else RemoteSession(argv, allocator_env(v)))
            results[v] = {**sessions[v].info(), "configs": []}
        for dtype in args.dtypes:
            for batch in args.batch_sizes:
                infos = {v: s.setup(dtype, batch) for v, s in sessions.items()}
                rounds: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
                for r in range(args.repeats):
                    for v in variants if r % 2 == 0 else variants[::-1]:
                        rnd = sessions[v].round()
                        rounds[v].append(rnd)
                        progress(f"  {dtype} batch {batch} repeat {r + 1}/{args.repeats} "
                                 f"[{v} allocator]: " + ", ".join(
                                     f"{n} {t['s']:.3f} s" for n, t in rnd["times"].items())
                                 + f"  (load {rnd['load']:.2f})")
                for v, s in sessions.items():
                    s.finish()
                    results[v]["configs"].append(summarize(dtype, batch, infos[v], rounds[v]))
    finally:
        for s in sessions.values():
            s.close()
    return results


# ----------------------------------------------------------------------------------------------
# Per-operation overhead
# ----------------------------------------------------------------------------------------------


def per_call_us(fn: Callable[[], Any], number: int, repeat: int = 7) -> float:
    """Median over ``repeat`` runs of the µs per call of ``fn`` (garbage collector on)."""
    runs = timeit.Timer(fn, setup="import gc; gc.enable()").repeat(repeat=repeat, number=number)
    return median(runs) / number * 1e6


def run_micro(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    an, bn = rng.standard_normal((10, 10)), rng.standard_normal((10, 10))
    a, b = Tensor(an, requires_grad=True), Tensor(bn, requires_grad=True)
    sigmoid_np = ops.sigmoid.fun  # the primitive's own numpy forward, without the engine
    cases = [
        ("a * b", lambda: a * b, lambda: an * bn),
        ("a + b", lambda: a + b, lambda: an + bn),
        ("exp(a)", lambda: ag.exp(a), lambda: np.exp(an)),
        ("sigmoid(a)", lambda: ag.sigmoid(a), lambda: sigmoid_np(an)),
    ]
    number = args.micro_calls
    ops_out = []
    for name, f_tensor, f_numpy in cases:
        t_np = per_call_us(f_numpy, number)
        t_ag = per_call_us(f_tensor, number)
        with ag.no_grad():
            t_ng = per_call_us(f_tensor, number)
        ops_out.append({"op": name, "numpy_us": t_np, "tensor_us": t_ag,
                        "overhead_us": t_ag - t_np, "tensor_no_grad_us": t_ng,
                        "overhead_no_grad_us": t_ng - t_np})

    def forward():  # 5 operations: mul, add, sigmoid, mul, sum
        return (ag.sigmoid(a * b + a) * b).sum()

    def forward_backward():
        a.grad = b.grad = None
        forward().backward()

    def numpy_by_hand():
        c = an * bn
        d = c + an
        e = sigmoid_np(d)
        f = e * bn
        f.sum()
        ge = bn  # d(sum)/df = 1, df/de = b
        gb = e.copy()
        gd = ge * e * (1 - e)
        return gd + gd * bn, gb + gd * an

    forward_backward()
    ga, gb = numpy_by_hand()
    check = max(float(np.max(np.abs(a.grad.data - ga))), float(np.max(np.abs(b.grad.data - gb))))
    n5 = max(number // 5, 1)
    t_fwd = per_call_us(forward, n5)
    t_fb = per_call_us(forward_backward, n5)
    t_np = per_call_us(numpy_by_hand, n5)
    return {
        "shape": [10, 10], "dtype": "float64", "calls_per_run": number, "ops": ops_out,
        "graph5": {"forward_us": t_fwd, "forward_backward_us": t_fb,
                   "backward_us": t_fb - t_fwd, "backward_us_per_node": (t_fb - t_fwd) / 5,
                   "numpy_by_hand_forward_backward_us": t_np, "max_abs_diff_vs_by_hand": check},
    }


# ----------------------------------------------------------------------------------------------
# A scalar graph, micrograd-style, in a fresh process and in one with a notebook's heap
# ----------------------------------------------------------------------------------------------


def scalar_graph_us(make: Callable[[float], Any], tanh: Callable[[Any], Any],
                    steps: int) -> tuple[float, float]:
    """µs per operation, forward and backward, of ``y = tanh(y·w + c)`` repeated ``steps``
    times (3 operations a step) from scalars made by ``make``."""
    w, c, y = make(0.5), make(0.1), make(0.3)
    w.requires_grad = c.requires_grad = True
    t0 = time.perf_counter()
    for _ in range(steps):
        y = tanh(y * w + c)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    return (t1 - t0) / (3 * steps) * 1e6, (t2 - t1) / (3 * steps) * 1e6


def torch_scalar_graph(steps: int, skip: bool) -> Callable[[], tuple[float, float]] | None:
    """The scalar graph in PyTorch (importing it), or None without torch."""
    if skip or torch_status() is not None:
        return None
    import torch

    torch.set_num_threads(1)
    return lambda: scalar_graph_us(lambda v: torch.tensor(v, dtype=torch.float64),
                                   lambda t: t.tanh(), steps)


def scalar_child(kind: str, reps: int, steps: int, skip_torch: bool) -> int:
    """The measurement of one process (``--scalar-child``), printed as JSON. In a notebook's
    heap (torch, matplotlib and IPython imported first) the engine and PyTorch take turns; in
    a fresh process the engine is timed first, then PyTorch imported and timed."""
    ours = lambda: scalar_graph_us(lambda v: Tensor(v), lambda t: t.tanh(), steps)  # noqa: E731
    out: dict[str, Any] = {"kind": kind, "steps": steps, "reps": reps}
    mine: list[tuple[float, float]] = []
    other: list[tuple[float, float]] = []
    if kind == "fresh":
        out["objects"] = len(gc.get_objects())
        mine = [ours() for _ in range(reps)]
        theirs = torch_scalar_graph(steps, skip_torch)
        other = [theirs() for _ in range(reps)] if theirs else []
    else:
        import matplotlib

        matplotlib.use("Agg")
        import IPython  # noqa: F401
        import matplotlib.pyplot  # noqa: F401

        theirs = torch_scalar_graph(steps, skip_torch)
        out["objects"] = len(gc.get_objects())
        for _ in range(reps):
            mine.append(ours())
            if theirs:
                other.append(theirs())
    out["ours"], out["theirs"] = mine, other
    print(json.dumps(out))
    return 0


def run_scalar(args: argparse.Namespace) -> dict[str, Any]:
    """The scalar graph in two new processes: a fresh one, and one with a notebook's heap."""
    result: dict[str, Any] = {}
    for kind in ("fresh", "notebook"):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--scalar-child", kind,
               "--scalar-reps", str(args.scalar_reps), "--scalar-steps", str(args.scalar_steps)]
        if args.skip_torch:
            cmd.append("--skip-torch")
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        m = json.loads(done.stdout.strip().splitlines()[-1])
        row: dict[str, Any] = {"objects": m["objects"], "load": load_average()}
        f, b = (median([r[i] for r in m["ours"]]) for i in (0, 1))
        row.update(forward_us=f, backward_us=b, total_us=f + b)
        if m.get("theirs"):
            tf, tb = (median([r[i] for r in m["theirs"]]) for i in (0, 1))
            row.update(torch_forward_us=tf, torch_backward_us=tb, torch_total_us=tf + tb,
                       ratio=(f + b) / (tf + tb))
        result[kind] = row
        progress(f"  scalar graph, {kind} process: {f:.2f} + {b:.2f} µs per operation"
                 + (f"; torch {row['torch_forward_us']:.2f} + {row['torch_backward_us']:.2f}"
                    if "ratio" in row else ""))
    return result


def scalar_table(s: dict[str, Any]) -> list[str]:
    lines = ["Scalar graph y = tanh(y·w + c), 3 operations a step: µs per operation, forward "
             "+ backward (medians)",
             f"{'process':<34}{'objects':>9}{'autograd-mini':>16}{'PyTorch':>16}{'ratio':>8}"]
    names = {"fresh": "fresh (numpy + autograd-mini)",
             "notebook": "notebook (torch, matplotlib, IPython)"}
    for kind, r in s.items():
        mine = f"{r['forward_us']:.2f}+{r['backward_us']:.2f}"
        theirs = (f"{r['torch_forward_us']:.2f}+{r['torch_backward_us']:.2f}"
                  if "ratio" in r else "-")
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "-"
        lines.append(f"{names[kind]:<34}{r['objects']:>9,}{mine:>16}{theirs:>16}{ratio:>8}")
    lines.append("(fresh: PyTorch timed in the same process after the engine, once imported)")
    return lines


# ----------------------------------------------------------------------------------------------
# Deep graph: a scalar chain
# ----------------------------------------------------------------------------------------------


def run_chain(args: argparse.Namespace) -> dict[str, Any]:
    n, c = args.chain_nodes, 1.0000001
    expected = math.pow(c, n)
    gc.collect()
    base = rss_mb()
    peak_ok = reset_peak_rss()
    reps = []
    for rep in range(args.chain_reps):
        gc.collect()
        reset_peak_rss()
        x = Tensor(1.0, requires_grad=True)
        y = x
        t0 = time.perf_counter()
        for _ in range(n):
            y = y * c
        t_fwd = time.perf_counter() - t0
        rss_graph = rss_mb()
        t0 = time.perf_counter()
        y.backward()
        t_bwd = time.perf_counter() - t0
        grad = x.grad.item()
        alive = weakref.ref(y)
        t0 = time.perf_counter()
        del y
        t_free = time.perf_counter() - t0
        freed_by_refcount = alive() is None
        collected = gc.collect()
        reps.append({"forward_s": t_fwd, "backward_s": t_bwd, "free_s": t_free,
                     "grad_rel_err": abs(grad - expected) / expected,
                     "freed_by_refcount": freed_by_refcount, "gc_collected": collected,
                     "rss_with_graph_mb": rss_graph, "rss_after_mb": rss_mb(),
                     "peak_rss_mb": peak_rss_mb() if peak_ok else None,
                     "load": load_average()})
        progress(f"  chain repeat {rep + 1}/{args.chain_reps}: forward {t_fwd:.2f} s, backward "
                 f"{t_bwd:.2f} s, RSS after {reps[-1]['rss_after_mb']:.0f} MB")
        del x
    # One more repetition under tracemalloc, which slows Python allocations: memory only.
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * c
    graph_bytes = tracemalloc.get_traced_memory()[0] - before
    y.backward()
    del y, x
    gc.collect()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = [r["rss_after_mb"] for r in reps]
    # The first repetition leaves the allocators' pools (pymalloc arenas, malloc heap) larger
    # than they were: growth is counted from the second repetition on.
    first = rss_after[1] if len(rss_after) > 2 else rss_after[0]
    growth = rss_after[-1] - first
    graph_mb = max(r["rss_with_graph_mb"] for r in reps) - base
    tol = max(5.0, 0.02 * graph_mb)
    return {
        "nodes": n, "reps": reps, "rss_before_mb": base,
        "forward_s_median": median([r["forward_s"] for r in reps]),
        "backward_s_median": median([r["backward_s"] for r in reps]),
        "tracemalloc_graph_mb": graph_bytes / 2**20,
        "tracemalloc_bytes_per_node": graph_bytes / n,
        "tracemalloc_peak_mb": (peak - before) / 2**20,
        "tracemalloc_left_after_mb": (after - before) / 2**20,
        "rss_growth_mb": growth, "rss_growth_tolerance_mb": tol,
        "no_growth": bool(growth <= tol and all(r["freed_by_refcount"] for r in reps)
                          and (after - before) < 2**20),
    }


# ----------------------------------------------------------------------------------------------
# Training memory across epochs
# ----------------------------------------------------------------------------------------------


def live_tensors() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Tensor)


def run_memory(args: argparse.Namespace, data: Data) -> dict[str, Any]:
    dtype = args.dtypes[0]
    batch = 32 if 32 in args.batch_sizes else args.batch_sizes[0]
    x, y = data.get(dtype)
    model = nn.MLP(args.sizes, output_activation=output_activation(args.cost), rng=args.seed,
                   dtype=dtype)
    impl = Autodiff(model, args.cost, args.lr)
    impl.prepare(x, y)
    gc.collect()
    epochs = []
    for e in range(args.memory_epochs):
        t0 = time.perf_counter()
        impl.epoch(batch)
        t = time.perf_counter() - t0
        gc.collect()
        epochs.append({"s": t, "rss_mb": rss_mb(), "live_tensors": live_tensors()})
        progress(f"  memory epoch {e + 1}/{args.memory_epochs}: {t:.2f} s, RSS "
                 f"{epochs[-1]['rss_mb']:.1f} MB, {epochs[-1]['live_tensors']} live Tensors")
    # Traced (Python and numpy) memory over two stretches of 100 steps: must not grow.
    steps = min(100, -(-len(x) // batch))
    tracemalloc.start()
    impl.epoch(batch, stop=steps)
    gc.collect()
    t1 = tracemalloc.get_traced_memory()[0]
    impl.epoch(batch, stop=steps)
    gc.collect()
    t2 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rss = [e["rss_mb"] for e in epochs]
    ref = rss[1] if len(rss) > 2 else rss[0]  # the first epoch warms up the allocator
    growth = rss[-1] - ref
    tol = max(2.0, 0.01 * ref)
    tensors = {e["live_tensors"] for e in epochs}
    return {"dtype": dtype, "batch": batch, "epochs": epochs, "rss_growth_mb": growth,
            "rss_growth_tolerance_mb": tol, "traced_growth_kb_per_100_steps": (t2 - t1) / 1024,
            "flat": bool(growth <= tol and len(tensors) == 1 and t2 - t1 < 256 * 1024)}


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fmt_s(x: float | None) -> str:
    return "-" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.2f}")


def training_table(variant: str, res: dict[str, Any]) -> list[str]:
    env = ", ".join(f"{k}={v}" for k, v in res["malloc_env"].items() if v is not None)
    lines = [f"Training, one epoch, median seconds — allocator: {variant}"
             f" ({env or 'MALLOC_* unset'}; pid {res['pid']}, BLAS threads "
             f"{res['blas_threads']}, torch: {res['torch']})"]
    names = [n for n in IMPL_ORDER if any(n in c["median_s"] for c in res["configs"])]
    head = f"{'dtype':<8}{'batch':>6}" + "".join(
        f"{n + ('*' if n == 'loop' else ''):>11}" for n in names)
    head += f"{'ad/ref':>9}{'[per-rep]':>10}"
    if "plain" in names:
        head += f"{'plain/ref':>10}{'[per-rep]':>10}"
    if "torch" in names:
        head += f"{'ad/torch':>10}{'[per-rep]':>10}"
    head += "   faults/step " + "/".join(n[:3] for n in names)
    lines.append(head)
    for c in res["configs"]:
        row = f"{c['dtype']:<8}{c['batch']:>6}" + "".join(
            f"{fmt_s(c['median_s'].get(n)):>11}" for n in names)
        row += f"{c['ratio_ad_ref']:>8.2f}x{c['ratio_ad_ref_per_repeat_median']:>9.2f}x"
        if "plain" in names:
            row += (f"{c['ratio_plain_ref']:>9.2f}x{c['ratio_plain_ref_per_repeat_median']:>9.2f}x"
                    if "ratio_plain_ref" in c else f"{'-':>10}{'-':>10}")
        if "torch" in names:
            if "ratio_ad_torch" in c:
                row += (f"{c['ratio_ad_torch']:>9.2f}x"
                        f"{c['ratio_ad_torch_per_repeat_median']:>9.2f}x")
            else:
                row += f"{'-':>10}{'-':>10}"
        row += "   " + "/".join(f"{c['minflt_per_step'][n]:.0f}" for n in names
                                if n in c["minflt_per_step"])
        lines.append(row)
    agree = ", ".join(
        f"{c['dtype']} b{c['batch']}: " + " ".join(
            f"{k} {v:.1e}" for k, v in c["agreement_after_1_epoch"].items())
        for c in res["configs"])
    lines.append(f"weights after one epoch, max |w - w_reference|: {agree}")
    slow = [f"{c['dtype']} b{c['batch']} {n} repeat {i + 1}: {t:.1f} s"
            for c in res["configs"] for n, ts in c["seconds"].items()
            for i, t in enumerate(ts) if len(ts) > 2 and t > 3 * c["median_s"][n]]
    if slow:
        lines.append("epochs slower than 3x their median (load spikes; the medians discount "
                     "them): " + "; ".join(slow))
    if "plain" in names:
        lines.append("autodiff: the engine through nn with the fused cost (nn.output_cost); "
                     "plain: the same network with the cost written with operators, "
                     "((model(x) - y) ** 2).sum() * (0.5 / n)")
    if "loop" in names:
        lines.append("* loop: timed on a subset (--loop-examples) and scaled to the epoch")
    return lines


def allocator_table(training: dict[str, Any]) -> list[str]:
    d, g = training.get("default"), training.get("large")
    if not d or not g:
        return []
    lines = ["Allocator effect (same configs, runs interleaved with the child process): "
             "default s / large s (speed-up)"]
    names = [n for n in IMPL_ORDER if n in d["configs"][0]["median_s"]]
    lines.append(f"{'dtype':<8}{'batch':>6}" + "".join(f"{n:>26}" for n in names))
    for cd, cg in zip(d["configs"], g["configs"], strict=True):
        row = f"{cd['dtype']:<8}{cd['batch']:>6}"
        for n in names:
            a, b = cd["median_s"].get(n), cg["median_s"].get(n)
            cell = "-" if a is None or b is None else f"{fmt_s(a)} / {fmt_s(b)} ({a / b:.2f}x)"
            row += f"{cell:>26}"
        lines.append(row)
    return lines


def micro_table(m: dict[str, Any]) -> list[str]:
    lines = [f"Per-operation overhead on a (10, 10) float64 tensor, µs per call (median of 7 "
             f"runs of {m['calls_per_run']} calls)",
             f"{'op':<12}{'numpy':>8}{'Tensor':>9}{'overhead':>10}{'no_grad':>9}{'overhead':>10}"]
    for o in m["ops"]:
        lines.append(f"{o['op']:<12}{o['numpy_us']:>8.2f}{o['tensor_us']:>9.2f}"
                     f"{o['overhead_us']:>+10.2f}{o['tensor_no_grad_us']:>9.2f}"
                     f"{o['overhead_no_grad_us']:>+10.2f}")
    g = m["graph5"]
    lines.append(f"5-op graph (mul, add, sigmoid, mul, sum): forward {g['forward_us']:.1f} µs, "
                 f"forward+backward {g['forward_backward_us']:.1f} µs, so backward "
                 f"{g['backward_us']:.1f} µs ({g['backward_us_per_node']:.1f} µs per node); "
                 f"numpy by hand, forward+backward: {g['numpy_by_hand_forward_backward_us']:.1f}"
                 f" µs (gradients agree to {g['max_abs_diff_vs_by_hand']:.0e})")
    return lines


def chain_table(c: dict[str, Any]) -> list[str]:
    lines = [f"Deep graph: scalar chain of {c['nodes']:,} multiplications "
             f"(RSS before: {c['rss_before_mb']:.0f} MB)",
             f"{'rep':>4}{'forward s':>11}{'backward s':>12}{'free s':>8}{'RSS graph':>11}"
             f"{'RSS after':>11}{'peak RSS':>10}  freed by refcount, gc found, grad rel. err"]
    for i, r in enumerate(c["reps"]):
        peak = "-" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}"
        lines.append(f"{i + 1:>4}{r['forward_s']:>11.2f}{r['backward_s']:>12.2f}"
                     f"{r['free_s']:>8.2f}{r['rss_with_graph_mb']:>11.0f}"
                     f"{r['rss_after_mb']:>11.0f}{peak:>10}  {r['freed_by_refcount']}, "
                     f"{r['gc_collected']}, {r['grad_rel_err']:.1e}")
    lines.append(f"tracemalloc (separate repetition): graph {c['tracemalloc_graph_mb']:.0f} MB "
                 f"({c['tracemalloc_bytes_per_node']:.0f} B per node), peak "
                 f"{c['tracemalloc_peak_mb']:.0f} MB, left after freeing "
                 f"{c['tracemalloc_left_after_mb'] * 1024:.1f} kB; RSS growth from the "
                 f"{'second' if len(c['reps']) > 2 else 'first'} repetition to the last "
                 f"{c['rss_growth_mb']:+.1f} MB (tolerance {c['rss_growth_tolerance_mb']:.1f} MB)")
    return lines


def memory_table(m: dict[str, Any]) -> list[str]:
    rss = ", ".join(f"{e['rss_mb']:.1f}" for e in m["epochs"])
    tensors = ", ".join(str(e["live_tensors"]) for e in m["epochs"])
    return [f"Training memory, autodiff, {m['dtype']} batch {m['batch']}: RSS after each epoch "
            f"(MB): {rss}; live Tensors: {tensors}; traced growth over 100 steps "
            f"{m['traced_growth_kb_per_100_steps']:+.1f} kB"]


def busy_reason(loads: Sequence[float | None], cpus: int | None) -> str | None:
    """"machine busy (load 7.9 on 2 cores)" if the 1-minute load average went above the
    number of cores while a figure was measured, else None. More runnable threads than cores
    means the benchmark waited for a core part of the time: its seconds then measure the other
    processes as much as the code (this process itself counts 1 in the load)."""
    known = [x for x in loads if x is not None]
    if not known or not cpus or max(known) <= cpus:
        return None
    return f"machine busy (load {max(known):.1f} on {cpus} cores)"


def spread_reason(ratios: Sequence[float]) -> str | None:
    """"repeats disagree (...)" if the per-repeat ratios of three or more repeats spread
    more than SPREAD_TOL around their median, else None."""
    if len(ratios) < 3:
        return None
    lo, hi, mid = min(ratios), max(ratios), median(ratios)
    if (hi - lo) / mid <= SPREAD_TOL:
        return None
    return f"repeats disagree (per-repeat ratio {lo:.2f} to {hi:.2f})"


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its value and status: PASS, MISS, n/a, or UNTRUSTED for a timing
    measured while the machine was too busy (or too unsteady) to trust it."""
    out = []
    cpus = result.get("meta", {}).get("cpus")

    def add(name: str, value: Any, ok: bool | None, note: str = "",
            untrusted: str | None = None) -> None:
        status = "n/a" if ok is None else ("PASS" if ok else "MISS")
        if untrusted and ok is not None:
            status, note = "UNTRUSTED", f"would be {status}; {note}".rstrip("; ")
        out.append({"target": name, "value": value, "status": status, "note": note,
                    "reason": untrusted if status == "UNTRUSTED" else None})

    for variant, res in result.get("training", {}).items():
        for c in res["configs"]:
            where = f"[{variant}] {c['dtype']} batch {c['batch']}"
            busy = busy_reason(c.get("load", []), cpus)
            r = c["ratio_ad_ref"]
            add(f"autodiff (fused cost) <= {TARGET_FUSED_REF} x reference, {where}", round(r, 3),
                r <= TARGET_FUSED_REF,
                f"per-repeat median {c['ratio_ad_ref_per_repeat_median']:.2f}",
                busy or spread_reason(c.get("ratio_ad_ref_per_repeat", [])))
            if "ratio_plain_ref" in c and c["batch"] in TARGET_PLAIN_BATCHES:
                r = c["ratio_plain_ref"]
                add(f"autodiff (plain operators) <= {TARGET_PLAIN_REF} x reference, {where}",
                    round(r, 3), r <= TARGET_PLAIN_REF,
                    f"per-repeat median {c['ratio_plain_ref_per_repeat_median']:.2f}",
                    busy or spread_reason(c.get("ratio_plain_ref_per_repeat", [])))
            if c["batch"] in TARGET_AD_TORCH_BATCHES and "ratio_ad_torch" in c:
                r = c["ratio_ad_torch"]
                add(f"autodiff <= {TARGET_AD_TORCH} x torch, {where}", round(r, 3),
                    r <= TARGET_AD_TORCH,
                    f"per-repeat median {c['ratio_ad_torch_per_repeat_median']:.2f}",
                    busy or spread_reason(c.get("ratio_ad_torch_per_repeat", [])))
            if c["dtype"] in AGREE_TOL:
                for impl in ("autodiff", "plain"):
                    d = c["agreement_after_1_epoch"].get(impl)
                    if d is not None:
                        add(f"weights agree with the reference after 1 epoch, {impl}, {where}",
                            float(f"{d:.3g}"), d <= AGREE_TOL[c["dtype"]],
                            f"tolerance {AGREE_TOL[c['dtype']]:.0e}")
    for kind, r in result.get("scalar", {}).items():
        if "ratio" in r:
            add(f"scalar graph forward + backward <= {TARGET_SCALAR_TORCH} x PyTorch per "
                f"operation, {kind} process", round(r["ratio"], 3),
                r["ratio"] <= TARGET_SCALAR_TORCH,
                f"{r['total_us']:.2f} vs {r['torch_total_us']:.2f} µs per operation",
                busy_reason([r.get("load")], cpus))
    ch = result.get("chain")
    if ch:
        full = ch["nodes"] >= 1_000_000
        short = "" if full else "chain shorter than 1,000,000 nodes"
        busy = busy_reason([r.get("load") for r in ch["reps"]], cpus)
        f = ch["forward_s_median"]
        add(f"{ch['nodes']:,}-node chain forward <= {TARGET_CHAIN_FORWARD_S} s", round(f, 3),
            f <= TARGET_CHAIN_FORWARD_S if full else None, short, busy)
        b = ch["backward_s_median"]
        add(f"{ch['nodes']:,}-node chain backward <= {TARGET_CHAIN_BACKWARD_S} s", round(b, 3),
            b <= TARGET_CHAIN_BACKWARD_S if full else None, short, busy)
        per_node = ch["tracemalloc_bytes_per_node"]
        add(f"chain memory <= {TARGET_CHAIN_BYTES} bytes per node", round(per_node),
            per_node <= TARGET_CHAIN_BYTES, "tracemalloc, graph built, before backward")
        add(f"chain memory does not grow over {len(ch['reps'])} repetitions",
            f"{ch['rss_growth_mb']:+.1f} MB RSS", ch["no_growth"],
            f"freed by refcount alone: {all(r['freed_by_refcount'] for r in ch['reps'])}; "
            f"tracemalloc left {ch['tracemalloc_left_after_mb'] * 1024:.1f} kB"
            + ("" if len(ch["reps"]) >= 10 else "; use --chain-reps 10 for the full check"))
    mem = result.get("memory")
    if mem:
        add(f"training memory flat over {len(mem['epochs'])} epochs",
            f"{mem['rss_growth_mb']:+.1f} MB RSS", mem["flat"],
            f"tolerance {mem['rss_growth_tolerance_mb']:.1f} MB; traced growth "
            f"{mem['traced_growth_kb_per_100_steps']:+.1f} kB per 100 steps")
    return out


def targets_table(ts: list[dict[str, Any]]) -> list[str]:
    lines = ["Targets"]
    for t in ts:
        untrusted = t["status"] == "UNTRUSTED"
        status = f"UNTRUSTED: {t['reason']}: " if untrusted else f"{t['status']:<5}"
        lines.append(f"  {status}{t['target']}: {t['value']}"
                     + (f"  ({t['note']})" if t["note"] else ""))
    untrusted = sum(t["status"] == "UNTRUSTED" for t in ts)
    if untrusted:
        lines.append(f"  {untrusted} timing figure{'s' if untrusted > 1 else ''} not to be "
                     "trusted: rerun on a quiet machine (load below the number of cores)")
    return lines


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[784, 100, 10],
                   help="layer sizes (default 784 100 10)")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[10, 32, 128])
    p.add_argument("--dtypes", nargs="+", choices=["float32", "float64"],
                   default=["float32", "float64"])
    p.add_argument("--cost", choices=list(nn.costs.COST_NAMES), default="quadratic")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--examples", type=int, help="rows per epoch (default 60000; quick: 600)")
    p.add_argument("--repeats", type=int, help="epochs per implementation (default 5; quick: 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset", choices=["synthetic", "mnist", "fashion-mnist"],
                   default="synthetic",
                   help="synthetic random pixels and labels (default), or real training "
                        "images (repeated to --examples rows), found like "
                        "nn.datasets.load_mnist finds them: --data-dir, $AUTOGRAD_MINI_DATA, "
                        "/usr/share/datasets, the cache, else a download")
    p.add_argument("--data-dir", help="directory of the IDX files for --dataset")
    p.add_argument("--allocator", choices=["default", "large", "both"], default="both",
                   help="glibc malloc setting(s) for the training runs (default both)")
    p.add_argument("--torch-threads", type=int,
                   help="PyTorch's thread count (default: the same as numpy's BLAS, so that "
                        "both sides of the comparison get the same cores)")
    p.add_argument("--blas-threads", type=int,
                   help="numpy's OpenBLAS thread count (default: OPENBLAS_NUM_THREADS or "
                        "OMP_NUM_THREADS if set, else 1: what a mini-batch of this size "
                        "runs fastest with, and steady on a busy machine)")
    p.add_argument("--with-loop", action="store_true",
                   help="also time the per-example backprop_loop (on a subset, extrapolated)")
    p.add_argument("--loop-examples", type=int, default=1000)
    p.add_argument("--chain-nodes", type=int, help="default 1,000,000; quick: 10,000")
    p.add_argument("--chain-reps", type=int, help="default 3 (10 for the full memory check)")
    p.add_argument("--memory-epochs", type=int, help="default 5; quick: 3")
    p.add_argument("--micro-calls", type=int, help="calls per timing run (default 20000)")
    p.add_argument("--scalar-reps", type=int, help="repetitions of the scalar graph "
                   "(default 31; quick: 3)")
    p.add_argument("--scalar-steps", type=int, help="steps of the scalar graph (default 1000)")
    p.add_argument("--skip-scalar", action="store_true")
    p.add_argument("--scalar-child", choices=["fresh", "notebook"], help=argparse.SUPPRESS)
    p.add_argument("--skip-torch", action="store_true")
    p.add_argument("--skip-chain", action="store_true")
    p.add_argument("--skip-micro", action="store_true")
    p.add_argument("--skip-training", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--quick", action="store_true",
                   help="small sizes everywhere: a smoke run of a few seconds")
    p.add_argument("--json", metavar="PATH", help="write every figure to this JSON file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.torch_threads is None:
        args.torch_threads = args.blas_threads or OpenBLAS().threads() or 1
    if len(args.sizes) < 2 or min(args.sizes) < 1:
        p.error("--sizes needs at least two positive sizes")
    for key in ("examples", "repeats", "chain_nodes", "chain_reps", "memory_epochs",
                "micro_calls", "loop_examples", "scalar_reps", "scalar_steps"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')} must be positive")
    if min(args.batch_sizes) < 1:
        p.error("--batch-sizes must be positive")
    return args


def jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    if args.scalar_child:
        return scalar_child(args.scalar_child, args.scalar_reps, args.scalar_steps,
                            args.skip_torch)
    t_start = time.perf_counter()
    blas = OpenBLAS()
    if args.blas_threads:
        blas.set_threads(args.blas_threads)
    child_argv = []  # the child needs the configuration, not the output path
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a == "--json":
            skip = True
        elif not a.startswith("--json="):
            child_argv.append(a)
    torch_version = None
    if not args.skip_torch and torch_status() is None:
        import torch

        torch_version = torch.__version__
    result: dict[str, Any] = {"meta": {
        "argv": argv, "args": vars(args), "python": sys.version.split()[0],
        "numpy": np.__version__, "torch": torch_version, "platform": platform.platform(),
        "cpus": os.cpu_count(), "blas": blas.config, "blas_threads": blas.threads(),
        "allocator": allocator_label(), "load_start": load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }}
    m = result["meta"]
    say(f"autograd-mini benchmark — {m['started']}, Python {m['python']}, numpy {m['numpy']}, "
        f"torch {torch_version or 'not used'}, {m['cpus']} CPUs, load average "
        f"{m['load_start']}")
    say(f"{m['blas'] or 'BLAS: unknown'}, {m['blas_threads']} threads; network "
        f"{'-'.join(map(str, args.sizes))} sigmoid, {args.cost} cost, SGD lr {args.lr}, "
        f"{args.examples} examples ({args.dataset}), {args.repeats} repeats")
    busy = busy_reason([m["load_start"]], m["cpus"])
    if busy:
        say(f"Note: {busy} at the start. Timings measured while the load stays above the "
            "number of cores are marked UNTRUSTED in the targets."
            + (" Multi-threaded BLAS (numpy's OpenBLAS, torch) spin-waits for its threads and "
               "can be slowed 10-100x while other processes hold the cores: --blas-threads 1 "
               "--torch-threads 1 gives steadier figures."
               if (m["blas_threads"] or 1) > 1 or args.torch_threads > 1 else ""))
    durations: dict[str, float] = {}

    def section(name: str, fn: Callable[[], Any]) -> Any:
        progress(f"[{name}] ...")
        t0 = time.perf_counter()
        out = fn()
        durations[name] = time.perf_counter() - t0
        return out

    if not args.skip_micro:
        result["micro"] = section("micro", lambda: run_micro(args))
        say(*micro_table(result["micro"]))
    if not args.skip_scalar:
        result["scalar"] = section("scalar", lambda: run_scalar(args))
        say(*scalar_table(result["scalar"]))
    if not args.skip_chain:
        result["chain"] = section("chain", lambda: run_chain(args))
        say(*chain_table(result["chain"]))
    if not args.skip_training:
        result["training"] = section("training", lambda: run_training(args, child_argv))
        for variant, res in result["training"].items():
            say(*training_table(variant, res))
        say(*allocator_table(result["training"]))
    if not args.skip_memory:
        result["memory"] = section("memory", lambda: run_memory(args, Data(args)))
        say(*memory_table(result["memory"]))
    result["targets"] = targets(result)
    say(*targets_table(result["targets"]))
    m["load_end"] = load_average()
    m["section_seconds"] = durations
    m["total_seconds"] = time.perf_counter() - t_start
    say(f"total {m['total_seconds']:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in durations.items())
        + f"); load average {m['load_start']} at start, {m['load_end']} at end")
    if args.json:
        Path(args.json).write_text(json.dumps(jsonable(result), indent=1) + "\n")
        say(f"figures written to {args.json}")
    wrong = [t for t in result["targets"]
             if t["target"].startswith("weights agree") and t["status"] == "MISS"]
    return 1 if wrong else 0


def say(*lines: str) -> None:
    print("\n".join(lines) + "\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
