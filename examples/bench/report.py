"""What the benchmark prints: progress lines on stderr, sections on stdout, and the table of
each section (training, allocator effect, per-operation overhead, scalar graph, deep graph,
training memory, targets)."""

from __future__ import annotations

import sys
from typing import Any

from .implementations import IMPL_ORDER


def say(*lines: str) -> None:
    """Print a section (its lines, then a blank line) on stdout."""
    print("\n".join(lines) + "\n", flush=True)


def progress(msg: str) -> None:
    """One line of progress on stderr (stdout holds the sections)."""
    print(msg, file=sys.stderr, flush=True)


def fmt_s(x: float | None) -> str:
    """Seconds, to three decimals below 10 s, "-" for none."""
    return "-" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.2f}")


def training_table(variant: str, res: dict[str, Any]) -> list[str]:
    """The training figures of one allocator setting: median epoch seconds per implementation,
    the ratios (medians of the paired per-chunk ratios), faults per step, agreement."""
    env = ", ".join(f"{k}={v}" for k, v in res["malloc_env"].items() if v is not None)
    lines = [f"Training, one epoch, median seconds; ratios: median of the paired per-chunk "
             f"time ratios — allocator: {variant}"
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
    chunks = ", ".join(f"{c['chunks']} at batch {c['batch']}" for c in res["configs"]
                       if c["dtype"] == res["configs"][0]["dtype"])
    lines.append("ratios: each epoch is timed in chunks of about 1000 rows (" + chunks + "), "
                 "the implementations taking turns on each chunk in alternating order;")
    lines.append("a ratio is the median over all chunks of all repeats of the per-chunk time "
                 "ratio; [per-rep]: the median of each repeat's median (the JSON also has "
                 "ratio_*_of_epoch_medians)")
    if "plain" in names:
        lines.append("autodiff: the engine through nn with the fused cost (nn.output_cost); "
                     "plain: the same network with the cost written with operators, "
                     "((model(x) - y) ** 2).sum() * (0.5 / n)")
    if "loop" in names:
        lines.append("* loop: timed on a subset (--loop-examples) and scaled to the epoch")
    return lines


def allocator_table(training: dict[str, Any]) -> list[str]:
    """Median epoch seconds under the default and the "large" allocator, side by side."""
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
    """µs per elementwise operation against numpy, and the 5-operation graph."""
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
    """The deep chain's repetitions: seconds, RSS, freeing; tracemalloc's bytes per node."""
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
    """RSS and live Tensors after each autodiff epoch."""
    rss = ", ".join(f"{e['rss_mb']:.1f}" for e in m["epochs"])
    tensors = ", ".join(str(e["live_tensors"]) for e in m["epochs"])
    return [f"Training memory, autodiff, {m['dtype']} batch {m['batch']}: RSS after each epoch "
            f"(MB): {rss}; live Tensors: {tensors}; traced growth over 100 steps "
            f"{m['traced_growth_kb_per_100_steps']:+.1f} kB"]



def scalar_table(s: dict[str, Any]) -> list[str]:
    """The scalar graph's µs per operation, in a fresh and in a notebook-like process."""
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


def targets_table(ts: list[dict[str, Any]]) -> list[str]:
    """Each target with its status (UNTRUSTED with the reason), value and note."""
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

