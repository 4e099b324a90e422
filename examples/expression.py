"""Differentiate e = (a + b) * (b + 1) at a = 2, b = 1 and draw its computation graph.

    python examples/expression.py [out.svg]

prints e = 6, de/da = 2 (= d) and de/db = 5 (= d + c), and writes the graph (default
``expression.svg`` in the current directory). Each box shows a tensor's value and gradient;
each edge into an operation carries its local derivative (∂e/∂c = 2, ∂e/∂d = 3, ...).

Next to it, ``expression.html`` (the same name with ``.html``) steps through the backward sweep
that computed those gradients: open it in any browser and press → to watch b receive 3 from d
and 2 from c.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a source checkout without installing: make the project root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd_mini import Tensor  # noqa: E402
from viz import RenderError, animate_backward, render_svg  # noqa: E402


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
    e.backward(retain_graph=True)  # keep the graph: the step-through below sweeps it once more

    print(f"e     = {e.data.item():g}")
    print(f"de/da = {a.grad.data.item():g}")
    print(f"de/db = {b.grad.data.item():g}")
    try:
        render_svg(e, out)
        page = animate_backward(e, out.with_suffix(".html"))
    except RenderError as exc:
        print(f"could not draw the graph: {exc}", file=sys.stderr)
        return 1
    print(f"graph written to {out}")
    print(f"step-through of the backward sweep ({page.steps} steps) written to "
          f"{out.with_suffix('.html')}: open it in a browser")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
