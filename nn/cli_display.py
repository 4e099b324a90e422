"""What the training command line (:mod:`nn.cli`) shows while it runs: the progress bar, one
line per epoch, the summary, and what an interruption means for the run."""

from __future__ import annotations

import os
import time
from typing import IO

import numpy as np

from .train import Progress

__all__ = ["ProgressBar", "epoch_line", "interrupted_message", "script_command", "summary"]


def script_command(script: str) -> str:
    """How to run the Python file ``script`` from the current directory, for messages:
    ``python examples/train_mnist.py`` (relative if it lies below, else absolute)."""
    path = os.path.relpath(script)
    return f"python {os.path.abspath(script) if path.startswith(os.pardir) else path}"


class ProgressBar:
    """One status line on ``stream`` redrawn with carriage returns: epoch, bar, running cost,
    examples per second. Does nothing unless ``stream`` is a terminal."""

    def __init__(self, stream: IO[str], width: int = 24, interval: float = 0.1) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.width, self.interval = width, interval
        self.last = 0.0
        self.shown = 0  # length of the line on screen

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < self.interval and p.batch < p.batches:
            return
        self.last = now
        filled = round(self.width * p.batch / p.batches)
        rate = p.examples / p.seconds if p.seconds > 0 else 0.0
        text = (f"epoch {p.epoch}/{p.epochs} [{'#' * filled}{'.' * (self.width - filled)}] "
                f"{p.batch}/{p.batches} cost {p.loss:.4f} {rate:,.0f} ex/s")
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = len(text)

    def clear(self) -> None:
        if self.enabled and self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


def epoch_line(record: dict[str, float], epochs: int, n_train: int, n_test: int) -> str:
    """``epoch 3/30: train cost ..., test cost ..., test accuracy ...% (k/n), 1.2 s (...)``."""
    parts = [f"epoch {int(record['epoch'])}/{epochs}: train cost {record['train_loss']:.4f}"]
    if "test_accuracy" in record:
        acc = record["test_accuracy"]
        parts.append(f"test cost {record['test_loss']:.4f}")
        parts.append(f"test accuracy {100 * acc:.2f}% ({round(acc * n_test)}/{n_test})")
    rate = n_train / record["train_seconds"] if record["train_seconds"] > 0 else 0.0
    parts.append(f"{record['seconds']:.1f} s ({rate:,.0f} ex/s)")
    return ", ".join(parts)


def summary(history: dict[str, list[float]], n_train: int) -> str:
    """The best and final test accuracy and the time per epoch."""
    seconds = history.get("seconds", [])
    if not seconds:
        return "no epochs trained"
    lines = []
    acc = history.get("test_accuracy", [])
    if acc:
        best = int(np.argmax(acc))
        lines.append(f"best test accuracy {100 * acc[best]:.2f}% at epoch {best + 1} "
                     f"(final {100 * acc[-1]:.2f}%)")
    train_s = sum(history.get("train_seconds", seconds))
    rate = n_train * len(seconds) / train_s if train_s > 0 else 0.0
    plural = "s" if len(seconds) != 1 else ""
    lines.append(f"{len(seconds)} epoch{plural}, {np.mean(seconds):.2f} s per epoch "
                 f"({rate:,.0f} training examples/s)")
    return "summary: " + "; ".join(lines)


def interrupted_message(
    *,
    done: int,
    epochs: int,
    batch: int,
    batches: int,
    checkpoint: str | None,
    saved: bool,
    command: str,
    stage: str = "evaluating and saving the last epoch",
) -> str:
    """What a Ctrl-C meant for the run, and what to do next.

    ``done`` epochs of ``epochs`` were complete, ``batch`` of ``batches`` mini-batches of the
    next one; ``checkpoint`` is the ``--checkpoint`` path (None if none was given), ``saved``
    whether the state at the interruption was written there; ``command`` re-runs the program.
    ``stage`` says what was going on if training had already finished ("while ...").
    """
    if done >= epochs:
        where = (f"interrupted after training finished ({done} of {epochs} epochs), while "
                 f"{stage}")
        if checkpoint is None:
            return f"{where}; nothing was saved (no --checkpoint)"
        if saved:
            return f"{where}; checkpoint {checkpoint} is complete ({done} epochs)"
        return (f"{where}, before the last save could finish (second Ctrl-C); {checkpoint} may "
                f"hold the state after epoch {done - 1}: resume it to redo epoch {done}")
    where = f"interrupted in epoch {done + 1} after {batch}/{batches} mini-batches"
    if saved:
        return (f"{where}; state saved to {checkpoint}. Resume with:\n"
                f"  {command} --checkpoint {checkpoint} --resume")
    if checkpoint is not None:
        return (f"{where}, before the state could be saved (second Ctrl-C); the last "
                f"checkpoint in {checkpoint} is kept")
    return f"{where}; nothing saved (use --checkpoint PATH to be able to resume)"
