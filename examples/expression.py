"""Differentiate e = (a + b) * (b + 1) at a = 2, b = 1 and draw its computation graph.

    python examples/expression.py [out.svg]

prints e = 6, de/da = 2 (= d) and de/db = 5 (= d + c), and writes the graph (default
``expression.svg`` in the current directory). Each box shows a tensor's value and gradient;
each edge into an operation carries its local derivative (∂e/∂c = 2, ∂e/∂d = 3, ...).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a source checkout without installing: make the project root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd_mini import Tensor  # noqa: E402
from viz import RenderError, render_svg  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("expression.svg")

    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(1.0, requires_grad=True, name="b")
    c = a + b
    c.name = "c"
    d = b + 1
    d.name = "d"
    e = c * d
    e.name = "e"
    # backward() fills .grad only on leaves (a, b) unless a tensor asks to keep its gradient:
    # keep those of c, d and e so that the picture shows every gradient.
    c.retain_grad()
    d.retain_grad()
    e.retain_grad()
    e.backward()

    print(f"e     = {e.data.item():g}")
    print(f"de/da = {a.grad.data.item():g}")
    print(f"de/db = {b.grad.data.item():g}")
    try:
        render_svg(e, out)
    except RenderError as exc:
        print(f"could not draw the graph: {exc}", file=sys.stderr)
        return 1
    print(f"graph written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
