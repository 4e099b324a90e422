"""``Tensor``: the array users hold, with its operators and methods.

The storage and the record of how a tensor was made are ``TensorBase`` (``tensor_base.py``, the
bottom of the engine); this subclass adds what users call — ``a + b``, ``a @ b``, ``t[i]``,
``t.sum()``, ``t.backward()`` — each a one-line call of a primitive (``ops``) or of the sweep.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from . import numpy_interop, ops
from .hooks import RemovableHandle, register_hook
from .ops.shapes import normalize_axis
from .primitive import Primitive, record
from .state import state
from .sweep import backward as _backward
from .tensor_base import TensorBase, as_dtype


def _flat(args: tuple) -> Any:
    """``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` alike."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


_NO_PARAMS: dict = {}  # the parameters of an operator (never changed)


def _method(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The method ``t.f(...)`` calling the function ``f(t, ...)``."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__, method.__doc__ = fn.__name__, fn.__doc__
    return method


def _plain_index(index: Any) -> Any:
    """Indices may contain integer Tensors; numpy wants their arrays."""
    if isinstance(index, TensorBase):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, TensorBase) else i for i in index)
    return index


def _binary(prim: Primitive) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The operator ``a ∘ b`` calling ``prim(a, b)``, and its reflected form ``b ∘ a``.

    They call ``record`` directly — ``self`` is a Tensor, so ``Primitive.__call__`` would only
    find that out again: one call less on the path of every ``a * b``."""

    def method(self: Tensor, other: Any) -> Tensor:
        return record(prim, (self, other), _NO_PARAMS)

    def reflected(self: Tensor, other: Any) -> Tensor:
        return record(prim, (other, self), _NO_PARAMS)

    method.__doc__ = reflected.__doc__ = prim.__doc__
    return method, reflected


def _in_place(
    prim: Primitive, change: Callable[[Any, Any], Any], symbol: str
) -> Callable[..., Any]:
    """The operator ``t ∘= x``, as in PyTorch: it changes t's values in place where nothing is
    being recorded — inside ``no_grad()`` (an optimizer's ``w -= lr * w.grad``), or when
    neither operand requires grad — through ``.data``, so the write guard applies as to any
    in-place change (``write_guard.py``).

    While gradients are recorded, a result of the graph (``h += b`` in a model) becomes the
    recorded ``h ∘ b``, a new tensor bound to the name, so the gradient stays right; a leaf
    that requires grad is refused, since changing it in place could not be recorded (and
    without this operator Python would silently rebind the name to a new tensor instead)."""

    def method(self: Tensor, other: Any) -> Tensor:
        other_grad = isinstance(other, TensorBase) and other.requires_grad
        if state.grad_enabled and (self.requires_grad or other_grad):
            if self.requires_grad and self._op is None:
                raise RuntimeError(
                    f"{symbol}: {self.describe()} requires grad, so it cannot be changed in "
                    f"place while gradients are recorded. Update parameters inside no_grad() "
                    f"(with no_grad(): w {symbol} ...), as optimizers do, or make a new tensor "
                    f"(w = w {symbol[0]} ...)."
                )
            return record(prim, (self, other), _NO_PARAMS)
        data = self.data  # read-only while a graph still needs the values: the change refused
        value = other._data if isinstance(other, TensorBase) else other
        try:
            change(data, value)  # ndarray's own ``data -= value``
        except (TypeError, ValueError) as err:
            kind = TypeError if isinstance(err, TypeError) else ValueError  # (not numpy's own)
            raise kind(
                f"{symbol}: cannot change {self.describe()} ({data.dtype}) in place by an "
                f"operand of shape {np.shape(value)} ({np.result_type(value)}): the result "
                f"must keep the tensor's shape and a dtype of its kind"
            ) from None
        self.data = data  # stamped as changed in place
        return self

    method.__doc__ = (
        f"``t {symbol} x``: in place inside ``no_grad()`` or when nothing requires grad; "
        f"a recorded ``t {symbol[0]} x`` when t is a result of the graph; refused for a leaf "
        f"that requires grad while gradients are recorded."
    )
    return method


def _comparison(prim: Primitive) -> Callable[..., Any]:
    """The comparison ``a < b`` (etc.) calling ``prim(a, b)``: a boolean Tensor. With anything
    but numbers and arrays (``t == None``) it defers to Python (identity: False for ==)."""

    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, (TensorBase, np.ndarray, np.generic, numbers.Number, list,
                                  tuple)):
            return NotImplemented
        return prim(self, other)

    method.__doc__ = prim.__doc__
    return method


def _unary(prim: Primitive) -> Callable[..., Any]:
    """The method ``t.f()`` calling ``prim(t)``."""

    def method(self: Tensor) -> Tensor:
        return record(prim, (self,), _NO_PARAMS)

    method.__name__, method.__doc__ = prim.name, prim.__doc__
    return method


def _reduction(prim: Primitive) -> Callable[..., Any]:
    """The method ``t.f(axis=None, keepdims=False)`` calling ``prim`` over ``axis``."""

    def method(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        if axis is None and not keepdims:  # ``t.sum()``, a cost's last step: the defaults,
            return record(prim, (self,), _NO_PARAMS)  # so no parameters to pass on and back
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

    # numpy's functions and ufuncs on Tensors — np.exp(t), np.sum(t, axis=0), ndarray * t —
    # are recorded like our own operations; np.asarray(t) is the data (numpy_interop.py).
    __array_ufunc__ = numpy_interop.array_ufunc
    __array_function__ = numpy_interop.array_function
    __array__ = numpy_interop.array

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
    __mod__, __rmod__ = _binary(ops.mod)
    __floordiv__, __rfloordiv__ = _binary(ops.floor_divide)
    __neg__ = _unary(ops.negative)
    __abs__ = _unary(ops.absolute)
    __iadd__ = _in_place(ops.add, operator.iadd, "+=")
    __isub__ = _in_place(ops.subtract, operator.isub, "-=")
    __imul__ = _in_place(ops.multiply, operator.imul, "*=")
    __itruediv__ = _in_place(ops.divide, operator.itruediv, "/=")
    __ipow__ = _in_place(ops.power, operator.ipow, "**=")

    # comparisons: boolean Tensors that never require grad; ``bool()`` of one element only
    __lt__, __le__, __gt__, __ge__ = map(_comparison, (ops.less, ops.less_equal, ops.greater,
                                                       ops.greater_equal))
    __eq__, __ne__ = _comparison(ops.equal), _comparison(ops.not_equal)  # type: ignore[assignment]
    # Defining __eq__ would make Tensors unhashable; they stay hashable by identity, so they
    # can be dict keys and set members (the sweep, optimizers and modules rely on it).
    __hash__ = TensorBase.__hash__

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

    # numpy's elementwise functions (and PyTorch's names asin, acos, ... for the inverses)
    sin, cos, tan, sinh, cosh = map(_unary, (ops.sin, ops.cos, ops.tan, ops.sinh, ops.cosh))
    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = map(_unary, (
        ops.arcsin, ops.arccos, ops.arctan, ops.arcsinh, ops.arccosh, ops.arctanh))
    asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
    log1p, expm1, log2, log10, exp2, square, reciprocal, erf, erfc = map(_unary, (
        ops.log1p, ops.expm1, ops.log2, ops.log10, ops.exp2, ops.square, ops.reciprocal, ops.erf,
        ops.erfc))
    sign, floor, ceil = map(_unary, (ops.sign, ops.floor, ops.ceil))
    # t.f(other) = f(t, other); t.arctan2(x) is the angle of the point (x, t)
    arctan2, hypot, logaddexp, maximum, minimum, remainder = (_binary(p)[0] for p in (
        ops.arctan2, ops.hypot, ops.logaddexp, ops.maximum, ops.minimum, ops.mod))
    atan2 = arctan2
    min, prod, argmax, argmin = map(_reduction, (ops.min, ops.prod, ops.argmax, ops.argmin))

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

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis=axis)

    # ---- shapes: numpy's names, and PyTorch's where numpy has none -----------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """x with a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; -1 infers one."""
        return ops.reshape(self, _flat(shape))

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's name for ``reshape`` (the data is shared when numpy can make a view)."""
        return ops.reshape(self, _flat(shape))

    def transpose(self, *axes: Any) -> Tensor:
        """Axes permuted. ``t.transpose()`` reverses them; a permutation — ``t.transpose(2, 0,
        1)`` or ``t.transpose((2, 0, 1))`` — is numpy's meaning; exactly two ints are PyTorch's
        meaning: ``t.transpose(d0, d1)`` swaps axes d0 and d1 whatever the number of axes.
        (For a matrix both readings of ``(1, 0)`` agree; ``t.transpose(0, 1)`` is the matrix
        transposed, as in PyTorch — in numpy it would be the identity permutation.)"""
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            perm = list(range(self.ndim))
            d0, d1 = (normalize_axis("transpose", a, self.shape) for a in axes)
            perm[d0], perm[d1] = perm[d1], perm[d0]
            return ops.transpose(self, perm)
        return ops.transpose(self, None if axes in ((), (None,)) else _flat(axes))

    def permute(self, *dims: Any) -> Tensor:
        """PyTorch's permutation of the axes: result axis i is axis ``dims[i]``."""
        return ops.transpose(self, _flat(dims))

    def expand(self, *sizes: Any) -> Tensor:
        """PyTorch's ``expand``: broadcast to ``sizes``, where -1 keeps an axis's size."""
        return ops.expand(self, *sizes)

    def repeat(self, *sizes: Any) -> Tensor:
        """PyTorch's ``repeat``: the WHOLE tensor repeated ``sizes[i]`` times along axis i (one
        size per axis, or more for new leading axes) — numpy's ``tile``, not numpy's
        ``repeat``. For numpy's element-wise repeat call ``autograd_mini.repeat(t, n, axis)``."""
        sizes = _flat(sizes)
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: {len(sizes)} sizes {sizes} for a tensor of shape "
                             f"{self.shape}: Tensor.repeat (PyTorch's) needs one per axis; for "
                             "numpy's element-wise repeat call autograd_mini.repeat(t, n, axis)")
        return ops.tile(self, sizes)

    def tile(self, *reps: Any) -> Tensor:
        """The whole tensor repeated ``reps[i]`` times along axis i (numpy's ``tile``)."""
        return ops.tile(self, _flat(reps))

    def flip(self, *axes: Any) -> Tensor:
        """Reversed along ``axes`` (``t.flip(0)``, ``t.flip(0, 1)``; every axis when none)."""
        return ops.flip(self, _flat(axes) or None)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> list[Tensor]:
        """PyTorch's ``split``: pieces of ``split_size_or_sections`` elements along ``dim``, or
        of the listed sizes. (numpy's ``split`` — k equal pieces, or cut at indices — is the
        function ``autograd_mini.split``.)"""
        return ops.split_sizes(self, split_size_or_sections, dim)

    squeeze = _method(ops.squeeze)
    unsqueeze = _method(ops.unsqueeze)
    flatten = _method(ops.flatten)
    ravel = _method(ops.ravel)
    broadcast_to = _method(ops.broadcast_to)
    swapaxes = _method(ops.swapaxes)
    moveaxis = _method(ops.moveaxis)
    roll = _method(ops.roll)
    diag = _method(ops.diag)
    diagonal = _method(ops.diagonal)
    trace = _method(ops.trace)
    triu = _method(ops.triu)
    tril = _method(ops.tril)

    # ---- products ---------------------------------------------------------------------------
    dot = _method(ops.dot)
    inner = _method(ops.inner)
    outer = _method(ops.outer)
    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - numpy's names
        """The values limited to [min, max] (either may be None); ``clamp`` is the same."""
        return ops.clip(self, min, max)

    clamp = clip

    def where(self, condition: Any, other: Any) -> Tensor:
        """self where ``condition`` holds, ``other`` elsewhere (PyTorch's ``Tensor.where``)."""
        return ops.where(condition, self, other)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        return ops.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        return ops.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis: int | None = None) -> Tensor:
        return ops.cumsum(self, axis=axis)

    def sort(self, axis: int | None = -1) -> Tensor:
        """The values sorted along ``axis``, as numpy's ``sort`` (PyTorch's also returns the
        indices: use ``argsort`` for them)."""
        return ops.sort(self, axis=axis)

    def argsort(self, axis: int | None = -1) -> Tensor:
        return ops.argsort(self, axis=axis)
