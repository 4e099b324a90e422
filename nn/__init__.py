"""nn: dense networks on the autograd-mini engine, and the hand-derived backprop to check them.

Layers and models (``Module``, ``Sequential``, ``Dense``, ``MLP``), the activations
(``activations``) and costs (``costs``) by name, ``SGD``, weight initialisations, ``backprop``
(BP1–BP4 by hand, no autodiff), ``check_backprop`` (the two side by side), ``datasets`` (IDX
files, MNIST, mini-batches) and ``train`` (the training loop; checkpoints in ``checkpoint``).
``data`` is the former home of the datasets, kept for compatibility.
"""

from . import backprop, data, datasets, train
from .activations import ACTIVATIONS
from .check import BackpropReport, check_backprop
from .costs import (
    COSTS,
    cross_entropy_cost,
    get_cost,
    output_cost,
    quadratic_cost,
    sigmoid_cross_entropy_cost,
    softmax_cost,
)
from .init import init_dense
from .layers import MLP, Dense
from .module import Module, Sequential
from .optim import SGD
from .targets import one_hot

__all__ = [
    "ACTIVATIONS", "COSTS", "MLP", "SGD", "BackpropReport", "Dense", "Module", "Sequential",
    "backprop", "check_backprop", "cross_entropy_cost", "data", "datasets", "get_cost",
    "init_dense", "one_hot", "output_cost", "quadratic_cost", "sigmoid_cross_entropy_cost",
    "softmax_cost", "train",
]
