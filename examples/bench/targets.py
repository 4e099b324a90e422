"""The targets of the performance issue: each with its measured value and PASS, MISS, n/a, or
UNTRUSTED when the machine was too busy (or the repeats too unsteady) to trust a timing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .stats import median

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
# The ratio targets: (key of the ratio, what is promised, the target, the batch sizes or all).
RATIO_TARGETS = (
    ("ad_ref", "autodiff (fused cost) <= {} x reference", TARGET_FUSED_REF, None),
    ("plain_ref", "autodiff (plain operators) <= {} x reference", TARGET_PLAIN_REF,
     TARGET_PLAIN_BATCHES),
    ("ad_torch", "autodiff <= {} x torch", TARGET_AD_TORCH, TARGET_AD_TORCH_BATCHES),
)


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
    """"repeats disagree (...)" if the per-repeat ratios (each repeat's median of its per-chunk
    ratios) of three or more repeats spread more than SPREAD_TOL around their median, else
    None."""
    if len(ratios) < 3:
        return None
    lo, hi, mid = min(ratios), max(ratios), median(ratios)
    if (hi - lo) / mid <= SPREAD_TOL:
        return None
    return f"repeats disagree (per-repeat ratio {lo:.2f} to {hi:.2f})"


def ratio_note(c: dict[str, Any], key: str) -> str:
    """How the ratio ``key`` of config ``c`` was measured, and its other medians."""
    chunks = c.get(f"ratio_{key}_per_chunk")
    parts = [f"median of {sum(map(len, chunks))} per-chunk ratios"] if chunks else []
    parts.append(f"per-repeat median {c[f'ratio_{key}_per_repeat_median']:.2f}")
    if f"ratio_{key}_of_epoch_medians" in c:
        parts.append(f"ratio of the epoch medians {c[f'ratio_{key}_of_epoch_medians']:.2f}")
    return "; ".join(parts)


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
            for key, what, target, batches in RATIO_TARGETS:
                if f"ratio_{key}" not in c or (batches and c["batch"] not in batches):
                    continue
                r = c[f"ratio_{key}"]
                add(f"{what.format(target)}, {where}", round(r, 3), r <= target,
                    ratio_note(c, key),
                    busy or spread_reason(c.get(f"ratio_{key}_per_repeat", [])))
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
