"""Products — dot, inner, outer, tensordot — and einsum: against finite differences, PyTorch
(float64 and float32) and numpy's values; second derivatives through their reverse rules;
einsum's parsing of implicit outputs, diagonals and ``...``; errors naming the shapes."""

from __future__ import annotations

import numpy as np
import pytest
from against_torch import (
    case_tests,
    torch,
)

import autograd_mini as am
from autograd_mini import Tensor, hessian
from autograd_mini.ops.einstein import parse

# name: (ours, PyTorch's, input shapes)
CASES = {
    "dot_vectors": (am.dot, lambda a, b: torch.dot(a, b), [(4,), (4,)]),
    "dot_matrices": (am.dot, lambda a, b: a @ b, [(2, 3), (3, 4)]),
    "dot_matrix_vector": (lambda a, b: a.dot(b), lambda a, b: a @ b, [(2, 3), (3,)]),
    "dot_scalar": (am.dot, lambda a, b: a * b, [(), (2, 3)]),
    "dot_nd": (am.dot, lambda a, b: torch.tensordot(a, b, dims=([2], [1])),
               [(2, 2, 3), (4, 3, 2)]),
    "dot_nd_vector": (am.dot, lambda a, b: a @ b, [(2, 2, 3), (3,)]),
    "dot_vector_nd": (am.dot, lambda a, b: torch.tensordot(a, b, dims=([0], [1])),
                      [(3,), (2, 3, 4)]),
    "inner": (am.inner, torch.inner if torch else None, [(2, 3), (4, 3)]),
    "inner_vectors": (lambda a, b: a.inner(b), torch.inner if torch else None, [(3,), (3,)]),
    "outer": (am.outer, lambda a, b: torch.outer(a.flatten(), b.flatten()), [(2, 2), (3,)]),
    "tensordot_int": (lambda a, b: am.tensordot(a, b, 2),
                      lambda a, b: torch.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 2)]),
    "tensordot_pairs": (lambda a, b: am.tensordot(a, b, ([0, 2], [2, 0])),
                        lambda a, b: torch.tensordot(a, b, dims=([0, 2], [2, 0])),
                        [(2, 3, 4), (4, 3, 2)]),
    "tensordot_zero": (lambda a, b: am.tensordot(a, b, 0),
                       lambda a, b: torch.tensordot(a, b, dims=0), [(2,), (3, 2)]),
    "einsum_matmul": (lambda a, b: am.einsum("ij,jk->ik", a, b),
                      lambda a, b: torch.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    "einsum_implicit": (lambda a, b: am.einsum("ba,ca", a, b),
                        lambda a, b: torch.einsum("ba,ca", a, b), [(2, 3), (4, 3)]),
    "einsum_trace": (lambda a: am.einsum("ii", a), lambda a: torch.einsum("ii", a), [(3, 3)]),
    "einsum_diagonal": (lambda a: am.einsum("ii->i", a), lambda a: torch.einsum("ii->i", a),
                        [(3, 3)]),
    "einsum_triple_diagonal": (lambda a, b: am.einsum("iij,iki->jk", a, b),
                               lambda a, b: torch.einsum("iij,iki->jk", a, b),
                               [(2, 2, 3), (2, 4, 2)]),
    "einsum_sum_only_here": (lambda a, b: am.einsum("ij,k->k", a, b),
                             lambda a, b: torch.einsum("ij,k->k", a, b), [(2, 3), (4,)]),
    "einsum_batched": (lambda a, b: am.einsum("...ij,...jk->...ik", a, b),
                       lambda a, b: torch.einsum("...ij,...jk->...ik", a, b),
                       [(2, 3, 4), (4, 2)]),
    "einsum_broadcast_one": (lambda a, b: am.einsum("...i,...i->...", a, b),
                             lambda a, b: torch.einsum("...i,...i->...", a, b),
                             [(3, 1, 2), (4, 2)]),
    "einsum_three": (lambda a, b, c: am.einsum("ij,jk,kl->il", a, b, c),
                     lambda a, b, c: torch.einsum("ij,jk,kl->il", a, b, c),
                     [(2, 3), (3, 4), (4, 2)]),
    "einsum_transpose": (lambda a: am.einsum("ijk->kij", a),
                         lambda a: torch.einsum("ijk->kij", a), [(2, 3, 4)]),
    "einsum_same_operand": (lambda a: am.einsum("ij,ij->", a, a),
                            lambda a: torch.einsum("ij,ij->", a, a), [(2, 3)]),
}


test_gradient_against_finite_differences, test_float32_stays_float32, test_against_torch = \
    case_tests(CASES)


@pytest.mark.parametrize(("subscripts", "shapes"), [
    ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("i,j", [(2,), (3,)]),
    ("bA,c", [(2, 3), (4,)]), ("...ij,...jk", [(5, 2, 3), (3, 4)]), ("ij...", [(2, 3, 4, 5)]),
    ("i...j,j...->i...", [(2, 1, 3), (3, 4)]), ("i,i->i", [(3,), (1,)]),
    (" ij , jk -> ki ", [(2, 3), (3, 4)]), ("...,...", [(3,), (3,)]),
])
def test_einsum_values_match_numpy(subscripts, shapes):
    xs = [np.random.default_rng(1).standard_normal(s) for s in shapes]
    out = am.einsum(subscripts, *[Tensor(x) for x in xs])
    np.testing.assert_allclose(out.data, np.einsum(subscripts, *xs), rtol=1e-12)


def test_parse_spells_out_implicit_outputs_and_ellipses():
    assert parse("ij,jk", [(2, 3), (3, 4)]) == "ij,jk->ik"
    assert parse("ba", [(2, 3)]) == "ba->ab"
    assert parse("ii", [(3, 3)]) == "ii->"
    assert parse("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]) == "aij,jk->aik"
    assert parse("i...,...", [(2, 3, 4), (4,)]) == "iab,b->abi"


@pytest.mark.parametrize(("f", "shapes"), [
    (lambda a, b: (am.einsum("ij,jk->ik", a, b) ** 2).sum(), [(2, 3), (3, 2)]),
    (lambda a: am.einsum("ii", a * a) * am.einsum("ij->", a), [(3, 3)]),
    (lambda a, b: (am.tensordot(a, b, ([0], [1])) ** 2).sum(), [(2, 3), (2, 2)]),
    (lambda a, b: am.dot(am.outer(a, b).tanh().sum(axis=0), b), [(2,), (3,)]),
])
def test_second_derivatives_through_the_reverse_rules(f, shapes):
    """The reverse rules are recorded (create_graph): their Hessian matches forward-over-reverse
    and finite differences of the gradient."""
    sizes = [int(np.prod(s)) for s in shapes]
    x = np.random.default_rng(2).standard_normal(sum(sizes))
    cuts = np.cumsum(sizes)[:-1].tolist()

    def flat(v):
        return f(*[p.reshape(s) for p, s in zip(am.split(v, cuts), shapes, strict=True)])

    H = hessian(flat, x).data
    np.testing.assert_allclose(H, H.T, atol=1e-10)
    np.testing.assert_allclose(hessian(flat, x, mode="forward-over-reverse").data, H,
                               rtol=1e-9, atol=1e-10)
    eps = 1e-6
    g = [am.grad(flat(v := Tensor(x + s * eps * e, requires_grad=True)), v)[0].data
         for e in np.eye(x.size) for s in (1, -1)]
    numerical = np.array([(g[2 * i] - g[2 * i + 1]) / (2 * eps) for i in range(x.size)])
    np.testing.assert_allclose(H, numerical, rtol=1e-5, atol=1e-6)


ERRORS = [
    (lambda a, b: am.einsum("ij,jk", a), r"^einsum: subscripts 'ij,jk': they name 2 operands "
                                         r"but 1 were given"),
    (lambda a, b: am.einsum("ijk,jk", a, b), r"operand 0 has shape \(2, 3\) \(2 axes\) but its "
                                             r"term 'ijk' names 3"),
    (lambda a, b: am.einsum("ij,jk", a, a), r"index 'j' has length 3 in one place and 2 in "
                                            r"operand 1 \(shape \(2, 3\)\)"),
    (lambda a, b: am.einsum("ii", a), r"index 'i' has length 2 in one place and 3"),
    (lambda a, b: am.einsum("ij->ik", a), r"the output index 'k' is not an index"),
    (lambda a, b: am.einsum("ij->ii", a), r"the output repeats the index 'i'"),
    (lambda a, b: am.einsum("i2", a), r"the term 'i2' must be letters"),
    (lambda a, b: am.einsum("...j->j", b), r"the output needs '...'"),
    (lambda a, b: am.einsum(["ij"], a), r"^einsum: the subscripts must be a string"),
    (lambda a, b: am.tensordot(a, b, ([1], [0, 1])), r"^tensordot: 1 axes of a \(1,\) but 2"),
    (lambda a, b: am.tensordot(a, b, ([1], [1])), r"^tensordot: axis 1 of a \(length 3, shape "
                                                  r"\(2, 3\)\) and axis 1 of b \(length 2"),
    (lambda a, b: am.tensordot(a, b, 3), r"^tensordot: cannot contract 3 axes of shapes \(2, 3\)"),
    (lambda a, b: am.tensordot(a, b, ([5], [0])), r"^tensordot: axis 5 is out of range"),
    (lambda a, b: am.dot(a, b[0, 0]), r"^dot: shapes \(2, 3\) and \(4,\) are not aligned: the "
                                       r"last axis of a \(3\) must equal the only axis of b"),
    (lambda a, b: am.dot(a, b), r"^dot: .*\(2, 3\) and \(3, 2, 4\).*second-to-last axis of b "
                                r"\(2\)"),
    (lambda a, b: am.inner(a, b), r"^inner: the last axes of shapes \(2, 3\) and \(3, 2, 4\) "
                                  r"differ \(3 and 4\)"),
]


@pytest.mark.parametrize(("fn", "message"), ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_name_the_operation_and_shapes(fn, message):
    a, b = Tensor(np.zeros((2, 3)), requires_grad=True), Tensor(np.zeros((3, 2, 4)))
    with pytest.raises((ValueError, TypeError)) as info:
        fn(a, b)
    assert info.match(message)
