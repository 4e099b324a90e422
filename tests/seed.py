"""The texts' example, shared by the tests: e = (a + b) * (b + 1) at a = 2, b = 1."""

from __future__ import annotations

from autograd_mini import Tensor


def seed_example() -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """(a, b, c, d, e) with c = a + b = 3, d = b + 1 = 2, e = c d = 6, all named."""
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(1.0, requires_grad=True, name="b")
    c = a + b
    c.name = "c"
    d = b + 1
    d.name = "d"
    e = c * d
    e.name = "e"
    return a, b, c, d, e
