"""Reference tests for ``nn.backprop``: the four backprop equations, checked against each other,
against finite differences, against PyTorch autograd and against closed forms."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

from nn import backprop as bp
from nn.activations import TABLE

COSTS = ("quadratic", "cross-entropy", "softmax")
ACTS = ("sigmoid", "tanh", "relu", "identity")

# (seed, layer sizes n_0..n_L): depths 2 to 5, widths up to 100
ARCHITECTURES = [
    (0, [3, 100, 2]),
    (1, [10, 64, 32, 5]),
    (2, [7, 20, 100, 30, 4]),
    (3, [12, 40, 9, 100, 16, 3]),
]


# ----------------------------------------------------------------------------------- helpers


def make_net(rng, sizes, dtype=np.float64, scale=1.0):
    """Random (W, b) pairs; W ~ N(0, scale^2 / n_in) keeps the activations O(1)."""
    return [
        (
            (rng.standard_normal((n_out, n_in)) * scale / np.sqrt(n_in)).astype(dtype),
            (0.5 * rng.standard_normal(n_out)).astype(dtype),
        )
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def layer_acts(hidden, cost, n_layers):
    """Hidden layers use ``hidden``; the output layer what the cost requires."""
    out = {"quadratic": hidden, "cross-entropy": "sigmoid", "softmax": "identity"}[cost]
    return [hidden] * (n_layers - 1) + [out]


def make_targets(rng, cost, n, n_out, dtype=np.float64):
    if cost == "quadratic":
        return rng.standard_normal((n, n_out)).astype(dtype)
    if cost == "cross-entropy":
        return rng.uniform(0.0, 1.0, (n, n_out)).astype(dtype)  # soft targets in [0, 1]
    return np.eye(n_out, dtype=dtype)[rng.integers(0, n_out, n)]


def copy_net(weights):
    return [(W.copy(), b.copy()) for W, b in weights]


def assert_rel_close(actual, expected, rtol, what=""):
    """Elementwise ``|a - e| <= rtol * (|e| + max|e|)``: relative, robust to entries near 0."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(
        actual, expected, rtol=rtol, atol=rtol * max(scale, 1e-300), err_msg=what
    )


def ref_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------ loop == batched (and example)


@pytest.mark.parametrize("seed,sizes", ARCHITECTURES)
@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("hidden", ACTS)
def test_loop_matches_batched(seed, sizes, cost, hidden):
    rng = np.random.default_rng(seed)
    weights = make_net(rng, sizes)
    acts = layer_acts(hidden, cost, len(weights))
    n = 9
    X = rng.standard_normal((n, sizes[0]))
    Y = make_targets(rng, cost, n, sizes[-1])

    g_loop = bp.backprop_loop(weights, acts, X, Y, cost)
    g_bat = bp.backprop_batched(weights, acts, X, Y, cost)

    assert isinstance(g_bat, bp.Gradients)
    assert len(g_bat.weights) == len(g_bat.biases) == len(g_bat.deltas) == len(weights)
    assert len(g_bat.zs) == len(weights) and len(g_bat.activations) == len(weights) + 1
    for i, (W, b) in enumerate(weights):
        assert g_bat.weights[i].shape == W.shape and g_bat.biases[i].shape == b.shape
        assert g_bat.deltas[i].shape == (n, W.shape[0])
        assert_rel_close(g_loop.weights[i], g_bat.weights[i], 1e-12, f"dW layer {i + 1}")
        assert_rel_close(g_loop.biases[i], g_bat.biases[i], 1e-12, f"db layer {i + 1}")
        assert_rel_close(g_loop.deltas[i], g_bat.deltas[i], 1e-12, f"delta layer {i + 1}")
        assert_rel_close(g_loop.zs[i], g_bat.zs[i], 1e-12, f"z layer {i + 1}")
        assert_rel_close(g_loop.activations[i + 1], g_bat.activations[i + 1], 1e-12)
    assert g_loop.cost == pytest.approx(g_bat.cost, rel=1e-12)

    # BP3/BP4 from the returned deltas: mean over rows of the per-example quantities
    for i in range(len(weights)):
        D, A_prev = g_bat.deltas[i], g_bat.activations[i]
        assert_rel_close(g_bat.biases[i], D.mean(axis=0), 1e-12)
        assert_rel_close(g_bat.weights[i], np.einsum("nj,nk->jk", D, A_prev) / n, 1e-12)

    # a single example through backprop_example equals row 0 of the batch with N = 1
    gW, gb, deltas = bp.backprop_example(weights, acts, X[0], Y[0], cost)
    g1 = bp.backprop_batched(weights, acts, X[:1], Y[:1], cost)
    for i in range(len(weights)):
        assert deltas[i].shape == (sizes[i + 1], 1)
        assert gb[i].shape == (sizes[i + 1],)
        assert_rel_close(deltas[i][:, 0], g_bat.deltas[i][0], 1e-12)
        assert_rel_close(gW[i], g1.weights[i], 1e-12)
        assert_rel_close(gb[i], g1.biases[i], 1e-12)


def test_loop_matches_batched_mixed_activations():
    rng = np.random.default_rng(11)
    sizes = [6, 30, 25, 20, 15, 4]
    weights = make_net(rng, sizes, scale=1.5)
    X = rng.standard_normal((13, 6))
    for cost, acts in [
        ("quadratic", ["relu", "tanh", "sigmoid", "identity", "tanh"]),
        ("cross-entropy", ["tanh", "relu", "identity", "sigmoid", "sigmoid"]),
        ("softmax", ["sigmoid", "identity", "relu", "tanh", "softmax"]),
    ]:
        Y = make_targets(rng, cost, 13, 4)
        g_loop = bp.backprop_loop(weights, acts, X, Y, cost)
        g_bat = bp.backprop_batched(weights, acts, X, Y, cost)
        for a, b in zip(
            g_loop.weights + g_loop.biases + g_loop.deltas,
            g_bat.weights + g_bat.biases + g_bat.deltas,
            strict=True,
        ):
            assert_rel_close(a, b, 1e-12, cost)


def test_example_accepts_column_vectors():
    rng = np.random.default_rng(5)
    weights = make_net(rng, [4, 6, 3])
    x, y = rng.standard_normal(4), np.array([0.0, 1.0, 0.0])
    flat = bp.backprop_example(weights, "tanh", x, y, "quadratic")
    col = bp.backprop_example(weights, "tanh", x[:, None], y[:, None], "quadratic")
    for a, b in zip(flat[0] + flat[1] + flat[2], col[0] + col[1] + col[2], strict=True):
        np.testing.assert_array_equal(a, b)
    # a class label is the same as its one-hot row
    lab = bp.backprop_example(weights, ["tanh", "identity"], x, 1, "softmax")
    hot = bp.backprop_example(weights, ["tanh", "identity"], x, y, "softmax")
    for a, b in zip(lab[0], hot[0], strict=True):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------- finite differences


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("hidden", ACTS)
def test_against_central_differences(cost, hidden):
    rng = np.random.default_rng(100 + COSTS.index(cost) * 10 + ACTS.index(hidden))
    sizes = [5, 8, 6, 4]
    weights = make_net(rng, sizes)
    acts = layer_acts(hidden, cost, len(weights))
    X = rng.standard_normal((7, sizes[0]))
    Y = make_targets(rng, cost, 7, sizes[-1])
    g = bp.backprop_batched(weights, acts, X, Y, cost)
    assert g.cost == pytest.approx(bp.cost_value(weights, acts, X, Y, cost), rel=1e-14)

    h = 1e-6
    net = copy_net(weights)

    def fd(array, index):
        old = array[index]
        array[index] = old + h
        plus = bp.cost_value(net, acts, X, Y, cost)
        array[index] = old - h
        minus = bp.cost_value(net, acts, X, Y, cost)
        array[index] = old
        return (plus - minus) / (2 * h)

    for i, (W, b) in enumerate(net):
        for _ in range(4):
            idx = (int(rng.integers(W.shape[0])), int(rng.integers(W.shape[1])))
            assert fd(W, idx) == pytest.approx(g.weights[i][idx], rel=1e-6, abs=1e-8), (
                f"dJ/dW layer {i + 1} entry {idx}"
            )
        for j in range(b.shape[0]):
            assert fd(b, j) == pytest.approx(g.biases[i][j], rel=1e-6, abs=1e-8), (
                f"dJ/db layer {i + 1} entry {j}"
            )


def test_cost_values_by_hand():
    rng = np.random.default_rng(3)
    weights = make_net(rng, [3, 4, 2])
    X = rng.standard_normal((5, 3))
    zs, acts = bp.forward(weights, ["tanh", "identity"], X)
    z = zs[-1]
    Y = rng.uniform(0, 1, (5, 2))
    J = bp.cost_value(weights, ["tanh", "identity"], X, Y, "quadratic")
    assert J == pytest.approx(np.mean(0.5 * np.sum((z - Y) ** 2, axis=1)), rel=1e-14)
    a = 1 / (1 + np.exp(-z))
    J = bp.cost_value(weights, ["tanh", "sigmoid"], X, Y, "cross-entropy")
    bce = -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a), axis=1)
    assert J == pytest.approx(np.mean(bce), rel=1e-12)
    Yh = np.eye(2)[[0, 1, 1, 0, 1]]
    J = bp.cost_value(weights, ["tanh", "identity"], X, Yh, "softmax")
    assert J == pytest.approx(np.mean(-np.sum(Yh * np.log(ref_softmax(z)), axis=1)), rel=1e-12)


# ------------------------------------------------------------------------- PyTorch autograd


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("hidden", ACTS)
def test_against_torch(cost, hidden):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(200 + COSTS.index(cost) * 10 + ACTS.index(hidden))
    sizes = [6, 16, 12, 5]
    weights = make_net(rng, sizes, scale=1.3)
    acts = layer_acts(hidden, cost, len(weights))
    n = 11
    X = rng.standard_normal((n, sizes[0]))
    Y = make_targets(rng, cost, n, sizes[-1])
    g = bp.backprop_batched(weights, acts, X, Y, cost)

    fns = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "identity": lambda t: t,
    }
    params = [
        (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
        for W, b in weights
    ]
    a = torch.tensor(X)
    zs = []
    for (W, b), name in zip(params, acts, strict=True):
        z = a @ W.T + b
        z.retain_grad()
        zs.append(z)
        a = fns[name](z)
    Yt = torch.tensor(Y)
    if cost == "quadratic":
        J = 0.5 * ((a - Yt) ** 2).sum() / n
    elif cost == "cross-entropy":
        J = F.binary_cross_entropy_with_logits(zs[-1], Yt, reduction="sum") / n
    else:
        J = -(Yt * F.log_softmax(zs[-1], dim=1)).sum() / n
    J.backward()

    assert g.cost == pytest.approx(J.item(), rel=1e-12)
    for i, (W, b) in enumerate(params):
        assert_rel_close(g.weights[i], W.grad.numpy(), 1e-10, f"dW layer {i + 1}")
        assert_rel_close(g.biases[i], b.grad.numpy(), 1e-10, f"db layer {i + 1}")
        # dJ/dZ = Delta / N: the returned deltas are per-example, not averaged
        assert_rel_close(g.deltas[i], n * zs[i].grad.numpy(), 1e-10, f"delta layer {i + 1}")


# ----------------------------------------------------------------------------- closed forms


def test_sigmoid_cross_entropy_output_delta_is_exactly_a_minus_y():
    rng = np.random.default_rng(7)
    weights = make_net(rng, [4, 10, 3], scale=3.0)
    X = rng.standard_normal((8, 4))
    Y = rng.uniform(0, 1, (8, 3))
    acts = ["relu", "sigmoid"]
    for g in (
        bp.backprop_batched(weights, acts, X, Y, "cross-entropy"),
        bp.backprop_loop(weights, acts, X, Y, "cross-entropy"),
    ):
        np.testing.assert_array_equal(g.deltas[-1], g.activations[-1] - Y)
        np.testing.assert_array_equal(g.activations[-1], bp.sigmoid(g.zs[-1]))
    _, _, deltas = bp.backprop_example(weights, acts, X[0], Y[0], "cross-entropy")
    np.testing.assert_array_equal(deltas[-1][:, 0], bp.sigmoid(g.zs[-1][0]) - Y[0])


@pytest.mark.parametrize("last", ["identity", "softmax"])
def test_softmax_output_delta(last):
    rng = np.random.default_rng(8)
    weights = make_net(rng, [5, 9, 4], scale=2.0)
    X = rng.standard_normal((10, 5))
    labels = rng.integers(0, 4, 10)
    Y = np.eye(4)[labels]
    g = bp.backprop_batched(weights, ["tanh", last], X, Y, "softmax")
    P = ref_softmax(g.zs[-1])
    assert_rel_close(g.activations[-1], P, 1e-14)
    assert_rel_close(g.deltas[-1], P - Y, 1e-14)
    np.testing.assert_allclose(g.activations[-1].sum(axis=1), 1.0, rtol=1e-14)
    # integer labels are the same as one-hot rows
    gl = bp.backprop_batched(weights, ["tanh", last], X, labels, "softmax")
    for a, b in zip(g.weights + g.biases, gl.weights + gl.biases, strict=True):
        np.testing.assert_array_equal(a, b)
    assert gl.cost == g.cost
    gloop = bp.backprop_loop(weights, ["tanh", last], X, labels, "softmax")
    for a, b in zip(gloop.weights + gloop.biases, g.weights + g.biases, strict=True):
        assert_rel_close(a, b, 1e-12)


def test_single_layer_quadratic_identity_closed_form():
    rng = np.random.default_rng(9)
    W, b = rng.standard_normal((3, 5)), rng.standard_normal(3)
    X, Y = rng.standard_normal((12, 5)), rng.standard_normal((12, 3))
    g = bp.backprop_batched([(W, b)], "identity", X, Y, "quadratic")
    R = X @ W.T + b - Y
    assert_rel_close(g.weights[0], R.T @ X / 12, 1e-13)
    assert_rel_close(g.biases[0], R.mean(axis=0), 1e-13)
    assert_rel_close(g.deltas[0], R, 1e-13)
    assert g.cost == pytest.approx(0.5 * np.sum(R**2) / 12, rel=1e-13)


def test_quadratic_output_delta_uses_activation_derivative():
    rng = np.random.default_rng(10)
    weights = make_net(rng, [3, 4])
    X, Y = rng.standard_normal((6, 3)), rng.uniform(0, 1, (6, 4))
    g = bp.backprop_batched(weights, "sigmoid", X, Y, "quadratic")
    a = g.activations[-1]
    assert_rel_close(g.deltas[-1], (a - Y) * a * (1 - a), 1e-14)
    g = bp.backprop_batched(weights, "tanh", X, Y, "quadratic")
    a = g.activations[-1]
    assert_rel_close(g.deltas[-1], (a - Y) * (1 - a**2), 1e-14)
    g = bp.backprop_batched(weights, "relu", X, Y, "quadratic")
    assert_rel_close(g.deltas[-1], (g.activations[-1] - Y) * (g.zs[-1] > 0), 1e-14)


def test_binary_targets_as_vector_for_single_output():
    rng = np.random.default_rng(12)
    weights = make_net(rng, [3, 5, 1])
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    g_vec = bp.backprop_batched(weights, ["relu", "sigmoid"], X, y, "cross-entropy")
    g_col = bp.backprop_batched(
        weights, ["relu", "sigmoid"], X, y[:, None].astype(float), "cross-entropy"
    )
    for a, b in zip(g_vec.weights, g_col.weights, strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------- saturation


def test_sigmoid_and_costs_at_plus_minus_1000_are_finite_without_warnings():
    W = np.array([[1000.0], [-1000.0]])
    b = np.zeros(2)
    X = np.ones((1, 1))
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            s = bp.sigmoid(np.array([-1000.0, 0.0, 1000.0], dtype=dtype))
            assert s.dtype == dtype
            np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])

        # targets opposite to the saturated outputs: BCE = softplus(1000) + softplus(1000)
        Y = np.array([[0.0, 1.0]])
        g = bp.backprop_batched([(W, b)], "sigmoid", X, Y, "cross-entropy")
        assert g.cost == pytest.approx(2000.0, rel=1e-15)
        np.testing.assert_array_equal(g.deltas[0], [[1.0, -1.0]])
        np.testing.assert_array_equal(g.weights[0], [[1.0], [-1.0]])
        g = bp.backprop_loop([(W, b)], "sigmoid", X, Y, "cross-entropy")
        assert g.cost == pytest.approx(2000.0, rel=1e-15)
        # targets equal to the outputs: cost is exactly 0
        assert bp.cost_value([(W, b)], "sigmoid", X, [[1.0, 0.0]], "cross-entropy") == 0.0

        g = bp.backprop_batched([(W, b)], "sigmoid", X, Y, "quadratic")
        assert np.isfinite(g.cost) and np.all(g.deltas[0] == 0.0)  # saturated: sigma' = 0

        g = bp.backprop_batched([(W, b)], "identity", X, Y, "softmax")
        assert g.cost == pytest.approx(2000.0, rel=1e-15)
        np.testing.assert_array_equal(g.deltas[0], [[1.0, -1.0]])


# -------------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("hidden", ACTS)
def test_float32_in_float32_out(cost, hidden):
    rng = np.random.default_rng(13)
    weights = make_net(rng, [4, 8, 3], dtype=np.float32)
    acts = layer_acts(hidden, cost, 2)
    X = rng.standard_normal((5, 4)).astype(np.float32)
    Y64 = make_targets(rng, cost, 5, 3)  # float64 targets must not promote the result
    for g in (
        bp.backprop_batched(weights, acts, X, Y64, cost),
        bp.backprop_loop(weights, acts, X, Y64, cost),
    ):
        for arr in g.weights + g.biases + g.deltas + g.zs + g.activations:
            assert arr.dtype == np.float32
        assert isinstance(g.cost, float) and np.isfinite(g.cost)
    gW, gb, deltas = bp.backprop_example(weights, acts, X[0], Y64[0], cost)
    assert all(a.dtype == np.float32 for a in gW + gb + deltas)
    # float32 result is the float64 one up to float32 rounding
    g64 = bp.backprop_batched(
        [(W.astype(float), b.astype(float)) for W, b in weights], acts, X.astype(float), Y64, cost
    )
    g32 = bp.backprop_batched(weights, acts, X, Y64, cost)
    for a, b in zip(g32.weights, g64.weights, strict=True):
        assert_rel_close(a, b, 1e-4)


def test_float64_stays_float64_and_integer_labels_keep_dtype():
    rng = np.random.default_rng(14)
    weights = make_net(rng, [4, 8, 3], dtype=np.float32)
    X = rng.standard_normal((5, 4)).astype(np.float32)
    g = bp.backprop_batched(weights, ["tanh", "identity"], X, np.array([0, 2, 1, 1, 0]), "softmax")
    assert all(a.dtype == np.float32 for a in g.weights + g.deltas)
    w64 = make_net(rng, [4, 3])
    g = bp.backprop_batched(
        w64, "sigmoid", rng.standard_normal((5, 4)), np.array([0, 2, 1, 1, 0]), "cross-entropy"
    )
    assert all(a.dtype == np.float64 for a in g.weights + g.deltas)


# ------------------------------------------------------------------------------ sgd_step


def test_sgd_step_with_weight_decay_matches_formula():
    rng = np.random.default_rng(15)
    weights = make_net(rng, [4, 6, 2])
    X, Y = rng.standard_normal((10, 4)), rng.standard_normal((10, 2))
    g = bp.backprop_batched(weights, "tanh", X, Y, "quadratic")
    lr, lam, n_train = 0.3, 5.0, 1000
    expected = [
        (W - lr * (gW + (lam / n_train) * W), b - lr * gb)
        for (W, b), gW, gb in zip(weights, g.weights, g.biases, strict=True)
    ]
    ids = [(id(W), id(b)) for W, b in weights]
    bp.sgd_step(weights, g, lr, weight_decay=lam, n_train=n_train)
    assert [(id(W), id(b)) for W, b in weights] == ids  # updated in place
    for (W, b), (We, be) in zip(weights, expected, strict=True):
        np.testing.assert_allclose(W, We, rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(b, be, rtol=1e-15, atol=1e-15)  # biases: no decay
    # the decay really acts: (1 - lr*lam/n) W - lr g differs from plain SGD
    plain = copy_net(weights)
    decayed = copy_net(weights)
    bp.sgd_step(plain, g, lr)
    bp.sgd_step(decayed, g, lr, weight_decay=lam, n_train=n_train)
    for (Wp, bp_), (Wd, bd), (W0, _) in zip(plain, decayed, weights, strict=True):
        np.testing.assert_allclose(Wp - Wd, lr * lam / n_train * W0, rtol=1e-9, atol=1e-15)
        np.testing.assert_array_equal(bp_, bd)


def test_sgd_step_reduces_cost():
    rng = np.random.default_rng(16)
    weights = make_net(rng, [3, 10, 2])
    X, Y = rng.standard_normal((20, 3)), np.eye(2)[rng.integers(0, 2, 20)]
    before = bp.cost_value(weights, ["tanh", "identity"], X, Y, "softmax")
    for _ in range(5):
        bp.sgd_step(
            weights, bp.backprop_batched(weights, ["tanh", "identity"], X, Y, "softmax"), 0.1
        )
    assert bp.cost_value(weights, ["tanh", "identity"], X, Y, "softmax") < before


# ------------------------------------------------------------------------------ bad input


def _bad_input_cases():
    rng = np.random.default_rng(17)
    net = make_net(rng, [4, 5, 3])
    X, Y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    bb = bp.backprop_batched
    W1, b1 = net[0]
    W2, b2 = net[1]
    return [
        # wrong number of activations vs layers
        (lambda: bb(net, ["tanh"], X, Y, "quadratic"), r"activations has 1 names.*2 layers"),
        (lambda: bb(net, ["tanh"] * 3, X, Y, "quadratic"), r"activations has 3 names.*2 layers"),
        # consecutive layers do not chain
        (
            lambda: bb([(W1, b1), (rng.standard_normal((3, 7)), b2)], "tanh", X, Y, "quadratic"),
            r"layer 2: W has shape \(3, 7\).*layer 1 has 5 outputs.*expected shape \(3, 5\)",
        ),
        (
            lambda: bb([(W1, np.zeros(4)), (W2, b2)], "tanh", X, Y, "quadratic"),
            r"layer 1: bias has shape \(4,\), expected \(5,\)",
        ),
        (
            lambda: bb([(W1, b1[:, None]), (W2, b2)], "tanh", X, Y, "quadratic"),
            r"layer 1: bias has shape \(5, 1\)",
        ),
        (lambda: bb([(W1.ravel(), b1)], "tanh", X, Y, "quadratic"), r"layer 1: W must be 2-D"),
        (lambda: bb([], "tanh", X, Y, "quadratic"), r"weights is empty"),
        # input width and batch sizes
        (
            lambda: bb(net, "tanh", X[:, :3], Y, "quadratic"),
            r"X has shape \(6, 3\).*expects 4 inputs",
        ),
        (lambda: bb(net, "tanh", X[0], Y, "quadratic"), r"X has shape \(4,\)"),
        (lambda: bb(net, "tanh", X, Y[:5], "quadratic"), r"X has 6 rows but Y has 5 rows"),
        (
            lambda: bb(net, ["tanh", "identity"], X, np.zeros(5, int), "softmax"),
            r"X has 6 rows but Y has 5 entries",
        ),
        (
            lambda: bp.backprop_loop(net, "tanh", X, Y[:4], "quadratic"),
            r"X has 6 rows but Y has 4 rows",
        ),
        # y of the wrong width / form
        (
            lambda: bb(net, "tanh", X, Y[:, :2], "quadratic"),
            r"Y has shape \(6, 2\) but the network has 3 outputs; expected \(6, 3\)",
        ),
        (lambda: bb(net, "tanh", X, np.zeros(6), "quadratic"), r"Y has shape \(6,\)"),
        (
            lambda: bb(net, ["tanh", "identity"], X, np.array([0, 1, 2, 3, 0, 1]), "softmax"),
            r"labels in Y must lie in \[0, 3\)",
        ),
        (
            lambda: bp.backprop_example(net, "tanh", X[0], Y[0, :2], "quadratic"),
            r"y has shape \(2,\); expected \(3,\) or a column \(3, 1\)",
        ),
        (
            lambda: bp.backprop_example(net, "tanh", X[0, :3], Y[0], "quadratic"),
            r"x has shape \(3,\); expected \(4,\)",
        ),
        (
            lambda: bp.backprop_example(net, "tanh", X[0], 1.5, "quadratic"),
            r"y is the scalar 1.5 but the network has 3 outputs",
        ),
        # unknown names and unsupported cost/activation pairs
        (lambda: bb(net, "tanh", X, Y, "hinge"), r"unknown cost 'hinge'"),
        (
            lambda: bb(net, ["tanh", "swish"], X, Y, "quadratic"),
            r"unknown activation 'swish' for layer 2",
        ),
        (lambda: bp.forward(net, "gelu", X), r"unknown activation 'gelu' for layer 1"),
        (
            lambda: bb(net, ["tanh", "relu"], X, Y, "softmax"),
            r"last activation must be 'identity' or 'softmax', got 'relu'",
        ),
        (
            lambda: bb(net, ["tanh", "tanh"], X, Y, "cross-entropy"),
            r"'cross-entropy' needs a 'sigmoid' output activation.*got 'tanh'",
        ),
        (
            lambda: bb(net, ["softmax", "identity"], X, Y, "softmax"),
            r"'softmax' is only allowed for the last layer",
        ),
        (
            lambda: bb(net, ["tanh", "softmax"], X, Y, "quadratic"),
            r"'softmax' output is only supported with cost='softmax'",
        ),
        (lambda: bp.cost_value(net, "tanh", X, Y, "mse"), r"unknown cost 'mse'"),
        # sgd_step
        (
            lambda: bp.sgd_step(
                copy_net(net), bb(net, "tanh", X, Y, "quadratic"), 0.1, weight_decay=1.0
            ),
            r"weight_decay needs n_train",
        ),
        (
            lambda: bp.sgd_step(copy_net(net)[:1], bb(net, "tanh", X, Y, "quadratic"), 0.1),
            r"grads has 2 weight and 2 bias gradients but weights has 1 layers",
        ),
    ]


@pytest.mark.parametrize("case", range(len(_bad_input_cases())))
def test_bad_input_raises_value_error(case):
    fn, pattern = _bad_input_cases()[case]
    with pytest.raises(ValueError, match=pattern):
        fn()


# ------------------------------------------------------------------------------ structure


def test_forward_shapes_and_layout():
    rng = np.random.default_rng(18)
    weights = make_net(rng, [3, 7, 2])
    X = rng.standard_normal((4, 3))
    zs, acts = bp.forward(weights, ["relu", "identity"], X)
    assert [z.shape for z in zs] == [(4, 7), (4, 2)]
    assert [a.shape for a in acts] == [(4, 3), (4, 7), (4, 2)]
    assert acts[0] is X
    (W1, b1), (W2, b2) = weights
    assert_rel_close(zs[0], X @ W1.T + b1, 1e-15)
    assert_rel_close(acts[1], np.maximum(X @ W1.T + b1, 0), 1e-15)
    assert_rel_close(zs[1], acts[1] @ W2.T + b2, 1e-15)
    _, probs = bp.forward(weights, ["relu", "softmax"], X)
    assert_rel_close(probs[-1], ref_softmax(zs[1]), 1e-14)


def test_module_uses_numpy_only():
    """backprop.py computes without the engine. Besides numpy and the standard library it
    imports only nn's helpers for the numpy side — the σ and σ′ of ``nn.activations``, the cost
    names, the argument checks and the targets — and never touches an engine function."""
    tree = ast.parse(Path(bp.__file__).read_text())
    roots, helpers = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            helpers.setdefault(node.module, set()).update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    assert roots <= {"__future__", "collections", "typing", "numpy"}, roots
    assert set(helpers) <= {"activations", "costs", "network_checks", "targets"}, helpers
    assert helpers.get("activations", set()) <= {
        "ALL_NAMES", "TABLE", "log_softmax", "sigmoid", "softmax"}, helpers
    assert helpers.get("costs", set()) <= {"COST_NAMES"}, helpers
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not used & {"autograd_mini", "Tensor", "ops", "engine", "function"}, used
    # the numpy side of the activation table: arrays in, plain arrays of the same dtype out
    for dtype in (np.float32, np.float64):
        z = np.linspace(-3, 3, 12, dtype=dtype).reshape(4, 3)
        for act in TABLE.values():
            a = act.sigma(z)
            assert type(a) is np.ndarray and a.dtype == dtype and a.shape == z.shape
            if act.sigma_prime is not None and not act.output_only:
                assert type(act.sigma_prime(z, a)) is np.ndarray
