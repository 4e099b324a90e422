"""Every primitive, by family: ``from autograd_mini import ops; ops.sigmoid(z)``.

* ``elementwise`` — exp, log, sqrt, abs, sigmoid, tanh, relu, cast;
* ``arithmetic`` — add, subtract, multiply, divide, power, negative;
* ``shapes`` — reshape, transpose, broadcast_to, sum_to, and the functions made of them
  (squeeze, expand_dims, flatten, swapaxes, moveaxis, ...);
* ``indexing`` — getitem and its reverse scatter_add, concatenate, stack;
* ``joining`` — hstack, vstack, column_stack, split, array_split;
* ``reductions`` — sum, mean, max, logsumexp, softmax, log_softmax;
* ``rearranging`` — flip, roll, tile, repeat, pad;
* ``diagonals`` — diagonal and its reverse diag_embed, diag, trace, triu, tril;
* ``products`` — matmul, tensordot, dot, inner, outer;
* ``einstein`` — einsum (Einstein summation);
* ``fused`` — affine and the costs of dense networks.
"""

from ..primitive import Primitive
from . import (
    arithmetic,
    diagonals,
    einstein,
    elementwise,
    fused,
    indexing,
    joining,
    products,
    rearranging,
    reductions,
    shapes,
)
from .arithmetic import add, divide, is_zero, multiply, negative, power, subtract
from .diagonals import diag, diag_embed, diagonal, trace, tril, triu
from .einstein import einsum
from .elementwise import absolute, cast, exp, log, positive_mask, relu, sigmoid, sign, sqrt, tanh
from .fused import affine, bce_with_logits, quadratic_cost, softmax_cross_entropy
from .indexing import concatenate, getitem, scatter_add, stack
from .joining import array_split, column_stack, hstack, split, split_sizes, vstack
from .products import dot, inner, matmul, outer, tensordot
from .rearranging import flip, pad, repeat, roll, tile
from .reductions import argmax_share, log_softmax, logsumexp, max, mean, softmax, sum
from .shapes import (
    broadcast_to,
    expand,
    expand_dims,
    flatten,
    moveaxis,
    permute,
    ravel,
    reshape,
    squeeze,
    sum_to,
    swapaxes,
    transpose,
    unsqueeze,
)

FAMILIES = (elementwise, arithmetic, shapes, indexing, joining, reductions, rearranging,
            diagonals, products, einstein, fused)
"""The family modules, in the engine's order (each uses only those before it)."""

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for family in FAMILIES
    for p in vars(family).values() if isinstance(p, Primitive)
}
"""Every primitive of the engine, by name."""

__all__ = [
    "FAMILIES", "PRIMITIVES",
    "absolute", "add", "affine", "argmax_share", "array_split", "bce_with_logits",
    "broadcast_to", "cast", "column_stack", "concatenate", "diag", "diag_embed", "diagonal",
    "divide", "dot", "einsum", "exp", "expand", "expand_dims", "flatten", "flip", "getitem",
    "hstack", "inner", "is_zero", "log", "log_softmax", "logsumexp", "matmul", "max", "mean",
    "moveaxis", "multiply", "negative", "outer", "pad", "permute", "positive_mask", "power",
    "quadratic_cost", "ravel", "relu", "repeat", "reshape", "roll", "scatter_add", "sigmoid",
    "sign", "softmax", "softmax_cross_entropy", "split", "split_sizes", "sqrt", "squeeze",
    "stack", "subtract", "sum", "sum_to", "swapaxes", "tanh", "tensordot", "tile", "trace",
    "transpose", "tril", "triu", "unsqueeze", "vstack",
]
