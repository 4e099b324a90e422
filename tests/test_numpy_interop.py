"""numpy's own functions on Tensors: ufuncs and functions return recorded Tensors with the
engine's gradients, the tables cover every numpy name the engine has, and what has no rule —
or would write in place — raises a TypeError naming it."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor, gradcheck, numpy_interop, ops
from autograd_mini.numpy_interop import FUNCTIONS, UFUNCS
from autograd_mini.primitive import Primitive

R = np.random.default_rng(4)
A = R.standard_normal((2, 3))
B = R.standard_normal((3, 2))
POS = 0.5 + R.random((2, 3))


def leaf(x=A):
    return Tensor(np.array(x), requires_grad=True)


# name: (numpy's call on a Tensor, the engine's call)
CALLS = {
    "exp": (np.exp, am.exp),
    "log": (np.log, am.log),
    "sqrt": (np.sqrt, am.sqrt),
    "tanh": (np.tanh, am.tanh),
    "abs": (np.abs, am.absolute),
    "negative": (np.negative, lambda t: -t),
    "positive": (np.positive, lambda t: t),
    "square": (np.square, lambda t: t * t),
    "reciprocal": (np.reciprocal, lambda t: 1 / t),
    "power": (lambda t: np.power(t, 3.0), lambda t: t ** 3.0),
    "add": (lambda t: np.add(A, t), lambda t: A + t),
    "divide": (lambda t: np.divide(t, POS), lambda t: t / POS),
    "matmul": (lambda t: np.matmul(B, t), lambda t: Tensor(B) @ t),
    "ndarray_plus": (lambda t: A + t, lambda t: t + A),
    "ndarray_minus": (lambda t: A - t, lambda t: -t + A),
    "ndarray_times": (lambda t: A * t, lambda t: t * A),
    "ndarray_divided": (lambda t: A / t, lambda t: t ** -1.0 * A),
    "ndarray_power": (lambda t: POS ** t, lambda t: am.exp(t * np.log(POS))),
    "ndarray_matmul": (lambda t: B @ t, lambda t: Tensor(B) @ t),
    "numpy_scalar": (lambda t: np.float64(2.5) * t, lambda t: t * 2.5),
    "exp_times_2": (lambda t: np.exp(t) * 2, lambda t: t.exp() * 2),
    "sum": (lambda t: np.sum(t, axis=0), lambda t: t.sum(axis=0)),
    "sum_positional": (lambda t: np.sum(t, 1, keepdims=True), lambda t: t.sum(1, True)),
    "mean": (lambda t: np.mean(t, axis=(0, 1)), lambda t: t.mean()),
    "max": (lambda t: np.max(t, axis=1), lambda t: t.max(axis=1)),
    "amax": (lambda t: np.amax(t, 0), lambda t: t.max(axis=0)),
    "add_reduce": (lambda t: np.add.reduce(t), lambda t: t.sum(axis=0)),
    "add_reduce_axis": (lambda t: np.add.reduce(t, axis=1, keepdims=True),
                        lambda t: t.sum(axis=1, keepdims=True)),
    "multiply_outer": (lambda t: np.multiply.outer(A[0], t), lambda t: am.outer(A[0], t)
                       .reshape(3, 2, 3)),
    "reshape": (lambda t: np.reshape(t, (3, 2)), lambda t: t.reshape(3, 2)),
    "transpose": (np.transpose, lambda t: t.T),
    "concatenate": (lambda t: np.concatenate([t, A, t * 2]),
                    lambda t: am.concatenate([t, A, t * 2])),
    "stack": (lambda t: np.stack([t, A], axis=-1), lambda t: am.stack([t, A], axis=-1)),
    "squeeze": (lambda t: np.squeeze(t[None]), lambda t: t),
    "expand_dims": (lambda t: np.expand_dims(t, 1), lambda t: t.unsqueeze(1)),
    "swapaxes": (lambda t: np.swapaxes(t, 0, 1), lambda t: t.T),
    "broadcast_to": (lambda t: np.broadcast_to(t, (4, 2, 3)), lambda t: t.expand(4, -1, -1)),
    "flip": (lambda t: np.flip(t, 1), lambda t: t[:, ::-1]),
    "roll": (lambda t: np.roll(t, 1, axis=1), lambda t: am.roll(t, 1, 1)),
    "tile": (lambda t: np.tile(t, 2), lambda t: am.tile(t, (1, 2))),
    "repeat": (lambda t: np.repeat(t, 2, axis=0), lambda t: am.repeat(t, 2, 0)),
    "pad": (lambda t: np.pad(t, 1, constant_values=2.0), lambda t: am.pad(t, 1, "constant", 2.0)),
    "trace": (np.trace, lambda t: t.diagonal().sum()),
    "diag": (np.diag, lambda t: t.diagonal()),
    "triu": (lambda t: np.triu(t, 1), lambda t: am.triu(t, 1)),
    "dot": (lambda t: np.dot(B, t), lambda t: Tensor(B) @ t),
    "tensordot": (lambda t: np.tensordot(t, B, 1), lambda t: t @ B),
    "einsum": (lambda t: np.einsum("ij,jk", t, B), lambda t: t @ B),
    "split": (lambda t: np.split(t, 3, axis=1)[1] * 3.0, lambda t: t[:, 1:2] * 3.0),
    "hstack": (lambda t: np.hstack([t, A]), lambda t: am.concatenate([t, A], axis=1)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_numpy_calls_are_recorded_like_the_engine_s(name):
    np_call, ours = CALLS[name]
    x = POS if name in ("log", "sqrt", "reciprocal") else A
    t, u = leaf(x), leaf(x)
    out, ref = np_call(t), ours(u)
    assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, ref.data, rtol=1e-13)
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(g)
    ref.backward(g)
    np.testing.assert_allclose(t.grad.data, u.grad.data, rtol=1e-12, atol=1e-14)
    assert gradcheck(np_call, [leaf(x)])


def test_float32_stays_float32():
    t = Tensor(A.astype(np.float32), requires_grad=True)
    for out in (np.exp(t), np.sum(t, axis=0), np.float32(2) * t, np.einsum("ij->j", t),
                np.concatenate([t, t]), np.tensordot(t, t, ([0], [0]))):
        assert out.dtype == np.float32
    np.sum(np.exp(t)).backward()
    assert t.grad.dtype == np.float32


def test_tables_cover_every_numpy_name_the_engine_has():
    for p in ops.PRIMITIVES.values():  # primitives wrapping a ufunc, by identity
        if isinstance(p.fun, np.ufunc):
            assert p.fun in UFUNCS, p.name
    for name in ops.__all__:
        target, ours = getattr(np, name, None), getattr(ops, name)
        if isinstance(target, np.ufunc):
            assert UFUNCS[target] is ours or UFUNCS[target].fun is target, name
        elif callable(target) and callable(ours):
            assert FUNCTIONS[target] is ours, name
    assert UFUNCS[np.multiply] is ops.multiply and FUNCTIONS[np.einsum] is ops.einsum


def test_new_primitives_and_functions_join_the_tables_without_an_entry(monkeypatch):
    cube_root = Primitive(np.cbrt, "cbrt")
    fmax = Primitive(lambda x, y: np.fmax(x, y), "fmax")

    def cross(a, b):
        return a

    monkeypatch.setitem(ops.PRIMITIVES, "cbrt", cube_root)
    monkeypatch.setitem(ops.PRIMITIVES, "fmax", fmax)
    monkeypatch.setattr(ops, "cross", cross, raising=False)
    monkeypatch.setattr(ops, "__all__", [*ops.__all__, "cross"])
    ufuncs, functions = numpy_interop._build_tables()
    assert ufuncs[np.cbrt] is cube_root  # by the ufunc it wraps
    assert ufuncs[np.fmax] is fmax  # by its name
    assert functions[np.cross] is cross
    assert ufuncs[np.exp] is UFUNCS[np.exp] and functions[np.sum] is FUNCTIONS[np.sum]


@pytest.mark.skipif(not hasattr(ops, "where"), reason="the engine has no where yet")
def test_where_on_a_comparison():
    t = leaf()
    out = np.where(t > 0, t, 0.0)
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, np.where(A > 0, A, 0.0))
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.data, (A > 0).astype(float))


def test_reductions_and_accumulations_follow_the_engine_s_vocabulary():
    t = leaf()
    if hasattr(ops, "cumsum"):
        np.testing.assert_allclose(np.add.accumulate(t, axis=1).data, np.cumsum(A, axis=1))
    else:
        with pytest.raises(TypeError, match=r"^numpy.add.accumulate has no autograd_mini"):
            np.add.accumulate(t)
    with pytest.raises(TypeError, match=r"^numpy.add.reduce on a Tensor: the arguments "
                                        r"\['dtype'\]"):
        np.add.reduce(t, dtype=np.float32)


def test_read_only_functions_see_the_values():
    t = leaf()
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6
    assert np.allclose(t, A) and np.array_equal(t, A)
    assert np.result_type(t) == np.float64
    assert np.asarray(np.argmax(t)).item() == np.argmax(A)
    zeros = np.zeros_like(t)  # the engine's zeros_like: zeros of t's shape, no gradient
    assert np.asarray(zeros).shape == (2, 3) and not np.asarray(zeros).any()
    assert not getattr(zeros, "requires_grad", False)
    mask = np.isnan(t)  # a boolean ufunc: a Tensor of booleans, no gradient
    assert isinstance(mask, Tensor) and mask.dtype == bool and not mask.requires_grad


def test_asarray_gives_the_values():
    t = leaf()
    assert np.asarray(t) is t.data
    copy = np.array(t)
    assert copy is not t.data and np.array_equal(copy, A)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.asarray([t, t]).shape == (2, 2, 3)
    np.testing.assert_allclose(t, A)  # numpy's testing reads Tensors too


@pytest.mark.parametrize(("call", "message"), [
    (lambda t: np.cross(t, t), r"^numpy.cross has no autograd_mini version, so applying it to "
                               r"a Tensor would cut the result off from the graph"),
    (lambda t: np.linalg.norm(t), r"^numpy.linalg.norm has no autograd_mini version"),
    (lambda t: np.spacing(t), r"^numpy.spacing has no autograd_mini version"),
    (lambda t: np.nextafter(A, t), r"^numpy.nextafter has no autograd_mini version"),
    (lambda t: np.exp(t, out=np.empty((2, 3))), r"^numpy.exp with out=: .*in place"),
    (lambda t: np.sum(t, out=np.empty(3), axis=0), r"^numpy.sum with out=: .*in place"),
    (lambda t: np.add.at(t, 0, 1.0), r"^numpy.add.at: .*in place"),
    (lambda t: np.exp(t, dtype=np.float32), r"^numpy.exp on a Tensor: the arguments \['dtype'\]"),
    (lambda t: np.sum(t, dtype=np.float32), r"^numpy.sum on a Tensor: autograd_mini's sum.* "
                                            r"does not take these arguments"),
])
def test_no_rule_and_in_place_raise_naming_the_function(call, message):
    with pytest.raises(TypeError, match=message):
        call(leaf())


def test_in_place_operator_on_an_ndarray_is_refused():
    a = np.ones((2, 3))
    with pytest.raises(TypeError, match=r"a = a \+ t, not a \+= t"):
        a += leaf()
    assert np.array_equal(a, np.ones((2, 3)))  # untouched
