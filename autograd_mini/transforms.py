"""Function transforms, as HIPS autograd and JAX users know them: ``value_and_grad(f)`` and
``elementwise_grad(f)`` return new functions.

``grad(outputs, inputs)`` (PyTorch's ``torch.autograd.grad``) differentiates tensors already
computed; these differentiate a *function*: ``value_and_grad(f)(x)`` calls ``f`` on a fresh
Tensor that requires grad and returns f's value and its gradient. The argument differentiated
is ``args[argnum]`` (an array-like or a Tensor; a tuple of argnums gives a tuple of gradients);
the others are passed to f as they are.

They compose, with each other and with ``functional.jvp``: when the argument is a Tensor that
something outside watches — an enclosing transform or ``jvp`` — the function is differentiated
with ``create_graph=True``, so the gradient is itself differentiable by the enclosing one:
``elementwise_grad(elementwise_grad(f))`` is f″ for an elementwise f (reverse-over-reverse), and
``jvp(lambda x: value_and_grad(f)(x)[1], x, v)`` is H·v (forward-over-reverse).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .functional import _as_array, _name, _outputs, _scalar
from .grad_mode import enable_grad
from .ops import reshape
from .sweep import grad
from .tangents import is_tracked
from .tensor import Tensor

__all__ = ["elementwise_grad", "value_and_grad"]


def _argnums(argnum: int | tuple[int, ...], fn: str) -> tuple[int, ...]:
    nums = argnum if isinstance(argnum, tuple) else (argnum,)
    if not nums or not all(isinstance(i, int) for i in nums):
        raise TypeError(f"{fn}: argnum must be an int or a tuple of ints, not {argnum!r}")
    return nums


def _differentiate(f: Callable, argnum: int | tuple[int, ...], args: tuple, kwargs: dict,
                   fn: str, scalar: bool) -> tuple[Tensor, Any]:
    """``(f(*args), ∂ Σ f / ∂ args[argnum])``: the gradient of f's output (of the sum of its
    elements when ``scalar`` is False) with respect to the arguments numbered ``argnum``."""
    nums = _argnums(argnum, fn)
    args = list(args)
    if any(not -len(args) <= i < len(args) for i in nums):
        raise IndexError(f"{fn}: argnum {argnum} but {_name(f)} was called with {len(args)} "
                         "positional arguments")
    leaves, composed = [], False
    with enable_grad():
        for i in nums:
            a = args[i]
            if is_tracked(a):  # watched from outside: stay connected to it
                composed = True
                leaf = reshape(a, shape=a.shape)
                if not leaf.requires_grad:  # watched by forward mode only
                    leaf.requires_grad = True
            else:
                leaf = Tensor(_as_array(a, f"{fn}: argument {i}"), requires_grad=True)
            args[i] = leaf
            leaves.append(leaf)
        result = f(*args, **kwargs)
        if scalar:
            out = _scalar(result, f, fn)
        else:
            outs, is_tuple = _outputs(result, f, fn)
            if is_tuple:
                raise TypeError(f"{fn}: the function {_name(f)} must return one Tensor, not a "
                                f"tuple of {len(outs)}")
            out = outs[0]
        grads = grad(out, leaves, grad_outputs=np.ones(out.shape, out.dtype),
                     create_graph=composed, allow_unused=True) \
            if out.requires_grad else [None] * len(leaves)
    grads = [Tensor._wrap(np.zeros(leaf.shape, leaf.dtype)) if g is None else g
             for g, leaf in zip(grads, leaves, strict=True)]
    value = out if composed else Tensor._wrap(out._data)
    return value, grads[0] if isinstance(argnum, int) else tuple(grads)


def value_and_grad(f: Callable, argnum: int | tuple[int, ...] = 0) -> Callable:
    """The function ``x ↦ (f(x), ∇f(x))`` for a scalar-valued f (HIPS autograd's and JAX's
    ``value_and_grad``).

    ``value_and_grad(f, argnum)(*args, **kwargs)`` returns ``(value, gradient)``: ``value =
    f(*args, **kwargs)``, a one-element Tensor, and ``gradient = ∂f/∂args[argnum]``, a Tensor of
    that argument's shape (a tuple of them for a tuple of argnums). One forward and one backward
    pass. An output that does not depend on the argument gives zeros.

    >>> value_and_grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    (Tensor(5.), Tensor([2., 4.]))
    """

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Tensor, Any]:
        return _differentiate(f, argnum, args, kwargs, "value_and_grad", scalar=True)

    return value_and_grad_f


def elementwise_grad(f: Callable, argnum: int | tuple[int, ...] = 0) -> Callable:
    """The function ``x ↦ ∂(Σ f(x))/∂x``: the gradient of the sum of f's outputs (HIPS
    autograd's ``elementwise_grad``; ``vjp`` with a vector of ones).

    For an f that acts elementwise (each output element depends on the same element of x
    only) that is f′ element by element, of x's shape: ``elementwise_grad(tanh)(x) = 1 −
    tanh²(x)``, the derivative at many points in one backward pass. For other functions it is
    the column sums of the Jacobian, not a derivative of each output.

    >>> elementwise_grad(lambda x: x * x * x)(np.array([1.0, 2.0]))
    Tensor([ 3., 12.])
    """

    @functools.wraps(f)
    def elementwise_grad_f(*args: Any, **kwargs: Any) -> Any:
        return _differentiate(f, argnum, args, kwargs, "elementwise_grad", scalar=False)[1]

    return elementwise_grad_f
