"""Train a multilayer perceptron on MNIST or Fashion-MNIST with the autograd-mini engine.

The training program itself is :mod:`nn.cli`, installed as the command ``autograd-mini-train``
(and runnable as ``python -m nn``); this script runs it from a clone of the repository, with the
same options. The defaults are the texts' first network: 784-30-10 sigmoid neurons, quadratic
cost, Gaussian N(0, 1) weights, plain SGD with η = 3.0 on mini-batches of 10, 30 epochs. Without
``--data-dir`` the data is looked up ($AUTOGRAD_MINI_DATA, /usr/share/datasets, the cache) or
downloaded; ``--help`` lists every option.

    python examples/train_mnist.py
    python examples/train_mnist.py --data-dir ~/data/mnist --limit 1000 --epochs 1
    python examples/train_mnist.py --sizes 784 100 10 --cost cross-entropy --init scaled \\
        --lr 0.5 --weight-decay 5.0
"""

from __future__ import annotations

import os
import sys

# One BLAS thread for mini-batches this small (nn.cli sets it too, at run time): set before
# numpy is first imported, it also covers the import itself.
if "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

from nn.cli import main  # noqa: E402
from nn.cli_display import script_command  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(prog=script_command(__file__)))
