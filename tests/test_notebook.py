"""In a notebook a tensor, or a drawn graph, shows as a picture without the user calling anything.

Jupyter renders a cell's result through IPython's DisplayFormatter; these tests ask it directly.
"""

import os
import time
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


def _chain(n):
    x = Tensor(0.5, requires_grad=True, name="x")
    for _ in range(n):
        x = x.tanh()
    return x


def _fan_out(n):
    x = Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y * x
    return y


def _shown_message(data):
    """The message a notebook shows instead of a graph: HTML first, the same in an SVG card."""
    assert "text/html" in data, data.keys()
    html = data["text/html"]
    assert html.startswith("<pre>Tensor(")  # the tensor's own text is still there
    card = _svg_text(data["image/svg+xml"])  # frontends that prefer SVG get the message too
    assert "Graph not drawn" in card
    return html


@pytest.mark.parametrize("make, says", [
    (lambda: _chain(300), ["301 value nodes, more than max_nodes=200",
                           "viz.draw_graph(t, max_nodes=None)"]),
    (lambda: _fan_out(198), ["39,600 layers", "more than max_edges=1000",
                             "x feeds 198 operations", "viz.draw_graph(t, max_edges=None)"]),
])
def test_a_graph_over_the_limits_shows_a_message_quickly(make, says, monkeypatch):
    y = make()
    draws = []
    monkeypatch.setattr("viz.notebook.draw_graph", lambda t: draws.append(t) or draw_graph(t))
    start = time.monotonic()
    data, _ = DisplayFormatter().format(y)
    assert time.monotonic() - start < 3
    html = _shown_message(data)
    for text in says:
        assert text in html
    assert len(draws) == 1  # the display does not try a second time through _repr_svg_


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a fake dot")
def test_a_slow_rendering_falls_back_to_a_message_within_the_display_timeout(
        monkeypatch, tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 20\n")
    slow.chmod(0o755)
    monkeypatch.setenv("AUTOGRAD_MINI_DOT", str(slow))
    monkeypatch.setattr("viz.notebook.DISPLAY_TIMEOUT", 0.5)
    a, e = _seed_example()
    start = time.monotonic()
    data, _ = DisplayFormatter().format(e)
    assert time.monotonic() - start < 4
    html = _shown_message(data)
    assert "did not finish within the 0.5 s a notebook display gets" in html
    assert "viz.draw_graph(t).svg()" in html

    d = draw_graph(e)
    d.display_timeout = 0.5
    start = time.monotonic()
    data, _ = DisplayFormatter().format(d)
    assert time.monotonic() - start < 4
    assert "timed out after 0.5 s" in data["text/plain"] and "display_timeout" in data["text/plain"]
