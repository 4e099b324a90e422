"""autograd-mini: a tiny, fast, readable reverse-mode automatic differentiation engine.

The modules, bottom to top (each imports only from those above it in this list):

* ``state`` — whether operations are recorded, and who observes them;
* ``tensor_base`` — what a tensor is: its array, its gradient, how it was made;
* ``primitive`` — primitives, their reverse and forward rules, and recording;
* ``broadcasting`` — ``broadcast_to`` and its reverse ``sum_to``;
* ``grad_mode`` — ``no_grad`` / ``enable_grad``;
* ``hooks`` — gradient hooks (``Tensor.register_hook``);
* ``sweep`` — the backward sweep: ``backward()`` and ``grad()``;
* ``ops`` — every primitive, by family, with its rules;
* ``numpy_interop`` — numpy's functions and ufuncs on Tensors (``np.exp(t)``, ``ndarray * t``);
* ``tensor`` — ``Tensor``: operators and methods on top of the primitives;
* ``tangents``, ``counting`` — observers: tangents, operation counts;
* ``functional`` — ``jvp``, ``vjp``, ``jacobian``, ``hessian``;
* ``transforms`` — ``value_and_grad``, ``elementwise_grad``; ``gradcheck``;
* ``vocabulary`` — the table of every operation, its meaning and its derivative.
"""

from . import functional, ops
from .counting import count_ops
from .functional import hessian, jacobian, jvp, vjp
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .ops import (
    absolute,
    affine,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    argmax,
    argmin,
    argsort,
    array_split,
    bce_with_logits,
    broadcast_to,
    ceil,
    clip,
    column_stack,
    concatenate,
    cos,
    cosh,
    cumsum,
    diag,
    diagonal,
    dot,
    einsum,
    elu,
    equal,
    erf,
    erfc,
    exp,
    exp2,
    expand_dims,
    expm1,
    flatten,
    flip,
    floor,
    floor_divide,
    gelu,
    greater,
    greater_equal,
    hstack,
    hypot,
    inner,
    leaky_relu,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logaddexp,
    logsumexp,
    matmul,
    max,
    maximum,
    min,
    minimum,
    mod,
    moveaxis,
    not_equal,
    outer,
    pad,
    permute,
    prod,
    quadratic_cost,
    ravel,
    reciprocal,
    relu,
    remainder,
    repeat,
    reshape,
    roll,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    softmax_cross_entropy,
    softplus,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    swapaxes,
    tan,
    tanh,
    tensordot,
    tile,
    trace,
    transpose,
    tril,
    triu,
    unsqueeze,
    var,
    vstack,
    where,
)
from .sweep import backward, grad
from .tangents import forward_mode
from .tensor import Tensor
from .transforms import elementwise_grad, value_and_grad

__all__ = [
    "GradcheckError", "Tensor", "absolute", "affine", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctan2", "arctanh", "argmax", "argmin", "argsort", "array_split", "backward",
    "bce_with_logits", "broadcast_to", "ceil", "clip", "column_stack", "concatenate", "cos",
    "cosh", "count_ops", "cumsum", "diag", "diagonal", "dot", "einsum", "elementwise_grad", "elu",
    "enable_grad",
    "equal", "erf", "erfc", "exp", "exp2", "expand_dims", "expm1", "flatten", "flip", "floor",
    "floor_divide", "forward_mode", "functional", "gelu", "grad", "gradcheck", "greater",
    "greater_equal", "hessian", "hstack", "hypot", "inner", "is_grad_enabled", "jacobian", "jvp",
    "leaky_relu", "less", "less_equal", "log", "log10", "log1p", "log2", "log_softmax",
    "logaddexp", "logsumexp", "matmul", "max", "maximum", "min", "minimum", "mod", "moveaxis",
    "no_grad", "not_equal", "ops", "outer", "pad", "permute", "prod", "quadratic_cost", "ravel",
    "reciprocal", "relu", "remainder", "repeat", "reshape", "roll", "set_grad_enabled", "sigmoid",
    "sign", "sin", "sinh", "softmax", "softmax_cross_entropy", "softplus", "sort", "split", "sqrt",
    "square", "squeeze", "stack", "std", "swapaxes", "tan", "tanh", "tensordot", "tile", "trace",
    "transpose", "tril", "triu", "unsqueeze", "value_and_grad", "var", "vjp", "vstack", "where",
]
__version__ = "0.1.0"
