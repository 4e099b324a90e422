"""Training memory: RSS and live Tensors after each of ``--memory-epochs`` autodiff epochs,
and the traced memory over two stretches of 100 steps."""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from typing import Any

import nn
from autograd_mini import Tensor

from .implementations import Autodiff, Data, output_activation
from .report import progress
from .system import rss_mb


def live_tensors() -> int:
    """The Tensors the garbage collector tracks now."""
    return sum(1 for o in gc.get_objects() if type(o) is Tensor)


def run_memory(args: argparse.Namespace, data: Data) -> dict[str, Any]:
    """Autodiff epochs of the first dtype (batch 32 if asked for), memory after each."""
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
