"""Compatibility module: the names ``nn.data`` used to define, now in :mod:`nn.datasets`.

Existing code keeps working (``from nn.data import load_mnist, BatchIterator, ...``); new code
imports from the modules that hold each thing:

=========================================================  ================================
``read_idx``, ``write_idx``, ``IDXError``                   :mod:`nn.datasets.idx`
``IDX_FILES``, ``MIRRORS``, ``MD5``                         :mod:`nn.datasets.mirrors`
``DownloadError``                                           :mod:`nn.datasets.download`
``load_mnist``, ``MNIST``, ``DATA_ENV_VAR``,                :mod:`nn.datasets.mnist`
``SYSTEM_DATASET_DIRS``
``BatchIterator``                                           :mod:`nn.datasets.batches`
=========================================================  ================================

The tables are the same objects as in their new homes, so ``MIRRORS["mnist"] = [...]`` here
changes them there. Rebinding a name here (``nn.data.SYSTEM_DATASET_DIRS = [...]``) does not:
assign to ``nn.datasets.mnist.SYSTEM_DATASET_DIRS`` instead.
"""

from .datasets.batches import BatchIterator
from .datasets.download import DownloadError
from .datasets.idx import IDXError, read_idx, write_idx
from .datasets.mirrors import IDX_FILES, MD5, MIRRORS
from .datasets.mnist import DATA_ENV_VAR, MNIST, SYSTEM_DATASET_DIRS, load_mnist

__all__ = [
    "DATA_ENV_VAR",
    "IDX_FILES",
    "MD5",
    "MIRRORS",
    "SYSTEM_DATASET_DIRS",
    "BatchIterator",
    "DownloadError",
    "IDXError",
    "MNIST",
    "load_mnist",
    "read_idx",
    "write_idx",
]
