"""Values a graph saved cannot change silently before its backward pass (write_guard.py):
in-place changes are refused while a live graph holds them, or detected by backward()."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as ag
import nn
from autograd_mini import Tensor


def leaf(values, name=None):
    return Tensor(np.array(values, dtype=float), requires_grad=True, name=name)


def test_writing_a_saved_leaf_through_data_is_refused_naming_tensor_and_operation():
    a, b = leaf([1.0, 2.0], "a"), leaf([3.0, 4.0], "b")
    y = (a * b).sum()
    with pytest.raises(RuntimeError, match=r"tensor 'b' of shape \(2,\).*'mul' saved its values"):
        b.data[...] = 100
    with pytest.raises(RuntimeError, match="tensor 'b'"):
        b.numpy()[0] = 100
    with pytest.raises(RuntimeError, match="tensor 'b'"):
        np.add(b.data, 1, out=b.data)
    with pytest.raises(RuntimeError, match="tensor 'a'"):
        a.data[:1] *= 2  # a view of the guarded values is guarded too
    y.backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])  # nothing was changed
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0])
    b.data[...] = 100  # the graph has been backpropagated: writing is fine again
    assert b.data.tolist() == [100.0, 100.0]


def test_an_optimizer_step_before_backward_is_refused_and_after_it_works():
    model = nn.MLP([3, 4, 2], rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    x, y = np.ones((5, 3)), np.zeros((5, 2))
    J = nn.quadratic_cost(model(x), y)
    for p in model.parameters():
        p.grad = Tensor(np.ones(p.shape))
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(RuntimeError, match=r"'affine' saved its values.*Call backward\(\) first"):
        opt.step()
    for p, old in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, old)
    opt.zero_grad()
    J.backward()
    opt.step()  # after backward: the usual in-place update
    assert any(not np.array_equal(p.data, old)
               for p, old in zip(model.parameters(), before, strict=True))


def test_a_change_after_a_newer_graph_ran_is_detected_by_the_older_graphs_backward():
    w = leaf([1.0, 2.0], "w")
    J1 = (w * w).sum()  # older graph, still to be backpropagated
    J2 = (w * 3.0).sum()
    J2.backward()  # the newest graph that saved w has run, so w.data is writable ...
    w.data -= 0.5  # ... and this in-place step is stamped
    with pytest.raises(RuntimeError, match=r"values of tensor 'w' .* changed in place after 'mul'"):
        J1.backward()


def test_a_changed_intermediate_is_refused_until_backward():
    x = leaf([1.0, 2.0], "x")
    h = x * 2.0
    h.name = "h"
    y = (h * h).sum()
    with pytest.raises(RuntimeError, match=r"tensor 'h'.*'mul'"):
        h.data[0] = 5.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [8.0, 16.0])  # d(Σ 4x²)/dx = 8x
    h.data[0] = 5.0  # freed by backward: no graph needs it any more


def test_reading_guarded_values_gives_plain_arrays():
    a = leaf([1.0, -2.0], "a")
    (a * a).sum()  # not backpropagated, but dropped at once: nothing holds a
    a.data[0] = 1.0  # a dropped graph does not keep the guard
    keep = (a * a).sum()
    view = a.data
    assert view.tolist() == [1.0, -2.0] and float(view.sum()) == -1.0
    for derived in (view * 2, np.exp(view), view.copy(), np.abs(view), view + view):
        assert type(derived) is np.ndarray or derived.flags.writeable
        derived[...] = 0  # computed from guarded values, but new arrays: writable
    t = Tensor(view)  # a new tensor from guarded values gets its own copy
    t.data[0] = 7.0
    assert a.data[0] == 1.0
    keep.backward()


def test_retain_graph_keeps_the_guard_until_the_last_backward():
    w = leaf([2.0], "w")
    y = (w * w).sum()
    y.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="tensor 'w'"):
        w.data[...] = 0
    y.backward()
    w.data[...] = 0


def test_rebinding_data_keeps_the_old_graph_exact():
    w = leaf([1.0, 2.0], "w")
    y = (w * w).sum()
    w.data = np.array([10.0, 20.0])  # a new array: the graph still has the old values
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


def test_loading_a_state_dict_into_a_model_with_a_live_graph_is_refused():
    model = nn.MLP([2, 2], rng=0)
    state = model.state_dict()
    out = model(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="'affine' saved its values"):
        model.load_state_dict({k: v + 1 for k, v in state.items()})
    out.sum().backward()
    model.load_state_dict({k: v + 1 for k, v in state.items()})


def test_guard_under_no_grad_and_for_constants():
    c = Tensor(np.array([1.0, 2.0]), name="c")  # a constant operand, not requiring grad
    w = leaf([3.0, 4.0], "w")
    y = (w * c).sum()
    with pytest.raises(RuntimeError, match="tensor 'c'"):
        c.data[0] = 100.0  # w's gradient would be wrong
    with ag.no_grad():
        z = (w * 5.0).sum()  # nothing recorded: nothing saved
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0])
    w.data[...] = z.item()


def test_numpy_views_of_guarded_values_are_read_only_too():
    w = leaf([1.0, 2.0], "w")
    y = (w * w).sum()
    arr = np.asarray(w)
    with pytest.raises((RuntimeError, ValueError), match="read-only|tensor 'w'"):
        arr[0] = 5.0
    copy = np.array(w)  # a copy is the caller's own
    copy[0] = 5.0
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


def test_a_changed_constant_operand_is_detected_too():
    w = leaf([1.0, 2.0], "w")
    c = Tensor(np.array([3.0, 4.0]), name="c")  # does not require grad, but w's gradient is c
    y = (w * c).sum()
    z = (w * c * 2.0).sum()
    z.backward()  # the newest graph that saved c is done: c.data is writable again
    c.data -= 1.0
    with pytest.raises(RuntimeError, match=r"values of tensor 'c' .* changed in place after"):
        y.backward()
