"""nn: dense networks on the autograd-mini engine, and the hand-derived backprop to check them.

Layers and models (``Module``, ``Sequential``, ``Dense``, ``MLP``), costs, ``SGD``, weight
initialisations, ``backprop`` (BP1–BP4 by hand, no autodiff), ``check_backprop`` (the two side
by side), ``datasets`` (IDX files, MNIST, mini-batches; ``data`` keeps the old names) and
``train``.
"""

from . import backprop, data, datasets, train
from .check import BackpropReport, check_backprop
from .costs import COSTS, cross_entropy_cost, get_cost, one_hot, quadratic_cost, softmax_cost
from .init import init_dense
from .layers import ACTIVATIONS, MLP, Dense
from .module import Module, Sequential
from .optim import SGD

__all__ = [
    "ACTIVATIONS", "COSTS", "MLP", "SGD", "BackpropReport", "Dense", "Module", "Sequential",
    "backprop", "check_backprop", "cross_entropy_cost", "data", "datasets", "get_cost",
    "init_dense", "one_hot", "quadratic_cost", "softmax_cost", "train",
]
