"""Training plots: learning curves, first-layer weights, misclassified digits.

matplotlib is optional (``pip install autograd-mini[plot]``) and is imported only when one of
these functions is called, with the non-interactive Agg back-end. Each function writes a PNG or
an SVG, chosen by the suffix of ``path``, atomically (``nn.files.write_atomic``),
and returns ``path``.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nn.files import write_atomic

__all__ = ["plot_history", "plot_misclassified", "plot_weights"]

_FORMATS = {".png": "png", ".svg": "svg"}


def _figure_class() -> Any:
    """Import matplotlib lazily; figures are drawn on an Agg canvas, never on a GUI window.

    ``matplotlib.figure.Figure`` is used directly instead of ``pyplot`` so that the global
    back-end and the figure manager of an interactive session are left alone.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            "Plotting needs matplotlib: pip install autograd-mini[plot] "
            "(or pip install matplotlib)"
        ) from exc
    return Figure


def _format_for(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(f"cannot tell the image format of {str(path)!r}: use a .png or .svg path")
    return _FORMATS[suffix]


def _save(fig: Any, path: str | os.PathLike[str], dpi: int = 100) -> str | os.PathLike[str]:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fmt = _format_for(path)
    FigureCanvasAgg(fig)  # a Figure made without pyplot needs a canvas before saving
    buf = io.BytesIO()
    # SVG: keep text as <text> elements (searchable, smaller) and omit the date for stable files.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "autograd-mini"}):
        if fmt == "svg":
            fig.savefig(buf, format=fmt, metadata={"Date": None})
        else:
            fig.savefig(buf, format=fmt, dpi=dpi)
    write_atomic(path, buf.getvalue())
    return path


def _as_array(x: Any) -> np.ndarray:
    """Accept ndarrays, lists and autograd_mini Tensors (anything with ``.data``)."""
    data = getattr(x, "data", x)
    if isinstance(data, memoryview):  # ndarray.data is a memoryview: x was already an array
        data = x
    return np.asarray(data)


# --------------------------------------------------------------------------- history


def plot_history(
    history: Mapping[str, Sequence[float]], path: str | os.PathLike[str]
) -> str | os.PathLike[str]:
    """Draw learning curves per epoch and save them to ``path``.

    The left panel holds every series whose key contains ``"loss"`` (e.g. ``train_loss``,
    ``test_loss``); the right panel every series whose key contains ``"acc"`` (e.g.
    ``train_accuracy``, ``test_accuracy``), as fractions or percentages as given. Keys that are
    missing or empty are skipped; a panel with nothing to show says so. Other keys are ignored.
    The x axis is the epoch number, starting at 1.
    """
    Figure = _figure_class()
    _format_for(path)
    loss = {k: list(v) for k, v in history.items() if "loss" in k.lower() and len(v)}
    acc = {k: list(v) for k, v in history.items() if "acc" in k.lower() and len(v)}
    if not loss and not acc:
        raise ValueError(
            "history has no non-empty loss or accuracy series "
            f"(keys containing 'loss' or 'acc'); got keys {sorted(history)}"
        )
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    # The same split (train_, test_, ...) gets the same colour in both panels.
    splits: dict[str, str] = {}
    for ax, series, title in ((ax_loss, loss, "Loss"), (ax_acc, acc, "Accuracy")):
        ax.set_title(title)
        ax.set_xlabel("epoch")
        if not series:
            ax.text(0.5, 0.5, f"no {title.lower()} recorded", ha="center", va="center",
                    transform=ax.transAxes)
            continue
        for key, values in series.items():
            split = key.lower().split("_", 1)[0] if "_" in key else key
            color = splits.setdefault(split, f"C{len(splits) % 10}")
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, marker="o" if len(values) <= 30 else None, label=key,
                    color=color)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
    ax_loss.set_ylabel("loss")
    ax_acc.set_ylabel("accuracy")
    return _save(fig, path)


# --------------------------------------------------------------------------- images


def _grid(n: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    return rows, cols


def _tile_figure(
    tiles: np.ndarray,
    titles: Sequence[str],
    suptitle: str,
    cmap_name: str,
    vmin: float,
    vmax: float,
    title_color: str = "black",
) -> Any:
    """One figure showing ``tiles`` (n, h, w) in a grid, each with a small title above it.

    The tiles are packed into a single mosaic image drawn by one ``imshow`` (blank space is
    NaN, drawn white) and the titles are text placed over the gaps: far faster than one Axes
    per tile when there are a hundred of them.
    """
    import matplotlib

    Figure = _figure_class()
    n, h, w = tiles.shape
    rows, cols = _grid(n)
    px_per_inch = max(h, w) * 1.15  # each tile is a little under an inch wide
    gap = max(1, round(0.08 * px_per_inch))
    lines = max((title.count("\n") + 1 for title in titles[:n]), default=1)
    top = max(2, round(0.22 * lines * px_per_inch))  # room for a tile's title
    cell_h, cell_w = top + h, gap + w
    mosaic = np.full((rows * cell_h + gap, cols * cell_w + gap), np.nan)
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = r * cell_h + top, c * cell_w + gap
        mosaic[y : y + h, x : x + w] = tiles[i]

    header = 0.45  # inches for the figure title
    width_in = mosaic.shape[1] / px_per_inch
    height_in = mosaic.shape[0] / px_per_inch
    fig = Figure(figsize=(width_in, height_in + header))
    ax = fig.add_axes((0.0, 0.0, 1.0, height_in / (height_in + header)))
    ax.set_axis_off()
    cmap = matplotlib.colormaps[cmap_name].with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", aspect="auto")
    from matplotlib.patches import Rectangle

    for i, title in enumerate(titles[:n]):
        r, c = divmod(i, cols)
        ax.add_patch(Rectangle((c * cell_w + gap - 0.5, r * cell_h + top - 0.5), w, h,
                               fill=False, edgecolor="#bbbbbb", linewidth=0.5))
        ax.text(c * cell_w + gap + (w - 1) / 2, r * cell_h + top - 1.0, title, ha="center",
                va="bottom", fontsize=7, color=title_color)
    fig.suptitle(suptitle, y=1.0 - 0.08 / (height_in + header), va="top", fontsize=11)
    return fig


def plot_weights(
    W: Any,
    path: str | os.PathLike[str],
    shape: tuple[int, int] = (28, 28),
    max_units: int = 100,
) -> str | os.PathLike[str]:
    """Draw the first ``max_units`` rows of a first-layer weight matrix as images.

    ``W`` has shape ``(n_units, h * w)`` (a Tensor or an array); each row, the incoming weights
    of one hidden unit, is reshaped to ``shape`` and drawn in a grid, titled ``unit i``.
    Colours use a diverging map centred on zero (red positive, blue negative), each image scaled
    to its own largest absolute weight. The figure title says how many units are shown.
    """
    _figure_class()
    _format_for(path)
    w = _as_array(W).astype(float, copy=False)
    size = shape[0] * shape[1]
    if w.ndim != 2 or w.shape[1] != size:
        raise ValueError(f"W must have shape (n_units, {size}) for shape={shape}, got {w.shape}")
    n = min(len(w), max_units)
    if n == 0:
        raise ValueError("W has no rows to draw")
    tiles = w[:n].reshape(n, *shape)
    scale = np.max(np.abs(tiles), axis=(1, 2), keepdims=True)
    tiles = tiles / np.where(scale > 0, scale, 1.0)
    fig = _tile_figure(
        tiles, [f"unit {i}" for i in range(n)],
        f"First-layer weights ({n} of {len(w)} units)", "RdBu_r", -1.0, 1.0,
    )
    return _save(fig, path)


def plot_misclassified(
    images: Any,
    true: Any,
    pred: Any,
    path: str | os.PathLike[str],
    max_images: int = 36,
    shape: tuple[int, int] = (28, 28),
    class_names: Sequence[str] | None = None,
) -> str | os.PathLike[str]:
    """Draw up to ``max_images`` digit images in a grid, each titled ``"pred P / true T"``.

    ``images`` has shape ``(N, h * w)`` or ``(N, h, w)``; ``true`` and ``pred`` are the ``N``
    true and predicted labels (ints, or one-hot / score rows, which are reduced with argmax).
    Pass only the misclassified examples; the first ``max_images`` are drawn, in order, dark
    ink on white, on one common intensity scale. With ``class_names`` (indexed by label, e.g.
    ``nn.datasets.CLASSES["fashion-mnist"]``) the titles name the classes, on two lines
    (``"pred Sneaker"``, ``"true Sandal"``) when a name is longer than two characters.
    """
    _figure_class()
    _format_for(path)
    imgs = _as_array(images).astype(float, copy=False)
    t = _labels(true)
    p = _labels(pred)
    if not (len(imgs) == len(t) == len(p)):
        raise ValueError(
            f"images, true and pred must have the same length, got {len(imgs)}, {len(t)}, {len(p)}"
        )
    n = min(len(imgs), max_images)
    if n == 0:
        tiles = np.full((1, *shape), np.nan)
        titles = ["(none)"]
        lo, hi = 0.0, 1.0
    else:
        tiles = imgs[:n].reshape(n, *shape)
        titles = _misclassified_titles(p[:n], t[:n], class_names)
        lo, hi = float(np.nanmin(tiles)), float(np.nanmax(tiles))
        hi = hi if hi > lo else lo + 1.0
    fig = _tile_figure(tiles, titles, f"Misclassified: {n} of {len(imgs)} shown", "gray_r",
                       lo, hi, title_color="firebrick")
    return _save(fig, path)


def _misclassified_titles(
    pred: np.ndarray, true: np.ndarray, class_names: Sequence[str] | None
) -> list[str]:
    if class_names is None:
        return [f"pred {p} / true {t}" for p, t in zip(pred, true, strict=True)]
    names = [str(name) for name in class_names]
    if min(pred.min(), true.min()) < 0 or max(pred.max(), true.max()) >= len(names):
        raise ValueError(f"labels lie in {min(pred.min(), true.min())}.."
                         f"{max(pred.max(), true.max())}, but {len(names)} class names were given")
    sep = "\n" if any(len(names[k]) > 2 for k in (*pred, *true)) else " / "
    return [f"pred {names[p]}{sep}true {names[t]}" for p, t in zip(pred, true, strict=True)]


def _labels(y: Any) -> np.ndarray:
    arr = _as_array(y)
    if arr.ndim == 2:
        arr = arr.argmax(axis=1)
    return arr.astype(int).ravel()
