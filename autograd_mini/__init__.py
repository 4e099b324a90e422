"""autograd-mini: a tiny, fast, readable reverse-mode automatic differentiation engine.

The modules, bottom to top (each imports only from those above it in this list):

* ``state`` — whether operations are recorded, and who observes them;
* ``tensor_base`` — what a tensor is: its array, its gradient, how it was made;
* ``primitive`` — primitives, their reverse and forward rules, and recording;
* ``broadcasting`` — ``broadcast_to`` and its reverse ``sum_to``;
* ``grad_mode`` — ``no_grad`` / ``enable_grad``;
* ``sweep`` — the backward sweep: ``backward()`` and ``grad()``;
* ``ops`` — every primitive, by family, with its rules;
* ``numpy_interop`` — numpy's functions and ufuncs on Tensors (``np.exp(t)``, ``ndarray * t``);
* ``tensor`` — ``Tensor``: operators and methods on top of the primitives;
* ``tangents``, ``counting`` — observers: tangents, operation counts;
* ``functional`` — ``jvp``, ``vjp``, ``jacobian``, ``hessian``; ``gradcheck``;
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
    array_split,
    bce_with_logits,
    broadcast_to,
    column_stack,
    concatenate,
    diag,
    diagonal,
    dot,
    einsum,
    exp,
    expand_dims,
    flatten,
    flip,
    hstack,
    inner,
    log,
    log_softmax,
    logsumexp,
    matmul,
    moveaxis,
    outer,
    pad,
    permute,
    quadratic_cost,
    ravel,
    relu,
    repeat,
    reshape,
    roll,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    split,
    sqrt,
    squeeze,
    stack,
    swapaxes,
    tanh,
    tensordot,
    tile,
    trace,
    transpose,
    tril,
    triu,
    unsqueeze,
    vstack,
)
from .sweep import backward, grad
from .tangents import forward_mode
from .tensor import Tensor

__all__ = [
    "GradcheckError", "Tensor", "absolute", "affine", "array_split", "backward",
    "bce_with_logits", "broadcast_to", "column_stack", "concatenate", "count_ops", "diag",
    "diagonal", "dot", "einsum", "enable_grad", "exp", "expand_dims", "flatten", "flip",
    "forward_mode", "functional", "grad", "gradcheck", "hessian", "hstack", "inner",
    "is_grad_enabled", "jacobian", "jvp", "log", "log_softmax", "logsumexp", "matmul",
    "moveaxis", "no_grad", "ops", "outer", "pad", "permute", "quadratic_cost", "ravel", "relu",
    "repeat", "reshape", "roll", "set_grad_enabled", "sigmoid", "softmax",
    "softmax_cross_entropy", "split", "sqrt", "squeeze", "stack", "swapaxes", "tanh",
    "tensordot", "tile", "trace", "transpose", "tril", "triu", "unsqueeze", "vjp", "vstack",
]
__version__ = "0.1.0"
