"""Grad mode: ``no_grad`` and ``enable_grad`` switch the recording of operations off and on.

Each works as a context manager (``with no_grad(): ...``) and as a decorator (``@no_grad()`` or
``@no_grad``), as in PyTorch. A decorated generator function runs in the mode each time it is
resumed, and gives the caller's mode back each time it yields.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator

from .state import state


def is_grad_enabled() -> bool:
    """Whether operations on Tensors are currently recorded."""
    return state.grad_enabled


class set_grad_enabled:
    """Context manager and decorator that switches recording on or off."""

    __slots__ = ("mode", "prev")

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev: list[bool] = []  # a stack: the same object may be entered again inside

    def __enter__(self) -> None:
        self.prev.append(state.set_grad(self.mode))

    def __exit__(self, *exc: object) -> None:
        state.set_grad(self.prev.pop())

    def __call__(self, func: Callable) -> Callable:
        mode = self.mode
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator(*args, **kwargs):
                return (yield from _in_mode(func(*args, **kwargs), mode))

            return generator

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


def _in_mode(gen: Generator, mode: bool) -> Generator:
    """``gen``, each step of it (``next``, ``send``, ``throw``, ``close``) run with grad mode
    ``mode`` and the caller's mode restored between steps. (``yield from`` alone would run the
    steps in the caller's mode.)"""
    send, value = gen.send, None
    while True:
        try:
            with set_grad_enabled(mode):
                item = send(value)
        except StopIteration as stop:
            return stop.value
        send = gen.send
        try:
            value = yield item
        except GeneratorExit:
            with set_grad_enabled(mode):
                gen.close()
            raise
        except BaseException as err:  # thrown in by the caller: on into gen, in the mode
            send, value = gen.throw, err


class no_grad(set_grad_enabled):
    """Nothing computed inside is recorded: ``with no_grad(): ...``, ``@no_grad()`` or
    ``@no_grad``."""

    __slots__ = ()

    def __new__(cls, func: Callable | None = None):
        if func is not None:  # used as a decorator without parentheses
            return cls()(func)
        return object.__new__(cls)

    def __init__(self, func: Callable | None = None) -> None:
        self.mode = False  # (set directly: ``with no_grad()`` may run once per batch)
        self.prev = []


class enable_grad(no_grad):
    """Recording switched back on, e.g. inside a ``no_grad`` block."""

    __slots__ = ()

    def __init__(self, func: Callable | None = None) -> None:
        self.mode = True
        self.prev = []
