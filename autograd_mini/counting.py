"""Counting operations: how much work forward mode and reverse mode really do.

``with count_ops() as c: ...`` counts the primitive operations executed inside: ``forward``
values computed, ``tangent`` (forward) rules applied, ``adjoint`` (reverse) rules applied.
"""

from __future__ import annotations

from typing import Any

from .state import Observer, observing


class OpCounter(Observer):
    """Counts primitive applications: ``forward`` values, ``tangent`` rules, ``adjoint`` rules."""

    def __init__(self) -> None:
        self.forward = 0
        self.tangent = 0
        self.adjoint = 0

    def recorded(self, out: Any, prim: Any, args: tuple, raw: tuple, params: dict) -> None:
        self.forward += 1

    def tangent_rule(self, prim: Any, argnum: int) -> None:
        self.tangent += 1

    def sent(self, tensor: Any, argnum: int, to: Any, grad: Any) -> None:
        self.adjoint += 1

    def __repr__(self) -> str:
        return f"OpCounter(forward={self.forward}, tangent={self.tangent}, adjoint={self.adjoint})"


class count_ops:
    """``with count_ops() as c: ...`` counts the primitive operations executed inside."""

    def __enter__(self) -> OpCounter:
        self.counter = OpCounter()
        self._observing = observing(self.counter)
        return self._observing.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._observing.__exit__(*exc)
