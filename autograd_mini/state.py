"""What the engine is doing right now: whether it records, and who is watching.

Three pieces of state steer every operation:

* ``grad_enabled`` — whether operations on Tensors are recorded for the backward sweep
  (switched by ``no_grad`` / ``enable_grad`` in ``grad_mode.py``);
* ``observers`` — objects told about each recorded operation and each step of the backward
  sweep. Forward mode (``tangents.py``), operation counting (``counting.py``) and the
  step-by-step traces of ``viz`` are observers. When there are none — the usual case — the
  recording path and the sweep pay one attribute test for all of them together;
* ``shared.hooked`` — how many tensors have gradient hooks (``Tensor.register_hook``): the sweep
  looks for hooks on the tensors it reaches only when there are some.

Grad mode and observers are per thread, as PyTorch's grad mode is: a thread evaluating under
``no_grad`` while another trains does not switch recording off for the trainer, and a
``count_ops`` or forward mode in one thread sees nothing of another's operations. A new thread
starts recording, with no observers. Hooks belong to tensors, whichever thread runs the sweep.

This is the bottom of the engine: it imports nothing from the package.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Observer:
    """Something that watches the engine work. Subclass it and override what you need.

    ``recorded`` is called after every primitive applied to Tensors (recording or not);
    ``tangent_rule`` when forward mode applies a jvp rule; ``visited`` when the backward sweep
    reaches a tensor with its total gradient; ``sent`` after each reverse rule, with the gradient
    it sent to one input (already summed back to that input's shape).
    """

    def recorded(self, out: Any, prim: Any, args: tuple, raw: tuple, params: dict) -> None:
        """``out = prim(*args, **params)`` was computed; ``raw`` are the arguments' values."""

    def tangent_rule(self, prim: Any, argnum: int) -> None:
        """Forward mode pushed the tangent of argument ``argnum`` through ``prim``."""

    def visited(self, tensor: Any, grad: Any) -> None:
        """The backward sweep reached ``tensor``; ``grad`` is all the gradient it will get (as
        its hooks left it, if it has any)."""

    def sent(self, tensor: Any, argnum: int, to: Any, grad: Any) -> None:
        """The reverse rule of ``tensor``'s operation for argument ``argnum`` sent ``grad`` to
        the input ``to``."""


class _State(threading.local):
    """The engine's mode, one per thread; see the module docstring. (The class attributes are
    what every thread starts with.) ``quiet`` is True in the usual case — recording on, no
    observers."""

    grad_enabled = True
    observers: tuple[Observer, ...] = ()
    quiet = True

    def set_grad(self, grad_enabled: bool) -> bool:
        """Switch recording on or off (``no_grad``); returns the previous setting."""
        was = self.grad_enabled
        if grad_enabled != was:
            self.set(grad_enabled, self.observers)
        return was

    def set(self, grad_enabled: bool, observers: tuple[Observer, ...]) -> None:
        """Change the mode (the one place that does, so that ``quiet`` stays true to it)."""
        was = self.quiet
        self.grad_enabled = grad_enabled
        self.observers = observers
        self.quiet = quiet = grad_enabled and not observers
        if quiet != was:  # (a set's add and discard are atomic: no lock is needed)
            if quiet:
                shared.loud.discard(_thread_id())
            else:
                shared.loud.add(_thread_id())


class _Shared:
    """What all threads share: a tensor's hooks run whichever thread backpropagates it; and
    ``loud``, the threads that are not quiet — while there are none, the recording path knows
    its thread is quiet without reading the thread-local state (a third of the cost of a
    look)."""

    __slots__ = ("hooked", "loud")

    def __init__(self) -> None:
        self.hooked = 0  # how many tensors have gradient hooks (hooks.py)
        self.loud: set[int] = set()  # thread identifiers


state = _State()
shared = _Shared()
_thread_id = threading.get_ident


@contextmanager
def observing(observer: Observer) -> Iterator[Observer]:
    """``with observing(obs): ...`` — ``obs`` is told about every operation inside."""
    prev = state.observers
    state.set(state.grad_enabled, prev + (observer,))
    try:
        yield observer
    finally:
        state.set(state.grad_enabled, prev)
