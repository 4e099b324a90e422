"""The deep graph: a scalar chain ``y = y * c`` of ``--chain-nodes`` multiplications, forward
and backward seconds, RSS per repetition, bytes per node under tracemalloc, and whether the
graph is freed by reference counting alone."""

from __future__ import annotations

import argparse
import gc
import math
import time
import tracemalloc
import weakref
from typing import Any

from autograd_mini import Tensor

from .report import progress
from .stats import median
from .system import load_average, peak_rss_mb, reset_peak_rss, rss_mb


def run_chain(args: argparse.Namespace) -> dict[str, Any]:
    """Build and backpropagate the chain ``--chain-reps`` times, then once under tracemalloc."""
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
