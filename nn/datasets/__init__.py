"""Datasets for the networks: files, downloads and mini-batches, one job per module.

Pure numpy and the standard library; nothing here uses the autodiff engine.

- :mod:`~nn.datasets.idx`: the IDX file format of MNIST (:func:`read_idx`, :func:`write_idx`,
  :class:`IDXError`), read with memory bounded by the data actually in the file;
- :mod:`~nn.datasets.mirrors`: the four file names, the mirrors, the MD5 checksums and sizes;
- :mod:`~nn.datasets.download`: HTTP download bounded in size and time, verified before it is
  kept, with a progress bar (:class:`DownloadError`);
- :mod:`~nn.datasets.mnist`: :func:`load_mnist` (lookup, cache, download, your own mirrors in
  ``$AUTOGRAD_MINI_MIRRORS``), :class:`MNIST` and the class names (:data:`CLASSES`);
- :mod:`~nn.datasets.batches`: :class:`BatchIterator`, seedable and resumable mini-batches.
"""

from .batches import BatchIterator
from .download import DownloadError
from .idx import IDXError, read_idx, write_idx
from .mirrors import IDX_FILES, MD5, MIRRORS, SIZES
from .mnist import (
    CLASSES,
    DATA_ENV_VAR,
    MIRRORS_ENV_VAR,
    MNIST,
    SYSTEM_DATASET_DIRS,
    SYSTEM_PACKAGES,
    load_mnist,
)

__all__ = [
    "CLASSES", "DATA_ENV_VAR", "IDX_FILES", "MD5", "MIRRORS", "MIRRORS_ENV_VAR", "MNIST", "SIZES",
    "SYSTEM_DATASET_DIRS", "SYSTEM_PACKAGES", "BatchIterator", "DownloadError", "IDXError",
    "load_mnist", "read_idx", "write_idx",
]
