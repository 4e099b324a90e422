"""Seedable, resumable mini-batches: :class:`BatchIterator`."""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["BatchIterator"]


def _plain_json(value: Any) -> Any:
    """``value`` with numpy arrays and scalars (as a bit generator's state may hold) turned
    into lists and Python numbers, so that ``json.dumps`` takes it."""
    return json.loads(json.dumps(value, default=lambda obj: obj.tolist()))


class BatchIterator:
    """Seedable mini-batch iterator over paired arrays ``x`` (N, ...) and ``y`` (N, ...).

    Each ``iter()`` is one epoch: it yields ``(xb, yb)`` with xb (B, ...) and yb (B, ...),
    B = ``batch_size`` except possibly a smaller last batch (dropped with ``drop_last``).
    With ``shuffle`` every epoch uses a new permutation drawn from this iterator's own
    ``numpy.random.Generator`` (built from ``seed``, or the Generator passed as ``seed``,
    which is then shared). Batches are fresh copies (one fancy-indexing copy each), so
    modifying them never changes ``x``/``y``.

    :meth:`state_dict` captures the random state and the position inside an unfinished
    epoch as JSON-serialisable data; after :meth:`load_state_dict` the iterator continues
    with exactly the batches the original would have produced next. Run one epoch at a
    time: the position tracked is that of the most recently started epoch.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        shuffle: bool = True,
        seed: int | np.random.Generator | np.random.SeedSequence | None = None,
        drop_last: bool = False,
    ) -> None:
        x = np.asarray(x)
        y = np.asarray(y)
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError("BatchIterator: x and y need a leading example axis, got scalars")
        if len(x) != len(y):
            raise ValueError(
                f"BatchIterator: x and y must have the same number of examples, "
                f"got {len(x)} and {len(y)}"
            )
        if isinstance(batch_size, bool):
            raise TypeError("BatchIterator: batch_size must be an integer, got a bool")
        batch_size = operator.index(batch_size)
        if batch_size < 1:
            raise ValueError(f"BatchIterator: batch_size must be >= 1, got {batch_size}")
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._epoch_start: dict[str, Any] | None = None  # rng state before this epoch's draw
        self._done = 0  # batches yielded so far in the epoch in progress
        self._skip = 0  # batches to skip in the next epoch (set by load_state_dict)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.x)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of ``(xb, yb)`` batches (resuming a loaded state's epoch if any)."""
        n, bs = len(self.x), self.batch_size
        start, self._skip = self._skip, 0
        self._epoch_start = self.rng.bit_generator.state
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        self._done = start
        for b in range(start, len(self)):
            idx = order[b * bs : (b + 1) * bs]
            self._done = b + 1
            yield self.x[idx], self.y[idx]
        self._epoch_start = None
        self._done = 0

    def state_dict(self) -> dict[str, Any]:
        """The state needed to resume: JSON-serialisable (``json.dumps`` it to store it)."""
        if self._epoch_start is not None and self._done < len(self):
            rng_state, done = self._epoch_start, self._done
        else:
            rng_state, done = self.rng.bit_generator.state, self._skip
        return {
            "bit_generator": _plain_json(rng_state),
            "batches_done": done,
            "num_examples": len(self.x),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state: Mapping[str, Any] | str) -> None:
        """Restore a :meth:`state_dict` (or its JSON string); the next ``iter()`` resumes.

        Raises ``ValueError`` if the state was saved for a different data size or settings.
        """
        if isinstance(state, str):
            state = json.loads(state)
        if not isinstance(state, Mapping):
            raise TypeError(f"BatchIterator.load_state_dict: expected a dict, got {type(state)}")
        for field in ("num_examples", "batch_size", "shuffle", "drop_last"):
            mine = len(self.x) if field == "num_examples" else getattr(self, field)
            if state[field] != mine:
                raise ValueError(
                    f"BatchIterator.load_state_dict: state has {field}={state[field]!r}, "
                    f"this iterator has {mine!r}"
                )
        done = int(state["batches_done"])
        if not 0 <= done <= len(self):
            raise ValueError(f"BatchIterator.load_state_dict: bad batches_done={done}")
        bg_state = state["bit_generator"]
        kind = bg_state["bit_generator"]
        if type(self.rng.bit_generator).__name__ != kind:
            cls = getattr(np.random, kind, None)
            if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
                raise ValueError(f"BatchIterator.load_state_dict: unknown bit generator {kind!r}")
            self.rng = np.random.Generator(cls())
        self.rng.bit_generator.state = bg_state
        self._skip = done
        self._epoch_start = None
        self._done = 0
