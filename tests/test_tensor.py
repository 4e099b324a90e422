"""The Tensor class: construction, dtypes, attributes, conversions, operators and their
reflected forms, and dtype preservation (float32 stays float32 through every op)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ----------------------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "data, shape",
    [
        (3, ()),
        (2.5, ()),
        ([1, 2, 3], (3,)),
        ([[1, 2], [3, 4], [5, 6]], (3, 2)),
        ([[[1.5]]], (1, 1, 1)),
    ],
)
def test_python_data_becomes_float64(data, shape):
    t = Tensor(data)
    assert t.dtype == np.float64
    assert t.data.dtype == np.float64
    assert isinstance(t.data, np.ndarray)
    assert t.shape == shape
    assert t.ndim == len(shape)
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


def test_numpy_array_keeps_its_dtype_and_memory():
    a32 = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = Tensor(a32)
    assert t.dtype == np.float32
    assert np.shares_memory(t.data, a32)  # no copy when no conversion is needed
    a64 = np.linspace(0, 1, 4)
    assert Tensor(a64).dtype == np.float64
    ints = np.array([1, 2, 3])
    assert Tensor(ints).dtype == ints.dtype


@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float32")])
def test_float32_on_request(dtype):
    t = Tensor([1.0, 2.0, 3.0], dtype=dtype, requires_grad=True)
    assert t.dtype == np.float32
    t64 = Tensor(np.array([0.1, 0.2]), dtype=dtype)
    assert t64.dtype == np.float32
    np.testing.assert_array_equal(t64.data, np.array([0.1, 0.2], dtype=np.float32))


def test_tensor_from_tensor_shares_data_but_not_graph():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor(a * 2)
    assert b.is_leaf and not b.requires_grad
    np.testing.assert_array_equal(b.data, [2.0, 4.0])


@pytest.mark.parametrize(
    "data, kwargs",
    [
        (np.array([1, 2, 3]), {}),
        (np.array([True, False]), {}),
        ([1, 2], {"dtype": "int64"}),
        (np.array([[1, 2]], dtype=np.int32), {}),
        (np.array(3, dtype=np.uint8), {}),
    ],
)
def test_integer_or_boolean_data_cannot_require_grad(data, kwargs):
    with pytest.raises(TypeError, match="floating"):
        Tensor(data, requires_grad=True, **kwargs)
    # without requires_grad they are fine
    t = Tensor(data, **kwargs)
    assert t.dtype.kind in "iub"
    assert not t.requires_grad


def test_non_numeric_data_is_a_type_error():
    with pytest.raises(TypeError, match="Tensor"):
        Tensor("hello")
    with pytest.raises(TypeError, match="Tensor"):
        Tensor([[1.0, 2.0], [3.0]])  # ragged
    with pytest.raises(TypeError, match="Tensor"):
        Tensor([1.0], dtype="no-such-dtype")


# ------------------------------------------------------------------------------- attributes


def test_leaf_attributes():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="w")
    assert t.requires_grad is True
    assert t.grad is None
    assert t.name == "w"
    assert t.is_leaf
    assert t.op is None
    assert t.inputs == ()
    assert t.op_args == ()
    assert t.shape == (2, 3) and t.ndim == 2
    assert Tensor(1.0).requires_grad is False
    assert Tensor(1.0).name is None


def test_non_leaf_attributes():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0])
    c = a * b
    assert not c.is_leaf
    assert c.requires_grad
    assert c.op == "mul"
    assert len(c.inputs) == 2
    assert c.inputs[0] is a and c.inputs[1] is b
    d = c + 2.5
    assert d.op == "add"
    assert d.inputs == (c,)
    assert len(d.op_args) == 2
    assert d.op_args[0] is c and d.op_args[1] == 2.5
    e = d.sum()
    assert e.op == "sum" and e.inputs[0] is d
    assert e.grad is None


def test_results_without_grad_are_leaves():
    a = Tensor([1.0, 2.0])
    c = (a * 3).exp()
    assert c.is_leaf and not c.requires_grad and c.op is None and c.inputs == ()


def test_T_transposes_and_is_differentiable(rng):
    x = rng.standard_normal((2, 3))
    t = Tensor(x, requires_grad=True)
    np.testing.assert_array_equal(t.T.data, x.T)
    assert t.T.shape == (3, 2)
    w = rng.standard_normal((3, 2))
    (t.T * w).sum().backward()
    np.testing.assert_array_equal(t.grad.data, w.T)


def test_repr_is_useful():
    r = repr(Tensor([1.5, -2.0], requires_grad=True, name="weights"))
    assert r.startswith("Tensor(")
    assert "1.5" in r and "-2." in r
    assert "requires_grad=True" in r
    assert "weights" in r
    r32 = repr(Tensor([1.0], dtype="float32"))
    assert "float32" in r32
    assert "requires_grad" not in repr(Tensor([1.0]))
    a = Tensor([1.0, 2.0], requires_grad=True)
    assert "add" in repr(a + 1)
    assert "float64" not in repr(Tensor([3.25]))  # the default dtype is not noise


# ------------------------------------------------------------------------------ conversions


def test_item():
    assert Tensor(2.5).item() == 2.5
    assert isinstance(Tensor(2.5).item(), float)
    assert Tensor([[7.0]]).item() == 7.0
    assert float(Tensor([3.0])) == 3.0
    with pytest.raises(ValueError, match=r"\(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_numpy_returns_the_data():
    t = Tensor([1.0, 2.0])
    n = t.numpy()
    assert isinstance(n, np.ndarray)
    np.testing.assert_array_equal(n, [1.0, 2.0])
    assert np.shares_memory(n, t.data)


def test_detach_cuts_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.op is None
    np.testing.assert_array_equal(d.data, x.data)
    (d * x).sum().backward()  # d is a constant: the gradient is d, not 2x
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 3.0])


def test_retain_grad_returns_self_and_needs_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.retain_grad() is y
    with pytest.raises(RuntimeError, match="require"):
        Tensor([1.0]).retain_grad()


def test_astype_changes_dtype_and_casts_the_gradient_back():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.astype("float32")
    assert y.dtype == np.float32
    assert y.requires_grad and y.op == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0, 6.0])
    x32 = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    z = x32.astype(np.float64)
    assert z.dtype == np.float64
    (z * 3.0).sum().backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_array_equal(x32.grad.data, np.array([3.0, 3.0], dtype=np.float32))


def test_astype_to_integer_does_not_require_grad():
    x = Tensor([1.7, 2.2], requires_grad=True)
    try:
        y = x.astype("int64")
    except TypeError:
        return  # refusing is fine too
    assert y.dtype == np.int64
    assert not y.requires_grad


def test_len_bool_and_zero_grad():
    t = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    assert len(t) == 3
    with pytest.raises(TypeError):
        len(Tensor(1.0))
    assert bool(Tensor(1.0)) is True and bool(Tensor(0.0)) is False
    with pytest.raises(ValueError):
        bool(t)
    t.sum().backward()
    assert t.grad is not None
    t.zero_grad()
    assert t.grad is None


# -------------------------------------------------------------------------------- operators

A = np.array([[0.5, 1.25, 2.0], [1.5, 0.75, 3.0]])


def _grad_of(fn, x=A):
    t = Tensor(x, requires_grad=True)
    out = fn(t)
    assert isinstance(out, Tensor)
    out.backward(np.ones(out.shape))
    return out.data, t.grad.data


@pytest.mark.parametrize(
    "name, fn, value, grad",
    [
        ("a+2", lambda t: t + 2, A + 2, np.ones_like(A)),
        ("2+a", lambda t: 2 + t, 2 + A, np.ones_like(A)),
        ("a-1", lambda t: t - 1, A - 1, np.ones_like(A)),
        ("1-a", lambda t: 1 - t, 1 - A, -np.ones_like(A)),
        ("a*3", lambda t: t * 3, A * 3, 3 * np.ones_like(A)),
        ("3*a", lambda t: 3 * t, 3 * A, 3 * np.ones_like(A)),
        ("a/4", lambda t: t / 4, A / 4, np.full_like(A, 0.25)),
        ("2/a", lambda t: 2 / t, 2 / A, -2 / A**2),
        ("a**3", lambda t: t**3, A**3, 3 * A**2),
        ("a**0.5", lambda t: t**0.5, A**0.5, 0.5 * A**-0.5),
        ("2**a", lambda t: 2**t, 2**A, 2**A * np.log(2)),
        ("-a", lambda t: -t, -A, -np.ones_like(A)),
        ("a*a", lambda t: t * t, A * A, 2 * A),
        ("a/a**2", lambda t: t / t**2, 1 / A, -1 / A**2),
    ],
)
def test_operators_with_python_scalars(name, fn, value, grad):
    v, g = _grad_of(fn)
    np.testing.assert_allclose(v, value, rtol=1e-14, err_msg=name)
    np.testing.assert_allclose(g, grad, rtol=1e-13, err_msg=name)


N = np.array([[2.0, -1.0, 0.5]])  # broadcasts against A (2, 3)


@pytest.mark.parametrize(
    "name, fn, value, grad",
    [
        ("n+a", lambda t: N + t, N + A, np.ones_like(A)),
        ("a+n", lambda t: t + N, A + N, np.ones_like(A)),
        ("n-a", lambda t: N - t, N - A, -np.ones_like(A)),
        ("a-n", lambda t: t - N, A - N, np.ones_like(A)),
        ("n*a", lambda t: N * t, N * A, np.broadcast_to(N, A.shape)),
        ("a*n", lambda t: t * N, A * N, np.broadcast_to(N, A.shape)),
        ("n/a", lambda t: N / t, N / A, -N / A**2),
        ("a/n", lambda t: t / N, A / N, np.broadcast_to(1 / N, A.shape)),
        ("|n|**a", lambda t: np.abs(N) ** t, np.abs(N) ** A, np.abs(N) ** A * np.log(np.abs(N))),
        ("a**n", lambda t: t**N, A**N, N * A ** (N - 1)),
    ],
)
def test_operators_with_numpy_arrays_give_tensors(name, fn, value, grad):
    v, g = _grad_of(fn)
    np.testing.assert_allclose(v, value, rtol=1e-14, err_msg=name)
    np.testing.assert_allclose(g, grad, rtol=1e-13, err_msg=name)


def test_ndarray_times_tensor_is_a_tensor():
    t = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * t
    assert isinstance(out, Tensor)
    assert out.requires_grad
    out = np.float64(2.0) * t
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, [2.0, 4.0])


def test_ndarray_matmul_tensor():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = Tensor([[0.5, -1.0], [2.0, 1.0]], requires_grad=True)
    out = m @ t
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, m @ t.data)
    out.backward(np.ones((2, 2)))
    np.testing.assert_allclose(t.grad.data, m.T @ np.ones((2, 2)))
    t.grad = None
    out = t @ m
    out.backward(np.ones((2, 2)))
    np.testing.assert_allclose(t.grad.data, np.ones((2, 2)) @ m.T)


def test_tensor_tensor_operators_and_abs(rng):
    x, y = rng.uniform(0.5, 2, (3,)), rng.uniform(0.5, 2, (3,))
    a, b = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    out = (a + b) * (a - b) / b + a**b + abs(a - 3)
    np.testing.assert_allclose(out.data, (x + y) * (x - y) / y + x**y + np.abs(x - 3))
    out.sum().backward()
    ga = 2 * x / y + y * x ** (y - 1) + np.sign(x - 3)
    gb = -(x**2) / y**2 - 1 + x**y * np.log(x)
    np.testing.assert_allclose(a.grad.data, ga, rtol=1e-13)
    np.testing.assert_allclose(b.grad.data, gb, rtol=1e-13)


@pytest.mark.parametrize(
    "name, np_fn, np_grad",
    [
        ("exp", np.exp, np.exp),
        ("log", np.log, lambda x: 1 / x),
        ("sqrt", np.sqrt, lambda x: 0.5 / np.sqrt(x)),
        ("abs", np.abs, np.sign),
        ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
        ("tanh", np.tanh, lambda x: 1 / np.cosh(x) ** 2),
        ("relu", lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    ],
)
def test_elementwise_methods_and_functions_agree(name, np_fn, np_grad):
    x = np.array([[0.3, 1.7], [2.5, 0.9]]) if name in ("log", "sqrt") else np.array(
        [[-1.3, 0.4], [2.2, -0.6]]
    )
    func = am.absolute if name == "abs" else getattr(am, name)
    for call in (lambda t: getattr(t, name)(), func):
        t = Tensor(x, requires_grad=True)
        out = call(t)
        assert isinstance(out, Tensor)
        np.testing.assert_allclose(out.data, np_fn(x), rtol=1e-14)
        out.sum().backward()
        np.testing.assert_allclose(t.grad.data, np_grad(x), rtol=1e-12)


def test_iterating_a_tensor_yields_rows():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(t)
    assert len(rows) == 2
    (rows[1] * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [[0.0, 0.0], [2.0, 2.0]])


def test_index_with_integer_tensor():
    t = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    out = t[Tensor(np.array([2, 0, 2]))]
    np.testing.assert_array_equal(out.data, [30.0, 10.0, 30.0])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.data, [1.0, 0.0, 2.0])


# ------------------------------------------------------------------- float32 stays float32

F32_OPS = {
    "add": lambda t: t + 1.5,
    "radd": lambda t: 2 + t,
    "sub": lambda t: t - t[0],
    "rsub": lambda t: 1 - t,
    "mul": lambda t: t * t,
    "rmul": lambda t: 0.5 * t,
    "div": lambda t: t / (t * t + 1),
    "rdiv": lambda t: 2 / (t * t + 1),
    "pow": lambda t: t**2,
    "rpow": lambda t: 2**t,
    "neg": lambda t: -t,
    "matmul": lambda t: t @ t.T,
    "matvec": lambda t: t @ t[0],
    "exp": lambda t: t.exp(),
    "log": lambda t: (t * t + 1).log(),
    "sqrt": lambda t: (t * t + 1).sqrt(),
    "abs": lambda t: t.abs(),
    "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(),
    "relu": lambda t: t.relu(),
    "sum": lambda t: t.sum(axis=0),
    "mean": lambda t: t.mean(axis=-1, keepdims=True),
    "max": lambda t: t.max(axis=1),
    "reshape": lambda t: t.reshape(-1),
    "transpose": lambda t: t.transpose(1, 0),
    "getitem": lambda t: t[[0, 0, 1], 1:],
    "mask": lambda t: t[t.data > 0],
    "concatenate": lambda t: am.concatenate([t, t * 2], axis=1),
    "stack": lambda t: am.stack([t, t], axis=-1),
    "softmax": lambda t: t.softmax(axis=0),
    "log_softmax": lambda t: t.log_softmax(),
    "logsumexp": lambda t: t.logsumexp(axis=1),
    "affine": lambda t: am.affine(t, t * 1, t[:, 0]),
    "quadratic_cost": lambda t: am.quadratic_cost(t, np.ones((2, 3), np.float32)),
    "bce_with_logits": lambda t: am.bce_with_logits(t, np.full((2, 3), 0.25, np.float32)),
    "softmax_cross_entropy": lambda t: am.softmax_cross_entropy(
        t, np.array([[1, 0, 0], [0, 0, 1]], np.float32)
    ),
    "astype": lambda t: t.astype("float64").astype("float32"),
    "ndarray_rmul": lambda t: np.full((3,), 2.0, np.float32) * t,
}


@pytest.mark.parametrize("name", sorted(F32_OPS))
def test_float32_stays_float32_and_grads_are_float32(name):
    x = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -3.0]], dtype=np.float32)
    t = Tensor(x, requires_grad=True)
    out = F32_OPS[name](t)
    assert out.dtype == np.float32, f"{name}: forward gave {out.dtype}"
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert t.grad.dtype == np.float32, f"{name}: gradient is {t.grad.dtype}"
    # and the numbers agree with the float64 computation
    t64 = Tensor(x.astype(np.float64), requires_grad=True)
    out64 = F32_OPS[name](t64) if name != "astype" else t64 * 1.0
    out64.backward(np.ones(out64.shape))
    np.testing.assert_allclose(out.data, out64.data, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(t.grad.data, t64.grad.data, rtol=2e-6, atol=1e-6)


def test_float32_grad_via_grad_function_and_create_graph():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    (g,) = am.grad((x**3).sum(), x, create_graph=True)
    assert g.dtype == np.float32
    (h,) = am.grad(g.sum(), x)
    assert h.dtype == np.float32
    np.testing.assert_allclose(h.data, 6 * x.data, rtol=1e-6)
