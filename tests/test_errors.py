"""Bad input: every error is raised by the engine with a message that names the operation and
the shapes involved (no raw numpy message with a chained numpy traceback)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor


def _no_numpy_chain(err: BaseException) -> None:
    """The engine's error replaces numpy's: nothing chained below it."""
    assert err.__cause__ is None
    assert err.__suppress_context__ or err.__context__ is None


def _ones(*shape, grad=True):
    return Tensor(np.ones(shape), requires_grad=grad)


# ------------------------------------------------------------------------------------ matmul


@pytest.mark.parametrize(
    "sa, sb",
    [((3, 4), (5, 2)), ((3,), (4,)), ((3,), (4, 2)), ((2, 3), (4,)), ((2, 2, 3), (2, 4, 5))],
)
def test_matmul_shape_mismatch_names_op_and_both_shapes(sa, sb):
    with pytest.raises(ValueError) as info:
        _ones(*sa) @ _ones(*sb)
    msg = str(info.value)
    assert msg.startswith("matmul")
    assert str(sa) in msg and str(sb) in msg
    _no_numpy_chain(info.value)


def test_matmul_3x4_by_5x2_message():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        am.matmul(_ones(3, 4), _ones(5, 2))
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        np.ones((3, 4)) @ _ones(5, 2)  # reflected form too


def test_matmul_batch_mismatch_message_is_not_about_inner_dims():
    with pytest.raises(ValueError) as info:
        _ones(2, 3, 4) @ _ones(3, 4, 5)  # inner dims agree (4 and 4), batch dims 2 vs 3 do not
    msg = str(info.value)
    assert "(2, 3, 4)" in msg and "(3, 4, 5)" in msg
    assert "broadcast" in msg or "batch" in msg


# ------------------------------------------------------------------------------ broadcasting


@pytest.mark.parametrize(
    "name, fn",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
    ],
)
@pytest.mark.parametrize("sa, sb", [((3,), (4,)), ((2, 3), (3, 2)), ((5, 1, 4), (3, 5))])
def test_broadcast_mismatch_names_op_and_both_shapes(name, fn, sa, sb):
    with pytest.raises(ValueError) as info:
        fn(_ones(*sa), _ones(*sb))
    msg = str(info.value)
    assert msg.startswith(name)
    assert str(sa) in msg and str(sb) in msg
    _no_numpy_chain(info.value)
    # with a numpy array on the left too
    with pytest.raises(ValueError) as info:
        fn(np.ones(sa), _ones(*sb))
    assert str(info.value).startswith(name)


@pytest.mark.parametrize("name", ["bce_with_logits", "softmax_cross_entropy"])
def test_cost_with_targets_of_another_shape_is_rejected(name):
    z = _ones(2, 3)
    y = Tensor(np.full((3, 2), 0.5), requires_grad=True)
    with pytest.raises(ValueError) as info:
        getattr(am, name)(z, y)
    msg = str(info.value)
    assert msg.startswith(name)
    assert "(2, 3)" in msg and "(3, 2)" in msg


def test_other_broadcasting_primitives_name_themselves():
    with pytest.raises(ValueError, match=r"^affine.*\(2, 3\)"):
        am.affine(_ones(2, 3), _ones(4, 5), _ones(4))
    with pytest.raises(ValueError, match=r"^quadratic_cost.*\(2, 3\).*\(4, 3\)"):
        am.quadratic_cost(_ones(2, 3), np.ones((4, 3)))


# ------------------------------------------------------------------------- shapes and index


def test_reshape_to_incompatible_size():
    with pytest.raises(ValueError) as info:
        _ones(2, 3).reshape(4, 2)
    msg = str(info.value)
    assert msg.startswith("reshape")
    assert "(2, 3)" in msg and "(4, 2)" in msg
    _no_numpy_chain(info.value)


@pytest.mark.parametrize(
    "index", [5, (0, 7), (slice(None), 3), np.array([0, 4]), (0, 0, 0), -4]
)
def test_index_out_of_range_names_getitem(index):
    with pytest.raises(IndexError) as info:
        _ones(3, 3)[index]
    msg = str(info.value)
    assert msg.startswith("getitem")
    assert "(3, 3)" in msg
    _no_numpy_chain(info.value)


def test_bad_boolean_mask_names_getitem():
    with pytest.raises(IndexError, match="^getitem"):
        _ones(3, 3)[np.array([True, False])]


@pytest.mark.parametrize(
    "name, fn",
    [
        ("sum", lambda t: t.sum(axis=2)),
        ("mean", lambda t: t.mean(axis=-3)),
        ("max", lambda t: t.max(axis=(0, 5))),
        ("softmax", lambda t: t.softmax(axis=4)),
        ("logsumexp", lambda t: t.logsumexp(axis=2)),
        ("transpose", lambda t: t.transpose((0, 0))),  # not a permutation
        ("transpose", lambda t: t.transpose(0, 2)),  # PyTorch's swap, of an axis not there
    ],
)
def test_bad_axis_names_the_operation(name, fn):
    with pytest.raises((ValueError, IndexError)) as info:
        fn(_ones(2, 3))
    assert str(info.value).startswith(name)
    _no_numpy_chain(info.value)


def test_concatenate_and_stack_errors():
    with pytest.raises(ValueError, match="^concatenate"):
        am.concatenate([_ones(2, 3), _ones(2, 4)], axis=0)
    with pytest.raises(ValueError, match="^stack"):
        am.stack([_ones(2, 3), _ones(3, 2)])
    with pytest.raises(ValueError, match="concatenate"):
        am.concatenate([])
    with pytest.raises(ValueError, match="stack"):
        am.stack([])


def test_operand_of_wrong_type_is_an_engine_error():
    with pytest.raises((TypeError, ValueError)) as info:
        _ones(3) + "abc"
    assert str(info.value).startswith("add")
    _no_numpy_chain(info.value)


# ---------------------------------------------------------------------------------- backward


def test_backward_on_non_scalar_needs_a_gradient_argument():
    y = _ones(2, 3) * 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "gradient" in msg
    assert "(2, 3)" in msg


def test_backward_on_tensor_not_requiring_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0, 2.0]).sum().backward()
    with am.no_grad():
        y = (_ones(3) * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


@pytest.mark.parametrize("gshape", [(3,), (3, 2), (1, 3), ()])
def test_backward_gradient_of_wrong_shape(gshape):
    y = _ones(2, 3) * 2
    with pytest.raises(ValueError) as info:
        y.backward(np.ones(gshape))
    msg = str(info.value)
    assert str(gshape) in msg and "(2, 3)" in msg
    assert "backward" in msg


def test_grad_function_errors():
    x = _ones(3)
    y = (x * 2).sum()
    with pytest.raises(ValueError, match=r"grad\(\).*\(2,\).*\(3,\)"):
        am.grad(x * 2, x, grad_outputs=np.ones(2))
    with pytest.raises(ValueError, match="grad_outputs"):
        am.grad([y, y], x, grad_outputs=[None])
    with pytest.raises(RuntimeError, match="requires_grad"):
        am.grad(y, Tensor([1.0]))
    with pytest.raises(RuntimeError, match="does not require grad"):
        am.grad(Tensor([1.0]).sum(), x)
    unused = _ones(2)
    with pytest.raises(RuntimeError, match="allow_unused"):
        am.grad((x * 3).sum(), [x, unused])
    with pytest.raises(RuntimeError, match="non-scalar|gradient argument is needed"):
        am.grad(x * 3, x)


def test_second_backward_through_freed_graph():
    x = _ones(3)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "second time" in msg and "retain_graph=True" in msg


def test_item_and_len_errors():
    with pytest.raises(ValueError, match="item"):
        _ones(2, 2).item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(3.0))


def test_backward_gradient_of_wrong_type_is_explained():
    y = _ones(2) * 2
    with pytest.raises((TypeError, ValueError), match="^backward"):
        y.backward("abc")
