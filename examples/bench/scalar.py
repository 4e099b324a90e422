"""A scalar graph, micrograd-style (``y = tanh(y·w + c)``), forward and backward against
PyTorch, in a fresh process and in one with a notebook's heap: the child's measurement
(``scalar_child``, run as ``--scalar-child``) and the parent's driver (``run_scalar``)."""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from autograd_mini import Tensor

from .implementations import torch_status
from .report import progress
from .stats import median
from .system import SCRIPT, load_average


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
        cmd = [sys.executable, str(SCRIPT), "--scalar-child", kind,
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
