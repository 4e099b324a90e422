"""Grad mode: ``no_grad`` and ``enable_grad`` switch the recording of operations off and on.

Each works as a context manager (``with no_grad(): ...``) and as a decorator (``@no_grad()`` or
``@no_grad``), as in PyTorch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .state import state


def is_grad_enabled() -> bool:
    """Whether operations on Tensors are currently recorded."""
    return state.grad_enabled


class set_grad_enabled:
    """Context manager and decorator that switches recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev: list[bool] = []

    def __enter__(self) -> None:
        self.prev.append(state.grad_enabled)
        state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self.prev.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Nothing computed inside is recorded: ``with no_grad(): ...``, ``@no_grad()`` or
    ``@no_grad``."""

    def __new__(cls, func: Callable | None = None):
        if func is not None:  # used as a decorator without parentheses
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None) -> None:
        super().__init__(False)


class enable_grad(no_grad):
    """Recording switched back on, e.g. inside a ``no_grad`` block."""

    def __init__(self, func: Callable | None = None) -> None:
        set_grad_enabled.__init__(self, True)
