"""Grad mode, forward mode and operation counting are per thread, tested with real threads."""

from __future__ import annotations

import threading
import time

import numpy as np

import autograd_mini as ag
from autograd_mini import Tensor
from autograd_mini.state import shared


def run_in_threads(*targets) -> None:
    errors: list[BaseException] = []

    def guarded(target):
        def run():
            try:
                target()
            except BaseException as err:  # noqa: BLE001 - reported by the main thread
                errors.append(err)
        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_leaves_recording_on_in_another():
    start = threading.Barrier(2)
    inside = threading.Event()
    done = threading.Event()
    recorded: list[bool] = []

    def evaluator():
        start.wait()
        with ag.no_grad():
            inside.set()
            done.wait(timeout=30)  # stay inside no_grad while the trainer works

    def trainer():
        start.wait()
        inside.wait(timeout=30)
        w = Tensor(np.ones(3), requires_grad=True)
        for _ in range(200):
            recorded.append((w * 2.0).sum().requires_grad)
        done.set()

    run_in_threads(evaluator, trainer)
    assert len(recorded) == 200 and all(recorded)
    assert ag.is_grad_enabled()


def test_nested_no_grad_in_many_threads_restores_each_threads_mode():
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def worker():
        barrier.wait()
        for _ in range(20):
            with ag.no_grad():
                time.sleep(0.0005)  # let the other threads enter and leave in between
                with ag.enable_grad():
                    assert ag.is_grad_enabled()
                assert not ag.is_grad_enabled()
        results.append(ag.is_grad_enabled())

    run_in_threads(*[worker] * 8)
    assert results == [True] * 8
    assert ag.is_grad_enabled()
    assert not shared.loud  # every thread is back to the usual mode: the fast path is on


def test_a_new_thread_starts_recording_even_if_its_parent_is_in_no_grad():
    seen = []
    with ag.no_grad():
        run_in_threads(lambda: seen.append(ag.is_grad_enabled()))
        assert not ag.is_grad_enabled()
    assert seen == [True]


def test_count_ops_and_forward_mode_do_not_leak_across_threads():
    barrier = threading.Barrier(2)
    counted = threading.Event()
    finished = threading.Event()
    other: dict = {}

    def counter_thread():
        with ag.count_ops() as c, ag.forward_mode():
            barrier.wait()
            x = Tensor(2.0)
            x.tangent = np.array(1.0)
            y = x * x + x
            counted.set()
            finished.wait(timeout=30)
        other["counts"] = (c.forward, c.tangent)
        other["tangent"] = float(y.tangent)

    def busy_thread():
        barrier.wait()
        counted.wait(timeout=30)
        z = Tensor(3.0)
        z.tangent = np.array(1.0)
        for _ in range(50):
            w = z * z  # neither counted nor given a tangent: not inside this thread's contexts
        other["busy_tangent"] = w.tangent
        finished.set()

    run_in_threads(counter_thread, busy_thread)
    assert other["counts"] == (2, 4)  # x*x and (x*x) + x: two tangent rules each
    assert other["tangent"] == 5.0  # d(x² + x)/dx at 2
    assert other["busy_tangent"] is None


def test_a_tensors_hooks_run_whichever_thread_backpropagates_it():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(threading.current_thread().name) or g * 10)
    y = (x * x).sum()
    run_in_threads(lambda: y.backward())
    assert len(seen) == 1 and seen[0] != threading.current_thread().name
    np.testing.assert_array_equal(x.grad.data, [20.0, 40.0])


def test_a_thread_that_ends_inside_no_grad_leaves_the_others_correct():
    def leave_inside_no_grad():
        ag.no_grad().__enter__()  # never exited: the thread ends in no_grad

    run_in_threads(leave_inside_no_grad)
    w = Tensor(np.ones(2), requires_grad=True)
    assert (w * 2.0).requires_grad  # this thread still records
    with ag.no_grad():
        assert not (w * 2.0).requires_grad
