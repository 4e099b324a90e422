"""The training benchmark: rounds of one epoch of every implementation, interleaved chunk by
chunk (``TrainingSession``), in this process or in a child with another allocator setting
(``RemoteSession`` and the child's ``worker``), summed up per (dtype, batch) (``summarize``)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

import nn
from nn.blas import OpenBLAS

from .implementations import (
    IMPL_ORDER,
    Autodiff,
    Data,
    Loop,
    Plain,
    Reference,
    Torch,
    max_abs_diff,
    output_activation,
    torch_status,
)
from .report import progress
from .stats import chunk_bounds, chunk_ratios, median
from .system import LARGE_ENV, SCRIPT, allocator_env, allocator_label, load_average, rss_mb

# The ratios reported: (implementation, the one it is divided by, the key's suffix).
PAIRS = (("autodiff", "reference", "ad_ref"), ("plain", "reference", "plain_ref"),
         ("autodiff", "torch", "ad_torch"))


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
            impl.epoch(batch, 0, self.WARMUP_BATCHES)  # first calls, lazy initialisations
            impl.reset(self.init)
        steps = -(-len(x) // batch)
        self.impls, self.batch, self.rounds = impls, batch, 0
        self.chunks = chunk_bounds(steps, batch)
        # Everything alive now (torch's modules above all) is moved out of the garbage
        # collector's sight: it would make the collector's full passes during the epochs slower
        # than in a process without torch, and the collection before each round costly.
        gc.collect()
        gc.freeze()
        return {"steps": steps, "impls": [i.name for i in impls],
                "chunk_bounds": [list(c) for c in self.chunks]}

    def round(self) -> dict[str, Any]:
        """One epoch of every implementation. Those on the whole epoch (scale 1) take turns
        chunk by chunk: each trains on the chunk's steps, in an order that alternates from chunk
        to chunk (and from round to round), so that a change of load on the machine falls on
        all of them alike; an epoch's time is the sum of its chunk times. The time ratio of two
        implementations is taken per chunk, and a round's ratio is the median over its chunks.
        Implementations on a subset (``Loop``) then run their whole (scaled) epoch apart. All
        see the same rows in the same order as in one epoch, so their weights still agree."""
        chunked = [impl for impl in self.impls if impl.scale == 1.0]
        apart = [impl for impl in self.impls if impl.scale != 1.0]
        tally = {impl.name: {"chunk_s": [], "cpu_s": 0.0, "steps": 0, "minflt": 0, "majflt": 0,
                             "nivcsw": 0} for impl in self.impls}
        gc.collect()
        for j, (start, stop) in enumerate(self.chunks):
            for impl in chunked if (j + self.rounds) % 2 == 0 else chunked[::-1]:
                self._time(impl, start, stop, tally[impl.name])
        for impl in apart:
            self._time(impl, 0, None, tally[impl.name])
        times = {}
        for impl in self.impls:
            t = tally[impl.name]
            measured = sum(t["chunk_s"])
            times[impl.name] = {
                "s": measured * impl.scale, "measured_s": measured,
                "cpu_s": t["cpu_s"] * impl.scale, "steps": t["steps"], "minflt": t["minflt"],
                "majflt": t["majflt"], "nivcsw": t["nivcsw"],
            }
            if impl in chunked:
                times[impl.name]["chunk_s"] = t["chunk_s"]
        chunk_s = {name: t["chunk_s"] for name, t in times.items() if "chunk_s" in t}
        per_chunk = {key: chunk_ratios(chunk_s[mine], chunk_s[other])
                     for mine, other, key in PAIRS if mine in chunk_s and other in chunk_s}
        by_name = {impl.name: impl for impl in self.impls}
        ref = by_name["reference"].weights()
        agreement = {name: max_abs_diff(by_name[name].weights(), ref)
                     for name in ("autodiff", "plain", "torch") if name in by_name}
        self.rounds += 1
        return {"times": times, "chunk_ratios": per_chunk,
                "ratios": {key: median(r) for key, r in per_chunk.items()},
                "agreement": agreement, "rss_mb": rss_mb(), "load": load_average()}

    def _time(self, impl: Any, start: int, stop: int | None, tally: dict[str, Any]) -> None:
        """Train ``impl`` on steps [start, stop) and add the time and counts to ``tally``."""
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        c0, t0 = time.process_time(), time.perf_counter()
        steps = impl.epoch(self.batch, start, stop)
        t = time.perf_counter() - t0
        c = time.process_time() - c0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        tally["chunk_s"].append(t)
        tally["cpu_s"] += c
        tally["steps"] += steps
        tally["minflt"] += ru1.ru_minflt - ru0.ru_minflt
        tally["majflt"] += ru1.ru_majflt - ru0.ru_majflt
        tally["nivcsw"] += ru1.ru_nivcsw - ru0.ru_nivcsw

    def finish(self) -> dict[str, Any]:
        self.impls = []
        return {"rss_mb": rss_mb()}

    def close(self) -> None:
        self.impls = []
        gc.unfreeze()


class RemoteSession:
    """A TrainingSession in a child process (another allocator setting), driven over pipes."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        cmd = [sys.executable, str(SCRIPT), *argv, "--worker"]
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


def summarize(dtype: str, batch: int, info: dict[str, Any], rounds: list[dict[str, Any]]
              ) -> dict[str, Any]:
    """The figures of one (dtype, batch) from its rounds. A headline ratio ``ratio_<pair>`` is
    the median over all chunks of all rounds of the paired per-chunk time ratios;
    ``ratio_<pair>_per_repeat`` holds each round's median over its chunks, and
    ``ratio_<pair>_of_epoch_medians`` the ratio of the two median epoch times."""
    names = [n for n in IMPL_ORDER if n in rounds[0]["times"]]
    secs = {n: [r["times"][n]["s"] for r in rounds] for n in names}
    med = {n: median(secs[n]) for n in names}
    res: dict[str, Any] = {
        "dtype": dtype, "batch": batch, "steps": info["steps"],
        "chunks": len(info["chunk_bounds"]), "chunk_bounds": info["chunk_bounds"],
        "seconds": secs, "median_s": med,
        "chunk_seconds": {n: [r["times"][n]["chunk_s"] for r in rounds] for n in names
                          if "chunk_s" in rounds[0]["times"][n]},
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
    for mine, other, key in PAIRS:
        if key in rounds[0]["chunk_ratios"]:
            per_chunk = [r["chunk_ratios"][key] for r in rounds]
            per_repeat = [r["ratios"][key] for r in rounds]
            res[f"ratio_{key}"] = median([x for chunks in per_chunk for x in chunks])
            res[f"ratio_{key}_of_epoch_medians"] = med[mine] / med[other]
            res[f"ratio_{key}_per_repeat"] = per_repeat
            res[f"ratio_{key}_per_repeat_median"] = median(per_repeat)
            res[f"ratio_{key}_per_chunk"] = per_chunk
    return res


def run_training(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    """Every (dtype, batch) under every allocator setting asked for; the sessions of the two
    settings run their rounds in turn, so both see the same machine load."""
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
                                 + "".join(f", {k.replace('_', '/')} {x:.2f}x"
                                           for k, x in rnd["ratios"].items())
                                 + f"  (load {rnd['load']:.2f})")
                for v, s in sessions.items():
                    s.finish()
                    results[v]["configs"].append(summarize(dtype, batch, infos[v], rounds[v]))
    finally:
        for s in sessions.values():
            s.close()
    return results
