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

    @staticmethod
    def check_state_dict(state: Mapping[str, Any] | str) -> dict[str, Any]:
        """Check that ``state`` is a well-formed :meth:`state_dict` (or its JSON string), with
        no data needed: its fields and their types, and that its bit generator state is one
        numpy accepts. Returns it as a dict; raises ``ValueError`` naming the first problem."""
        where = "BatchIterator state"
        if isinstance(state, str):
            try:
                state = json.loads(state)
            except (ValueError, RecursionError) as exc:
                raise ValueError(f"{where} is not valid JSON ({exc})") from None
        if not isinstance(state, Mapping):
            raise ValueError(f"{where} must be a dict, got {type(state).__name__}")
        fields = {"bit_generator": dict, "batches_done": int, "num_examples": int,
                  "batch_size": int, "shuffle": bool, "drop_last": bool}
        if set(state) != set(fields):
            raise ValueError(f"{where} must have the fields {sorted(fields)}, got "
                             f"{sorted(map(str, state))}")
        for name, kind in fields.items():
            value = state[name]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(f"{where}: {name} must be a {kind.__name__}, got {value!r:.60}")
        n, size = state["num_examples"], state["batch_size"]
        if n < 0 or size < 1:
            raise ValueError(f"{where}: bad num_examples={n} or batch_size={size}")
        batches = n // size if state["drop_last"] else -(-n // size)
        if not 0 <= state["batches_done"] <= batches:
            raise ValueError(f"{where}: batches_done={state['batches_done']} is not in "
                             f"0..{batches}")
        _bit_generator(state["bit_generator"])
        return dict(state)

    def load_state_dict(self, state: Mapping[str, Any] | str) -> None:
        """Restore a :meth:`state_dict` (or its JSON string); the next ``iter()`` resumes.

        Raises ``ValueError`` if the state is malformed (:meth:`check_state_dict`) or was saved
        for a different data size or settings; then nothing is changed.
        """
        state = self.check_state_dict(state)
        for field in ("num_examples", "batch_size", "shuffle", "drop_last"):
            mine = len(self.x) if field == "num_examples" else getattr(self, field)
            if state[field] != mine:
                raise ValueError(
                    f"BatchIterator.load_state_dict: state has {field}={state[field]!r}, "
                    f"this iterator has {mine!r}"
                )
        bit_generator = _bit_generator(state["bit_generator"])
        if type(self.rng.bit_generator) is type(bit_generator):
            self.rng.bit_generator.state = bit_generator.state
        else:
            self.rng = np.random.Generator(bit_generator)
        self._skip = state["batches_done"]
        self._epoch_start = None
        self._done = 0


def _bit_generator(state: Mapping[str, Any]) -> np.random.BitGenerator:
    """A new numpy bit generator in ``state`` (a bit generator's ``.state``); ``ValueError``
    if numpy does not accept it."""
    kind = state.get("bit_generator")
    cls = getattr(np.random, kind, None) if isinstance(kind, str) else None
    if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
        raise ValueError(f"BatchIterator state: unknown bit generator {kind!r:.60}")
    bit_generator = cls()
    try:
        bit_generator.state = dict(state)
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ValueError(f"BatchIterator state: malformed {kind} state ({exc})") from None
    return bit_generator
