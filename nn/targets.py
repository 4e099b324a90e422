"""Targets y in the shape of a network's output: integer labels as one-hot rows, and for a
single output unit a vector of N target values as the column (N, 1).

Two entry points, for two callers with slightly different contracts:

* :func:`targets` for the engine's costs (:mod:`nn.costs`): y is shaped like the output tensor,
  and integer labels are accepted with every cost;
* :func:`target_rows` for the hand-derived reference (:mod:`nn.backprop`): a batch of rows
  (N, n_L), with integer labels only for the costs that compare with class probabilities
  ("softmax", "cross-entropy"), and an error message naming X and Y.

Both make one-hot rows with :func:`one_hot`, as does :func:`nn.datasets.load_mnist` for one-hot
labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from autograd_mini import Tensor

__all__ = ["one_hot", "target_rows", "targets"]


def one_hot(labels: Any, n: int, dtype: Any = np.float64) -> np.ndarray:
    """Integer labels (N,) as rows of an (N, n) matrix with a single 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"one_hot: labels must be a 1-d integer array, got {labels.dtype} "
                         f"of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"one_hot: labels must lie in 0..{n - 1}, found {labels.min()}.."
                         f"{labels.max()}")
    out = np.zeros((labels.size, n), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def targets(y: Any, out: Tensor, cost: str) -> np.ndarray:
    """y as an array shaped like the network's output ``out`` (N, n_L), in its dtype.

    ``y`` is an array or a Tensor. Integer labels (N,) become one-hot rows; for a single output
    unit (n_L = 1) a vector (N,) is the column of target values. ``cost`` names the cost in the
    error message.
    """
    if type(y) is np.ndarray and y.shape == out.shape and y.dtype == out.dtype:
        return y  # (the usual case, and the cost of every training step: looked at first)
    y = y.data if isinstance(y, Tensor) else np.asarray(y)
    given = y.shape
    if y.ndim == out.ndim - 1 and out.ndim >= 1 and y.shape == out.shape[:-1]:
        if out.shape[-1] == 1:
            y = y[..., None]
        elif y.dtype.kind in "iu":
            y = one_hot(y.reshape(-1), out.shape[-1], out.dtype).reshape(out.shape)
    if y.shape != out.shape:
        raise ValueError(f"{cost} cost: targets of shape {given} do not match the network "
                         f"output of shape {out.shape} (give (N,) integer labels or (N, "
                         f"{out.shape[-1] if out.ndim else 1}) target rows)")
    return y.astype(out.dtype, copy=False)


def target_rows(
    Y: npt.ArrayLike, n_rows: int, n_out: int, cost: str, dtype: np.dtype
) -> np.ndarray:
    """``Y`` as an (N, n_L) array of ``dtype`` for a batch X of N = ``n_rows`` rows.

    Accepted: rows (N, n_L); for n_L = 1 (and a cost other than "softmax") a vector (N,) of
    target values; for "softmax" and "cross-entropy" integer labels (N,) in [0, n_L).
    """
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
            return one_hot(Y, n_out, dtype)
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
