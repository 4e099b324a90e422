"""Checkpoint files of a training run: :func:`write_npz_atomic`, :func:`read_checkpoint`, the
:class:`Checkpoint` it returns and :class:`CheckpointError`.

A checkpoint is an ``.npz`` file readable with ``allow_pickle=False``, written atomically (a
temporary file in the same directory, then ``os.replace``). It holds the weights ``W0, b0, ...``,
the momentum buffers ``velocity.i``, and as JSON strings (:func:`json_array`) the config, the
history, the mini-batch iterator's random state and position and the partial sums of an
unfinished epoch; ``format`` is :data:`CHECKPOINT_FORMAT` and ``epoch`` the completed epochs.
What goes in is decided by :meth:`nn.train.Trainer.state_arrays`.

Reading trusts nothing in the file: every entry's name, dtype and shape is checked against
the file's own config before its data is read (so a header cannot make us allocate more than
the file holds), then every value (JSON structure and types, finite weights, consistent
counters). Any problem is a :class:`CheckpointError` with one line naming the file.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .datasets.batches import BatchIterator
from .files import atomic_file
from .train_config import TrainConfig

__all__ = [
    "CHECKPOINT_FORMAT", "HISTORY_KEYS", "Checkpoint", "CheckpointError", "check_checkpoint",
    "json_array", "parameter_shapes", "read_checkpoint", "write_npz_atomic",
]

CHECKPOINT_FORMAT = "autograd-mini-train/1"
#: The per-epoch lists of a run's history.
HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "train_seconds")
_TEST_KEYS = ("test_loss", "test_accuracy")  # empty when the run had no test set
_JSON_KEYS = ("config", "history", "batch_iterator", "epoch_progress")
_PROGRESS_KEYS = {"batches_done": int, "loss_sum": float, "examples": int, "seconds": float}
_DEFLATE_MAX_RATIO = 1032  # a deflated zip entry of n bytes holds at most 1032*n bytes


class CheckpointError(ValueError):
    """A file is not a usable checkpoint: ``path`` names it, ``problem`` says what is wrong.
    ``str()`` is one line, e.g. ``checkpoint run.npz: W1 has shape (30,), expected (10, 30)``.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str,
                 message: str | None = None) -> None:
        self.path = os.fspath(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(" ".join(message.split()) if message else
                         f"checkpoint {self.path}: {self.problem}")


def write_npz_atomic(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> Path:
    """``np.savez`` ``arrays`` to ``path`` atomically: written to a temporary file in the same
    directory, synced, then renamed over ``path``; on any error (Ctrl-C included) ``path`` is
    left as it was, and a file-system error is an ``OSError`` naming ``path``. The name is
    used as given (no ``.npz`` is appended); an existing file's permissions are kept."""
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


def json_array(value: Any) -> np.ndarray:
    """``value`` as JSON in a 0-d string array, the way checkpoints store non-array data."""
    return np.array(json.dumps(value, sort_keys=True))


def parameter_shapes(sizes: list[int]) -> list[tuple[str, tuple[int, ...]]]:
    """``(name, shape)`` of the parameters of an MLP of layer ``sizes``, in the optimizer's
    order (``velocity.i`` belongs to the i-th): the weights ``W0 ...`` (n_out, n_in), then the
    biases ``b0 ...`` (n_out,)."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=False))
    return ([(f"W{i}", (n_out, n_in)) for i, (n_in, n_out) in enumerate(pairs)]
            + [(f"b{i}", (n_out,)) for i, (_, n_out) in enumerate(pairs)])


# --------------------------------------------------------------------------------------
# The layout: which entries, of which dtype and shape
# --------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: How each TrainConfig field (by its annotation) must look in a checkpoint's JSON.
_FIELD_CHECKS = {
    "list[int]": lambda v: isinstance(v, list) and all(map(_is_int, v)),
    "str": lambda v: isinstance(v, str),
    "float": _is_number,
    "int": _is_int,
    "int | None": lambda v: v is None or _is_int(v),
    "str | None": lambda v: v is None or isinstance(v, str),
}


def _config(path: str, data: Any) -> TrainConfig:
    """The TrainConfig of the JSON value ``data``: every field present, of its type, valid."""
    if not isinstance(data, dict):
        raise CheckpointError(path, f"config must be a JSON object, got {type(data).__name__}")
    names = [f.name for f in fields(TrainConfig)]
    missing, extra = [n for n in names if n not in data], sorted(set(data) - set(names))
    if missing or extra:
        raise CheckpointError(path, f"config has missing fields {missing} or unknown fields "
                              f"{str(extra)[:80]}")
    for f in fields(TrainConfig):
        if not _FIELD_CHECKS[str(f.type)](data[f.name]):
            raise CheckpointError(path, f"config field {f.name} must be {f.type}, got "
                                  f"{data[f.name]!r:.60}")
    config = TrainConfig(**data)
    try:
        config.validate()
        if config.seed < 0:
            raise ValueError(f"seed must be non-negative, got {config.seed}")
    except ValueError as exc:
        raise CheckpointError(path, f"config: {exc}") from None
    return config


def _layout(config: TrainConfig) -> dict[str, tuple[np.dtype[Any], tuple[int, ...]]]:
    """Every entry a checkpoint of ``config`` holds, with its dtype and shape (the string
    entries' dtype only says 'unicode'; velocity entries are optional, all or none)."""
    text, dtype = np.dtype("U"), np.dtype(config.dtype)
    layout = {"format": (text, ()), "epoch": (np.dtype(np.int64), ())}
    layout |= {key: (text, ()) for key in _JSON_KEYS}
    for i, (name, shape) in enumerate(parameter_shapes(config.sizes)):
        layout[name] = layout[f"velocity.{i}"] = (dtype, shape)
    return layout


def _check_entry(path: str, key: str, dtype: np.dtype[Any], shape: tuple[int, ...],
                 expected: tuple[np.dtype[Any], tuple[int, ...]]) -> None:
    want_dtype, want_shape = expected
    same_dtype = dtype.kind == "U" if want_dtype.kind == "U" else dtype == want_dtype
    if not same_dtype or tuple(shape) != want_shape:
        want = "a string" if want_dtype.kind == "U" else f"{want_dtype} {want_shape}"
        raise CheckpointError(path, f"{key} is {dtype} {tuple(shape)}, expected {want}")


def _check_names(path: str, names: set[str], layout: Mapping[str, Any]) -> None:
    required = {k for k in layout if not k.startswith("velocity.")}
    velocity = {k for k in layout if k.startswith("velocity.")}
    missing, extra = sorted(required - names), sorted(names - set(layout))
    if missing:
        raise CheckpointError(path, f"entries missing: {', '.join(missing)}")
    if extra:
        raise CheckpointError(path, f"unexpected entries: {', '.join(extra)[:200]}")
    present = names & velocity
    if present and present != velocity:
        absent = ", ".join(sorted(velocity - present))
        raise CheckpointError(path, f"momentum buffers missing: {absent} (a checkpoint holds "
                              "all of them or none)")


# --------------------------------------------------------------------------------------
# The values
# --------------------------------------------------------------------------------------


def _json(path: str, arrays: Mapping[str, np.ndarray], key: str) -> Any:
    try:
        return json.loads(str(arrays[key][()]))
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(path, f"{key} is not valid JSON ({exc})") from None


def _check_history(path: str, history: Any, epoch: int) -> dict[str, list[float]]:
    if not isinstance(history, dict) or set(history) != set(HISTORY_KEYS):
        got = sorted(history) if isinstance(history, dict) else type(history).__name__
        raise CheckpointError(path, f"history must map {list(HISTORY_KEYS)} to lists, got "
                              f"{got!s:.100}")
    for key, values in history.items():
        if not (isinstance(values, list) and all(map(_is_number, values))):
            raise CheckpointError(path, f"history[{key!r}] must be a list of numbers")
        # A run without a test set has shorter test lists (empty, or only for later epochs).
        if len(values) > epoch or (key not in _TEST_KEYS and len(values) != epoch):
            raise CheckpointError(path, f"history[{key!r}] has {len(values)} entries for "
                                  f"{epoch} completed epochs")
    if history["epoch"] != [float(e) for e in range(1, epoch + 1)]:
        raise CheckpointError(path, f"history['epoch'] is not 1..{epoch}")
    return history


def _check_progress(path: str, progress: Any, batches: dict[str, Any]) -> None:
    if not isinstance(progress, dict) or set(progress) != set(_PROGRESS_KEYS):
        raise CheckpointError(path, f"epoch_progress must have the fields "
                              f"{sorted(_PROGRESS_KEYS)}")
    for key, kind in _PROGRESS_KEYS.items():
        if not (_is_int if kind is int else _is_number)(progress[key]):
            raise CheckpointError(path, f"epoch_progress[{key!r}] must be a {kind.__name__}, "
                                  f"got {progress[key]!r:.60}")
    done, bs = progress["batches_done"], batches["batch_size"]
    if done != batches["batches_done"]:
        raise CheckpointError(path, f"epoch_progress says {done} mini-batches done, "
                              f"batch_iterator says {batches['batches_done']}")
    if not 0 <= progress["examples"] <= done * bs or not 0 <= progress["seconds"] < math.inf:
        raise CheckpointError(path, f"epoch_progress is inconsistent: {progress!s:.120}")


def _config_of(path: str, arrays: Mapping[str, np.ndarray]) -> TrainConfig:
    """The config of a checkpoint's entries, after checking that it is one (``format``)."""
    if "format" not in arrays:
        raise CheckpointError(path, "not a training checkpoint of nn.train (no 'format' entry)")
    if "config" not in arrays:
        raise CheckpointError(path, "entries missing: config")
    for key in ("format", "config"):
        value = np.asarray(arrays[key])
        _check_entry(path, key, value.dtype, value.shape, (np.dtype("U"), ()))
    if str(arrays["format"][()]) != CHECKPOINT_FORMAT:
        raise CheckpointError(path, f"not a training checkpoint of nn.train: format is "
                              f"{str(arrays['format'][()])!r:.60}, expected {CHECKPOINT_FORMAT!r}")
    return _config(path, _json(path, arrays, "config"))


def check_checkpoint(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]
                     ) -> Checkpoint:
    """Check the checkpoint entries ``arrays`` (as read from ``path``) completely; returns the
    :class:`Checkpoint`. Raises :class:`CheckpointError` naming the first problem."""
    path = os.fspath(path)
    config = _config_of(path, arrays)
    layout = _layout(config)
    _check_names(path, set(arrays), layout)
    for key, value in arrays.items():
        value = np.asarray(value)
        _check_entry(path, key, value.dtype, value.shape, layout[key])
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            bad = int(value.size - np.count_nonzero(np.isfinite(value)))
            raise CheckpointError(path, f"{key} holds {bad} NaN or infinite values (a diverged "
                                  "run? resuming it would only produce NaN: start again with a "
                                  "smaller learning rate)")
    epoch = int(arrays["epoch"])
    if epoch < 0:
        raise CheckpointError(path, f"epoch is {epoch}, expected a count >= 0")
    history = _check_history(path, _json(path, arrays, "history"), epoch)
    batches = _json(path, arrays, "batch_iterator")
    try:
        batches = BatchIterator.check_state_dict(batches)
    except ValueError as exc:
        raise CheckpointError(path, f"batch_iterator: {exc}") from None
    if batches["batch_size"] != config.batch_size or (
            config.limit is not None and batches["num_examples"] != config.limit):
        raise CheckpointError(path, "batch_iterator does not match the config's batch size "
                              "and limit")
    _check_progress(path, _json(path, arrays, "epoch_progress"), batches)
    return Checkpoint(path, config, epoch, history, {k: np.asarray(v) for k, v in arrays.items()})


# --------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------


def _entry_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, key: str
                  ) -> tuple[np.dtype[Any], tuple[int, ...]]:
    """The dtype and shape an entry's .npy header declares, checked against the bytes the
    entry holds — before anything is allocated for it."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CheckpointError(path, f"{key} uses an unsupported zip compression")
    ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _DEFLATE_MAX_RATIO
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise CheckpointError(path, f"{key} has unsupported .npy version {version}")
        offset = f.tell()
    if dtype.hasobject or dtype.kind not in "biufU" or dtype.fields is not None:
        raise CheckpointError(path, f"{key} has dtype {dtype}, which no checkpoint holds")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != info.file_size - offset or info.file_size > ratio * info.compress_size + 64:
        raise CheckpointError(path, f"{key} declares a {dtype} {shape} array ({nbytes} bytes) "
                              f"but holds {info.file_size - offset} (corrupt file?)")
    return dtype, tuple(shape)


def _read_entries(zf: zipfile.ZipFile, path: str, size: int) -> dict[str, np.ndarray]:
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy") or info.filename[:-4] in infos:
            raise CheckpointError(path, f"holds {info.filename!r:.80}, which is not an array "
                                  "entry of a checkpoint (or appears twice)")
        if info.compress_size > size:
            raise CheckpointError(path, f"{info.filename!r:.80} is larger than the file")
        infos[info.filename[:-4]] = info

    def load(key: str) -> np.ndarray:
        with zf.open(infos[key]) as f:
            array = np.lib.format.read_array(f, allow_pickle=False)
            f.read(1)  # to the end of the entry: zipfile checks its CRC there
        return array

    headers = {key: _entry_header(zf, info, path, key) for key, info in infos.items()}
    small = {}
    for key in ("format", "config"):  # the config says what the rest must be
        if key in infos:
            _check_entry(path, key, *headers[key], (np.dtype("U"), ()))
            small[key] = load(key)
    layout = _layout(_config_of(path, small))
    _check_names(path, set(infos), layout)
    for key, (dtype, shape) in headers.items():
        _check_entry(path, key, dtype, shape, layout[key])
    return {key: small[key] if key in small else load(key) for key in infos}


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and check a checkpoint written by :meth:`nn.train.Trainer.save_checkpoint`
    (``allow_pickle=False``; see :func:`check_checkpoint`).

    Raises ``FileNotFoundError`` if it does not exist and :class:`CheckpointError` (one line
    naming the file) if it is not a complete, consistent checkpoint: not a zip/npz file, a
    ``.npy`` file, truncated, with entries missing, extra, of the wrong dtype or shape, with
    non-finite weights, malformed JSON, or a config its arrays do not match.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            start = f.read(8)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise CheckpointError(path, "is a directory, not a checkpoint file") from None
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not start:
        raise CheckpointError(path, "is empty (0 bytes): not a readable .npz checkpoint")
    if start.startswith(b"\x93NUMPY"):
        raise CheckpointError(path, "is a .npy file (a single array), not a readable .npz "
                              "checkpoint")
    if not start.startswith(b"PK"):
        raise CheckpointError(path, f"is not a readable .npz checkpoint (it starts with "
                              f"{start!r}, not a zip signature)")
    try:
        with zipfile.ZipFile(path) as zf:
            arrays = _read_entries(zf, path, size)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
            NotImplementedError) as exc:
        raise CheckpointError(path, f"is not a readable .npz checkpoint: corrupt or truncated "
                              f"({str(exc)[:200]})") from None
    return check_checkpoint(path, arrays)
