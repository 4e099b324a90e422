"""Every operation against PyTorch: forward values and gradients for the same inputs and the
same upstream gradient (float64 to 1e-12 relative, float32 to ~1e-5), second derivatives of
composite functions, and the tie-breaking rule of ``max`` (shared equally, like torch.amax)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor, ops

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _pos(x):
    """Map normal samples to [0.5, 2.5): for logs, square roots, denominators, bases."""
    return 0.5 + np.abs(x) % 2.0


def _away_from_zero(x):
    return np.where(x >= 0, x + 0.2, x - 0.2)


def _onehot(n, k, seed=0):
    return np.eye(k)[np.random.default_rng(seed).integers(0, k, n)]


# name: (our fn, torch fn, input shapes, transform of the random inputs or None)
CASES = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, [(3, 1, 4), (2, 4)], None),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, [(2, 3), (3,)], None),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [(4, 1), (1, 5)], None),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [(2, 3), (2, 1)], [None, _pos]),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, [(2, 3), (3,)], [_pos, None]),
    "neg": (lambda a: -a, lambda a: -a, [(2, 3)], None),
    "radd": (lambda a: 2.5 + a, lambda a: 2.5 + a, [(3,)], None),
    "rsub": (lambda a: 1.0 - a, lambda a: 1.0 - a, [(3,)], None),
    "rmul": (lambda a: 3.0 * a, lambda a: 3.0 * a, [(3,)], None),
    "rdiv": (lambda a: 2.0 / a, lambda a: 2.0 / a, [(2, 3)], [_pos]),
    "rpow": (lambda a: 2.0**a, lambda a: 2.0**a, [(2, 3)], None),
    "pow_scalar": (lambda a: a**3, lambda a: a**3, [(2, 3)], None),
    "pow_frac": (lambda a: a**1.5, lambda a: a**1.5, [(2, 3)], [_pos]),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 2)], None),
    "matmul_batched": (lambda a, b: a @ b, lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], None),
    "matvec": (lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4,)], None),
    "vecmat": (lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (2, 4, 3)], None),
    "dot": (lambda a, b: a @ b, lambda a, b: a @ b, [(5,), (5,)], None),
    "exp": (lambda a: a.exp(), torch.exp, [(2, 3)], None),
    "log": (lambda a: a.log(), torch.log, [(2, 3)], [_pos]),
    "sqrt": (lambda a: a.sqrt(), torch.sqrt, [(2, 3)], [_pos]),
    "abs": (lambda a: a.abs(), torch.abs, [(2, 3)], [_away_from_zero]),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, [(2, 3)], None),
    "sigmoid_wide": (lambda a: am.sigmoid(a * 30), lambda a: torch.sigmoid(a * 30), [(4, 5)],
                     None),
    "tanh": (lambda a: a.tanh(), torch.tanh, [(2, 3)], None),
    "relu": (lambda a: a.relu(), torch.relu, [(2, 3)], [_away_from_zero]),
    "sum": (lambda a: a.sum(), torch.sum, [(2, 3)], None),
    "sum_axis": (lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [(2, 3, 4)], None),
    "sum_neg_keep": (lambda a: a.sum(axis=-1, keepdims=True),
                     lambda a: a.sum(dim=-1, keepdim=True), [(2, 3, 4)], None),
    "sum_tuple": (lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(dim=(0, 2)), [(2, 3, 4)], None),
    "mean": (lambda a: a.mean(), torch.mean, [(2, 3)], None),
    "mean_tuple_keep": (lambda a: a.mean(axis=(-1, 0), keepdims=True),
                        lambda a: a.mean(dim=(-1, 0), keepdim=True), [(2, 3, 4)], None),
    "max": (lambda a: a.max(), torch.amax, [(2, 3)], None),
    "max_axis": (lambda a: a.max(axis=0), lambda a: torch.amax(a, dim=0), [(3, 4)], None),
    "max_tuple_keep": (lambda a: a.max(axis=(0, -1), keepdims=True),
                       lambda a: torch.amax(a, dim=(0, -1), keepdim=True), [(2, 3, 4)], None),
    "reshape": (lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [(2, 3, 2)], None),
    "transpose": (lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [(2, 3, 4)],
                  None),
    "T": (lambda a: a.T, lambda a: a.T, [(2, 3)], None),
    "getitem_basic": (lambda a: a[1:, ::2, -1], lambda a: a[1:, ::2, -1], [(3, 4, 2)], None),
    "getitem_int": (lambda a: a[1], lambda a: a[1], [(3, 4)], None),
    "getitem_array": (lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], [(3, 4)], None),
    "getitem_2arrays": (lambda a: a[[0, 1, 1], [2, 2, 0]], lambda a: a[[0, 1, 1], [2, 2, 0]],
                        [(3, 4)], None),
    "getitem_mixed": (lambda a: a[:, [3, 3, 1]], lambda a: a[:, [3, 3, 1]], [(3, 4)], None),
    "getitem_mask": (lambda a: a[np.array([[True, False, True, True]] * 3)],
                     lambda a: a[torch.tensor([[True, False, True, True]] * 3)], [(3, 4)], None),
    "concatenate": (lambda a, b: am.concatenate([a, b, a], axis=1),
                    lambda a, b: torch.cat([a, b, a], dim=1), [(2, 3), (2, 2)], None),
    "stack": (lambda a, b: am.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], dim=-1),
              [(2, 3), (2, 3)], None),
    "softmax": (lambda a: a.softmax(), lambda a: torch.softmax(a, dim=-1), [(3, 4)], None),
    "softmax_axis0": (lambda a: am.softmax(a, axis=0), lambda a: torch.softmax(a, dim=0),
                      [(3, 4)], None),
    "log_softmax": (lambda a: a.log_softmax(axis=1), lambda a: torch.log_softmax(a, dim=1),
                    [(2, 3, 4)], None),
    "logsumexp": (lambda a: a.logsumexp(axis=1), lambda a: torch.logsumexp(a, dim=1),
                  [(3, 4)], None),
    "logsumexp_all": (lambda a: a.logsumexp(), lambda a: torch.logsumexp(a.reshape(-1), dim=0),
                      [(3, 4)], None),
    "logsumexp_keep": (lambda a: am.logsumexp(a, axis=(0, 1), keepdims=True),
                       lambda a: torch.logsumexp(a, dim=(0, 1), keepdim=True), [(2, 3, 2)],
                       None),
    "logsumexp_big": (lambda a: (a * 500).logsumexp(axis=0),
                      lambda a: torch.logsumexp(a * 500, dim=0), [(3, 4)], None),
    "affine": (ops.affine, F.linear, [(5, 3), (4, 3), (4,)], None),
    "affine_vector": (ops.affine, F.linear, [(3,), (4, 3), (4,)], None),
    "quadratic_cost": (am.quadratic_cost, lambda a, y: 0.5 * ((a - y) ** 2).sum() / a.shape[0],
                       [(5, 3), (5, 3)], None),
    "bce_with_logits": (am.bce_with_logits,
                        lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="sum")
                        / z.shape[0], [(5, 3), (5, 3)], [None, lambda y: np.abs(y) % 1.0]),
    "softmax_cross_entropy": (am.softmax_cross_entropy,
                              lambda z, y: -(y * torch.log_softmax(z, dim=-1)).sum() / z.shape[0],
                              [(5, 3), (5, 3)], [None, lambda y: _onehot(5, 3)]),
    "soft_cross_entropy": (am.softmax_cross_entropy,
                           lambda z, y: -(y * torch.log_softmax(z, dim=-1)).sum() / z.shape[0],
                           [(5, 3), (5, 3)], [None, lambda y: np.abs(y)]),
    "composite": (lambda x, w, b: (ops.affine(x, w, b).tanh() @ w).sigmoid().mean(axis=0),
                  lambda x, w, b: torch.sigmoid(torch.tanh(F.linear(x, w, b)) @ w).mean(dim=0),
                  [(4, 3), (3, 3), (3,)], None),
}


def _inputs(name, dtype, seed=0):
    _, _, shapes, transforms = CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32 + seed)
    xs = [rng.standard_normal(s) for s in shapes]
    if transforms:
        xs = [x if f is None else f(x) for x, f in zip(xs, transforms, strict=True)]
    return [np.asarray(x, dtype=dtype) for x in xs], rng


def _compare(name, dtype, rtol, atol):
    ours_fn, torch_fn, _, _ = CASES[name]
    xs, rng = _inputs(name, dtype)
    ours = [Tensor(x.copy(), requires_grad=True) for x in xs]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in xs]
    out = ours_fn(*ours)
    ref = torch_fn(*theirs)
    assert out.shape == tuple(ref.shape), name
    assert out.dtype == dtype, f"{name}: {out.dtype}"
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg=f"{name}: forward")
    upstream = rng.standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.grad.dtype == dtype
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{name}: gradient of input {i}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_against_torch(name):
    _compare(name, np.float64, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_against_torch(name):
    _compare(name, np.float32, rtol=1e-5, atol=1e-6)


def test_same_gradients_when_a_tensor_is_used_twice():
    x0 = np.random.default_rng(5).standard_normal((3, 3))
    a = Tensor(x0, requires_grad=True)
    ta = torch.tensor(x0, requires_grad=True)
    ((a @ a).tanh() * a + a.T).sum().backward()
    ((ta @ ta).tanh() * ta + ta.T).sum().backward()
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------------- max ties


@pytest.mark.parametrize(
    "x, axis, keepdims",
    [
        ([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], 1, False),
        ([[2.0, 3.0, 1.0], [2.0, 3.0, 3.0]], 0, True),
        ([[1.0, 3.0, 3.0], [2.0, 3.0, 0.0]], None, False),
        ([[[5.0, 5.0], [1.0, 5.0]], [[0.0, 5.0], [5.0, 2.0]]], (0, 2), False),
        ([[[5.0, 5.0], [1.0, 5.0]], [[0.0, 5.0], [5.0, 2.0]]], (-1, -3), True),
    ],
)
def test_max_ties_split_like_torch_amax(x, axis, keepdims):
    x = np.array(x)
    t = Tensor(x, requires_grad=True)
    tt = torch.tensor(x, requires_grad=True)
    out = t.max(axis=axis, keepdims=keepdims)
    dim = () if axis is None else axis
    ref = torch.amax(tt, dim=dim, keepdim=keepdims)
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    up = np.arange(1.0, out.size + 1).reshape(out.shape)
    out.backward(up)
    ref.backward(torch.tensor(up))
    np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), rtol=1e-15)
    # with ties the rule differs from picking one index, as torch.max(dim) would
    assert np.count_nonzero(t.grad.data) > out.size


# ---------------------------------------------------------------------- second derivatives


def _second_order(fn_ours, fn_torch, xs, seed):
    rng = np.random.default_rng(seed)
    ours = [Tensor(x, requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    vs = [rng.standard_normal(x.shape) for x in xs]
    g_ours = am.grad(fn_ours(*ours), ours, create_graph=True)
    g_theirs = torch.autograd.grad(fn_torch(*theirs), theirs, create_graph=True)
    for a, b in zip(g_ours, g_theirs, strict=True):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
    # Hessian-vector product: d/dx <grad f, v>
    s_ours = sum(((g * Tensor(v)).sum() for g, v in zip(g_ours, vs, strict=True)), Tensor(0.0))
    s_theirs = sum((g * torch.tensor(v)).sum() for g, v in zip(g_theirs, vs, strict=True))
    h_ours = am.grad(s_ours, ours, create_graph=True)
    h_theirs = torch.autograd.grad(s_theirs, theirs, create_graph=True)
    for a, b in zip(h_ours, h_theirs, strict=True):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-11, atol=1e-13)
    # and one order more for the first input
    u = rng.standard_normal(xs[0].shape)
    (t_ours,) = am.grad((h_ours[0] * Tensor(u)).sum(), ours[0])
    (t_theirs,) = torch.autograd.grad((h_theirs[0] * torch.tensor(u)).sum(), theirs[0])
    np.testing.assert_allclose(t_ours.data, t_theirs.numpy(), rtol=1e-10, atol=1e-12)


SECOND_ORDER = {
    "tanh_mlp": (
        lambda x, w: ((x @ w).tanh() ** 2).sum(),
        lambda x, w: ((x @ w).tanh() ** 2).sum(),
        [(3, 4), (4, 2)],
    ),
    "logsumexp_sigmoid": (
        lambda x, w: (x * w).logsumexp(axis=1).sum() + (x.sigmoid() * w).mean(),
        lambda x, w: torch.logsumexp(x * w, dim=1).sum() + (torch.sigmoid(x) * w).mean(),
        [(3, 4), (4,)],
    ),
    "cross_entropy": (
        lambda z, w: am.softmax_cross_entropy(z @ w, _onehot(3, 2)),
        lambda z, w: -(torch.tensor(_onehot(3, 2)) * torch.log_softmax(z @ w, dim=-1)).sum() / 3,
        [(3, 4), (4, 2)],
    ),
    "softmax_pow_div": (
        lambda x, y: ((x.softmax(axis=0) + 1.0) ** y / (y * y + 1.0)).sum(),
        lambda x, y: ((torch.softmax(x, dim=0) + 1.0) ** y / (y * y + 1.0)).sum(),
        [(3, 2), (2,)],
    ),
    "affine_bce": (
        lambda x, w: am.bce_with_logits(ops.affine(x, w, w[:, 0]), np.full((3, 2), 0.3)),
        lambda x, w: F.binary_cross_entropy_with_logits(
            F.linear(x, w, w[:, 0]), torch.full((3, 2), 0.3, dtype=torch.float64),
            reduction="sum") / 3,
        [(3, 4), (2, 4)],
    ),
    "exp_log_sqrt_max": (
        lambda x, w: ((x * x + 1.0).log().sqrt() * w.exp()).max(axis=1).sum(),
        lambda x, w: torch.amax(torch.sqrt(torch.log(x * x + 1.0)) * torch.exp(w), dim=1).sum(),
        [(3, 4), (4,)],
    ),
    "getitem_concat_mean": (
        lambda x, w: (am.concatenate([x[[0, 0, 2]], x * w], axis=0).tanh() ** 3).mean(),
        lambda x, w: (torch.cat([x[[0, 0, 2]], x * w], dim=0).tanh() ** 3).mean(),
        [(3, 4), (4,)],
    ),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_higher_derivatives_against_torch(name):
    fo, ft, shapes = SECOND_ORDER[name]
    rng = np.random.default_rng(11)
    xs = [rng.standard_normal(s) for s in shapes]
    _second_order(fo, ft, xs, seed=3)
