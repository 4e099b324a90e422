"""Autodiff against the four backpropagation equations, number by number, on MNIST digits.

For a batch of real MNIST training images this builds a few networks with ``nn.MLP`` and
compares, layer by layer, what reverse-mode autodiff computes with what BP1–BP4 say
(``nn.check_backprop``): the errors δˡ = ∂C/∂zˡ and the gradients ∂C/∂Wˡ, ∂C/∂bˡ. Each check
is made twice, against the matrix form of the equations (the whole batch at once) and against
the textbook loop over single examples. The networks:

1. Nielsen's 784-30-10 sigmoid network with the quadratic cost (Gaussian N(0, 1) weights);
2. a deeper 784-100-60-30-10 sigmoid network with the cross-entropy cost;
3. a 784-100-30-10 tanh network with a softmax output and the log-likelihood cost.

The digits are found the way :func:`nn.datasets.load_mnist` finds them: ``--data-dir`` if
given, else ``$AUTOGRAD_MINI_DATA``, ``/usr/share/datasets/mnist``, the cache
``~/.cache/autograd-mini/mnist``, else a download into that cache. If there are none the script
says what to do and exits with status 1; ``--random`` uses random inputs instead, which
exercise exactly the same arithmetic. It ends with the largest relative difference over all
checks and exits with status 1 if that exceeds the tolerance (1e-12 in float64).

    python examples/compare_deltas.py                # a batch of 10 digits
    python examples/compare_deltas.py --data-dir ~/data/mnist --batch 100 --seed 3
    python examples/compare_deltas.py --random       # no data needed
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import autograd_mini as ag
import nn
from nn import backprop
from nn.cli_checks import data_error_message
from nn.cli_display import script_command
from nn.datasets import DATA_ENV_VAR, DownloadError, IDXError, load_mnist

PROG = script_command(__file__)
DEFAULT_TOL = {"float64": 1e-12, "float32": 1e-5}

# (title, layer sizes, hidden activation, output activation, initialisation, cost)
NETWORKS = [
    ("784-30-10 sigmoid network, quadratic cost (Nielsen's chapter 1-2 network)",
     [784, 30, 10], "sigmoid", None, "gaussian", "quadratic"),
    ("784-100-60-30-10 sigmoid network, cross-entropy cost",
     [784, 100, 60, 30, 10], "sigmoid", None, "scaled", "cross-entropy"),
    ("784-100-30-10 tanh network, softmax output, log-likelihood cost",
     [784, 100, 30, 10], "tanh", "identity", "scaled", "softmax"),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Compare autodiff's deltas and gradients with the backpropagation "
                    "equations BP1-BP4 on a batch of MNIST digits.")
    parser.add_argument("--data-dir", type=Path,
                        help="directory with the four MNIST IDX files (default: "
                             f"${DATA_ENV_VAR}, /usr/share/datasets/mnist, the cache "
                             "~/.cache/autograd-mini/mnist, else a download)")
    parser.add_argument("--batch", type=int, default=10,
                        help="number of examples in the batch (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the weights and the choice of examples "
                             "(default: %(default)s)")
    parser.add_argument("--random", action="store_true",
                        help="use random inputs and labels instead of MNIST (no data needed)")
    parser.add_argument("--dtype", choices=sorted(DEFAULT_TOL), default="float64",
                        help="floating-point type of the networks (default: %(default)s)")
    parser.add_argument("--tol", type=float, default=None,
                        help="largest relative difference accepted (default: 1e-12 for "
                             "float64, 1e-5 for float32)")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error(f"--batch must be at least 1, got {args.batch}")
    return args


class NoData(Exception):
    """MNIST could be neither found nor downloaded; the message says what to do."""


def load_batch(args: argparse.Namespace, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, str]:
    """(x, labels, description): x of shape (batch, 784) in [0, 1], integer labels.

    Raises :class:`NoData` when MNIST cannot be had (and ``--random`` was not given)."""
    dtype = np.dtype(args.dtype)
    if args.random:
        print("NOTE: --random given: RANDOM inputs (uniform in [0, 1)) and random labels; the "
              "comparison exercises the same arithmetic, but these are not digits.\n")
        x = rng.random((args.batch, 784)).astype(dtype)
        labels = rng.integers(0, 10, args.batch)
        return x, labels, f"{args.batch} random inputs of 784 values (no MNIST)"
    try:
        data = load_mnist(data_dir=args.data_dir, dtype=dtype)
    except DownloadError as err:
        raise NoData(data_error_message(err, "mnist", PROG)
                     + "\nOr compare on random inputs: --random") from err
    except (OSError, IDXError) as err:
        raise NoData(f"cannot load MNIST: {err}") from err
    n = len(data.x_train)
    if args.batch > n:
        raise SystemExit(f"--batch {args.batch} is larger than the {n} training images")
    idx = rng.choice(n, size=args.batch, replace=False)
    where = f" from {args.data_dir}" if args.data_dir else ""
    return (data.x_train[idx], data.y_train[idx],
            f"{args.batch} MNIST training images{where} (indices "
            f"{', '.join(map(str, idx[:10]))}{', ...' if args.batch > 10 else ''})")


def output_deltas(model: nn.MLP, x: np.ndarray, y: np.ndarray, cost: str,
                  example: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """δᴸ of one example, from autodiff (N·∂J/∂zᴸ) and from BP1 (``nn.backprop``)."""
    zs, acts = model.forward_all(x)
    J = nn.output_cost(cost, zs[-1], acts[-1], y)
    (g,) = ag.grad(J, [zs[-1]])
    weights = [(layer.weight.data, layer.bias.data) for layer in model.layers]
    ref = backprop.backprop_batched(weights, model.activations, x, y, cost)
    return len(x) * g.data[example], ref.deltas[-1][example]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tol = DEFAULT_TOL[args.dtype] if args.tol is None else args.tol
    rng = np.random.default_rng(args.seed)
    try:
        x, labels, source = load_batch(args, rng)
    except NoData as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    print(f"Batch: {source}; labels {labels[:10].tolist()}{' ...' if len(labels) > 10 else ''}")
    print(f"dtype {args.dtype}, tolerance {tol:g} on every relative difference\n")
    y = nn.one_hot(labels, 10, dtype=x.dtype)  # the targets: one-hot rows (N, 10)

    summary = []
    for k, (title, sizes, hidden, output, init, cost) in enumerate(NETWORKS, start=1):
        model = nn.MLP(sizes, hidden, output, init=init, rng=args.seed + k,
                       dtype=np.dtype(args.dtype))
        print(f"=== {k}. {title}")
        print(f"    {model!r}, init={init!r}, cost={cost!r}\n")
        for method in ("batched", "loop"):
            report = nn.check_backprop(model, x, y, cost=cost, method=method)
            print(report)
            print()
            summary.append((k, method, report.max_relative))
        auto, ref = output_deltas(model, x, y, cost)
        shown = min(5, len(auto))
        print(f"    δᴸ of example 0, first {shown} of {len(auto)} entries:")
        print("      autodiff N·∂J/∂zᴸ: " + "  ".join(f"{v: .15e}" for v in auto[:shown]))
        print("      BP1 reference:     " + "  ".join(f"{v: .15e}" for v in ref[:shown]))
        print()

    worst = max(rel for _, _, rel in summary)
    print("network  reference  largest relative difference")
    for k, method, rel in summary:
        print(f"{k:>7}  {method:>9}  {rel:.2e}")
    ok = worst <= tol
    print(f"\nlargest relative difference over all checks: {worst:.3e} "
          f"({'OK' if ok else 'FAIL'}: tolerance {tol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
