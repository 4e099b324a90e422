"""Datasets for the networks: files, downloads and mini-batches, one job per module.

Pure numpy and the standard library; nothing here uses the autodiff engine.

- :mod:`~nn.datasets.idx`: the IDX file format of MNIST (:func:`read_idx`, :func:`write_idx`,
  :class:`IDXError`);
- :mod:`~nn.datasets.mirrors`: the four file names, the mirrors and the MD5 checksums;
- :mod:`~nn.datasets.download`: HTTP download with a progress bar and MD5 check
  (:class:`DownloadError`);
- :mod:`~nn.datasets.mnist`: :func:`load_mnist` (lookup, cache, download), :class:`MNIST` and
  the class names (:data:`CLASSES`);
- :mod:`~nn.datasets.batches`: :class:`BatchIterator`, seedable and resumable mini-batches.
"""

from .batches import BatchIterator
from .download import DownloadError
from .idx import IDXError, read_idx, write_idx
from .mirrors import IDX_FILES, MD5, MIRRORS
from .mnist import CLASSES, DATA_ENV_VAR, MNIST, SYSTEM_DATASET_DIRS, SYSTEM_PACKAGES, load_mnist

__all__ = [
    "CLASSES", "DATA_ENV_VAR", "IDX_FILES", "MD5", "MIRRORS", "MNIST", "SYSTEM_DATASET_DIRS",
    "SYSTEM_PACKAGES",
    "BatchIterator", "DownloadError", "IDXError", "load_mnist", "read_idx", "write_idx",
]
