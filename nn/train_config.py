"""What defines a training run: :class:`TrainConfig`, the model it describes
(:func:`build_model`), and whether a saved run can be resumed under another config
(:func:`compare_configs`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .costs import COST_NAMES, COST_TABLE
from .init import INITS
from .layers import MLP

__all__ = [
    "ARCH_KEYS", "DATA_KEYS", "DTYPES", "ENGINES", "IGNORED_ON_RESUME", "TrainConfig",
    "build_model", "compare_configs", "show_value",
]

ENGINES = ("autodiff", "formulas")
DTYPES = ("float32", "float64")
#: Config fields that define the model: a checkpoint that differs in one is refused.
ARCH_KEYS = ("sizes", "activation", "cost", "dtype")
#: Config fields that define the training data and its batches: also refused when different,
#: since the saved position in the mini-batch order would mean nothing.
DATA_KEYS = ("dataset", "limit", "batch_size")
#: Fields that no longer matter once weights and random state come from a checkpoint.
IGNORED_ON_RESUME = ("seed", "init")


@dataclass
class TrainConfig:
    """Everything that defines a training run. The defaults are the texts' first network:
    784-30-10 sigmoid neurons, quadratic cost, Gaussian N(0, 1) initialisation, η = 3.0,
    mini-batches of 10, 30 epochs.

    ``cost`` fixes the output layer: ``"quadratic"`` uses ``activation`` there too,
    ``"cross-entropy"`` a sigmoid, ``"softmax"`` the identity (the cost applies the softmax to
    the logits). ``weight_decay`` is λ, applied as λ/n with n the number of training examples
    used (after ``limit``). ``seed`` seeds the initial weights and the mini-batch order.
    ``data_dir`` only records where the data was read from (None: the default lookup).
    """

    sizes: list[int] = field(default_factory=lambda: [784, 30, 10])
    activation: str = "sigmoid"
    cost: str = "quadratic"
    init: str = "gaussian"
    dtype: str = "float64"
    lr: float = 3.0
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 10
    epochs: int = 30
    seed: int = 0
    limit: int | None = None
    dataset: str = "mnist"
    engine: str = "autodiff"
    data_dir: str | None = None

    def __post_init__(self) -> None:
        self.sizes = [int(s) for s in self.sizes]

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid field."""
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"sizes must be at least two positive layer sizes, got {self.sizes}")
        hidden = [a for a in ACTIVATIONS if a != "identity"]
        if self.activation not in hidden:
            raise ValueError(f"unknown activation {self.activation!r}; choose from {hidden}")
        if self.cost not in COST_TABLE:
            raise ValueError(f"unknown cost {self.cost!r}; choose from {list(COST_NAMES)}")
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; choose from {list(INITS)}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {list(DTYPES)}, got {self.dtype!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; choose from {list(ENGINES)}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"learning rate must be positive, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight decay must be non-negative, got {self.weight_decay}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {self.batch_size}")
        if self.epochs < 0:
            raise ValueError(f"epochs must be non-negative, got {self.epochs}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1 (or None for all), got {self.limit}")

    @property
    def output_activation(self) -> str:
        """The last layer's activation implied by ``cost`` (see :data:`nn.costs.COST_TABLE`)."""
        cost = COST_TABLE.get(self.cost)
        return (cost and cost.output_activation) or self.activation

    def describe(self) -> str:
        """E.g. ``784-30-10 sigmoid network, quadratic cost, float64``."""
        return (f"{'-'.join(map(str, self.sizes))} {self.activation} network, "
                f"{self.cost} cost, {self.dtype}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Build from a dict (e.g. a checkpoint's); unknown keys raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config fields {unknown}")
        return cls(**dict(data))


def build_model(config: TrainConfig, rng: Any = None) -> MLP:
    """The ``MLP`` described by ``config``, initialised from ``rng`` (a Generator or seed)."""
    return MLP(config.sizes, activation=config.activation,
               output_activation=config.output_activation, init=config.init, rng=rng,
               dtype=np.dtype(config.dtype))


def compare_configs(
    saved: TrainConfig, requested: TrainConfig, source: str = "the checkpoint"
) -> list[str]:
    """Check that a run configured as ``requested`` can resume one saved as ``saved``.

    Raises ``ValueError`` when the architecture (:data:`ARCH_KEYS`) or the data set-up
    (:data:`DATA_KEYS`) differ, naming both. Returns notes about the other differences
    (learning rate, engine, ...: allowed, but the run then differs from an uninterrupted one).
    """
    diffs = _differences(saved, requested, ARCH_KEYS)
    if diffs:
        raise ValueError(
            f"{source} holds a {saved.describe()}, but a {requested.describe()} was requested "
            f"({diffs}); refusing to load it. Request the checkpoint's architecture, or start "
            "a new run with another checkpoint path."
        )
    diffs = _differences(saved, requested, DATA_KEYS)
    if diffs:
        raise ValueError(
            f"{source} was trained on other data or batches than requested ({diffs}: checkpoint "
            "vs request); its position in the mini-batch order cannot be continued. Use the "
            "checkpoint's settings, or start a new run with another checkpoint path."
        )
    notes = []
    for f in fields(TrainConfig):
        k = f.name
        old, new = getattr(saved, k), getattr(requested, k)
        if k in ARCH_KEYS or k in DATA_KEYS or old == new:
            continue
        if k == "data_dir":
            notes.append(f"data_dir changed from {show_value(old)} to {show_value(new)}")
        elif k in IGNORED_ON_RESUME:
            notes.append(f"{k} {show_value(new)} ignored: weights and random state come from "
                         f"{source} ({k} {show_value(old)})")
        elif k != "epochs":
            notes.append(f"{k} changed from {show_value(old)} to {show_value(new)}: the run will "
                         "differ from an uninterrupted one")
    return notes


def _differences(saved: TrainConfig, requested: TrainConfig, keys: Any) -> str:
    """"key old vs new" for each of ``keys`` on which the two configurations differ."""
    return ", ".join(
        f"{k} {show_value(getattr(saved, k))} vs {show_value(getattr(requested, k))}"
        for k in keys if getattr(saved, k) != getattr(requested, k))


def show_value(value: Any) -> str:
    """A config value as the messages show it: sizes as ``784-30-10``, strings quoted."""
    if isinstance(value, list):
        return "-".join(map(str, value))
    return repr(value) if isinstance(value, str) else str(value)
