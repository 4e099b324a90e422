"""The operators ``t += x``, ``-=``, ``*=``, ``/=``, ``**=`` (Tensor._in_place): in place inside
no_grad() and where nothing requires grad, a recorded result where a graph is being built,
refused for a leaf that requires grad — never the silent rebinding Python does without them."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as ag
from autograd_mini import Tensor

try:
    import torch
except ImportError:  # the cross-check below skips
    torch = None


def leaf(values, name=None, dtype=float):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True, name=name)


@pytest.mark.parametrize(
    "apply, expected",
    [
        (lambda w, x: w.__iadd__(x), [3.0, 6.0]),
        (lambda w, x: w.__isub__(x), [-1.0, -2.0]),
        (lambda w, x: w.__imul__(x), [2.0, 8.0]),
        (lambda w, x: w.__itruediv__(x), [0.5, 0.5]),
        (lambda w, x: w.__ipow__(x), [1.0, 16.0]),
    ],
)
def test_under_no_grad_the_values_change_in_place_and_the_tensor_stays_the_same(apply, expected):
    w = leaf([1.0, 2.0], "w")
    before = w.data
    with ag.no_grad():
        result = apply(w, Tensor([2.0, 4.0]))
    assert result is w and w.requires_grad and w.is_leaf
    assert w.data is before  # the same array: a view of it sees the change
    np.testing.assert_array_equal(w.data, expected)


def test_an_sgd_step_written_with_minus_equals_trains_the_same_parameter():
    w = leaf([1.0, -2.0], "w")
    alias = w  # what an optimizer or model holds
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with ag.no_grad():
            w -= 0.25 * w.grad  # without __isub__, Python rebinds w to a new tensor
        w.grad = None
    assert alias is w
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.5**3)  # w ← w(1 − 2·0.25)


def test_an_in_place_step_is_stamped_so_an_older_graph_refuses_to_backpropagate():
    w = leaf([1.0, 2.0], "w")
    older = (w * w).sum()
    newer = (w * 3.0).sum()
    newer.backward()
    with ag.no_grad():
        w -= 0.5
    with pytest.raises(RuntimeError, match=r"values of tensor 'w' .* changed in place after 'mul'"):
        older.backward()


def test_a_change_while_a_graph_still_needs_the_values_is_refused_and_nothing_changes():
    w = leaf([1.0, 2.0], "w")
    loss = (w * w).sum()
    with ag.no_grad(), pytest.raises(RuntimeError, match=r"tensor 'w'.*'mul' saved its values"):
        w *= 2.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


def test_a_leaf_that_requires_grad_is_refused_while_gradients_are_recorded():
    w = leaf([1.0, 2.0], "w")
    with pytest.raises(RuntimeError, match=r"-=: tensor 'w'.*requires grad.*no_grad\(\)"):
        w -= 1.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_on_a_result_of_the_graph_it_records_the_operation_and_the_gradient_is_right():
    x, b = leaf([1.0, 2.0], "x"), leaf([10.0, 20.0], "b")
    h = x * 3.0
    h += b  # a model's `h += bias`: recorded as h + b, bound to the name h
    h *= x
    h **= 2
    h /= 2.0
    h.sum().backward()
    # h = ((3x + b)·x)² / 2: ∂/∂x = (3x + b)·x·(6x + b), ∂/∂b = (3x + b)·x·x
    xv, bv = np.array([1.0, 2.0]), np.array([10.0, 20.0])
    np.testing.assert_allclose(x.grad.data, (3 * xv + bv) * xv * (6 * xv + bv))
    np.testing.assert_allclose(b.grad.data, (3 * xv + bv) * xv * xv)


def test_a_constant_plus_a_tensor_that_requires_grad_is_recorded_not_changed():
    c = Tensor([1.0, 2.0])
    original = c
    w = leaf([5.0, 5.0], "w")
    c += w
    assert c is not original and c.requires_grad
    np.testing.assert_array_equal(original.data, [1.0, 2.0])
    c.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])


def test_with_nothing_requiring_grad_it_is_in_place_also_outside_no_grad():
    c = Tensor([1.0, 2.0])
    view = c.data
    c += 1
    np.testing.assert_array_equal(view, [2.0, 3.0])


def test_a_zero_dimensional_tensor_changes_in_place():
    s = Tensor(2.0, requires_grad=True, name="s")
    held = s
    with ag.no_grad():
        s *= 3
        s += Tensor(1.0)
    assert held is s and float(s.data) == 7.0 and s.shape == ()


def test_a_result_that_would_need_another_dtype_is_a_clear_type_error():
    counts = Tensor(np.array([1, 2], dtype=np.int64), name="counts")
    with pytest.raises(TypeError, match=r"\+=: cannot change tensor 'counts'.*int64.*float64"):
        counts += 0.5
    np.testing.assert_array_equal(counts.data, [1, 2])


def test_a_result_that_would_need_another_shape_is_a_clear_value_error():
    w = leaf([1.0, 2.0, 3.0], "w")
    with ag.no_grad(), pytest.raises(ValueError, match=r"\*=: cannot change tensor 'w'.*\(2, 3\)"):
        w *= np.ones((2, 3))
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])


def test_broadcasting_an_operand_into_the_tensor_works_in_place():
    w = leaf(np.zeros((2, 3)), "w")
    with ag.no_grad():
        w += np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(w.data, [[1, 2, 3], [1, 2, 3]])


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_matches_torch_for_a_model_style_in_place_chain():
    xv, bv = np.array([0.5, -1.5, 2.0]), np.array([0.1, 0.2, -0.3])
    x, b = leaf(xv), leaf(bv)
    h = x * 2.0
    h += b
    h *= h
    h -= x
    h.sum().backward()
    tx = torch.tensor(xv, requires_grad=True)
    tb = torch.tensor(bv, requires_grad=True)
    th = tx * 2.0
    th += tb
    th = th * th  # torch refuses `th *= th` on a tensor its own backward needs
    th -= tx
    th.sum().backward()
    np.testing.assert_allclose(h.data, th.detach().numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy())
