"""Smoke test of ``examples/benchmark.py``: a ``--quick`` run in a subprocess, its JSON checked.

Only the structure of the figures and the correctness checks the benchmark makes itself are
tested (the same weights after one epoch of autodiff and of the hand-written BP1–BP4); never
timings, which depend on the machine and its load.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "benchmark.py"
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
# The ratios and the implementations they divide.
PAIRS = {"ad_ref": ("autodiff", "reference"), "plain_ref": ("plain", "reference"),
         "ad_torch": ("autodiff", "torch")}


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def check_chunked_timing(c: dict, repeats: int) -> None:
    """The epoch of config ``c`` was timed in chunks that tile it, each implementation's epoch
    is the sum of its chunk times, and every ratio is what its chunk times say: per chunk the
    paired ratio, per repeat the median over the chunks, headline the median over all chunks of
    all repeats (within the smallest and largest per-chunk ratio)."""
    bounds, batch = c["chunk_bounds"], c["batch"]
    assert len(bounds) == c["chunks"] >= 1
    assert bounds[0][0] == 0 and bounds[-1][1] == c["steps"]
    # no step skipped or repeated
    assert all(a[1] == b[0] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    assert all(stop > start for start, stop in bounds)
    if len(bounds) > 1:  # about 1000 rows each
        assert all(500 <= (stop - start) * batch <= 1500 for start, stop in bounds), bounds
    chunk_s = c["chunk_seconds"]
    assert {"autodiff", "reference"} <= set(chunk_s) and "loop" not in chunk_s
    for name, runs in chunk_s.items():
        assert len(runs) == repeats and all(len(r) == c["chunks"] for r in runs)
        assert all(_positive(t) for r in runs for t in r)
        assert c["seconds"][name] == pytest.approx([sum(r) for r in runs], rel=1e-9)
    for key, (mine, other) in PAIRS.items():
        if mine not in chunk_s or other not in chunk_s:
            assert f"ratio_{key}" not in c
            continue
        per_chunk = c[f"ratio_{key}_per_chunk"]
        assert len(per_chunk) == repeats and all(len(r) == c["chunks"] for r in per_chunk)
        flat = [x for r in per_chunk for x in r]
        paired = [a / b for ra, rb in zip(chunk_s[mine], chunk_s[other], strict=True)
                  for a, b in zip(ra, rb, strict=True)]
        assert flat == pytest.approx(paired, rel=1e-9)
        headline = c[f"ratio_{key}"]
        assert _positive(headline) and min(flat) <= headline <= max(flat)
        assert headline == pytest.approx(statistics.median(flat), rel=1e-9)
        per_repeat = c[f"ratio_{key}_per_repeat"]
        assert per_repeat == pytest.approx([statistics.median(r) for r in per_chunk], rel=1e-9)
        assert c[f"ratio_{key}_per_repeat_median"] == pytest.approx(statistics.median(per_repeat))
        of_medians = c[f"ratio_{key}_of_epoch_medians"]
        assert _positive(of_medians)
        assert of_medians == pytest.approx(c["median_s"][mine] / c["median_s"][other], rel=1e-9)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    # One torch thread: on a busy 2-core machine spin-waiting thread pools make a smoke run take
    # minutes instead of seconds. The BLAS thread count is left to the benchmark's default.
    cmd = [sys.executable, str(SCRIPT), "--quick", "--json", str(out),
           "--torch-threads", "1", "--batch-sizes", "10", "32"]
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text()), proc.stdout


def test_all_sections_present(quick):
    result, stdout = quick
    assert set(result) >= {"meta", "micro", "scalar", "chain", "training", "memory", "targets"}
    assert set(result["training"]) == {"default", "large"}
    for title in ("Per-operation overhead", "Scalar graph", "Deep graph", "Training, one epoch",
                  "Allocator effect", "Training memory", "Targets"):
        assert title in stdout
    assert result["meta"]["args"]["quick"] is True
    assert _positive(result["meta"]["total_seconds"])


def test_allocator_child_ran_with_the_malloc_settings(quick):
    result, _ = quick
    default, large = result["training"]["default"], result["training"]["large"]
    assert default["pid"] != large["pid"]
    assert all(v is None for v in default["malloc_env"].values())
    assert large["malloc_env"] == {"MALLOC_MMAP_THRESHOLD_": "1073741824",
                                   "MALLOC_TRIM_THRESHOLD_": "1073741824"}
    assert default["blas_threads"] in (1, None) and large["blas_threads"] in (1, None)


def test_blas_defaults_to_one_thread(quick):
    result, stdout = quick
    if result["meta"]["blas"] is None:
        pytest.skip("numpy does not use OpenBLAS here")
    assert result["meta"]["blas_threads"] == 1 and result["meta"]["args"]["blas_threads"] is None
    assert result["training"]["default"]["blas_threads"] == 1
    assert result["training"]["large"]["blas_threads"] == 1  # the child process too
    assert ", 1 threads; network" in stdout


def test_training_figures(quick):
    result, _ = quick
    torch_ok = result["training"]["default"]["torch"] == "ok"
    for variant in result["training"].values():
        configs = variant["configs"]
        assert [(c["dtype"], c["batch"]) for c in configs] == [
            ("float32", 10), ("float32", 32), ("float64", 10), ("float64", 32)]
        for c in configs:
            names = {"autodiff", "plain", "reference"} | ({"torch"} if torch_ok else set())
            assert set(c["median_s"]) == names
            assert all(_positive(v) for v in c["median_s"].values())
            assert c["steps"] == math.ceil(600 / c["batch"])
            assert _positive(c["ratio_ad_ref"]) and _positive(c["ratio_ad_ref_per_repeat_median"])
            assert _positive(c["ratio_plain_ref"])
            assert len(c["seconds"]["autodiff"]) == 1  # --quick: one repeat
            if torch_ok:
                assert _positive(c["ratio_ad_torch"])
            for key in ("ad_ref", "plain_ref") + (("ad_torch",) if torch_ok else ()):
                assert _positive(c[f"ratio_{key}_of_epoch_medians"])
                assert all(_positive(x) for x in c[f"ratio_{key}_per_repeat"])
                assert all(_positive(x) for r in c[f"ratio_{key}_per_chunk"] for x in r)
            assert c["chunks"] == 1  # 600 rows: one chunk of about 1000
            check_chunked_timing(c, repeats=1)


def test_training_is_timed_in_interleaved_chunks(tmp_path):
    """3000 rows: three chunks of about 1000 rows per epoch, three repeats; the ratios follow
    from the chunk times, and the weights still agree with the reference."""
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(SCRIPT), "--quick", "--json", str(out), "--torch-threads", "1",
           "--skip-scalar", "--skip-chain", "--skip-micro", "--skip-memory", "--allocator",
           "default", "--dtypes", "float64", "--batch-sizes", "10", "32", "--examples", "3000",
           "--repeats", "3"]
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    configs = result["training"]["default"]["configs"]
    assert [(c["batch"], c["chunks"]) for c in configs] == [(10, 3), (32, 3)]
    assert configs[0]["chunk_bounds"] == [[0, 100], [100, 200], [200, 300]]
    for c in configs:
        check_chunked_timing(c, repeats=3)
        assert set(c["chunk_seconds"]) == set(c["median_s"])  # all on the whole epoch
        for key in ("agreement_after_1_epoch", "agreement_final"):
            assert all(d <= 1e-10 for d in c[key].values()), c[key]
    assert "median of the paired per-chunk time ratios" in proc.stdout
    assert "median of 9 per-chunk ratios" in proc.stdout


def test_autodiff_and_reference_end_with_equal_weights(quick):
    result, _ = quick
    for variant in result["training"].values():
        for c in variant["configs"]:
            tol = 1e-10 if c["dtype"] == "float64" else 1e-4
            for key in ("agreement_after_1_epoch", "agreement_final"):
                assert c[key]["autodiff"] <= tol, (c["dtype"], c["batch"], c[key])
                assert c[key]["plain"] <= tol, (c["dtype"], c["batch"], c[key])
                if "torch" in c[key]:
                    assert c[key]["torch"] <= tol, (c["dtype"], c["batch"], c[key])


def test_micro_and_chain_figures(quick):
    result, _ = quick
    micro = result["micro"]
    assert [o["op"] for o in micro["ops"]] == ["a * b", "a + b", "exp(a)", "sigmoid(a)"]
    for o in micro["ops"]:
        assert _positive(o["numpy_us"]) and _positive(o["tensor_us"])
    g = micro["graph5"]
    assert _positive(g["forward_us"]) and _positive(g["forward_backward_us"])
    assert g["max_abs_diff_vs_by_hand"] < 1e-12

    chain = result["chain"]
    assert chain["nodes"] == 10_000 and len(chain["reps"]) == 3
    for r in chain["reps"]:
        assert _positive(r["forward_s"]) and _positive(r["backward_s"])
        assert r["grad_rel_err"] < 1e-9
        assert r["freed_by_refcount"] and r["gc_collected"] == 0
    assert _positive(chain["tracemalloc_graph_mb"])


def test_memory_and_targets(quick):
    result, stdout = quick
    mem = result["memory"]
    assert len(mem["epochs"]) == 3
    assert all(_positive(e["rss_mb"]) for e in mem["epochs"])
    assert len({e["live_tensors"] for e in mem["epochs"]}) == 1
    statuses = {t["status"] for t in result["targets"]}
    assert statuses <= {"PASS", "MISS", "n/a", "UNTRUSTED"}
    agree = [t for t in result["targets"] if t["target"].startswith("weights agree")]
    assert len(agree) == 16 and all(t["status"] == "PASS" for t in agree)  # 8 configs × 2
    names = [t["target"] for t in result["targets"]]
    assert any(n.startswith("autodiff (fused cost) <= 1.05 x reference") for n in names)
    assert any(n.startswith("autodiff (plain operators) <= 1.1 x reference") for n in names)
    assert any(n.startswith("chain memory <= 300 bytes per node") for n in names)
    scalar = result["scalar"]
    assert set(scalar) == {"fresh", "notebook"}
    assert all(_positive(r["forward_us"]) and _positive(r["backward_us"]) for r in scalar.values())
    if "ratio" in scalar["notebook"]:
        assert any(n.startswith("scalar graph forward + backward <= 0.5 x PyTorch") for n in names)
        assert scalar["notebook"]["objects"] > scalar["fresh"]["objects"]


def test_other_costs_loop_and_single_allocator(tmp_path):
    """float64 alone (first), the softmax cost, the per-example loop, no child process."""
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(SCRIPT), "--quick", "--json", str(out), "--blas-threads", "1",
           "--skip-torch", "--skip-chain", "--skip-micro", "--skip-memory", "--allocator",
           "default", "--dtypes", "float64", "--batch-sizes", "16", "--cost", "softmax",
           "--with-loop", "--loop-examples", "64", "--examples", "2000", "--repeats", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert set(result["training"]) == {"default"}
    (c,) = result["training"]["default"]["configs"]
    assert (c["dtype"], c["batch"]) == ("float64", 16)
    assert set(c["median_s"]) == {"autodiff", "reference", "loop"}
    assert all(_positive(v) for v in c["median_s"].values())
    # the loop, on a subset, runs its whole epoch apart: no chunks, no ratio
    assert c["chunks"] == 2 and set(c["chunk_seconds"]) == {"autodiff", "reference"}
    check_chunked_timing(c, repeats=2)
    assert c["agreement_after_1_epoch"]["autodiff"] <= 1e-10
    assert "loop*" in proc.stdout


@pytest.fixture
def bench(monkeypatch):
    """The benchmark as a module (its BLAS setting leaves this process's environment alone)."""
    for var in THREAD_VARS:
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    spec = importlib.util.spec_from_file_location("benchmark_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def training_result(load, per_repeat):
    ratios = {"ratio_ad_ref": 28.4, "ratio_ad_ref_per_repeat": per_repeat,
              "ratio_ad_ref_per_repeat_median": 28.4, "ratio_ad_ref_of_epoch_medians": 28.6,
              "ratio_ad_ref_per_chunk": [[r, r, r] for r in per_repeat]}
    config = {"dtype": "float64", "batch": 10, "load": load, **ratios,
              "agreement_after_1_epoch": {"autodiff": 1e-14}}
    return {"meta": {"cpus": 2}, "training": {"default": {"configs": [config]}}}


def test_a_busy_machine_makes_timings_untrusted_not_missed(bench):
    busy = bench.targets(training_result([1.2, 5.04], [28.0, 28.4, 29.1]))
    timing, agree = busy
    assert timing["status"] == "UNTRUSTED" and "would be MISS" in timing["note"]
    assert timing["reason"] == "machine busy (load 5.0 on 2 cores)"
    assert agree["status"] == "PASS"  # correctness does not depend on the load
    table = bench.targets_table(busy)
    assert table[1].startswith(
        "  UNTRUSTED: machine busy (load 5.0 on 2 cores): autodiff (fused cost) <=")
    assert "MISS" not in table[1].split("(")[0] and "rerun on a quiet machine" in table[-1]

    quiet = bench.targets(training_result([0.9, 1.5], [28.0, 28.4, 29.1]))
    assert quiet[0]["status"] == "MISS" and quiet[0]["reason"] is None
    assert quiet[0]["note"] == ("median of 9 per-chunk ratios; per-repeat median 28.40; "
                                "ratio of the epoch medians 28.60")
    unsteady = bench.targets(training_result([0.9, 1.5], [1.0, 28.4, 60.0]))
    assert unsteady[0]["status"] == "UNTRUSTED"
    assert unsteady[0]["reason"].startswith("repeats disagree")
