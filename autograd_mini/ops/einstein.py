"""Einstein summation — ``einsum``: sums of products named by index letters, as in
``einsum("ij,jk->ik", a, b)``.

The subscripts are parsed once, by ``einsum``, into an explicit form with one letter per axis
— implicit outputs spelled out, ``...`` replaced by letters of its own — which the primitive
records as its setting. numpy's rules: ``ij,jk`` (no ``->``) sums the letters that appear twice
and orders the others alphabetically; a letter repeated in one operand takes its diagonal
(``ii->i``, trace ``ii->``); ``...`` stands for broadcast axes.

The product is linear in each operand (``def_multilinear``). The gradient with respect to an
operand is itself an einsum: the gradient of the result times the other operands, summed over
every letter the operand does not have — spread back over a diagonal (times an identity matrix)
where the operand repeats a letter, and over the letters only it has (times ones).
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..primitive import def_multilinear, defvjp_argnum, primitive
from .shapes import broadcast_to, shape_of

_LETTERS = string.ascii_letters


@primitive("einsum")
def _einsum(*operands, subscripts):
    """The sum of products of the operands' elements named by the explicit ``subscripts``."""
    # numpy's contraction planning (BLAS, pairwise order) costs ~15 µs: worth it for more
    # than two operands or for large ones
    plan = len(operands) > 2 or max(np.size(x) for x in operands) > 1024
    return np.einsum(subscripts, *operands, optimize=plan)


def _fresh(subscripts: str) -> Iterator[str]:
    """Letters not used in ``subscripts``."""
    return iter(c for c in _LETTERS if c not in subscripts)


def _einsum_vjp(i, g, ans, *xs, subscripts):
    ins, out = subscripts.split("->")
    terms = ins.split(",")
    term, shape = terms[i], xs[i].shape
    dtype = g.dtype
    fresh = _fresh(subscripts)
    letters, extra, extra_terms = [], [], []
    for pos, c in enumerate(term):
        if c in letters:  # a diagonal: spread onto it with an identity matrix
            f = next(fresh)
            letters.append(f)
            extra.append(np.eye(shape[pos], dtype=dtype))
            extra_terms.append(c + f)
        else:
            letters.append(c)
    elsewhere = out + "".join(t for j, t in enumerate(terms) if j != i)
    for pos, c in enumerate(term):
        if c not in elsewhere and term.count(c) == 1:  # summed in this operand only
            extra.append(np.ones(shape[pos], dtype=dtype))
            extra_terms.append(c)
    others = [x for j, x in enumerate(xs) if j != i]
    spec = ",".join([out, *(t for j, t in enumerate(terms) if j != i), *extra_terms])
    r = _einsum(g, *others, *extra, subscripts=spec + "->" + "".join(letters))
    if r.shape != shape:  # an axis of length 1 broadcast against the others: sum_to undoes it
        r = broadcast_to(r, np.broadcast_shapes(r.shape, shape))
    return r


defvjp_argnum(_einsum, _einsum_vjp)
def_multilinear(_einsum)


# ---- parsing ----------------------------------------------------------------------------------


def _bad(subscripts: str, why: str) -> ValueError:
    return ValueError(f"einsum: subscripts {subscripts!r}: {why}")


def _check_term(subscripts: str, term: str, what: str) -> None:
    if term.count("...") > 1 or any(c not in _LETTERS for c in term.replace("...", "")):
        raise _bad(subscripts, f"{what} {term!r} must be letters with at most one '...'")


def parse(subscripts: str, shapes: list[tuple]) -> str:
    """The explicit subscripts for operands of ``shapes``: one letter per axis, ``...``
    replaced, the output spelled out; a ValueError naming what does not match otherwise."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the subscripts must be a string like 'ij,jk->ik', not "
                        f"{type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise _bad(subscripts, f"they name {len(terms)} operands but {len(shapes)} were given")
    for term in terms:
        _check_term(subscripts, term, "the term")
    fresh = _fresh(spec)
    n_broadcast = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes,
                                                                           strict=True)
                       if "..." in t), default=0)
    broadcast = "".join(next(fresh) for _ in range(n_broadcast))
    explicit, sizes = [], {}
    for k, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        named = len(term.replace("...", ""))
        n_dots = len(shape) - named
        if n_dots < 0 or (n_dots and "..." not in term):
            raise _bad(subscripts, f"operand {k} has shape {shape} ({len(shape)} axes) but its "
                                   f"term {term!r} names {named}")
        term = term.replace("...", broadcast[n_broadcast - n_dots:] if n_dots else "")
        for c, n in zip(term, shape, strict=True):
            if sizes.get(c, n) != n and 1 not in (n, sizes[c]):
                raise _bad(subscripts, f"index {c!r} has length {sizes[c]} in one place and "
                                       f"{n} in operand {k} (shape {shape})")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
        explicit.append(term)
    joined = "".join(explicit)
    if arrow:
        _check_term(subscripts, out, "the output")
        if broadcast and "..." not in out:
            raise _bad(subscripts, "the operands have '...' axes, so the output needs '...'")
        out = out.replace("...", broadcast)
        for c in out:
            if c not in joined:
                raise _bad(subscripts, f"the output index {c!r} is not an index of an operand")
            if out.count(c) > 1:
                raise _bad(subscripts, f"the output repeats the index {c!r}")
    else:  # implicit: the '...' axes, then the letters used once, in alphabetical order
        out = broadcast + "".join(sorted(c for c in set(joined) - set(broadcast)
                                         if joined.count(c) == 1))
    return ",".join(explicit) + "->" + out


def einsum(subscripts: str, *operands: Any) -> Any:
    """numpy's ``einsum``: ``einsum("ij,jk->ik", a, b)`` is the matrix product,
    ``einsum("ii", a)`` the trace, ``einsum("ii->i", a)`` the diagonal, ``einsum("i,j", u, v)``
    the outer product, ``einsum("...ij,...jk", a, b)`` a batched matrix product."""
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    return _einsum(*operands, subscripts=parse(subscripts, [shape_of(x) for x in operands]))
