"""In a notebook a tensor, or a drawn graph, shows as a picture without the user calling anything.

Jupyter renders a cell's result through IPython's DisplayFormatter; these tests ask it directly.
"""

import xml.etree.ElementTree as ET

import pytest

from autograd_mini import Tensor
from viz import draw_graph
from viz.dot import available_backends

IPython = pytest.importorskip("IPython")
from IPython.core.formatters import DisplayFormatter  # noqa: E402

needs_dot = pytest.mark.skipif(not available_backends(), reason="no dot program available")


def _seed_example():
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(1.0, requires_grad=True, name="b")
    e = (a + b) * (b + 1)
    e.name = "e"
    e.backward()
    return a, e


def _svg_text(svg: str) -> str:
    root = ET.fromstring(svg)
    return " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))


@needs_dot
@pytest.mark.parametrize("what", ["tensor", "diagram"])
def test_result_of_a_cell_is_shown_as_svg(what):
    a, e = _seed_example()
    shown = e if what == "tensor" else draw_graph(e)
    data, _ = DisplayFormatter().format(shown)
    assert "image/svg+xml" in data
    text = _svg_text(data["image/svg+xml"])
    assert "e" in text.split() and "6" in text and "5" in text  # e = 6, de/db = 5


def test_a_lone_leaf_falls_back_to_its_text_repr():
    a, _ = _seed_example()
    data, _ = DisplayFormatter().format(a)
    assert "image/svg+xml" not in data
    assert data["text/plain"].startswith("Tensor(2.")
