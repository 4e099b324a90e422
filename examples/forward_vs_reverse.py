"""Why reverse mode wins for f: ℝⁿ → ℝ — measured, not just stated.

    python examples/forward_vs_reverse.py [--max-n N] [--budget SECONDS] [--plot PATH]
                                          [--json PATH]

First the small worked example e = (a + b) * (b + 1) at a = 2, b = 1: forward mode seeded at b
gives ∂e/∂b = 5 in one sweep (and needs a second sweep for ∂e/∂a); reverse mode gives
∂e/∂a = 2 and ∂e/∂b = 5 together in one sweep.

Then, for two functions ℝⁿ → ℝ and n = 1, 10, ..., 10⁶ (up to ``--max-n``):

* "sum of products" f(x) = Σᵢ xᵢ xᵢ₊₁, with vector operations on one Tensor of n elements;
* "network cost": the quadratic cost of a 4-h-1 sigmoid network on a fixed batch, as a function
  of its parameters flattened into one vector (sliced and reshaped inside f). h is the smallest
  width with at least n parameters; the first n are the inputs of f, the few left over (fewer
  than 6) stay fixed.

the whole gradient is computed both ways and the table shows, for each mode, the number of
sweeps and of passes over the computation, the primitive operations executed (``count_ops``:
values, tangents, adjoints) and the time. Forward mode needs one sweep per input, each as
costly as evaluating f, so its cost grows like n × cost(f): once a row has used up
``--budget`` seconds, the sweeps not run are extrapolated from those that were (all sweeps do
the same operations) and the row is marked "(extrapolated)". Reverse mode is one recorded
forward pass plus one backward sweep, whatever n.

``--plot PATH`` draws the operations and times against n (PNG or SVG; needs matplotlib),
``--json PATH`` writes every number.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

# Run from a source checkout without installing: make the project root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd_mini import Tensor, forward_mode, no_grad, ops  # noqa: E402
from autograd_mini.functional import count_ops, jvp, vjp  # noqa: E402

# --------------------------------------------------------------------------------------------
# The worked example
# --------------------------------------------------------------------------------------------


def worked_example() -> dict:
    """e = (a + b) * (b + 1) at a = 2, b = 1, both ways; prints each step, returns the numbers."""
    print("Worked example: e = (a + b) * (b + 1) at a = 2, b = 1,  c = a + b, d = b + 1, e = c d")
    print()

    # Forward mode, seeded at b: every node carries its value and its derivative with respect
    # to b (the tangent), both computed as the sweep goes forward.
    a, b = Tensor(2.0), Tensor(1.0)
    b.tangent = np.array(1.0)  # ∂b/∂b = 1; a carries no tangent (∂a/∂b = 0)
    with count_ops() as fwd, no_grad(), forward_mode():
        c = a + b
        d = b + 1
        e = c * d
    print("  forward mode, one sweep seeded at b (ḃ = 1, ȧ = 0):")
    print(f"    c = a + b = {c.item():g}    ∂c/∂b = ḃ + ȧ = {c.tangent.item():g}")
    print(f"    d = b + 1 = {d.item():g}    ∂d/∂b = ḃ = {d.tangent.item():g}")
    print(f"    e = c · d = {e.item():g}    ∂e/∂b = ċ d + c ḋ = {e.tangent.item():g}")
    print(f"    operations: {fwd.forward} values, {fwd.tangent} tangents — but only ∂e/∂b;")
    forward = {"e": e.item(), "de_db": e.tangent.item(), "sweeps": 1, "value_ops": fwd.forward,
               "tangent_ops": fwd.tangent}
    _, de_da = jvp(lambda a, b: (a + b) * (b + 1), (2.0, 1.0), (1.0, 0.0))
    print(f"    ∂e/∂a = {de_da.item():g} needs a second sweep, seeded at a.")
    print()

    # Reverse mode: one forward pass records the graph, one backward sweep from e merges the
    # paths at each node and gives the derivative of e with respect to every node at once.
    a = Tensor(2.0, requires_grad=True)
    b = Tensor(1.0, requires_grad=True)
    with count_ops() as rev:
        c = a + b
        d = b + 1
        e = c * d
        c.retain_grad()
        d.retain_grad()
        e.backward()
    print("  reverse mode, one backward sweep from e (ē = 1):")
    print(f"    ∂e/∂c = d = {c.grad.item():g}    ∂e/∂d = c = {d.grad.item():g}")
    print(f"    ∂e/∂a = ∂e/∂c = {a.grad.item():g}    "
          f"∂e/∂b = ∂e/∂c + ∂e/∂d = {b.grad.item():g}    (both together)")
    print(f"    operations: {rev.forward} values, {rev.adjoint} adjoints")
    print()
    return {
        "e": e.item(),
        "forward": forward,
        "forward_second_sweep": {"de_da": de_da.item()},
        "reverse": {"de_da": a.grad.item(), "de_db": b.grad.item(), "sweeps": 1,
                    "value_ops": rev.forward, "adjoint_ops": rev.adjoint},
    }


# --------------------------------------------------------------------------------------------
# The two functions ℝⁿ → ℝ
# --------------------------------------------------------------------------------------------


def sum_of_products(n: int, rng: np.random.Generator) -> tuple[Callable, np.ndarray]:
    """f(x) = Σᵢ xᵢ xᵢ₊₁ (i < n − 1) with vector operations, and a random point x ∈ ℝⁿ."""

    def f(x: Tensor) -> Tensor:
        return (x[:-1] * x[1:]).sum()

    return f, rng.standard_normal(n)


N_IN, BATCH = 4, 16


def network_cost(n: int, rng: np.random.Generator) -> tuple[Callable, np.ndarray]:
    """The quadratic cost of a 4-h-1 sigmoid network on a fixed batch of 16 examples, as a
    function of (the first n of) its 6h + 1 parameters, flattened into one vector."""
    h = max(1, math.ceil((n - 1) / (N_IN + 2)))
    size = h * (N_IN + 2) + 1
    theta = rng.standard_normal(size) / math.sqrt(N_IN)
    frozen = theta[n:]  # the (fewer than 6) parameters beyond the first n stay fixed
    X = rng.standard_normal((BATCH, N_IN))
    Y = rng.uniform(0.0, 1.0, (BATCH, 1))
    cut = np.cumsum([h * N_IN, h, h, 1])

    def f(p: Tensor) -> Tensor:
        if frozen.size:
            p = ops.concatenate([p, frozen])
        w1 = p[: cut[0]].reshape(h, N_IN)
        b1 = p[cut[0]: cut[1]]
        w2 = p[cut[1]: cut[2]].reshape(1, h)
        b2 = p[cut[2]: cut[3]]
        a1 = ops.sigmoid(ops.affine(X, w1, b1))
        a2 = ops.sigmoid(ops.affine(a1, w2, b2))
        return ops.quadratic_cost(a2, Y)

    return f, theta[:n].copy()


FUNCTIONS = {"sum of products": sum_of_products, "network cost": network_cost}

# --------------------------------------------------------------------------------------------
# Measuring both modes
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    function: str
    n: int
    mode: str
    sweeps: int  # derivative sweeps: forward mode one per input, reverse mode one
    passes: int  # passes over the computation: forward n (values + tangents), reverse 2
    value_ops: int
    tangent_ops: int
    adjoint_ops: int
    seconds: float
    eval_seconds: float  # one plain evaluation of f, for comparison
    eval_ops: int
    extrapolated: bool
    sweeps_run: int  # how many sweeps were really run (the rest is extrapolated)

    @property
    def total_ops(self) -> int:
        return self.value_ops + self.tangent_ops + self.adjoint_ops


def _mean_time(fn: Callable[[], object], min_time: float = 0.05, max_calls: int = 1000) -> float:
    """The mean time of one call of fn, repeating fast calls until ``min_time`` has passed."""
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or calls >= max_calls:
            return elapsed / calls


def measure(name: str, n: int, budget: float, rng: np.random.Generator) -> tuple[Row, Row]:
    """One forward-mode row and one reverse-mode row for ``FUNCTIONS[name]`` at size n."""
    f, x = FUNCTIONS[name](n, rng)

    def evaluate() -> object:
        with no_grad():
            return f(Tensor(x))

    with count_ops() as c_eval:
        evaluate()
    t_eval = _mean_time(evaluate)

    # Reverse mode: one forward pass recording the graph, one backward sweep for all n inputs.
    def reverse() -> np.ndarray:
        _, vjp_fn = vjp(f, x)
        return vjp_fn(1.0).data

    with count_ops() as c_rev:
        gradient = reverse()
    t_rev = _mean_time(reverse)
    rev = Row(name, n, "reverse", 1, 2, c_rev.forward, c_rev.tangent, c_rev.adjoint, t_rev,
              t_eval, c_eval.forward, False, 1)

    # Forward mode: sweep k pushes the unit tangent e_k and gives ∂f/∂x_k. Stop at the budget.
    column = np.zeros(n)
    done, start = 0, time.perf_counter()
    with count_ops() as c_fwd:
        while done < n:
            column[done] = 1.0
            gradient_k = jvp(f, x, column)[1].item()
            column[done] = 0.0
            if not np.isclose(gradient_k, gradient[done], rtol=1e-8, atol=1e-10):
                raise AssertionError(f"{name}, n={n}: forward mode gives ∂f/∂x_{done} = "
                                     f"{gradient_k}, reverse mode {gradient[done]}")
            done += 1
            if time.perf_counter() - start > budget:
                break
    elapsed = time.perf_counter() - start
    if done == n and elapsed < 0.05:  # fast: time the whole Jacobian again, repeatedly
        def all_sweeps() -> None:
            for k in range(n):
                column[k] = 1.0
                jvp(f, x, column)
                column[k] = 0.0
        elapsed = _mean_time(all_sweeps)
    scale = n / done  # every sweep executes the same operations
    fwd = Row(name, n, "forward", n, n, round(c_fwd.forward * scale),
              round(c_fwd.tangent * scale), round(c_fwd.adjoint * scale), elapsed * scale,
              t_eval, c_eval.forward, done < n, done)
    return fwd, rev


# --------------------------------------------------------------------------------------------
# Output: table, plot, JSON
# --------------------------------------------------------------------------------------------


def _seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    if s < 120:
        return f"{s:.2f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


HEADER = (f"{'function':<16} {'n':>9} {'mode':<8} {'sweeps':>9} {'passes':>9} "
          f"{'value ops':>10} {'tangent ops':>11} {'adjoint ops':>11} {'total ops':>10} "
          f"{'ops/f':>11} {'time':>10} {'time/f':>12}")


def format_row(r: Row) -> str:
    ops_ratio = r.total_ops / r.eval_ops
    time_ratio = r.seconds / r.eval_seconds
    line = (f"{r.function:<16} {r.n:>9,} {r.mode:<8} {r.sweeps:>9,} {r.passes:>9,} "
            f"{r.value_ops:>10,} {r.tangent_ops:>11,} {r.adjoint_ops:>11,} {r.total_ops:>10,} "
            f"{ops_ratio:>11,.1f} {_seconds(r.seconds):>10} {time_ratio:>12,.1f}")
    if r.extrapolated:
        line += f"  (extrapolated from {r.sweeps_run:,} sweeps)"
    return line


def plot(rows: list[Row], path: Path) -> bool:
    """Operations and time against n, log-log; hollow markers and dashes where extrapolated."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no plot written to {path}")
        return False
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = {"forward": "tab:red", "reverse": "tab:blue"}
    styles = {"sum of products": "o", "network cost": "s"}
    for ax, what, label in ((axes[0], "total_ops", "primitive operations (values + tangents + "
                             "adjoints)"), (axes[1], "seconds", "time (s)")):
        for name, marker in styles.items():
            for mode, color in colors.items():
                sel = [r for r in rows if r.function == name and r.mode == mode]
                if not sel:
                    continue
                ns = [r.n for r in sel]
                ys = [getattr(r, what) for r in sel]
                ax.plot(ns, ys, color=color, marker=marker, linestyle="-" if mode == "reverse"
                        else ":", label=f"{mode}: {name}", markerfacecolor=color)
                ext = [(r.n, getattr(r, what)) for r in sel if r.extrapolated]
                if ext:
                    ax.plot(*zip(*ext, strict=True), linestyle="none", marker=marker,
                            color=color, markerfacecolor="white", markersize=9)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (number of inputs of f: ℝⁿ → ℝ)")
        ax.set_ylabel(label)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_title("cost of the whole gradient, in operations")
    axes[1].set_title("… and in time (hollow markers: extrapolated)")
    axes[1].legend(fontsize=8)
    fig.suptitle("Forward mode needs one sweep per input; reverse mode one sweep for all")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    print(f"plot written to {path}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-n", type=int, default=10**6,
                        help="largest n (powers of 10 from 1 up to it; default 10^6)")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="seconds of forward-mode sweeps per row before extrapolating "
                             "(default 2)")
    parser.add_argument("--plot", type=Path, help="write a plot to this PNG/SVG file")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.max_n < 1:
        parser.error("--max-n must be at least 1")

    example = worked_example()

    ns = [10**k for k in range(int(math.log10(args.max_n) + 1e-9) + 1)]
    if ns[-1] != args.max_n:
        ns.append(args.max_n)
    rng = np.random.default_rng(args.seed)
    rows: list[Row] = []
    print("The whole gradient of f: ℝⁿ → ℝ. sweeps: derivative sweeps; passes: passes over the "
          "computation;")
    print("ops/f and time/f: cost relative to one plain evaluation of f. Forward mode checked "
          "against reverse mode.")
    print()
    print(HEADER)
    print("-" * len(HEADER))
    for name in FUNCTIONS:
        for n in ns:
            for row in measure(name, n, args.budget, rng):
                rows.append(row)
                print(format_row(row), flush=True)
        print()

    biggest = {r.mode: r for r in rows if r.n == ns[-1] and r.function == "network cost"}
    fwd, rev = biggest["forward"], biggest["reverse"]
    print(f"network cost, n = {fwd.n:,}: forward mode needs {fwd.sweeps:,} sweeps "
          f"({fwd.total_ops:,} operations, {_seconds(fwd.seconds)}"
          f"{', extrapolated' if fwd.extrapolated else ''}); reverse mode one forward and one "
          f"backward pass ({rev.total_ops:,} operations, {_seconds(rev.seconds)}).")

    if args.plot is not None:
        plot(rows, args.plot)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {"worked_example": example, "budget_seconds": args.budget,
                "rows": [{**asdict(r), "total_ops": r.total_ops} for r in rows]}
        args.json.write_text(json.dumps(data, indent=2))
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
