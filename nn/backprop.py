"""Gradients of a dense feed-forward network from the four backpropagation equations.

This module is deliberately independent of the autodiff engine: it computes with numpy only,
on plain arrays, so it can serve as a reference for (and a benchmark baseline against)
``autograd_mini``. It holds the forward pass and BP1–BP4, per example and batched; the numpy
activations σ and σ′ come from :mod:`nn.activations`, the checks of its arguments from
:mod:`nn.network_checks` and the preparation of targets from :mod:`nn.targets`.

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

Activation names (:data:`ACTIVATIONS`, from :mod:`nn.activations`): ``"sigmoid"``, ``"tanh"``,
``"relu"``, ``"identity"`` for any layer, and ``"softmax"`` for the last layer only. Derivatives
are taken from the saved outputs where possible: ``sigmoid' = a (1 - a)``,
``tanh' = 1 - a^2``, ``relu' = [z > 0]``, ``identity' = 1``.

Dtypes: nothing is converted needlessly. The computation runs in the dtype numpy gives
``X @ W.T + b`` (float32 inputs and parameters stay float32 end to end, float64 stays
float64); integer/bool ``X`` is cast to the parameters' dtype and ``Y`` is cast to the
dtype of the network output.

All malformed input raises ``ValueError`` naming the offending argument and its shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .activations import ALL_NAMES, TABLE, log_softmax, sigmoid, softmax
from .costs import COST_NAMES
from .network_checks import check_example, check_gradients, check_input, check_network
from .targets import target_rows

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

COSTS: tuple[str, ...] = COST_NAMES
"""Accepted values of the ``cost`` argument (the names of :data:`nn.costs.COST_TABLE`)."""

ACTIVATIONS: tuple[str, ...] = ALL_NAMES
"""Accepted activation names (``"softmax"`` only for the last layer), from :mod:`nn.activations`."""

Weights = Sequence[tuple[npt.ArrayLike, npt.ArrayLike]]


class Gradients(NamedTuple):
    """Result of :func:`backprop_loop` / :func:`backprop_batched` for a batch of ``N`` rows.

    Because it is a tuple whose first two items are the weight and bias gradients, a
    ``Gradients`` can be passed straight to :func:`sgd_step`.

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
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    deltas: list[np.ndarray]
    zs: list[np.ndarray]
    activations: list[np.ndarray]
    cost: float


def _checked(
    weights: Weights, activations: str | Sequence[str], X: npt.ArrayLike, cost: str | None
) -> tuple[list[np.ndarray], list[np.ndarray], list[str], np.ndarray]:
    """``(Ws, bs, names, X)``: the network and the batch, checked by :mod:`nn.network_checks`."""
    Ws, bs, names = check_network(weights, activations, cost)
    return Ws, bs, names, check_input(X, Ws, bs)


# ---------------------------------------------------------------------------------------
# The pieces shared by both layouts: σ′ factors, BP1 and the cost
# ---------------------------------------------------------------------------------------


def _times_sigma_prime(delta: np.ndarray, name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``delta * sigma'(z)`` in place (``delta`` is always a fresh array); nothing for the
    identity, whose ``sigma'`` is 1."""
    prime = TABLE[name].sigma_prime
    if prime is not None:
        delta *= prime(z, a)
    return delta


def _output_delta(
    aL: np.ndarray, y: np.ndarray, zL: np.ndarray, name: str, cost: str
) -> np.ndarray:
    """BP1, for columns or rows: ``delta^L = (a^L - y) * sigma'(z^L)`` for the quadratic cost
    (``grad_a C = a^L - y``); ``delta^L = a^L - y`` for the sigmoid cross-entropy and the
    softmax log-likelihood, where the ``sigma'`` factor cancels."""
    delta = aL - y
    return _times_sigma_prime(delta, name, zL, aL) if cost == "quadratic" else delta


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
    return -float(np.vdot(Y, log_softmax(zL))) / n


# ---------------------------------------------------------------------------------------
# Forward pass and cost (row layout)
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
        a = TABLE[name].sigma(z)
        zs.append(z)
        acts.append(a)
    return zs, acts


def forward(
    weights: Weights, activations: str | Sequence[str], x: npt.ArrayLike
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
    zs : list[np.ndarray]
        ``zs[l-1] = Z^l`` of shape ``(N, n_l)`` (``L`` arrays).
    activations_list : list[np.ndarray]
        ``activations_list[l] = A^l`` for ``l = 0..L`` (``L + 1`` arrays, the first being
        ``x``). With an ``"identity"`` layer ``A^l`` *is* ``Z^l`` (same array). A last
        activation of ``"identity"`` gives the logits; name it ``"softmax"`` to get
        probabilities.
    """
    Ws, bs, names, X = _checked(weights, activations, x, None)
    return _forward_rows(Ws, bs, names, X)


def cost_value(
    weights: Weights, activations: str | Sequence[str], X: npt.ArrayLike, Y: npt.ArrayLike,
    cost: str,
) -> float:
    """Mean cost ``J = (1/N) sum_n C_n`` of the network on a batch ``X`` (N, n_0), ``Y`` (N, n_L).

    ``C_n`` is ``1/2 ||a^L - y||^2`` (``"quadratic"``),
    ``-sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]`` evaluated as ``softplus(z) - y z``
    (``"cross-entropy"``), or ``-sum_j y_j ln softmax(z^L)_j`` (``"softmax"``).
    """
    Ws, bs, names, X = _checked(weights, activations, X, cost)
    zs, acts = _forward_rows(Ws, bs, names, X)
    Yr = target_rows(Y, X.shape[0], Ws[-1].shape[0], cost, acts[-1].dtype)
    return _cost_rows(zs[-1], acts[-1], Yr, cost)


# ---------------------------------------------------------------------------------------
# Per-example backpropagation (column vectors)
# ---------------------------------------------------------------------------------------


def _backprop_column(
    Ws: list[np.ndarray], bs: list[np.ndarray], names: list[str], x: np.ndarray, y: np.ndarray,
    cost: str,
) -> tuple[list[np.ndarray], ...]:
    """Textbook backprop for one example; ``x`` (n_0, 1) and ``y`` (n_L, 1) are columns.

    Returns ``(grads_W, grads_b, deltas, zs, acts)``, every vector a column.
    """
    # forward: z^l = W^l a^{l-1} + b^l, a^l = sigma(z^l)
    a = x
    acts = [a]
    zs = []
    for W, b, name in zip(Ws, bs, names, strict=True):
        z = W @ a + b[:, None]
        a = softmax(z, axis=0) if name == "softmax" else TABLE[name].sigma(z)
        zs.append(z)
        acts.append(a)
    # BP1
    deltas = [_output_delta(acts[-1], y, zs[-1], names[-1], cost)]
    # BP2, from layer L-1 down to 1: delta^l = ((W^{l+1})^T delta^{l+1}) * sigma'(z^l)
    for i in range(len(Ws) - 2, -1, -1):
        delta = Ws[i + 1].T @ deltas[0]
        deltas.insert(0, _times_sigma_prime(delta, names[i], zs[i], acts[i + 1]))
    # BP3, BP4
    grads_b = [d[:, 0] for d in deltas]
    grads_W = [d @ a_prev.T for d, a_prev in zip(deltas, acts[:-1], strict=True)]
    return grads_W, grads_b, deltas, zs, acts


def backprop_example(
    weights: Weights, activations: str | Sequence[str], x: npt.ArrayLike, y: npt.ArrayLike,
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
    grads_W : list[np.ndarray]
        ``grads_W[l-1]`` of shape ``(n_l, n_{l-1})``.
    grads_b : list[np.ndarray]
        ``grads_b[l-1]`` of shape ``(n_l,)`` (the shape of ``b``).
    deltas : list[np.ndarray]
        ``deltas[l-1]``, the column ``delta^l`` of shape ``(n_l, 1)``.
    """
    Ws, bs, names = check_network(weights, activations, cost)
    xc, yc = check_example(x, y, Ws, bs, cost)
    grads_W, grads_b, deltas, _, _ = _backprop_column(Ws, bs, names, xc, yc, cost)
    return grads_W, grads_b, deltas


def backprop_loop(
    weights: Weights, activations: str | Sequence[str], X: npt.ArrayLike, Y: npt.ArrayLike,
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
    Ws, bs, names, X = _checked(weights, activations, X, cost)
    n = X.shape[0]
    out_dtype = np.result_type(X, *Ws, *bs)
    Yr = target_rows(Y, n, Ws[-1].shape[0], cost, out_dtype)

    sum_W = [np.zeros(W.shape, dtype=out_dtype) for W in Ws]
    sum_b = [np.zeros(b.shape, dtype=out_dtype) for b in bs]
    deltas = [np.empty((n, W.shape[0]), dtype=out_dtype) for W in Ws]
    zs = [np.empty((n, W.shape[0]), dtype=out_dtype) for W in Ws]
    acts = [X] + [np.empty((n, W.shape[0]), dtype=out_dtype) for W in Ws]
    total = 0.0
    for k in range(n):
        gW, gb, dk, zk, ak = _backprop_column(
            Ws, bs, names, X[k].reshape(-1, 1), Yr[k].reshape(-1, 1), cost
        )
        for i in range(len(Ws)):
            sum_W[i] += gW[i]
            sum_b[i] += gb[i]
            deltas[i][k] = dk[i][:, 0]
            zs[i][k] = zk[i][:, 0]
            acts[i + 1][k] = ak[i + 1][:, 0]
        total += _cost_rows(zk[-1].T, ak[-1].T, Yr[k][None, :], cost)
    for g in sum_W + sum_b:
        g *= 1.0 / n
    return Gradients(sum_W, sum_b, deltas, zs, acts, total / n)


# ---------------------------------------------------------------------------------------
# Batched (matrix) backpropagation
# ---------------------------------------------------------------------------------------


def backprop_batched(
    weights: Weights, activations: str | Sequence[str], X: npt.ArrayLike, Y: npt.ArrayLike,
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
    Ws, bs, names, X = _checked(weights, activations, X, cost)
    zs, acts = _forward_rows(Ws, bs, names, X)
    Yr = target_rows(Y, X.shape[0], Ws[-1].shape[0], cost, acts[-1].dtype)

    n_layers = len(Ws)
    inv_n = 1.0 / X.shape[0]
    grads_W: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    grads_b: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    deltas: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]

    # BP1
    delta = _output_delta(acts[-1], Yr, zs[-1], names[-1], cost)
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
        delta = _times_sigma_prime(delta @ Ws[i], names[i - 1], zs[i - 1], acts[i])

    return Gradients(grads_W, grads_b, deltas, zs, acts, _cost_rows(zs[-1], acts[-1], Yr, cost))


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
    check_gradients(weights, grads_W, grads_b, weight_decay, n_train)
    for (W, b), gW, gb in zip(weights, grads_W, grads_b, strict=True):
        if weight_decay != 0.0:
            W -= lr * (gW + (weight_decay / n_train) * W)
        else:
            W -= lr * gW
        b -= lr * gb
