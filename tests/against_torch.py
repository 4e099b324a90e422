"""Shared by the table-driven operation tests: one case checked against central finite
differences (``gradcheck``, float64) and against PyTorch (values, gradients for a random
upstream gradient, and the dtype kept, in float64 and float32)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from autograd_mini import Tensor, gradcheck

try:
    import torch
except ImportError:  # the PyTorch comparisons skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


def inputs(shapes: Sequence[tuple], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def check_gradients(fn: Callable, shapes: Sequence[tuple], seed: int = 0) -> None:
    """fn's reverse-mode Jacobian equals central finite differences (float64)."""
    xs = [Tensor(x, requires_grad=True) for x in inputs(shapes, seed)]
    assert gradcheck(fn, xs, eps=1e-6, atol=1e-7, rtol=1e-6)


def check_float32_kept(fn: Callable, shapes: Sequence[tuple], seed: int = 0) -> None:
    """float32 inputs give a float32 result and float32 gradients (no PyTorch needed)."""
    xs = [Tensor(x.astype(np.float32), requires_grad=True) for x in inputs(shapes, seed)]
    out = fn(*xs)
    assert out.dtype == np.float32, f"{out.dtype} result from float32 inputs"
    out.backward(np.ones(out.shape, np.float32))
    assert all(x.grad.dtype == np.float32 for x in xs)


def check_against_torch(fn: Callable, torch_fn: Callable, shapes: Sequence[tuple],
                        dtype: type, seed: int = 0) -> None:
    """Same values, dtype and gradients as PyTorch for the same inputs and upstream gradient."""
    xs = [x.astype(dtype) for x in inputs(shapes, seed)]
    ours = [Tensor(x.copy(), requires_grad=True) for x in xs]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in xs]
    out, ref = fn(*ours), torch_fn(*theirs)
    tol = TOLERANCES[dtype]
    assert out.dtype == dtype, f"{out.dtype} result from {np.dtype(dtype)} inputs"
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **tol, err_msg="forward")
    upstream = np.random.default_rng(seed + 1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.grad.dtype == dtype
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **tol,
                                   err_msg=f"gradient of input {i}")


def weighted(pieces: Sequence) -> list:
    """Pieces of a split, each times a different number: a wrong piece gets a wrong gradient."""
    return [p * float(i + 1) for i, p in enumerate(pieces)]


def case_tests(cases: dict) -> tuple[Callable, Callable, Callable]:
    """The three tests of a table ``{name: (ours, PyTorch's, input shapes)}``: finite
    differences, float32 kept, and PyTorch in float64 and float32."""

    @pytest.mark.parametrize("name", sorted(cases))
    def test_gradient_against_finite_differences(name):
        fn, _, shapes = cases[name]
        check_gradients(fn, shapes)

    @pytest.mark.parametrize("name", sorted(cases))
    def test_float32_stays_float32(name):
        fn, _, shapes = cases[name]
        check_float32_kept(fn, shapes)

    @needs_torch
    @pytest.mark.parametrize("dtype", [np.float64, np.float32])
    @pytest.mark.parametrize("name", sorted(cases))
    def test_against_torch(name, dtype):
        fn, torch_fn, shapes = cases[name]
        check_against_torch(fn, torch_fn, shapes, dtype)

    return test_gradient_against_finite_differences, test_float32_stays_float32, \
        test_against_torch
