"""Training an ``MLP`` with mini-batch SGD: the loop, evaluation and the two update engines.

The pieces, each usable alone:

* :func:`evaluate`: mean cost, accuracy and predictions on a labelled set, in batches, under
  ``no_grad``;
* :class:`Trainer`: one run — the model, its update rule (``engine``), the seeded mini-batch
  order, the history — with :meth:`Trainer.fit`, :meth:`Trainer.save_checkpoint` and
  :meth:`Trainer.load_checkpoint`.

The run is defined by a :class:`~nn.train_config.TrainConfig` (:mod:`nn.train_config`, with
:func:`build_model` and :func:`compare_configs`); checkpoints are files of
:mod:`nn.checkpoint` (:func:`read_checkpoint` inspects one before resuming); Ctrl-C is held back
by :mod:`nn.interrupts`. Those names are importable from here too, as before.

Update rule (both engines). Costs are batch *means*, so with η = ``lr``, μ = ``momentum`` and
λ = ``weight_decay`` (Nielsen's chapter-3 L2 parameter) on a training set of n examples::

    v ← μ·v + ∂C/∂w + (λ/n)·w        (λ/n only for weights: biases are not decayed)
    w ← w − η·v                      (μ = 0: w ← w − η·(∂C/∂w + (λ/n)·w), the texts' rule)

``engine="autodiff"`` gets ∂C/∂w from ``backward()`` and updates with :class:`nn.SGD` (parameter
groups ``[{"params": weights, "weight_decay": λ/n}, {"params": biases}]``).
``engine="formulas"`` gets it from the hand-derived :func:`nn.backprop.backprop_batched` (no
autodiff) and applies the same :class:`nn.SGD` update, so a checkpoint can be resumed with
either engine.

Resuming from a checkpoint continues bit for bit: the resumed run ends with exactly the weights
of an uninterrupted run. A checkpoint of another architecture (sizes, activation, cost, dtype) or
of another data set-up (dataset, limit, batch size), or a malformed one, is refused with a
:class:`~nn.checkpoint.CheckpointError` (a ``ValueError``) and nothing is loaded.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from autograd_mini import Tensor, no_grad

from . import backprop
from .checkpoint import (
    CHECKPOINT_FORMAT,
    HISTORY_KEYS,
    Checkpoint,
    CheckpointError,
    check_checkpoint,
    json_array,
    read_checkpoint,
    write_npz_atomic,
)
from .costs import check_output_activation, cost_spec, output_cost
from .datasets.batches import BatchIterator
from .interrupts import DeferredInterrupts, TrainingInterrupted
from .layers import MLP
from .optim import SGD
from .targets import one_hot
from .train_config import (
    ARCH_KEYS,
    DATA_KEYS,
    DTYPES,
    ENGINES,
    IGNORED_ON_RESUME,
    TrainConfig,
    build_model,
    compare_configs,
    show_value,
)

__all__ = [
    "ARCH_KEYS", "CHECKPOINT_FORMAT", "DATA_KEYS", "DTYPES", "ENGINES", "IGNORED_ON_RESUME",
    "Checkpoint", "CheckpointError", "Evaluation", "Progress", "TrainConfig", "Trainer",
    "TrainingInterrupted", "build_model", "compare_configs", "evaluate", "read_checkpoint",
    "write_npz_atomic",
]


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
    cost_spec(cost)
    check_output_activation(cost, model.layers[-1].activation, "evaluate")
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
        self.optimizer = SGD(
            [{"params": model.weights(), "weight_decay": config.weight_decay / n_train},
             {"params": model.biases()}],
            lr=config.lr, momentum=config.momentum,
        )

    def gradients(self, xb: np.ndarray, yb: np.ndarray) -> float:
        zs, acts = self.model.forward_all(xb)
        loss = output_cost(self.cost_name, zs[-1], acts[-1], yb)
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
                                 f"takes {n_in} inputs (sizes {show_value(config.sizes)})")
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

    def _mark_inconsistent(self) -> None:
        # A second Ctrl-C raises wherever the loop is: possibly inside an update.
        self._consistent = False

    # -- one update ---------------------------------------------------------------------

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """One update on the mini-batch ``xb`` with one-hot targets ``yb``; returns its cost
        (before the update). Does not count towards an epoch: :meth:`fit` does that."""
        loss = self.engine.gradients(xb, yb)
        self.engine.update()
        return loss

    # -- epochs ---------------------------------------------------------------------------

    def _train_batches(self, total: int, on_batch: Callable[[Progress], Any] | None,
                       interrupts: DeferredInterrupts) -> None:
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
        interrupts = DeferredInterrupts(on_forced=self._mark_inconsistent)
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
            "history": json_array(self.history),
        }
        for i, layer in enumerate(self.model.layers):
            arrays[f"W{i}"] = layer.weight.data.copy()
            arrays[f"b{i}"] = layer.bias.data.copy()
        arrays.update(self.engine.state_dict())
        if self._epoch_start is not None:  # in the middle of an epoch: replay its order
            batches = {**self._epoch_start, "batches_done": self._steps}
        else:
            batches = self.batches.state_dict()
        arrays["batch_iterator"] = json_array(batches)
        arrays["epoch_progress"] = json_array({
            "batches_done": self._steps, "loss_sum": self._loss_sum, "examples": self._seen,
            "seconds": self._seconds,
        })
        return arrays

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write the current state to ``path`` (atomically, ``.npz`` format)."""
        return write_npz_atomic(path, self.state_arrays())

    def load_checkpoint(self, checkpoint: str | os.PathLike[str] | Checkpoint) -> list[str]:
        """Restore the state saved in ``checkpoint`` (a path or a :class:`Checkpoint`), all or
        nothing: everything is checked before anything changes.

        Raises :class:`CheckpointError` (a ``ValueError``; one line naming the file) if the
        file is not a complete, consistent checkpoint (see :func:`read_checkpoint`), or was
        saved for another architecture or data set-up (see :func:`compare_configs`); then
        this trainer is unchanged. Returns notes about other config differences. The config
        of this trainer (learning rate, engine, ...) is kept.
        """
        if isinstance(checkpoint, Checkpoint):
            ck = check_checkpoint(checkpoint.path, checkpoint.arrays)
        else:
            ck = read_checkpoint(checkpoint)
        try:
            notes = compare_configs(ck.config, self.config, f"checkpoint {ck.path}")
        except ValueError as exc:
            raise CheckpointError(ck.path, str(exc), message=str(exc)) from None
        a = ck.arrays
        batches = ck.load_json("batch_iterator")
        progress = ck.load_json("epoch_progress")
        velocity = {k: v for k, v in a.items() if k.startswith("velocity.")}
        try:  # against this trainer's data and parameters
            probe = BatchIterator(self.x_train, self.y_train, self.config.batch_size)
            probe.load_state_dict(batches)
            self.engine.optimizer.check_state_dict(velocity)
        except (KeyError, ValueError) as exc:
            raise CheckpointError(ck.path, str(exc.args[0])) from None

        # Everything checked: nothing below can fail.
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
