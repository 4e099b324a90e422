"""Shapes: operations that move values without changing them.

Three primitives do the work — ``reshape``, ``transpose`` and ``broadcast_to`` — and the rest
of numpy's and PyTorch's shape vocabulary is each of them with a computed setting:

* new shape: ``reshape``, ``squeeze``, ``expand_dims`` / ``unsqueeze``, ``flatten``, ``ravel``
  (and the method ``t.view``);
* axes permuted: ``transpose``, ``swapaxes``, ``moveaxis``, ``permute`` (and ``mT``);
* broadcast: ``broadcast_to`` (numpy) and ``expand`` (PyTorch: -1 keeps a size).

The public functions take their settings positionally, as numpy does (``reshape(x, (2, 3))``),
check them, and call the primitive with keyword settings (primitives take their settings as
keywords, their operands positionally).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..broadcasting import broadcast_to as _broadcast_to
from ..broadcasting import sum_to
from ..primitive import def_linear, defvjp, primitive
from ..tensor_base import TensorBase

__all__ = ["broadcast_to", "expand", "expand_dims", "flatten", "mT", "moveaxis",
           "normalize_axes", "normalize_axis", "permute", "ravel", "reshape", "shape_of",
           "squeeze", "sum_to", "swapaxes", "transpose", "unsqueeze"]


def shape_of(x: Any) -> tuple:
    """The shape of a Tensor, an array or a number."""
    return x.shape if isinstance(x, (TensorBase, np.ndarray)) else np.shape(x)


def normalize_axis(op: str, axis: Any, shape: tuple, extra: int = 0) -> int:
    """``axis`` as an index in ``0 .. len(shape) + extra - 1`` (negative counts from the end),
    or a ValueError naming the operation and the shape."""
    n = len(shape) + extra
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{op}: an axis must be an int, not {type(axis).__name__}")
    if not -n <= axis < n:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {shape} "
                         f"(valid: {-n} to {n - 1})")
    return int(axis) % n


def normalize_axes(op: str, axes: Any, shape: tuple, extra: int = 0) -> tuple[int, ...]:
    """One axis or a sequence of distinct axes, normalized."""
    seq = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
    out = tuple(normalize_axis(op, a, shape, extra) for a in seq)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axes} for a tensor of shape {shape}")
    return out


# ---- the primitives ---------------------------------------------------------------------------


@primitive("reshape")
def _reshape(x, shape):
    """x with a new shape (a view when possible); ``-1`` infers one dimension."""
    return np.reshape(x, shape)


defvjp(_reshape, lambda g, ans, x, shape: _reshape(g, shape=x.shape))
def_linear(_reshape)


@primitive("transpose")
def _transpose(x, axes=None):
    """x with its axes permuted (reversed when ``axes`` is None)."""
    return np.transpose(x, axes)


def _inverse_axes(axes):
    return None if axes is None else tuple(np.argsort([a % len(axes) for a in axes]))


defvjp(_transpose, lambda g, ans, x, axes=None: _transpose(g, axes=_inverse_axes(axes)))
def_linear(_transpose)


# ---- new shapes -------------------------------------------------------------------------------


def reshape(x: Any, shape: Any) -> Any:
    """x (n values) with a new shape of n values; one ``-1`` infers that dimension."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _reshape(x, shape=shape)


def squeeze(x: Any, axis: Any = None) -> Any:
    """x without its axes of length 1 (only those in ``axis`` when given; each must have
    length 1, as in numpy — PyTorch would silently keep a longer one)."""
    shape = shape_of(x)
    if axis is None:
        return _reshape(x, shape=tuple(n for n in shape if n != 1))
    axes = normalize_axes("squeeze", axis, shape)
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of a tensor of shape {shape} has length "
                             f"{shape[a]}; only axes of length 1 can be removed")
    return _reshape(x, shape=tuple(n for i, n in enumerate(shape) if i not in axes))


def expand_dims(x: Any, axis: Any) -> Any:
    """x with new axes of length 1 at the positions ``axis`` (int or tuple) of the result."""
    shape = shape_of(x)
    seq = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = normalize_axes("expand_dims", seq, shape, extra=len(seq))
    it = iter(shape)
    return _reshape(x, shape=tuple(1 if i in axes else next(it)
                                   for i in range(len(shape) + len(axes))))


def unsqueeze(x: Any, dim: int) -> Any:
    """PyTorch's name for ``expand_dims`` with one axis: a new axis of length 1 at ``dim``."""
    return expand_dims(x, dim)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """x with the axes ``start_dim .. end_dim`` merged into one (all of them by default: a
    vector), as PyTorch's ``flatten``. A 0-d tensor becomes a 1-vector."""
    shape = shape_of(x)
    if not shape:
        return _reshape(x, shape=(1,))
    s, e = normalize_axis("flatten", start_dim, shape), normalize_axis("flatten", end_dim, shape)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                         f"tensor of shape {shape}")
    return _reshape(x, shape=shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])


def ravel(x: Any) -> Any:
    """x as a vector, in row-major order."""
    return _reshape(x, shape=(-1,))


# ---- permuted axes ----------------------------------------------------------------------------


def transpose(x: Any, axes: Any = None) -> Any:
    """x with its axes permuted: result axis i is axis ``axes[i]`` of x (reversed when None)."""
    if axes is None:
        return _transpose(x)
    shape = shape_of(x)
    perm = normalize_axes("transpose", axes, shape)
    if len(perm) != len(shape):
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                         f"{len(shape)} axes of a tensor of shape {shape}")
    return _transpose(x, axes=perm)


def permute(x: Any, *dims: Any) -> Any:
    """PyTorch's name for ``transpose`` with a permutation: ``permute(x, 2, 0, 1)``."""
    return transpose(x, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list))
                     else dims)


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """x with axes ``axis1`` and ``axis2`` exchanged (PyTorch's ``transpose(d0, d1)``)."""
    shape = shape_of(x)
    perm = list(range(len(shape)))
    a, b = normalize_axis("swapaxes", axis1, shape), normalize_axis("swapaxes", axis2, shape)
    perm[a], perm[b] = perm[b], perm[a]
    return _transpose(x, axes=tuple(perm))


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """x with the axes ``source`` moved to the positions ``destination`` (ints or sequences of
    one length), the other axes keeping their order."""
    shape = shape_of(x)
    src = normalize_axes("moveaxis", source, shape)
    dst = normalize_axes("moveaxis", destination, shape)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: {len(src)} source axes but {len(dst)} destinations")
    rest = iter(a for a in range(len(shape)) if a not in src)
    where = dict(zip(dst, src, strict=True))
    return _transpose(x, axes=tuple(where[i] if i in where else next(rest)
                                    for i in range(len(shape))))


def mT(x):
    """x with its last two axes swapped (a batch of matrices transposed)."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return _transpose(x, axes=tuple(axes))


# ---- broadcasting -----------------------------------------------------------------------------


def broadcast_to(x: Any, shape: Any) -> Any:
    """x repeated along new leading axes and along its axes of length 1 to ``shape`` (numpy
    broadcasting). The gradient is summed back over them."""
    return _broadcast_to(x, shape=(shape,) if isinstance(shape, (int, np.integer)) else
                         tuple(shape))


def expand(x: Any, *sizes: Any) -> Any:
    """PyTorch's ``expand``: ``broadcast_to`` where a size of -1 keeps that axis's size."""
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    have = shape_of(x)
    lead = len(sizes) - len(have)
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor of shape {have}; "
                         "give at least one per axis")
    return broadcast_to(x, tuple(have[i - lead] if n == -1 and i >= lead else n
                                 for i, n in enumerate(sizes)))
