"""Checkpoint files of a training run: :func:`write_npz_atomic`, :func:`read_checkpoint` and
the :class:`Checkpoint` it returns.

A checkpoint is an ``.npz`` file readable with ``allow_pickle=False``, written atomically (a
temporary file in the same directory, then ``os.replace``). It holds the weights ``W0, b0, ...``,
the momentum buffers ``velocity.i``, and as JSON strings (:func:`json_array`) the config, the
history, the mini-batch iterator's random state and position and the partial sums of an
unfinished epoch; ``format`` is :data:`CHECKPOINT_FORMAT` and ``epoch`` the completed epochs.
What goes in is decided by :meth:`nn.train.Trainer.state_arrays`.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .files import atomic_file
from .train_config import TrainConfig

__all__ = ["CHECKPOINT_FORMAT", "Checkpoint", "json_array", "read_checkpoint", "write_npz_atomic"]

CHECKPOINT_FORMAT = "autograd-mini-train/1"


def write_npz_atomic(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> Path:
    """``np.savez`` ``arrays`` to ``path`` atomically: written to a temporary file in the same
    directory, synced, then renamed over ``path``; on any error (Ctrl-C included) ``path`` is
    left as it was. The name is used as given (no ``.npz`` is appended)."""
    with atomic_file(path) as fh:
        np.savez(fh, **arrays)
    return Path(path)


class Checkpoint(NamedTuple):
    """A checkpoint read by :func:`read_checkpoint`: its config, completed epochs, history
    and all its arrays (``W0``, ``b0``, ``velocity.0``, ...)."""

    path: str
    config: TrainConfig
    epoch: int
    history: dict[str, list[float]]
    arrays: dict[str, np.ndarray]

    def load_json(self, key: str) -> Any:
        """The JSON value stored as the string array ``key``."""
        return json.loads(str(self.arrays[key][()]))


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by :meth:`nn.train.Trainer.save_checkpoint`
    (``allow_pickle=False``).

    Raises ``FileNotFoundError`` if it does not exist and ``ValueError`` if it is not one.
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable .npz checkpoint ({exc})") from exc
    required = ("format", "config", "epoch", "history", "batch_iterator", "epoch_progress")
    missing = [k for k in required if k not in arrays]
    if missing or str(arrays["format"][()]) != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a training checkpoint of nn.train "
                         f"(missing {missing or 'format ' + CHECKPOINT_FORMAT})")
    try:
        config = TrainConfig.from_dict(json.loads(str(arrays["config"][()])))
        history = json.loads(str(arrays["history"][()]))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: malformed config or history ({exc})") from exc
    return Checkpoint(path, config, int(arrays["epoch"]), history, arrays)


def json_array(value: Any) -> np.ndarray:
    """``value`` as JSON in a 0-d string array, the way checkpoints store non-array data."""
    return np.array(json.dumps(value, sort_keys=True))
