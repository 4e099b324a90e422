"""autograd-mini: a tiny, fast, readable reverse-mode automatic differentiation engine."""

# ruff: noqa: I001 — tensor must be imported first: it imports autodiff and ops, which need the
# Tensor class already defined.
from .tensor import Tensor
from .autodiff import (
    count_ops,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from . import functional
from .functional import hessian, jacobian, jvp, vjp
from .gradcheck import GradcheckError, gradcheck
from .ops import (
    absolute,
    affine,
    bce_with_logits,
    concatenate,
    exp,
    log,
    log_softmax,
    logsumexp,
    matmul,
    quadratic_cost,
    relu,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    sqrt,
    stack,
    tanh,
)

__all__ = [
    "GradcheckError", "Tensor", "absolute", "affine", "bce_with_logits", "concatenate",
    "functional", "hessian", "jacobian", "jvp", "vjp",
    "count_ops", "enable_grad", "exp", "grad", "gradcheck", "is_grad_enabled", "log",
    "log_softmax", "logsumexp", "matmul", "no_grad", "quadratic_cost", "relu",
    "set_grad_enabled", "sigmoid", "softmax", "softmax_cross_entropy", "sqrt", "stack", "tanh",
]
__version__ = "0.1.0"
