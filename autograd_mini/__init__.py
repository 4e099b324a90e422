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
* ``tensor`` — ``Tensor``: operators and methods on top of the primitives;
* ``tangents``, ``counting`` — observers: tangents, operation counts;
* ``functional`` — ``jvp``, ``vjp``, ``jacobian``, ``hessian``;
* ``transforms`` — ``value_and_grad``, ``elementwise_grad``; ``gradcheck``.
"""

from . import functional, ops
from .counting import count_ops
from .functional import hessian, jacobian, jvp, vjp
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
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
from .sweep import backward, grad
from .tangents import forward_mode
from .tensor import Tensor
from .transforms import elementwise_grad, value_and_grad

__all__ = [
    "GradcheckError", "Tensor", "absolute", "affine", "bce_with_logits", "concatenate",
    "backward", "forward_mode", "functional", "hessian", "jacobian", "jvp", "vjp", "ops",
    "count_ops", "enable_grad", "exp", "grad", "gradcheck", "is_grad_enabled", "log",
    "log_softmax", "logsumexp", "matmul", "no_grad", "quadratic_cost", "relu",
    "set_grad_enabled", "sigmoid", "softmax", "softmax_cross_entropy", "sqrt", "stack", "tanh",
    "elementwise_grad", "value_and_grad",
]
__version__ = "0.1.0"
