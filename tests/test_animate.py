"""Step-through pages (viz.animate_backward / animate_forward): the file, and a real browser.

The browser tests open the page in headless Chromium, press Next (mouse) or the arrow keys (a
real key event) to the end and read the gradients the page shows. They skip where chromium or
the websocket-client package is missing. A screenshot of one step is kept under pytest's
tmp_path (its path is printed: run with -s to see it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from seed import seed_example

import nn
from autograd_mini import Tensor
from viz import GraphTooLargeError, StepThrough, animate_backward, animate_forward
from viz.dot import available_backends

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(not available_backends(), reason="no dot program available")
pytestmark = needs_dot



def page_data(page: str) -> dict:
    found = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def page_svg(page: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg\b.*</svg>", page, re.S).group(0))


def final_lines(node: dict) -> list[str]:
    return node["changes"][-1][1]


# --------------------------------------------------------------------------- the file


def test_backward_page_is_self_contained_and_holds_the_sweep(tmp_path):
    a, b, c, d, e = seed_example()
    out = tmp_path / "sweep.html"
    shown = animate_backward(e, out)
    assert isinstance(shown, StepThrough) and shown.steps == 5
    page = out.read_text(encoding="utf-8")
    assert page == shown.html and not list(tmp_path.glob(".*.part"))
    # nothing is fetched: no external script, style, font or image; only XML namespace names
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|url\(|<img\b|<iframe\b", page)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    data = page_data(page)
    nodes = {n["label"]: n for n in data["nodes"]}
    assert [n["label"] for n in data["nodes"]] == ["e", "d", "c", "b", "a"]  # sweep order
    assert [final_lines(nodes[x]) for x in "abcde"] == [["grad 2"], ["grad 5"], ["grad 2"],
                                                        ["grad 3"], ["grad 1"]]
    # b: "—", then 3 so far (from d, step 2), 5 so far (from c, step 3), 5 final (its own step)
    assert [(k, text, status) for k, _, status, text in nodes["b"]["changes"]] == [
        (0, "—", "none"), (2, "3 so far", "partial"), (3, "5 so far", "partial"),
        (4, "5", "final")]
    assert [s["node"] for s in data["steps"][1:]] == [nodes[x]["id"] for x in "edcba"]
    assert "3 from d + 2 from c = 5" in data["steps"][4]["note"]
    assert "∂e/∂a = 2" in data["steps"][5]["note"] and "∂e/∂b = 5" in data["steps"][5]["note"]
    assert_script_finds_the_boxes(page)
    # the graph is still there and no .grad was touched
    assert all(t.grad is None for t in (a, b, c, d, e))
    e.backward()
    assert b.grad.item() == 5


def assert_script_finds_the_boxes(page: str) -> None:
    """The script finds every node by its SVG title, and its value lines are the box's last
    texts (as many as the data says; drawn with the final values, so that the box fits them —
    under the label "grad", which the script replaces in forward mode)."""
    data = page_data(page)
    boxes = {g.findtext(f"{SVG}title"): [t.text for t in g.iter(f"{SVG}text")]
             for g in page_svg(page).iter(f"{SVG}g") if g.get("class") == "node"}
    for node in data["nodes"]:
        drawn, final = boxes[node["id"]][-node["lines"]:], final_lines(node)
        assert boxes[node["id"]][0] == node["label"]  # the page and the picture name it alike
        assert drawn[0].split(" ", 1) == ["grad", final[0].split(" ", 1)[1]]
        assert drawn[1:] == final[1:]


@pytest.mark.parametrize("backend", sorted(available_backends()))
def test_both_renderers_give_pages_the_script_can_read(backend):
    *_, b, _, _, e = seed_example()
    assert_script_finds_the_boxes(animate_backward(e, backend=backend).html)
    assert_script_finds_the_boxes(animate_forward(e, b, backend=backend, rankdir="TB").html)


def test_forward_page_shows_derivatives_with_respect_to_the_seed():
    a, b, c, d, e = seed_example()
    data = page_data(animate_forward(e, b).html)
    assert data["title"] == "Forward sweep from b" and data["valueHead"] == "∂node/∂b"
    nodes = {n["label"]: n for n in data["nodes"]}
    assert [n["label"] for n in data["nodes"]] == ["a", "b", "c", "d", "e"]
    assert [final_lines(nodes[x]) for x in "abcde"] == [["∂/∂b 0"], ["∂/∂b 1"], ["∂/∂b 1"],
                                                        ["∂/∂b 1"], ["∂/∂b 5"]]
    assert "∂e/∂a needs another sweep" in data["steps"][-1]["note"]


def test_existing_grads_are_kept_and_arrays_get_several_lines():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal(3), requires_grad=True, name="w")
    y = (x * w + 1.0).sum()
    y.backward(retain_graph=True)
    before = w.grad
    data = page_data(animate_backward(y).html)
    assert w.grad is before and x.grad is not None
    node_x = next(n for n in data["nodes"] if n["label"] == "x")
    assert node_x["lines"] == 2 and final_lines(node_x)[0].startswith("grad min")  # + values


def test_mlp_page_and_the_size_limit():
    rng = np.random.default_rng(1)
    model = nn.MLP([4, 5, 3, 2], rng=0)
    cost = nn.quadratic_cost(model(rng.standard_normal((3, 4))), rng.uniform(size=(3, 2)))
    page = animate_backward(cost).html
    data = page_data(page)
    assert len(data["steps"]) == 14  # the start and 13 tensors: 3 × (W, b, affine, σ) + cost
    assert max(node["lines"] for node in data["nodes"]) > 1
    assert_script_finds_the_boxes(page)
    with pytest.raises(GraphTooLargeError, match=r"has 13 nodes .* more than max_nodes=10"):
        animate_backward(cost, max_nodes=10)
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(120):
        y = y * 1.01
    with pytest.raises(GraphTooLargeError, match="121 nodes.*max_nodes=100.*trace_backward"):
        animate_forward(y, x)


def test_notebook_display_is_an_isolated_frame(tmp_path):
    *_, e = seed_example()
    shown = animate_backward(e)
    frame = shown._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;svg" in frame and "<svg" not in frame
    assert shown.save(tmp_path / "x.html").read_text(encoding="utf-8") == shown.html
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(shown)
    assert data["text/html"] == frame


def test_example_script_writes_the_step_through(tmp_path):
    out = tmp_path / "expression.svg"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "expression.py"), str(out)],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    assert f"graph written to {out}" in proc.stdout
    assert f"written to {tmp_path / 'expression.html'}" in proc.stdout
    data = page_data((tmp_path / "expression.html").read_text(encoding="utf-8"))
    assert final_lines(next(n for n in data["nodes"] if n["label"] == "b")) == ["grad 5"]


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser():
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    pytest.importorskip("websocket", reason="websocket-client is not installed")
    from browser import Browser

    b = Browser()
    yield b
    b.close()


SHOWN = ("Object.fromEntries(Array.from(document.querySelectorAll('#values tbody tr'))"
         ".map(r => [r.dataset.label, r.lastChild.textContent]))")
BOX = ("Array.from(document.querySelectorAll('#graph g.node')).find(g => "
       "g.querySelector('text').textContent === {name!r}).querySelectorAll('text')")


def box_lines(browser, name: str) -> list[str]:
    return browser.js(f"Array.from({BOX.format(name=name)}).map(t => t.textContent)")


@pytest.fixture(scope="module")
def seed_pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    *_, b, _, _, e = seed_example()
    animate_backward(e, folder / "backward.html")
    animate_forward(e, b, folder / "forward.html")
    return folder


def test_pressing_next_to_the_end_shows_the_gradients(browser, seed_pages, tmp_path):
    browser.open(seed_pages / "backward.html")
    assert browser.js("performance.getEntriesByType('resource').length") == 0  # nothing fetched
    assert browser.js(SHOWN) == {"e": "—", "d": "—", "c": "—", "b": "—", "a": "—"}
    browser.click("#next")
    browser.click("#next")  # e sent 2 to c and 3 to d; d sent 3 to b
    assert browser.js(SHOWN)["b"] == "3 so far"
    browser.click("#next")  # c sends 2 to b: the second path
    assert browser.js(SHOWN)["b"] == "5 so far"
    assert browser.js("document.querySelectorAll('#graph g.edge.am-lit').length") == 3
    shot = browser.screenshot(tmp_path / "step-3.png")
    print(f"screenshot of step 3: {shot}")
    assert shot.stat().st_size > 10_000
    while not browser.js("document.getElementById('next').disabled"):
        browser.click("#next")
    assert browser.js("document.getElementById('counter').textContent") == "step 5 of 5"
    shown = browser.js(SHOWN)
    assert (shown["a"], shown["b"]) == ("2", "5")
    assert box_lines(browser, "a")[-1] == "grad 2" and box_lines(browser, "b")[-1] == "grad 5"
    assert "Done" in browser.js("document.getElementById('note').textContent")


def test_arrow_keys_step_both_ways(browser, seed_pages):
    browser.open(seed_pages / "backward.html")
    for _ in range(5):
        browser.key("ArrowRight")
    shown = browser.js(SHOWN)
    assert (shown["a"], shown["b"]) == ("2", "5")
    browser.key("ArrowLeft")  # back to step 4: a has not been visited yet
    assert browser.js(SHOWN)["a"] == "2 so far"
    assert box_lines(browser, "b")[-1] == "grad 5"
    browser.key("Home")
    assert set(browser.js(SHOWN).values()) == {"—"}
    assert box_lines(browser, "a")[-1] == "grad —"


def test_forward_page_and_play(browser, seed_pages):
    browser.open(seed_pages / "forward.html")
    browser.key("End")
    assert browser.js(SHOWN) == {"a": "0", "b": "1", "c": "1", "d": "1", "e": "5"}
    assert box_lines(browser, "e")[-1] == "∂/∂b 5"
    browser.key("Home")
    browser.click("#play")
    browser.wait("document.getElementById('counter').textContent === 'step 1 of 5'")
    browser.click("#play")  # pause
    assert browser.js("document.getElementById('play').textContent") == "▶ Play"
    assert browser.js(SHOWN)["a"] == "0" and browser.js(SHOWN)["e"] == "—"
