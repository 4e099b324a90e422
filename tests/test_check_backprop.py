"""``nn.check_backprop``: autodiff and the hand-derived BP1–BP4 agree number by number.

In float64 every relative difference (δˡ, ∂C/∂Wˡ, ∂C/∂bˡ, every layer) must be at most 1e-12,
for depths 2–5, widths up to 100, all costs and activations, several seeds, against both the
batched and the per-example loop reference. Also: the report, its failure modes, and the
``examples/compare_deltas.py`` script.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from no_data import SHARED_MNIST as MNIST_DIR
from no_data import offline_no_data

import autograd_mini as ag
import nn
from nn import backprop as bp

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "compare_deltas.py"

COSTS = ("quadratic", "cross-entropy", "softmax")
ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
OUTPUT_FOR_COST = {"quadratic": None, "cross-entropy": "sigmoid", "softmax": "identity"}
METHODS = ("batched", "loop")
TOL = 1e-12

# (seed, layer sizes): depths (number of weight layers) 2 to 5, widths up to 100
ARCHITECTURES = [
    (0, [3, 100, 2]),
    (1, [10, 64, 32, 5]),
    (2, [7, 20, 100, 30, 4]),
    (3, [12, 40, 9, 100, 16, 3]),
    (4, [100, 100, 100, 10]),
]


def make_data(rng, sizes, cost, n):
    x = rng.standard_normal((n, sizes[0]))
    if cost == "quadratic":
        y = rng.uniform(0, 1, (n, sizes[-1]))
    elif cost == "cross-entropy":
        y = rng.uniform(0, 1, (n, sizes[-1]))  # soft targets in [0, 1]
    else:
        y = rng.integers(0, sizes[-1], n)  # integer labels
    return x, y


def assert_report_ok(report, tol=TOL):
    for d in report.layers:
        for field in ("delta_rel", "weight_rel", "bias_rel"):
            value = getattr(d, field)
            assert np.isfinite(value) and value <= tol, (d.layer, field, value, str(report))
    assert report.max_relative <= tol, str(report)
    assert report.ok(tol)


# ------------------------------------------------------------------ the comparison itself


@pytest.mark.parametrize("seed,sizes", ARCHITECTURES)
@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("hidden", ACTIVATIONS)
def test_autodiff_matches_bp1_to_bp4(seed, sizes, cost, hidden):
    for data_seed in range(3):
        rng = np.random.default_rng(1000 * seed + data_seed)
        model = nn.MLP(sizes, hidden, OUTPUT_FOR_COST[cost], init="scaled", rng=rng)
        x, y = make_data(rng, sizes, cost, n=int(rng.integers(1, 12)))
        for method in METHODS:
            report = nn.check_backprop(model, x, y, cost=cost, method=method)
            assert report.method == method and report.cost == cost
            assert report.batch == len(x) and report.dtype == "float64"
            assert len(report.layers) == len(sizes) - 1
            assert_report_ok(report)
            assert report.cost_autodiff == pytest.approx(report.cost_reference, rel=1e-13)


@pytest.mark.parametrize("init", ["gaussian", "scaled", "xavier"])
@pytest.mark.parametrize("seed,sizes", ARCHITECTURES)
def test_every_init_including_saturating_gaussian(init, seed, sizes):
    """N(0, 1) weights on 100 inputs saturate sigmoid neurons: tiny δ, same agreement."""
    rng = np.random.default_rng(seed)
    for cost in COSTS:
        model = nn.MLP(sizes, "sigmoid", OUTPUT_FOR_COST[cost], init=init, rng=seed)
        x, y = make_data(rng, sizes, cost, n=6)
        for method in METHODS:
            assert_report_ok(nn.check_backprop(model, x, y, cost=cost, method=method))


def test_mixed_activations_per_layer():
    rng = np.random.default_rng(7)
    model = nn.MLP([9, 30, 20, 10, 4], "tanh", "sigmoid", init="xavier", rng=7)
    model.layers[1].activation = "relu"
    model.layers[2].activation = "identity"
    assert model.activations == ["tanh", "relu", "identity", "sigmoid"]
    x, y = make_data(rng, model.sizes, "cross-entropy", n=5)
    for method in METHODS:
        assert_report_ok(nn.check_backprop(model, x, y, cost="cross-entropy", method=method))


def test_single_example_batch_and_one_hot_targets_agree_with_labels():
    rng = np.random.default_rng(8)
    model = nn.MLP([6, 8, 4], "sigmoid", "identity", rng=8)
    x = rng.standard_normal((1, 6))
    assert_report_ok(nn.check_backprop(model, x, np.array([2]), cost="softmax"))
    x = rng.standard_normal((5, 6))
    labels = rng.integers(0, 4, 5)
    a = nn.check_backprop(model, x, labels, cost="softmax")
    b = nn.check_backprop(model, x, np.eye(4)[labels], cost="softmax")
    assert a.cost_autodiff == b.cost_autodiff and a.layers == b.layers


def test_autodiff_via_backward_matches_reference_directly():
    """Independent of check_backprop: J.backward() with retained zˡ against backprop_batched."""
    rng = np.random.default_rng(9)
    sizes = [20, 50, 30, 10]
    model = nn.MLP(sizes, "sigmoid", init="scaled", rng=9)
    x, y = make_data(rng, sizes, "quadratic", n=7)
    zs, acts = model.forward_all(x)
    for z in zs:
        z.retain_grad()
    J = nn.quadratic_cost(acts[-1], y)
    J.backward()
    weights = [(layer.weight.data, layer.bias.data) for layer in model.layers]
    ref = bp.backprop_batched(weights, model.activations, x, y, "quadratic")
    assert J.item() == pytest.approx(ref.cost, rel=1e-14)

    def rel(a, r):
        return np.max(np.abs(a - r)) / np.max(np.abs(r))

    for l, layer in enumerate(model.layers):
        assert rel(7 * zs[l].grad.data, ref.deltas[l]) <= TOL
        assert rel(layer.weight.grad.data, ref.weights[l]) <= TOL
        assert rel(layer.bias.grad.data, ref.biases[l]) <= TOL
        # BP3 / BP4 from autodiff's own δ: ∂J/∂bˡ = mean δˡ, ∂J/∂Wˡ = mean δˡ (aˡ⁻¹)ᵀ
        delta = 7 * zs[l].grad.data
        a_prev = x if l == 0 else acts[l - 1].data
        assert rel(layer.bias.grad.data, delta.mean(axis=0)) <= TOL
        assert rel(layer.weight.grad.data, delta.T @ a_prev / 7) <= TOL


def test_float32_model_is_compared_in_float32():
    rng = np.random.default_rng(10)
    sizes = [30, 40, 10]
    model = nn.MLP(sizes, "sigmoid", init="scaled", rng=10, dtype=np.float32)
    x, y = make_data(rng, sizes, "cross-entropy", n=8)
    for method in METHODS:
        report = nn.check_backprop(model, x.astype(np.float32), y.astype(np.float32),
                                   cost="cross-entropy", method=method)
        assert report.dtype == "float32"
        assert report.max_relative <= 1e-5
        assert not report.ok()  # 1e-12 is a float64 promise


# -------------------------------------------------------------------------------- the report


def test_report_prints_a_table():
    rng = np.random.default_rng(11)
    sizes = [5, 12, 7, 3]
    model = nn.MLP(sizes, "tanh", "identity", rng=11)
    x, y = make_data(rng, sizes, "softmax", n=4)
    report = nn.check_backprop(model, x, y, cost="softmax", method="loop")
    text = str(report)
    lines = text.splitlines()
    assert "loop" in lines[0] and "cost=softmax" in lines[0] and "batch=4" in lines[0]
    assert "float64" in lines[0]
    header = lines[1].split()
    assert header[:3] == ["layer", "W", "shape"]
    assert "δ" in lines[1] and "∂C/∂W" in lines[1] and "∂C/∂b" in lines[1]
    assert set(lines[2]) <= {"-", " "}
    rows = lines[3:3 + len(sizes) - 1]
    for l, row in enumerate(rows):
        cells = row.split()
        assert cells[0] == str(l + 1)
        assert cells[1] == f"{sizes[l + 1]}x{sizes[l]}"  # Wˡ is (n_l, n_{l-1})
        assert len(cells) == 8
        assert all(re.fullmatch(r"\d\.\d\de[+-]\d\d", c) for c in cells[2:])
    assert lines[-1].startswith("largest relative difference:")
    assert [d.shape for d in report.layers] == [(12, 5), (7, 12), (3, 7)]
    assert report.max_relative == max(d.max_rel for d in report.layers)


def test_check_backprop_leaves_the_model_alone():
    rng = np.random.default_rng(12)
    model = nn.MLP([4, 6, 3], "sigmoid", rng=12)
    x, y = make_data(rng, [4, 6, 3], "quadratic", n=3)
    before = model.state_dict()
    nn.check_backprop(model, x, y)
    assert all(p.grad is None for p in model.parameters())
    for name, p in model.named_parameters():
        assert np.array_equal(p.data, before[name])


@pytest.mark.parametrize("method", METHODS)
def test_a_wrong_reference_is_detected(method, monkeypatch):
    """The check is not vacuous: a reference off by a relative 1e-9 in one entry fails it."""
    rng = np.random.default_rng(13)
    model = nn.MLP([4, 6, 3], "sigmoid", rng=13)
    x, y = make_data(rng, [4, 6, 3], "quadratic", n=3)
    name = "backprop_batched" if method == "batched" else "backprop_loop"
    original = getattr(bp, name)

    def perturbed(*args, **kwargs):
        g = original(*args, **kwargs)
        g.weights[0][0, 0] += 1e-9 * np.max(np.abs(g.weights[0]))
        return g

    monkeypatch.setattr(bp, name, perturbed)
    report = nn.check_backprop(model, x, y, method=method)
    assert report.layers[0].weight_rel == pytest.approx(1e-9, rel=1e-3)
    assert report.layers[1].max_rel <= TOL
    assert not report.ok()


def test_check_backprop_errors():
    model = nn.MLP([3, 4, 2], "sigmoid", rng=0)
    x, y = np.ones((2, 3)), np.array([0, 1])
    with pytest.raises(ValueError, match="method"):
        nn.check_backprop(model, x, y, method="columns")
    with pytest.raises(ValueError, match="unknown cost"):
        nn.check_backprop(model, x, y, cost="hinge")
    with pytest.raises(ValueError, match="sigmoid"):
        nn.check_backprop(nn.MLP([3, 4, 2], "sigmoid", "tanh", rng=0), x, y,
                          cost="cross-entropy")
    with pytest.raises(ValueError, match=re.escape("(2, 5)")):
        nn.check_backprop(model, x, np.zeros((2, 5)))
    with pytest.raises(ValueError, match=re.escape("Dense(3, 4)")):
        nn.check_backprop(model, np.ones((2, 4)), y)


def test_check_backprop_inside_no_grad_still_differentiates():
    model = nn.MLP([3, 4, 2], "sigmoid", rng=0)
    x, y = np.random.default_rng(0).standard_normal((2, 3)), np.eye(2)
    with ag.no_grad():
        with pytest.raises(RuntimeError):
            nn.check_backprop(model, x, y)  # nothing recorded: a clear error, not garbage


# ------------------------------------------------------------------------------- the example


def load_example():
    spec = importlib.util.spec_from_file_location("compare_deltas", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TABLE_HEADER = re.compile(r"layer\s+W shape\s+δ max abs\s+δ max rel")


def test_example_on_random_data_prints_tables(capsys):
    example = load_example()
    assert example.main(["--random", "--batch", "3", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "RANDOM" in out and "NOTE" in out
    assert len(TABLE_HEADER.findall(out)) == 6  # three networks, two methods each
    for shape in ("30x784", "10x30", "100x784", "60x100", "30x60", "30x100"):
        assert shape in out
    assert "batched reference" in out and "loop reference" in out
    assert "cost=quadratic" in out and "cost=cross-entropy" in out and "cost=softmax" in out
    m = re.search(r"largest relative difference over all checks: (\S+)", out)
    assert m and float(m.group(1)) <= TOL


def test_example_without_data_fails_clearly_and_never_uses_random_inputs(capsys, tmp_path,
                                                                         monkeypatch):
    example = load_example()
    assert example.main(["--data-dir", str(tmp_path / "nowhere"), "--batch", "2"]) == 1
    out, err = capsys.readouterr()
    assert "does not exist" in err and str(tmp_path / "nowhere") in err
    assert "RANDOM" not in out and not TABLE_HEADER.search(out)
    offline_no_data(monkeypatch, tmp_path)  # no data anywhere, no network
    assert example.main(["--batch", "2"]) == 1
    out, err = capsys.readouterr()
    assert "no mnist data found" in err and "offline?" in err
    assert "compare_deltas.py --data-dir DIR" in err and "AUTOGRAD_MINI_DATA=DIR" in err
    assert "--random" in err
    assert "RANDOM" not in out and not TABLE_HEADER.search(out)


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="no MNIST in ../shared/data/mnist-10k")
def test_example_on_real_mnist_found_through_the_environment(capsys, monkeypatch, tmp_path):
    example = load_example()
    offline_no_data(monkeypatch, tmp_path)
    monkeypatch.setenv("AUTOGRAD_MINI_DATA", str(MNIST_DIR))
    assert example.main(["--batch", "10"]) == 0
    out = capsys.readouterr().out
    assert "MNIST training images" in out and "RANDOM" not in out
    assert len(TABLE_HEADER.findall(out)) == 6
    assert "largest relative difference over all checks" in out


def test_example_exits_nonzero_when_a_difference_exceeds_the_tolerance(capsys, monkeypatch):
    example = load_example()
    original = bp.backprop_loop

    def perturbed(*args, **kwargs):
        g = original(*args, **kwargs)
        g.biases[-1][0] += 1e-6
        return g

    monkeypatch.setattr(bp, "backprop_loop", perturbed)
    assert example.main(["--random", "--batch", "2"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_example_help_runs_as_a_script():
    result = subprocess.run([sys.executable, str(EXAMPLE), "--help"], capture_output=True,
                            text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0
    assert "--data-dir" in result.stdout and "--batch" in result.stdout


def test_check_backprop_single_example_vector():
    model = nn.MLP([3, 4, 2], "sigmoid", rng=0)
    x, y = np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0])
    try:
        report = nn.check_backprop(model, x, y)
    except ValueError as err:  # rejecting vectors is fine too, if it says so clearly
        assert "check_backprop" in str(err), str(err)
        return
    expected = nn.check_backprop(model, x[None, :], y[None, :])
    assert report.batch == 1 and report.ok()
    assert report.cost_autodiff == expected.cost_autodiff
