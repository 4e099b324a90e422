"""Shape operations, rearrangements, diagonals, joining and splitting: every case against
finite differences and against PyTorch (float64 and float32), numpy's values for the numpy
names, the choices where numpy and PyTorch differ, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from against_torch import (
    case_tests,
    check_gradients,
    torch,
    weighted,
)

import autograd_mini as am
from autograd_mini import Tensor

# name: (ours, PyTorch's, input shapes)
CASES = {
    "squeeze": (lambda x: am.squeeze(x), lambda x: torch.squeeze(x), [(2, 1, 3, 1)]),
    "squeeze_axis": (lambda x: x.squeeze(-1), lambda x: x.squeeze(-1), [(2, 1, 3, 1)]),
    "expand_dims": (lambda x: am.expand_dims(x, (0, 2)), lambda x: x[None, :, None],
                    [(2, 3)]),
    "unsqueeze": (lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1), [(2, 3)]),
    "flatten": (lambda x: x.flatten(1), lambda x: x.flatten(1), [(2, 3, 2)]),
    "flatten_middle": (lambda x: am.flatten(x, 1, 2), lambda x: x.flatten(1, 2), [(2, 3, 2, 2)]),
    "ravel": (am.ravel, torch.ravel if torch else None, [(2, 3)]),
    "reshape": (lambda x: am.reshape(x, (3, 4)), lambda x: x.reshape(3, 4), [(2, 6)]),
    "view": (lambda x: x.view(3, -1), lambda x: x.view(3, -1), [(2, 6)]),
    "broadcast_to": (lambda x: am.broadcast_to(x, (2, 3, 4)),
                     lambda x: x.broadcast_to(2, 3, 4), [(3, 1)]),
    "expand": (lambda x: x.expand(2, -1, 4), lambda x: x.expand(2, -1, 4), [(3, 1)]),
    "transpose_3d": (lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2), [(2, 3, 4)]),
    "transpose_2d": (lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1), [(2, 3)]),
    "transpose_perm": (lambda x: x.transpose(1, 2, 0), lambda x: x.permute(1, 2, 0),
                       [(2, 3, 4)]),
    "permute": (lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "swapaxes": (lambda x: am.swapaxes(x, 0, -1), lambda x: x.swapaxes(0, -1), [(2, 3, 4)]),
    "moveaxis": (lambda x: am.moveaxis(x, 0, -1), lambda x: x.moveaxis(0, -1), [(2, 3, 4)]),
    "moveaxes": (lambda x: x.moveaxis((0, 1), (2, 0)), lambda x: x.moveaxis((0, 1), (2, 0)),
                 [(2, 3, 4)]),
    "flip": (lambda x: am.flip(x, (0, 2)), lambda x: x.flip((0, 2)), [(2, 3, 4)]),
    "flip_all": (lambda x: x.flip(), lambda x: x.flip((0, 1)), [(2, 3)]),
    "roll": (lambda x: am.roll(x, 1, 0), lambda x: x.roll(1, 0), [(3, 4)]),
    "roll_axes": (lambda x: x.roll((1, -2), (0, 1)), lambda x: x.roll((1, -2), (0, 1)),
                  [(3, 4)]),
    "roll_flat": (lambda x: am.roll(x, 5), lambda x: x.roll(5), [(3, 4)]),
    "tile": (lambda x: am.tile(x, (2, 1, 3)), lambda x: x.tile((2, 1, 3)), [(2, 3)]),
    "tile_short": (lambda x: x.tile(2), lambda x: x.tile((2,)), [(2, 3)]),
    "repeat_method": (lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [(2, 3)]),
    "repeat": (lambda x: am.repeat(x, 2, axis=1), lambda x: x.repeat_interleave(2, dim=1),
               [(2, 3)]),
    "repeat_counts": (lambda x: am.repeat(x, [1, 0, 3], axis=-1),
                      lambda x: x.repeat_interleave(torch.tensor([1, 0, 3]), dim=-1), [(2, 3)]),
    "repeat_flat": (lambda x: am.repeat(x, 3), lambda x: x.repeat_interleave(3), [(2, 2)]),
    "pad": (lambda x: am.pad(x, ((1, 2), (0, 1)), constant_values=0.5),
            lambda x: torch.nn.functional.pad(x, (0, 1, 1, 2), value=0.5), [(2, 3)]),
    "pad_int": (lambda x: am.pad(x, 1), lambda x: torch.nn.functional.pad(x, (1, 1, 1, 1)),
                [(2, 3)]),
    "diag_vector": (lambda x: am.diag(x, 1), lambda x: torch.diag(x, 1), [(3,)]),
    "diag_matrix": (lambda x: x.diag(-1), lambda x: x.diag(-1), [(3, 4)]),
    "diagonal": (lambda x: x.diagonal(1, 1, 2), lambda x: x.diagonal(1, 1, 2), [(2, 3, 4)]),
    "trace": (lambda x: x.trace(), lambda x: x.trace(), [(3, 3)]),
    "trace_offset": (lambda x: am.trace(x, 1, 1, 2),
                     lambda x: x.diagonal(1, 1, 2).sum(-1), [(2, 3, 4)]),
    "triu": (lambda x: am.triu(x, 1), lambda x: x.triu(1), [(2, 3, 4)]),
    "tril": (lambda x: x.tril(-1), lambda x: x.tril(-1), [(4, 3)]),
    "hstack": (lambda a, b: am.hstack([a, b]), lambda a, b: torch.hstack([a, b]),
               [(2, 3), (2, 1)]),
    "hstack_vectors": (lambda a, b: am.hstack([a, b]), lambda a, b: torch.hstack([a, b]),
                       [(3,), (2,)]),
    "vstack": (lambda a, b: am.vstack([a, b, a]), lambda a, b: torch.vstack([a, b, a]),
               [(3,), (2, 3)]),
    "column_stack": (lambda a, b: am.column_stack([a, b]),
                     lambda a, b: torch.column_stack([a, b]), [(3,), (3, 2)]),
    "split": (lambda x: am.concatenate(weighted(am.split(x, 3, axis=1)), axis=1),
              lambda x: torch.cat(weighted(torch.tensor_split(x, 3, dim=1)), dim=1), [(2, 6)]),
    "split_indices": (lambda x: am.concatenate(weighted(am.split(x, [1, 3]))),
                      lambda x: torch.cat(weighted(torch.tensor_split(x, [1, 3]))), [(5, 2)]),
    "array_split": (lambda x: am.concatenate(weighted(am.array_split(x, 3))),
                    lambda x: torch.cat(weighted(torch.tensor_split(x, 3))), [(7,)]),
    "split_method": (lambda x: am.concatenate(weighted(x.split([1, 3], 1)), axis=1),
                     lambda x: torch.cat(weighted(x.split([1, 3], 1)), dim=1), [(2, 4)]),
    "split_size": (lambda x: am.concatenate(weighted(x.split(2))),
                   lambda x: torch.cat(weighted(x.split(2))), [(5, 2)]),
}

# the numpy names against numpy's own values: (ours, numpy's, input shape)
NUMPY = {
    "squeeze": (lambda x: am.squeeze(x, 1), lambda x: np.squeeze(x, 1), (2, 1, 3)),
    "expand_dims": (lambda x: am.expand_dims(x, -1), lambda x: np.expand_dims(x, -1), (2, 3)),
    "moveaxis": (lambda x: am.moveaxis(x, [0, 1], [-1, 0]),
                 lambda x: np.moveaxis(x, [0, 1], [-1, 0]), (2, 3, 4)),
    "transpose": (lambda x: am.transpose(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0)),
                  (2, 3, 4)),
    "repeat": (lambda x: am.repeat(x, [2, 0], axis=0), lambda x: np.repeat(x, [2, 0], axis=0),
               (2, 3)),
    "tile": (lambda x: am.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)), (2, 3)),
    "pad_edge": (lambda x: am.pad(x, ((1, 2), (2, 0)), mode="edge"),
                 lambda x: np.pad(x, ((1, 2), (2, 0)), mode="edge"), (2, 3)),
    "pad_reflect": (lambda x: am.pad(x, 2, mode="reflect"),
                    lambda x: np.pad(x, 2, mode="reflect"), (3, 4)),
    "pad_symmetric": (lambda x: am.pad(x, (1, 3), mode="symmetric"),
                      lambda x: np.pad(x, (1, 3), mode="symmetric"), (2, 3)),
    "pad_wrap": (lambda x: am.pad(x, ((0, 4), (1, 1)), mode="wrap"),
                 lambda x: np.pad(x, ((0, 4), (1, 1)), mode="wrap"), (2, 3)),
    "pad_pairs": (lambda x: am.pad(x, 1, constant_values=((1, 2), (3, 4))),
                  lambda x: np.pad(x, 1, constant_values=((1, 2), (3, 4))), (2, 2)),
    "diag": (lambda x: am.diag(am.diag(x, -2)), lambda x: np.diag(np.diag(x, -2)), (4, 3)),
    "trace": (lambda x: am.trace(x, -1, 2, 0), lambda x: np.trace(x, -1, 2, 0), (3, 2, 4)),
    "split": (lambda x: am.concatenate(weighted(am.split(x, [-3, 10]))),
              lambda x: np.concatenate(weighted(np.split(x, [-3, 10]))), (5,)),
    "array_split": (lambda x: am.hstack(weighted(am.array_split(x, 4, axis=1))),
                    lambda x: np.hstack(weighted(np.array_split(x, 4, axis=1))), (2, 6)),
    "column_stack": (lambda x: am.column_stack([x[0], x, x[:, 1]]),
                     lambda x: np.column_stack([x[0], x, x[:, 1]]), (3, 3)),
}


test_gradient_against_finite_differences, test_float32_stays_float32, test_against_torch = \
    case_tests(CASES)


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_values_and_gradients_of_the_numpy_names(name):
    fn, np_fn, shape = NUMPY[name]
    x = np.random.default_rng(3).standard_normal(shape)
    out = fn(Tensor(x.astype(np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, np_fn(x), rtol=1e-6)
    check_gradients(fn, [shape])


def test_transpose_two_ints_swap_like_pytorch_and_permutations_stay_numpy():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.transpose(0, 2).data, np.swapaxes(x.data, 0, 2))
    np.testing.assert_array_equal(x.transpose(2, 0, 1).data, np.transpose(x.data, (2, 0, 1)))
    np.testing.assert_array_equal(x.transpose((0, 2, 1)).data, np.transpose(x.data, (0, 2, 1)))
    np.testing.assert_array_equal(x.transpose().data, x.data.T)
    m = Tensor(np.arange(6.0).reshape(2, 3))
    for axes in [(0, 1), (1, 0), (-1, 0)]:  # on a matrix, two ints are its transpose
        np.testing.assert_array_equal(m.transpose(*axes).data, m.data.T)
    np.testing.assert_array_equal(m.transpose(0, 0).data, m.data)  # PyTorch: a no-op swap
    np.testing.assert_array_equal(m.transpose((0, 1)).data, m.data)  # numpy: identity


def test_repeat_method_is_pytorch_tile_and_function_is_numpy_repeat():
    x = Tensor(np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(x.repeat(1, 2).data, [[1, 2, 1, 2]])
    np.testing.assert_array_equal(am.repeat(x, 2, axis=1).data, [[1, 1, 2, 2]])
    with pytest.raises(ValueError, match=r"^repeat: 1 sizes .*\(1, 2\).*autograd_mini.repeat"):
        x.repeat(2)


def test_split_pieces_are_lists_of_the_right_slices():
    x = Tensor(np.arange(10.0))
    assert [p.data.tolist() for p in am.split(x, [2, 5])] == [[0, 1], [2, 3, 4],
                                                              [5, 6, 7, 8, 9]]
    assert [p.shape for p in am.array_split(x, 3)] == [(4,), (3,), (3,)]
    assert [p.shape for p in x.split(4)] == [(4,), (4,), (2,)]


def test_shapes_of_the_reshapes():
    x = Tensor(np.zeros((2, 1, 3)))
    assert am.squeeze(x).shape == (2, 3)
    assert am.expand_dims(x, (0, -1)).shape == (1, 2, 1, 3, 1)
    assert am.unsqueeze(x, 3).shape == (2, 1, 3, 1)
    assert x.flatten().shape == (6,) and am.flatten(Tensor(2.0)).shape == (1,)
    assert am.permute(x, (2, 0, 1)).shape == (3, 2, 1)


# ---- errors name the operation and the shapes ---------------------------------------------------

ERRORS = [
    (lambda x: am.squeeze(x, 0), r"^squeeze: axis 0 .*\(2, 3\).*length 2"),
    (lambda x: am.swapaxes(x, 0, 2), r"^swapaxes: axis 2 is out of range .*\(2, 3\)"),
    (lambda x: am.transpose(x, (0,)), r"^transpose: axes \(0,\) are not a permutation.*\(2, 3\)"),
    (lambda x: am.moveaxis(x, (0, 1), 0), r"^moveaxis: 2 source axes but 1"),
    (lambda x: x.expand(3), r"^expand: 1 sizes .*\(2, 3\)"),
    (lambda x: x.expand(4, 3), r"^broadcast_to: .*\(2, 3\)"),
    (lambda x: am.reshape(x, (4, 2)), r"^reshape: .*\(2, 3\)"),
    (lambda x: am.flatten(x, 1, 0), r"^flatten: start_dim 1 comes after end_dim 0"),
    (lambda x: am.split(x, 2, axis=1), r"^split: axis 1 of shape \(2, 3\) has length 3, which 2"),
    (lambda x: x.split([1, 1], 1), r"^split: sizes \[1, 1\] do not add up to the length 3"),
    (lambda x: am.repeat(x, [1, 2], axis=1), r"^repeat: 2 counts for axis 1 of length 3"),
    (lambda x: am.repeat(x, -1), r"^repeat: repeats must be a non-negative int"),
    (lambda x: am.tile(x, (-1,)), r"^tile: repetitions \(-1,\)"),
    (lambda x: am.pad(x, ((1, 1),) * 3), r"^pad: pad_width .* shape \(2, 3\)"),
    (lambda x: am.pad(x, 1, mode="mean"), r"^pad: mode 'mean' is not supported"),
    (lambda x: am.roll(x, (1, 2), 0), r"^roll: 2 shifts for 1 axes"),
    (lambda x: am.flip(x, 2), r"^flip: axis 2 is out of range .*\(2, 3\)"),
    (lambda x: am.diag(x[None]), r"^diag: needs a vector or a matrix, got shape \(1, 2, 3\)"),
    (lambda x: am.triu(x[0]), r"^triu: needs at least 2 dimensions, got shape \(3,\)"),
    (lambda x: am.diagonal(x, 0, 1, -1), r"^diagonal: axis1 and axis2 are the same axis"),
    (lambda x: am.hstack([]), r"^hstack: needs at least one tensor"),
    (lambda x: am.vstack([x, x[:, :2]]), r"^vstack: .*shapes \(2, 3\) and \(2, 2\) along axis 0"),
    (lambda x: am.hstack([x, x[0]]), r"^hstack: .*shapes \(2, 3\) and \(3,\) along axis 1"),
]


@pytest.mark.parametrize(("fn", "message"), ERRORS, ids=[m.split(":")[0][1:] + str(i)
                                                         for i, (_, m) in enumerate(ERRORS)])
def test_errors_name_the_operation_and_shapes(fn, message):
    with pytest.raises((ValueError, IndexError)) as info:
        fn(Tensor(np.zeros((2, 3)), requires_grad=True))
    assert info.match(message)
    err = info.value  # no numpy traceback chained below it
    assert err.__cause__ is None and (err.__suppress_context__ or err.__context__ is None)
