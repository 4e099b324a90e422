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

   ``--repeats`` rounds of one epoch each. Within a round the epoch is cut into chunks of about
   1000 rows (100 steps at batch 10, 31 or 32 at batch 32), and a (also as ``plain``, the cost
   written with operators), b and c take turns chunk by chunk, in an order that alternates from
   chunk to chunk, so that a change of load on a shared machine falls on all of them alike (d
   runs its subset apart). An epoch's time is the sum of
   its chunk times; the tables give the median epoch, and each ratio is the median, over all
   chunks of all rounds, of the two implementations' per-chunk time ratio (in brackets, the
   median over rounds of each round's median). All start from the same weights and see the same
   batches in the same order, so after the first epoch their weights must agree (in float64 to
   ~1e-10): the benchmark checks that and exits with status 1 if not.

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

This file holds the options and ``main``; the parts, one job per module, are in ``bench/``
beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Run as a script, this folder is sys.path[0]; imported by its path (tests/test_benchmark.py)
# it is not. Either way the parts in bench/ are found beside this file, and the repository's
# packages in the checkout this file belongs to (as in examples/expression.py).
HERE = Path(__file__).resolve().parent
for _folder in (str(HERE.parent), str(HERE)):
    if _folder not in sys.path:
        sys.path.insert(0, _folder)

from bench.system import one_blas_thread  # noqa: E402

one_blas_thread()  # before numpy is imported, below

import numpy as np  # noqa: E402
from bench.chain import run_chain  # noqa: E402
from bench.implementations import Data, torch_status  # noqa: E402
from bench.memory import run_memory  # noqa: E402
from bench.micro import run_micro  # noqa: E402
from bench.report import (  # noqa: E402
    allocator_table,
    chain_table,
    memory_table,
    micro_table,
    progress,
    say,
    scalar_table,
    targets_table,
    training_table,
)
from bench.scalar import run_scalar, scalar_child  # noqa: E402
from bench.system import allocator_label, load_average  # noqa: E402
from bench.targets import busy_reason, targets  # noqa: E402
from bench.training import run_training, worker  # noqa: E402

import nn  # noqa: E402
from nn.blas import OpenBLAS  # noqa: E402

FULL = {"examples": 60000, "repeats": 5, "chain_nodes": 1_000_000, "chain_reps": 3,
        "memory_epochs": 5, "micro_calls": 20000, "scalar_reps": 31, "scalar_steps": 1000}
QUICK = {"examples": 600, "repeats": 1, "chain_nodes": 10_000, "chain_reps": 3,
         "memory_epochs": 3, "micro_calls": 500, "scalar_reps": 3, "scalar_steps": 100}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options, with the defaults of a full or a --quick run filled in."""
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
    """``x`` with numpy scalars made Python numbers and keys made strings, for JSON."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sections asked for and print them; 1 if the weights disagree, else 0."""
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


if __name__ == "__main__":
    sys.exit(main())
