"""Drawing is bounded and never breaks on odd input.

Graphs whose layout would take minutes are refused before Graphviz runs (``max_edges`` counts
the edge segments Graphviz routes, which is what makes it slow); renderers are stopped after a
timeout and, on Linux, at a memory cap; names holding control characters are drawn escaped.
"""

from __future__ import annotations

import os
import stat
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd_mini import Tensor
from viz import GraphTooLargeError, RenderError, RenderTimeout, draw_graph, render, render_svg
from viz.dot import ENV_VAR, RenderLimitError, find_pure_dot, find_system_dot
from viz.graph import edge_segments, walk

HAS_SYSTEM = find_system_dot() is not None
HAS_PURE = find_pure_dot() is not None
BACKENDS = [
    pytest.param("system", marks=pytest.mark.skipif(not HAS_SYSTEM, reason="no system dot")),
    pytest.param("pure", marks=pytest.mark.skipif(not HAS_PURE, reason="no graphviz-pure")),
]
posix_only = pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a fake dot")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prlimit is Linux")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def fan_out(n: int) -> Tensor:
    """y = x·x·x···x: n multiplications, and the one leaf x feeds every one of them."""
    x = Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y * x
    return y


def chain(n: int) -> Tensor:
    x = Tensor(0.5, requires_grad=True, name="x")
    for _ in range(n):
        x = x.tanh()
    return x


def fake_dot(tmp_path: Path, body: str) -> Path:
    """A stand-in dot that answers ``-T?`` like Graphviz and runs ``body`` otherwise."""
    fake = tmp_path / "fake-dot"
    fake.write_text(
        "#!/bin/sh\n"
        "if [ \"$1\" = '-T?' ]; then\n"
        "  echo 'Format: \"?\" not recognized. Use one of: svg png' >&2; exit 1\n"
        "fi\n" + body + "\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


# --------------------------------------------------------------------------- edge limit


def test_edge_segments_count_the_layers_long_edges_cross():
    # A chain: every edge joins neighbouring layers, so segments = edges (2 per operation).
    assert edge_segments(walk(chain(10)))[:2] == (20, 20)
    # x feeds operation i (on layer 2i - 1) from layer 0: n² + 2n segments for 3n edges.
    edges, segments, widest = edge_segments(walk(fan_out(5)))
    assert (edges, segments, widest.name) == (15, 35, "x")
    # Constants count one segment each; a leaf sits just before its first use, so `late`
    # (first used on layer 5) costs 1 segment, not 5.
    a = Tensor(1.0, requires_grad=True, name="a")
    late = Tensor(2.0, requires_grad=True, name="late")
    y = (a.exp().exp() + late) * 3
    assert edge_segments(walk(y))[:2] == (10, 10)


def test_fan_out_graph_is_refused_quickly_with_a_clear_message():
    y = fan_out(198)  # 199 tensors: within max_nodes=200
    assert len(walk(y)) == 199
    start = time.monotonic()
    with pytest.raises(GraphTooLargeError) as info:
        render_svg(y)
    assert time.monotonic() - start < 2
    msg = str(info.value)
    assert "594 edges crossing 39,600 layers" in msg and "max_edges=1000" in msg
    assert "x feeds 198 operations" in msg
    assert "viz.draw_graph(t, max_edges=None)" in msg and "max_nodes=None" not in msg
    assert isinstance(info.value, ValueError)


def test_both_limits_named_when_both_are_exceeded_and_lifted_together():
    y = chain(600)
    with pytest.raises(GraphTooLargeError) as info:
        draw_graph(y)
    msg = str(info.value)
    assert "601 value nodes, more than max_nodes=200" in msg
    assert "1,200 layers" in msg and "max_edges=1000" in msg
    assert "viz.draw_graph(t, max_nodes=None, max_edges=None)" in msg
    src = draw_graph(y, max_nodes=None, max_edges=None, show_data=False).source
    assert src.count("tanh") >= 600
    draw_graph(fan_out(20))  # 440 segments: drawn


@pytest.mark.parametrize("backend", BACKENDS)
def test_graphs_within_the_limits_render_quickly(backend):
    start = time.monotonic()
    for y in (fan_out(30), chain(199)):  # the largest shapes the default limits let through
        assert "</svg>" in render_svg(y, backend=backend)
    assert time.monotonic() - start < 20  # well under a second each on an idle machine


# --------------------------------------------------------------------------- time and memory


@posix_only
def test_timeout_stops_the_renderer_and_does_not_try_the_other_one(monkeypatch, tmp_path):
    slow = fake_dot(tmp_path, "exec sleep 20")
    tried = []
    monkeypatch.setattr("viz.dot.find_system_dot", lambda: str(slow))
    monkeypatch.setattr("viz.dot.find_pure_dot", lambda: tried.append("pure") or str(slow))
    start = time.monotonic()
    with pytest.raises(RenderTimeout, match="timed out after 0.3 s") as info:
        render("digraph { a -> b }", timeout=0.3)
    assert time.monotonic() - start < 5
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, RenderLimitError)
    assert "system Graphviz dot" in str(info.value) and "graphviz-pure" not in str(info.value)


@posix_only
@linux_only
def test_renderer_runs_under_the_memory_cap(monkeypatch, tmp_path):
    # The fake reads its input, as dot does (the cap is set before the input is sent), then
    # reports its own address-space limit (ulimit -v, in KiB) as its output.
    monkeypatch.setenv(ENV_VAR, str(fake_dot(tmp_path, "cat > /dev/null\nulimit -v")))
    assert render("digraph { a -> b }", max_memory=300 << 20).strip() == str(300 << 10)
    assert render("digraph { a -> b }").strip() == str(1 << 20)  # the default: 1 GiB
    assert render("digraph { a -> b }", max_memory=None).strip() == "unlimited"


@linux_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_out_of_memory_is_reported_as_such(backend):
    src = draw_graph(fan_out(150), max_edges=None).source
    start = time.monotonic()
    with pytest.raises(RenderLimitError, match=r"ran out of the 48 MiB of memory allowed"):
        render(src, backend=backend, max_memory=48 << 20)
    assert time.monotonic() - start < 30


# --------------------------------------------------------------------------- odd names


@pytest.mark.parametrize("backend", BACKENDS)
def test_names_with_control_characters_are_drawn_escaped(backend):
    names = {"a\x00b": "a\\x00b", "\x1b[31m": "\\x1b[31m", "\n": "\\n", "\ud800": "\\ud800",
             "<b>&amp;": "<b>&amp;", "x" * 60: "x" * 39 + "…"}
    leaves = [Tensor(float(i), requires_grad=True, name=n) for i, n in enumerate(names)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    total.name = "tab\there"
    svg = render_svg(total, backend=backend)
    root = ET.fromstring(svg.encode("utf-8"))
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    for shown in names.values():
        assert shown in texts, (shown, texts)
    assert "tab\\there" in texts
    assert {"∂add₁/∂a\\x00b = 1", "∂add₁/∂\\x1b[31m = 1"} <= set(texts)  # edge labels too


def test_render_error_names_the_problem_for_bad_dot_text():
    if not (HAS_SYSTEM or HAS_PURE):
        pytest.skip("no dot renderer installed")
    with pytest.raises(RenderError, match="syntax error"):
        render('digraph { a [label="x"\x00] }')
