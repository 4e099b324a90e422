"""Per-operation overhead: µs per elementwise operation on a (10, 10) Tensor that requires grad,
against the same numpy call, and the forward and backward of a 5-operation graph against the
same derivatives written by hand in numpy."""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_mini as ag
from autograd_mini import Tensor, ops

from .stats import median


def per_call_us(fn: Callable[[], Any], number: int, repeat: int = 7) -> float:
    """Median over ``repeat`` runs of the µs per call of ``fn`` (garbage collector on)."""
    runs = timeit.Timer(fn, setup="import gc; gc.enable()").repeat(repeat=repeat, number=number)
    return median(runs) / number * 1e6


def run_micro(args: argparse.Namespace) -> dict[str, Any]:
    """µs per call of four elementwise operations and of the 5-operation graph."""
    rng = np.random.default_rng(args.seed)
    an, bn = rng.standard_normal((10, 10)), rng.standard_normal((10, 10))
    a, b = Tensor(an, requires_grad=True), Tensor(bn, requires_grad=True)
    sigmoid_np = ops.sigmoid.fun  # the primitive's own numpy forward, without the engine
    cases = [
        ("a * b", lambda: a * b, lambda: an * bn),
        ("a + b", lambda: a + b, lambda: an + bn),
        ("exp(a)", lambda: ag.exp(a), lambda: np.exp(an)),
        ("sigmoid(a)", lambda: ag.sigmoid(a), lambda: sigmoid_np(an)),
    ]
    number = args.micro_calls
    ops_out = []
    for name, f_tensor, f_numpy in cases:
        t_np = per_call_us(f_numpy, number)
        t_ag = per_call_us(f_tensor, number)
        with ag.no_grad():
            t_ng = per_call_us(f_tensor, number)
        ops_out.append({"op": name, "numpy_us": t_np, "tensor_us": t_ag,
                        "overhead_us": t_ag - t_np, "tensor_no_grad_us": t_ng,
                        "overhead_no_grad_us": t_ng - t_np})

    def forward():  # 5 operations: mul, add, sigmoid, mul, sum
        return (ag.sigmoid(a * b + a) * b).sum()

    def forward_backward():
        a.grad = b.grad = None
        forward().backward()

    def numpy_by_hand():
        c = an * bn
        d = c + an
        e = sigmoid_np(d)
        f = e * bn
        f.sum()
        ge = bn  # d(sum)/df = 1, df/de = b
        gb = e.copy()
        gd = ge * e * (1 - e)
        return gd + gd * bn, gb + gd * an

    forward_backward()
    ga, gb = numpy_by_hand()
    check = max(float(np.max(np.abs(a.grad.data - ga))), float(np.max(np.abs(b.grad.data - gb))))
    n5 = max(number // 5, 1)
    t_fwd = per_call_us(forward, n5)
    t_fb = per_call_us(forward_backward, n5)
    t_np = per_call_us(numpy_by_hand, n5)
    return {
        "shape": [10, 10], "dtype": "float64", "calls_per_run": number, "ops": ops_out,
        "graph5": {"forward_us": t_fwd, "forward_backward_us": t_fb,
                   "backward_us": t_fb - t_fwd, "backward_us_per_node": (t_fb - t_fwd) / 5,
                   "numpy_by_hand_forward_backward_us": t_np, "max_abs_diff_vs_by_hand": check},
    }
