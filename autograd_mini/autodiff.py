"""Old import path, kept so that code written for the first layout still runs.

``autograd_mini.autodiff`` used to hold grad mode, primitives, recording, forward mode, operation
counting and the sweep in one module; each now has its own (see ``autograd_mini/__init__.py``).
New code imports from ``autograd_mini`` itself or from the module named for the job.
"""

from .counting import OpCounter, count_ops
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .primitive import Primitive, defjvp, defjvp_argnum, defvjp, defvjp_argnum, primitive
from .sweep import backward, grad
from .tangents import forward_mode

__all__ = [
    "OpCounter", "Primitive", "backward", "count_ops", "defjvp", "defjvp_argnum", "defvjp",
    "defvjp_argnum", "enable_grad", "forward_mode", "grad", "is_grad_enabled", "no_grad",
    "primitive", "set_grad_enabled",
]
