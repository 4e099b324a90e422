"""numpy's own functions on Tensors: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``ndarray + t``,
``np.concatenate([t, u])`` return recorded Tensors.

numpy lets an array-like object take over its functions through two hooks, which ``Tensor``
sets to the functions of this module:

* ``__array_ufunc__`` (NEP 13) for ufuncs — ``np.exp(t)``, ``np.add(a, t)``, and the operators
  of an ndarray with a Tensor on the right (``ndarray * t`` is ``np.multiply(ndarray, t)``);
* ``__array_function__`` (NEP 18) for the other functions — ``np.sum``, ``np.concatenate``,
  ``np.einsum``, ...

Both look the function up in a table built from the engine's own vocabulary when this module
is imported, so a primitive added to ``ops`` joins without an entry here: a ufunc maps to the
primitive that wraps it (``Primitive.fun is np.exp``) or to the ``ops`` function or primitive
of its name (``ops.maximum`` ↔ ``np.maximum``); a numpy function maps to the ``ops`` function
of its name (``ops.squeeze`` ↔ ``np.squeeze``). The numpy call is bound to our function's
signature — a primitive gets its operands positionally and its settings (``axis``, ...) as
keywords — so ``np.sum(t, 0)`` is ``ops.sum(t, axis=0)``.

A few functions only read values or shapes (``np.shape``, ``np.allclose``, ``np.argmax``, ...)
and are applied to the data; so are ufuncs whose results are booleans (``np.isnan``). Anything
else raises a TypeError naming the function — never a result silently cut off from the graph —
and so does ``out=`` (numpy writing into an array in place cannot be recorded).
``np.asarray(t)`` is the data (``__array__``).

(MyGrad handles numpy's functions the same way, with tables of its own operations.)
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import ops
from .primitive import Primitive
from .tensor_base import TensorBase

# ufuncs the engine computes from other operations
_COMPOSED_UFUNCS: dict[np.ufunc, Callable] = {
    np.positive: lambda x: x,
    np.square: lambda x: ops.multiply(x, x),
    np.reciprocal: lambda x: ops.divide(1.0, x),
}
# ufunc.reduce and ufunc.accumulate: the ops function of that name, when there is one
_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}
_ACCUMULATIONS = {"add": "cumsum", "multiply": "cumprod"}
# numpy functions with another name in the engine
_ALIASES = {"amax": "max", "amin": "min", "permute_dims": "transpose", "concat": "concatenate"}
# numpy functions that only read values, shapes or dtypes: applied to the data
_READ_ONLY = (
    np.shape, np.ndim, np.size, np.result_type, np.can_cast, np.min_scalar_type,
    np.may_share_memory, np.shares_memory, np.allclose, np.isclose, np.array_equal,
    np.array_equiv, np.iscomplexobj, np.isrealobj, np.array_repr, np.array_str,
    np.array2string, np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero,
    np.count_nonzero, np.any, np.all, np.zeros_like, np.ones_like, np.empty_like,
    np.full_like, np.searchsorted,
)


def _public() -> dict[str, Callable]:
    """The engine's functions by name: ``ops``'s public functions and every primitive."""
    found = {p.name: p for p in ops.PRIMITIVES.values()}
    found.update((name, getattr(ops, name)) for name in ops.__all__
                 if callable(getattr(ops, name)))
    return found


def _build_tables() -> tuple[dict, dict]:
    public = _public()
    ufuncs: dict[np.ufunc, Callable] = {}
    for p in ops.PRIMITIVES.values():  # primitives that wrap a numpy ufunc
        if isinstance(p.fun, np.ufunc):
            ufuncs.setdefault(p.fun, p)
    functions: dict[Callable, Callable] = {}
    for name, fn in public.items():
        with warnings.catch_warnings():  # asking numpy for a deprecated name warns
            warnings.simplefilter("ignore")
            target = getattr(np, name, None)
        if isinstance(target, np.ufunc):
            ufuncs.setdefault(target, fn)
        elif callable(target):  # only numpy's dispatching functions ever ask for it
            functions.setdefault(target, fn)
    for numpy_name, name in _ALIASES.items():
        if name in public and hasattr(np, numpy_name):
            functions.setdefault(getattr(np, numpy_name), public[name])
    for u, fn in _COMPOSED_UFUNCS.items():
        ufuncs.setdefault(u, fn)
    return ufuncs, functions


UFUNCS, FUNCTIONS = _build_tables()
"""numpy ufunc → the engine's function; numpy function → the engine's function."""


def _name(func: Any) -> str:
    """``numpy.exp``, ``numpy.linalg.norm``."""
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module if module.startswith('numpy') else 'numpy'}.{getattr(func, '__name__', func)}"


def _unsupported(func: Any, detail: str = "") -> TypeError:
    return TypeError(
        f"{_name(func)}{detail} has no autograd_mini version, so applying it to a Tensor would "
        "cut the result off from the graph. Apply it to t.data (or np.asarray(t)) for values "
        "without gradients, or write it with autograd_mini's operations."
    )


def _in_place(func: Any, how: str = " with out=") -> TypeError:
    return TypeError(
        f"{_name(func)}{how}: numpy would write into an existing array in place, which "
        "cannot be recorded for differentiation. Use the returned value instead (y = f(x), "
        "not f(x, out=y); a = a + t, not a += t)."
    )


def _data(x: Any) -> Any:
    """Tensors (also inside lists and tuples) replaced by their data."""
    if isinstance(x, TensorBase):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_data(v) for v in x)
    return x


def _wrap_like(inputs: tuple, value: Any) -> Any:
    cls = next(type(a) for a in inputs if isinstance(a, TensorBase))
    return cls._wrap(value)


# ---- ufuncs -----------------------------------------------------------------------------------


def array_ufunc(self: TensorBase, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any):
    """``Tensor.__array_ufunc__``: a ufunc with a Tensor among its inputs."""
    if method == "__call__" and not kwargs:
        fn = UFUNCS.get(ufunc)
        if fn is not None:
            return fn(*inputs)
    return _other_ufunc_call(ufunc, method, inputs, kwargs)


def _other_ufunc_call(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    if method == "at":
        raise _in_place(ufunc, ".at")
    if kwargs.get("out") is not None:
        raise _in_place(ufunc)
    kwargs.pop("out", None)
    if method == "__call__":
        if kwargs:
            raise TypeError(f"{_name(ufunc)} on a Tensor: the arguments {sorted(kwargs)} are "
                            "not supported")
        if all(t[-1] == "?" for t in ufunc.types):  # a boolean result: no derivative to lose
            return _wrap_like(inputs, ufunc(*_data(inputs)))
        raise _unsupported(ufunc)
    if method == "outer" and ufunc in UFUNCS and len(inputs) == 2 and not kwargs:
        a, b = inputs
        shape = np.shape(_data(a))
        return UFUNCS[ufunc](ops.reshape(a, shape + (1,) * np.ndim(_data(b))), b)
    names = {"reduce": _REDUCTIONS, "accumulate": _ACCUMULATIONS}.get(method, {})
    fn = getattr(ops, names.get(ufunc.__name__, ""), None)
    if fn is None:
        raise _unsupported(ufunc, f".{method}")
    unknown = set(kwargs) - ({"axis", "keepdims"} if method == "reduce" else {"axis"})
    if unknown:
        raise TypeError(f"{_name(ufunc)}.{method} on a Tensor: the arguments {sorted(unknown)} "
                        "are not supported")
    (x,) = inputs
    return fn(x, **{"axis": 0, **kwargs})


# ---- other functions --------------------------------------------------------------------------


_VAR_POSITIONAL = inspect.Parameter.VAR_POSITIONAL
_VAR_KEYWORD = inspect.Parameter.VAR_KEYWORD
_KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY


def _signature(fn: Callable) -> inspect.Signature:
    return inspect.signature(fn.fun if isinstance(fn, Primitive) else fn)


def _call(func: Callable, fn: Callable, args: tuple, kwargs: dict) -> Any:
    """``fn`` called as numpy's ``func`` was. A primitive gets its operands — the arguments up
    to the last array — positionally and its settings (``axis``, ...) as keywords."""
    signature = _signature(fn)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(f"{_name(func)} on a Tensor: autograd_mini's "
                        f"{getattr(fn, '__name__', '')}{signature} does not take these "
                        f"arguments ({err})") from None
    if not isinstance(fn, Primitive):
        return fn(*bound.args, **bound.kwargs)
    given = [(p, bound.arguments[p.name]) for p in signature.parameters.values()
             if p.name in bound.arguments]
    last = max((i for i, (p, v) in enumerate(given) if p.kind is _VAR_POSITIONAL
                or isinstance(v, (TensorBase, np.ndarray))), default=0)
    operands: list = []
    settings: dict = {}
    for i, (p, v) in enumerate(given):
        if p.kind is _VAR_POSITIONAL:
            operands.extend(v)
        elif p.kind is _VAR_KEYWORD:
            settings.update(v)
        elif i <= last and p.kind is not _KEYWORD_ONLY:
            operands.append(v)
        else:
            settings[p.name] = v
    return fn(*operands, **settings)


def array_function(self: TensorBase, func: Callable, types: tuple, args: tuple,
                   kwargs: dict) -> Any:
    """``Tensor.__array_function__``: a numpy function with a Tensor among its arguments."""
    if not all(issubclass(t, (TensorBase, np.ndarray)) for t in types):
        return NotImplemented
    if kwargs.get("out") is not None:
        raise _in_place(func)
    fn = FUNCTIONS.get(func)
    if fn is not None:
        return _call(func, fn, args, {k: v for k, v in kwargs.items() if k != "out"})
    if func in _READ_ONLY:
        return func(*_data(args), **{k: _data(v) for k, v in kwargs.items()})
    raise _unsupported(func)


def array(self: TensorBase, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
    """``Tensor.__array__``: the data (``np.asarray(t)``), converted or copied on request;
    read-only, like ``.data``, while a graph that has not been backpropagated holds it."""
    data = self._data
    if dtype is not None and data.dtype != np.dtype(dtype):
        return data.astype(dtype)
    return data.copy() if copy else self.data
