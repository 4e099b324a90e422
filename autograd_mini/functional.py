"""Derivatives of whole functions: ``jvp``, ``vjp``, ``jacobian``, ``hessian`` (and ``hvp``).

Everything here is built on the two sweeps the engine already has:

* **forward mode** (``jvp``): the inputs carry a tangent ``v`` and, inside
  ``forward_mode()``, every primitive pushes the tangents of its inputs forward with
  its jvp rule (dual numbers, one operation at a time). One sweep gives ``J·v``: the change of
  *every output* caused by a change of the inputs in *one direction* — one column of the
  Jacobian per sweep when ``v`` is a unit vector.
* **reverse mode** (``vjp``): one recorded forward pass, then one backward sweep per vector
  ``u`` gives ``uᵀJ``: the gradient of *one output* (or one combination of outputs) with
  respect to *every input* — one row of the Jacobian per sweep.

So for ``f: ℝⁿ → ℝ`` forward mode needs n sweeps to get the gradient and reverse mode one
(after the forward pass that records the graph). ``count_ops`` (re-exported here) counts the
primitive operations either way costs: ``forward`` values, ``tangent`` (jvp) rule applications
and ``adjoint`` (vjp) rule applications.

Conventions (as in ``torch.autograd.functional`` / ``torch.func``):

* ``f`` takes Tensors, one per primal, and returns one Tensor.
* ``primals`` is one array-like (a Tensor, an ndarray, a number or a nested list) or a *tuple*
  of them for a function of several arguments. A list is one array, not several primals. Only
  the values are used: the Tensors given to ``f`` are fresh leaves, with no graph back to the
  caller's Tensors. Integer data is converted to float64.
* ``tangents`` has the same structure as ``primals``, each of the same shape as its primal.
* Results are Tensors; when ``primals`` is a tuple, per-primal results are tuples too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .counting import OpCounter, count_ops
from .grad_mode import enable_grad, no_grad
from .sweep import grad
from .tangents import forward_mode
from .tensor import Tensor

__all__ = ["OpCounter", "count_ops", "hessian", "hvp", "jacobian", "jvp", "vjp"]

Primals = Any  # an array-like, or a tuple of array-likes (one per argument of f)


# --------------------------------------------------------------------------------------------
# Helpers: normalising arguments, calling f, error messages
# --------------------------------------------------------------------------------------------


def _name(f: Callable) -> str:
    return getattr(f, "__name__", None) or repr(f)


def _as_array(x: Any, what: str) -> np.ndarray:
    """The float ndarray behind an array-like (a Tensor's data is used without a copy)."""
    data = x._data if isinstance(x, Tensor) else x
    try:
        data = np.asarray(data)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what}: cannot make a numeric array from {type(x).__name__}: {err}") \
            from None
    if data.dtype.kind not in "fiub":
        raise TypeError(f"{what}: data of dtype {data.dtype} is not numeric")
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    return data


def _unpack(primals: Primals, fn: str) -> tuple[list[np.ndarray], bool]:
    """``(arrays, is_tuple)``: the primals as a list of float arrays."""
    if isinstance(primals, tuple):
        if not primals:
            raise ValueError(f"{fn}: primals is an empty tuple; f needs at least one argument")
        return [_as_array(p, f"{fn}: primal {i}") for i, p in enumerate(primals)], True
    return [_as_array(primals, f"{fn}: primal")], False


def _tangent_arrays(tangents: Any, xs: list[np.ndarray], is_tuple: bool) -> list[np.ndarray]:
    """The tangents as arrays of the primals' shapes and dtypes, or a clear error."""
    if is_tuple:
        if not isinstance(tangents, tuple) or len(tangents) != len(xs):
            got = f"a tuple of {len(tangents)}" if isinstance(tangents, tuple) else \
                type(tangents).__name__
            raise ValueError(
                f"jvp: primals is a tuple of {len(xs)}, so tangents must be a tuple of {len(xs)} "
                f"arrays (one per primal, of the same shapes); got {got}"
            )
        ts = [_as_array(t, f"jvp: tangent {i}") for i, t in enumerate(tangents)]
        labels = [f" {i}" for i in range(len(xs))]
    else:
        if isinstance(tangents, tuple):
            raise ValueError(
                f"jvp: primals is a single array of shape {xs[0].shape}, so tangents must be one "
                f"array of that shape, not a tuple of {len(tangents)}"
            )
        ts = [_as_array(tangents, "jvp: tangent")]
        labels = [""]
    out = []
    for t, x, label in zip(ts, xs, labels, strict=True):
        if t.shape != x.shape:
            raise ValueError(
                f"jvp: tangent{label} has shape {t.shape} but primal{label} has shape {x.shape}; "
                "each tangent must have exactly the shape of its primal"
            )
        out.append(t.astype(x.dtype, copy=False))
    return out


def _call(f: Callable, inputs: list[Tensor], fn: str) -> Tensor:
    out = f(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(
            f"{fn}: the function {_name(f)} must return a Tensor, but it returned "
            f"{type(out).__name__} (for several outputs, stack them into one Tensor)"
        )
    return out


def _pack(results: list[Tensor], is_tuple: bool) -> Tensor | tuple[Tensor, ...]:
    return tuple(results) if is_tuple else results[0]


def _unit(shape: tuple[int, ...], k: int, dtype: Any) -> np.ndarray:
    """The k-th unit array (one 1 at flat position k) of ``shape``."""
    e = np.zeros(shape, dtype=dtype)
    e.flat[k] = 1
    return e


# --------------------------------------------------------------------------------------------
# Forward mode
# --------------------------------------------------------------------------------------------


def _jvp(
    f: Callable, xs: list[np.ndarray], ts: list[np.ndarray | None], fn: str
) -> tuple[np.ndarray, np.ndarray]:
    """One forward-mode sweep: ``(f(x), J·t)`` as arrays. A tangent None means "no tangent"
    (the same as zeros, but nothing is pushed for that input)."""
    inputs = []
    for x, t in zip(xs, ts, strict=True):
        leaf = Tensor._wrap(x)
        leaf.tangent = t
        inputs.append(leaf)
    with no_grad(), forward_mode():  # tangents only: no graph is needed
        out = _call(f, inputs, fn)
    tangent = out.tangent
    if tangent is None:  # the output does not depend on the inputs: J·v = 0
        tangent = np.zeros(out.shape, dtype=out.dtype)
    else:
        tangent = np.array(np.broadcast_to(tangent, out.shape))
    return out._data, tangent


def jvp(f: Callable, primals: Primals, tangents: Any) -> tuple[Tensor, Tensor | Any]:
    """``(f(x), J·v)`` by one forward-mode sweep (tangent propagation).

    ``primals`` x: one array-like of shape S (or a tuple of them, shapes S₁, S₂, ...);
    ``tangents`` v: the same structure and shapes. Returns ``f(x)`` and
    ``J·v = Σᵢ ∂f/∂xᵢ · vᵢ``, both Tensors of f's output shape. f is evaluated once; no graph is
    recorded (the tangents are plain arrays carried alongside the values).

    >>> jvp(lambda x: (x * x).sum(), np.array([1.0, 2.0]), np.array([1.0, 0.0]))[1]
    Tensor(2.)
    """
    xs, is_tuple = _unpack(primals, "jvp")
    ts = _tangent_arrays(tangents, xs, is_tuple)
    value, tangent = _jvp(f, xs, list(ts), "jvp")
    return Tensor._wrap(value), Tensor._wrap(tangent)


# --------------------------------------------------------------------------------------------
# Reverse mode
# --------------------------------------------------------------------------------------------


def vjp(f: Callable, primals: Primals) -> tuple[Tensor, Callable[[Any], Tensor | tuple]]:
    """``(f(x), vjp_fn)``: f evaluated once with its graph recorded, and ``vjp_fn(u) = uᵀJ``.

    ``u`` is an array-like of f's output shape (a number when the output has one element);
    ``vjp_fn(u)`` runs one reverse sweep over the recorded graph and returns ``uᵀJ`` — a Tensor
    of the primal's shape, or a tuple of them when ``primals`` is a tuple. The graph is kept, so
    ``vjp_fn`` may be called any number of times (one sweep each).
    """
    xs, is_tuple = _unpack(primals, "vjp")
    inputs = [Tensor(x, requires_grad=True) for x in xs]
    with enable_grad():
        out = _call(f, inputs, "vjp")

    def vjp_fn(u: Any) -> Tensor | tuple[Tensor, ...]:
        u = _as_array(u, "vjp_fn: u")
        if u.shape != out.shape:
            if u.size != 1 or out.size != 1:
                raise ValueError(
                    f"vjp_fn: u has shape {u.shape} but the output of {_name(f)} has shape "
                    f"{out.shape}; u must have the output's shape"
                )
            u = u.reshape(out.shape)
        if not out.requires_grad:  # the output does not depend on the inputs
            return _pack([Tensor._wrap(np.zeros_like(x)) for x in xs], is_tuple)
        grads = grad(out, inputs, grad_outputs=u.astype(out.dtype, copy=False),
                     retain_graph=True, allow_unused=True)
        return _pack([Tensor._wrap(np.zeros_like(x)) if g is None else g
                      for g, x in zip(grads, xs, strict=True)], is_tuple)

    return Tensor._wrap(out._data), vjp_fn


# --------------------------------------------------------------------------------------------
# Jacobians
# --------------------------------------------------------------------------------------------


def jacobian(
    f: Callable, primals: Primals, mode: Literal["reverse", "forward"] = "reverse"
) -> Tensor | tuple[Tensor, ...]:
    """The Jacobian of f at ``primals``: shape ``out.shape + x.shape`` (one per primal when
    ``primals`` is a tuple), ``J[o..., i...] = ∂ out[o...] / ∂ x[i...]``.

    * ``mode="reverse"``: one recorded forward pass, then one reverse sweep per output element
      (a row each): cheap when there are few outputs — one sweep for a scalar function.
    * ``mode="forward"``: one forward-mode sweep per input element (a column each, with a unit
      tangent): cheap when there are few inputs.
    """
    xs, is_tuple = _unpack(primals, "jacobian")
    if mode == "reverse":
        value, vjp_fn = vjp(f, tuple(xs))
        out_shape = value.shape
        jacs = [np.zeros((value.size, x.size), dtype=np.result_type(x, value._data)) for x in xs]
        for k in range(value.size):  # one reverse sweep per output element
            rows = vjp_fn(_unit(out_shape, k, value.dtype))
            for J, row in zip(jacs, rows, strict=True):
                J[k] = row._data.ravel()
    elif mode == "forward":
        jacs, out_shape = [], None
        for i, x in enumerate(xs):
            cols = []
            for k in range(x.size):  # one forward sweep per input element
                ts: list[np.ndarray | None] = [None] * len(xs)
                ts[i] = _unit(x.shape, k, x.dtype)
                value, tangent = _jvp(f, xs, ts, "jacobian")
                cols.append(tangent.ravel())
            if out_shape is None and cols:
                out_shape = value.shape
            jacs.append(np.stack(cols, axis=1) if cols else None)
        if out_shape is None:  # every primal is empty: evaluate f once for the output shape
            out_shape = _jvp(f, xs, [None] * len(xs), "jacobian")[0].shape
        size = int(np.prod(out_shape))
        jacs = [np.zeros((size, 0), dtype=x.dtype) if J is None else J
                for J, x in zip(jacs, xs, strict=True)]
    else:
        raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', not {mode!r}")
    return _pack([Tensor._wrap(J.reshape(out_shape + x.shape))
                  for J, x in zip(jacs, xs, strict=True)], is_tuple)


# --------------------------------------------------------------------------------------------
# Second derivatives
# --------------------------------------------------------------------------------------------


def _single(primals: Primals, fn: str) -> np.ndarray:
    if isinstance(primals, tuple):
        raise TypeError(
            f"{fn}: takes one primal (an array of any shape), not a tuple of {len(primals)}; "
            "concatenate the arguments into one array and slice it inside f"
        )
    return _as_array(primals, f"{fn}: primal")


def _check_scalar(out: Tensor, f: Callable, fn: str) -> None:
    if out.size != 1:
        raise ValueError(
            f"{fn}: the function {_name(f)} must return a scalar (one element), but its output "
            f"has shape {out.shape}"
        )


def _hvp(f: Callable, x: np.ndarray, v: np.ndarray, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """Forward-over-reverse: ``(∇f(x), H·v)`` from one forward pass carrying the tangent v and
    one recorded reverse pass whose operations carry the tangents on."""
    leaf = Tensor(x, requires_grad=True)
    leaf.tangent = v
    with enable_grad(), forward_mode():
        out = _call(f, [leaf], fn)
        _check_scalar(out, f, fn)
        if not out.requires_grad:
            zero = np.zeros_like(x)
            return zero, zero.copy()
        # create_graph=True runs the reverse rules on Tensors, i.e. through the primitives,
        # which (forward mode being on) push the tangents through the backward pass as well.
        (g,) = grad(out, leaf, create_graph=True, allow_unused=True)
    if g is None:
        zero = np.zeros_like(x)
        return zero, zero.copy()
    hv = np.zeros_like(x) if g.tangent is None else np.array(np.broadcast_to(g.tangent, x.shape))
    return g._data, hv


def hvp(f: Callable, primals: Primals, tangents: Any) -> tuple[Tensor, Tensor]:
    """``(∇f(x), H·v)`` for a scalar f of one array x (any shape S; v of shape S), by
    forward-over-reverse: the reverse sweep is recorded (``create_graph=True``) while forward
    mode is on, so the tangent v is pushed through the forward *and* the backward pass. One
    sweep, whatever the size of x."""
    x = _single(primals, "hvp")
    v = _as_array(tangents, "hvp: tangent")
    if v.shape != x.shape:
        raise ValueError(f"hvp: tangent has shape {v.shape} but primal has shape {x.shape}")
    g, hv = _hvp(f, x, v.astype(x.dtype, copy=False), "hvp")
    return Tensor._wrap(g), Tensor._wrap(hv)


def hessian(
    f: Callable,
    primals: Primals,
    mode: Literal["forward-over-reverse", "reverse-over-reverse"] = "reverse-over-reverse",
) -> Tensor:
    """The Hessian of a scalar f of one array x of shape S: a Tensor of shape ``S + S``,
    ``H[i..., j...] = ∂²f / ∂x[i...] ∂x[j...]``.

    Both ways use the engine's higher-order support (``grad(create_graph=True)`` records the
    backward pass as ordinary operations):

    * ``"reverse-over-reverse"`` (default): record the forward pass and the gradient ∇f once,
      then one reverse sweep over the graph of ∇f per row of H. Cost: one forward and one
      recorded backward pass, then n reverse sweeps.
    * ``"forward-over-reverse"``: one ``hvp`` per column, H eᵢ (tangent eᵢ pushed through the
      forward and the recorded backward pass). Cost: n × (forward + backward, with tangents);
      no graph is kept between columns. The same numbers, computed the other way round.
    """
    x = _single(primals, "hessian")
    n = x.size
    H = np.zeros((n, n), dtype=x.dtype)
    if mode == "forward-over-reverse":
        if n == 0:
            _check_scalar(_call(f, [Tensor(x)], "hessian"), f, "hessian")
        for j in range(n):  # column j = H e_j
            H[:, j] = _hvp(f, x, _unit(x.shape, j, x.dtype), "hessian")[1].ravel()
    elif mode == "reverse-over-reverse":
        leaf = Tensor(x, requires_grad=True)
        with enable_grad():
            out = _call(f, [leaf], "hessian")
            _check_scalar(out, f, "hessian")
            (g,) = grad(out, leaf, create_graph=True, allow_unused=True) \
                if out.requires_grad else (None,)
            if g is not None and g.requires_grad:  # otherwise f is (at most) linear: H = 0
                for i in range(n):  # row i = ∇(∂f/∂x_i) = eᵢᵀ ∂(∇f)/∂x
                    (row,) = grad(g, leaf, grad_outputs=_unit(x.shape, i, g.dtype),
                                  retain_graph=True, allow_unused=True)
                    if row is not None:
                        H[i] = row._data.ravel()
    else:
        raise ValueError(
            "hessian: mode must be 'forward-over-reverse' or 'reverse-over-reverse', "
            f"not {mode!r}"
        )
    return Tensor._wrap(H.reshape(x.shape + x.shape))
