"""MNIST and Fashion-MNIST as arrays: :func:`load_mnist` finds the four IDX files (or downloads
them) and returns :class:`MNIST`, float images in [0, 1] and integer or one-hot labels.

Lookup order (the first directory that holds all four files wins): ``data_dir`` if given (and
only it) -> ``$AUTOGRAD_MINI_DATA`` (:data:`DATA_ENV_VAR`) -> ``/usr/share/datasets/<dataset>``
(:data:`SYSTEM_DATASET_DIRS`) -> the cache -> a download into the cache from ``mirrors`` if
given, else from ``$AUTOGRAD_MINI_MIRRORS`` (:data:`MIRRORS_ENV_VAR`) then the mirrors of
:mod:`nn.datasets.mirrors`. Nothing enters the cache unverified.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from .. import targets
from .download import DEFAULT_DEADLINE, DownloadError, download_file
from .idx import IDXError, read_idx, read_idx_header, shape_text
from .mirrors import IDX_FILES, MD5, MIRRORS, SIZES

__all__ = ["CLASSES", "DATA_ENV_VAR", "MIRRORS_ENV_VAR", "MNIST", "SYSTEM_DATASET_DIRS",
           "SYSTEM_PACKAGES", "load_mnist"]

PathLike = str | os.PathLike[str]

#: Environment variable naming a directory with the files (directly or in ``<dir>/<dataset>/``).
DATA_ENV_VAR = "AUTOGRAD_MINI_DATA"

#: Environment variable with your own mirrors: comma-separated base URLs, tried before the
#: built-in ones (an explicit ``mirrors=`` argument replaces both).
MIRRORS_ENV_VAR = "AUTOGRAD_MINI_MIRRORS"

#: System-wide dataset roots, searched as ``<root>/<dataset>/`` (Debian's
#: ``dataset-fashion-mnist`` package installs to ``/usr/share/datasets/fashion-mnist/``).
SYSTEM_DATASET_DIRS: list[str] = ["/usr/share/datasets"]

#: Operating-system packages that install a dataset into :data:`SYSTEM_DATASET_DIRS`
#: (Debian and Ubuntu: ``apt-get install dataset-fashion-mnist``).
SYSTEM_PACKAGES: dict[str, str] = {"fashion-mnist": "dataset-fashion-mnist"}

#: The name of each class, indexed by label, per dataset.
CLASSES: dict[str, tuple[str, ...]] = {
    "mnist": tuple("0123456789"),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
}


class MNIST(NamedTuple):
    """MNIST-style splits.

    x_train: (N, 784) or (N, 28, 28) floats in [0, 1]; y_train: (N,) int64, or (N, 10)
    one-hot in the image dtype; x_test / y_test likewise with the test count.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _dataset_key(dataset: str) -> str:
    key = dataset.strip().lower().replace("_", "-")
    if key not in MIRRORS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(MIRRORS))}")
    return key


def _find_files(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each of IDX_FILES to an existing file in ``directory``; also return the missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for stem in IDX_FILES:
        # Uncompressed first: it loads faster, and is what a user who unpacked them has.
        for candidate in (directory / stem, directory / f"{stem}.gz"):
            if candidate.is_file():
                found[stem] = candidate
                break
        else:
            missing.append(stem)
    return found, missing


def _cache_dir(key: str, cache_dir: PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser() / key
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says relative paths are invalid and must be ignored.
    root = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return root / "autograd-mini" / key


def _search_dirs(key: str) -> list[Path]:
    dirs = []
    env = os.environ.get(DATA_ENV_VAR, "")
    if env:
        base = Path(env).expanduser()
        dirs += [base, base / key]
    dirs += [Path(root) / key for root in SYSTEM_DATASET_DIRS]
    return dirs


def _mirror_urls(key: str, mirrors: Sequence[str] | str | None) -> list[str]:
    """The mirrors to try, in order: ``mirrors`` if given (a string is a comma-separated list),
    else those of :data:`MIRRORS_ENV_VAR` followed by the built-in ones; each must be an
    http(s) URL."""
    if mirrors is None:
        given, source = os.environ.get(MIRRORS_ENV_VAR, ""), f"${MIRRORS_ENV_VAR}"
        urls = [u.strip() for u in given.split(",") if u.strip()]
        builtin = list(MIRRORS[key])
    else:
        source, builtin = "mirrors", []
        urls = mirrors.split(",") if isinstance(mirrors, str) else list(mirrors)
        urls = [u.strip() if isinstance(u, str) else u for u in urls]
    for url in urls:
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"load_mnist: {source}: {url!r} is not an http:// or https:// URL")
    return urls + builtin


def _local_files_hint(key: str, cache: Path) -> str:
    names = "\n".join(f"    {stem}.gz" for stem in IDX_FILES)
    return (
        f"To use local copies instead, put these four files in one directory (uncompressed "
        f"copies without .gz also work):\n{names}\n"
        f"and pass it explicitly:\n"
        f"    load_mnist({key!r}, data_dir='/path/to/dir')\n"
        f"or set the environment variable (the files may be in the directory itself or in "
        f"its '{key}/' subdirectory):\n"
        f"    export {DATA_ENV_VAR}=/path/to/dir\n"
        f"or copy them into the cache directory {cache}/"
        + (f"\nOn Debian and Ubuntu, apt-get install {SYSTEM_PACKAGES[key]} installs them where "
           "they are found without any of this." if key in SYSTEM_PACKAGES else "")
    )


def load_mnist(
    dataset: str = "mnist",
    data_dir: PathLike | None = None,
    download: bool = True,
    one_hot: bool = False,
    dtype: DTypeLike = np.float64,
    flatten: bool = True,
    *,
    cache_dir: PathLike | None = None,
    mirrors: Sequence[str] | str | None = None,
    md5: Mapping[str, str] | None = None,
    progress: bool | None = None,
    timeout: float = 30.0,
    deadline: float = DEFAULT_DEADLINE,
) -> MNIST:
    """Load MNIST or Fashion-MNIST (``dataset="mnist"`` / ``"fashion-mnist"``).

    Returns ``MNIST(x_train, y_train, x_test, y_test)``: images as ``dtype`` (a float type)
    scaled to [0, 1], shape (N, 784), or (N, 28, 28) with ``flatten=False``; labels int64 of
    shape (N,), or (N, 10) one-hot in ``dtype`` with ``one_hot=True``.

    The four standard files (``train-images-idx3-ubyte.gz`` etc., or the same names without
    ``.gz``) are looked for, all four in one directory, in:

    1. ``data_dir`` if given -- and only there: missing files are an error;
    2. ``$AUTOGRAD_MINI_DATA`` and ``$AUTOGRAD_MINI_DATA/<dataset>/``;
    3. ``/usr/share/datasets/<dataset>/`` (see ``SYSTEM_DATASET_DIRS``);
    4. the cache ``<cache_dir>/<dataset>/``; ``cache_dir`` defaults to
       ``$XDG_CACHE_HOME/autograd-mini`` (``~/.cache/autograd-mini``).

    Failing that, if ``download`` is true, the files missing from the cache are downloaded.
    Mirrors (base URLs, tried in turn): ``mirrors`` if given -- and only those --, else the
    comma-separated URLs of ``$AUTOGRAD_MINI_MIRRORS`` followed by ``MIRRORS[dataset]``.
    Each transfer is bounded: each socket operation by ``timeout`` seconds, the whole file
    from one mirror by ``deadline`` seconds, its size by the file's known size (``SIZES``)
    or 256 MiB. A file enters the cache only once verified: its MD5 against ``md5`` (file
    name -> hex digest; default ``MD5[dataset]``; files absent from it are not checked),
    then its content (an IDX file of N 28x28 uint8 images, or of N labels 0..9 matching the
    images' count); a file failing any of this is dropped and the next mirror tried. A
    cached file that turns out malformed (left by an older version) is removed, with a
    warning, and downloaded again. A progress bar goes to stderr when it is a terminal, or
    always with ``progress=True``.

    Raises ``FileNotFoundError`` when the files cannot be found (and not downloaded),
    :class:`DownloadError` when no mirror delivers a file, :class:`IDXError` when a file is
    malformed or the files do not match each other, ``ValueError`` for a mirror that is not
    an http(s) URL.
    """
    key = _dataset_key(dataset)
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"load_mnist: dtype must be a floating type, got {dt}")

    def load(files: dict[str, Path]) -> MNIST:
        train = _load_split(files[IDX_FILES[0]], files[IDX_FILES[1]], dt, flatten, one_hot)
        test = _load_split(files[IDX_FILES[2]], files[IDX_FILES[3]], dt, flatten, one_hot)
        return MNIST(train[0], train[1], test[0], test[1])

    if data_dir is not None:
        directory = Path(data_dir).expanduser()
        files, missing = _find_files(directory)
        if missing:
            needed = ", ".join(f"{stem}.gz" for stem in IDX_FILES)
            if directory.is_dir():
                problem = f"is missing: {', '.join(f'{stem}.gz' for stem in missing)}"
            else:
                problem = "is not a directory" if directory.exists() else "does not exist"
            raise FileNotFoundError(
                f"load_mnist: data_dir {directory} {problem}; it must contain {needed} "
                "(the uncompressed names without .gz also work)"
            )
        return load(files)

    searched = _search_dirs(key)
    for directory in searched:
        files, missing = _find_files(directory)
        if not missing:
            return load(files)

    cache = _cache_dir(key, cache_dir)
    files, missing = _find_files(cache)
    if not missing:
        try:
            return load(files)
        except IDXError:
            if not download:
                raise
    if not download:
        where = "\n".join(f"    {d}" for d in [*searched, cache])
        raise FileNotFoundError(
            f"load_mnist: {key} not found (download=False). Looked in:\n{where}\n"
            + _local_files_hint(key, cache)
        )

    urls = _mirror_urls(key, mirrors)
    cache.mkdir(parents=True, exist_ok=True)
    missing = _drop_invalid_cached(cache)
    sums = MD5.get(key, {}) if md5 is None else md5
    if progress is None:
        progress = sys.stderr is not None and sys.stderr.isatty()
    for i, stem in enumerate(missing):
        name = f"{stem}.gz"
        official = sums.get(name) is not None and sums.get(name) == MD5.get(key, {}).get(name)
        try:
            download_file(name, cache, urls, sums.get(name), timeout=timeout, progress=progress,
                          dataset=key, hint=_local_files_hint(key, cache), deadline=deadline,
                          max_bytes=SIZES.get(key, {}).get(name) if official else None,
                          verify=_verifier(stem, cache))
        except DownloadError as exc:
            exc.searched, exc.missing = [*searched, cache], [f"{s}.gz" for s in missing[i:]]
            raise
    files, missing = _find_files(cache)
    assert not missing, missing
    return load(files)


def _partner(stem: str) -> str:
    """The other file of ``stem``'s split: images <-> labels."""
    i = IDX_FILES.index(stem)
    return IDX_FILES[i ^ 1]


def _check_file(stem: str, path: Path, label: str) -> int:
    """Check that ``path`` holds what ``stem`` names (N 28x28 uint8 images, or N labels in
    0..9); returns N. Raises :class:`IDXError` naming ``label``."""
    array = read_idx(path, name=label)
    if IDX_FILES.index(stem) % 2 == 0:
        _check_images(array, label)
    else:
        _check_labels(array, label)
    return len(array)


def _verifier(stem: str, cache: Path) -> Callable[[Path], None]:
    """The check a download of ``stem`` must pass before it enters ``cache``: it is the file
    it claims to be, and holds as many examples as its partner (images or labels) if that is
    already there."""

    def verify(path: Path) -> None:
        n = _check_file(stem, path, f"{stem}.gz")
        partner, _ = _find_files(cache)
        other = partner.get(_partner(stem))
        if other is not None:
            m = read_idx_header(other).shape[0]
            if m != n:
                raise IDXError(f"{stem}.gz holds {n} examples, but {other} holds {m}")

    return verify


def _drop_invalid_cached(cache: Path) -> list[str]:
    """Remove from the cache the files that fail their check (e.g. an HTML error page an older
    version cached), and both files of a split whose counts differ, with a warning; returns
    the stems now missing, in download order."""
    files, _ = _find_files(cache)
    counts: dict[str, int] = {}
    bad: dict[str, str] = {}
    for stem, path in files.items():
        try:
            counts[stem] = _check_file(stem, path, str(path))
        except IDXError as exc:
            bad[stem] = str(exc)
    for images, labels in (IDX_FILES[:2], IDX_FILES[2:]):
        if images in counts and labels in counts and counts[images] != counts[labels]:
            reason = f"{counts[images]} images but {counts[labels]} labels"
            bad[images] = bad[labels] = reason
    for stem, reason in bad.items():
        warnings.warn(f"load_mnist: removing {files[stem]} from the cache ({reason}); "
                      "downloading it again", stacklevel=3)
        files[stem].unlink(missing_ok=True)
    return _find_files(cache)[1]


def _check_images(images: np.ndarray, label: str) -> None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXError(
            f"{label}: expected uint8 images of shape Nx28x28, "
            f"found {shape_text(images.shape)} {images.dtype}"
        )


def _check_labels(labels: np.ndarray, label: str) -> None:
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise IDXError(
            f"{label}: expected a 1-dimensional integer array of labels, "
            f"found {shape_text(labels.shape)} {labels.dtype}"
        )
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise IDXError(
            f"{label}: labels must be in 0..9, found {labels[bad[0]]} at index {bad[0]} "
            f"({bad.size} out-of-range labels)"
        )


def _load_split(
    images_path: Path, labels_path: Path, dtype: np.dtype[Any], flatten: bool, one_hot: bool
) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    _check_images(images, str(images_path))
    _check_labels(labels, str(labels_path))
    if len(images) != len(labels):
        raise IDXError(
            f"image/label count mismatch: {images_path} holds {len(images)} images but "
            f"{labels_path} holds {len(labels)} labels"
        )
    n = len(images)
    x = (images.reshape(n, 28 * 28) if flatten else images).astype(dtype)
    x /= 255  # division (not * 1/255) so that 255 maps to exactly 1.0
    y = labels.astype(np.int64)
    return (x, targets.one_hot(y, 10, dtype)) if one_hot else (x, y)
