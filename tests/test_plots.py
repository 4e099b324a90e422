"""Tests of viz.plots: learning curves, weight grids and misclassified digits."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from viz import plot_history, plot_misclassified, plot_weights  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def png_size(path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


HISTORY = {
    "train_loss": [0.9, 0.5, 0.35, 0.3],
    "test_loss": [0.95, 0.6, 0.45, 0.42],
    "test_accuracy": [0.71, 0.85, 0.9, 0.91],
}


def test_history_png(tmp_path):
    from matplotlib.image import imread

    out = tmp_path / "history.png"
    assert plot_history(HISTORY, out) == out
    width, height = png_size(out)
    assert 900 <= width <= 1100 and 350 <= height <= 450  # 10 x 4 inches at 100 dpi
    img = imread(out)
    assert img.shape[:2] == (height, width)
    assert img[..., :3].std() > 0.05  # not a blank canvas
    assert [p.name for p in tmp_path.iterdir()] == ["history.png"]


def test_history_svg_plots_whichever_keys_exist(tmp_path):
    out = tmp_path / "history.svg"
    plot_history(HISTORY, out)
    texts = svg_texts(out)
    for key in ("train_loss", "test_loss", "test_accuracy", "Loss", "Accuracy", "epoch"):
        assert key in texts

    only_loss = tmp_path / "loss.svg"
    plot_history({"train_loss": [1.0, 0.5], "lr": [0.1, 0.1]}, only_loss)
    texts = svg_texts(only_loss)
    assert "train_loss" in texts and "no accuracy recorded" in texts
    assert "lr" not in texts

    with pytest.raises(ValueError, match="loss or accuracy"):
        plot_history({"lr": [0.1]}, tmp_path / "none.svg")
    with pytest.raises(ValueError, match=".png or .svg"):
        plot_history(HISTORY, tmp_path / "history.bmp")


def test_weight_grid_of_30_units(tmp_path):
    W = np.random.default_rng(0).normal(size=(30, 784))
    svg = tmp_path / "weights.svg"
    assert plot_weights(W, svg) == svg
    texts = svg_texts(svg)
    assert [t for t in texts if t.startswith("unit ")] == [f"unit {i}" for i in range(30)]
    assert "First-layer weights (30 of 30 units)" in texts

    # Unit 0 all positive, unit 1 all negative: red and blue squares in the PNG.
    from matplotlib.image import imread

    W2 = np.zeros((4, 784))
    W2[0], W2[1] = 1.0, -1.0
    png = tmp_path / "weights.png"
    plot_weights(W2, png)
    width, height = png_size(png)
    assert width > 100 and height > 100
    rgb = imread(png)[..., :3]
    red = (rgb[..., 0] - rgb[..., 2]) > 0.2
    blue = (rgb[..., 2] - rgb[..., 0]) > 0.2
    assert red.sum() > 400 and blue.sum() > 400

    with pytest.raises(ValueError, match="784"):
        plot_weights(np.zeros((3, 100)), tmp_path / "bad.png")


def test_weight_grid_caps_units(tmp_path):
    W = np.random.default_rng(1).normal(size=(150, 16))
    out = tmp_path / "w.svg"
    plot_weights(W, out, shape=(4, 4), max_units=100)
    texts = svg_texts(out)
    assert sum(t.startswith("unit ") for t in texts) == 100
    assert "First-layer weights (100 of 150 units)" in texts


def test_misclassified_titles(tmp_path):
    rng = np.random.default_rng(2)
    images = rng.random((40, 784))
    true = np.arange(40) % 10
    pred = (true + 3) % 10
    out = tmp_path / "wrong.svg"
    assert plot_misclassified(images, true, pred, out) == out
    texts = svg_texts(out)
    assert "pred 3 / true 0" in texts and "pred 2 / true 9" in texts
    assert sum(t.startswith("pred ") for t in texts) == 36  # max_images

    # Digits are drawn dark on white; one-hot label rows are accepted.
    from matplotlib.image import imread

    strokes = np.zeros((4, 28, 28))
    strokes[:, 4:24, 12:16] = 1.0
    png = tmp_path / "wrong.png"
    plot_misclassified(strokes, np.eye(10)[true[:4]], pred[:4], png)
    png_size(png)
    gray = imread(png)[..., :3].mean(axis=-1)
    assert (gray < 0.1).sum() > 4 * 100 and (gray > 0.9).mean() > 0.5
    assert "pred 3 / true 0" in svg_texts(
        plot_misclassified(strokes, np.eye(10)[true[:4]], pred[:4], tmp_path / "w4.svg")
    )

    with pytest.raises(ValueError, match="same length"):
        plot_misclassified(images, true[:3], pred, tmp_path / "x.png")
