"""``python -m nn``: the training program, the same as ``autograd-mini-train`` (:mod:`nn.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m nn"))
