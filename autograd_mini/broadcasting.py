"""Broadcasting and its reverse: ``broadcast_to`` and ``sum_to``.

numpy broadcasts operands of different shapes (``(3,) + (2, 3)`` is ``(2, 3)``); the gradient
of a broadcast operand is the result's gradient summed over the broadcast axes. The backward
sweep applies ``sum_to`` to every gradient whose shape differs from its tensor's — the only
place broadcasting is undone, so no rule deals with it. Both are primitives (each the other's
reverse rule), so the sweep can record them too when ``create_graph=True``.
"""

from __future__ import annotations

import numpy as np

from .primitive import def_linear, defvjp, primitive


@primitive("broadcast_to")
def broadcast_to(x, shape):
    """x repeated along new or length-1 axes to ``shape`` (numpy broadcasting), as a new array."""
    out = np.empty(shape, dtype=x.dtype if hasattr(x, "dtype") else np.result_type(x))
    out[...] = x
    return out


@primitive("sum_to")
def sum_to(x, shape):
    """The reverse of broadcasting: sum x over the axes along which ``shape`` was broadcast
    to x's shape (leading axes, and axes of length 1 in ``shape``)."""
    lead = x.ndim - len(shape)
    if lead == 1 and x.shape[1:] == shape:  # the usual case: the gradient of a batch of rows
        if x.ndim == 2 and x.dtype.char in "fd":
            # 1ᵀ x as a BLAS product: for a few rows, half the time of numpy's reduction.
            # (Both add the rows one after another, so the rounding is alike.)
            return np.dot(ones(x.shape[0], x.dtype), x)
        return np.add.reduce(x, axis=0)
    if lead:
        x = x.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and x.shape[i] != 1)
    return x.sum(axis=axes, keepdims=True) if axes else x


_ONES: dict[tuple, np.ndarray] = {}


def ones(shape: int | tuple, dtype: np.dtype) -> np.ndarray:
    """A read-only array of ones, made once per shape and dtype: the 1 of ``1ᵀx`` above (a batch
    size is reused) and the seed of a scalar output's backward pass."""
    key = (shape, dtype)
    array = _ONES.get(key)
    if array is None:
        if len(_ONES) > 64:  # (shapes seen once — the last batch of an epoch — do not pile up)
            _ONES.clear()
        array = _ONES[key] = np.ones(shape, dtype)
        array.flags.writeable = False
    return array


defvjp(broadcast_to, lambda g, ans, x, shape: sum_to(g, shape=x.shape))
defvjp(sum_to, lambda g, ans, x, shape: broadcast_to(g, shape=x.shape))
def_linear(broadcast_to)
def_linear(sum_to)
