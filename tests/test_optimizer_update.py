"""The optimizer's update w ← w − η·v: one BLAS axpy in place (nn/blas.py) where BLAS can
write into the weights, numpy otherwise — the same numbers either way, the same array, stamped
as changed, and refused while a graph still needs the old values."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import numpy as np
import pytest

import nn
from autograd_mini import Tensor
from nn.blas import OpenBLAS, axpy, limit_blas_threads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_adds_in_place_in_one_call(dtype):
    rng = np.random.default_rng(0)
    y = rng.standard_normal((7, 5)).astype(dtype)
    x = rng.standard_normal((7, 5)).astype(dtype)
    expected = y - 0.3 * x
    held = y
    assert axpy(-0.3, x, y)
    assert held is y
    np.testing.assert_allclose(y, expected, rtol=4 * np.finfo(dtype).eps, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (np.ones((3, 4), np.float16), np.ones((3, 4), np.float16)),  # no BLAS routine
        lambda: (np.ones((3, 4)), np.ones((4, 3)).T),  # y not C-contiguous: BLAS would write a copy
        lambda: (np.ones((3, 4), np.float32), np.ones((3, 4))),  # dtypes differ
        lambda: (np.ones(12), np.ones((3, 4))),  # shapes differ
    ],
)
def test_axpy_declines_what_blas_cannot_write_in_place(make):
    x, y = make()
    before = y.copy()
    assert not axpy(-1.0, x, y)
    np.testing.assert_array_equal(y, before)


def test_axpy_declines_a_read_only_array():
    y = np.ones(4)
    y.flags.writeable = False
    assert not axpy(1.0, np.ones(4), y)
    assert y.tolist() == [1.0] * 4


def _trained_param(values, dtype):
    p = Tensor(np.array(values, dtype=dtype), requires_grad=True, name="w")
    (p * p).sum().backward()  # grad 2w
    return p


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sgd_step_is_w_minus_lr_grad_in_place_for_every_float_dtype(dtype):
    p = _trained_param([1.0, -2.0, 0.5], dtype)
    array = p.data
    nn.SGD([p], lr=0.25).step()
    assert p.data is array and p.dtype == dtype
    np.testing.assert_allclose(p.data, np.array([1.0, -2.0, 0.5]) * 0.5, rtol=1e-3)


def test_sgd_step_on_a_non_contiguous_parameter_updates_it_all_the_same():
    w = np.arange(12.0).reshape(3, 4).T  # a transposed view: not C-contiguous
    p = Tensor(w, requires_grad=True, name="w")
    assert not p.data.flags.c_contiguous
    (p * p).sum().backward()
    nn.SGD([p], lr=0.25).step()
    np.testing.assert_array_equal(p.data, np.arange(12.0).reshape(3, 4).T * 0.5)


def test_sgd_step_before_backward_is_still_refused_with_the_blas_update():
    p = Tensor(np.ones((2, 3)), requires_grad=True, name="w")
    p.grad = Tensor(np.ones((2, 3)))
    pending = (p * 2.0).sum()  # a graph that still needs p's values
    with pytest.raises(RuntimeError, match=r"tensor 'w'.*'mul' saved its values"):
        nn.SGD([p], lr=0.1).step()
    np.testing.assert_array_equal(p.data, np.ones((2, 3)))
    pending.backward()


def test_the_update_stamps_the_parameter_so_an_older_graph_refuses():
    p = Tensor(np.ones(3), requires_grad=True, name="w")
    older = (p * p).sum()
    newer = (p * 3.0).sum()
    newer.backward()
    nn.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match=r"values of tensor 'w' .* changed in place"):
        older.backward()


def test_the_update_does_not_touch_the_gradient_or_the_momentum_buffer():
    p = _trained_param([1.0, 2.0], np.float64)
    grad = p.grad.data.copy()
    opt = nn.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    np.testing.assert_array_equal(p.grad.data, grad)
    np.testing.assert_array_equal(opt.state_dict()["velocity.0"], grad)  # v = g at first
    np.testing.assert_allclose(p.data, [1.0, 2.0] - 0.1 * grad)


def test_every_openblas_in_the_process_is_set_to_one_thread(monkeypatch):
    axpy(1.0, np.ones(3), np.ones(3))  # scipy's BLAS (and its OpenBLAS) loaded
    blas = OpenBLAS()
    if blas.threads() is None:
        pytest.skip("numpy does not use OpenBLAS here")
    libs = blas._libs
    with open("/proc/self/maps") as f:
        scipy_openblas = any("scipy.libs" in line and "openblas" in line.lower() for line in f)
    if scipy_openblas:  # scipy's own OpenBLAS (axpy's) is found beside numpy's
        assert any("scipy.libs" in path for path, *_ in libs) and len(libs) >= 2
    before = [int(get()) for _, get, _, _ in libs]
    try:
        blas.set_threads(2)
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert limit_blas_threads() == 1
        assert [int(get()) for _, get, _, _ in libs] == [1] * len(libs)
    finally:
        for (_, _, set_, _), n in zip(libs, before, strict=True):
            set_(n)


def test_a_limit_set_before_scipy_is_loaded_reaches_its_openblas_too():
    """``import nn`` does not import scipy; the first optimizer step does, and scipy's OpenBLAS
    then gets the thread count set before (else it would run axpy on every core)."""
    code = (
        "import sys, numpy as np\n"
        "from nn.blas import OpenBLAS, axpy, limit_blas_threads\n"
        "import nn\n"
        "assert 'scipy.linalg' not in sys.modules\n"
        "limit_blas_threads(1)\n"
        "assert axpy(1.0, np.ones(3), np.ones(3))\n"
        "print([int(get()) for _, get, _, _ in OpenBLAS()._libs])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS",
                                                              "OMP_NUM_THREADS")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    counts = ast.literal_eval(proc.stdout)
    if not counts:
        pytest.skip("numpy does not use OpenBLAS here")
    assert counts == [1] * len(counts)
