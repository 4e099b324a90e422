"""The Tensor: an ndarray that remembers how it was computed.

Every operation on Tensors goes through a primitive in ``ops.py``, which computes the value and,
when an input requires grad, records how (``autodiff.Node``). ``backward()`` then runs one
reverse sweep over that record and fills ``.grad`` on the leaves.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

# Every tensor is numbered as it is made. A tensor's inputs exist before it does, so decreasing
# numbers are a reverse topological order of any graph: the backward sweep relies on it.
_creation_order = itertools.count()

_FLOAT_NAMES = {"float32": np.float32, "float64": np.float64, "float16": np.float16}


def _as_dtype(dtype: Any) -> np.dtype:
    try:
        return np.dtype(_FLOAT_NAMES.get(dtype, dtype))
    except TypeError:
        raise TypeError(f"Tensor: unknown dtype {dtype!r}") from None


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: ``data`` is a Python number,
    a nested list or a numpy array. Numbers and lists become float64 (booleans stay boolean)
    unless ``dtype`` says otherwise; a numpy array keeps its dtype and is used without a copy
    when no conversion is needed (like ``torch.as_tensor``). Only floating-point tensors can
    require grad.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_node", "_retains_grad", "tangent",
                 "_seq", "__weakref__")

    # numpy defers to our reflected operators, so ``ndarray * Tensor`` is a Tensor.
    __array_ufunc__ = None

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        orig = data
        if dtype is not None:
            dtype = _as_dtype(dtype)
        try:
            data = np.asarray(data, dtype=dtype)
        except (ValueError, TypeError) as err:
            raise TypeError(f"Tensor: cannot make a numeric array from {type(data).__name__}: "
                            f"{err}") from None
        if data.dtype.kind not in "fiub":
            raise TypeError(f"Tensor: data of dtype {data.dtype} is not numeric")
        if dtype is None and not isinstance(orig, (np.ndarray, np.generic)) \
                and data.dtype.kind in "iu":
            data = data.astype(np.float64)  # Python numbers and lists of them: float64
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad (this one is "
                f"{data.dtype}); pass dtype='float64' or float data."
            )
        self.data = data
        self.grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._node = None
        self._retains_grad = False
        self.tangent = None
        self._seq = next(_creation_order)

    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """A leaf around an ndarray, without checks or conversion (for the engine's own use)."""
        t = cls.__new__(cls)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad = None
        t.requires_grad = False
        t.name = None
        t._node = None
        t._retains_grad = False
        t.tangent = None
        t._seq = next(_creation_order)
        return t

    # ---- attributes ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (and for results that do not require grad)."""
        return self._node is None

    @property
    def op(self) -> str | None:
        """Name of the operation that produced this tensor; None for leaves."""
        return None if self._node is None else self._node.prim.name

    @property
    def op_args(self) -> tuple:
        """All arguments of that operation, constants included; () for leaves."""
        return () if self._node is None else self._node.args

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The Tensor arguments of the operation that produced this tensor; () for leaves."""
        return tuple(a for a in self.op_args if isinstance(a, Tensor))

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=6,
                               threshold=40)
        extras = []
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        if self._node is not None:
            extras.append(f"op={self._node.prim.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a tensor as the picture of its graph (None falls back to the text)."""
        try:
            from viz.graph import tensor_repr_svg
        except ImportError:
            return None
        return tensor_repr_svg(self)

    # ---- conversion ----------------------------------------------------------------------
    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only a one-element tensor has an item; shape is "
                             f"{self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied)."""
        return self.data

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def detach(self) -> Tensor:
        """The same data, cut off from the graph (no grad recorded through it)."""
        return Tensor._wrap(self.data)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype; to a floating dtype it is differentiable (the gradient is
        cast back), to an integer or boolean dtype it is not."""
        dtype = _as_dtype(dtype)
        if dtype.kind != "f":
            return Tensor(self.data.astype(dtype))
        return ops.cast(self, dtype=dtype)

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
        autodiff.backward(self, grad, retain_graph, create_graph)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` for this non-leaf tensor too after ``backward()``."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad")
        self._retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

    # ---- operators -----------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.subtract(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.subtract(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.multiply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.divide(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.power(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.absolute(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index=_plain_index(index))

    # ---- methods ---------------------------------------------------------------------------
    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.absolute(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.transpose(self, axes=axes or None)

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis=axis)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.logsumexp(self, axis=axis, keepdims=keepdims)


def _plain_index(index: Any) -> Any:
    """Indices may contain integer Tensors; numpy wants their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


# Imported last: both modules need the Tensor class defined above.
from . import autodiff, ops  # noqa: E402
