"""Every primitive operation: its forward computation, its reverse rule and its forward rule.

For each primitive ``f`` there is one line per argument of each kind:

* ``defvjp(f, rule_x, rule_y)``: ``rule(g, ans, x, y, **params)`` is the vector-Jacobian
  product ``g · ∂ans/∂x`` — the gradient of the final scalar with respect to ``x`` given its
  gradient ``g`` with respect to the result ``ans``;
* ``defjvp(f, rule_x, rule_y)``: ``rule(t, ans, x, y, **params)`` is the Jacobian-vector
  product ``∂ans/∂x · t`` — the change of the result caused by a change ``t`` of ``x``.

Rules are written with operators and with these same primitives, so they run on plain
ndarrays (ordinary backward) and on Tensors (``create_graph=True``, higher derivatives). They
may return a result of a broadcast shape: the engine sums it back to the argument's shape with
``sum_to``, the one place where broadcasting is undone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .autodiff import defjvp, defjvp_argnum, defvjp, defvjp_argnum, primitive

# ---- arithmetic ------------------------------------------------------------------------------

add = primitive("add")(np.add)
defvjp(add, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
defjvp(add, lambda t, ans, x, y: t, lambda t, ans, x, y: t)

subtract = primitive("sub")(np.subtract)
defvjp(subtract, lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
defjvp(subtract, lambda t, ans, x, y: t, lambda t, ans, x, y: -t)

multiply = primitive("mul")(np.multiply)
defvjp(multiply, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
defjvp(multiply, lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)

divide = primitive("div")(np.true_divide)
defvjp(divide, lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y)
defjvp(divide, lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * ans / y)

power = primitive("pow")(np.power)
is_zero = primitive("is_zero", differentiable=False)(lambda x: np.equal(x, 0))


def _log_base(x):
    """log x, but 0 where x = 0: there xʸ is flat in y (0ʸ = 0 for y > 0), so d(xʸ)/dy = 0."""
    return log(x + is_zero(x))


defvjp(power, lambda g, ans, x, y: g * y * x ** (y - 1),
       lambda g, ans, x, y: g * ans * _log_base(x))
defjvp(power, lambda t, ans, x, y: t * y * x ** (y - 1),
       lambda t, ans, x, y: t * ans * _log_base(x))

negative = primitive("neg")(np.negative)
defvjp(negative, lambda g, ans, x: -g)
defjvp(negative, lambda t, ans, x: -t)

# ---- elementwise functions -------------------------------------------------------------------

exp = primitive("exp")(np.exp)
defvjp(exp, lambda g, ans, x: g * ans)
defjvp(exp, lambda t, ans, x: t * ans)

log = primitive("log")(np.log)
defvjp(log, lambda g, ans, x: g / x)
defjvp(log, lambda t, ans, x: t / x)

sqrt = primitive("sqrt")(np.sqrt)
defvjp(sqrt, lambda g, ans, x: g * 0.5 / ans)
defjvp(sqrt, lambda t, ans, x: t * 0.5 / ans)

sign = primitive("sign", differentiable=False)(np.sign)
positive_mask = primitive("positive_mask", differentiable=False)(lambda x: x > 0)

absolute = primitive("abs")(np.abs)
defvjp(absolute, lambda g, ans, x: g * sign(x))
defjvp(absolute, lambda t, ans, x: t * sign(x))


@primitive("sigmoid")
def sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ). Where e⁻ˣ overflows to inf the result is exactly 0, its true
    limit, so the overflow is expected and not reported."""
    e = np.negative(x)
    if type(e) is not np.ndarray or e.dtype.kind != "f":  # 0-d results are numpy scalars
        e = np.array(e, dtype=np.result_type(e, np.float32))
    with np.errstate(over="ignore", under="ignore"):
        np.exp(e, out=e)
    e += 1.0
    return np.reciprocal(e, out=e)


defvjp(sigmoid, lambda g, ans, x: g * ans * (1 - ans))  # σ′(x) = σ(x)(1 − σ(x))
defjvp(sigmoid, lambda t, ans, x: t * ans * (1 - ans))

tanh = primitive("tanh")(np.tanh)
defvjp(tanh, lambda g, ans, x: g * (1 - ans * ans))
defjvp(tanh, lambda t, ans, x: t * (1 - ans * ans))

relu = primitive("relu")(lambda x: np.maximum(x, 0))
defvjp(relu, lambda g, ans, x: g * positive_mask(x))
defjvp(relu, lambda t, ans, x: t * positive_mask(x))


@primitive("cast")
def cast(x, dtype):
    """x converted to ``dtype``."""
    return x.astype(dtype)


defvjp(cast, lambda g, ans, x, dtype: cast(g, dtype=x.dtype))
defjvp(cast, lambda t, ans, x, dtype: cast(t, dtype=dtype))

# ---- shapes: reshape, transpose, broadcasting ------------------------------------------------


@primitive("reshape")
def reshape(x, shape):
    """x with a new shape (a view when possible); ``-1`` infers one dimension."""
    return np.reshape(x, shape)


defvjp(reshape, lambda g, ans, x, shape: reshape(g, shape=x.shape))
defjvp(reshape, lambda t, ans, x, shape: reshape(t, shape=shape))


@primitive("transpose")
def transpose(x, axes=None):
    """x with its axes permuted (reversed when ``axes`` is None)."""
    return np.transpose(x, axes)


def _inverse_axes(axes):
    return None if axes is None else tuple(np.argsort([a % len(axes) for a in axes]))


defvjp(transpose, lambda g, ans, x, axes=None: transpose(g, axes=_inverse_axes(axes)))
defjvp(transpose, lambda t, ans, x, axes=None: transpose(t, axes=axes))


@primitive("broadcast_to")
def broadcast_to(x, shape):
    """x repeated along new or length-1 axes to ``shape`` (numpy broadcasting), as a new array."""
    out = np.empty(shape, dtype=np.result_type(x))
    out[...] = x
    return out


@primitive("sum_to")
def sum_to(x, shape):
    """The reverse of broadcasting: sum x over the axes along which ``shape`` was broadcast
    to x's shape (leading axes, and axes of length 1 in ``shape``)."""
    lead = x.ndim - len(shape)
    if lead == 1 and x.shape[1:] == shape:  # the usual case: the gradient of a batch of rows
        return np.add.reduce(x, axis=0)
    if lead:
        x = x.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and x.shape[i] != 1)
    return x.sum(axis=axes, keepdims=True) if axes else x


defvjp(broadcast_to, lambda g, ans, x, shape: sum_to(g, shape=x.shape))
defjvp(broadcast_to, lambda t, ans, x, shape: broadcast_to(t, shape=shape))
defvjp(sum_to, lambda g, ans, x, shape: broadcast_to(g, shape=x.shape))
defjvp(sum_to, lambda t, ans, x, shape: sum_to(t, shape=shape))

# ---- reductions --------------------------------------------------------------------------------


def _unreduce(g, shape, axis, keepdims):
    """Broadcast g, the result of reducing an array of ``shape`` over ``axis``, back to it."""
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        kept = list(g.shape)
        for a in sorted(a % len(shape) for a in axes):
            kept.insert(a, 1)
        g = reshape(g, shape=tuple(kept))
    return broadcast_to(g, shape=shape)


@primitive("sum")
def sum(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    """Σ x over ``axis`` (all axes when None)."""
    return np.sum(x, axis=axis, keepdims=keepdims)


defvjp(sum, lambda g, ans, x, axis=None, keepdims=False: _unreduce(g, x.shape, axis, keepdims))
defjvp(sum, lambda t, ans, x, axis=None, keepdims=False: sum(t, axis=axis, keepdims=keepdims))


@primitive("mean")
def mean(x, axis=None, keepdims=False):
    """The mean of x over ``axis`` (all axes when None)."""
    return np.mean(x, axis=axis, keepdims=keepdims)


def _count(x, ans):
    return x.size // (ans.size or 1)


defvjp(mean, lambda g, ans, x, axis=None, keepdims=False:
       _unreduce(g, x.shape, axis, keepdims) / _count(x, ans))
defjvp(mean, lambda t, ans, x, axis=None, keepdims=False: mean(t, axis=axis, keepdims=keepdims))


@primitive("max")
def max(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    """The largest element of x over ``axis``. Its gradient is shared equally between ties."""
    return np.max(x, axis=axis, keepdims=keepdims)


@primitive("argmax_share", differentiable=False)
def argmax_share(x, ans, axis=None, keepdims=False):
    """1/k where x equals its maximum over ``axis`` (k = number of ties), 0 elsewhere."""
    if axis is not None and not keepdims:
        ans = np.expand_dims(ans, axis)
    hit = (x == ans).astype(x.dtype)
    return hit / hit.sum(axis=axis, keepdims=True)


defvjp(max, lambda g, ans, x, axis=None, keepdims=False:
       _unreduce(g, x.shape, axis, keepdims) * argmax_share(x, ans, axis=axis, keepdims=keepdims))
defjvp(max, lambda t, ans, x, axis=None, keepdims=False:
       sum(t * argmax_share(x, ans, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims))


@primitive("logsumexp")
def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) over ``axis``, shifted by the maximum so that exp never overflows."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log 0 = -inf is the right answer for all -inf
        r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims or axis is None and r.ndim == 0 else np.squeeze(r, axis=axis)


def _softmax_of(x, ans, axis, keepdims):
    return exp(x - _unreduce(ans, x.shape, axis, keepdims))


defvjp(logsumexp, lambda g, ans, x, axis=None, keepdims=False:
       _unreduce(g, x.shape, axis, keepdims) * _softmax_of(x, ans, axis, keepdims))
defjvp(logsumexp, lambda t, ans, x, axis=None, keepdims=False:
       sum(t * _softmax_of(x, ans, axis, keepdims), axis=axis, keepdims=keepdims))


@primitive("softmax")
def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis``, computed from x − max(x)."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


defvjp(softmax, lambda g, ans, x, axis=-1: ans * (g - sum(g * ans, axis=axis, keepdims=True)))
defjvp(softmax, lambda t, ans, x, axis=-1: ans * (t - sum(t * ans, axis=axis, keepdims=True)))


@primitive("log_softmax")
def log_softmax(x, axis=-1):
    """x − logsumexp(x) along ``axis``."""
    return x - logsumexp(x, axis=axis, keepdims=True)


defvjp(log_softmax, lambda g, ans, x, axis=-1: g - exp(ans) * sum(g, axis=axis, keepdims=True))
defjvp(log_softmax, lambda t, ans, x, axis=-1: t - sum(exp(ans) * t, axis=axis, keepdims=True))

# ---- matrix product ----------------------------------------------------------------------------


def _mT(x):
    """Swap the last two axes."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return transpose(x, axes=tuple(axes))


def _col(x):
    return reshape(x, shape=x.shape + (1,))


def _row(x):
    return reshape(x, shape=x.shape[:-1] + (1,) + x.shape[-1:])


matmul = primitive("matmul")(np.matmul)


def _matmul_vjp_a(g, ans, a, b):
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)   [a vector when a is one too]
        return _col(g) * b if a.ndim > 1 else g * b
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        return reshape(matmul(b, _col(g)), shape=g.shape[:-1] + (b.shape[-2],))
    return matmul(g, _mT(b))


def _matmul_vjp_b(g, ans, a, b):
    if a.ndim == 1:  # (k,) @ (..., k, m): the outer product a gᵀ
        return g * a if b.ndim == 1 else _col(a) * _row(g)
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        return reshape(matmul(_mT(a), _col(g)), shape=a.shape[:-2] + a.shape[-1:])
    return matmul(_mT(a), g)


defvjp(matmul, _matmul_vjp_a, _matmul_vjp_b)
defjvp(matmul, lambda t, ans, a, b: matmul(t, b), lambda t, ans, a, b: matmul(a, t))

# ---- indexing, joining -------------------------------------------------------------------------


def _is_basic(index):
    """True when ``x[index]`` picks every element at most once (ints, slices, None, ...)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
               for i in items)


@primitive("getitem")
def getitem(x, index):
    """x[index]: basic or integer-array indexing, as in numpy."""
    return x[index]


@primitive("scatter_add")
def scatter_add(g, shape, index):
    """A zero array of ``shape`` with g added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


defvjp(getitem, lambda g, ans, x, index: scatter_add(g, shape=x.shape, index=index))
defjvp(getitem, lambda t, ans, x, index: getitem(t, index=index))
defvjp(scatter_add, lambda g, ans, x, shape, index: getitem(g, index=index))
defjvp(scatter_add, lambda t, ans, x, shape, index: scatter_add(t, shape=shape, index=index))


def _slab(xs, argnum, axis, ndim):
    """The index of argument ``argnum``'s part of the concatenation of xs along ``axis``."""
    axis = axis % ndim
    start = int(np.sum([x.shape[axis] for x in xs[:argnum]], dtype=int))
    return (slice(None),) * axis + (slice(start, start + xs[argnum].shape[axis]),)


@primitive("concatenate")
def _concatenate(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


defvjp_argnum(_concatenate, lambda i, g, ans, *xs, axis=0:
              getitem(g, index=_slab(xs, i, axis, ans.ndim)))
defjvp_argnum(_concatenate, lambda i, t, ans, *xs, axis=0:
              scatter_add(t, shape=ans.shape, index=_slab(xs, i, axis, ans.ndim)))


@primitive("stack")
def _stack(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _layer(i, axis, ndim):
    return (slice(None),) * (axis % ndim) + (i,)


defvjp_argnum(_stack, lambda i, g, ans, *xs, axis=0: getitem(g, index=_layer(i, axis, ans.ndim)))
defjvp_argnum(_stack, lambda i, t, ans, *xs, axis=0:
              scatter_add(t, shape=ans.shape, index=_layer(i, axis, ans.ndim)))


def concatenate(tensors: Sequence[Any], axis: int = 0):
    """Join tensors along an existing axis (like ``np.concatenate``)."""
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor")
    if axis is None:  # numpy's meaning: flatten, then join
        tensors, axis = [reshape(t, shape=(-1,)) for t in tensors], 0
    return _concatenate(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0):
    """Join tensors of one shape along a new axis (like ``np.stack``)."""
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    return _stack(*tensors, axis=axis)


# ---- fused primitives for dense networks -------------------------------------------------------
# One formula each, so one node each: fewer Python steps per training step.


@primitive("affine")
def affine(x, w, b):
    """z = x Wᵀ + b for a batch of rows x (N, n_in), W (n_out, n_in), b (n_out,) -> (N, n_out).
    (For one example, x (n_in,) gives z = W x + b.)"""
    z = np.matmul(x, w.T)
    z += b
    return z


def _affine_vjp_w(g, ans, x, w, b):
    if x.ndim == 1:
        return _col(g) * x  # δ xᵀ
    if x.ndim > 2:  # a stack of batches: one batch of rows
        g, x = reshape(g, shape=(-1, g.shape[-1])), reshape(x, shape=(-1, x.shape[-1]))
    return g.T @ x  # Σₙ δₙ xₙᵀ


defvjp(affine, lambda g, ans, x, w, b: matmul(g, w), _affine_vjp_w, lambda g, ans, x, w, b: g)
defjvp(affine, lambda t, ans, x, w, b: matmul(t, _mT(w)),
       lambda t, ans, x, w, b: matmul(x, _mT(t)), lambda t, ans, x, w, b: t)


def _batch(a):
    return a.shape[0] if a.ndim > 1 else 1


def _same_shape(name, a, y):
    if np.shape(a) != np.shape(y):
        raise ValueError(f"{name}: the output has shape {np.shape(a)} but the targets have shape "
                         f"{np.shape(y)}; they must be equal")


@primitive("quadratic_cost")
def quadratic_cost(a, y):
    """J = (1/N) Σₙ ½‖aₙ − yₙ‖² for a batch of N rows (one example when a is a vector)."""
    _same_shape("quadratic_cost", a, y)
    d = a - y
    return np.asarray(0.5 * np.vdot(d, d) / _batch(a))


defvjp(quadratic_cost, lambda g, ans, a, y: g * (a - y) / _batch(a),
       lambda g, ans, a, y: g * (y - a) / _batch(a))
defjvp(quadratic_cost, lambda t, ans, a, y: sum(t * (a - y)) / _batch(a),
       lambda t, ans, a, y: sum(t * (y - a)) / _batch(a))


@primitive("bce_with_logits")
def bce_with_logits(z, y):
    """Binary cross-entropy of a = σ(z) against y, from the logits z:
    J = (1/N) Σₙ Σⱼ −[y ln a + (1−y) ln(1−a)] = (1/N) Σ [softplus(z) − y z]  (never log 0)."""
    _same_shape("bce_with_logits", z, y)
    return np.asarray((np.sum(np.logaddexp(0, z)) - np.vdot(y, z)) / _batch(z))


defvjp(bce_with_logits, lambda g, ans, z, y: g * (sigmoid(z) - y) / _batch(z),
       lambda g, ans, z, y: -g * z / _batch(z))
defjvp(bce_with_logits, lambda t, ans, z, y: sum(t * (sigmoid(z) - y)) / _batch(z),
       lambda t, ans, z, y: -sum(t * z) / _batch(z))


@primitive("softmax_cross_entropy")
def softmax_cross_entropy(z, y):
    """Log-likelihood cost of softmax(z) against target distributions y (one-hot rows):
    J = −(1/N) Σₙ Σⱼ yⱼ ln softmax(z)ⱼ, from the logits z (never log 0)."""
    _same_shape("softmax_cross_entropy", z, y)
    return np.asarray(-np.vdot(y, log_softmax(z, axis=-1)) / _batch(z))


defvjp(softmax_cross_entropy,
       lambda g, ans, z, y: g * (softmax(z) * sum(y, axis=-1, keepdims=True) - y) / _batch(z),
       lambda g, ans, z, y: -g * log_softmax(z) / _batch(z))
defjvp(softmax_cross_entropy,
       lambda t, ans, z, y: sum(t * (softmax(z) * sum(y, axis=-1, keepdims=True) - y)) / _batch(z),
       lambda t, ans, z, y: -sum(t * log_softmax(z)) / _batch(z))

