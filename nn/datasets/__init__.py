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

from . import mnist
from .batches import BatchIterator
from .download import DownloadError
from .idx import IDXError, read_idx, write_idx
from .mirrors import IDX_FILES, MD5, MIRRORS, SIZES
from .mnist import *  # noqa: F403 - load_mnist, MNIST, CLASSES and the lookup's settings

__all__ = [
    "IDX_FILES", "MD5", "MIRRORS", "SIZES", "BatchIterator", "DownloadError", "IDXError",
    "read_idx", "write_idx", *mnist.__all__,
]
