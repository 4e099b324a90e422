"""Derivatives of whole functions: ``jvp``, ``vjp``, ``jacobian``, ``hessian`` (and ``hvp``).

Everything here is built on the two sweeps the engine already has:

* **forward mode** (``jvp``): the inputs carry a tangent ``v`` and every primitive pushes the
  tangents of its inputs forward with its jvp rule (dual numbers, one operation at a time). One
  sweep gives ``J·v``: the change of *every output* caused by a change of the inputs in *one
  direction* — one column of the Jacobian per sweep when ``v`` is a unit vector.
* **reverse mode** (``vjp``): one recorded forward pass, then one backward sweep per vector
  ``u`` gives ``uᵀJ``: the gradient of *one output* (or one combination of outputs) with
  respect to *every input* — one row of the Jacobian per sweep.

So for ``f: ℝⁿ → ℝ`` forward mode needs n sweeps to get the gradient and reverse mode one
(after the forward pass that records the graph). ``count_ops`` (re-exported here) counts the
primitive operations either way costs: ``forward`` values, ``tangent`` (jvp) rule applications
and ``adjoint`` (vjp) rule applications.

Conventions (as in ``torch.autograd.functional`` / ``torch.func``):

* ``f`` takes Tensors, one per primal, and returns a Tensor — or a *tuple* of Tensors for
  several outputs (``jvp``, ``vjp``, ``jacobian``; ``hessian`` and ``hvp`` need one scalar).
* ``primals`` is one array-like (a Tensor, an ndarray, a number or a nested list) or a *tuple*
  of them for a function of several arguments. A list is one array, not several primals.
  Integer data is converted to float64.
* ``tangents`` has the same structure as ``primals``, each of the same shape as its primal.
* Results are Tensors; per-primal (per-output) results are tuples when ``primals`` (the output)
  is a tuple. ``jacobian`` with both is a tuple over outputs of tuples over primals:
  ``J[o][i]`` of shape ``outputs[o].shape + primals[i].shape``; ``hessian`` of several primals
  is ``H[i][j]`` of shape ``primals[i].shape + primals[j].shape``.
* Only the primals' values are used — the Tensors given to f are fresh leaves — except where
  ``jvp`` is composed with another derivative (see ``jvp``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .counting import OpCounter, count_ops
from .grad_mode import enable_grad, no_grad
from .ops import reshape
from .sweep import grad
from .tangents import Level, is_tracked
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


def _tangent_arrays(tangents: Any, xs: list[np.ndarray], is_tuple: bool,
                    fn: str = "jvp") -> list[np.ndarray]:
    """The tangents as arrays of the primals' shapes and dtypes, or a clear error."""
    if is_tuple:
        if not isinstance(tangents, tuple) or len(tangents) != len(xs):
            got = f"a tuple of {len(tangents)}" if isinstance(tangents, tuple) else \
                type(tangents).__name__
            raise ValueError(
                f"{fn}: primals is a tuple of {len(xs)}, so tangents must be a tuple of {len(xs)} "
                f"arrays (one per primal, of the same shapes); got {got}"
            )
        ts = [_as_array(t, f"{fn}: tangent {i}") for i, t in enumerate(tangents)]
        labels = [f" {i}" for i in range(len(xs))]
    else:
        if isinstance(tangents, tuple):
            raise ValueError(
                f"{fn}: primals is a single array of shape {xs[0].shape}, so tangents must be one "
                f"array of that shape, not a tuple of {len(tangents)}"
            )
        ts = [_as_array(tangents, f"{fn}: tangent")]
        labels = [""]
    out = []
    for t, x, label in zip(ts, xs, labels, strict=True):
        if t.shape != x.shape:
            raise ValueError(
                f"{fn}: tangent{label} has shape {t.shape} but primal{label} has shape "
                f"{x.shape}; each tangent must have exactly the shape of its primal"
            )
        out.append(t.astype(x.dtype, copy=False))
    return out


def _outputs(out: Any, f: Callable, fn: str) -> tuple[list[Tensor], bool]:
    """``(outputs, is_tuple)``: what f returned, a Tensor or a tuple of Tensors."""
    outs = list(out) if isinstance(out, tuple) and out else [out]
    if not all(isinstance(o, Tensor) for o in outs):
        bad = next(o for o in outs if not isinstance(o, Tensor))
        raise TypeError(
            f"{fn}: the function {_name(f)} must return a Tensor (or a tuple of Tensors), but "
            f"it returned {type(bad).__name__}"
        )
    return outs, isinstance(out, tuple)


def _scalar(out: Any, f: Callable, fn: str) -> Tensor:
    outs, is_tuple = _outputs(out, f, fn)
    if is_tuple or outs[0].size != 1:
        what = f"a tuple of {len(outs)}" if is_tuple else f"shape {outs[0].shape}"
        raise ValueError(f"{fn}: the function {_name(f)} must return a scalar (one element), "
                         f"but its output has {what}")
    return outs[0]


def _pack(results: list, is_tuple: bool) -> Any:
    return tuple(results) if is_tuple else results[0]


def _pack2(J: list[list[Tensor]], outer: bool, inner: bool) -> Any:
    """J[o][i] as torch.autograd.functional does: a tuple level for each tuple given."""
    return _pack([_pack(row, inner) for row in J], outer)


def _unit(shape: tuple[int, ...], k: int, dtype: Any) -> np.ndarray:
    """The k-th unit array (one 1 at flat position k) of ``shape``."""
    e = np.zeros(shape, dtype=dtype)
    e.flat[k] = 1
    return e


def _connect(p: Any, x: np.ndarray) -> Tensor:
    """The input given to f for the primal ``p`` (with value ``x``): a fresh leaf, unless
    something outside watches ``p`` (``is_tracked``); then p passed through an identity
    operation, which the enclosing levels of forward mode and reverse mode see."""
    if not is_tracked(p):
        return Tensor._wrap(x)
    c = reshape(p, shape=p.shape)
    return c if c.dtype == x.dtype else c.astype(x.dtype)


# --------------------------------------------------------------------------------------------
# Forward mode
# --------------------------------------------------------------------------------------------


def _jvp(
    f: Callable, xs: list[np.ndarray], ts: list[np.ndarray | None], fn: str
) -> tuple[list[np.ndarray], list[np.ndarray], bool]:
    """One forward-mode sweep: ``(f(x), J·t, output is a tuple)`` as arrays. A tangent None
    means "no tangent" (the same as zeros, but nothing is pushed for that input)."""
    inputs = [Tensor._wrap(x) for x in xs]
    with no_grad(), Level() as level:  # tangents only: no graph is needed
        for leaf, t in zip(inputs, ts, strict=True):
            if t is not None:
                level.set_tangent(leaf, t)
        outs, is_tuple = _outputs(f(*inputs), f, fn)
        tangents = [level.tangent_of(o) for o in outs]
    return [o._data for o in outs], [
        np.zeros(o.shape, dtype=o.dtype) if t is None else np.array(np.broadcast_to(t, o.shape))
        for o, t in zip(outs, tangents, strict=True)], is_tuple


def jvp(f: Callable, primals: Primals, tangents: Any) -> tuple[Any, Any]:
    """``(f(x), J·v)`` by one forward-mode sweep (tangent propagation).

    ``primals`` x: one array-like of shape S (or a tuple of them, shapes S₁, S₂, ...);
    ``tangents`` v: the same structure and shapes. Returns ``f(x)`` and
    ``J·v = Σᵢ ∂f/∂xᵢ · vᵢ``, both Tensors of f's output shape (tuples of them when f returns a
    tuple). f is evaluated once; no graph is recorded.

    Each call is a level of forward mode, so calls nest and compose. When a primal (or a
    tangent) is a Tensor watched from outside — it requires grad while recording is on, or an
    enclosing ``jvp`` is running — f receives it connected to the outside, and the tangents are
    computed with primitives on Tensors: the results are then differentiable by the enclosing
    derivative. ``jvp(lambda x: jvp(f, x, v)[1], x0, u)`` is ``uᵀ H v`` for a scalar f, and
    ``grad`` of a ``jvp`` result (reverse-over-forward) works the same way.

    >>> jvp(lambda x: (x * x).sum(), np.array([1.0, 2.0]), np.array([1.0, 0.0]))[1]
    Tensor(2.)
    """
    xs, is_tuple = _unpack(primals, "jvp")
    ts = _tangent_arrays(tangents, xs, is_tuple)
    given = list(primals) + list(tangents) if is_tuple else [primals, tangents]
    if not any(is_tracked(a) for a in given):  # the usual case: values only
        values, jvs, out_tuple = _jvp(f, xs, list(ts), "jvp")
        return (_pack([Tensor._wrap(v) for v in values], out_tuple),
                _pack([Tensor._wrap(t) for t in jvs], out_tuple))
    n = len(xs)
    inputs = [_connect(p, x) for p, x in zip(given[:n], xs, strict=True)]
    directions = [_connect(v, t) for v, t in zip(given[n:], ts, strict=True)]
    with Level(differentiable=True) as level:
        for leaf, d in zip(inputs, directions, strict=True):
            level.set_tangent(leaf, d)
        outs, out_tuple = _outputs(f(*inputs), f, "jvp")
        jvs = [level.tangent_of(o) for o in outs]
    jvs = [Tensor._wrap(np.zeros(o.shape, dtype=o.dtype)) if t is None else t
           for o, t in zip(outs, jvs, strict=True)]
    return _pack(outs, out_tuple), _pack(jvs, out_tuple)


# --------------------------------------------------------------------------------------------
# Reverse mode
# --------------------------------------------------------------------------------------------


def vjp(f: Callable, primals: Primals) -> tuple[Any, Callable[[Any], Any]]:
    """``(f(x), vjp_fn)``: f evaluated once with its graph recorded, and ``vjp_fn(u) = uᵀJ``.

    ``u`` is an array-like of f's output shape (a number when the output has one element; a
    tuple of them when f returns a tuple); ``vjp_fn(u)`` runs one reverse sweep over the
    recorded graph and returns ``uᵀJ`` — a Tensor of the primal's shape, or a tuple of them
    when ``primals`` is a tuple. The graph is kept, so ``vjp_fn`` may be called any number of
    times (one sweep each).
    """
    xs, is_tuple = _unpack(primals, "vjp")
    inputs = [Tensor(x, requires_grad=True) for x in xs]
    with enable_grad():
        outs, out_tuple = _outputs(f(*inputs), f, "vjp")

    def vjp_fn(u: Any) -> Tensor | tuple[Tensor, ...]:
        us = list(u) if out_tuple and isinstance(u, tuple) else [u]
        if len(us) != len(outs):
            raise ValueError(f"vjp_fn: {_name(f)} returns a tuple of {len(outs)}, so u must be a "
                             f"tuple of {len(outs)} arrays")
        roots, seeds = [], []
        for out, u in zip(outs, us, strict=True):
            u = _as_array(u, "vjp_fn: u")
            if u.shape != out.shape:
                if u.size != 1 or out.size != 1:
                    raise ValueError(
                        f"vjp_fn: u has shape {u.shape} but the output of {_name(f)} has shape "
                        f"{out.shape}; u must have the output's shape"
                    )
                u = u.reshape(out.shape)
            if out.requires_grad:  # otherwise the output does not depend on the inputs
                roots.append(out)
                seeds.append(u.astype(out.dtype, copy=False))
        grads = grad(roots, inputs, grad_outputs=seeds, retain_graph=True,
                     allow_unused=True) if roots else [None] * len(xs)
        return _pack([Tensor._wrap(np.zeros_like(x)) if g is None else g
                      for g, x in zip(grads, xs, strict=True)], is_tuple)

    return _pack([Tensor._wrap(o._data) for o in outs], out_tuple), vjp_fn


# --------------------------------------------------------------------------------------------
# Jacobians
# --------------------------------------------------------------------------------------------


def jacobian(f: Callable, primals: Primals,
             mode: Literal["reverse", "forward"] = "reverse") -> Any:
    """The Jacobian of f at ``primals``: shape ``out.shape + x.shape``,
    ``J[o..., i...] = ∂ out[o...] / ∂ x[i...]``. With several primals, a tuple over them; when
    f returns a tuple, a tuple over its outputs (of tuples over the primals, if several).

    * ``mode="reverse"``: one recorded forward pass, then one reverse sweep per output element
      (a row each): cheap when there are few outputs — one sweep for a scalar function.
    * ``mode="forward"``: one forward-mode sweep per input element (a column each, with a unit
      tangent): cheap when there are few inputs.
    """
    xs, in_tuple = _unpack(primals, "jacobian")
    if mode == "reverse":
        inputs = [Tensor(x, requires_grad=True) for x in xs]
        with enable_grad():
            outs, out_tuple = _outputs(f(*inputs), f, "jacobian")
        shapes = [o.shape for o in outs]
        J = [[np.zeros((o.size, x.size), dtype=np.result_type(x, o.dtype)) for x in xs]
             for o in outs]
        for row, out in zip(J, outs, strict=True):
            for k in range(out.size if out.requires_grad else 0):  # one sweep per element
                grads = grad(out, inputs, grad_outputs=_unit(out.shape, k, out.dtype),
                             retain_graph=True, allow_unused=True)
                for Ji, g in zip(row, grads, strict=True):
                    if g is not None:
                        Ji[k] = g._data.ravel()
    elif mode == "forward":
        cols: list[list[list[np.ndarray]]] | None = None
        for i, x in enumerate(xs):
            for k in range(x.size):  # one forward sweep per input element
                ts: list[np.ndarray | None] = [None] * len(xs)
                ts[i] = _unit(x.shape, k, x.dtype)
                values, jvs, out_tuple = _jvp(f, xs, ts, "jacobian")
                if cols is None:
                    cols = [[[] for _ in xs] for _ in jvs]
                for o, t in enumerate(jvs):
                    cols[o][i].append(t.ravel())
        if cols is None:  # every primal is empty: evaluate f once for the output shapes
            values, jvs, out_tuple = _jvp(f, xs, [None] * len(xs), "jacobian")
            cols = [[[] for _ in xs] for _ in jvs]
        shapes = [v.shape for v in values]
        J = [[np.stack(c, axis=1) if c else np.zeros((v.size, 0), dtype=x.dtype)
              for c, x in zip(row, xs, strict=True)] for row, v in zip(cols, values, strict=True)]
    else:
        raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', not {mode!r}")
    return _pack2([[Tensor._wrap(Ji.reshape(shape + x.shape)) for Ji, x in zip(row, xs,
                                                                                  strict=True)]
                   for row, shape in zip(J, shapes, strict=True)], out_tuple, in_tuple)


# --------------------------------------------------------------------------------------------
# Second derivatives
# --------------------------------------------------------------------------------------------


def _hvps(f: Callable, xs: list[np.ndarray], vs: list[np.ndarray | None],
          fn: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward-over-reverse: ``(∇f(x), H·v)`` per primal, from one forward pass carrying the
    tangents v and one recorded reverse pass whose operations carry the tangents on."""
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    grads: list[Any] = [None] * len(xs)
    hvs: list[Any] = [None] * len(xs)
    with enable_grad(), Level() as level:
        for leaf, v in zip(leaves, vs, strict=True):
            if v is not None:
                level.set_tangent(leaf, v)
        out = _scalar(f(*leaves), f, fn)
        if out.requires_grad:
            # create_graph=True runs the reverse rules on Tensors, i.e. through the primitives,
            # which the level watches: it pushes the tangents through the backward pass too.
            grads = list(grad(out, leaves, create_graph=True, allow_unused=True))
            hvs = [None if g is None else level.tangent_of(g) for g in grads]
    return ([np.zeros_like(x) if g is None else g._data for g, x in zip(grads, xs, strict=True)],
            [np.zeros_like(x) if h is None else np.array(np.broadcast_to(h, x.shape))
             for h, x in zip(hvs, xs, strict=True)])


def hvp(f: Callable, primals: Primals, tangents: Any) -> tuple[Any, Any]:
    """``(∇f(x), H·v)`` for a scalar f of x (one array of shape S and v of shape S, or tuples
    of them: then ``(H·v)ᵢ = Σⱼ ∂²f/∂xᵢ∂xⱼ · vⱼ``), by forward-over-reverse: the reverse sweep
    is recorded (``create_graph=True``) while forward mode is on, so the tangent v is pushed
    through the forward *and* the backward pass. One sweep, whatever the size of x."""
    xs, is_tuple = _unpack(primals, "hvp")
    vs = _tangent_arrays(tangents, xs, is_tuple, "hvp")
    grads, hvs = _hvps(f, xs, list(vs), "hvp")
    return (_pack([Tensor._wrap(g) for g in grads], is_tuple),
            _pack([Tensor._wrap(h) for h in hvs], is_tuple))


def hessian(
    f: Callable,
    primals: Primals,
    mode: Literal["forward-over-reverse", "reverse-over-reverse"] = "reverse-over-reverse",
) -> Any:
    """The Hessian of a scalar f: for one array x of shape S a Tensor of shape ``S + S``,
    ``H[i..., j...] = ∂²f / ∂x[i...] ∂x[j...]``; for a tuple of primals a tuple of tuples,
    ``H[i][j]`` of shape ``Sᵢ + Sⱼ`` (as ``torch.autograd.functional.hessian``).

    Both ways use the engine's higher-order support (``grad(create_graph=True)`` records the
    backward pass as ordinary operations):

    * ``"reverse-over-reverse"`` (default): record the forward pass and the gradient ∇f once,
      then one reverse sweep over the graph of ∇f per row of H. Cost: one forward and one
      recorded backward pass, then n reverse sweeps.
    * ``"forward-over-reverse"``: one ``hvp`` per column, H eⱼ (tangent eⱼ pushed through the
      forward and the recorded backward pass). Cost: n × (forward + backward, with tangents);
      no graph is kept between columns. The same numbers, computed the other way round.
    """
    xs, is_tuple = _unpack(primals, "hessian")
    H = [[np.zeros((a.size, b.size), dtype=np.result_type(a, b)) for b in xs] for a in xs]
    if mode == "forward-over-reverse":
        if all(x.size == 0 for x in xs):
            _scalar(f(*[Tensor(x) for x in xs]), f, "hessian")
        for j, x in enumerate(xs):
            for k in range(x.size):  # column k of block column j: H e
                vs: list[np.ndarray | None] = [None] * len(xs)
                vs[j] = _unit(x.shape, k, x.dtype)
                for Hi, hv in zip(H, _hvps(f, xs, vs, "hessian")[1], strict=True):
                    Hi[j][:, k] = hv.ravel()
    elif mode == "reverse-over-reverse":
        leaves = [Tensor(x, requires_grad=True) for x in xs]
        with enable_grad():
            out = _scalar(f(*leaves), f, "hessian")
            grads = grad(out, leaves, create_graph=True, allow_unused=True) \
                if out.requires_grad else [None] * len(xs)
            for Hi, g in zip(H, grads, strict=True):
                if g is None or not g.requires_grad:  # f is (at most) linear in it: zeros
                    continue
                for k in range(g.size):  # row k = ∇(∂f/∂x_k) = e_kᵀ ∂(∇f)/∂x
                    rows = grad(g, leaves, grad_outputs=_unit(g.shape, k, g.dtype),
                                retain_graph=True, allow_unused=True)
                    for Hij, row in zip(Hi, rows, strict=True):
                        if row is not None:
                            Hij[k] = row._data.ravel()
    else:
        raise ValueError(
            "hessian: mode must be 'forward-over-reverse' or 'reverse-over-reverse', "
            f"not {mode!r}"
        )
    return _pack2([[Tensor._wrap(Hij.reshape(a.shape + b.shape)) for Hij, b in zip(Hi, xs,
                                                                                   strict=True)]
                   for Hi, a in zip(H, xs, strict=True)], is_tuple, is_tuple)
