"""Checks of what the hand-derived reference (:mod:`nn.backprop`) is given: the network's
``(W, b)`` pairs, its activation names and cost, an input batch or example, and gradients.

Every check raises ``ValueError`` naming the offending argument and its shape, and returns the
arguments as arrays ready for the equations. Targets are prepared by :mod:`nn.targets`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .activations import ALL_NAMES, TABLE
from .costs import COST_NAMES
from .targets import target_rows

__all__ = ["check_example", "check_gradients", "check_input", "check_network"]

Weights = Sequence[tuple[npt.ArrayLike, npt.ArrayLike]]


def check_network(
    weights: Weights, activations: str | Sequence[str], cost: str | None
) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """Validate ``weights`` / ``activations`` (/ ``cost``) and return ``(Ws, bs, names)``.

    ``Ws[l-1]`` is W^l (n_l, n_{l-1}), ``bs[l-1]`` is b^l (n_l,), ``names`` one activation
    name per layer. For ``cost="softmax"`` the last name is normalised to ``"softmax"``.
    """
    if cost is not None and cost not in COST_NAMES:
        raise ValueError(f"unknown cost {cost!r}; expected one of {list(COST_NAMES)}")
    Ws, bs = _check_layers(weights)
    names = _check_activations(activations, len(Ws))
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


def _check_layers(weights: Weights) -> tuple[list[np.ndarray], list[np.ndarray]]:
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
    return Ws, bs


def _check_activations(activations: str | Sequence[str], n_layers: int) -> list[str]:
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
        if name not in TABLE:
            raise ValueError(
                f"unknown activation {name!r} for layer {i + 1}; "
                f"expected one of {list(ALL_NAMES)}"
            )
        if TABLE[name].output_only and i != n_layers - 1:
            raise ValueError(
                f"activation {name!r} is only allowed for the last layer, got it for layer "
                f"{i + 1} of {n_layers}"
            )
    return names


def _as_float(x: np.ndarray, Ws: list[np.ndarray], bs: list[np.ndarray]) -> np.ndarray:
    """Integer/bool input cast to the parameters' dtype; float input is kept as it is."""
    return x if x.dtype.kind in "fc" else x.astype(np.result_type(Ws[0], bs[0], np.float16))


def check_input(X: npt.ArrayLike, Ws: list[np.ndarray], bs: list[np.ndarray]) -> np.ndarray:
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
    return _as_float(X, Ws, bs)


def _column(v: npt.ArrayLike, n: int, what: str) -> np.ndarray:
    v = np.asarray(v)
    if v.shape not in ((n,), (n, 1)):
        raise ValueError(f"{what} has shape {v.shape}; expected ({n},) or a column ({n}, 1)")
    return v.reshape(n, 1)


def check_example(
    x: npt.ArrayLike, y: npt.ArrayLike, Ws: list[np.ndarray], bs: list[np.ndarray], cost: str
) -> tuple[np.ndarray, np.ndarray]:
    """One example as the columns ``(x (n_0, 1), y (n_L, 1))``, y in the output's dtype.

    ``x`` is ``(n_0,)`` or ``(n_0, 1)``; ``y`` is ``(n_L,)`` or ``(n_L, 1)``, or a scalar: an
    integer class label for "softmax" / "cross-entropy", or the target value when n_L = 1.
    """
    n0, nL = Ws[0].shape[1], Ws[-1].shape[0]
    xc = _as_float(_column(x, n0, "x"), Ws, bs)
    out_dtype = np.result_type(xc, *Ws, *bs)
    yv = np.asarray(y)
    if yv.ndim != 0:
        return xc, _column(yv, nL, "y").astype(out_dtype, copy=False)
    # a scalar: a target value when n_L == 1, else a class label
    if not (nL == 1 and cost != "softmax") and not (
        yv.dtype.kind in "iu" and cost in ("softmax", "cross-entropy")
    ):
        raise ValueError(
            f"y is the scalar {yv.item()!r} but the network has {nL} outputs; expected "
            f"shape ({nL},) or ({nL}, 1) (integer class labels only for 'softmax' and "
            "'cross-entropy')"
        )
    return xc, target_rows(yv.reshape(1), 1, nL, cost, out_dtype).reshape(nL, 1)


def check_gradients(
    weights: Sequence[tuple[np.ndarray, np.ndarray]],
    grads_W: Sequence[np.ndarray],
    grads_b: Sequence[np.ndarray],
    weight_decay: float,
    n_train: int | None,
) -> None:
    """Check that a gradient step can be applied: one weight and one bias gradient per layer,
    of the shapes of W and b, and the training-set size n when there is weight decay."""
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
