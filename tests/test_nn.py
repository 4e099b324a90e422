"""Tests for the ``nn`` package: modules, layers, initialisations, costs, SGD, training.

The number-by-number comparison of autodiff with BP1–BP4 (``check_backprop``) is in
``test_check_backprop.py``; the reference ``nn.backprop`` itself is tested in
``test_backprop_reference.py``. Here the reference is only used as an oracle (SGD steps).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import autograd_mini as ag
import nn
from autograd_mini import Tensor
from nn import activations
from nn import backprop as bp
from nn.train_config import TrainConfig

OUTPUT_FOR_COST = {"quadratic": None, "cross-entropy": "sigmoid", "softmax": "identity"}


# ------------------------------------------------------------------------------------ helpers


def np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ref_weights(model):
    """The model's parameters as fresh (W, b) arrays, for ``nn.backprop``."""
    return [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in model.layers]


def autodiff_grads(model, x, y, cost):
    """Run forward + J.backward(); return J (fresh .grad on every parameter)."""
    model.zero_grad()
    zs, acts = model.forward_all(x)
    J = nn.output_cost(cost, zs[-1], acts[-1], y)
    J.backward()
    return J


def batch(rng, sizes, cost, n=8):
    x = rng.standard_normal((n, sizes[0]))
    if cost == "quadratic":
        y = rng.uniform(0, 1, (n, sizes[-1]))
    else:
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    return x, y


def two_moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (the classic toy set), labels 0 (upper) and 1 (lower)."""
    rng = np.random.default_rng(seed)
    n_up = n // 2
    n_down = n - n_up
    t_up = np.pi * rng.random(n_up)
    t_down = np.pi * rng.random(n_down)
    upper = np.column_stack([np.cos(t_up), np.sin(t_up)])
    lower = np.column_stack([1.0 - np.cos(t_down), 0.5 - np.sin(t_down)])
    x = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_up, dtype=np.int64), np.ones(n_down, dtype=np.int64)])
    return x, y


# ------------------------------------------------------------------------- Module / Sequential


def test_named_parameters_order_and_names():
    model = nn.MLP([4, 5, 3, 2], rng=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layers.0.weight", "layers.0.bias",
        "layers.1.weight", "layers.1.bias",
        "layers.2.weight", "layers.2.bias",
    ]
    params = model.parameters()
    assert len(params) == 6
    for (_, p), q in zip(model.named_parameters(), params, strict=True):
        assert p is q
        assert p.requires_grad and p.is_leaf
    assert params[0] is model.layers[0].weight and params[1] is model.layers[0].bias
    assert [p.shape for p in params] == [(5, 4), (5,), (3, 5), (3,), (2, 3), (2,)]
    assert model.weights() == [params[0], params[2], params[4]]
    assert model.biases() == [params[1], params[3], params[5]]


def test_sequential_named_parameters_and_forward():
    d1 = nn.Dense(3, 4, "tanh", rng=0)
    d2 = nn.Dense(4, 2, "identity", rng=1)
    seq = nn.Sequential(d1, d2)
    assert len(seq) == 2 and seq[0] is d1 and seq[1] is d2
    assert [n for n, _ in seq.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    x = np.random.default_rng(2).standard_normal((5, 3))
    expected = np.tanh(x @ d1.weight.data.T + d1.bias.data) @ d2.weight.data.T + d2.bias.data
    np.testing.assert_allclose(seq(x).data, expected, rtol=1e-14, atol=1e-14)
    assert "Dense(3, 4" in repr(seq) and "Dense(4, 2" in repr(seq)


def test_nested_modules_are_named_by_path():
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Dense(2, 3, rng=0), nn.Dense(3, 3, rng=1))
            self.head = nn.Dense(3, 1, rng=2)
            self.scale = Tensor(2.0)  # does not require grad: a constant, not a parameter

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    names = [n for n, _ in Net().named_parameters()]
    assert names == ["body.layers.0.weight", "body.layers.0.bias", "body.layers.1.weight",
                     "body.layers.1.bias", "head.weight", "head.bias"]


def test_module_forward_not_implemented():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1.0)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    model = nn.MLP([3, 4, 2], rng=0)
    x = np.ones((2, 3))
    autodiff_grads(model, x, np.zeros((2, 2)), "quadratic")
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=set_to_none)
    for p in model.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad is not None and not np.any(p.grad.data)
    # gradients accumulate without zero_grad, and start afresh after it
    J = nn.quadratic_cost(model(x), np.zeros((2, 2)))
    J.backward()
    g1 = [p.grad.data.copy() for p in model.parameters()]
    J = nn.quadratic_cost(model(x), np.zeros((2, 2)))
    J.backward()
    for p, g in zip(model.parameters(), g1, strict=True):
        np.testing.assert_allclose(p.grad.data, 2 * g, rtol=1e-15)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip_is_exact():
    model = nn.MLP([6, 10, 7, 3], "tanh", "identity", rng=1)
    state = model.state_dict()
    assert list(state) == [n for n, _ in model.named_parameters()]
    for name, p in model.named_parameters():
        assert isinstance(state[name], np.ndarray)
        assert state[name].dtype == p.dtype and state[name].shape == p.shape

    other = nn.MLP([6, 10, 7, 3], "tanh", "identity", rng=99)
    x = np.random.default_rng(0).standard_normal((5, 6))
    assert not np.array_equal(other(x).data, model(x).data)
    other.load_state_dict(state)
    for name, p in other.named_parameters():
        assert np.array_equal(p.data, state[name])  # bit for bit
        assert p.data.tobytes() == dict(model.named_parameters())[name].data.tobytes()
    assert np.array_equal(other(x).data, model(x).data)


def test_state_dict_returns_copies_and_load_copies_in():
    model = nn.MLP([3, 4, 2], rng=0)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    state = model.state_dict()
    for v in state.values():
        v += 1.0  # mutating the dict's arrays ...
    state["layers.0.weight"] = np.zeros((4, 3))
    for name, p in model.named_parameters():  # ... leaves the model alone
        assert np.array_equal(p.data, before[name])

    other = nn.MLP([3, 4, 2], rng=5)
    other.load_state_dict(before)
    before["layers.0.bias"][:] = 123.0  # mutating the source after loading
    assert not np.any(other.layers[0].bias.data == 123.0)
    # loading writes into the existing parameter tensors (optimisers keep pointing at them)
    w = other.layers[0].weight
    other.load_state_dict(model.state_dict())
    assert other.layers[0].weight is w


def test_load_state_dict_missing_key():
    model = nn.MLP([3, 4, 2], rng=0)
    state = model.state_dict()
    del state["layers.1.bias"]
    with pytest.raises(KeyError, match=re.escape("layers.1.bias")) as info:
        model.load_state_dict(state)
    assert "missing" in str(info.value)


def test_load_state_dict_unexpected_key():
    model = nn.MLP([3, 4, 2], rng=0)
    state = model.state_dict()
    state["layers.2.weight"] = np.zeros((1, 2))
    with pytest.raises(KeyError, match=re.escape("layers.2.weight")) as info:
        model.load_state_dict(state)
    assert "unexpected" in str(info.value)


def test_load_state_dict_wrong_shape_names_key_and_both_shapes_and_changes_nothing():
    model = nn.MLP([3, 4, 2], rng=0)
    before = model.state_dict()
    state = nn.MLP([3, 4, 2], rng=1).state_dict()
    state["layers.1.weight"] = np.zeros((2, 5))
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    msg = str(info.value)
    assert "layers.1.weight" in msg and "(2, 5)" in msg and "(2, 4)" in msg
    # no partial load: layer 0 (checked before the bad key) is unchanged too
    for name, p in model.named_parameters():
        assert np.array_equal(p.data, before[name])


# ------------------------------------------------------------------------------------ Dense


@pytest.mark.parametrize("activation,f", [
    ("sigmoid", np_sigmoid), ("tanh", np.tanh), ("relu", lambda z: np.maximum(z, 0)),
    ("identity", lambda z: z),
])
def test_dense_forward(activation, f):
    layer = nn.Dense(5, 3, activation=activation, rng=0)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)
    x = np.random.default_rng(1).standard_normal((4, 5))
    z = x @ layer.weight.data.T + layer.bias.data
    out = layer(x)
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out.data, f(z), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(layer.preactivation(x).data, z, rtol=1e-14, atol=1e-15)
    # one example as a vector: z = W x + b
    np.testing.assert_allclose(layer(x[0]).data, f(layer.weight.data @ x[0] + layer.bias.data),
                               rtol=1e-14, atol=1e-15)
    assert repr(layer) == f"Dense(5, 3, activation={activation!r})"


@pytest.mark.parametrize("bad_shape", [(4, 6), (6,), (2, 4, 3)])
def test_dense_input_width_error_names_layer_and_shapes(bad_shape):
    layer = nn.Dense(5, 3, rng=0)
    with pytest.raises(ValueError) as info:
        layer(np.zeros(bad_shape))
    msg = str(info.value)
    assert "Dense(5, 3)" in msg
    assert str(bad_shape) in msg
    assert "5" in msg.split("expected")[-1]


def test_mlp_input_width_error_names_the_layer():
    model = nn.MLP([4, 3, 2], rng=0)
    with pytest.raises(ValueError, match=re.escape("Dense(4, 3)")) as info:
        model(np.zeros((7, 5)))
    assert "(7, 5)" in str(info.value)


def test_unknown_activation_and_init_errors():
    with pytest.raises(ValueError, match="unknown activation 'softplus'") as info:
        nn.Dense(2, 2, activation="softplus")
    assert "sigmoid" in str(info.value)  # lists the choices
    with pytest.raises(ValueError, match="unknown init 'he'") as info:
        nn.Dense(2, 2, init="he")
    assert "xavier" in str(info.value)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 3, 1], activation="Sigmoid")
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 3, 1], output_activation="softmaxx")
    with pytest.raises(ValueError, match="unknown init"):
        nn.MLP([2, 3, 1], init="uniform")
    with pytest.raises(ValueError, match="unknown initialisation"):
        nn.init_dense(2, 2, "orthogonal")
    with pytest.raises(ValueError, match="at least"):
        nn.MLP([5])
    with pytest.raises(ValueError, match="positive"):
        nn.Dense(0, 3)


def test_mlp_structure_and_forward_all():
    model = nn.MLP([4, 6, 5, 3], "relu", "identity", init="xavier", rng=0)
    assert model.sizes == [4, 6, 5, 3]
    assert model.activations == ["relu", "relu", "identity"]
    assert repr(model).startswith("MLP([4, 6, 5, 3]")
    x = np.random.default_rng(1).standard_normal((7, 4))
    zs, acts = model.forward_all(x)
    assert [z.shape for z in zs] == [(7, 6), (7, 5), (7, 3)]
    a = x
    for layer, z, act in zip(model.layers, zs, acts, strict=True):
        zz = a @ layer.weight.data.T + layer.bias.data
        np.testing.assert_allclose(z.data, zz, rtol=1e-13, atol=1e-14)
        a = np.maximum(zz, 0) if layer.activation == "relu" else zz
        np.testing.assert_allclose(act.data, a, rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(model(x).data, acts[-1].data)
    assert nn.MLP([4, 3], "tanh").activations == ["tanh"]


# ------------------------------------------------------------------------------------- inits


@pytest.mark.parametrize("method", ["gaussian", "scaled", "xavier"])
def test_init_shapes_dtype_and_seeded_reproducibility(method):
    w, b = nn.init_dense(7, 3, method, rng=42)
    assert w.shape == (3, 7) and b.shape == (3,)
    assert w.dtype == b.dtype == np.float64
    w2, b2 = nn.init_dense(7, 3, method, rng=42)
    assert np.array_equal(w, w2) and np.array_equal(b, b2)
    w3, _ = nn.init_dense(7, 3, method, rng=43)
    assert not np.array_equal(w, w3)
    # a Generator is used as is (and advanced)
    g = np.random.default_rng(42)
    w4, _ = nn.init_dense(7, 3, method, rng=g)
    assert np.array_equal(w4, w)
    w5, _ = nn.init_dense(7, 3, method, rng=g)
    assert not np.array_equal(w5, w)
    w32, b32 = nn.init_dense(7, 3, method, rng=42, dtype=np.float32)
    assert w32.dtype == b32.dtype == np.float32
    np.testing.assert_allclose(w32, w, rtol=1e-7)


def test_models_are_reproducible_from_a_seed():
    a = nn.MLP([5, 8, 3], init="scaled", rng=7)
    b = nn.MLP([5, 8, 3], init="scaled", rng=7)
    c = nn.MLP([5, 8, 3], init="scaled", rng=8)
    for (_, p), (_, q), (_, r) in zip(a.named_parameters(), b.named_parameters(),
                                      c.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data)
        assert not np.array_equal(p.data, r.data)
    # layers get different draws from the one generator
    assert not np.array_equal(a.layers[0].weight.data[:3, :3], a.layers[1].weight.data[:3, :3])
    d1 = nn.Dense(5, 4, init="gaussian", rng=3)
    d2 = nn.Dense(5, 4, init="gaussian", rng=np.random.default_rng(3))
    assert np.array_equal(d1.weight.data, d2.weight.data)


def test_gaussian_and_scaled_init_statistics():
    n_in, n_out = 400, 300
    w, b = nn.init_dense(n_in, n_out, "gaussian", rng=0)
    assert abs(w.std() - 1.0) < 0.01 and abs(w.mean()) < 0.01
    assert abs(b.std() - 1.0) < 0.15
    w, b = nn.init_dense(n_in, n_out, "scaled", rng=0)
    assert w.std() == pytest.approx(1 / np.sqrt(n_in), rel=0.01)
    assert abs(w.mean()) < 0.01 / np.sqrt(n_in) * 10
    assert abs(b.std() - 1.0) < 0.15  # biases stay N(0, 1)
    # each row (one neuron's weights) has ‖w‖² ≈ 1: z = w·x has variance ≈ 1 for unit inputs
    assert np.mean(np.sum(w * w, axis=1)) == pytest.approx(1.0, rel=0.02)


def test_xavier_init_bounds():
    n_in, n_out = 300, 200
    r = np.sqrt(6.0 / (n_in + n_out))
    w, b = nn.init_dense(n_in, n_out, "xavier", rng=0)
    assert np.all(np.abs(w) <= r)
    assert w.max() > 0.99 * r and w.min() < -0.99 * r  # uses the whole interval
    assert w.var() == pytest.approx(r * r / 3, rel=0.02)  # uniform on (−r, r)
    assert np.array_equal(b, np.zeros(n_out))


# ------------------------------------------------------------------------------------- costs


def test_cost_values_are_batch_means():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4))
    y_soft = rng.uniform(0, 1, (6, 4))
    labels = rng.integers(0, 4, 6)
    y_hot = np.eye(4)[labels]
    zt = Tensor(z, requires_grad=True)
    a = np_sigmoid(z)

    quad = nn.quadratic_cost(ag.sigmoid(zt), y_soft)
    assert quad.item() == pytest.approx(0.5 * np.sum((a - y_soft) ** 2) / 6, rel=1e-14)
    ce = nn.sigmoid_cross_entropy_cost(zt, y_soft)
    naive = -np.sum(y_soft * np.log(a) + (1 - y_soft) * np.log(1 - a)) / 6
    assert ce.item() == pytest.approx(naive, rel=1e-13)
    sm = nn.softmax_cost(zt, y_hot)
    assert sm.item() == pytest.approx(-np.mean(np.log(np_softmax(z)[np.arange(6), labels])),
                                      rel=1e-13)
    assert nn.get_cost("quadratic") is nn.quadratic_cost
    assert set(nn.COSTS) == {"quadratic", "cross-entropy", "softmax"}


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "softmax"])
def test_integer_labels_are_one_hot(cost):
    rng = np.random.default_rng(1)
    z = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    labels = np.array([0, 2, 1, 2, 0])
    out = z if cost == "softmax" else ag.sigmoid(z)
    f = nn.get_cost(cost)
    assert f(out, labels).item() == f(out, np.eye(3)[labels]).item()
    assert f(out, labels.astype(np.uint8)).item() == f(out, np.eye(3)[labels]).item()
    np.testing.assert_array_equal(nn.one_hot(labels, 3), np.eye(3)[labels])
    with pytest.raises(ValueError, match="0..2"):
        f(out, np.array([0, 3, 1, 2, 0]))
    with pytest.raises(ValueError, match="0..2"):
        f(out, np.array([0, -1, 1, 2, 0]))


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "softmax"])
def test_wrong_target_shape_names_both_shapes(cost):
    z = Tensor(np.zeros((5, 3)), requires_grad=True)
    out = z if cost == "softmax" else ag.sigmoid(z)
    f = nn.get_cost(cost)
    for bad in [(5, 4), (4, 3), (3, 5), (5, 3, 1)]:
        with pytest.raises(ValueError) as info:
            f(out, np.zeros(bad))
        msg = str(info.value)
        assert str(bad) in msg and "(5, 3)" in msg, msg
    with pytest.raises(ValueError, match=re.escape("(5,)")):
        f(out, np.zeros(5))  # float vector: not labels


def test_unknown_cost_error():
    with pytest.raises(ValueError, match="unknown cost 'hinge'") as info:
        nn.get_cost("hinge")
    assert "quadratic" in str(info.value)


@pytest.mark.parametrize("output", ["tanh", "relu", "identity"])
def test_cross_entropy_rejects_non_sigmoid_output(output):
    model = nn.MLP([3, 4, 2], "sigmoid", output, rng=0)
    with pytest.raises(ValueError, match="sigmoid"):
        nn.cross_entropy_cost(model(np.ones((2, 3))), np.array([0, 1]))
    with pytest.raises(ValueError, match="sigmoid"):
        nn.cross_entropy_cost(Tensor(np.full((2, 2), 0.5), requires_grad=True),
                              np.zeros((2, 2)))


def test_costs_at_huge_logits_are_exact_and_silent():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    right = np.array([[1.0, 0.0], [0.0, 1.0]])
    wrong = 1.0 - right
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            results = {}
            for name, y in (("right", right), ("wrong", wrong)):
                for cost in ("quadratic", "cross-entropy", "softmax"):
                    zt = Tensor(z, requires_grad=True)
                    a = zt if cost == "softmax" else ag.sigmoid(zt)
                    J = nn.output_cost(cost, zt, a, y)
                    J.backward()
                    assert np.isfinite(J.item()) and np.all(np.isfinite(zt.grad.data))
                    results[name, cost] = (J.item(), zt.grad.data.copy())
    # correct limits: confident and right costs 0, confident and wrong costs |z| per output
    assert results["right", "cross-entropy"][0] == 0.0
    assert results["right", "softmax"][0] == 0.0
    assert results["right", "quadratic"][0] == 0.0
    assert results["wrong", "cross-entropy"][0] == 2000.0  # (1000 + 1000) per example
    assert results["wrong", "softmax"][0] == 2000.0  # ln(e^1000 / e^-1000)
    assert results["wrong", "quadratic"][0] == 1.0  # ½(1 + 1) per example
    # δ = a − y for the log-likelihood costs: 0 or ±1, here divided by N = 2 (σ(−1000) is
    # e^−1000 ≈ 5e−435, i.e. 0 in float64; an absolute 1e−300 allows for a σ that stops at the
    # smallest normal number instead of underflowing to 0)
    tiny = 1e-300
    np.testing.assert_allclose(results["right", "cross-entropy"][1], 0.0, rtol=0, atol=tiny)
    np.testing.assert_allclose(results["right", "softmax"][1], 0.0, rtol=0, atol=tiny)
    np.testing.assert_allclose(results["wrong", "cross-entropy"][1], (right - wrong) / 2,
                               rtol=1e-16, atol=tiny)
    np.testing.assert_array_equal(results["wrong", "softmax"][1], (right - wrong) / 2)
    # the quadratic cost learns nothing from saturated sigmoids: σ'(±1000) = 0
    np.testing.assert_allclose(results["wrong", "quadratic"][1], 0.0, rtol=0, atol=tiny)


def test_cost_of_huge_logits_through_a_network():
    model = nn.MLP([2, 2], "sigmoid", rng=0)
    model.layers[0].weight.data[...] = [[500.0, 500.0], [-500.0, -500.0]]
    model.layers[0].bias.data[...] = 0.0
    x = np.array([[1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        J = nn.cross_entropy_cost(model(x), np.array([[0.0, 1.0]]))
        J.backward()
    assert J.item() == 2000.0
    np.testing.assert_array_equal(model.layers[0].bias.grad.data, [1.0, -1.0])


# ------------------------------------------------------------------ δᴸ read from autodiff


def test_sigmoid_cross_entropy_output_delta_is_a_minus_y():
    rng = np.random.default_rng(3)
    model = nn.MLP([5, 7, 4], "sigmoid", rng=3)
    x = rng.standard_normal((9, 5))
    y = rng.uniform(0, 1, (9, 4))  # soft targets
    zs, acts = model.forward_all(x)
    zs[-1].retain_grad()
    J = nn.sigmoid_cross_entropy_cost(zs[-1], y)
    J.backward()
    delta_L = 9 * zs[-1].grad.data
    np.testing.assert_allclose(delta_L, acts[-1].data - y, rtol=0, atol=1e-15)


def test_softmax_output_delta_is_softmax_minus_y():
    rng = np.random.default_rng(4)
    model = nn.MLP([5, 7, 4], "tanh", "identity", rng=4)
    x = rng.standard_normal((9, 5))
    labels = rng.integers(0, 4, 9)
    zs, _ = model.forward_all(x)
    zs[-1].retain_grad()
    nn.softmax_cost(zs[-1], labels).backward()
    np.testing.assert_allclose(9 * zs[-1].grad.data, np_softmax(zs[-1].data) - np.eye(4)[labels],
                               rtol=0, atol=1e-15)


def test_quadratic_output_delta_has_the_sigma_prime_factor():
    rng = np.random.default_rng(5)
    model = nn.MLP([5, 7, 4], "sigmoid", rng=5)
    x = rng.standard_normal((9, 5))
    y = rng.uniform(0, 1, (9, 4))
    zs, acts = model.forward_all(x)
    zs[-1].retain_grad()
    nn.quadratic_cost(acts[-1], y).backward()
    a = acts[-1].data
    np.testing.assert_allclose(9 * zs[-1].grad.data, (a - y) * a * (1 - a), rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------------------- SGD


def test_sgd_validation_errors():
    p = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(ValueError, match="learning rate"):
        nn.SGD([p], lr=0.0)
    with pytest.raises(ValueError, match="learning rate"):
        nn.SGD([p], lr=-0.1)
    with pytest.raises(ValueError, match="momentum"):
        nn.SGD([p], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="momentum"):
        nn.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="weight_decay"):
        nn.SGD([p], lr=0.1, weight_decay=-1e-4)
    with pytest.raises(ValueError, match="empty"):
        nn.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="requires_grad"):
        nn.SGD([Tensor(np.zeros(3))], lr=0.1)
    with pytest.raises(TypeError, match="requires_grad"):
        nn.SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="requires_grad"):
        nn.SGD([{"params": [p]}, {"params": [np.zeros(2)]}], lr=0.1)
    nn.SGD((q for q in [p]), lr=0.1)  # any iterable, e.g. a generator


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "softmax"])
def test_sgd_step_matches_reference_step(cost):
    rng = np.random.default_rng(10)
    sizes = [6, 12, 8, 3]
    model = nn.MLP(sizes, "sigmoid", OUTPUT_FOR_COST[cost], init="scaled", rng=10)
    x, y = batch(rng, sizes, cost)
    weights = ref_weights(model)
    lr = 0.7

    grads = bp.backprop_batched(weights, model.activations, x, y, cost)
    bp.sgd_step(weights, grads, lr)

    autodiff_grads(model, x, y, cost)
    nn.SGD(model.parameters(), lr=lr).step()

    for layer, (W, b) in zip(model.layers, weights, strict=True):
        np.testing.assert_allclose(layer.weight.data, W, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(layer.bias.data, b, rtol=1e-14, atol=1e-14)


def test_sgd_weight_decay_matches_reference_convention():
    """backprop.sgd_step decays W by (λ/n)·W (n = training-set size) and leaves b alone;
    SGD's weight_decay λ′ adds λ′·w to the gradient. So λ′ = λ/n on the weights' group only."""
    rng = np.random.default_rng(11)
    sizes = [5, 9, 4]
    model = nn.MLP(sizes, "sigmoid", rng=11)
    x, y = batch(rng, sizes, "cross-entropy")
    lr, lam, n_train = 0.5, 5.0, 50
    weights = ref_weights(model)
    w0 = ref_weights(model)

    grads = bp.backprop_batched(weights, model.activations, x, y, "cross-entropy")
    bp.sgd_step(weights, grads, lr, weight_decay=lam, n_train=n_train)

    autodiff_grads(model, x, y, "cross-entropy")
    opt = nn.SGD([{"params": model.weights(), "weight_decay": lam / n_train},
                  {"params": model.biases()}], lr=lr)
    assert opt.param_groups[0]["weight_decay"] == lam / n_train
    assert opt.param_groups[1]["weight_decay"] == 0.0
    opt.step()

    for layer, (W, b), (W0, _) in zip(model.layers, weights, w0, strict=True):
        np.testing.assert_allclose(layer.weight.data, W, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(layer.bias.data, b, rtol=1e-14, atol=1e-14)
        # the decay is not negligible here, so the test does tell the conventions apart
        assert np.max(np.abs(lr * lam / n_train * W0)) > 1e-3


def test_sgd_weight_decay_on_all_parameters_also_decays_biases():
    rng = np.random.default_rng(12)
    model = nn.MLP([4, 5, 2], "tanh", rng=12)
    x, y = batch(rng, [4, 5, 2], "quadratic")
    lr, wd = 0.3, 0.1
    w0 = [p.data.copy() for p in model.parameters()]
    autodiff_grads(model, x, y, "quadratic")
    g = [p.grad.data.copy() for p in model.parameters()]
    nn.SGD(model.parameters(), lr=lr, weight_decay=wd).step()
    for p, w, gw in zip(model.parameters(), w0, g, strict=True):
        np.testing.assert_allclose(p.data, w - lr * (gw + wd * w), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_sgd_momentum_two_steps_match_hand_formula(weight_decay):
    rng = np.random.default_rng(13)
    sizes = [4, 6, 3]
    model = nn.MLP(sizes, "sigmoid", rng=13)
    x1, y1 = batch(rng, sizes, "quadratic")
    x2, y2 = batch(rng, sizes, "quadratic")
    lr, mu = 0.4, 0.9
    opt = nn.SGD(model.parameters(), lr=lr, momentum=mu, weight_decay=weight_decay)

    w0 = [p.data.copy() for p in model.parameters()]
    opt.zero_grad()
    nn.quadratic_cost(model(x1), y1).backward()
    g1 = [p.grad.data.copy() + weight_decay * w for p, w in zip(model.parameters(), w0,
                                                               strict=True)]
    opt.step()
    v1 = g1  # the first velocity is the first gradient
    w1 = [w - lr * v for w, v in zip(w0, v1, strict=True)]
    for p, w in zip(model.parameters(), w1, strict=True):
        np.testing.assert_allclose(p.data, w, rtol=1e-15, atol=1e-15)

    opt.zero_grad()
    nn.quadratic_cost(model(x2), y2).backward()
    g2 = [p.grad.data.copy() + weight_decay * w for p, w in zip(model.parameters(), w1,
                                                               strict=True)]
    opt.step()
    v2 = [mu * v + g for v, g in zip(v1, g2, strict=True)]
    w2 = [w - lr * v for w, v in zip(w1, v2, strict=True)]
    for p, w in zip(model.parameters(), w2, strict=True):
        np.testing.assert_allclose(p.data, w, rtol=1e-14, atol=1e-15)
    # and the two steps differ from two plain SGD steps
    assert not np.allclose(model.parameters()[0].data, w1[0] - lr * g2[0], rtol=0, atol=1e-12)


def test_sgd_parameter_groups_have_their_own_hyperparameters():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = nn.SGD([{"params": [a], "lr": 0.5}, {"params": [b], "momentum": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.5]
    assert opt.params == [a, b]
    for _ in range(2):
        a.grad = Tensor(np.ones(3))
        b.grad = Tensor(np.ones(2))
        opt.step()
    np.testing.assert_allclose(a.data, 1 - 2 * 0.5)
    np.testing.assert_allclose(b.data, 1 - 0.1 * (1 + (0.5 + 1)))


def test_sgd_skips_parameters_without_grad_and_zero_grad():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = nn.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = Tensor(np.full(3, 2.0))
    opt.step()
    np.testing.assert_allclose(a.data, 0.8)
    np.testing.assert_array_equal(b.data, 1.0)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, 0.0)
    assert b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_sgd_step_keeps_parameter_identity_and_arrays():
    model = nn.MLP([3, 4, 2], rng=0)
    arrays = [p.data for p in model.parameters()]
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.5, weight_decay=0.01)
    for _ in range(2):
        opt.zero_grad()
        nn.quadratic_cost(model(np.ones((2, 3))), np.zeros((2, 2))).backward()
        opt.step()
    assert all(p.data is arr for p, arr in zip(model.parameters(), arrays, strict=True))


def _train(model, opt, batches):
    for x, y in batches:
        opt.zero_grad()
        nn.softmax_cost(model(x), y).backward()
        opt.step()


def test_sgd_state_dict_round_trip_resumes_identically():
    rng = np.random.default_rng(20)
    sizes = [5, 8, 3]
    batches = [batch(rng, sizes, "softmax", n=6) for _ in range(6)]

    model = nn.MLP(sizes, "tanh", "identity", rng=20)
    opt = nn.SGD(model.parameters(), lr=0.3, momentum=0.9, weight_decay=1e-3)
    _train(model, opt, batches[:3])
    model_state, opt_state = model.state_dict(), opt.state_dict()
    assert sorted(opt_state) == [f"velocity.{i}" for i in range(4)]
    for i, p in enumerate(model.parameters()):
        assert opt_state[f"velocity.{i}"].shape == p.shape
    _train(model, opt, batches[3:])

    # a new process: fresh model (another seed) and optimiser, both loaded from the checkpoint
    resumed = nn.MLP(sizes, "tanh", "identity", rng=21)
    resumed.load_state_dict(model_state)
    opt2 = nn.SGD(resumed.parameters(), lr=0.3, momentum=0.9, weight_decay=1e-3)
    opt2.load_state_dict(opt_state)
    _train(resumed, opt2, batches[3:])
    for (name, p), (_, q) in zip(model.named_parameters(), resumed.named_parameters(),
                                 strict=True):
        assert np.array_equal(p.data, q.data), name

    # without the momentum buffers the run diverges: the test above is not vacuous
    again = nn.MLP(sizes, "tanh", "identity", rng=21)
    again.load_state_dict(model_state)
    _train(again, nn.SGD(again.parameters(), lr=0.3, momentum=0.9, weight_decay=1e-3),
           batches[3:])
    assert not np.array_equal(again.layers[0].weight.data, model.layers[0].weight.data)


def test_sgd_state_dict_is_a_copy_and_load_errors():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = nn.SGD([p], lr=0.1, momentum=0.9)
    assert opt.state_dict() == {}
    p.grad = Tensor(np.ones(3))
    opt.step()
    state = opt.state_dict()
    state["velocity.0"][:] = 100.0
    opt.step()
    np.testing.assert_allclose(p.data, 1 - 0.1 - 0.1 * 1.9)
    with pytest.raises(KeyError, match="velocity.1"):
        opt.load_state_dict({"velocity.1": np.zeros(3)})
    with pytest.raises(KeyError, match="momentum"):
        opt.load_state_dict({"momentum.0": np.zeros(3)})
    with pytest.raises(ValueError) as info:
        opt.load_state_dict({"velocity.0": np.zeros(4)})
    assert "(4,)" in str(info.value) and "(3,)" in str(info.value)


# ------------------------------------------------------------------------------------ dtypes


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "softmax"])
def test_float32_model_stays_float32(cost):
    rng = np.random.default_rng(30)
    sizes = [4, 6, 3]
    model = nn.MLP(sizes, "sigmoid", OUTPUT_FOR_COST[cost], rng=30, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in model.parameters())
    x = rng.standard_normal((5, 4)).astype(np.float32)
    y = rng.integers(0, 3, 5)  # integer labels: one-hot in the output's dtype
    zs, acts = model.forward_all(x)
    assert all(t.dtype == np.float32 for t in zs + acts)
    J = nn.get_cost(cost)(model(x), y)
    assert J.dtype == np.float32
    J.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    opt.step()
    opt.step()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert all(v.dtype == np.float32 for v in opt.state_dict().values())
    # the float32 gradients agree with float64 ones to float32 precision
    m64 = nn.MLP(sizes, "sigmoid", OUTPUT_FOR_COST[cost], rng=30)
    m32 = nn.MLP(sizes, "sigmoid", OUTPUT_FOR_COST[cost], rng=30, dtype=np.float32)
    autodiff_grads(m64, x.astype(np.float64), y, cost)
    autodiff_grads(m32, x, y, cost)
    for p, q in zip(m64.parameters(), m32.parameters(), strict=True):
        np.testing.assert_allclose(q.grad.data, p.grad.data, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------------- no_grad


def test_no_grad_inference_does_not_record():
    model = nn.MLP([3, 5, 2], "sigmoid", rng=0)
    x = np.ones((4, 3))
    with ag.no_grad():
        out = model(x)
        zs, acts = model.forward_all(x)
    assert not out.requires_grad and out.is_leaf and out.op is None and out.inputs == ()
    assert all(not t.requires_grad and t.is_leaf for t in zs + acts)
    with pytest.raises(RuntimeError, match="does not require grad"):
        nn.quadratic_cost(out, np.zeros((4, 2))).backward()
    assert all(p.grad is None for p in model.parameters())
    np.testing.assert_array_equal(out.data, model(x).data)  # same numbers
    assert model(x).requires_grad  # recording is back on afterwards


# ------------------------------------------------------------------------------- learning


def test_learns_xor():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    model = nn.MLP([2, 4, 1], "sigmoid", rng=0)
    opt = nn.SGD(model.parameters(), lr=2.0, momentum=0.9)
    for _ in range(1000):
        opt.zero_grad()
        J = nn.cross_entropy_cost(model(x), y)
        J.backward()
        opt.step()
    with ag.no_grad():
        pred = model(x).data
    np.testing.assert_array_equal(pred > 0.5, y > 0.5)
    assert J.item() < 0.05


def test_learns_xor_with_two_softmax_outputs_and_plain_sgd():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    model = nn.MLP([2, 3, 2], "sigmoid", "identity", rng=1)
    opt = nn.SGD(model.parameters(), lr=3.0)
    for _ in range(2000):
        opt.zero_grad()
        J = nn.softmax_cost(model(x), labels)
        J.backward()
        opt.step()
    np.testing.assert_array_equal(model(x).data.argmax(axis=1), labels)
    assert J.item() < 0.1


@pytest.mark.parametrize("hidden,output,cost,init,lr", [
    ("tanh", "identity", "softmax", "xavier", 0.5),
    ("sigmoid", "sigmoid", "cross-entropy", "scaled", 2.0),
])
def test_learns_two_moons(hidden, output, cost, init, lr):
    x, labels = two_moons(200, noise=0.1, seed=0)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    model = nn.MLP([2, 16, 16, 2], hidden, output, init=init, rng=0)
    opt = nn.SGD(model.parameters(), lr=lr, momentum=0.9)
    f = nn.get_cost(cost)
    for _ in range(400):
        opt.zero_grad()
        J = f(model(x), labels)
        J.backward()
        opt.step()
    with ag.no_grad():
        acc = np.mean(model(x).data.argmax(axis=1) == labels)
    assert acc == 1.0
    assert J.item() < 0.05


# ---------------------------------------------------------------------------- vs PyTorch


@pytest.mark.parametrize("hidden,cost", [
    ("sigmoid", "quadratic"), ("sigmoid", "cross-entropy"), ("tanh", "softmax"),
    ("relu", "softmax"), ("tanh", "cross-entropy"), ("relu", "quadratic"),
])
def test_gradients_match_pytorch(hidden, cost):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(40)
    sizes = [5, 11, 7, 3]
    model = nn.MLP(sizes, hidden, OUTPUT_FOR_COST[cost], init="scaled", rng=40)
    x = rng.standard_normal((9, 5))
    labels = rng.integers(0, 3, 9)
    y = rng.uniform(0, 1, (9, 3)) if cost != "softmax" else np.eye(3)[labels]
    J = autodiff_grads(model, x, y, cost)

    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
           "identity": lambda t: t}
    params = [(torch.tensor(layer.weight.data, requires_grad=True),
               torch.tensor(layer.bias.data, requires_grad=True)) for layer in model.layers]
    a = torch.tensor(x)
    z = a
    for (W, b), name in zip(params, model.activations, strict=True):
        z = a @ W.T + b
        a = act[name](z)
    yt = torch.tensor(y)
    if cost == "quadratic":
        Jt = 0.5 * ((a - yt) ** 2).sum() / 9
    elif cost == "cross-entropy":
        Jt = F.binary_cross_entropy_with_logits(z, yt, reduction="sum") / 9
    else:
        Jt = F.cross_entropy(z, torch.tensor(labels))
    Jt.backward()
    assert J.item() == pytest.approx(Jt.item(), rel=1e-13)
    for layer, (W, b) in zip(model.layers, params, strict=True):
        for mine, theirs in ((layer.weight.grad.data, W.grad.numpy()),
                             (layer.bias.grad.data, b.grad.numpy())):
            scale = np.max(np.abs(theirs))
            assert np.max(np.abs(mine - theirs)) <= 1e-12 * scale


# ------------------------------------------------------- bugs found in review, now fixed


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_single_output_accepts_label_vector(cost):
    model = nn.MLP([2, 3, 1], "sigmoid", rng=0)
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    f = nn.get_cost(cost)
    assert f(model(x), y).item() == f(model(x), y[:, None].astype(float)).item()
    assert nn.check_backprop(model, x, y, cost=cost).ok()


def test_cross_entropy_cost_under_no_grad():
    model = nn.MLP([3, 4, 2], "sigmoid", rng=0)
    x, y = np.ones((2, 3)), np.array([0, 1])
    expected = nn.cross_entropy_cost(model(x), y).item()
    with ag.no_grad():
        assert nn.cross_entropy_cost(model(x), y).item() == pytest.approx(expected, rel=1e-14)


def test_softmax_cost_takes_logits_and_refuses_a_recorded_softmax():
    z = Tensor(np.array([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]]), requires_grad=True)
    y = np.array([0, 1])
    expected = nn.softmax_cost(z, y).item()
    with ag.no_grad():
        assert nn.softmax_cost(z, y).item() == pytest.approx(expected, rel=1e-14)
    with pytest.raises(ValueError, match="logits"):
        nn.softmax_cost(ag.softmax(z), y)


def test_wrong_label_count_names_the_shape_passed():
    z = Tensor(np.zeros((4, 2)), requires_grad=True)
    with pytest.raises(ValueError, match=re.escape("(3,)")):
        nn.softmax_cost(z, np.array([0, 1, 1]))


# ------------------------------------------- one vocabulary: activations and costs by name


def test_explicit_sigmoid_cross_entropy_is_exact_with_and_without_a_graph():
    model = nn.MLP([3, 4, 2], "sigmoid", rng=0)
    x, y = np.ones((2, 3)), np.array([0, 1])
    zs, acts = model.forward_all(x)
    expected = nn.cross_entropy_cost(acts[-1], y).item()  # the compatibility form
    assert nn.sigmoid_cross_entropy_cost(zs[-1], y).item() == expected
    assert nn.output_cost("cross-entropy", zs[-1], acts[-1], y).item() == expected
    with ag.no_grad():
        zs, acts = model.forward_all(x)
        assert nn.sigmoid_cross_entropy_cost(zs[-1], y).item() == expected
        assert nn.output_cost("cross-entropy", zs[-1], acts[-1], y).item() == expected


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "softmax"])
def test_output_cost_takes_what_the_table_says(cost):
    rng = np.random.default_rng(7)
    z = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    a = ag.sigmoid(z)
    y = rng.integers(0, 3, 5)
    spec = nn.costs.COST_TABLE[cost]
    assert spec.name == cost and spec.takes == ("a" if cost == "quadratic" else "z")
    assert nn.output_cost(cost, z, a, y).item() == spec.function(
        a if spec.takes == "a" else z, y).item()
    # the network-output form of get_cost agrees with the explicit one
    out = z if cost == "softmax" else a
    assert nn.get_cost(cost)(out, y).item() == nn.output_cost(cost, z, a, y).item()
    with pytest.raises(ValueError, match="unknown cost 'hinge'"):
        nn.output_cost("hinge", z, a, y)


def test_one_table_of_activation_and_cost_names():
    assert nn.ACTIVATIONS == {"sigmoid": ag.ops.sigmoid, "tanh": ag.ops.tanh,
                              "relu": ag.ops.relu, "identity": None}
    assert nn.layers.ACTIVATIONS is nn.ACTIVATIONS
    assert bp.ACTIVATIONS == ("sigmoid", "tanh", "relu", "identity", "softmax")
    assert set(bp.ACTIVATIONS) == set(activations.TABLE)
    assert bp.COSTS == ("quadratic", "cross-entropy", "softmax") == tuple(nn.COSTS)
    assert bp.sigmoid is activations.sigmoid and bp.softmax is activations.softmax
    for name, act in activations.TABLE.items():
        assert act.name == name
        assert (act.engine is None) == (name == "identity")
    assert [n for n, act in activations.TABLE.items() if act.output_only] == ["softmax"]
    # the engine's σ and the reference's numpy σ agree
    z = np.linspace(-5, 5, 12).reshape(3, 4)
    for act in activations.TABLE.values():
        engine = (lambda t: t) if act.engine is None else act.engine
        np.testing.assert_allclose(engine(Tensor(z)).data, act.sigma(z), rtol=1e-15, atol=0)


def test_mlp_output_layer_for_each_cost_comes_from_the_cost_table():
    for cost, spec in nn.costs.COST_TABLE.items():
        config = TrainConfig(activation="tanh", cost=cost)
        assert config.output_activation == (spec.output_activation or "tanh")
    assert TrainConfig(cost="hinge").output_activation == "sigmoid"


def test_shared_parameters_are_listed_and_stepped_once():
    d = nn.Dense(2, 2, "identity", rng=0)
    model = nn.Sequential(d, d)
    assert len(model.parameters()) == 2
    w0 = d.weight.data.copy()
    opt = nn.SGD(model.parameters(), lr=0.1)
    nn.quadratic_cost(model(np.ones((1, 2))), np.zeros((1, 2))).backward()
    g = d.weight.grad.data.copy()
    opt.step()
    np.testing.assert_allclose(d.weight.data, w0 - 0.1 * g, rtol=1e-15)


def test_sgd_duplicate_parameter_is_rejected_or_stepped_once():
    p = Tensor(np.ones(2), requires_grad=True)
    try:
        opt = nn.SGD([p, p], lr=0.1)
    except ValueError:
        return
    p.grad = Tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(p.data, 0.9)


def test_sgd_rejects_a_bare_tensor():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError):
        nn.SGD(w, lr=0.1)


@pytest.mark.parametrize("group", [{"lr": -1.0}, {"momentum": 1.5}, {"weight_decay": -0.1}])
def test_sgd_validates_parameter_groups(group):
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError):
        nn.SGD([{"params": [p], **group}], lr=0.1)


def test_sgd_failed_load_state_dict_changes_nothing():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = nn.SGD([p], lr=0.1, momentum=0.9)
    p.grad = Tensor(np.ones(3))
    opt.step()
    before = opt.state_dict()
    with pytest.raises(ValueError):
        opt.load_state_dict({"velocity.0": np.zeros(4)})
    after = opt.state_dict()
    assert list(after) == list(before)
    assert all(np.array_equal(after[k], before[k]) for k in before)
