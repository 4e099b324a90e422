"""What a tensor is: an ndarray, its gradient, and how it was made.

``TensorBase`` holds the storage and the record of the operation that produced it — the
fields the backward sweep reads. It computes nothing: the operators and methods users call
(``a + b``, ``t.sum()``, ``t.backward()``) belong to ``Tensor`` (``tensor.py``), which
subclasses it above the primitives those methods call. (PyTorch is built the same way:
``torch.Tensor`` subclasses a ``TensorBase``.)

A tensor made by an operation on tensors that require grad records that operation:

* ``_op`` — the Primitive (``None`` for a leaf: a tensor the user made);
* ``_args`` — its arguments in call order, Tensors and constants alike, so the graph can be
  walked and drawn; ``_params`` — its keyword parameters (axis, shape, ...), or None;
* ``_saved`` — the arguments' values as the reverse rules read them, released by backward
  unless the graph is retained (``None`` then).

Every tensor is numbered as it is made (``_seq``). A tensor's inputs exist before it does, so
decreasing numbers are a reverse topological order of any graph: the sweep relies on it.

What few tensors need lives in ``_extra`` (an ``_Extra``, or None for most): a name, a
forward-mode tangent, ``retain_grad``, gradient hooks, and what keeps saved values unchanged
before backward (``write_guard.py``): for a leaf, the latest operation that saved it (a weak
reference), and the stamp of its last in-place change through ``.data``. Keeping the slots
few matters: a graph of a million operations is a million of these objects (276 bytes per
node of a scalar chain, with its argument tuples and values).

The value of a 0-d result is kept as the numpy scalar numpy computed (``np.float64``), not as a
0-d array: arithmetic on numpy scalars takes numpy's scalar fast path, several times faster,
and the scalar is smaller. ``.data`` gives users an ndarray all the same.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np

from .write_guard import SavedArray, read_only_view, refusal

_creation_order = itertools.count()

_FLOAT_NAMES = {"float32": np.float32, "float64": np.float64, "float16": np.float16}


def as_dtype(dtype: Any) -> np.dtype:
    """A numpy dtype from a dtype or its name; a TypeError naming it otherwise."""
    try:
        return np.dtype(_FLOAT_NAMES.get(dtype, dtype))
    except TypeError:
        raise TypeError(f"Tensor: unknown dtype {dtype!r}") from None


class _Extra:
    """What few tensors have, kept off the common path: a name, a forward-mode tangent, whether a
    non-leaf keeps its gradient, the latest graph that saved a leaf's values (a weak
    reference), the stamp of the last in-place change through ``.data``, gradient hooks."""

    __slots__ = ("name", "tangent", "retains_grad", "saver", "version", "hooks")

    def __init__(self) -> None:
        self.name: str | None = None
        self.tangent: Any = None
        self.retains_grad = False
        self.saver: weakref.ref | None = None
        self.version = 0
        self.hooks: Any = None


def _extra_field(field: str, doc: str) -> property:
    """A property kept in ``_extra``, which is made only when a value is first set."""

    def get(self: TensorBase) -> Any:
        extra = self._extra
        return getattr(_NO_EXTRA, field) if extra is None else getattr(extra, field)

    def set_(self: TensorBase, value: Any) -> None:
        extra = self._extra
        if extra is None:
            if value is None or value is False:
                return  # the default already
            extra = self._extra = _Extra()
        setattr(extra, field, value)

    return property(get, set_, doc=doc)


_NO_EXTRA = _Extra()


class TensorBase:
    """A multi-dimensional array that remembers how it was computed (see the module docstring).

    ``TensorBase(data, requires_grad=False, dtype=None, name=None)``: ``data`` is a Python
    number, a nested list or a numpy array. Numbers and lists become float64 (booleans stay
    boolean) unless ``dtype`` says otherwise; a numpy array keeps its dtype and is used without a
    copy when no conversion is needed (like ``torch.as_tensor``). Only floating-point tensors can
    require grad.
    """

    # Few slots, and only these on the path of every operation: a graph of a million operations
    # is a million of these objects, and the garbage collector visits every slot. Fields few
    # tensors use live in ``_extra`` (None for most).
    __slots__ = ("_data", "grad", "requires_grad", "_op", "_args", "_params", "_saved", "_seq",
                 "_extra", "__weakref__")

    name = _extra_field("name", "A name for pictures and messages (None by default).")
    tangent = _extra_field("tangent", "The tangent carried in ``forward_mode()`` (or None).")
    _retains_grad = _extra_field("retains_grad", "Whether a non-leaf keeps its ``.grad``.")
    _saver = _extra_field("saver", "The latest recorded result that saved this leaf's values.")
    _version = _extra_field("version", "The creation number at the last in-place change.")
    _hooks = _extra_field("hooks", "Gradient hooks (``hooks.py``), or None.")

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        if isinstance(data, TensorBase):
            data = data._data
        elif isinstance(data, SavedArray):  # values a graph saved: the new tensor gets a copy
            data = np.array(data.view(np.ndarray))
        orig = data
        if dtype is not None:
            dtype = as_dtype(dtype)
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
        self._data = data
        self.grad: TensorBase | None = None
        self.requires_grad = bool(requires_grad)
        self._op = None
        self._args: tuple = ()
        self._params: dict | None = None
        self._saved: tuple | None = None
        self._seq = next(_creation_order)
        self._extra: _Extra | None = None
        if name is not None:
            self.name = name

    @classmethod
    def _wrap(cls, data: Any) -> TensorBase:
        """A leaf around an ndarray (or numpy scalar), without checks (for the engine's use)."""
        t = cls.__new__(cls)
        if type(data) is not np.ndarray and not isinstance(data, np.generic):
            data = np.asarray(data)
        t._data = data
        t.grad = None
        t.requires_grad = False
        t._op = None
        t._args = ()
        t._params = None
        t._saved = None
        t._seq = next(_creation_order)
        t._extra = None
        return t

    # ---- the array ---------------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values, as an ndarray (shared, not copied). While a graph that has not been
        backpropagated holds them, a read-only view that refuses in-place changes."""
        data = self._data
        if type(data) is not np.ndarray:
            data = self._data = np.asarray(data)
        if self._saved is None and (self._extra is None or self._extra.saver is None):
            return data
        op = self._saved_by()
        if op is None:
            return data
        return read_only_view(data, lambda: refusal(self.describe(), op))

    @data.setter
    def data(self, value: np.ndarray) -> None:
        if value is self._data:  # `t.data -= x` changed the array in place, then set it back
            extra = self._extra  # (the stamp, set without the property: optimizers run this)
            if extra is None:
                extra = self._extra = _Extra()
            extra.version = next(_creation_order)
        else:
            self._data = value if type(value) is np.ndarray else np.asarray(value)

    def _saved_by(self) -> str | None:
        """The name of an operation whose backward pass still needs this tensor's values: its
        own (a recorded result not yet backpropagated), or the latest that saved this leaf."""
        if self._saved is not None:
            return self._op.name
        extra = self._extra  # (read directly: an optimizer step runs this for each parameter)
        ref = None if extra is None else extra.saver
        saver = None if ref is None else ref()
        if saver is None or saver._saved is None:
            if ref is not None:
                extra.saver = None  # that graph is gone or done: later reads skip this
            return None
        return saver._op.name

    def describe(self) -> str:
        """``tensor 'W' of shape (3, 4)``: how messages name this tensor."""
        name = f" '{self.name}'" if self.name else ""
        return f"tensor{name} of shape {self.shape}"

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    # ---- how it was made ---------------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (and for results that do not require grad)."""
        return self._op is None

    @property
    def op(self) -> str | None:
        """Name of the operation that produced this tensor; None for leaves."""
        return None if self._op is None else self._op.name

    @property
    def primitive(self) -> Any:
        """The Primitive that produced this tensor (its rules included); None for leaves."""
        return self._op

    @property
    def op_args(self) -> tuple:
        """All arguments of that operation, constants included; () for leaves."""
        return self._args

    @property
    def op_params(self) -> dict:
        """The keyword parameters of that operation (axis, shape, ...); {} for leaves."""
        return {} if self._params is None else dict(self._params)

    @property
    def inputs(self) -> tuple[TensorBase, ...]:
        """The Tensor arguments of the operation that produced this tensor; () for leaves."""
        return tuple(a for a in self._args if isinstance(a, TensorBase))

    # ---- conversion --------------------------------------------------------------------------
    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): only a one-element tensor has an item; shape is "
                             f"{self.shape}")
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied; read-only while a graph saves it)."""
        return self.data

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self._data)

    def detach(self) -> TensorBase:
        """The same data, cut off from the graph (no grad recorded through it)."""
        return type(self)._wrap(self._data)

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(self._data), separator=", ", prefix="Tensor(",
                               precision=6, threshold=40)
        extras = []
        if self._data.dtype != np.float64:
            extras.append(f"dtype={self._data.dtype}")
        if self._op is not None:
            extras.append(f"op={self._op.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    # ---- gradients ---------------------------------------------------------------------------
    def retain_grad(self) -> TensorBase:
        """Keep ``.grad`` for this non-leaf tensor too after ``backward()``."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad")
        self._retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None
