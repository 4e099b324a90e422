"""``Tensor``: the array users hold, with its operators and methods.

The storage and the record of how a tensor was made are ``TensorBase`` (``tensor_base.py``, the
bottom of the engine); this subclass adds what users call — ``a + b``, ``a @ b``, ``t[i]``,
``t.sum()``, ``t.backward()`` — each a one-line call of a primitive (``ops``) or of the sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ops
from .hooks import RemovableHandle, register_hook
from .primitive import Primitive
from .sweep import backward as _backward
from .tensor_base import TensorBase, as_dtype


def _flat(args: tuple) -> Any:
    """``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` alike."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _plain_index(index: Any) -> Any:
    """Indices may contain integer Tensors; numpy wants their arrays."""
    if isinstance(index, TensorBase):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, TensorBase) else i for i in index)
    return index


def _binary(prim: Primitive) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The operator ``a ∘ b`` calling ``prim(a, b)``, and its reflected form ``b ∘ a``."""

    def method(self: Tensor, other: Any) -> Tensor:
        return prim(self, other)

    def reflected(self: Tensor, other: Any) -> Tensor:
        return prim(other, self)

    method.__doc__ = reflected.__doc__ = prim.__doc__
    return method, reflected


def _unary(prim: Primitive) -> Callable[..., Any]:
    """The method ``t.f()`` calling ``prim(t)``."""

    def method(self: Tensor) -> Tensor:
        return prim(self)

    method.__name__, method.__doc__ = prim.name, prim.__doc__
    return method


def _reduction(prim: Primitive) -> Callable[..., Any]:
    """The method ``t.f(axis=None, keepdims=False)`` calling ``prim`` over ``axis``."""

    def method(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        return prim(self, axis=axis, keepdims=keepdims)

    method.__name__, method.__doc__ = prim.name, prim.__doc__
    return method


class Tensor(TensorBase):
    """A multi-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: ``data`` is a Python number,
    a nested list or a numpy array. Numbers and lists become float64 (booleans stay boolean)
    unless ``dtype`` says otherwise; a numpy array keeps its dtype and is used without a copy
    when no conversion is needed (like ``torch.as_tensor``). Only floating-point tensors can
    require grad.
    """

    __slots__ = ()

    # numpy defers to our reflected operators, so ``ndarray * Tensor`` is a Tensor.
    __array_ufunc__ = None

    # ---- differentiation -----------------------------------------------------------------
    def backward(
        self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``grad`` is the gradient of the final scalar with respect to ``self`` (of self's shape;
        may be omitted when self has one element). The graph is freed afterwards unless
        ``retain_graph=True`` (default: the value of ``create_graph``). ``create_graph=True``
        records the backward pass itself, so the gradients can be differentiated again.
        """
        _backward(self, grad, retain_graph, create_graph)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` with the gradient of this tensor whenever a backward sweep
        (``backward()``, ``grad()``, with or without ``create_graph``) computes it — its total
        gradient, summed over every path, before it flows on to the inputs (or into ``.grad``).
        A hook returning a Tensor replaces the gradient (same shape); None keeps it. Hooks run
        in the order they were registered; ``handle.remove()`` unregisters one. A hook should
        not modify its argument in place. As PyTorch's ``Tensor.register_hook``.
        """
        return register_hook(self, hook)

    # ---- operators: one primitive each -------------------------------------------------------
    __add__, __radd__ = _binary(ops.add)
    __sub__, __rsub__ = _binary(ops.subtract)
    __mul__, __rmul__ = _binary(ops.multiply)
    __truediv__, __rtruediv__ = _binary(ops.divide)
    __pow__, __rpow__ = _binary(ops.power)
    __matmul__, __rmatmul__ = _binary(ops.matmul)
    __neg__ = _unary(ops.negative)
    __abs__ = _unary(ops.absolute)

    def __pos__(self) -> Tensor:
        return self

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index=_plain_index(index))

    # ---- methods -------------------------------------------------------------------------------
    exp = _unary(ops.exp)
    log = _unary(ops.log)
    sqrt = _unary(ops.sqrt)
    abs = _unary(ops.absolute)
    sigmoid = _unary(ops.sigmoid)
    tanh = _unary(ops.tanh)
    relu = _unary(ops.relu)
    sum = _reduction(ops.sum)
    mean = _reduction(ops.mean)
    max = _reduction(ops.max)
    logsumexp = _reduction(ops.logsumexp)

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype; to a floating dtype it is differentiable (the gradient is
        cast back), to an integer or boolean dtype it is not."""
        dtype = as_dtype(dtype)
        if dtype.kind != "f":
            return Tensor(self._data.astype(dtype))
        return ops.cast(self, dtype=dtype)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, shape=_flat(shape))

    def transpose(self, *axes: Any) -> Tensor:
        return ops.transpose(self, axes=_flat(axes) or None)

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis=axis)
