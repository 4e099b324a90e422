"""Every primitive, by family: ``from autograd_mini import ops; ops.sigmoid(z)``.

* ``elementwise`` — exp, log, sqrt, abs, sign, sigmoid, tanh, relu, cast;
* ``arithmetic`` — add, subtract, multiply, divide, power, negative;
* ``shapes`` — reshape, transpose, broadcast_to, sum_to, and the functions made of them
  (squeeze, expand_dims, flatten, swapaxes, moveaxis, ...);
* ``indexing`` — getitem and its reverse scatter_add, concatenate, stack;
* ``joining`` — hstack, vstack, column_stack, split, array_split;
* ``reductions`` — sum, mean, max, logsumexp, softmax, log_softmax;
* ``rearranging`` — flip, roll, tile, repeat, pad;
* ``diagonals`` — diagonal and its reverse diag_embed, diag, trace, triu, tril;
* ``comparisons`` — less, less_equal, greater, greater_equal, equal, not_equal, where,
  maximum, minimum, clip;
* ``functions`` — sin, cos, tan, arcsin, arccos, arctan, arctan2, sinh, cosh, arcsinh, arccosh,
  arctanh, log1p, expm1, log2, log10, exp2, logaddexp, hypot, square, reciprocal, floor, ceil,
  floor_divide, mod, erf, erfc;
* ``activations`` — softplus, leaky_relu, elu, gelu;
* ``ordering`` — min, argmax, argmin, sort, argsort;
* ``statistics`` — var, std, prod, cumsum;
* ``products`` — matmul, tensordot, dot, inner, outer;
* ``einstein`` — einsum (Einstein summation);
* ``fused`` — affine and the costs of dense networks.
"""

from ..primitive import Primitive
from . import (
    activations,
    arithmetic,
    comparisons,
    diagonals,
    einstein,
    elementwise,
    functions,
    fused,
    indexing,
    joining,
    ordering,
    products,
    rearranging,
    reductions,
    shapes,
    statistics,
)
from .activations import elu, gelu, leaky_relu, softplus
from .arithmetic import add, divide, is_zero, multiply, negative, power, subtract
from .comparisons import (
    clip,
    clip_source,
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    maximum,
    maximum_share,
    minimum,
    not_equal,
    where,
)
from .diagonals import diag, diag_embed, diagonal, trace, tril, triu
from .einstein import einsum
from .elementwise import (
    absolute,
    cast,
    exp,
    log,
    positive_mask,
    relu,
    sigmoid,
    sign,
    sqrt,
    tanh,
    zeros_like,
)
from .functions import *  # noqa: F403 - the names of functions.__all__
from .fused import affine, bce_with_logits, quadratic_cost, softmax_cross_entropy
from .indexing import concatenate, getitem, scatter_add, stack
from .joining import array_split, column_stack, hstack, split, split_sizes, vstack
from .ordering import argmax, argmin, argsort, min, permute_along, sort
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
from .statistics import cumsum, prod, std, var

remainder = functions.mod  # PyTorch's name

FAMILIES = (elementwise, arithmetic, shapes, indexing, joining, reductions, rearranging,
            diagonals, comparisons, functions, activations, ordering, statistics, products,
            einstein, fused)
"""The family modules, in the engine's order (each uses only those before it)."""

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for family in FAMILIES
    for p in vars(family).values() if isinstance(p, Primitive)
}
"""Every primitive of the engine, by name."""

__all__ = [
    "FAMILIES", "PRIMITIVES",
    "absolute", "add", "affine", "argmax", "argmax_share", "argmin", "argsort", "array_split",
    "bce_with_logits", "broadcast_to", "cast", "clip", "clip_source", "column_stack",
    "concatenate", "cumsum", "diag", "diag_embed", "diagonal", "divide", "dot", "einsum", "elu",
    "equal", "exp", "expand", "expand_dims", "flatten", "flip", "gelu", "getitem", "greater",
    "greater_equal", "hstack", "inner", "is_zero", "leaky_relu", "less", "less_equal", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "maximum_share", "mean", "min",
    "minimum", "moveaxis", "multiply", "negative", "not_equal", "outer", "pad", "permute",
    "permute_along", "positive_mask", "power", "prod", "quadratic_cost", "ravel", "relu",
    "repeat", "reshape", "roll", "scatter_add", "sigmoid", "sign", "softmax",
    "softmax_cross_entropy", "softplus", "sort", "split", "split_sizes", "sqrt", "squeeze",
    "stack", "std", "subtract", "sum", "sum_to", "swapaxes", "tanh", "tensordot", "tile", "trace",
    "transpose", "tril", "triu", "unsqueeze", "var", "vstack", "where", "zeros_like",
    *functions.__all__,
]
