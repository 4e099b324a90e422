"""Tests for ``autograd_mini.functional``: forward mode (jvp) against reverse mode (vjp), the two
kinds of Jacobian against each other, Hessians against finite differences of the gradient, the
forward-mode rule of every primitive in ops.py, and the operation counts of both modes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from autograd_mini import Tensor, forward_mode, ops
from autograd_mini.functional import count_ops, hessian, hvp, jacobian, jvp, vjp
from autograd_mini.primitive import Primitive

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------ helpers


def contract(J: np.ndarray, v: np.ndarray) -> np.ndarray:
    """J·v for a Jacobian of shape out.shape + v.shape."""
    return np.tensordot(J, v, axes=v.ndim)


def reverse_jv(f: Callable, xs: tuple, vs: tuple) -> np.ndarray:
    """Σᵢ Jᵢ vᵢ with the Jacobians computed by reverse mode."""
    Js = jacobian(f, xs, mode="reverse")
    return sum(contract(J.data, v) for J, v in zip(Js, vs, strict=True))


def numerical_jv(f: Callable, xs: tuple, vs: tuple, eps: float = 1e-6) -> np.ndarray:
    """Central difference (f(x + εv) − f(x − εv)) / 2ε."""
    up = f(*(Tensor(x + eps * v) for x, v in zip(xs, vs, strict=True))).data
    down = f(*(Tensor(x - eps * v) for x, v in zip(xs, vs, strict=True))).data
    return (up - down) / (2 * eps)


def random_function(seed: int, n_inputs: int = 2, out_size: int | None = 3) -> Callable:
    """A smooth random composition of engine operations on vectors of length 5.

    The structure (which operations, which operands) is drawn once, so the function is
    deterministic. The output is a vector of ``out_size`` (or a scalar when None).
    """
    rng = np.random.default_rng(1000 + seed)
    m = 5
    W = rng.standard_normal((m, m)) / np.sqrt(m)
    P = rng.standard_normal((out_size or 1, m))
    unary = [
        ops.tanh, ops.sigmoid, lambda z: ops.exp(ops.tanh(z)), lambda z: z * z,
        lambda z: ops.sqrt(1 + z * z), lambda z: ops.log(1 + z * z), ops.softmax,
        ops.log_softmax, lambda z: W @ z, lambda z: z[::-1], lambda z: z - z.mean(),
        lambda z: z * z.max(), lambda z: ops.logsumexp(z) + z, lambda z: ops.absolute(z) + 1,
        lambda z: (z.reshape(1, m) @ W).reshape(m), lambda z: 2.0 ** ops.tanh(z),
    ]
    binary = [
        lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
        lambda a, b: a / (1 + b * b), lambda a, b: ops.concatenate([a[:2], b[2:]]),
        lambda a, b: ops.stack([a, b]).sum(axis=0), lambda a, b: ops.affine(a, W, b),
        lambda a, b: (1.5 + ops.sigmoid(a)) ** ops.tanh(b),
    ]
    steps = []
    for k in range(6):
        if rng.random() < 0.5:
            steps.append(("u", int(rng.integers(len(unary))), int(rng.integers(n_inputs + k))))
        else:
            steps.append(("b", int(rng.integers(len(binary))), int(rng.integers(n_inputs + k)),
                          int(rng.integers(n_inputs + k))))

    def f(*xs: Tensor) -> Tensor:
        vals = list(xs)
        for step in steps:
            if step[0] == "u":
                vals.append(unary[step[1]](vals[step[2]]))
            else:
                vals.append(binary[step[1]](vals[step[2]], vals[step[3]]))
        mixed = sum(vals[n_inputs:], vals[-1])
        out = P @ ops.tanh(mixed)
        return out if out_size else out.sum()

    f.__name__ = f"random_function_{seed}"
    return f


def points(seed: int, n: int = 2, m: int = 5) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(m) for _ in range(n))


SEEDS = range(24)

# ----------------------------------------------------------------------------------- jvp / vjp


@pytest.mark.parametrize("seed", SEEDS)
def test_jvp_equals_J_v_from_reverse_jacobian(seed):
    f = random_function(seed)
    xs, vs = points(seed), points(seed + 100)
    value, jv = jvp(f, xs, vs)
    np.testing.assert_allclose(value.data, f(*map(Tensor, xs)).data, rtol=1e-12)
    np.testing.assert_allclose(jv.data, reverse_jv(f, xs, vs), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(jv.data, numerical_jv(f, xs, vs), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("seed", SEEDS)
def test_vjp_equals_uT_J_and_can_be_called_again(seed):
    f = random_function(seed)
    xs = points(seed)
    Js = jacobian(f, xs, mode="forward")
    value, vjp_fn = vjp(f, xs)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        u = rng.standard_normal(value.shape)
        for g, J in zip(vjp_fn(u), Js, strict=True):
            np.testing.assert_allclose(g.data, np.tensordot(u, J.data, axes=u.ndim),
                                       rtol=1e-9, atol=1e-12)


def test_single_primal_gives_single_results():
    f = lambda x: ops.tanh(x) * 2
    x = np.array([0.5, -1.0])
    value, jv = jvp(f, x, np.ones(2))
    assert isinstance(jv, Tensor) and jv.shape == (2,)
    np.testing.assert_allclose(jv.data, 2 * (1 - np.tanh(x) ** 2))
    value, vjp_fn = vjp(f, Tensor(x))
    g = vjp_fn(np.ones(2))
    assert isinstance(g, Tensor)
    np.testing.assert_allclose(g.data, jv.data)


def test_primals_may_be_tensors_numbers_and_lists_ints_become_float():
    f = lambda x, y: x * y
    value, jv = jvp(f, (Tensor([1.0, 2.0]), 3), ([1, 1], 0.5))
    np.testing.assert_allclose(value.data, [3.0, 6.0])
    np.testing.assert_allclose(jv.data, [3.5, 4.0])
    assert jv.dtype == np.float64


def test_primal_tensor_graph_is_not_touched():
    x = Tensor([1.0, 2.0], requires_grad=True)
    _, vjp_fn = vjp(lambda t: (t * t).sum(), x)
    np.testing.assert_allclose(vjp_fn(1.0).data, [2.0, 4.0])
    assert x.grad is None and x.tangent is None


def test_float32_primals_keep_their_dtype():
    x = np.array([1.0, 2.0], dtype=np.float32)
    _, jv = jvp(lambda t: t * t, x, np.ones(2))
    assert jv.dtype == np.float32
    assert jacobian(lambda t: t * t, x, mode="forward").dtype == np.float32
    assert jacobian(lambda t: t * t, x).dtype == np.float32


def test_output_independent_of_inputs_gives_zeros():
    const = Tensor([1.0, 2.0, 3.0])
    f = lambda x: const * 2
    x = np.array([1.0, 2.0])
    assert np.all(jvp(f, x, np.ones(2))[1].data == 0)
    assert jvp(f, x, np.ones(2))[1].shape == (3,)
    assert np.all(vjp(f, x)[1](np.ones(3)).data == 0)
    for mode in ("forward", "reverse"):
        J = jacobian(f, x, mode=mode)
        assert J.shape == (3, 2) and np.all(J.data == 0)
    g = lambda x, y: (x * 3).sum()  # y unused
    _, vjp_fn = vjp(g, (x, x))
    gx, gy = vjp_fn(1.0)
    np.testing.assert_allclose(gx.data, [3.0, 3.0])
    np.testing.assert_allclose(gy.data, [0.0, 0.0])


def test_identity_function():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    for mode in ("forward", "reverse"):
        np.testing.assert_array_equal(jacobian(lambda t: t, x, mode=mode).data,
                                      np.eye(4).reshape(2, 2, 2, 2))


def test_broadcasting_tangents():
    """A tangent of a (3,) operand added to a (2, 3) one is broadcast to the result."""
    f = lambda a, b: a + b
    a, b = np.arange(3.0), np.ones((2, 3))
    _, jv = jvp(f, (a, b), (np.ones(3), np.zeros((2, 3))))
    np.testing.assert_array_equal(jv.data, np.ones((2, 3)))
    _, jv = jvp(f, (a, b), (np.ones(3), np.ones((2, 3))))
    np.testing.assert_array_equal(jv.data, 2 * np.ones((2, 3)))


# ----------------------------------------------------------------------------------- Jacobians


@pytest.mark.parametrize("seed", SEEDS)
def test_forward_and_reverse_jacobians_agree(seed):
    f = random_function(seed, n_inputs=3, out_size=4)
    xs = points(seed, n=3)
    Jf = jacobian(f, xs, mode="forward")
    Jr = jacobian(f, xs, mode="reverse")
    assert isinstance(Jf, tuple) and len(Jf) == 3
    for a, b in zip(Jf, Jr, strict=True):
        assert a.shape == b.shape == (4, 5)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-9, atol=1e-12)


def test_jacobian_shapes_are_out_shape_plus_input_shape():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4))
    f = lambda X, v: ops.tanh(X @ A) * v  # (2, 4) and (4,) -> (2, 4)
    X, v = rng.standard_normal((2, 3)), rng.standard_normal(4)
    for mode in ("forward", "reverse"):
        JX, Jv = jacobian(f, (X, v), mode=mode)
        assert JX.shape == (2, 4, 2, 3) and Jv.shape == (2, 4, 4)
    JX_f, _ = jacobian(f, (X, v), mode="forward")
    JX_r, _ = jacobian(f, (X, v), mode="reverse")
    np.testing.assert_allclose(JX_f.data, JX_r.data, rtol=1e-12)
    # a closed form: ∂ tanh(XA)[i, j] / ∂ X[k, l] = δ_ik A[l, j] (1 − tanh²) v[j]
    T = np.tanh(X @ A)
    expect = np.einsum("ik,lj,ij->ijkl", np.eye(2), A, (1 - T * T) * v)
    np.testing.assert_allclose(JX_r.data, expect, rtol=1e-12, atol=1e-15)


def test_jacobian_of_scalar_function_is_the_gradient():
    f = lambda x: (x[:-1] * x[1:]).sum()
    x = np.array([1.0, 2.0, 3.0, 4.0])
    expect = [2.0, 1 + 3, 2 + 4, 3]
    for mode in ("forward", "reverse"):
        J = jacobian(f, x, mode=mode)
        assert J.shape == (4,)
        np.testing.assert_allclose(J.data, expect)


def test_jacobian_with_empty_input():
    f = lambda x, y: (x * 2).sum() + y.sum()
    for mode in ("forward", "reverse"):
        Jx, Jy = jacobian(f, (np.ones(2), np.zeros(0)), mode=mode)
        assert Jx.shape == (2,) and Jy.shape == (0,)


# ----------------------------------------------------------------------------------- Hessians


def numerical_hessian(f: Callable, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central differences of the (reverse-mode) gradient: column j = (∇f(x+εeⱼ) − ∇f(x−εeⱼ))/2ε."""
    n = x.size
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = eps
        up = vjp(f, x + e.reshape(x.shape))[1](1.0).data.ravel()
        down = vjp(f, x - e.reshape(x.shape))[1](1.0).data.ravel()
        H[:, j] = (up - down) / (2 * eps)
    return H


MODES = ("reverse-over-reverse", "forward-over-reverse")


@pytest.mark.parametrize("seed", SEEDS)
def test_hessian_symmetric_and_matches_finite_differences_of_gradient(seed):
    f0 = random_function(seed, n_inputs=1, out_size=None)
    f = lambda x: f0(x) + (x * x * x).sum() / 6
    x = points(seed, n=1)[0]
    H = {mode: hessian(f, x, mode=mode).data for mode in MODES}
    for mode, h in H.items():
        assert h.shape == (5, 5)
        np.testing.assert_allclose(h, h.T, rtol=1e-9, atol=1e-12, err_msg=mode)
        np.testing.assert_allclose(h, numerical_hessian(f, x), rtol=1e-5, atol=1e-7,
                                   err_msg=mode)
    np.testing.assert_allclose(H[MODES[0]], H[MODES[1]], rtol=1e-9, atol=1e-12)


def test_hessian_closed_forms():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    quad = lambda x: x @ (A @ x)  # H = A + Aᵀ
    linear = lambda x: (x * 3).sum()  # H = 0
    const = lambda x: Tensor(1.0)
    for mode in MODES:
        np.testing.assert_allclose(hessian(quad, x, mode=mode).data, A + A.T, rtol=1e-12)
        assert np.all(hessian(linear, x, mode=mode).data == 0)
        assert np.all(hessian(const, x, mode=mode).data == 0)
        # X of shape (2, 2): H has shape (2, 2, 2, 2); f = x₀₀ Σ x²
        X = x.reshape(2, 2)
        H = hessian(lambda t: (t * t).sum() * t[0, 0], X, mode=mode).data
        assert H.shape == (2, 2, 2, 2)
        assert np.isclose(H[0, 0, 0, 0], 6 * X[0, 0])
        assert np.isclose(H[0, 0, 0, 1], 2 * X[0, 1]) and np.isclose(H[0, 1, 0, 0], 2 * X[0, 1])
        assert np.isclose(H[1, 1, 1, 1], 2 * X[0, 0]) and H[1, 0, 1, 1] == 0


def test_hvp_matches_hessian_times_vector():
    f = random_function(3, n_inputs=1, out_size=None)
    x, v = points(3, n=2)
    g, hv = hvp(f, x, v)
    np.testing.assert_allclose(g.data, vjp(f, x)[1](1.0).data, rtol=1e-12)
    np.testing.assert_allclose(hv.data, hessian(f, x).data @ v, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ every primitive's jvp rule

R = np.random.default_rng(7)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def rnd(*shape):
    return R.standard_normal(shape)


def away_from_zero(*shape):
    return R.choice([-1.0, 1.0], shape) * R.uniform(0.3, 2.0, shape)


def one_hot(n, k):
    return np.eye(k)[R.integers(0, k, n)]


# primitive name -> list of (positional operands, keyword parameters); every operand is
# differentiated (keyword parameters are static).
CASES: dict[str, list[tuple[tuple, dict]]] = {
    "add": [((rnd(3), rnd(3)), {}), ((rnd(3), rnd(2, 3)), {}), ((rnd(2, 1), rnd(3)), {})],
    "sub": [((rnd(3), rnd(3)), {}), ((rnd(2, 3), rnd(3)), {})],
    "mul": [((rnd(3), rnd(3)), {}), ((rnd(2, 3), rnd(1, 3)), {}), ((rnd(), rnd(4)), {})],
    "div": [((rnd(3), pos(3)), {}), ((rnd(2, 3), pos(3)), {}), ((rnd(3), pos(2, 3)), {})],
    "pow": [((pos(3), rnd(3)), {}), ((pos(2, 3), rnd()), {}), ((pos(2, 3), rnd(3)), {})],
    "neg": [((rnd(2, 3),), {})],
    "exp": [((rnd(4),), {})],
    "log": [((pos(4),), {})],
    "sqrt": [((pos(4),), {})],
    "abs": [((away_from_zero(5),), {})],
    "sigmoid": [((rnd(5) * 3,), {})],
    "tanh": [((rnd(5),), {})],
    "relu": [((away_from_zero(6),), {})],
    "cast": [((rnd(4),), {"dtype": np.dtype(np.float64)}),
             ((rnd(4).astype(np.float32),), {"dtype": np.dtype(np.float64)})],
    "reshape": [((rnd(2, 3),), {"shape": (3, 2)}), ((rnd(6),), {"shape": (2, -1)})],
    "transpose": [((rnd(2, 3),), {}), ((rnd(2, 3, 4),), {"axes": (1, 2, 0)})],
    "broadcast_to": [((rnd(3),), {"shape": (2, 3)}), ((rnd(2, 1),), {"shape": (2, 4)})],
    "sum_to": [((rnd(2, 3),), {"shape": (3,)}), ((rnd(2, 4),), {"shape": (2, 1)})],
    "sum": [((rnd(2, 3),), {}), ((rnd(2, 3),), {"axis": 1}),
            ((rnd(2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
            ((rnd(2, 3, 4),), {"axis": (-1, 0)})],
    "mean": [((rnd(2, 3),), {}), ((rnd(2, 3),), {"axis": 0, "keepdims": True}),
             ((rnd(2, 3, 4),), {"axis": (0, 2)})],
    "max": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": 1}),
            ((rnd(3, 4),), {"axis": 0, "keepdims": True}), ((rnd(2, 3, 4),), {"axis": (0, 2)})],
    "logsumexp": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": -1}),
                  ((rnd(3, 4),), {"axis": 0, "keepdims": True}), ((rnd(3, 4),), {"keepdims": True}),
                  ((rnd(2, 3, 4),), {"axis": (0, 2)})],
    "softmax": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": 0}), ((rnd(2, 3, 4),), {"axis": 1})],
    "log_softmax": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": -1}),
                    ((rnd(2, 3, 4),), {"axis": 0})],
    "matmul": [((rnd(2, 3), rnd(3, 4)), {}), ((rnd(3), rnd(3, 2)), {}),
               ((rnd(2, 3), rnd(3)), {}), ((rnd(3), rnd(3)), {}),
               ((rnd(5, 2, 3), rnd(3, 4)), {}), ((rnd(3), rnd(2, 3, 4)), {}),
               ((rnd(2, 3, 4), rnd(4)), {}), ((rnd(1, 3, 4), rnd(2, 4, 5)), {})],
    "getitem": [((rnd(5),), {"index": slice(1, 4)}), ((rnd(3, 4),), {"index": (1, slice(None))}),
                ((rnd(5),), {"index": np.array([0, 2, 2, 4])}),
                ((rnd(3, 4),), {"index": (np.array([0, 2]), np.array([1, 1]))}),
                ((rnd(3, 4),), {"index": np.array([True, False, True])}),
                ((rnd(3, 4),), {"index": (Ellipsis, None, 1)})],
    "scatter_add": [((rnd(3),), {"shape": (5,), "index": slice(1, 4)}),
                    ((rnd(4),), {"shape": (3,), "index": np.array([0, 2, 0, 1])}),
                    ((rnd(2, 4),), {"shape": (3, 4), "index": np.array([2, 2])})],
    "concatenate": [((rnd(2), rnd(3)), {"axis": 0}), ((rnd(2, 3), rnd(2, 1)), {"axis": 1}),
                    ((rnd(2, 3), rnd(2, 2), rnd(2, 1)), {"axis": -1})],
    "stack": [((rnd(3), rnd(3), rnd(3)), {"axis": 0}), ((rnd(2, 3), rnd(2, 3)), {"axis": -1}),
              ((rnd(2, 3), rnd(2, 3)), {"axis": 1})],
    "flip": [((rnd(2, 3),), {}), ((rnd(2, 3, 2),), {"axis": (0, 2)})],
    "roll": [((rnd(5),), {"shift": 2}), ((rnd(2, 3),), {"shift": (1, -1), "axis": (0, 1)})],
    "tile": [((rnd(2, 3),), {"reps": (2, 1)}), ((rnd(1, 2),), {"reps": (3, 2)})],
    "repeat": [((rnd(2, 3),), {"repeats": 2, "axis": 1}),
               ((rnd(3, 2),), {"repeats": (1, 0, 2), "axis": 0})],
    "pad": [((rnd(2, 3),), {"pad_width": ((1, 0), (2, 1))}),
            ((rnd(3),), {"pad_width": ((1, 2),), "constant_values": 1.5})],
    "diagonal": [((rnd(3, 3),), {}), ((rnd(2, 4),), {"offset": 1}),
                 ((rnd(2, 3, 4),), {"offset": -1, "axis1": 1, "axis2": 2})],
    "diag_embed": [((rnd(3),), {"shape": (3, 3)}), ((rnd(2),), {"shape": (3, 4), "offset": 2}),
                   ((rnd(2, 2),), {"shape": (2, 3, 2), "offset": -1, "axis1": 1, "axis2": 2})],
    "triu": [((rnd(3, 3),), {}), ((rnd(2, 3, 4),), {"k": 1})],
    "tril": [((rnd(3, 3),), {}), ((rnd(2, 3, 4),), {"k": -1})],
    "tensordot": [((rnd(2, 3), rnd(3, 4)), {"axes": ((1,), (0,))}),
                  ((rnd(2, 3, 4), rnd(4, 2, 5)), {"axes": ((0, 2), (1, 0))}),
                  ((rnd(2), rnd(3)), {"axes": ((), ())})],
    "einsum": [((rnd(2, 3), rnd(3, 4)), {"subscripts": "ij,jk->ik"}),
               ((rnd(3, 3),), {"subscripts": "ii->i"}),
               ((rnd(2, 3), rnd(3), rnd(4)), {"subscripts": "ij,j,k->ik"}),
               ((rnd(2, 1, 3), rnd(4, 3)), {"subscripts": "abj,bj->ab"})],
    "affine": [((rnd(4, 3), rnd(2, 3), rnd(2)), {}), ((rnd(3), rnd(2, 3), rnd(2)), {}),
               ((rnd(5, 4, 3), rnd(2, 3), rnd(2)), {})],
    "quadratic_cost": [((rnd(4, 2), rnd(4, 2)), {}), ((rnd(3), rnd(3)), {}),
                       ((rnd(2, 3), rnd(2, 3)), {})],
    "bce_with_logits": [((rnd(4, 2), R.uniform(0, 1, (4, 2))), {}),
                        ((rnd(3), R.uniform(0, 1, 3)), {})],
    "softmax_cross_entropy": [((rnd(4, 3), one_hot(4, 3)), {}),
                              ((rnd(4, 3), R.uniform(0, 1, (4, 3))), {}),
                              ((rnd(3), np.eye(3)[1]), {})],
    # comparisons and choices (a condition, indices or None are held constant)
    "where": [((rnd(4) > 0, rnd(4), rnd(4)), {}), ((rnd(2, 3) > 0, rnd(3), rnd(2, 1)), {})],
    "maximum": [((rnd(4), rnd(4)), {}), ((rnd(2, 3), rnd(3)), {})],
    "minimum": [((rnd(4), rnd(4)), {}), ((rnd(2, 1), rnd(3)), {})],
    "clip": [((rnd(6), -0.4, 0.5), {}), ((rnd(2, 3), rnd(3) * 0.3 - 0.5, None), {}),
             ((rnd(2, 3), None, rnd(2, 1)), {}), ((rnd(5), 0.8, -0.2), {})],
    # elementary functions
    "sin": [((rnd(4),), {})], "cos": [((rnd(4),), {})], "tan": [((rnd(4),), {})],
    "arcsin": [((R.uniform(-0.9, 0.9, 4),), {})], "arccos": [((R.uniform(-0.9, 0.9, 4),), {})],
    "arctan": [((rnd(4) * 3,), {})],
    "arctan2": [((rnd(4), rnd(4)), {}), ((rnd(2, 3), pos(3)), {})],
    "sinh": [((rnd(4),), {})], "cosh": [((rnd(4),), {})], "arcsinh": [((rnd(4) * 3,), {})],
    "arccosh": [((R.uniform(1.2, 3.0, 4),), {})], "arctanh": [((R.uniform(-0.9, 0.9, 4),), {})],
    "log1p": [((pos(4) - 0.4,), {})], "expm1": [((rnd(4),), {})], "log2": [((pos(4),), {})],
    "log10": [((pos(4),), {})], "exp2": [((rnd(4),), {})],
    "logaddexp": [((rnd(4), rnd(4)), {}), ((rnd(2, 3), rnd(3) * 5), {})],
    "hypot": [((away_from_zero(4), rnd(4)), {}), ((rnd(2, 3), pos(2, 1)), {})],
    "square": [((rnd(4),), {})], "reciprocal": [((away_from_zero(4),), {})],
    "erf": [((rnd(5) * 2,), {})], "erfc": [((rnd(5) * 2,), {})],
    "sign": [((away_from_zero(4),), {})], "floor": [((rnd(4) * 3,), {})],
    "ceil": [((rnd(4) * 3,), {})], "floor_divide": [((rnd(2, 3) * 4, pos(3)), {})],
    "mod": [((rnd(4) * 4, pos(4)), {}), ((rnd(2, 3) * 4, -pos(3)), {})],
    # activations
    "softplus": [((rnd(5) * 3,), {}), ((rnd(5) * 6,), {"beta": 2.0, "threshold": 5.0})],
    "leaky_relu": [((away_from_zero(5),), {}), ((away_from_zero(5),), {"negative_slope": 0.2})],
    "elu": [((away_from_zero(5),), {}), ((away_from_zero(5),), {"alpha": 1.5})],
    "gelu": [((rnd(5) * 2,), {}), ((rnd(5) * 2,), {"approximate": "tanh"})],
    # ordering and statistics
    "min": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": 1}),
            ((rnd(2, 3, 4),), {"axis": (0, 2), "keepdims": True})],
    "sort": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": 0})],
    "permute_along": [((rnd(2, 4), np.argsort(rnd(2, 4), axis=1)), {"axis": 1})],
    "var": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": 1, "ddof": 1}),
            ((rnd(2, 3, 4),), {"axis": (0, 2), "keepdims": True})],
    "std": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": 0, "ddof": 1, "keepdims": True})],
    "prod": [((rnd(5),), {}), ((rnd(3, 4),), {"axis": 1}),
             ((np.array([[0.0, 1.5, -2.0], [0.0, 0.7, 0.0]]),), {"axis": 1})],
    "cumsum": [((rnd(5),), {"axis": 0}), ((rnd(3, 4),), {"axis": -1}),
               ((rnd(2, 3),), {"axis": 0})],
}


def all_primitives() -> dict[str, Primitive]:
    return dict(ops.PRIMITIVES)


def primitive_cases() -> list:
    prims = all_primitives()
    return [pytest.param(prims[name], args, kwargs, id=f"{name}-{k}")
            for name in sorted(CASES) for k, (args, kwargs) in enumerate(CASES[name])]


def test_every_differentiable_primitive_has_a_forward_mode_case():
    missing = sorted(name for name, p in all_primitives().items()
                     if p.differentiable and name not in CASES)
    assert not missing, f"primitives in ops.py without a forward-mode test case: {missing}"


@pytest.mark.parametrize(("prim", "args", "kwargs"), primitive_cases())
def test_primitive_jvp_matches_reverse_mode_jacobian(prim, args, kwargs):
    """For each operand alone, and for all together: the tangent pushed by the primitive's jvp
    rule equals J·v from its reverse-mode Jacobian (and from central differences). Operands
    that are not floats (a condition, indices, None) are held constant."""
    operands = args
    free = [i for i, a in enumerate(args) if a is not None and np.asarray(a).dtype.kind == "f"]

    def f(*xs):
        full = list(operands)
        for i, x in zip(free, xs, strict=True):
            full[i] = x
        return prim(*full, **kwargs)

    f.__name__ = prim.name
    args = tuple(args[i] for i in free)
    rng = np.random.default_rng(0)
    vs = tuple(rng.standard_normal(np.shape(a)).astype(np.asarray(a).dtype) for a in args)
    tol = dict(rtol=1e-5, atol=1e-6) if any(np.asarray(a).dtype == np.float32 for a in args) \
        else dict(rtol=1e-9, atol=1e-12)
    selections = [[i] for i in range(len(args))] + ([list(range(len(args)))]
                                                    if len(args) > 1 else [])
    for chosen in selections:
        ts = tuple(v if i in chosen else np.zeros_like(v) for i, v in enumerate(vs))
        leaves = [Tensor._wrap(np.asarray(a)) for a in args]
        for i in chosen:  # only the chosen operands carry a tangent
            leaves[i].tangent = ts[i]
        with forward_mode():
            out = f(*leaves)
        assert out.tangent is not None, f"{prim.name}: no tangent pushed for operands {chosen}"
        assert out.tangent.shape == out.shape
        expect = reverse_jv(f, tuple(args), ts)
        np.testing.assert_allclose(out.tangent, expect, **tol,
                                   err_msg=f"{prim.name}: jvp for operands {chosen}")
        if tol["rtol"] < 1e-6:
            np.testing.assert_allclose(out.tangent, numerical_jv(f, tuple(args), ts),
                                       rtol=1e-5, atol=1e-7,
                                       err_msg=f"{prim.name}: jvp vs finite differences")


def test_non_differentiable_primitives_push_no_tangent():
    x = Tensor._wrap(rnd(4))
    x.tangent = np.ones(4)
    with forward_mode():
        for out in (ops.positive_mask(x), ops.argmax_share(x, Tensor._wrap(x.data.max())),
                    ops.less(x, 0.5), ops.argsort(x), ops.maximum_share(x, 0.0, x)):
            assert out.tangent is None


def test_forward_over_reverse_composes_through_every_reverse_rule():
    """hvp pushes tangents through the recorded backward pass; check a few heavy rules."""
    W = rnd(2, 3)
    Y = one_hot(4, 2)
    fs = [
        lambda p: ops.softmax_cross_entropy(ops.affine(p.reshape(4, 3), W, W[:, 0]), Y),
        lambda p: ops.logsumexp(p.reshape(3, 4), axis=1).sum() + p.max(),
        lambda p: ops.quadratic_cost(ops.sigmoid(p[:6].reshape(3, 2)), Y[:3]),
        lambda p: (ops.concatenate([p[:5], p[7:]]) ** 2.0).mean() * ops.log_softmax(p)[3],
    ]
    x = away_from_zero(12)
    for f in fs:
        H = hessian(f, x).data
        np.testing.assert_allclose(hessian(f, x, mode="forward-over-reverse").data, H,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(H, numerical_hessian(f, x), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------- operation counts


def scalar_chain(n: int) -> Callable:
    """f(x) = Σᵢ xᵢ xᵢ₊₁ built one scalar at a time: about 4n operations."""
    def f(x: Tensor) -> Tensor:
        xs = [x[i] for i in range(n)]
        total = xs[0] * 0.0
        for a, b in zip(xs[:-1], xs[1:], strict=True):
            total = total + a * b
        return total
    return f


def vector_products(x: Tensor) -> Tensor:
    return (x[:-1] * x[1:]).sum()


def mlp_cost(n_hidden: int) -> tuple[Callable, int]:
    X, Y = rnd(8, 3), R.uniform(0, 1, (8, 1))
    h = n_hidden

    def f(p: Tensor) -> Tensor:
        a = ops.sigmoid(ops.affine(X, p[: 3 * h].reshape(h, 3), p[3 * h: 4 * h]))
        a = ops.sigmoid(ops.affine(a, p[4 * h: 5 * h].reshape(1, h), p[5 * h:]))
        return ops.quadratic_cost(a, Y)
    return f, 5 * h + 1


def counts(fn: Callable) -> tuple[int, int, int]:
    with count_ops() as c:
        fn()
    return c.forward, c.tangent, c.adjoint


@pytest.mark.parametrize("size", [1, 4, 16, 64])
@pytest.mark.parametrize("make", ["scalar_chain", "vector_products", "mlp_cost"])
def test_operation_counts_scale_as_claimed(make, size):
    """Forward mode: n sweeps, each the cost of one evaluation (values) plus its tangents.
    Reverse mode: one evaluation plus one backward sweep of a small constant times its cost."""
    if make == "scalar_chain":
        f, n = scalar_chain(size), size
    elif make == "vector_products":
        f, n = vector_products, size
    else:
        f, n = mlp_cost(size)
    x = R.standard_normal(n)
    evaluation, _, _ = counts(lambda: f(Tensor(x)))

    one_sweep = counts(lambda: jvp(f, x, np.eye(n)[0]))
    assert one_sweep[0] == evaluation and one_sweep[2] == 0
    assert 0 < one_sweep[1] <= 3 * evaluation  # ≤ 2 tangent rules per binary op

    fwd = counts(lambda: jacobian(f, x, mode="forward"))
    assert fwd == (n * evaluation, n * one_sweep[1], 0), "forward: n identical sweeps"

    rev = counts(lambda: vjp(f, x)[1](1.0))
    assert rev[0] == evaluation and rev[1] == 0  # one forward pass ...
    assert 0 < rev[2] <= 3 * evaluation  # ... and one backward sweep: O(1) × evaluation
    assert counts(lambda: jacobian(f, x, mode="reverse")) == rev  # one row: one sweep

    if n >= 16:  # the point: n times the work against a constant
        assert sum(fwd) >= n * sum(rev) / 3


def test_worked_example_counts():
    """e = (a + b)(b + 1): forward from b gives ∂e/∂b = 5 in one sweep; reverse gives both
    ∂e/∂a = 2 and ∂e/∂b = 5 in one sweep."""
    e = lambda a, b: (a + b) * (b + 1)
    with count_ops() as c:
        value, de_db = jvp(e, (2.0, 1.0), (0.0, 1.0))
    assert value.item() == 6 and de_db.item() == 5
    assert (c.forward, c.adjoint) == (3, 0)
    with count_ops() as c:
        _, vjp_fn = vjp(e, (2.0, 1.0))
        de_da, de_db = vjp_fn(1.0)
    assert (de_da.item(), de_db.item()) == (2, 5)
    assert (c.forward, c.tangent, c.adjoint) == (3, 0, 5)


def test_count_ops_reexported():
    import autograd_mini
    import autograd_mini.functional as F
    assert F.count_ops is autograd_mini.count_ops


# ----------------------------------------------------------------------------------- errors


def test_error_tangent_shape_mismatch():
    with pytest.raises(ValueError, match=r"tangent has shape \(2,\) but primal has shape \(3,\)"):
        jvp(lambda x: x, np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"tangent 1 has shape \(4,\) but primal 1 has shape"):
        jvp(lambda x, y: x + y, (np.ones(3), np.ones(3)), (np.ones(3), np.ones(4)))


def test_error_tangent_structure_mismatch():
    with pytest.raises(ValueError, match="tuple of 2"):
        jvp(lambda x, y: x + y, (np.ones(3), np.ones(3)), np.ones(3))
    with pytest.raises(ValueError, match="tuple of 2"):
        jvp(lambda x, y: x + y, (np.ones(3), np.ones(3)), (np.ones(3),) * 3)
    with pytest.raises(ValueError, match="single array"):
        jvp(lambda x: x, np.ones(3), (np.ones(3), np.ones(3)))


def test_error_f_must_return_a_tensor():
    def not_a_tensor(x):
        return x.data.sum()

    for call in (lambda: jvp(not_a_tensor, np.ones(2), np.ones(2)),
                 lambda: vjp(not_a_tensor, np.ones(2)),
                 lambda: jacobian(not_a_tensor, np.ones(2), mode="forward"),
                 lambda: jacobian(not_a_tensor, np.ones(2)),
                 lambda: hessian(not_a_tensor, np.ones(2)),
                 lambda: hessian(not_a_tensor, np.ones(2), mode="forward-over-reverse")):
        with pytest.raises(TypeError, match="not_a_tensor must return a Tensor"):
            call()


def test_error_vjp_cotangent_shape():
    _, vjp_fn = vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match=r"u has shape \(2,\).*has shape \(3,\)"):
        vjp_fn(np.ones(2))


def test_errors_hessian_and_modes():
    def vector_valued(x):
        return x * x

    with pytest.raises(ValueError, match=r"vector_valued must return a scalar.*\(3,\)"):
        hessian(vector_valued, np.ones(3))
    with pytest.raises(ValueError, match="must return a scalar"):
        hessian(vector_valued, np.ones(3), mode="forward-over-reverse")
    with pytest.raises(ValueError, match="must return a scalar.*tuple of 2"):
        hessian(lambda x, y: (x.sum(), y.sum()), (np.ones(2), np.ones(2)))
    with pytest.raises(ValueError, match="mode must be"):
        hessian(lambda x: x.sum(), np.ones(2), mode="sideways")
    with pytest.raises(ValueError, match="mode must be"):
        jacobian(lambda x: x, np.ones(2), mode="sideways")
    with pytest.raises(TypeError, match="not numeric"):
        jvp(lambda x: x, np.array(["a"]), np.ones(1))


# ----------------------------------------------------------------------------- against torch


def _torch_fn(torch_module, ours: str):
    """The same functions written in torch and in the engine."""
    W = np.random.default_rng(3).standard_normal((4, 4))
    if ours == "net":
        return (lambda x, y: torch_module.tanh(torch_module.tensor(W) @ x) * torch_module.sigmoid(y)
                + (x * y).sum(),
                lambda x, y: ops.tanh(W @ x) * ops.sigmoid(y) + (x * y).sum())
    return (lambda x, y: torch_module.log_softmax(x * y, dim=0) + torch_module.exp(x).sum(),
            lambda x, y: ops.log_softmax(x * y) + ops.exp(x).sum())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own, on import
@pytest.mark.parametrize("which", ["net", "softmax"])
def test_against_torch(which):
    torch = pytest.importorskip("torch")
    from torch.autograd.functional import hessian as t_hessian
    from torch.autograd.functional import jacobian as t_jacobian
    from torch.func import jvp as t_jvp

    tf, f = _torch_fn(torch, which)
    rng = np.random.default_rng(5)
    x, y, vx, vy = (rng.standard_normal(4) for _ in range(4))
    T = lambda a: torch.tensor(a, dtype=torch.float64)

    t_val, t_jv = t_jvp(tf, (T(x), T(y)), (T(vx), T(vy)))
    val, jv = jvp(f, (x, y), (vx, vy))
    np.testing.assert_allclose(val.data, t_val.numpy(), rtol=1e-12)
    np.testing.assert_allclose(jv.data, t_jv.numpy(), rtol=1e-10, atol=1e-12)

    tJ = t_jacobian(tf, (T(x), T(y)))
    for mode in ("forward", "reverse"):
        for J, tj in zip(jacobian(f, (x, y), mode=mode), tJ, strict=True):
            np.testing.assert_allclose(J.data, tj.numpy(), rtol=1e-10, atol=1e-12)

    scalar_t = lambda z: tf(z[:4], z[4:]).pow(2).sum()
    scalar = lambda z: (f(z[:4], z[4:]) ** 2).sum()
    z = np.concatenate([x, y])
    tH = t_hessian(scalar_t, T(z)).numpy()
    for mode in MODES:
        np.testing.assert_allclose(hessian(scalar, z, mode=mode).data, tH, rtol=1e-9,
                                   atol=1e-12)


# ----------------------------------------------------------------------------------- example


def test_example_runs_and_reports(tmp_path):
    out = tmp_path / "fvr.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "forward_vs_reverse.py"), "--max-n", "100",
         "--budget", "0.002", "--json", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "∂e/∂b = ċ d + c ḋ = 5" in proc.stdout
    assert "(extrapolated" in proc.stdout

    data = json.loads(out.read_text())
    assert data["worked_example"]["forward"]["de_db"] == 5
    assert data["worked_example"]["reverse"]["de_da"] == 2
    rows = data["rows"]
    assert {r["n"] for r in rows} == {1, 10, 100}
    for r in rows:
        if r["mode"] == "reverse":
            assert r["sweeps"] == 1 and r["passes"] == 2
        else:
            assert r["sweeps"] == r["n"] and r["tangent_ops"] > 0
