"""Gradients of a dense feed-forward network from the four backpropagation equations.

This module is deliberately independent of the autodiff engine: it uses numpy only and
works on plain arrays, so it can serve as a reference for (and a benchmark baseline
against) ``autograd_mini``.

Notation
--------
The network has ``L`` layers, numbered ``l = 1..L`` (``weights[l - 1]`` holds layer ``l``).
Layer ``l`` has a weight matrix ``W^l`` of shape ``(n_l, n_{l-1})``, a bias ``b^l`` of shape
``(n_l,)`` and an elementwise activation ``sigma_l``::

    a^0 = x,    z^l = W^l a^{l-1} + b^l,    a^l = sigma_l(z^l),    delta^l = dC/dz^l.

The four equations used here (``*`` is the elementwise / Hadamard product)::

    BP1  delta^L = grad_a C * sigma_L'(z^L)
    BP2  delta^l = ((W^{l+1})^T delta^{l+1}) * sigma_l'(z^l)
    BP3  dC/db^l = delta^l
    BP4  dC/dW^l = delta^l (a^{l-1})^T

Layouts
-------
* :func:`backprop_example` follows the per-example textbook form: column vectors,
  ``z^l`` and ``delta^l`` of shape ``(n_l, 1)``.
* :func:`forward`, :func:`backprop_loop` and :func:`backprop_batched` use a row layout:
  a mini-batch ``X`` has shape ``(N, n_0)``, one example per row, and ``Z^l``, ``A^l`` and
  ``Delta^l`` have shape ``(N, n_l)`` (row ``n`` belongs to example ``n``).

Costs (``cost=``), each averaged over the ``N`` examples of a batch
-----------------------------------------------------------------------
``"quadratic"``
    ``J = (1/N) sum_n 1/2 ||a^L - y||^2``; ``grad_a C = a^L - y``, so
    ``delta^L = (a^L - y) * sigma_L'(z^L)`` for any output activation.
``"cross-entropy"``
    Binary cross-entropy summed over the outputs,
    ``J = (1/N) sum_n -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]``. The output activation
    must be ``"sigmoid"``; then ``delta^L = a^L - y`` (the ``sigma'`` factor cancels). Other
    output activations are rejected with a ``ValueError``: for ``tanh``, ``relu`` and
    ``identity`` the output is not confined to ``(0, 1)``, so ``ln a`` / ``ln(1 - a)`` are
    undefined for some inputs and the general BP1 form ``(a - y) / (a (1 - a)) * sigma'``
    would divide by zero. The cost is evaluated from ``z^L`` as
    ``softplus(z) - y z``, which is exact and never takes ``log(0)``.
``"softmax"``
    Softmax output with the log-likelihood cost, ``a^L = softmax(z^L)`` and
    ``J = (1/N) sum_n -sum_j y_j ln a_j``; ``delta^L = a^L - y``. The last activation
    name must be ``"identity"`` or ``"softmax"`` (both mean "apply softmax to z^L" here);
    anything else raises ``ValueError``. The cost uses a log-sum-exp (row max subtracted).

Targets ``Y`` are one-hot / real-valued rows of shape ``(N, n_L)``. Two shorthand forms are
also accepted and converted to that shape:

* integer class labels of shape ``(N,)`` for ``"softmax"`` and ``"cross-entropy"``,
  turned into one-hot rows (labels must lie in ``[0, n_L)``);
* when the network has a single output (``n_L == 1``) and the cost is not ``"softmax"``,
  a 1-D ``Y`` of shape ``(N,)`` holds the target values themselves (e.g. 0/1 labels for a
  single sigmoid unit) and is read as the column ``(N, 1)``.

Activation names: ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"`` for any layer, and
``"softmax"`` for the last layer only. Derivatives are taken from the saved outputs where
possible: ``sigmoid' = a (1 - a)``, ``tanh' = 1 - a^2``, ``relu' = [z > 0]``,
``identity' = 1``.

Dtypes: nothing is converted needlessly. The computation runs in the dtype numpy gives
``X @ W.T + b`` (float32 inputs and parameters stay float32 end to end, float64 stays
float64); integer/bool ``X`` is cast to the parameters' dtype and ``Y`` is cast to the
dtype of the network output.

All malformed input raises ``ValueError`` naming the offending argument and its shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Gradients",
    "backprop_batched",
    "backprop_example",
    "backprop_loop",
    "cost_value",
    "forward",
    "sgd_step",
    "sigmoid",
    "softmax",
]

COSTS: tuple[str, ...] = ("quadratic", "cross-entropy", "softmax")
"""Accepted values of the ``cost`` argument."""

ACTIVATIONS: tuple[str, ...] = ("sigmoid", "tanh", "relu", "identity", "softmax")
"""Accepted activation names (``"softmax"`` only for the last layer)."""


class Gradients(NamedTuple):
    """Result of :func:`backprop_loop` / :func:`backprop_batched` for a batch of ``N`` rows.

    Attributes
    ----------
    weights:
        ``weights[l-1] = dJ/dW^l``, shape ``(n_l, n_{l-1})`` (gradient of the mean cost).
    biases:
        ``biases[l-1] = dJ/db^l``, shape ``(n_l,)``.
    deltas:
        ``deltas[l-1]`` of shape ``(N, n_l)``; row ``n`` is the per-example error
        ``delta^l = dC_n/dz^l`` of example ``n`` (*not* divided by ``N``).
    zs:
        ``zs[l-1] = Z^l``, shape ``(N, n_l)``.
    activations:
        ``activations[l] = A^l`` for ``l = 0..L`` (``activations[0]`` is the input ``X``),
        shape ``(N, n_l)``. For ``cost="softmax"`` the last entry holds the probabilities.
        For an ``"identity"`` layer ``activations[l]`` is the same array as ``zs[l-1]``.
    cost:
        The mean cost ``J`` over the batch, as a Python float.

    Because it is a tuple whose first two items are the weight and bias gradients, a
    ``Gradients`` can be passed straight to :func:`sgd_step`.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    deltas: list[np.ndarray]
    zs: list[np.ndarray]
    activations: list[np.ndarray]
    cost: float


# ---------------------------------------------------------------------------------------
# Activations and their derivatives
# ---------------------------------------------------------------------------------------


def sigmoid(z: npt.ArrayLike) -> np.ndarray:
    """Logistic function ``sigma(z) = 1 / (1 + exp(-z))``, elementwise, same shape as ``z``.

    Evaluated without overflow for any finite ``z`` (no warning at ``z = +-1000``):
    with ``e = exp(-|z|)`` in ``(0, 1]``, ``sigma(z) = 1 / (1 + e)`` for ``z >= 0`` and
    ``sigma(z) = e / (1 + e)`` for ``z < 0``. Keeps a floating input dtype.
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    with np.errstate(under="ignore"):
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)  # e = exp(-|z|), never overflows
        r = e + 1.0
        np.reciprocal(r, out=r)  # r = sigma(|z|)
        e *= r  # e = sigma(-|z|)
        np.copyto(r, e, where=z < 0)
    return r


def softmax(z: npt.ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``softmax(z)_j = exp(z_j - m) / sum_k exp(z_k - m)``.

    ``m`` is the maximum along ``axis`` so no exponential overflows. Same shape as ``z``;
    for a batch ``(N, n)`` in row layout use the default ``axis=-1``.
    """
    z = np.asarray(z)
    with np.errstate(under="ignore"):
        p = z - z.max(axis=axis, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=axis, keepdims=True)
    return p


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``ln softmax(z) = (z - m) - ln sum_k exp(z_k - m)`` along ``axis``; always finite."""
    with np.errstate(under="ignore"):
        s = z - z.max(axis=axis, keepdims=True)
        s -= np.log(np.exp(s).sum(axis=axis, keepdims=True))
    return s


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    return softmax(z, axis=-1)


_ACTIVATION_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": sigmoid,
    "tanh": _tanh,
    "relu": _relu,
    "identity": _identity,
    "softmax": _softmax_rows,
}


def _act_prime(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray | None:
    """``sigma'(z)`` for an elementwise activation, from the saved output ``a`` where possible.

    Returns ``None`` for the identity (``sigma' = 1``) so callers can skip the product.
    """
    if name == "sigmoid":
        t = 1.0 - a
        t *= a  # a (1 - a)
        return t
    if name == "tanh":
        t = a * a
        np.subtract(1.0, t, out=t)  # 1 - a^2
        return t
    if name == "relu":
        return z > 0
    if name == "identity":
        return None
    # "softmax" never reaches here: it is only allowed with cost="softmax", where BP1
    # is replaced by the closed form delta^L = a^L - y.
    raise AssertionError(f"no elementwise derivative for activation {name!r}")


# ---------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------


def _check_cost(cost: str) -> None:
    if cost not in COSTS:
        raise ValueError(f"unknown cost {cost!r}; expected one of {list(COSTS)}")


def _check_network(
    weights: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    activations: str | Sequence[str],
    cost: str | None,
) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """Validate ``weights`` / ``activations`` (/ ``cost``) and return ``(Ws, bs, names)``.

    For ``cost="softmax"`` the last name is normalised to ``"softmax"``.
    """
    if cost is not None:
        _check_cost(cost)
    try:
        n_layers = len(weights)
    except TypeError:
        raise ValueError("weights must be a list of (W, b) pairs") from None
    if n_layers == 0:
        raise ValueError("weights is empty: the network needs at least one (W, b) layer")

    Ws: list[np.ndarray] = []
    bs: list[np.ndarray] = []
    for i, pair in enumerate(weights):
        try:
            W, b = pair
        except (TypeError, ValueError):
            raise ValueError(
                f"weights[{i}] (layer {i + 1}) must be a (W, b) pair, got {type(pair).__name__}"
            ) from None
        W = np.asarray(W)
        b = np.asarray(b)
        if W.ndim != 2:
            raise ValueError(
                f"layer {i + 1}: W must be 2-D of shape (n_l, n_(l-1)), got shape {W.shape}"
            )
        if b.shape != (W.shape[0],):
            raise ValueError(
                f"layer {i + 1}: bias has shape {b.shape}, expected ({W.shape[0]},) "
                f"to match W of shape {W.shape}"
            )
        if Ws and W.shape[1] != Ws[-1].shape[0]:
            raise ValueError(
                f"layer {i + 1}: W has shape {W.shape} but layer {i} has "
                f"{Ws[-1].shape[0]} outputs (W of shape {Ws[-1].shape}); "
                f"expected shape ({W.shape[0]}, {Ws[-1].shape[0]})"
            )
        Ws.append(W)
        bs.append(b)

    if isinstance(activations, str):
        names = [activations] * n_layers
    else:
        try:
            names = list(activations)
        except TypeError:
            raise ValueError(
                f"activations must be a name or a list of names, got {type(activations).__name__}"
            ) from None
        if len(names) != n_layers:
            raise ValueError(
                f"activations has {len(names)} names but weights has {n_layers} layers"
            )
    for i, name in enumerate(names):
        if name not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {name!r} for layer {i + 1}; "
                f"expected one of {list(ACTIVATIONS)}"
            )
        if name == "softmax" and i != n_layers - 1:
            raise ValueError(
                f"activation 'softmax' is only allowed for the last layer, got it for layer "
                f"{i + 1} of {n_layers}"
            )

    last = names[-1]
    if cost == "softmax":
        if last not in ("identity", "softmax"):
            raise ValueError(
                f"cost 'softmax' applies softmax to z^L itself, so the last activation must be "
                f"'identity' or 'softmax', got {last!r}"
            )
        names[-1] = "softmax"
    elif cost == "cross-entropy":
        if last != "sigmoid":
            raise ValueError(
                f"cost 'cross-entropy' needs a 'sigmoid' output activation (outputs in (0, 1)),"
                f" got {last!r}; use cost='softmax' for a softmax output"
            )
    elif cost == "quadratic" and last == "softmax":
        raise ValueError(
            "a 'softmax' output is only supported with cost='softmax' "
            "(its Jacobian is not elementwise)"
        )
    return Ws, bs, names


def _check_input(X: npt.ArrayLike, Ws: list[np.ndarray], bs: list[np.ndarray]) -> np.ndarray:
    """Validate a batch ``X`` of shape ``(N, n_0)``; cast non-float input to the params' dtype."""
    X = np.asarray(X)
    n0 = Ws[0].shape[1]
    if X.ndim != 2 or X.shape[1] != n0:
        raise ValueError(
            f"X has shape {X.shape} but layer 1 expects {n0} inputs: need shape (N, {n0}) "
            "with one example per row"
        )
    if X.shape[0] == 0:
        raise ValueError(f"X has shape {X.shape}: the batch is empty")
    if X.dtype.kind not in "fc":
        X = X.astype(np.result_type(Ws[0], bs[0], np.float16))
    return X


def _prepare_targets(
    Y: npt.ArrayLike, n_rows: int, n_out: int, cost: str, dtype: np.dtype
) -> np.ndarray:
    """Return ``Y`` as an ``(N, n_L)`` array of ``dtype`` (see module docstring for 1-D Y)."""
    Y = np.asarray(Y)
    if Y.ndim == 2:
        if Y.shape[0] != n_rows:
            raise ValueError(
                f"X has {n_rows} rows but Y has {Y.shape[0]} rows (Y shape {Y.shape}); "
                "they must hold the same examples"
            )
        if Y.shape[1] != n_out:
            raise ValueError(
                f"Y has shape {Y.shape} but the network has {n_out} outputs; "
                f"expected ({n_rows}, {n_out})"
            )
        return Y if Y.dtype == dtype else Y.astype(dtype)
    if Y.ndim == 1:
        if Y.shape[0] != n_rows:
            raise ValueError(
                f"X has {n_rows} rows but Y has {Y.shape[0]} entries (Y shape {Y.shape}); "
                "they must hold the same examples"
            )
        if n_out == 1 and cost != "softmax":
            return Y.reshape(n_rows, 1).astype(dtype, copy=False)
        if Y.dtype.kind in "iu" and cost in ("softmax", "cross-entropy"):
            if n_rows and (Y.min() < 0 or Y.max() >= n_out):
                raise ValueError(
                    f"integer labels in Y must lie in [0, {n_out}) for {n_out} outputs, "
                    f"got values in [{Y.min()}, {Y.max()}]"
                )
            onehot = np.zeros((n_rows, n_out), dtype=dtype)
            onehot[np.arange(n_rows), Y] = 1
            return onehot
        raise ValueError(
            f"Y has shape {Y.shape}; expected ({n_rows}, {n_out}) rows of targets"
            + (
                " (integer class labels of shape (N,) are accepted only for the "
                "'softmax' and 'cross-entropy' costs)"
                if n_out > 1
                else ""
            )
        )
    raise ValueError(f"Y has shape {Y.shape}; expected ({n_rows}, {n_out})")


# ---------------------------------------------------------------------------------------
# Forward pass and costs
# ---------------------------------------------------------------------------------------


def _forward_rows(
    Ws: list[np.ndarray], bs: list[np.ndarray], names: list[str], X: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    zs: list[np.ndarray] = []
    acts: list[np.ndarray] = [X]
    a = X
    for W, b, name in zip(Ws, bs, names, strict=True):
        z = a @ W.T  # (N, n_{l-1}) @ (n_{l-1}, n_l)
        z += b
        a = _ACTIVATION_FUNCS[name](z)
        zs.append(z)
        acts.append(a)
    return zs, acts


def forward(
    weights: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    activations: str | Sequence[str],
    x: npt.ArrayLike,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Batched forward pass ``Z^l = A^{l-1} (W^l)^T + b^l``, ``A^l = sigma_l(Z^l)``, ``A^0 = x``.

    Parameters
    ----------
    weights:
        List of ``(W, b)`` pairs, ``W`` of shape ``(n_l, n_{l-1})``, ``b`` of shape ``(n_l,)``.
    activations:
        One activation name per layer, or a single name for every layer.
    x:
        Batch of shape ``(N, n_0)``, one example per row.

    Returns
    -------
    ``(zs, activations_list)`` with ``zs[l-1] = Z^l`` of shape ``(N, n_l)`` (``L`` arrays)
    and ``activations_list[l] = A^l`` for ``l = 0..L`` (``L + 1`` arrays, the first being
    ``x``). With an ``"identity"`` layer ``A^l`` *is* ``Z^l`` (same array). A last activation
    of ``"identity"`` gives the logits; name it ``"softmax"`` to get probabilities.
    """
    Ws, bs, names = _check_network(weights, activations, None)
    X = _check_input(x, Ws, bs)
    return _forward_rows(Ws, bs, names, X)


def _cost_rows(zL: np.ndarray, aL: np.ndarray, Y: np.ndarray, cost: str) -> float:
    """Mean cost over the rows of ``(N, n_L)`` arrays ``z^L``, ``a^L`` and targets ``Y``."""
    n = zL.shape[0]
    if cost == "quadratic":
        d = aL - Y
        return 0.5 * float(np.vdot(d, d)) / n
    if cost == "cross-entropy":
        # -[y ln sigma(z) + (1 - y) ln(1 - sigma(z))] = softplus(z) - y z
        with np.errstate(under="ignore"):
            t = np.logaddexp(0.0, zL)  # softplus(z), exact for z = +-1000
        t -= Y * zL
        return float(t.sum()) / n
    # softmax / log-likelihood: -sum_j y_j ln softmax(z)_j
    return -float(np.vdot(Y, _log_softmax(zL))) / n


def cost_value(
    weights: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    activations: str | Sequence[str],
    X: npt.ArrayLike,
    Y: npt.ArrayLike,
    cost: str,
) -> float:
    """Mean cost ``J = (1/N) sum_n C_n`` of the network on a batch ``X`` (N, n_0), ``Y`` (N, n_L).

    ``C_n`` is ``1/2 ||a^L - y||^2`` (``"quadratic"``),
    ``-sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]`` evaluated as ``softplus(z) - y z``
    (``"cross-entropy"``), or ``-sum_j y_j ln softmax(z^L)_j`` (``"softmax"``).
    """
    Ws, bs, names = _check_network(weights, activations, cost)
    X = _check_input(X, Ws, bs)
    zs, acts = _forward_rows(Ws, bs, names, X)
    Yr = _prepare_targets(Y, X.shape[0], Ws[-1].shape[0], cost, acts[-1].dtype)
    return _cost_rows(zs[-1], acts[-1], Yr, cost)


# ---------------------------------------------------------------------------------------
# Per-example backpropagation (column vectors)
# ---------------------------------------------------------------------------------------


def _example_columns(
    Ws: list[np.ndarray],
    bs: list[np.ndarray],
    names: list[str],
    x: np.ndarray,
    y: np.ndarray,
    cost: str,
) -> tuple[
    list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray]
]:
    """Textbook backprop for one example; ``x`` (n_0, 1) and ``y`` (n_L, 1) are columns."""
    # forward: z^l = W^l a^{l-1} + b^l, a^l = sigma(z^l)
    a = x
    acts = [a]
    zs = []
    for W, b, name in zip(Ws, bs, names, strict=True):
        z = W @ a + b[:, None]
        a = softmax(z, axis=0) if name == "softmax" else _ACTIVATION_FUNCS[name](z)
        zs.append(z)
        acts.append(a)

    n_layers = len(Ws)
    deltas: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    # BP1
    delta = acts[-1] - y  # grad_a C for the quadratic cost; the full delta^L otherwise
    if cost == "quadratic":
        prime = _act_prime(names[-1], zs[-1], acts[-1])
        if prime is not None:
            delta = delta * prime
    deltas[-1] = delta
    # BP2
    for i in range(n_layers - 2, -1, -1):
        delta = Ws[i + 1].T @ delta
        prime = _act_prime(names[i], zs[i], acts[i + 1])
        if prime is not None:
            delta = delta * prime
        deltas[i] = delta
    # BP3, BP4
    grads_b = [d[:, 0] for d in deltas]
    grads_W = [d @ a_prev.T for d, a_prev in zip(deltas, acts[:-1], strict=True)]
    return grads_W, grads_b, deltas, zs, acts


def _example_column(v: npt.ArrayLike, n: int, what: str) -> np.ndarray:
    v = np.asarray(v)
    if v.shape not in ((n,), (n, 1)):
        raise ValueError(f"{what} has shape {v.shape}; expected ({n},) or a column ({n}, 1)")
    return v.reshape(n, 1)


def backprop_example(
    weights: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    activations: str | Sequence[str],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    cost: str,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Gradients of one example's own cost ``C_x``, in the per-example column form.

    ``x`` has shape ``(n_0,)`` or ``(n_0, 1)``; ``y`` has shape ``(n_L,)`` or ``(n_L, 1)``
    (or is an integer class label for ``"softmax"`` / ``"cross-entropy"``, or a scalar
    target when ``n_L == 1``). Internally every vector is a column and::

        delta^L = (a^L - y) * sigma'(z^L)              (quadratic, BP1)
        delta^L = a^L - y                              (sigmoid cross-entropy, softmax)
        delta^l = ((W^{l+1})^T delta^{l+1}) * sigma'(z^l)        (BP2)
        dC/db^l = delta^l,   dC/dW^l = delta^l (a^{l-1})^T       (BP3, BP4)

    Returns
    -------
    ``(grads_W, grads_b, deltas)``: ``grads_W[l-1]`` of shape ``(n_l, n_{l-1})``,
    ``grads_b[l-1]`` of shape ``(n_l,)`` (the shape of ``b``), and ``deltas[l-1]`` the
    column ``delta^l`` of shape ``(n_l, 1)``.
    """
    Ws, bs, names = _check_network(weights, activations, cost)
    n0, nL = Ws[0].shape[1], Ws[-1].shape[0]
    xc = _example_column(x, n0, "x")
    if xc.dtype.kind not in "fc":
        xc = xc.astype(np.result_type(Ws[0], bs[0], np.float16))
    out_dtype = np.result_type(xc, *Ws, *bs)
    yv = np.asarray(y)
    if yv.ndim == 0:
        # a scalar: a target value when n_L == 1, else a class label
        if not (nL == 1 and cost != "softmax") and not (
            yv.dtype.kind in "iu" and cost in ("softmax", "cross-entropy")
        ):
            raise ValueError(
                f"y is the scalar {yv.item()!r} but the network has {nL} outputs; expected "
                f"shape ({nL},) or ({nL}, 1) (integer class labels only for 'softmax' and "
                "'cross-entropy')"
            )
        yc = _prepare_targets(yv.reshape(1), 1, nL, cost, out_dtype).reshape(nL, 1)
    else:
        yc = _example_column(yv, nL, "y").astype(out_dtype, copy=False)
    grads_W, grads_b, deltas, _, _ = _example_columns(Ws, bs, names, xc, yc, cost)
    return grads_W, grads_b, deltas


def backprop_loop(
    weights: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    activations: str | Sequence[str],
    X: npt.ArrayLike,
    Y: npt.ArrayLike,
    cost: str,
) -> Gradients:
    """Mean-cost gradients by looping :func:`backprop_example` over the rows of a batch.

    ``X`` has shape ``(N, n_0)`` and ``Y`` shape ``(N, n_L)`` (or integer labels ``(N,)``,
    see the module docstring). Computes ``dJ/dW^l = (1/N) sum_n delta^l_n (a^{l-1}_n)^T``
    and ``dJ/db^l = (1/N) sum_n delta^l_n`` one example at a time, as in the classic
    ``update_mini_batch``. The per-example ``delta``, ``z`` and ``a`` columns are stacked
    into ``(N, n_l)`` rows; see :class:`Gradients`. A slow but transparent reference for
    :func:`backprop_batched`.
    """
    Ws, bs, names = _check_network(weights, activations, cost)
    X = _check_input(X, Ws, bs)
    n = X.shape[0]
    n_layers = len(Ws)
    out_dtype = np.result_type(X, *Ws, *bs)
    Yr = _prepare_targets(Y, n, Ws[-1].shape[0], cost, out_dtype)

    sum_W = [np.zeros(W.shape, dtype=out_dtype) for W in Ws]
    sum_b = [np.zeros(b.shape, dtype=out_dtype) for b in bs]
    deltas = [np.empty((n, W.shape[0]), dtype=out_dtype) for W in Ws]
    zs = [np.empty((n, W.shape[0]), dtype=out_dtype) for W in Ws]
    acts = [X] + [np.empty((n, W.shape[0]), dtype=out_dtype) for W in Ws]
    total = 0.0
    for k in range(n):
        gW, gb, dk, zk, ak = _example_columns(
            Ws, bs, names, X[k].reshape(-1, 1), Yr[k].reshape(-1, 1), cost
        )
        for i in range(n_layers):
            sum_W[i] += gW[i]
            sum_b[i] += gb[i]
            deltas[i][k] = dk[i][:, 0]
            zs[i][k] = zk[i][:, 0]
            acts[i + 1][k] = ak[i + 1][:, 0]
        total += _cost_rows(zk[-1].T, ak[-1].T, Yr[k][None, :], cost)
    inv_n = 1.0 / n
    for i in range(n_layers):
        sum_W[i] *= inv_n
        sum_b[i] *= inv_n
    return Gradients(sum_W, sum_b, deltas, zs, acts, total / n)


# ---------------------------------------------------------------------------------------
# Batched (matrix) backpropagation
# ---------------------------------------------------------------------------------------


def backprop_batched(
    weights: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    activations: str | Sequence[str],
    X: npt.ArrayLike,
    Y: npt.ArrayLike,
    cost: str,
) -> Gradients:
    """Mean-cost gradients for a whole mini-batch with the matrix form of BP1-BP4.

    Row layout, ``X`` of shape ``(N, n_0)``, ``Y`` of shape ``(N, n_L)`` (one-hot for
    classification; integer labels ``(N,)`` are accepted for ``"softmax"`` and
    ``"cross-entropy"`` and converted to one-hot)::

        Delta^L = (A^L - Y) * sigma'(Z^L)    (quadratic)
        Delta^L =  A^L - Y                   (sigmoid cross-entropy, softmax)
        Delta^l = (Delta^{l+1} W^{l+1}) * sigma'(Z^l)     i.e. ((W^{l+1})^T (Delta^{l+1})^T)^T
        dJ/dW^l = (1/N) (Delta^l)^T A^{l-1}               shape (n_l, n_{l-1})
        dJ/db^l = (1/N) (Delta^l)^T 1                     shape (n_l,)

    Row ``n`` of ``Delta^l`` is the per-example ``delta^l`` (not divided by ``N``). The
    gradient with respect to the input ``X`` is not computed. The arithmetic stays in the
    input dtype (float32 in, float32 out). This is the hand-written numpy baseline.

    Returns a :class:`Gradients`.
    """
    Ws, bs, names = _check_network(weights, activations, cost)
    X = _check_input(X, Ws, bs)
    n = X.shape[0]
    zs, acts = _forward_rows(Ws, bs, names, X)
    aL = acts[-1]
    Yr = _prepare_targets(Y, n, Ws[-1].shape[0], cost, aL.dtype)

    n_layers = len(Ws)
    inv_n = 1.0 / n
    grads_W: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    grads_b: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    deltas: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]

    # BP1
    delta = aL - Yr
    if cost == "quadratic":
        prime = _act_prime(names[-1], zs[-1], aL)
        if prime is not None:
            delta *= prime
    for i in range(n_layers - 1, -1, -1):
        deltas[i] = delta
        # BP4 and BP3, averaged over the batch
        gW = delta.T @ acts[i]
        gW *= inv_n
        gb = delta.sum(axis=0)
        gb *= inv_n
        grads_W[i] = gW
        grads_b[i] = gb
        if i == 0:
            break  # no delta for the input layer: X is data
        # BP2 in row layout
        delta = delta @ Ws[i]
        prime = _act_prime(names[i - 1], zs[i - 1], acts[i])
        if prime is not None:
            delta *= prime

    cost_J = _cost_rows(zs[-1], aL, Yr, cost)
    return Gradients(grads_W, grads_b, deltas, zs, acts, cost_J)


# ---------------------------------------------------------------------------------------
# Update rule
# ---------------------------------------------------------------------------------------


def sgd_step(
    weights: Sequence[tuple[np.ndarray, np.ndarray]],
    grads: Gradients | Sequence[Sequence[np.ndarray]],
    lr: float,
    weight_decay: float = 0.0,
    n_train: int | None = None,
) -> None:
    """One in-place gradient-descent step with optional L2 weight decay.

    For each layer::

        W <- W - lr * (dJ/dW + (weight_decay / n_train) * W)
        b <- b - lr * dJ/db                      (biases are not decayed)

    i.e. gradient descent on ``J + (lambda / (2 n)) sum ||W||^2`` with ``lambda =
    weight_decay`` and ``n = n_train`` the size of the *training set* (Nielsen, ch. 3),
    not of the mini-batch. ``n_train`` is required when ``weight_decay != 0``.

    ``grads`` is a :class:`Gradients` or any tuple whose first two items are the lists of
    weight and bias gradients (e.g. the result of :func:`backprop_example`). The arrays in
    ``weights`` are modified in place and must be writable float arrays.
    """
    grads_W, grads_b = grads[0], grads[1]
    if len(grads_W) != len(weights) or len(grads_b) != len(weights):
        raise ValueError(
            f"grads has {len(grads_W)} weight and {len(grads_b)} bias gradients "
            f"but weights has {len(weights)} layers"
        )
    if weight_decay != 0.0 and n_train is None:
        raise ValueError(
            "weight_decay needs n_train, the training-set size n in the decay term lambda/n"
        )
    if n_train is not None and n_train <= 0:
        raise ValueError(f"n_train must be positive, got {n_train}")
    for i, ((W, b), gW, gb) in enumerate(zip(weights, grads_W, grads_b, strict=True)):
        if np.shape(gW) != np.shape(W) or np.shape(gb) != np.shape(b):
            raise ValueError(
                f"layer {i + 1}: gradient shapes {np.shape(gW)}, {np.shape(gb)} do not match "
                f"W {np.shape(W)} and b {np.shape(b)}"
            )
        if weight_decay != 0.0:
            W -= lr * (gW + (weight_decay / n_train) * W)
        else:
            W -= lr * gW
        b -= lr * gb
