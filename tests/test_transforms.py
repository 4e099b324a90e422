"""Derivatives of derivatives: nested ``jvp`` (each call a level of forward mode), ``jvp`` and
``grad`` composed both ways, the function transforms ``value_and_grad`` / ``elementwise_grad``,
and ``jacobian`` / ``hessian`` of functions of several inputs and outputs — against closed forms,
against each other and against ``torch.autograd.functional``."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor, elementwise_grad, ops, value_and_grad
from autograd_mini.functional import hessian, hvp, jacobian, jvp, vjp

rng = np.random.default_rng(11)
A = rng.standard_normal((4, 4))
A = A + A.T
C = Tensor(A)


def f(x):
    """A scalar function with a known Hessian: ∇f = x²/2 + A x + (1 − tanh² x),
    H = diag(x − 2 tanh x (1 − tanh² x)) + A."""
    return (x * x * x).sum() / 6 + x @ (C @ x) / 2 + ops.tanh(x).sum()


def hess_f(x):
    t = np.tanh(x)
    return np.diag(x - 2 * t * (1 - t * t)) + A


X0, U, V = (rng.standard_normal(4) for _ in range(3))


# --------------------------------------------------------------------------- nested forward


def test_jvp_of_jvp_is_the_second_derivative():
    """It used to return zeros: the inner jvp dropped the outer tangent."""
    value, uHv = jvp(lambda x: jvp(f, x, V)[1], X0, U)
    np.testing.assert_allclose(uHv.item(), U @ hess_f(X0) @ V, rtol=1e-12)
    np.testing.assert_allclose(value.item(), jvp(f, X0, V)[1].item(), rtol=1e-14)
    # and against reverse-over-reverse
    np.testing.assert_allclose(uHv.item(), U @ hessian(f, X0).data @ V, rtol=1e-12)


def test_jvp_of_jvp_of_a_vector_function_and_of_the_tangent_direction():
    g = lambda x: ops.tanh(x) * x
    x0 = np.array([0.3, -0.7, 1.1])
    # d/dx [J(x) v] · u for an elementwise g: g''(x) u v
    _, out = jvp(lambda x: jvp(g, x, V[:3])[1], x0, U[:3])
    gpp = elementwise_grad(elementwise_grad(g))(x0).data
    np.testing.assert_allclose(out.data, gpp * U[:3] * V[:3], rtol=1e-12)
    # the inner result is linear in the direction: d/dv [J v] · w = J w
    w = np.array([1.0, 2.0, -1.0])
    _, out = jvp(lambda v: jvp(g, Tensor(x0), v)[1], V[:3], w)
    np.testing.assert_allclose(out.data, jvp(g, x0, w)[1].data, rtol=1e-14)


def test_third_order_by_three_nested_jvps():
    x0 = np.array([0.5, -1.5])
    h = lambda x: (x ** 4).sum() + ops.exp(x[0] * x[1])
    d3 = jvp(lambda a: jvp(lambda b: jvp(h, b, np.array([1.0, 0.0]))[1], a,
                           np.array([1.0, 0.0]))[1], x0, np.array([0.0, 1.0]))[1]
    # ∂³/∂x₀²∂x₁ of exp(x₀x₁) = e^{x₀x₁} x₁ (2 + x₀ x₁)
    p = x0[0] * x0[1]
    np.testing.assert_allclose(d3.item(), np.exp(p) * x0[1] * (2 + p), rtol=1e-12)


def test_a_plain_jvp_records_nothing_and_costs_what_it_did():
    with am.count_ops() as c:
        value, t = jvp(f, X0, V)
    assert not value.requires_grad and not t.requires_grad
    with am.count_ops() as plain:
        f(Tensor(X0))
    assert c.forward == plain.forward  # no extra operations for the levels


def test_a_tensor_kept_from_one_jvp_carries_no_tangent_into_the_next():
    kept = []

    def remember(x):
        kept.append(x * 2)
        return kept[-1]

    jvp(remember, np.ones(2), np.ones(2))
    _, t = jvp(lambda x: x + kept[0], np.ones(2), np.ones(2))
    np.testing.assert_array_equal(t.data, [1.0, 1.0])  # was 3: the first jvp's tangent of 2


# --------------------------------------------------------------- forward and reverse composed


def test_jvp_of_value_and_grad_is_forward_over_reverse():
    _, Hu = jvp(lambda x: value_and_grad(f)(x)[1], X0, U)
    np.testing.assert_allclose(Hu.data, hess_f(X0) @ U, rtol=1e-12)
    np.testing.assert_allclose(Hu.data, hvp(f, X0, U)[1].data, rtol=1e-12)


def test_grad_of_jvp_is_reverse_over_forward():
    value, g = value_and_grad(lambda x: jvp(f, x, V)[1])(X0)
    np.testing.assert_allclose(g.data, hess_f(X0) @ V, rtol=1e-12)
    # and with grad() on a Tensor that requires grad
    x = Tensor(X0, requires_grad=True)
    _, Jv = jvp(f, x, V)
    assert Jv.requires_grad
    np.testing.assert_allclose(am.grad(Jv, x)[0].data, hess_f(X0) @ V, rtol=1e-12)
    assert x.grad is None


def test_grad_of_grad_by_transforms_is_reverse_over_reverse():
    d2 = elementwise_grad(elementwise_grad(ops.tanh))(X0)
    t = np.tanh(X0)
    np.testing.assert_allclose(d2.data, -2 * t * (1 - t * t), rtol=1e-12)
    rows = np.stack([value_and_grad(lambda x, i=i: value_and_grad(f)(x)[1][i])(X0)[1].data
                     for i in range(4)])
    np.testing.assert_allclose(rows, hess_f(X0), rtol=1e-12)


# ------------------------------------------------------------------ the function transforms


def test_value_and_grad_closed_forms_and_argnum():
    def loss(w, x, y, scale=1.0):
        return ((x @ w - y) ** 2).sum() * scale

    X = rng.standard_normal((5, 3))
    w, y = rng.standard_normal(3), rng.standard_normal(5)
    value, g = value_and_grad(loss)(w, X, y, scale=0.5)
    r = X @ w - y
    np.testing.assert_allclose(value.item(), 0.5 * r @ r, rtol=1e-14)
    np.testing.assert_allclose(g.data, X.T @ r, rtol=1e-13)
    assert not value.requires_grad and not g.requires_grad
    _, (gw, gy) = value_and_grad(loss, argnum=(0, 2))(w, X, y)
    np.testing.assert_allclose(gw.data, 2 * X.T @ r, rtol=1e-13)
    np.testing.assert_allclose(gy.data, -2 * r, rtol=1e-13)
    _, gx = value_and_grad(loss, 1)(w, X, y)
    np.testing.assert_allclose(gx.data, 2 * np.outer(r, w), rtol=1e-13)
    # integer data becomes float64; an unused argument has a zero gradient
    _, g = value_and_grad(lambda a, b: (Tensor(b) * 2).sum(), argnum=0)([1, 2], np.ones(2))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])
    assert value_and_grad(loss).__name__ == "loss"


def test_elementwise_grad_is_the_derivative_at_each_point():
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(elementwise_grad(ops.tanh)(x).data, 1 - np.tanh(x) ** 2,
                               rtol=1e-14)
    np.testing.assert_allclose(elementwise_grad(lambda t: t ** 3)(x).data, 3 * x ** 2,
                               rtol=1e-14)
    # for a non-elementwise f: the column sums of the Jacobian (HIPS's definition)
    W = rng.standard_normal((3, 9))
    np.testing.assert_allclose(elementwise_grad(lambda t: Tensor(W) @ t)(x).data,
                               W.sum(axis=0), rtol=1e-14)


def test_transform_errors():
    with pytest.raises(ValueError, match=r"must return a scalar.*\(3,\)"):
        value_and_grad(lambda t: t * 2)(np.ones(3))
    with pytest.raises(TypeError, match="must return a Tensor"):
        value_and_grad(lambda t: 3.0)(np.ones(3))
    with pytest.raises(TypeError, match="one Tensor, not a tuple"):
        elementwise_grad(lambda t: (t, t))(np.ones(3))
    with pytest.raises(IndexError, match="argnum 2"):
        value_and_grad(lambda a, b: (a * b).sum(), argnum=2)(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="argnum must be"):
        value_and_grad(lambda a: a.sum(), argnum="0")(np.ones(2))


# ------------------------------------------------ several inputs and outputs, against torch

torch = pytest.importorskip("torch")
TF = pytest.importorskip("torch.autograd.functional")


def _two_in_two_out(lib):
    if lib == "torch":
        return lambda x, y: (torch.tanh(x) * y.sum(), (x * x).sum() * y)
    return lambda x, y: (ops.tanh(x) * y.sum(), (x * x).sum() * y)


def _as_np(tree):
    if isinstance(tree, tuple):
        return tuple(_as_np(t) for t in tree)
    return tree.detach().numpy() if isinstance(tree, torch.Tensor) else tree.data


def _assert_same_tree(ours, theirs):
    assert isinstance(ours, tuple) == isinstance(theirs, tuple)
    if isinstance(ours, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _assert_same_tree(a, b)
    else:
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_several_inputs_and_outputs_is_structured_like_torch(mode):
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    T = lambda a: torch.tensor(a)
    fo, ft = _two_in_two_out("ours"), _two_in_two_out("torch")
    cases = [
        (fo, ft, (x, y)),  # a tuple of tuples: J[o][i]
        (lambda a: fo(a, Tensor(y)), lambda a: ft(a, T(y)), x),  # a tuple over outputs
        (lambda a, b: fo(a, b)[0], lambda a, b: ft(a, b)[0], (x, y)),  # over inputs
        (lambda a: fo(a, Tensor(y))[1], lambda a: ft(a, T(y))[1], x),  # one Tensor
    ]
    for ours, theirs, primals in cases:
        tp = tuple(T(p) for p in primals) if isinstance(primals, tuple) else T(primals)
        _assert_same_tree(_as_np(jacobian(ours, primals, mode=mode)),
                          _as_np(TF.jacobian(theirs, tp)))


@pytest.mark.parametrize("mode", ["reverse-over-reverse", "forward-over-reverse"])
def test_hessian_of_several_inputs_is_structured_like_torch(mode):
    x, w = rng.standard_normal((2, 3)), rng.standard_normal(3)
    fo = lambda a, b: (ops.tanh(a @ b) ** 2).sum() + (a * a).sum() * b[0]
    ft = lambda a, b: (torch.tanh(a @ b) ** 2).sum() + (a * a).sum() * b[0]
    ours = hessian(fo, (x, w), mode=mode)
    theirs = TF.hessian(ft, (torch.tensor(x), torch.tensor(w)))
    _assert_same_tree(_as_np(ours), _as_np(theirs))
    assert ours[0][1].shape == (2, 3, 3) and ours[1][0].shape == (3, 2, 3)
    np.testing.assert_allclose(ours[0][1].data, np.transpose(ours[1][0].data, (1, 2, 0)),
                               rtol=1e-12)  # ∂²f/∂a∂b and ∂²f/∂b∂a
    # one primal: one Tensor, as before
    H = hessian(f, X0, mode=mode)
    assert isinstance(H, Tensor) and H.shape == (4, 4)
    np.testing.assert_allclose(H.data, hess_f(X0), rtol=1e-12)


def test_hvp_and_vjp_of_several_inputs_and_outputs():
    x, w = rng.standard_normal(3), rng.standard_normal(3)
    fo = lambda a, b: (a * a * b).sum() + ops.exp(a @ b)
    (ga, gb), (ha, hb) = hvp(fo, (x, w), (U[:3], V[:3]))
    H = hessian(fo, (x, w))
    np.testing.assert_allclose(ha.data, H[0][0].data @ U[:3] + H[0][1].data @ V[:3], rtol=1e-12)
    np.testing.assert_allclose(hb.data, H[1][0].data @ U[:3] + H[1][1].data @ V[:3], rtol=1e-12)
    np.testing.assert_allclose(ga.data, 2 * x * w + np.exp(x @ w) * w, rtol=1e-13)
    (o1, o2), vjp_fn = vjp(_two_in_two_out("ours"), (x, w[:2]))
    gx, gy = vjp_fn((np.ones(3), np.array([1.0, -1.0])))
    J = jacobian(_two_in_two_out("ours"), (x, w[:2]))
    np.testing.assert_allclose(gx.data, np.ones(3) @ J[0][0].data + [1, -1] @ J[1][0].data)
    np.testing.assert_allclose(gy.data, np.ones(3) @ J[0][1].data + [1, -1] @ J[1][1].data)
    with pytest.raises(ValueError, match="tuple of 2"):
        vjp_fn(np.ones(3))
