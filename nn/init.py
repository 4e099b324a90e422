"""Weight initialisations for a dense layer with weight W of shape (n_out, n_in)."""

from __future__ import annotations

from typing import Any

import numpy as np

INITS = ("gaussian", "scaled", "xavier")


def as_rng(rng: Any = None) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, a seed, or None (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def init_dense(
    n_in: int, n_out: int, method: str = "gaussian", rng: Any = None, dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) for a dense layer.

    * ``gaussian``: W, b ~ N(0, 1) — the first network of the texts;
    * ``scaled``: W ~ N(0, 1/n_in), b ~ N(0, 1) — keeps z = Wa + b of order 1, so sigmoid
      neurons do not start saturated;
    * ``xavier``: W ~ U(−r, r) with r = √(6/(n_in + n_out)) (Glorot & Bengio), b = 0.
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"init_dense: layer sizes must be positive, got n_in={n_in}, "
                         f"n_out={n_out}")
    rng = as_rng(rng)
    if method == "gaussian":
        w = rng.standard_normal((n_out, n_in))
        b = rng.standard_normal(n_out)
    elif method == "scaled":
        w = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
        b = rng.standard_normal(n_out)
    elif method == "xavier":
        r = np.sqrt(6.0 / (n_in + n_out))
        w = rng.uniform(-r, r, size=(n_out, n_in))
        b = np.zeros(n_out)
    else:
        raise ValueError(f"init_dense: unknown initialisation {method!r}; choose from {INITS}")
    return w.astype(dtype, copy=False), b.astype(dtype, copy=False)
