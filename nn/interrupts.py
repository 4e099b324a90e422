"""Stopping training cleanly on Ctrl-C: :class:`DeferredInterrupts` holds SIGINT back until
the loop is at a consistent point, and :class:`TrainingInterrupted` tells where it stopped.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["DeferredInterrupts", "TrainingInterrupted"]


class TrainingInterrupted(KeyboardInterrupt):
    """Raised by :meth:`nn.train.Trainer.fit` on Ctrl-C (or a ``KeyboardInterrupt`` from a
    callback).

    ``checkpoint`` is the path the current state was saved to (None if none was given, or if
    the interrupt came in the middle of a parameter update: then the last checkpoint written
    stays); ``epoch`` and ``batch`` tell where training stopped (epoch counted from 1,
    ``batch`` mini-batches of ``batches`` done in it).
    """

    def __init__(self, checkpoint: str | None, epoch: int, batch: int, batches: int) -> None:
        super().__init__(f"interrupted in epoch {epoch} after {batch}/{batches} mini-batches")
        self.checkpoint, self.epoch, self.batch, self.batches = checkpoint, epoch, batch, batches


class DeferredInterrupts:
    """Ctrl-C held back until the loop reaches a point where the state is consistent.

    Installed (:meth:`installed`) only in the main thread and only when SIGINT has Python's
    default handler. The first Ctrl-C is recorded and raised by :meth:`check` (called where the
    state is consistent, e.g. after each mini-batch); a second one raises at once, after calling
    ``on_forced`` (to mark the state as possibly inconsistent).
    """

    def __init__(self, on_forced: Callable[[], None]) -> None:
        self.on_forced = on_forced
        self.pending = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.pending:
            self.on_forced()
            raise KeyboardInterrupt
        self.pending = True

    def check(self) -> None:
        """Raise the ``KeyboardInterrupt`` held back, if any."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self, enabled: bool) -> Iterator[DeferredInterrupts]:
        """``with interrupts.installed(enabled): ...`` — the SIGINT handler is in place inside."""
        if not (enabled and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            yield self
            return
        old = signal.signal(signal.SIGINT, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, old)
