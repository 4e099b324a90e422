"""Every primitive, by family: ``from autograd_mini import ops; ops.sigmoid(z)``.

* ``elementwise`` — exp, log, sqrt, abs, sigmoid, tanh, relu, cast;
* ``arithmetic`` — add, subtract, multiply, divide, power, negative;
* ``shapes`` — reshape, transpose, broadcast_to, sum_to;
* ``indexing`` — getitem and its reverse scatter_add, concatenate, stack;
* ``reductions`` — sum, mean, max, logsumexp, softmax, log_softmax;
* ``products`` — matmul;
* ``fused`` — affine and the costs of dense networks.
"""

from ..primitive import Primitive
from . import arithmetic, elementwise, fused, indexing, products, reductions, shapes
from .arithmetic import add, divide, is_zero, multiply, negative, power, subtract
from .elementwise import absolute, cast, exp, log, positive_mask, relu, sigmoid, sign, sqrt, tanh
from .fused import affine, bce_with_logits, quadratic_cost, softmax_cross_entropy
from .indexing import concatenate, getitem, scatter_add, stack
from .products import matmul
from .reductions import argmax_share, log_softmax, logsumexp, max, mean, softmax, sum
from .shapes import broadcast_to, reshape, sum_to, transpose

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for family in (elementwise, arithmetic, shapes, indexing, reductions, products, fused)
    for p in vars(family).values() if isinstance(p, Primitive)
}
"""Every primitive of the engine, by name."""

__all__ = [
    "PRIMITIVES",
    "absolute", "add", "affine", "argmax_share", "bce_with_logits", "broadcast_to", "cast",
    "concatenate", "divide", "exp", "getitem", "is_zero", "log", "log_softmax", "logsumexp",
    "matmul", "max", "mean", "multiply", "negative", "positive_mask", "power", "quadratic_cost",
    "relu", "reshape", "scatter_add", "sigmoid", "sign", "softmax", "softmax_cross_entropy",
    "sqrt", "stack", "subtract", "sum", "sum_to", "tanh", "transpose",
]
