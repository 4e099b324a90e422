"""Every primitive's gradient: against central finite differences (``gradcheck``) on random
shapes with numpy broadcasting (hypothesis), against closed forms, numerically extreme inputs,
and the forward-mode rules against the reverse ones."""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import Tensor, forward_mode, gradcheck, ops
from autograd_mini import primitive as ad

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# -------------------------------------------------------------------------------- strategies
# Values come from a grid (multiples of 1/16) so that no two elements are closer than the
# finite-difference step cares about, and kinks (0 for abs/relu) are avoided by construction.


def _grid(lo, hi):
    return st.integers(int(lo * 16), int(hi * 16)).map(lambda k: k / 16.0)


def _nonzero(mag_lo=0.25, mag_hi=2.0):
    return st.one_of(_grid(mag_lo, mag_hi), _grid(-mag_hi, -mag_lo))


def arrays(shape, elements=None, unique=False):
    if elements is None:
        elements = _grid(-2, 2)
    return hnp.arrays(np.float64, shape, elements=elements, unique=unique)


def leaf(x):
    return Tensor(np.array(x, dtype=np.float64), requires_grad=True)


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
NONEMPTY = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@st.composite
def axis_for(draw, ndim, allow_none=True, allow_tuple=True):
    """None, an int (possibly negative) or a tuple of distinct (possibly negative) axes."""
    choices = [st.integers(-ndim, ndim - 1)]
    if allow_none:
        choices.append(st.none())
    if allow_tuple:
        choices.append(hnp.valid_tuple_axes(ndim, min_size=1))
    return draw(st.one_of(*choices))


def check(fn, *inputs):
    """gradcheck, plus the result must be a Tensor that requires grad."""
    out = fn(*inputs)
    assert isinstance(out, Tensor) and out.requires_grad
    assert gradcheck(fn, list(inputs), eps=1e-6, atol=1e-6, rtol=1e-5)


# ---------------------------------------------------------------- arithmetic with broadcasting

POSITIVE = _grid(0.5, 2.0)

BINARY = {
    "add": (lambda a, b: a + b, _grid(-2, 2), _grid(-2, 2)),
    "sub": (lambda a, b: a - b, _grid(-2, 2), _grid(-2, 2)),
    "mul": (lambda a, b: a * b, _grid(-2, 2), _grid(-2, 2)),
    "div": (lambda a, b: a / b, _grid(-2, 2), POSITIVE),
    "pow": (lambda a, b: a**b, POSITIVE, _grid(-2, 2)),
    "chain": (lambda a, b: (a * b - b / (a * a + 1)).tanh() * a, _grid(-2, 2), _grid(-2, 2)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(data=st.data(), shapes=PAIRS)
def test_binary_ops_with_broadcasting(name, data, shapes):
    fn, ea, eb = BINARY[name]
    sa, sb = shapes.input_shapes
    a = leaf(data.draw(arrays(sa, ea), label="a"))
    b = leaf(data.draw(arrays(sb, eb), label="b"))
    out = fn(a, b)
    assert out.shape == shapes.result_shape
    check(fn, a, b)
    # the gradient of each input has that input's shape
    out.backward(np.ones(out.shape))
    assert a.grad.shape == sa and b.grad.shape == sb


@SETTINGS
@given(data=st.data(), shapes=PAIRS, s=_nonzero(0.5, 2.0))
def test_reflected_forms_with_scalars_and_arrays(data, shapes, s):
    sa, sn = shapes.input_shapes
    x = leaf(data.draw(arrays(sa, POSITIVE), label="x"))
    n = data.draw(arrays(sn, POSITIVE), label="n")  # a plain ndarray
    fns = [
        lambda t: s + t, lambda t: s - t, lambda t: s * t, lambda t: s / t,
        lambda t: abs(s) ** t, lambda t: t**s, lambda t: -t,
        lambda t: n + t, lambda t: n - t, lambda t: n * t, lambda t: n / t, lambda t: n**t,
        lambda t: t - n, lambda t: t / n, lambda t: t**n,
    ]
    for fn in fns:
        check(fn, x)


# ------------------------------------------------------------------------- elementwise unary

UNARY = {
    "exp": (lambda t: t.exp(), _grid(-2, 2)),
    "log": (lambda t: t.log(), POSITIVE),
    "sqrt": (lambda t: t.sqrt(), POSITIVE),
    "abs": (lambda t: t.abs(), _nonzero()),
    "sigmoid": (lambda t: t.sigmoid(), _grid(-4, 4)),
    "tanh": (lambda t: t.tanh(), _grid(-2, 2)),
    "relu": (lambda t: t.relu(), _nonzero()),
    "neg": (lambda t: -t, _grid(-2, 2)),
    "fn_exp": (am.exp, _grid(-2, 2)),
    "fn_log": (am.log, POSITIVE),
    "fn_sqrt": (am.sqrt, POSITIVE),
    "fn_abs": (am.absolute, _nonzero()),
    "fn_sigmoid": (am.sigmoid, _grid(-4, 4)),
    "fn_tanh": (am.tanh, _grid(-2, 2)),
    "fn_relu": (am.relu, _nonzero()),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_unary_ops(name, data, shape):
    fn, elements = UNARY[name]
    x = leaf(data.draw(arrays(shape, elements)))
    check(fn, x)
    # composed with broadcasting against a parameter
    w = leaf(data.draw(arrays(shape[-1:], _grid(0.5, 1.5))))
    check(lambda x, w: fn(x) * w, x, w)


def test_sigmoid_of_a_scalar_tensor():
    z = Tensor(0.5, requires_grad=True)
    s = z.sigmoid()
    assert s.shape == ()
    s.backward()
    s0 = 1 / (1 + np.exp(-0.5))
    np.testing.assert_allclose(s.data, s0, rtol=1e-15)
    np.testing.assert_allclose(z.grad.data, s0 * (1 - s0), rtol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Tensor(1000.0).sigmoid().item() == 1.0
        assert 0.0 <= Tensor(-1000.0).sigmoid().item() <= np.finfo(np.float64).tiny
        assert am.sigmoid(Tensor(np.float32(-1000.0))).dtype == np.float32


@pytest.mark.parametrize(
    "name", ["exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu", "neg"]
)
def test_unary_ops_on_scalar_tensors(name):
    fn, _ = UNARY[name]
    check(fn, leaf(1.25))


# ---------------------------------------------------------------------------------- reductions

REDUCTIONS = {
    "sum": lambda t, axis, keepdims: t.sum(axis=axis, keepdims=keepdims),
    "mean": lambda t, axis, keepdims: t.mean(axis=axis, keepdims=keepdims),
    "max": lambda t, axis, keepdims: t.max(axis=axis, keepdims=keepdims),
    "logsumexp": lambda t, axis, keepdims: t.logsumexp(axis=axis, keepdims=keepdims),
    "fn_logsumexp": lambda t, axis, keepdims: am.logsumexp(t, axis=axis, keepdims=keepdims),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(data=st.data(), shape=NONEMPTY, keepdims=st.booleans())
def test_reductions_over_axes(name, data, shape, keepdims):
    axis = data.draw(axis_for(len(shape)), label="axis")
    # unique grid values: max has no ties (ties are tested separately)
    x = leaf(data.draw(arrays(shape, _grid(-3, 3), unique=True), label="x"))
    fn = lambda t: REDUCTIONS[name](t, axis, keepdims)
    out = fn(x)
    ref = {
        "sum": np.sum, "mean": np.mean, "max": np.max,
        "logsumexp": lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis,
                                                             keepdims=keepdims)),
    }[name.removeprefix("fn_")](x.data, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(ref)
    np.testing.assert_allclose(out.data, ref, rtol=1e-13, atol=1e-13)
    check(fn, x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_softmax_and_log_softmax(name, data, shape):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = leaf(data.draw(arrays(shape, _grid(-3, 3))))
    w = leaf(data.draw(arrays(shape, _grid(-1, 1))))
    method = lambda t: getattr(t, name)(axis=axis)
    func = lambda t: getattr(am, name)(t, axis=axis)
    e = np.exp(x.data - x.data.max(axis=axis, keepdims=True))
    s = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(method(x).data, s if name == "softmax" else np.log(s),
                               rtol=1e-12, atol=1e-14)
    check(method, x)
    check(lambda t, w: func(t) * w, x, w)  # a non-uniform upstream gradient


# ------------------------------------------------------------------------------------- shapes


@SETTINGS
@given(data=st.data(), shape=SHAPES)
def test_reshape(data, shape):
    x = leaf(data.draw(arrays(shape)))
    new = tuple(data.draw(st.permutations(list(shape)), label="new shape"))
    check(lambda t: t.reshape(new) * np.arange(x.size).reshape(new), x)
    check(lambda t: t.reshape(-1) * np.arange(x.size), x)
    check(lambda t: t.reshape(*new, 1), x)


@SETTINGS
@given(data=st.data(), shape=SHAPES)
def test_transpose(data, shape):
    x = leaf(data.draw(arrays(shape)))
    perm = tuple(data.draw(st.permutations(range(len(shape))), label="perm"))
    weights = np.arange(x.size, dtype=float).reshape(np.transpose(x.data, perm).shape)
    out = x.transpose(perm)
    np.testing.assert_array_equal(out.data, np.transpose(x.data, perm))
    check(lambda t: t.transpose(perm) * weights, x)
    rev = np.arange(x.size, dtype=float).reshape(shape[::-1])
    check(lambda t: t.transpose() * rev, x)
    check(lambda t: t.T * rev, x)


def test_transpose_with_negative_axes():
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    y = x.transpose(-1, 0, 1)
    np.testing.assert_array_equal(y.data, np.transpose(x.data, (2, 0, 1)))
    w = np.arange(24.0).reshape(y.shape)
    (y * w).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.transpose(w, (1, 2, 0)))


@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_basic_indexing(data, shape):
    x = leaf(data.draw(arrays(shape)))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True),
                      label="index")
    out = x[index]
    np.testing.assert_array_equal(out.data, x.data[index])
    w = np.arange(1.0, out.size + 1).reshape(out.shape)
    check(lambda t: t[index] * w, x)
    # the gradient is the weights scattered to their place, zeros elsewhere
    x.grad = None
    (x[index] * w).sum().backward()
    expected = np.zeros(shape)
    expected[index] = w
    np.testing.assert_array_equal(x.grad.data, expected)


@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_integer_array_indexing_accumulates_repeats(data, shape):
    x = leaf(data.draw(arrays(shape)))
    index = data.draw(hnp.integer_array_indices(shape), label="index")
    out = x[index]
    np.testing.assert_array_equal(out.data, x.data[index])
    w = np.arange(1.0, out.size + 1).reshape(out.shape)
    check(lambda t: t[index] * w, x)
    x.grad = None
    (x[index] * w).sum().backward()
    expected = np.zeros(shape)
    np.add.at(expected, index, w)
    np.testing.assert_array_equal(x.grad.data, expected)


@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_boolean_mask_indexing(data, shape):
    x = leaf(data.draw(arrays(shape)))
    mask = data.draw(hnp.arrays(np.bool_, shape), label="mask")
    out = x[mask]
    np.testing.assert_array_equal(out.data, x.data[mask])
    w = np.arange(1.0, out.size + 1)
    x.grad = None
    (x[mask] * w).sum().backward()
    expected = np.zeros(shape)
    expected[mask] = w
    np.testing.assert_array_equal(x.grad.data, expected)
    if mask.any():
        check(lambda t: t[mask] * w, x)


def test_repeated_indices_accumulate_exactly():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    y = x[[0, 0, 0, 3, 1, 3]]
    y.backward(np.array([1.0, 10.0, 100.0, 1000.0, 0.5, 2.0]))
    np.testing.assert_array_equal(x.grad.data, [111.0, 0.5, 0.0, 1002.0])
    m = leaf(np.arange(12.0).reshape(3, 4))
    (m[[2, 2], 1:3] * 2).sum().backward()  # advanced + slice, repeated row
    expected = np.zeros((3, 4))
    expected[2, 1:3] = 4.0
    np.testing.assert_array_equal(m.grad.data, expected)
    m.grad = None
    m[:, [0, 0]].sum().backward()
    np.testing.assert_array_equal(m.grad.data[:, 0], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(m.grad.data[:, 1:], 0.0)


@pytest.mark.parametrize("op", ["concatenate", "stack"])
@SETTINGS
@given(data=st.data(), shape=NONEMPTY, n=st.integers(1, 3))
def test_concatenate_and_stack(op, data, shape, n):
    ndim = len(shape) + (op == "stack")
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    xs = []
    for _ in range(n):
        s = list(shape)
        if op == "concatenate":
            s[axis] = data.draw(st.integers(1, 3))
        xs.append(leaf(data.draw(arrays(tuple(s)))))
    fn = lambda *ts: getattr(am, op)(list(ts), axis=axis)
    out = fn(*xs)
    np.testing.assert_array_equal(out.data, getattr(np, op)([x.data for x in xs], axis=axis))
    w = np.arange(1.0, out.size + 1).reshape(out.shape)
    check(lambda *ts: fn(*ts) * w, *xs)


def test_concatenate_with_a_constant_and_a_tensor_used_twice():
    a = leaf([1.0, 2.0])
    out = am.concatenate([a, np.array([5.0]), a * 3], axis=0)
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 5.0, 3.0, 6.0])
    out.backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(a.grad.data, [1.0 + 12.0, 2.0 + 15.0])


# ------------------------------------------------------------------------------------ matmul

MATMUL = hnp.mutually_broadcastable_shapes(
    signature="(m?,n),(n,p?)->(m?,p?)", max_dims=4, max_side=3
)


@SETTINGS
@given(data=st.data(), shapes=MATMUL)
def test_matmul_all_shapes(data, shapes):
    sa, sb = shapes.input_shapes
    a = leaf(data.draw(arrays(sa)))
    b = leaf(data.draw(arrays(sb)))
    out = a @ b
    assert out.shape == shapes.result_shape == np.matmul(a.data, b.data).shape
    np.testing.assert_allclose(out.data, np.matmul(a.data, b.data), rtol=1e-14)
    check(lambda a, b: a @ b, a, b)
    check(lambda a, b: am.matmul(a, b).tanh(), a, b)
    out.backward(np.ones(out.shape))
    assert a.grad.shape == sa and b.grad.shape == sb


# ----------------------------------------------------------------- fused network primitives


@SETTINGS
@given(data=st.data(), n=st.integers(1, 3), n_in=st.integers(1, 3), n_out=st.integers(1, 3),
       batched=st.booleans())
def test_affine(data, n, n_in, n_out, batched):
    x = leaf(data.draw(arrays((n, n_in) if batched else (n_in,))))
    w = leaf(data.draw(arrays((n_out, n_in))))
    b = leaf(data.draw(arrays((n_out,))))
    out = ops.affine(x, w, b)
    np.testing.assert_allclose(out.data, x.data @ w.data.T + b.data, rtol=1e-14)
    check(ops.affine, x, w, b)
    check(lambda x, w, b: am.affine(x, w, b).sigmoid(), x, w, b)


@SETTINGS
@given(data=st.data(), n=st.integers(1, 3), k=st.integers(1, 4), batched=st.booleans())
def test_cost_functions(data, n, k, batched):
    shape = (n, k) if batched else (k,)
    N = n if batched else 1
    z = leaf(data.draw(arrays(shape, _grid(-3, 3))))
    y = leaf(data.draw(arrays(shape, _grid(0, 1))))
    onehot = np.eye(k)[data.draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, k - 1)))]
    # forward values against the textbook formulas
    a = 1 / (1 + np.exp(-z.data))
    np.testing.assert_allclose(am.quadratic_cost(z, y).data,
                               0.5 * np.sum((z.data - y.data) ** 2) / N, rtol=1e-13)
    np.testing.assert_allclose(am.bce_with_logits(z, y).data,
                               -np.sum(y.data * np.log(a) + (1 - y.data) * np.log(1 - a)) / N,
                               rtol=1e-12)
    sm = np.exp(z.data) / np.exp(z.data).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(am.softmax_cross_entropy(z, Tensor(onehot)).data,
                               -np.sum(onehot * np.log(sm)) / N, rtol=1e-12)
    # gradients with respect to both logits and targets
    check(am.quadratic_cost, z, y)
    check(am.bce_with_logits, z, y)
    check(am.softmax_cross_entropy, z, leaf(onehot))
    check(am.softmax_cross_entropy, z, y)  # soft (unnormalised) targets too
    # closed forms of the logit gradients
    z.grad = None
    am.softmax_cross_entropy(z, onehot).backward()
    np.testing.assert_allclose(z.grad.data, (sm - onehot) / N, rtol=1e-12, atol=1e-15)
    z.grad = None
    am.bce_with_logits(z, y.data).backward()
    np.testing.assert_allclose(z.grad.data, (a - y.data) / N, rtol=1e-12, atol=1e-15)


def test_cost_target_gradient_has_the_target_shape():
    z = leaf([0.0, 1.0, 2.0])
    y = leaf([[0.5, 0.5, 0.5]])
    try:
        c = am.bce_with_logits(z, y)
    except ValueError:
        return  # rejecting the mismatched shapes is fine too
    c.backward()
    assert y.grad.shape == (1, 3)
    np.testing.assert_allclose(y.grad.data, [[0.0, -1.0, -2.0]])


def test_concatenate_axis_none():
    a, b = leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([5.0, 6.0])
    try:
        out = am.concatenate([a, b], axis=None)
    except ValueError as err:
        assert str(err).startswith("concatenate")  # refusing axis=None is fine too
        return
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    out.backward(np.arange(6.0))
    np.testing.assert_array_equal(a.grad.data, [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(b.grad.data, [4.0, 5.0])


@SETTINGS
@given(data=st.data(), shape=SHAPES)
def test_astype_round_trip_is_differentiable(data, shape):
    x = leaf(data.draw(arrays(shape)))
    fn = lambda t: t.astype("float32").astype("float64") * 2
    out = fn(x)
    assert out.dtype == np.float64 and out.requires_grad
    # through float32: a step far above float32 rounding (the function is linear)
    assert gradcheck(fn, [x], eps=1e-2, atol=1e-5, rtol=1e-5)
    check(lambda t: t.astype("float64") * t, x)


@SETTINGS
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                                 max_side=3))
def test_broadcasting_three_way_composite(data, shapes):
    a, b, c = (leaf(data.draw(arrays(s, POSITIVE))) for s in shapes.input_shapes)
    fn = lambda a, b, c: (a * b + c).log() / (c + b).sqrt() - a.sigmoid() * c
    assert fn(a, b, c).shape == shapes.result_shape
    check(fn, a, b, c)


# --------------------------------------------------------------------------- closed forms


def _jacobian(fn, x):
    """The full Jacobian d fn(x) / dx by one grad() per output element."""
    out = fn(x)
    jac = np.zeros((out.size, x.size))
    for k in range(out.size):
        seed = np.zeros(out.shape)
        seed.flat[k] = 1.0
        (g,) = am.grad(out, x, grad_outputs=seed, retain_graph=True)
        jac[k] = g.data.ravel()
    return jac


def test_elementwise_closed_forms(rng):
    x = rng.uniform(0.2, 3.0, (4, 5))
    cases = [
        (lambda t: t.exp(), np.exp(x)),
        (lambda t: t.log(), 1 / x),
        (lambda t: t.sqrt(), 0.5 / np.sqrt(x)),
        (lambda t: t.tanh(), 1 - np.tanh(x) ** 2),
        (lambda t: (t - 1.5).abs(), np.sign(x - 1.5)),
        (lambda t: (t - 1.5).relu(), (x > 1.5).astype(float)),
        (lambda t: t**2.5, 2.5 * x**1.5),
        (lambda t: 3.0**t, 3.0**x * np.log(3.0)),
    ]
    for fn, expected in cases:
        t = leaf(x)
        fn(t).backward(np.ones(x.shape))
        np.testing.assert_allclose(t.grad.data, expected, rtol=1e-14, atol=0)


def test_sigmoid_backward_is_sigma_times_one_minus_sigma(rng):
    x = rng.uniform(-8, 8, 50)
    t = leaf(x)
    s = t.sigmoid()
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(s.data, sig, rtol=1e-15)
    s.backward(np.ones(50))
    # exactly the closed form computed from the forward value
    np.testing.assert_array_equal(t.grad.data, s.data * (1 - s.data))


def test_sigmoid_is_stable_at_plus_minus_1000():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            z = Tensor(np.array([1000.0, -1000.0, 0.0, 745.0, -745.0], dtype=dtype),
                       requires_grad=True)
            s = z.sigmoid()
            assert s.dtype == dtype
            assert np.all(np.isfinite(s.data))
            # exact up to the smallest normal number (the true σ(-1000) underflows)
            tiny = np.finfo(dtype).tiny
            np.testing.assert_allclose(s.data, [1.0, 0.0, 0.5, 1.0, 0.0], rtol=0, atol=tiny)
            assert 0.0 <= s.data.min() and s.data.max() <= 1.0
            s.backward(np.ones(5, dtype=dtype))
            assert np.all(np.isfinite(z.grad.data))
            np.testing.assert_allclose(z.grad.data, [0.0, 0.0, 0.25, 0.0, 0.0], rtol=0,
                                       atol=tiny)


def test_logsumexp_softmax_stable_for_huge_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = leaf([[1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, -1000.0]])
        lse = x.logsumexp(axis=1)
        np.testing.assert_allclose(lse.data, [1000 + np.log(2), -1000 + np.log(2), 1000.0],
                                   rtol=1e-15)
        lse.backward(np.ones(3))
        np.testing.assert_allclose(x.grad.data, [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])
        np.testing.assert_allclose(Tensor([1000.0, 1000.0]).logsumexp().data,
                                   1000 + np.log(2), rtol=1e-15)
        y = leaf([1000.0, -1000.0])
        sm = y.softmax()
        np.testing.assert_array_equal(sm.data, [1.0, 0.0])
        ls = y.log_softmax()
        np.testing.assert_allclose(ls.data, [0.0, -2000.0])
        ls.backward(np.array([1.0, 0.0]))
        np.testing.assert_allclose(y.grad.data, [0.0, 0.0], atol=1e-300)
        z = leaf([[1000.0, -1000.0, 0.0]])
        ce = am.softmax_cross_entropy(z, np.array([[0.0, 1.0, 0.0]]))
        np.testing.assert_allclose(ce.data, 2000.0)
        bce = am.bce_with_logits(leaf([1000.0, -1000.0]), np.array([0.0, 1.0]))
        np.testing.assert_allclose(bce.data, 2000.0)


def test_softmax_jacobian_is_diag_s_minus_s_sT(rng):
    x = rng.standard_normal(5)
    J = _jacobian(lambda t: t.softmax(), leaf(x))
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)
    # along axis 0 of a matrix: one such block per column
    m = rng.standard_normal((3, 2))
    J = _jacobian(lambda t: t.softmax(axis=0), leaf(m))
    sm = np.exp(m) / np.exp(m).sum(axis=0)
    for j in range(2):
        block = J[j::2, j::2]
        np.testing.assert_allclose(block, np.diag(sm[:, j]) - np.outer(sm[:, j], sm[:, j]),
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(J[j::2, 1 - j::2], 0.0)


def test_log_softmax_jacobian(rng):
    x = rng.standard_normal(4)
    J = _jacobian(lambda t: t.log_softmax(), leaf(x))
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(J, np.eye(4) - s[None, :], rtol=1e-12, atol=1e-15)


def test_logsumexp_gradient_is_softmax(rng):
    x = rng.standard_normal((3, 4)) * 3
    for axis in (None, 0, 1, -1, (0, 1)):
        t = leaf(x)
        t.logsumexp(axis=axis).backward(np.ones(np.sum(x, axis=axis).shape))
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(t.grad.data, e / e.sum(axis=axis, keepdims=True),
                                   rtol=1e-13)


def test_matmul_gradients_are_G_Bt_and_At_G(rng):
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    G = rng.standard_normal((3, 5))
    a, b = leaf(A), leaf(B)
    (a @ b).backward(G)
    np.testing.assert_allclose(a.grad.data, G @ B.T, rtol=1e-14)
    np.testing.assert_allclose(b.grad.data, A.T @ G, rtol=1e-14)
    # stacked batches with a broadcast batch dimension: the shared operand sums over batches
    A3, G3 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))
    a3, b = leaf(A3), leaf(B)
    (a3 @ b).backward(G3)
    np.testing.assert_allclose(a3.grad.data, G3 @ B.T, rtol=1e-14)
    np.testing.assert_allclose(b.grad.data, np.einsum("bij,bik->jk", A3, G3), rtol=1e-13)
    # vector cases: outer products and matrix-vector products
    v, M, g = rng.standard_normal(4), rng.standard_normal((4, 5)), rng.standard_normal(5)
    tv, tm = leaf(v), leaf(M)
    (tv @ tm).backward(g)
    np.testing.assert_allclose(tv.grad.data, M @ g, rtol=1e-14)
    np.testing.assert_allclose(tm.grad.data, np.outer(v, g), rtol=1e-14)
    u, w = leaf(v), leaf(rng.standard_normal(4))
    (u @ w).backward(np.array(2.0))
    np.testing.assert_allclose(u.grad.data, 2 * w.data)
    np.testing.assert_allclose(w.grad.data, 2 * v)


def test_reduction_closed_forms():
    x = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    t = leaf(x)
    t.sum(axis=1).backward(np.array([2.0, 3.0]))
    np.testing.assert_array_equal(t.grad.data, [[2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    t = leaf(x)
    t.mean(axis=0, keepdims=True).backward(np.array([[3.0, 6.0, 9.0]]))
    np.testing.assert_array_equal(t.grad.data, [[1.5, 3.0, 4.5], [1.5, 3.0, 4.5]])
    t = leaf(x)
    t.mean().backward()
    np.testing.assert_allclose(t.grad.data, np.full((2, 3), 1 / 6))
    t = leaf(x)
    t.max(axis=-1).backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(t.grad.data, [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    t = leaf(x)
    t.max(axis=(0, 1), keepdims=True).backward(np.ones((1, 1)))
    np.testing.assert_array_equal(t.grad.data, [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def test_max_splits_the_gradient_between_ties():
    t = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 4.0]])
    t.max(axis=1).backward(np.array([1.0, 3.0, 5.0]))
    np.testing.assert_allclose(t.grad.data, [[0, 0.5, 0.5], [1, 1, 1], [0, 0, 5]], rtol=1e-15)
    t = leaf([[7.0, 1.0], [7.0, 7.0]])
    t.max().backward()
    np.testing.assert_allclose(t.grad.data, [[1 / 3, 0], [1 / 3, 1 / 3]], rtol=1e-15)


def test_power_exponent_gradient_at_zero_base():
    x = Tensor([0.0, 2.0])
    y = leaf([2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x**y).sum().backward()
    np.testing.assert_allclose(y.grad.data, [0.0, 8 * np.log(2)])


# ------------------------------------------------------------------ gradcheck on a bad rule


def _wrong_square():
    """x² whose reverse rule is wrong (3x instead of 2x) for elements above 1.9 only."""
    sq = ad.primitive("wrong_square")(np.square)
    ad.defvjp(sq, lambda g, ans, x: g * np.where(x > 1.9, 3 * x, 2 * x))
    return sq


def test_gradcheck_passes_on_correct_functions(rng):
    x = leaf(rng.uniform(0.5, 1.5, (2, 3)))
    w = leaf(rng.standard_normal((3, 2)))
    assert gradcheck(lambda x, w: (x @ w).tanh().sum(axis=0), [x, w]) is True
    assert gradcheck(lambda x: x.log().softmax(), x) is True
    good = ad.primitive("good_square")(np.square)
    ad.defvjp(good, lambda g, ans, x: 2 * g * x)
    assert gradcheck(good, [leaf([0.5, 1.0, 2.0])]) is True


def test_gradcheck_catches_a_wrong_primitive():
    sq = _wrong_square()
    x = leaf([0.5, 1.0, 2.0])
    with pytest.raises(am.GradcheckError) as info:
        gradcheck(sq, [x])
    msg = str(info.value)
    assert "input 0" in msg
    assert "element (2,)" in msg
    assert gradcheck(sq, [x], raise_exception=False) is False
    # the wrong input is named among several, and the element in a matrix
    a = leaf([[1.0, 0.5], [0.25, 2.0]])
    b = leaf([[1.0, 1.5], [0.5, 0.75]])
    with pytest.raises(am.GradcheckError) as info:
        gradcheck(lambda b, a: b * sq(a), [b, a])
    msg = str(info.value)
    assert "input 1" in msg and "element (1, 1)" in msg
    assert issubclass(am.GradcheckError, AssertionError)


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t * 2, [Tensor([1.0])])


# -------------------------------------------------------- forward-mode rules (jvp) vs vjp

JVP_CASES = {
    "add": (lambda a, b: a + b, [(2, 3), (3,)]),
    "sub": (lambda a, b: a - b, [(2, 1), (1, 3)]),
    "mul": (lambda a, b: a * b, [(2, 3), (2, 1)]),
    "div": (lambda a, b: a / (b * b + 1), [(2, 3), (3,)]),
    "pow": (lambda a, b: (a * a + 1) ** b, [(2, 3), (2, 3)]),
    "neg": (lambda a: -a, [(3,)]),
    "exp": (lambda a: a.exp(), [(2, 3)]),
    "log": (lambda a: (a * a + 1).log(), [(2, 3)]),
    "sqrt": (lambda a: (a * a + 1).sqrt(), [(2, 3)]),
    "abs": (lambda a: a.abs(), [(2, 3)]),
    "sigmoid": (lambda a: a.sigmoid(), [(2, 3)]),
    "tanh": (lambda a: a.tanh(), [(2, 3)]),
    "relu": (lambda a: a.relu(), [(2, 3)]),
    "cast": (lambda a: a.astype("float32").astype("float64"), [(2, 3)]),
    "reshape": (lambda a: a.reshape(3, 2), [(2, 3)]),
    "transpose": (lambda a: a.transpose(1, 2, 0), [(2, 3, 4)]),
    "sum": (lambda a: a.sum(axis=(0, 2)), [(2, 3, 4)]),
    "mean": (lambda a: a.mean(axis=-1, keepdims=True), [(2, 3)]),
    "max": (lambda a: a.max(axis=0), [(3, 4)]),
    "logsumexp": (lambda a: a.logsumexp(axis=1), [(3, 4)]),
    "softmax": (lambda a: a.softmax(axis=0), [(3, 4)]),
    "log_softmax": (lambda a: a.log_softmax(), [(3, 4)]),
    "matmul": (lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    "matvec": (lambda a, b: a @ b, [(3, 4), (4,)]),
    "getitem": (lambda a: a[[0, 0, 2], 1:], [(3, 4)]),
    "mask": (lambda a: a[a.data > 0], [(3, 4)]),
    "concatenate": (lambda a, b: am.concatenate([a, b, a], axis=-1), [(2, 3), (2, 1)]),
    "stack": (lambda a, b: am.stack([a, b], axis=1), [(2, 3), (2, 3)]),
    "affine": (am.affine, [(4, 3), (2, 3), (2,)]),
    "quadratic_cost": (am.quadratic_cost, [(4, 3), (4, 3)]),
    "bce_with_logits": (am.bce_with_logits, [(4, 3), (4, 3)]),
    "softmax_cross_entropy": (am.softmax_cross_entropy, [(4, 3), (4, 3)]),
}


@pytest.mark.parametrize("name", sorted(JVP_CASES))
def test_forward_mode_agrees_with_reverse_mode(name, rng):
    """The dot-product test <J t, u> = <t, Jᵀ u>, and J t against finite differences."""
    fn, shapes = JVP_CASES[name]
    xs = [rng.standard_normal(s) for s in shapes]
    ts = [rng.standard_normal(s) for s in shapes]
    inputs = [leaf(x) for x in xs]
    with forward_mode():
        for t, tan in zip(inputs, ts, strict=True):
            t.tangent = tan
        out = fn(*inputs)
    assert out.tangent is not None
    jvp = np.asarray(out.tangent)
    assert jvp.shape == out.shape
    u = rng.standard_normal(out.shape)
    out.backward(u)
    lhs = np.sum(jvp * u)
    rhs = sum(np.sum(t * x.grad.data) for t, x in zip(ts, inputs, strict=True))
    if name == "cast":  # through float32: no finite differences, float32 accuracy
        np.testing.assert_allclose(lhs, rhs, rtol=1e-6)
        return
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-12)
    eps = 1e-6
    up = fn(*[Tensor(x + eps * t) for x, t in zip(xs, ts, strict=True)]).data
    down = fn(*[Tensor(x - eps * t) for x, t in zip(xs, ts, strict=True)]).data
    np.testing.assert_allclose(jvp, (up - down) / (2 * eps), rtol=1e-5, atol=1e-6)
