"""Training an ``MLP`` with mini-batch SGD: the loop, evaluation and exact checkpoints.

The pieces, each usable alone:

* :class:`TrainConfig`: everything that defines a run (architecture, cost, optimiser, data);
* :func:`build_model`: the ``MLP`` a config describes;
* :func:`evaluate`: mean cost, accuracy and predictions on a labelled set, in batches, under
  ``no_grad``;
* :class:`Trainer`: one run — the model, its update rule (``engine``), the seeded mini-batch
  order, the history — with :meth:`Trainer.fit`, :meth:`Trainer.save_checkpoint` and
  :meth:`Trainer.load_checkpoint`;
* :func:`read_checkpoint`, :func:`compare_configs`: inspect a checkpoint before resuming.

Update rule (both engines). Costs are batch *means*, so with η = ``lr``, μ = ``momentum`` and
λ = ``weight_decay`` (Nielsen's chapter-3 L2 parameter) on a training set of n examples::

    v ← μ·v + ∂C/∂w + (λ/n)·w        (λ/n only for weights: biases are not decayed)
    w ← w − η·v                      (μ = 0: w ← w − η·(∂C/∂w + (λ/n)·w), the texts' rule)

``engine="autodiff"`` gets ∂C/∂w from ``backward()`` and updates with :class:`nn.SGD` (parameter
groups ``[{"params": weights, "weight_decay": λ/n}, {"params": biases}]``).
``engine="formulas"`` gets it from the hand-derived :func:`nn.backprop.backprop_batched` (no
autodiff) and applies the same :class:`nn.SGD` update, so a checkpoint can be resumed with
either engine.

Checkpoints are ``.npz`` files readable with ``allow_pickle=False``, written atomically (a
temporary file in the same directory, then ``os.replace``). They hold the weights ``W0, b0, ...``,
the momentum buffers ``velocity.i``, the number of completed epochs, the mini-batch iterator's
random state and position, the partial sums of an unfinished epoch, the history and the config
(JSON strings). Resuming from one continues bit for bit: the resumed run ends with exactly the
weights of an uninterrupted run. A checkpoint of another architecture (sizes, activation, cost,
dtype) or of another data set-up (dataset, limit, batch size) is refused with a ``ValueError``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from autograd_mini import Tensor, no_grad

from . import backprop
from .costs import COSTS, get_cost, one_hot, output_cost
from .data import BatchIterator
from .files import atomic_file
from .init import INITS
from .layers import ACTIVATIONS, MLP
from .optim import SGD

__all__ = [
    "ARCH_KEYS",
    "CHECKPOINT_FORMAT",
    "DATA_KEYS",
    "ENGINES",
    "Checkpoint",
    "Evaluation",
    "Progress",
    "TrainConfig",
    "Trainer",
    "TrainingInterrupted",
    "build_model",
    "compare_configs",
    "evaluate",
    "read_checkpoint",
    "write_npz_atomic",
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
CHECKPOINT_FORMAT = "autograd-mini-train/1"
HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "train_seconds")


# --------------------------------------------------------------------------------------
# Configuration and model
# --------------------------------------------------------------------------------------


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
        if self.cost not in COSTS:
            raise ValueError(f"unknown cost {self.cost!r}; choose from {list(COSTS)}")
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
        """The last layer's activation implied by ``cost``."""
        return {"cross-entropy": "sigmoid", "softmax": "identity"}.get(self.cost, self.activation)

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
            notes.append(f"data_dir changed from {_show(old)} to {_show(new)}")
        elif k in IGNORED_ON_RESUME:
            notes.append(f"{k} {_show(new)} ignored: weights and random state come from "
                         f"{source} ({k} {_show(old)})")
        elif k != "epochs":
            notes.append(f"{k} changed from {_show(old)} to {_show(new)}: the run will differ "
                         "from an uninterrupted one")
    return notes


def _differences(saved: TrainConfig, requested: TrainConfig, keys: Any) -> str:
    """"key old vs new" for each of ``keys`` on which the two configurations differ."""
    return ", ".join(f"{k} {_show(getattr(saved, k))} vs {_show(getattr(requested, k))}"
                     for k in keys if getattr(saved, k) != getattr(requested, k))


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "-".join(map(str, value))
    return repr(value) if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


class Evaluation(NamedTuple):
    """Result of :func:`evaluate`: mean ``cost`` over the examples, ``accuracy`` (a fraction),
    the number ``correct`` and the predicted class of every example."""

    cost: float
    accuracy: float
    correct: int
    predictions: np.ndarray


def evaluate(
    model: MLP, x: np.ndarray, labels: np.ndarray, cost: str, batch_size: int = 1000
) -> Evaluation:
    """Mean ``cost`` and accuracy (argmax of the output = label) of ``model`` on ``x`` with
    integer ``labels``, ``batch_size`` examples at a time under ``no_grad``.

    ``cost="cross-entropy"`` needs a sigmoid output layer; ``"softmax"`` treats the output
    layer's z as logits.
    """
    get_cost(cost)
    if cost == "cross-entropy" and model.layers[-1].activation != "sigmoid":
        raise ValueError("evaluate: the cross-entropy cost needs a sigmoid output layer, got "
                         f"{model.layers[-1].activation!r}")
    labels = np.asarray(labels)
    n = len(labels)
    if len(x) != n:
        raise ValueError(f"evaluate: {len(x)} examples but {n} labels")
    if n == 0:
        raise ValueError("evaluate: no examples")
    dtype = model.layers[0].weight.dtype
    predictions = np.empty(n, dtype=np.int64)
    total = 0.0
    with no_grad():
        for start in range(0, n, batch_size):
            xb = np.asarray(x[start:start + batch_size], dtype=dtype)
            yb = labels[start:start + batch_size]
            zs, acts = model.forward_all(xb)
            total += output_cost(cost, zs[-1], acts[-1], yb).item() * len(xb)
            predictions[start:start + len(xb)] = np.argmax(acts[-1].data, axis=1)
    correct = int(np.count_nonzero(predictions == labels))
    return Evaluation(total / n, correct / n, correct, predictions)


# --------------------------------------------------------------------------------------
# Update rules
# --------------------------------------------------------------------------------------


class _AutodiffEngine:
    """Gradients by ``backward()``, update by :class:`nn.SGD`."""

    def __init__(self, model: MLP, config: TrainConfig, n_train: int) -> None:
        self.model = model
        self.cost_name = config.cost
        self.cost_fn = get_cost(config.cost)
        self.optimizer = SGD(
            [{"params": model.weights(), "weight_decay": config.weight_decay / n_train},
             {"params": model.biases()}],
            lr=config.lr, momentum=config.momentum,
        )

    def gradients(self, xb: np.ndarray, yb: np.ndarray) -> float:
        loss = self.cost_fn(self.model(xb), yb)
        self.optimizer.zero_grad()
        loss.backward()
        return float(loss.item())

    def update(self) -> None:
        self.optimizer.step()

    def state_dict(self) -> dict[str, np.ndarray]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.optimizer.load_state_dict(state)


class _FormulaEngine(_AutodiffEngine):
    """Gradients by the hand-derived BP1–BP4 (:func:`nn.backprop.backprop_batched`), no
    autodiff; the update is the same :class:`nn.SGD` step as for the autodiff engine."""

    def gradients(self, xb: np.ndarray, yb: np.ndarray) -> float:
        layers = self.model.layers
        grads = backprop.backprop_batched(
            [(layer.weight.data, layer.bias.data) for layer in layers],
            self.model.activations, xb, yb, self.cost_name)
        for layer, g_w, g_b in zip(layers, grads.weights, grads.biases, strict=True):
            layer.weight.grad, layer.bias.grad = Tensor(g_w), Tensor(g_b)
        return float(grads.cost)


def _make_engine(model: MLP, config: TrainConfig, n_train: int) -> Any:
    cls = _AutodiffEngine if config.engine == "autodiff" else _FormulaEngine
    return cls(model, config, n_train)


# --------------------------------------------------------------------------------------
# Checkpoint files
# --------------------------------------------------------------------------------------


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
    """Read a checkpoint written by :meth:`Trainer.save_checkpoint` (``allow_pickle=False``).

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


def _json_array(value: Any) -> np.ndarray:
    return np.array(json.dumps(value, sort_keys=True))


# --------------------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------------------


class Progress(NamedTuple):
    """What an ``on_batch`` callback is told after each mini-batch update."""

    epoch: int  # the epoch in progress, counted from 1
    epochs: int  # the epoch the run stops after
    batch: int  # mini-batches done in this epoch
    batches: int  # mini-batches per epoch
    examples: int  # examples trained on in this epoch
    loss: float  # running mean cost over this epoch's examples so far
    seconds: float  # training time spent on this epoch so far


class TrainingInterrupted(KeyboardInterrupt):
    """Raised by :meth:`Trainer.fit` on Ctrl-C (or a ``KeyboardInterrupt`` from a callback).

    ``checkpoint`` is the path the current state was saved to (None if none was given, or if
    the interrupt came in the middle of a parameter update: then the last checkpoint written
    stays); ``epoch`` and ``batch`` tell where training stopped (epoch counted from 1,
    ``batch`` mini-batches of ``batches`` done in it).
    """

    def __init__(self, checkpoint: str | None, epoch: int, batch: int, batches: int) -> None:
        super().__init__(f"interrupted in epoch {epoch} after {batch}/{batches} mini-batches")
        self.checkpoint, self.epoch, self.batch, self.batches = checkpoint, epoch, batch, batches


class _Interrupts:
    """Ctrl-C held back until the loop reaches a point where the state is consistent.

    Installed only in the main thread and only when SIGINT has Python's default handler. The
    first Ctrl-C is recorded and raised by :meth:`check` (called after each mini-batch); a
    second one raises at once, and the state is then treated as possibly inconsistent.
    """

    def __init__(self, owner: Trainer) -> None:
        self.owner = owner
        self.pending = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.pending:
            self.owner._consistent = False
            raise KeyboardInterrupt
        self.pending = True

    def check(self) -> None:
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self, enabled: bool) -> Iterator[_Interrupts]:
        if not (enabled and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            yield self
            return
        old = signal.signal(signal.SIGINT, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, old)


class Trainer:
    """One training run of the network ``config`` describes, on ``x_train``/``y_train``.

    ``x_*`` are (N, n_in) float arrays, ``y_*`` integer labels (N,). Only the first
    ``config.limit`` training examples are used (all if None); n, in the weight decay λ/n, is
    their number. The test set, if given, is evaluated after every epoch. The initial weights
    and the mini-batch order come from two streams spawned from ``config.seed``.

    Attributes: ``model`` (the ``MLP``), ``epoch`` (completed epochs), ``history`` (lists per
    epoch: ``epoch``, ``train_loss`` — the mean cost of the epoch's mini-batches as they were
    trained, without the L2 term —, ``test_loss``, ``test_accuracy``, ``seconds`` — the
    epoch's wall time, evaluation included —, ``train_seconds``), ``n_train``, ``batches``.
    """

    def __init__(
        self,
        config: TrainConfig,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_test: np.ndarray | None = None,
        y_test: np.ndarray | None = None,
        eval_batch_size: int = 1000,
    ) -> None:
        config.validate()
        self.config = config
        self.dtype = np.dtype(config.dtype)
        if config.limit is not None:
            if config.limit > len(x_train):
                raise ValueError(f"limit {config.limit} exceeds the {len(x_train)} training "
                                 "examples")
            x_train, y_train = x_train[:config.limit], y_train[:config.limit]
        x_train = np.asarray(x_train, dtype=self.dtype)
        y_train = np.asarray(y_train)
        n_in, n_out = config.sizes[0], config.sizes[-1]
        for name, x, y in (("training", x_train, y_train), ("test", x_test, y_test)):
            if x is None:
                continue
            if np.ndim(x) != 2 or np.shape(x)[1] != n_in:
                raise ValueError(f"{name} inputs have shape {np.shape(x)}, but the network "
                                 f"takes {n_in} inputs (sizes {_show(config.sizes)})")
            y = np.asarray(y)
            if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
                raise ValueError(f"{name} labels must be {len(x)} integers, got {y.dtype} of "
                                 f"shape {y.shape}")
            if len(y) and (y.min() < 0 or y.max() >= n_out):
                raise ValueError(f"{name} labels lie in {y.min()}..{y.max()}, but the network "
                                 f"has {n_out} outputs")
        if len(x_train) == 0:
            raise ValueError("no training examples")
        self.x_train, self.y_train = x_train, y_train
        self.x_test = None if x_test is None else np.asarray(x_test, dtype=self.dtype)
        self.y_test = None if y_test is None else np.asarray(y_test)
        self.eval_batch_size = eval_batch_size
        self.n_train = len(x_train)

        init_seed, batch_seed = np.random.SeedSequence(config.seed).spawn(2)
        self.model = build_model(config, np.random.default_rng(init_seed))
        self.engine = _make_engine(self.model, config, self.n_train)
        targets = one_hot(y_train, n_out, self.dtype)
        self.batches = BatchIterator(x_train, targets, config.batch_size, shuffle=True,
                                     seed=np.random.default_rng(batch_seed))
        self.epoch = 0
        self.history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self.last_eval: Evaluation | None = None
        # The epoch in progress: its start state, and what has been done of it.
        self._epoch_start: dict[str, Any] | None = None
        self._steps = 0
        self._loss_sum = 0.0
        self._seen = 0
        self._seconds = 0.0
        self._consistent = True  # False while parameters and counters are being updated

    @property
    def batches_done(self) -> int:
        """Mini-batches done in the epoch in progress (0 between epochs)."""
        return self._steps

    # -- one update ---------------------------------------------------------------------

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """One update on the mini-batch ``xb`` with one-hot targets ``yb``; returns its cost
        (before the update). Does not count towards an epoch: :meth:`fit` does that."""
        loss = self.engine.gradients(xb, yb)
        self.engine.update()
        return loss

    # -- epochs ---------------------------------------------------------------------------

    def _train_batches(self, total: int, on_batch: Callable[[Progress], Any] | None,
                       interrupts: _Interrupts) -> None:
        # The iterator's state before this epoch's permutation (after a resume: with the
        # number of batches to skip), so that a mid-epoch checkpoint can replay it.
        self._epoch_start = self.batches.state_dict()
        n_batches = len(self.batches)
        start = time.perf_counter() - self._seconds
        for xb, yb in self.batches:
            loss = self.engine.gradients(xb, yb)
            self._consistent = False
            self.engine.update()
            self._steps += 1
            self._loss_sum += loss * len(xb)
            self._seen += len(xb)
            self._seconds = time.perf_counter() - start
            self._consistent = True
            if on_batch is not None:
                on_batch(Progress(self.epoch + 1, total, self._steps, n_batches, self._seen,
                                  self._loss_sum / self._seen, self._seconds))
            interrupts.check()

    def _finish_epoch(self, eval_start: float) -> dict[str, float]:
        record = {"epoch": float(self.epoch + 1),
                  "train_loss": self._loss_sum / max(self._seen, 1),
                  "train_seconds": self._seconds}
        if self.x_test is not None and self.y_test is not None:
            self.last_eval = evaluate(self.model, self.x_test, self.y_test, self.config.cost,
                                      self.eval_batch_size)
            record["test_loss"] = self.last_eval.cost
            record["test_accuracy"] = self.last_eval.accuracy
        record["seconds"] = self._seconds + (time.perf_counter() - eval_start)
        # State changes, all at once, after everything that could fail.
        for key, value in record.items():
            self.history.setdefault(key, []).append(value)
        self.epoch += 1
        self._epoch_start = None
        self._steps, self._loss_sum, self._seen, self._seconds = 0, 0.0, 0, 0.0
        return record

    def fit(
        self,
        epochs: int | None = None,
        *,
        checkpoint: str | os.PathLike[str] | None = None,
        on_batch: Callable[[Progress], Any] | None = None,
        on_epoch: Callable[[dict[str, float]], Any] | None = None,
        handle_sigint: bool = True,
    ) -> dict[str, list[float]]:
        """Train until ``epochs`` epochs in all are done (default ``config.epochs``; a resumed
        run continues where it stopped). Returns the history.

        After each epoch the test set is evaluated, ``on_epoch(record)`` is called with the
        epoch's history entries, and if ``checkpoint`` is a path the state is saved there.
        ``on_batch(Progress)`` is called after every mini-batch update.

        Ctrl-C — or a ``KeyboardInterrupt`` raised by a callback — stops training at the end
        of the current mini-batch (with ``handle_sigint`` the signal is held back until then),
        saves the state to ``checkpoint`` (the unfinished epoch too: resuming replays it
        exactly) and raises :class:`TrainingInterrupted`.
        """
        total = self.config.epochs if epochs is None else int(epochs)
        interrupts = _Interrupts(self)
        with interrupts.installed(handle_sigint):
            try:
                while self.epoch < total:
                    self._train_batches(total, on_batch, interrupts)
                    record = self._finish_epoch(time.perf_counter())
                    if checkpoint is not None:
                        self.save_checkpoint(checkpoint)
                    if on_epoch is not None:
                        on_epoch(record)
                    interrupts.check()
            except KeyboardInterrupt as exc:
                saved = None
                if checkpoint is not None and self._consistent:
                    self.save_checkpoint(checkpoint)
                    saved = os.fspath(checkpoint)
                raise TrainingInterrupted(saved, self.epoch + 1, self._steps,
                                          len(self.batches)) from exc
        return self.history

    # -- checkpoints --------------------------------------------------------------------

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Everything a checkpoint holds, as arrays (strings hold JSON)."""
        arrays: dict[str, np.ndarray] = {
            "format": np.array(CHECKPOINT_FORMAT),
            "config": np.array(self.config.to_json()),
            "epoch": np.array(self.epoch, dtype=np.int64),
            "history": _json_array(self.history),
        }
        for i, layer in enumerate(self.model.layers):
            arrays[f"W{i}"] = layer.weight.data.copy()
            arrays[f"b{i}"] = layer.bias.data.copy()
        arrays.update(self.engine.state_dict())
        if self._epoch_start is not None:  # in the middle of an epoch: replay its order
            batches = {**self._epoch_start, "batches_done": self._steps}
        else:
            batches = self.batches.state_dict()
        arrays["batch_iterator"] = _json_array(batches)
        arrays["epoch_progress"] = _json_array({
            "batches_done": self._steps, "loss_sum": self._loss_sum, "examples": self._seen,
            "seconds": self._seconds,
        })
        return arrays

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write the current state to ``path`` (atomically, ``.npz`` format)."""
        return write_npz_atomic(path, self.state_arrays())

    def load_checkpoint(self, checkpoint: str | os.PathLike[str] | Checkpoint) -> list[str]:
        """Restore the state saved in ``checkpoint`` (a path or a :class:`Checkpoint`).

        Raises ``ValueError`` if it was saved for another architecture or data set-up (see
        :func:`compare_configs`); returns notes about other config differences. The config
        of this trainer (learning rate, engine, ...) is kept.
        """
        ck = checkpoint if isinstance(checkpoint, Checkpoint) else read_checkpoint(checkpoint)
        notes = compare_configs(ck.config, self.config, f"checkpoint {ck.path}")
        a = ck.arrays
        for i, layer in enumerate(self.model.layers):
            for name, param in ((f"W{i}", layer.weight), (f"b{i}", layer.bias)):
                if name not in a:
                    raise ValueError(f"checkpoint {ck.path} has no array {name}")
                if a[name].shape != param.shape or a[name].dtype != param.dtype:
                    raise ValueError(
                        f"checkpoint {ck.path}: {name} is {a[name].dtype} {a[name].shape}, the "
                        f"model needs {param.dtype} {param.shape}"
                    )
        # Validate everything before changing anything.
        batches = ck.load_json("batch_iterator")
        progress = ck.load_json("epoch_progress")
        velocity = {k: v for k, v in a.items() if k.startswith("velocity.")}
        probe = BatchIterator(self.x_train, self.y_train, self.config.batch_size)
        probe.load_state_dict(batches)

        for i, layer in enumerate(self.model.layers):
            layer.weight.data[...] = a[f"W{i}"]
            layer.bias.data[...] = a[f"b{i}"]
        self.engine.load_state_dict(velocity)
        self.batches.load_state_dict(batches)
        self.epoch = ck.epoch
        self.history = {k: list(v) for k, v in ck.history.items()}
        self._epoch_start = None
        self._steps = int(progress["batches_done"])
        self._loss_sum = float(progress["loss_sum"])
        self._seen = int(progress["examples"])
        self._seconds = float(progress["seconds"])
        return notes
