"""Targets y in the shape of a network's output: integer labels as one-hot rows, and for a
single output unit a vector of N target values as the column (N, 1).

:func:`targets` prepares them for the engine's costs (:mod:`nn.costs`) with :func:`one_hot`,
which is also how :func:`nn.datasets.load_mnist` makes one-hot labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_mini import Tensor

__all__ = ["one_hot", "targets"]


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

