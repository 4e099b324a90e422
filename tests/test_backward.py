"""The backward sweep: accumulation, graph freeing and retain_graph, grad modes, retain_grad,
higher-order derivatives (create_graph), ``grad()``, the safety of gradient buffers, and a chain
a million operations deep."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor, gradcheck


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def leaf(x):
    return Tensor(np.array(x, dtype=np.float64), requires_grad=True)


# ------------------------------------------------------------------------------- basics


def test_seed_example():
    a = Tensor(2.0, requires_grad=True)
    b = Tensor(1.0, requires_grad=True)
    e = (a + b) * (b + 1)
    assert e.item() == 6.0
    e.backward()
    assert a.grad.item() == 2.0
    assert b.grad.item() == 5.0
    assert isinstance(a.grad, Tensor) and a.grad.shape == ()


def test_tensor_used_many_times_accumulates(rng):
    x = rng.standard_normal(4)
    t = leaf(x)
    y = t * t * t + t.exp() * t - t  # every use of t contributes
    y.sum().backward()
    np.testing.assert_allclose(t.grad.data, 3 * x**2 + np.exp(x) * (1 + x) - 1, rtol=1e-14)


def test_diamond_chain_visits_each_node_once():
    """y = y + y, 200 times: 2**200 paths, but one sweep in topological order."""
    x = leaf(1.0)
    y = x
    for _ in range(200):
        y = y + y
    y.backward()
    assert x.grad.item() == 2.0**200
    assert y.item() == 2.0**200


def test_shared_subexpression_in_a_wide_graph():
    x = leaf([1.0, 2.0])
    h = x * 3  # used by all branches
    total = sum(((h * k).sum() for k in range(1, 11)), Tensor(0.0))
    total.backward()
    np.testing.assert_array_equal(x.grad.data, [3.0 * 55, 3.0 * 55])


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    a = leaf(2.0)
    b = leaf(1.0)
    for k in range(1, 4):
        e = (a + b) * (b + 1)
        e.backward()
        assert a.grad.item() == 2.0 * k
        assert b.grad.item() == 5.0 * k
    a.zero_grad()
    b.grad = None
    ((a + b) * (b + 1)).backward()
    assert a.grad.item() == 2.0 and b.grad.item() == 5.0


def test_leaf_root_backward():
    x = leaf([1.0, 2.0, 3.0])
    x.backward(np.array([4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(x.grad.data, [4.0, 5.0, 6.0])
    x.backward(np.array([1.0, 1.0, 1.0]))  # no graph to free: a second call just adds
    np.testing.assert_array_equal(x.grad.data, [5.0, 6.0, 7.0])
    s = leaf(3.0)
    s.backward()
    assert s.grad.item() == 1.0


def test_backward_with_gradient_argument(rng):
    x = rng.standard_normal((2, 3))
    g = rng.standard_normal((2, 3))
    t = leaf(x)
    (t * t).backward(g)
    np.testing.assert_allclose(t.grad.data, 2 * x * g, rtol=1e-15)
    # a Tensor as the gradient argument works too
    t2 = leaf(x)
    (t2 * 3).backward(Tensor(g))
    np.testing.assert_allclose(t2.grad.data, 3 * g, rtol=1e-15)


def test_constants_and_non_grad_inputs_get_no_grad():
    a = leaf([1.0, 2.0])
    c = Tensor([3.0, 4.0])
    (a * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])


# --------------------------------------------------------------------- freeing the graph


def test_graph_freed_after_backward_and_retain_graph_doubles():
    a = leaf([1.0, 2.0])
    y = (a.exp() * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()

    a = leaf([1.0, 2.0])
    y = (a.exp() * a).sum()
    y.backward(retain_graph=True)
    first = a.grad.data.copy()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(a.grad.data, 2 * first, rtol=1e-15)
    y.backward()  # the last one may free it
    np.testing.assert_allclose(a.grad.data, 3 * first, rtol=1e-15)
    with pytest.raises(RuntimeError):
        y.backward()


def test_freed_shared_subgraph_is_detected_from_another_root():
    a = leaf([1.0, 2.0])
    h = a.exp()
    y1 = (h * 2).sum()
    y2 = (h * 3).sum()
    y1.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y2.backward()  # y2's own node is fresh, but h's was freed by y1.backward()


def test_retain_graph_lets_a_second_root_share_the_subgraph():
    a = leaf([1.0, 2.0])
    h = a.exp()
    (h * 2).sum().backward(retain_graph=True)
    (h * 3).sum().backward()
    np.testing.assert_allclose(a.grad.data, 5 * np.exp([1.0, 2.0]), rtol=1e-15)


# ------------------------------------------------------------------------------ grad mode


def test_no_grad_context_records_nothing():
    a = leaf([1.0, 2.0])
    assert am.is_grad_enabled()
    with am.no_grad():
        assert not am.is_grad_enabled()
        y = (a * 2).exp().sum()
    assert am.is_grad_enabled()
    assert not y.requires_grad
    assert y.is_leaf and y.op is None and y.inputs == ()
    np.testing.assert_allclose(y.data, np.exp(2.0) + np.exp(4.0))


def test_no_grad_decorator():
    @am.no_grad()
    def f(t):
        assert not am.is_grad_enabled()
        return t * 3

    a = leaf([1.0])
    y = f(a)
    assert not y.requires_grad and y.is_leaf
    assert am.is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_decorator_inside_no_grad():
    @am.enable_grad()
    def g(t):
        return t * 5

    a = leaf([1.0, 2.0])
    with am.no_grad():
        w = g(a)
    assert w.requires_grad
    assert am.is_grad_enabled()


def test_grad_mode_restored_after_an_exception_in_a_decorated_function():
    @am.no_grad()
    def boom():
        raise KeyError

    with pytest.raises(KeyError):
        boom()
    assert am.is_grad_enabled()


def test_set_grad_enabled_decorator_and_context():
    @am.set_grad_enabled(False)
    def f(t):
        return t * 3

    a = leaf([1.0])
    assert not f(a).requires_grad
    assert am.is_grad_enabled()
    with am.set_grad_enabled(False):
        assert not am.is_grad_enabled()
        with am.set_grad_enabled(True):
            assert (a * 2).requires_grad
        assert not (a * 2).requires_grad
    assert am.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_nesting():
    a = leaf([1.0, 2.0])
    with am.no_grad():
        with am.enable_grad():
            assert am.is_grad_enabled()
            y = (a * a).sum()
        z = a * 2
        with am.no_grad():
            pass
        assert not am.is_grad_enabled()  # the inner no_grad restored "off", not "on"
    assert am.is_grad_enabled()
    assert y.requires_grad and not y.is_leaf
    assert not z.requires_grad
    y.backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, 4.0])


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with am.no_grad():
            raise ZeroDivisionError
    assert am.is_grad_enabled()
    ctx = am.no_grad()  # one object entered twice (nested) restores each level
    with ctx:
        with am.enable_grad():
            with ctx:
                assert not am.is_grad_enabled()
            assert am.is_grad_enabled()
    assert am.is_grad_enabled()


# ----------------------------------------------------------------------------- retain_grad


def test_non_leaf_grad_is_none_unless_retained(rng):
    x = rng.standard_normal(3)
    a = leaf(x)
    h = a * 2
    k = h.exp()
    k.retain_grad()
    y = (k * h).sum()
    y.backward()
    assert h.grad is None
    assert y.grad is None
    np.testing.assert_allclose(k.grad.data, 2 * x, rtol=1e-15)  # dy/dk = h
    np.testing.assert_allclose(a.grad.data, 2 * np.exp(2 * x) * (2 * x + 1), rtol=1e-14)


def test_retained_root_grad_is_ones():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    y.retain_grad()
    y.backward()
    assert y.grad.item() == 1.0


# --------------------------------------------------------------------------- higher order


def test_derivatives_of_x_cubed():
    x = leaf(2.0)
    y = x**3
    (d1,) = am.grad(y, x, create_graph=True)
    assert d1.item() == 12.0
    assert d1.requires_grad
    (d2,) = am.grad(d1, x, create_graph=True)
    assert d2.item() == 12.0
    (d3,) = am.grad(d2, x)
    assert d3.item() == 6.0
    assert x.grad is None  # grad() never touches .grad


def test_double_backward_via_backward_create_graph():
    x = leaf(2.0)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert g.item() == 12.0 and g.requires_grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0


def test_hessian_vector_product_of_quadratic_form(rng):
    n = 5
    A = rng.standard_normal((n, n))
    x0, v = rng.standard_normal(n), rng.standard_normal(n)
    x = leaf(x0)
    f = x @ (Tensor(A) @ x)
    np.testing.assert_allclose(f.item(), x0 @ A @ x0, rtol=1e-14)
    (g,) = am.grad(f, x, create_graph=True)
    np.testing.assert_allclose(g.data, (A + A.T) @ x0, rtol=1e-13)
    (hv,) = am.grad(g, x, grad_outputs=v, retain_graph=True)
    np.testing.assert_allclose(hv.data, (A + A.T) @ v, rtol=1e-13)
    # the full Hessian, row by row
    H = np.stack([am.grad(g, x, grad_outputs=np.eye(n)[i], retain_graph=True)[0].data
                  for i in range(n)])
    np.testing.assert_allclose(H, A + A.T, rtol=1e-13)


def _tanh_net(x, W1, b1, W2):
    return ((W2 @ (W1 @ x + b1).tanh()).tanh() ** 2).sum()


def test_hessian_vector_product_of_tanh_network_vs_finite_differences(rng):
    W1, b1 = Tensor(rng.standard_normal((4, 3))), Tensor(rng.standard_normal(4))
    W2 = Tensor(rng.standard_normal((2, 4)))
    x0, v = rng.standard_normal(3), rng.standard_normal(3)

    def gradient(at):
        t = leaf(at)
        return am.grad(_tanh_net(t, W1, b1, W2), t)[0].data

    x = leaf(x0)
    (g,) = am.grad(_tanh_net(x, W1, b1, W2), x, create_graph=True)
    np.testing.assert_allclose(g.data, gradient(x0), rtol=1e-14)
    (hv,) = am.grad(g, x, grad_outputs=v)
    eps = 1e-5
    fd = (gradient(x0 + eps * v) - gradient(x0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.data, fd, rtol=1e-6, atol=1e-8)
    # and the Hessian is symmetric: u·(H v) = v·(H u)
    u = rng.standard_normal(3)
    (g,) = am.grad(_tanh_net(x, W1, b1, W2), x, create_graph=True)
    hu = am.grad(g, x, grad_outputs=u)[0].data
    np.testing.assert_allclose(u @ hv.data, v @ hu, rtol=1e-12)


def _penalty(W, x0):
    """‖∇ₓ f(x; W)‖² for f = Σ tanh(x W)·c: a gradient penalty, differentiable in W."""
    x = leaf(x0)
    f = ((x @ W).tanh() * np.array([1.0, -2.0])).sum()
    (gx,) = am.grad(f, x, create_graph=True)
    return (gx * gx).sum()


def test_gradient_penalty_vs_finite_differences(rng):
    W0 = rng.standard_normal((3, 2))
    x0 = rng.standard_normal((4, 3))
    W = leaf(W0)
    p = _penalty(W, x0)
    assert p.requires_grad
    p.backward()
    eps = 1e-6
    fd = np.zeros_like(W0)
    for idx in np.ndindex(W0.shape):
        Wp, Wm = W0.copy(), W0.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        fd[idx] = (_penalty(Tensor(Wp), x0).item() - _penalty(Tensor(Wm), x0).item()) / (2 * eps)
    np.testing.assert_allclose(W.grad.data, fd, rtol=1e-6, atol=1e-9)
    # gradcheck agrees (fn differentiates inside)
    assert gradcheck(lambda W: _penalty(W, x0), [leaf(W0)])


def test_third_order_of_a_composite_function():
    # f(x) = exp(2x) sin-free composite: d³/dx³ exp(2x) * x = (8x + 12) exp(2x)
    x0 = 0.3
    x = leaf(x0)
    y = (x * 2).exp() * x
    (d1,) = am.grad(y, x, create_graph=True)
    (d2,) = am.grad(d1, x, create_graph=True)
    (d3,) = am.grad(d2, x)
    np.testing.assert_allclose(d1.item(), (2 * x0 + 1) * np.exp(2 * x0), rtol=1e-14)
    np.testing.assert_allclose(d2.item(), (4 * x0 + 4) * np.exp(2 * x0), rtol=1e-14)
    np.testing.assert_allclose(d3.item(), (8 * x0 + 12) * np.exp(2 * x0), rtol=1e-14)


# --------------------------------------------------------------------------------- grad()


def test_grad_returns_tuple_of_tensors_and_leaves_dot_grad_alone(rng):
    a, b = leaf(rng.standard_normal(3)), leaf(rng.standard_normal(3))
    a.grad = Tensor(np.full(3, 7.0))
    y = (a * b).sum()
    res = am.grad(y, [a, b])
    assert isinstance(res, tuple) and len(res) == 2
    assert all(isinstance(r, Tensor) for r in res)
    np.testing.assert_array_equal(res[0].data, b.data)
    np.testing.assert_array_equal(res[1].data, a.data)
    np.testing.assert_array_equal(a.grad.data, 7.0)  # untouched
    assert b.grad is None
    assert not res[0].requires_grad  # no create_graph: plain values


def test_grad_of_single_input_and_intermediate(rng):
    x0 = rng.standard_normal(3)
    x = leaf(x0)
    h = x.exp()
    h.retain_grad()
    y = (h * h).sum()
    gh, gx = am.grad(y, [h, x], retain_graph=True)
    np.testing.assert_allclose(gh.data, 2 * np.exp(x0), rtol=1e-15)
    np.testing.assert_allclose(gx.data, 2 * np.exp(2 * x0), rtol=1e-14)
    assert h.grad is None  # retain_grad does not make grad() write .grad
    (only,) = am.grad(y, x)
    np.testing.assert_allclose(only.data, gx.data)


def test_grad_outputs_and_multiple_outputs(rng):
    x0 = rng.standard_normal(3)
    x = leaf(x0)
    y1, y2 = x * 2, x * x
    u1, u2 = rng.standard_normal(3), rng.standard_normal(3)
    (g,) = am.grad([y1, y2], x, grad_outputs=[u1, u2])
    np.testing.assert_allclose(g.data, 2 * u1 + 2 * x0 * u2, rtol=1e-14)
    (g,) = am.grad(x * 3, x, grad_outputs=Tensor(u1))
    np.testing.assert_allclose(g.data, 3 * u1)


def test_grad_frees_the_graph_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    am.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        am.grad(y, x)
    y = (x.exp() * 2).sum()
    g1 = am.grad(y, x, retain_graph=True)[0].data
    g2 = am.grad(y, x)[0].data
    np.testing.assert_array_equal(g1, g2)  # grad() does not accumulate between calls


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    gx, gu = am.grad((x * 3).sum(), [x, unused], allow_unused=True)
    assert gu is None
    assert gx.item() == 3.0


def test_grad_create_graph_results_are_differentiable():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    (gx,) = am.grad((x * x * w).sum(), x, create_graph=True)
    assert gx.requires_grad
    np.testing.assert_array_equal(gx.data, [6.0, -4.0])  # 2 x w
    gx.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])  # d(Σ 2 x w)/dw = 2 x
    np.testing.assert_array_equal(x.grad.data, [6.0, -2.0])  # d(Σ 2 x w)/dx = 2 w


# ------------------------------------------------------------------- gradient buffer safety


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x,  # the leaf is the root
        lambda x: x + 0.0,
        lambda x: x * 1.0,
        lambda x: x.reshape(3, 2),
        lambda x: x.transpose(),
        lambda x: x.astype("float64"),
        lambda x: x[...],
        lambda x: x[:, :],
        lambda x: +x,
        lambda x: (x + 0.0) + (x * 1.0) - x,
    ],
    ids=["leaf", "add0", "mul1", "reshape", "transpose", "astype", "ellipsis", "slice",
         "pos", "mixed"],
)
def test_user_gradient_array_is_never_modified(fn, rng):
    x = leaf(rng.standard_normal((2, 3)))
    y = fn(x)
    g = rng.standard_normal(y.shape)
    keep = g.copy()
    y.backward(g, retain_graph=True)
    assert not np.shares_memory(x.grad.data, g)
    y.backward(g, retain_graph=True)
    y.backward(g)
    np.testing.assert_array_equal(g, keep)
    assert x.grad is not None
    # and the float32 path (the gradient argument is converted) too
    x32 = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    y32 = fn(x32).astype("float32")
    g32 = np.ones(y32.shape, np.float32)
    y32.backward(g32, retain_graph=True)
    y32.backward(g32)
    np.testing.assert_array_equal(g32, 1.0)


def test_user_gradient_tensor_is_never_modified_with_create_graph():
    x = leaf([1.0, 2.0])
    g = Tensor([1.0, 1.0])
    x.backward(g, create_graph=True)
    x.backward(g)
    (x * 1.0).backward(g)
    np.testing.assert_array_equal(g.data, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_add_gives_independent_grad_buffers():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a + b
    y.backward(np.ones(2), retain_graph=True)
    y.backward(np.ones(2))
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0])
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0] = 100.0
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0])
    # one backward only, with the default seed of ones for a scalar
    c, d = leaf(1.0), leaf(2.0)
    s = c + d
    s.backward()
    assert not np.shares_memory(c.grad.data, d.grad.data)
    c.grad.data[...] = 5.0
    assert d.grad.item() == 1.0


def test_grads_independent_of_retained_intermediate_grads():
    a = leaf([1.0, 2.0])
    h = a.reshape(2)
    h.retain_grad()
    k = h + 0.0
    k.retain_grad()
    k.backward(np.array([1.0, 1.0]), retain_graph=True)
    k.backward(np.array([1.0, 1.0]))
    buffers = [a.grad.data, h.grad.data, k.grad.data]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.shares_memory(buffers[i], buffers[j])
    a.grad.data[:] = -1
    np.testing.assert_array_equal(h.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(k.grad.data, [2.0, 2.0])


def test_grad_results_do_not_alias_user_arrays():
    x = leaf([1.0, 2.0])
    u = np.array([3.0, 4.0])
    (g,) = am.grad(x + 0.0, x, grad_outputs=u)
    g.data[:] = 0
    np.testing.assert_array_equal(u, [3.0, 4.0])
    (g2,) = am.grad(x, x, grad_outputs=u)
    g2.data[:] = 0
    np.testing.assert_array_equal(u, [3.0, 4.0])


def test_retained_grad_under_create_graph_does_not_alias_the_recorded_graph():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    m = a * b
    m.retain_grad()
    (m * 2.0).sum().backward(create_graph=True)
    ga = a.grad  # = 2 b, recorded as (dm) * b
    np.testing.assert_array_equal(ga.data, [6.0, 8.0])
    (m * 3.0).sum().backward()  # accumulates into m.grad
    np.testing.assert_array_equal(m.grad.data, [5.0, 5.0])
    b.grad = None
    ga.sum().backward()
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0])  # d(Σ 2 b)/db


# ---------------------------------------------------------------------------- deep chain


@pytest.mark.slow
def test_million_op_chain_backward_is_iterative_and_exact():
    c = 1.0000001
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * c
    expected = 1.0
    for _ in range(1_000_000):  # the same products, in the same order
        expected *= c
    assert y.item() == expected
    y.backward()  # would hit RecursionError if the sweep recursed
    assert x.grad.item() == expected
    np.testing.assert_allclose(expected, c**1_000_000, rtol=1e-9)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    del y  # dropping a million-deep graph must not crash the interpreter
    gc.collect()
    assert x.grad.item() == expected
