"""The numpy vocabulary: comparisons, where, maximum, minimum, clip, the elementary functions,
the activations, min, argmax, argmin, sort, argsort, var, std, prod, cumsum and ``%``.

One table drives the common checks of every differentiable operation: values against numpy,
gradients against finite differences (gradcheck), values, gradients and second derivatives
against PyTorch (float64, to ~1e-12), and float32 staying float32 (values, every gradient sent
by the sweep, forward-mode tangents). Forward rules are checked in test_functional.py (CASES).
The corner cases PyTorch defines — ties, NaN, zeros, bounds, domains, extreme inputs — follow.
"""

from __future__ import annotations

import math
import warnings
import zlib

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor, gradcheck, ops
from autograd_mini.state import Observer, observing

try:
    import torch
except ImportError:  # the PyTorch comparisons skip; everything else runs
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
F = None if torch is None else torch.nn.functional

# Input domains: (rng, shape) -> array. Kinks and jumps (0 for sign, integers for floor) are
# kept well away from, so central differences see a smooth function.
REAL = lambda r, s: r.standard_normal(s)
WIDE = lambda r, s: 4 * r.standard_normal(s)
UNIT = lambda r, s: r.uniform(-0.9, 0.9, s)
POS = lambda r, s: r.uniform(0.5, 2.5, s)
ABOVE_1 = lambda r, s: r.uniform(1.2, 3.0, s)
OFF_ZERO = lambda r, s: r.choice([-1.0, 1.0], s) * r.uniform(0.3, 2.0, s)
OFF_INTEGERS = lambda r, s: r.integers(-3, 3, s) + r.uniform(0.2, 0.8, s)
COND = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])


def unary(name, domain=REAL, torch_name=None, numpy=True):
    """A row for am.<name> against torch.<torch_name or name> and np.<name>."""
    return (name, getattr(am, name), lambda t: getattr(torch, torch_name or name)(t),
            [(domain, (3, 4))], getattr(np, name) if numpy else None)


# name, ours, PyTorch's, input (domain, shape)s, numpy's (or None)
ROWS = [
    unary("sin"), unary("cos"), unary("tan", UNIT), unary("arcsin", UNIT, "asin"),
    unary("arccos", UNIT, "acos"), unary("arctan", WIDE, "atan"), unary("sinh"),
    unary("cosh"), unary("arcsinh", WIDE, "asinh"), unary("arccosh", ABOVE_1, "acosh"),
    unary("arctanh", UNIT, "atanh"), unary("log1p", POS), unary("expm1"), unary("log2", POS),
    unary("log10", POS), unary("exp2"), unary("square"), unary("reciprocal", OFF_ZERO),
    unary("sign", OFF_ZERO), unary("floor", OFF_INTEGERS), unary("ceil", OFF_INTEGERS),
    unary("erf", WIDE, numpy=False), unary("erfc", WIDE, numpy=False),
    ("arctan2", am.arctan2, lambda y, x: torch.atan2(y, x), [(REAL, (3, 4)), (REAL, (4,))],
     np.arctan2),
    ("hypot", am.hypot, lambda x, y: torch.hypot(x, y), [(OFF_ZERO, (3, 4)), (REAL, (3, 1))],
     np.hypot),
    ("logaddexp", am.logaddexp, lambda x, y: torch.logaddexp(x, y),
     [(WIDE, (3, 4)), (WIDE, (4,))], np.logaddexp),
    ("maximum", am.maximum, lambda x, y: torch.maximum(x, y), [(REAL, (3, 4)), (REAL, (4,))],
     np.maximum),
    ("minimum", am.minimum, lambda x, y: torch.minimum(x, y), [(REAL, (3, 1)), (REAL, (4,))],
     np.minimum),
    ("mod", lambda x, y: x % y, lambda x, y: x % y, [(WIDE, (3, 4)), (POS, (4,))], np.mod),
    ("mod_negative", am.mod, lambda x, y: torch.remainder(x, y),
     [(WIDE, (3, 4)), (lambda r, s: -POS(r, s), (3, 1))], np.mod),
    ("rmod", lambda y: 5.0 % y, lambda y: 5.0 - y * torch.floor(5.0 / y), [(POS, (3, 4))],
     lambda y: np.mod(5.0, y)),  # PyTorch has no derivative of remainder in y: written out
    ("floor_divide", lambda x, y: x // y, lambda x, y: torch.floor(x / y),
     [(WIDE, (3, 4)), (POS, (4,))], np.floor_divide),
    ("where", lambda x, y: am.where(COND, x, y), lambda x, y: torch.where(torch.tensor(COND), x, y),
     [(REAL, (3, 4)), (REAL, (4,))], lambda x, y: np.where(COND, x, y)),
    ("clip", lambda x: am.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7),
     [(REAL, (3, 4))], lambda x: np.clip(x, -0.5, 0.7)),
    ("clamp_max", lambda x: x.clamp(max=0.3), lambda x: x.clamp(max=0.3), [(REAL, (3, 4))],
     lambda x: np.clip(x, None, 0.3)),
    ("clip_tensors", am.clip, lambda x, lo, hi: torch.clamp(x, lo, hi),
     [(REAL, (3, 4)), (lambda r, s: REAL(r, s) - 0.5, (4,)),
      (lambda r, s: REAL(r, s) + 0.5, (3, 1))], np.clip),
    ("softplus", am.softplus, lambda x: F.softplus(x), [(WIDE, (3, 4))],
     lambda x: np.logaddexp(0, x)),
    ("softplus_beta", lambda x: am.softplus(x, beta=2.0, threshold=5.0),
     lambda x: F.softplus(x, beta=2.0, threshold=5.0), [(WIDE, (3, 4))], None),
    ("leaky_relu", am.leaky_relu, lambda x: F.leaky_relu(x), [(OFF_ZERO, (3, 4))],
     lambda x: np.where(x > 0, x, 0.01 * x)),
    ("leaky_relu_slope", lambda x: am.leaky_relu(x, negative_slope=0.2),
     lambda x: F.leaky_relu(x, negative_slope=0.2), [(OFF_ZERO, (3, 4))], None),
    ("elu", am.elu, lambda x: F.elu(x), [(OFF_ZERO, (3, 4))],
     lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu_alpha", lambda x: am.elu(x, alpha=1.5), lambda x: F.elu(x, alpha=1.5),
     [(OFF_ZERO, (3, 4))], None),
    ("gelu", am.gelu, lambda x: F.gelu(x), [(WIDE, (3, 4))], None),
    ("gelu_tanh", lambda x: am.gelu(x, approximate="tanh"),
     lambda x: F.gelu(x, approximate="tanh"), [(WIDE, (3, 4))], None),
    ("min", lambda x: x.min(), lambda x: torch.amin(x), [(REAL, (3, 4))], np.min),
    ("min_axis", lambda x: am.min(x, axis=1), lambda x: torch.amin(x, dim=1), [(REAL, (3, 4))],
     lambda x: np.min(x, axis=1)),
    ("min_tuple_keep", lambda x: x.min(axis=(0, -1), keepdims=True),
     lambda x: torch.amin(x, dim=(0, -1), keepdim=True), [(REAL, (2, 3, 4))], None),
    ("var", am.var, lambda x: torch.var(x, correction=0), [(REAL, (3, 4))], np.var),
    ("var_ddof_axis", lambda x: x.var(axis=1, ddof=1),
     lambda x: torch.var(x, dim=1, correction=1), [(REAL, (3, 4))],
     lambda x: np.var(x, axis=1, ddof=1)),
    ("var_tuple_keep", lambda x: am.var(x, axis=(0, 2), keepdims=True),
     lambda x: torch.var(x, dim=(0, 2), correction=0, keepdim=True), [(REAL, (2, 3, 4))], None),
    ("std", lambda x: x.std(), lambda x: torch.std(x, correction=0), [(REAL, (3, 4))], np.std),
    ("std_ddof_axis", lambda x: am.std(x, axis=0, ddof=1, keepdims=True),
     lambda x: torch.std(x, dim=0, correction=1, keepdim=True), [(REAL, (3, 4))], None),
    ("prod", am.prod, lambda x: torch.prod(x), [(REAL, (3, 4))], np.prod),
    ("prod_axis_keep", lambda x: x.prod(axis=1, keepdims=True),
     lambda x: torch.prod(x, dim=1, keepdim=True), [(REAL, (3, 4))], None),
    ("cumsum", am.cumsum, lambda x: torch.cumsum(x.reshape(-1), 0), [(REAL, (3, 4))], np.cumsum),
    ("cumsum_axis", lambda x: x.cumsum(axis=-2), lambda x: torch.cumsum(x, dim=-2),
     [(REAL, (2, 3, 4))], lambda x: np.cumsum(x, axis=-2)),
    ("sort", am.sort, lambda x: torch.sort(x, stable=True).values, [(REAL, (3, 4))], np.sort),
    ("sort_axis0", lambda x: x.sort(axis=0), lambda x: torch.sort(x, dim=0, stable=True).values,
     [(REAL, (3, 4))], lambda x: np.sort(x, axis=0)),
    ("sort_flat", lambda x: am.sort(x, axis=None),
     lambda x: torch.sort(x.reshape(-1), stable=True).values, [(REAL, (3, 4))],
     lambda x: np.sort(x, axis=None)),
]
IDS = [row[0] for row in ROWS]


def inputs(row, dtype=np.float64):
    """The row's inputs (one draw per row, the same in every test) and an upstream gradient."""
    rng = np.random.default_rng(zlib.crc32(row[0].encode()))
    xs = [domain(rng, shape).astype(dtype) for domain, shape in row[3]]
    out_shape = np.shape(row[1](*map(Tensor, xs)).data)
    return xs, rng.standard_normal(out_shape).astype(dtype)


@pytest.mark.parametrize("row", [r for r in ROWS if r[4] is not None], ids=lambda r: r[0])
def test_values_match_numpy(row):
    xs, _ = inputs(row)
    out = row[1](*map(Tensor, xs))
    np.testing.assert_allclose(out.data, row[4](*xs), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_gradients_match_finite_differences(row):
    xs, _ = inputs(row)
    assert gradcheck(row[1], [Tensor(x, requires_grad=True) for x in xs])


@needs_torch
@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_values_gradients_and_second_derivatives_match_pytorch(row):
    """Value, gradient (for a random upstream gradient g) and the derivative of ⟨gradient, v⟩
    (create_graph=True: the reverse rules differentiated in turn) against PyTorch."""
    xs, g = inputs(row)
    ours = [Tensor(x, requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    out, ref = row[1](*ours), row[2](*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    grads = am.grad(out, ours, g, create_graph=True)
    ref_grads = torch.autograd.grad(ref, theirs, torch.tensor(g), create_graph=True)
    for a, b in zip(grads, ref_grads, strict=True):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
    vs = [np.random.default_rng(i).standard_normal(x.shape) for i, x in enumerate(xs)]
    second = sum((a * v).sum() for a, v in zip(grads, vs, strict=True))
    ref_second = sum((b * torch.tensor(v)).sum() for b, v in zip(ref_grads, vs, strict=True))
    got = am.grad(second, ours, allow_unused=True) if second.requires_grad else [None] * len(xs)
    want = (torch.autograd.grad(ref_second, theirs, allow_unused=True)
            if ref_second.requires_grad else [None] * len(xs))
    for x, a, b in zip(xs, got, want, strict=True):  # None: no dependence, zeros
        a = np.zeros_like(x) if a is None else a.data
        b = np.zeros_like(x) if b is None else b.numpy()
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


class DtypesSent(Observer):
    """Records the dtype of every gradient the backward sweep sends."""

    def __init__(self):
        self.dtypes = set()

    def sent(self, tensor, argnum, to, grad):
        self.dtypes.add(np.result_type(grad))


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_float32_stays_float32(row):
    xs, g = inputs(row, np.float32)
    ours = [Tensor(x, requires_grad=True) for x in xs]
    out = row[1](*ours)
    assert out.dtype == np.float32
    exact = row[1](*(Tensor(x.astype(np.float64)) for x in xs))
    np.testing.assert_allclose(out.data, exact.data, rtol=2e-6, atol=1e-6)
    with observing(DtypesSent()) as seen:
        out.backward(g)
    assert seen.dtypes == {np.dtype(np.float32)}
    assert all(x.grad.dtype == np.float32 for x in ours)
    _, tangent = am.jvp(row[1], tuple(xs), tuple(np.ones_like(x) for x in xs))
    assert tangent.dtype == np.float32


# ---------------------------------------------------------------------------- comparisons


def test_comparisons_are_boolean_tensors_that_never_require_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = np.array([3.0, 2.0, 1.0])
    cases = [(x < y, ops.less, np.less), (x <= y, ops.less_equal, np.less_equal),
             (x > y, ops.greater, np.greater), (x >= y, ops.greater_equal, np.greater_equal),
             (x == y, ops.equal, np.equal), (x != y, ops.not_equal, np.not_equal)]
    for out, fn, ref in cases:
        assert isinstance(out, Tensor) and out.dtype == bool and not out.requires_grad
        np.testing.assert_array_equal(out.data, ref(x.data, y))
        np.testing.assert_array_equal(fn(x, y).data, ref(x.data, y))
    np.testing.assert_array_equal((2.0 < x).data, [False, False, True])  # reflected
    np.testing.assert_array_equal((y > x).data, [True, False, False])  # ndarray on the left
    assert am.less(np.array([1.0]), 2.0).dtype == bool  # plain arrays in, plain arrays out


def test_tensors_stay_hashable_by_identity_and_comparisons_of_many_have_no_truth_value():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2 and a in [a] and hash(a) != hash(b)
    assert (a == None) is False and (a != None) is True and a != "a"  # noqa: E711
    with pytest.raises(ValueError, match="ambiguous"):
        bool(a == b)
    assert bool(Tensor(1.0) == 1.0) and not bool(Tensor(1.0) != 1.0)
    with pytest.raises(TypeError):
        _ = a < "a"


def test_masks_route_gradients():
    x = Tensor([-2.0, -0.5, 0.5, 2.0], requires_grad=True)
    am.where(x > 0, x * x, -x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, -1.0, 1.0, 4.0])
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    am.where(np.array([True, False]), a, b).backward(np.array([nan, 5.0]))
    np.testing.assert_array_equal(a.grad.data, [nan, 0.0])  # a NaN goes only where it belongs
    np.testing.assert_array_equal(b.grad.data, [0.0, 5.0])


# -------------------------------------------------------------- ties, NaN, bounds: like PyTorch


def _torch_grads(fn, *xs):
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    fn(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


def _our_grads(fn, *xs):
    ts = [Tensor(x, requires_grad=True) for x in xs]
    fn(*ts).sum().backward()
    return [t.grad.data for t in ts]


nan = float("nan")
CORNERS = [  # name, ours, PyTorch's, inputs
    ("maximum ties and NaN", am.maximum, lambda x, y: torch.maximum(x, y),
     [[1.0, 2.0, nan, 3.0, nan], [1.0, 1.0, 1.0, nan, nan]]),
    ("minimum ties and NaN", am.minimum, lambda x, y: torch.minimum(x, y),
     [[1.0, 2.0, nan, 3.0, nan], [1.0, 1.0, 1.0, nan, nan]]),
    ("clamp at and beyond the bounds", lambda x: am.clip(x, 0.0, 1.0),
     lambda x: torch.clamp(x, 0.0, 1.0), [[-1.0, 0.0, 0.5, 1.0, 2.0, nan]]),
    ("clamp with tensor bounds, crossed bounds and NaN", am.clip, lambda *a: torch.clamp(*a),
     [[2.0, 1.0, 1.5, 2.0, 3.0, 0.5, 1.5, nan, 1.0, 1.0],
      [1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 1.5, 1.0, nan, 0.0],
      [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 2.0, 2.0, nan]]),
    ("min ties", lambda x: x.min(), lambda x: torch.amin(x), [[1.0, 3.0, 1.0, 1.0]]),
    ("min ties over an axis", lambda x: x.min(axis=0), lambda x: torch.amin(x, dim=0),
     [[[1.0, 2.0], [1.0, 0.0]]]),
    ("sort with ties and NaN", lambda x: am.sort(x) * np.arange(1.0, 6.0),
     lambda x: torch.sort(x, stable=True).values * torch.arange(1.0, 6.0, dtype=torch.float64),
     [[3.0, nan, 1.0, 1.0, -2.0]]),
    ("prod with one zero", am.prod, lambda x: torch.prod(x), [[2.0, 0.0, 3.0, -1.5]]),
    ("prod with two zeros", am.prod, lambda x: torch.prod(x), [[0.0, 2.0, 0.0, 3.0]]),
    ("prod with zeros in some rows", lambda x: am.prod(x, axis=1),
     lambda x: torch.prod(x, dim=1), [[[0.0, 2.0, 4.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]]]),
    ("std at zero variance", am.std, lambda x: torch.std(x, correction=0), [[2.0, 2.0, 2.0]]),
    ("std rows at zero variance", lambda x: am.std(x, axis=1, ddof=1),
     lambda x: torch.std(x, dim=1), [[[0.5, 0.5], [1.0, 3.0]]]),
    ("sign, floor and ceil at their jumps", lambda x: am.sign(x) + am.floor(x) + am.ceil(x),
     lambda x: torch.sign(x) + torch.floor(x) + torch.ceil(x), [[0.0, 1.0, -2.0]]),
    ("leaky_relu, elu and relu at 0", lambda x: am.leaky_relu(x) + am.elu(x, alpha=2.0) + x.relu(),
     lambda x: F.leaky_relu(x) + F.elu(x, alpha=2.0) + torch.relu(x), [[0.0, -0.0]]),
    ("arctan2 at the origin", am.arctan2, lambda y, x: torch.atan2(y, x), [[0.0, 1.0], [0.0, 0.0]]),
    ("mod gradient in y is −floor(x/y)", am.mod, lambda x, y: torch.remainder(x, y),
     [[5.5, -5.5, 5.5, -5.5], [2.0, 2.0, -2.0, -2.0]]),
]


@needs_torch
@pytest.mark.parametrize("case", CORNERS, ids=[c[0] for c in CORNERS])
def test_corner_cases_match_pytorch(case):
    _, ours, theirs, xs = case
    xs = [np.array(x) for x in xs]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way
        out = ours(*map(Tensor, xs)).data
        grads = _our_grads(ours, *xs)
    np.testing.assert_array_equal(out, theirs(*map(torch.tensor, xs)).numpy())
    for a, b in zip(grads, _torch_grads(theirs, *xs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-15, atol=0)


def test_min_mirrors_max():
    """min(x) = −max(−x), gradients included: ties, and NaN (whatever max does with it)."""
    x = np.array([[1.0, -2.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [1.0, nan, 2.0, 0.0]])
    for kw in ({}, {"axis": 1}, {"axis": 0, "keepdims": True}):
        a, b = Tensor(x, requires_grad=True), Tensor(-x, requires_grad=True)
        with np.errstate(invalid="ignore"):
            am.min(a, **kw).sum().backward()
            am.max(b, **kw).sum().backward()
        np.testing.assert_array_equal(a.grad.data, b.grad.data)


def test_clip_with_a_min_equal_to_a_max_gives_the_gradient_to_a_min():
    """PyTorch loses this gradient (to neither bound); clip(x, c, c) = c, so ∂/∂c = 1."""
    x, lo, hi = (Tensor([v], requires_grad=True) for v in (0.0, 1.0, 1.0))
    am.clip(x, lo, hi).backward()
    assert (x.grad.item(), lo.grad.item(), hi.grad.item()) == (0.0, 1.0, 0.0)


@needs_torch
def test_prod_second_derivatives_with_one_zero_match_pytorch():
    x = np.array([2.0, 0.0, 3.0, -1.5])
    H = am.hessian(lambda t: am.prod(t), x).data
    ref = torch.autograd.functional.hessian(torch.prod, torch.tensor(x)).numpy()
    np.testing.assert_allclose(H, ref, rtol=1e-14)


def test_argmax_argmin_argsort_are_numpys_integers():
    x = np.array([[1.0, 3.0, 3.0, -1.0], [nan, 0.0, 2.0, nan], [2.0, 2.0, -4.0, -4.0]])
    t = Tensor(x, requires_grad=True)
    cases = [(t.argmax(), np.argmax(x)), (am.argmax(t, axis=1), np.argmax(x, axis=1)),
             (t.argmin(axis=0, keepdims=True), np.argmin(x, axis=0, keepdims=True)),
             (am.argmin(t, axis=-1), np.argmin(x, axis=-1)),
             (t.argsort(), np.argsort(x, kind="stable")),
             (am.argsort(t, axis=None), np.argsort(x, axis=None, kind="stable"))]
    for out, ref in cases:
        assert out.dtype.kind == "i" and not out.requires_grad
        np.testing.assert_array_equal(out.data, ref)


# --------------------------------------------------------------------- numerics and domains


def test_extreme_inputs_give_finite_results_and_gradients_without_warnings():
    for dtype in (np.float64, np.float32):
        big = np.finfo(dtype).max
        x = Tensor(np.array([-big, -1e4, -50.0, 0.0, 50.0, 1e4, big], dtype), requires_grad=True)
        fs = [am.softplus, am.elu, am.gelu, lambda t: am.gelu(t, approximate="tanh"), am.erf,
              am.erfc, am.arctan, am.arcsinh, lambda t: am.logaddexp(t, 0.0), am.leaky_relu,
              lambda t: am.arctan2(t, 1.0), lambda t: am.log10(abs(t) + 1), am.sigmoid]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for f in fs:
                y = f(x)
                y.sum().backward()
                assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all(), f
                assert y.dtype == dtype and x.grad.dtype == dtype
                x.grad = None
    np.testing.assert_array_equal(am.softplus(Tensor([-1e30, 1e30])).data, [0.0, 1e30])
    np.testing.assert_array_equal(am.gelu(Tensor([-1e30, 1e30])).data, [0.0, 1e30])


@needs_torch
def test_gelu_erf_and_erfc_agree_with_pytorch_over_a_wide_range():
    """To 1e-12 relative, or 1e-15 absolute (gradients 1e-14) where x ≪ 0: there PyTorch's
    ½(1 + erf) and ½(1 + tanh) cancel, while Φ from erfc and σ(2u) keep every digit (see the
    next test)."""
    x = np.linspace(-12, 12, 2001)
    for ours, theirs in [(am.erf, torch.erf), (am.erfc, torch.erfc), (am.gelu, F.gelu),
                         (lambda t: am.gelu(t, approximate="tanh"),
                          lambda t: F.gelu(t, approximate="tanh"))]:
        np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).numpy(),
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(_our_grads(ours, x)[0], _torch_grads(theirs, x)[0],
                                   rtol=1e-12, atol=1e-14)


def test_gelu_tails_are_exact():
    # Φ(−10) = 7.619853024160527e-24 (the normal tail); the tanh form is x·σ(2u) exactly
    np.testing.assert_allclose(am.gelu(Tensor(-10.0)).data, -10 * 7.619853024160527e-24,
                               rtol=1e-14)
    u = math.sqrt(2 / math.pi) * (-10 + 0.044715 * -1000)
    np.testing.assert_allclose(am.gelu(Tensor(-10.0), approximate="tanh").data,
                               -10 / (1 + math.exp(-2 * u)), rtol=1e-14)


def test_outside_the_domain_the_result_is_nan_like_numpy():
    x = Tensor([0.5, -2.0, 2.0], requires_grad=True)
    for f in (am.arccosh, am.arcsin, am.arctanh, am.log2):
        with pytest.warns(RuntimeWarning, match="invalid value"):
            y = f(x)
        assert np.isnan(y.data).any() and y.requires_grad


def test_mod_follows_the_sign_of_the_divisor():
    x, y = np.array([5.5, -5.5, 5.5, -5.5]), np.array([2.0, 2.0, -2.0, -2.0])
    np.testing.assert_array_equal((Tensor(x) % y).data, [1.5, 0.5, -0.5, -1.5])
    np.testing.assert_array_equal(am.remainder(x, Tensor(y)).data, np.mod(x, y))
    np.testing.assert_array_equal((Tensor(x) // y).data, x // y)


def test_sign_floor_ceil_have_zero_gradient_and_require_grad_like_pytorch():
    x = Tensor([-1.5, 0.0, 2.5], requires_grad=True)
    for f in (am.sign, am.floor, am.ceil, lambda t: t // 2.0):
        y = f(x)
        assert y.requires_grad
        y.backward(np.array([1.0, nan, np.inf]))  # zeros, not g·0
        np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
        x.grad = None


def test_bad_input_names_the_operation():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        am.gelu(x, approximate="fast")
    with pytest.raises(IndexError, match="^sort:"):
        am.sort(x, axis=2)
    with pytest.raises(IndexError, match="^var:"):
        x.var(axis=3)
    with pytest.raises(ValueError, match="^where:.*shape"):
        am.where(np.ones(4, bool), x, 0.0)
    with pytest.raises(ValueError, match="^maximum:.*\\(2, 3\\) and \\(2,\\)"):
        am.maximum(x, np.ones(2))


def test_methods_are_the_functions():
    x = Tensor(np.array([[0.3, -0.6], [0.9, 0.1]]))
    pairs = [(x.asin(), am.arcsin(x)), (x.acos(), am.arccos(x)), (x.atan(), am.arctan(x)),
             (x.asinh(), am.arcsinh(x)), (x.atanh(), am.arctanh(x)), (x.sinh(), am.sinh(x)),
             (x.atan2(x.T), am.arctan2(x, x.T)), (x.clamp(0.0, 0.5), am.clip(x, 0.0, 0.5)),
             (x.clip(max=0.2), am.clip(x, None, 0.2)), (x.remainder(0.4), am.mod(x, 0.4)),
             (x.where(x > 0.2, -1.0), am.where(x > 0.2, x, -1.0)), (x.erf(), am.erf(x)),
             (x.maximum(0.2), am.maximum(x, 0.2)), (x.hypot(x.T), am.hypot(x, x.T)),
             (x.logaddexp(x.T), am.logaddexp(x, x.T)), (x.square(), am.square(x)),
             (x.cumsum(), am.cumsum(x)), (x.argsort(axis=0), am.argsort(x, axis=0)),
             ((x + 5).acosh(), am.arccosh(x + 5)), (x.reciprocal(), am.reciprocal(x))]
    for a, b in pairs:
        np.testing.assert_array_equal(a.data, b.data)
