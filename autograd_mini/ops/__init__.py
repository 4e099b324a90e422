"""Every primitive, by family: ``from autograd_mini import ops; ops.sigmoid(z)``.

* ``elementwise`` — exp, log, sqrt, abs, sign, sigmoid, tanh, relu, cast;
* ``arithmetic`` — add, subtract, multiply, divide, power, negative;
* ``shapes`` — reshape, transpose, broadcast_to, sum_to;
* ``indexing`` — getitem and its reverse scatter_add, concatenate, stack;
* ``reductions`` — sum, mean, max, logsumexp, softmax, log_softmax;
* ``comparisons`` — less, less_equal, greater, greater_equal, equal, not_equal, where,
  maximum, minimum, clip;
* ``functions`` — sin, cos, tan, arcsin, arccos, arctan, arctan2, sinh, cosh, arcsinh, arccosh,
  arctanh, log1p, expm1, log2, log10, exp2, logaddexp, hypot, square, reciprocal, floor, ceil,
  floor_divide, mod, erf, erfc;
* ``activations`` — softplus, leaky_relu, elu, gelu;
* ``ordering`` — min, argmax, argmin, sort, argsort;
* ``statistics`` — var, std, prod, cumsum;
* ``products`` — matmul;
* ``fused`` — affine and the costs of dense networks.
"""

from ..primitive import Primitive
from . import (
    activations,
    arithmetic,
    comparisons,
    elementwise,
    functions,
    fused,
    indexing,
    ordering,
    products,
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
from .ordering import argmax, argmin, argsort, min, permute_along, sort
from .products import matmul
from .reductions import argmax_share, log_softmax, logsumexp, max, mean, softmax, sum
from .shapes import broadcast_to, reshape, sum_to, transpose
from .statistics import cumsum, prod, std, var

remainder = functions.mod  # PyTorch's name

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for family in (elementwise, arithmetic, shapes, indexing, reductions, comparisons,
                   functions, activations, ordering, statistics, products, fused)
    for p in vars(family).values() if isinstance(p, Primitive)
}
"""Every primitive of the engine, by name."""

__all__ = [
    "PRIMITIVES",
    "absolute", "add", "affine", "argmax", "argmax_share", "argmin", "argsort", "bce_with_logits",
    "broadcast_to", "cast", "clip", "clip_source", "concatenate", "cumsum", "divide", "elu",
    "equal", "exp", "gelu", "getitem", "greater", "greater_equal", "is_zero", "leaky_relu", "less",
    "less_equal", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "maximum_share",
    "mean", "min", "minimum", "multiply", "negative", "not_equal", "permute_along", "positive_mask",
    "power", "prod", "quadratic_cost", "relu", "remainder", "reshape", "scatter_add", "sigmoid",
    "sign", "softmax", "softmax_cross_entropy", "softplus", "sort", "sqrt", "stack", "std",
    "subtract", "sum", "sum_to", "tanh", "transpose", "var", "where", "zeros_like",
    *functions.__all__,
]
