"""Tests of viz: computation-graph drawing, rendering back-ends, model view, atomic writes."""

from __future__ import annotations

import importlib
import os
import re
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from seed import seed_example

from autograd_mini import Tensor
from viz import (
    Diagram,
    GraphTooLargeError,
    RenderError,
    draw_graph,
    draw_model,
    render,
    render_svg,
    retain_grads,
    tensor_repr_svg,
    write_atomic,
)
from viz.dot import ENV_VAR, find_pure_dot, find_system_dot
from viz.formatting import format_scalar

dot_module = importlib.import_module("viz.dot")

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"

HAS_SYSTEM = find_system_dot() is not None
HAS_PURE = find_pure_dot() is not None
needs_any = pytest.mark.skipif(not (HAS_SYSTEM or HAS_PURE), reason="no dot renderer installed")

BACKENDS = [
    pytest.param(
        "system",
        marks=pytest.mark.skipif(not HAS_SYSTEM, reason="system Graphviz dot not installed"),
    ),
    pytest.param(
        "pure", marks=pytest.mark.skipif(not HAS_PURE, reason="graphviz-pure not installed")
    ),
]


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


# --------------------------------------------------------------------------- SVG parsing


class Picture:
    """The nodes and edges of a Graphviz SVG, read back with ElementTree."""

    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg.encode("utf-8"))
        self.nodes: dict[str, list[str]] = {}  # DOT id -> texts, top to bottom
        self.fills: dict[str, str] = {}
        self.edges: list[tuple[str, str, list[str]]] = []  # (tail, head, texts)
        for g in self.root.iter(f"{SVG}g"):
            cls = g.get("class")
            title = g.findtext(f"{SVG}title")
            texts = [t.text or "" for t in g.iter(f"{SVG}text")]
            if cls == "node":
                self.nodes[title] = texts
                shape = next(
                    (e for e in g.iter() if e.tag in (f"{SVG}path", f"{SVG}polygon",
                                                       f"{SVG}ellipse")), None
                )
                self.fills[title] = shape.get("fill") if shape is not None else ""
            elif cls == "edge":
                tail, head = title.split("->")
                self.edges.append((tail, head, texts))

    def find(self, header: str) -> str:
        """The DOT id of the value node whose first line is ``header``."""
        found = [k for k, v in self.nodes.items() if v and v[0] == header]
        assert len(found) == 1, f"expected one node titled {header!r}, got {found}: {self.nodes}"
        return found[0]

    def texts(self, header: str) -> list[str]:
        return self.nodes[self.find(header)]

    def producer_op(self, header: str) -> str:
        """The op node with an edge into the value node titled ``header``."""
        vid = self.find(header)
        ops = [t for t, h, _ in self.edges if h == vid]
        assert len(ops) == 1
        return ops[0]

    def edge_labels(self) -> set[str]:
        return {" ".join(texts) for _, _, texts in self.edges if texts}

    @property
    def notes(self) -> list[str]:
        """The texts of the graph's own label: the note lines under the picture."""
        top = next(g for g in self.root.iter(f"{SVG}g") if g.get("class") == "graph")
        return [t.text or "" for t in top.findall(f"{SVG}text")]


def expression():
    """e = (a + b) * (b + 1) at a = 2, b = 1, with every gradient kept."""
    a, b, c, d, e = seed_example()
    for t in (c, d, e):  # backward() keeps only the leaves' gradients unless asked
        t.retain_grad()
    e.backward()
    return a, b, c, d, e


# --------------------------------------------------------------------------- the expression


@pytest.mark.parametrize("backend", BACKENDS)
def test_expression_values_gradients_and_edge_derivatives(backend):
    *_, e = expression()
    svg = render_svg(e, backend=backend)
    pic = Picture(svg)

    assert pic.texts("a") == ["a", "data 2", "grad 2"]
    assert pic.texts("b") == ["b", "data 1", "grad 5"]
    assert pic.texts("c") == ["c", "data 3", "grad 2"]
    assert pic.texts("d") == ["d", "data 2", "grad 3"]
    assert pic.texts("e") == ["e", "data 6", "grad 1"]

    # Edge labels carry the local derivatives ...
    assert pic.edge_labels() == {
        "∂e/∂c = 2", "∂e/∂d = 3", "∂c/∂a = 1", "∂c/∂b = 1", "∂d/∂b = 1",
    }
    # ... on the right edges: from the input value into the op that made the output.
    labelled = {" ".join(t): (tail, head) for tail, head, t in pic.edges if t}
    expected = {("e", "c"): "2", ("e", "d"): "3", ("c", "a"): "1", ("c", "b"): "1",
                ("d", "b"): "1"}
    for (out, inp), value in expected.items():
        tail, head = labelled[f"∂{out}/∂{inp} = {value}"]
        assert tail == pic.find(inp)
        assert head == pic.producer_op(out)

    # Operation nodes carry symbols, and the constant 1 of b + 1 is a node feeding d's op.
    assert pic.nodes[pic.producer_op("e")] == ["×"]
    assert pic.nodes[pic.producer_op("c")] == ["+"]
    const = [k for k, v in pic.nodes.items() if v == ["1"]]
    assert len(const) == 1
    assert (const[0], pic.producer_op("d")) in {(t, h) for t, h, _ in pic.edges}

    # Which program drew it.
    assert ("graphviz-pure" in svg) == (backend == "pure")


@needs_any
def test_node_kinds_are_visually_distinct():
    a = Tensor(2.0, requires_grad=True, name="a")
    k = Tensor(3.0, name="k")  # a constant leaf
    m = a * k
    m.name = "m"
    y = m.exp()
    y.name = "y"
    pic = Picture(render_svg(y))
    param, const, inner, root = (pic.fills[pic.find(n)] for n in ("a", "k", "m", "y"))
    assert len({param, const, inner, root}) == 4
    assert pic.nodes[pic.producer_op("y")] == ["exp"]
    # No backward was run: gradients are shown as missing.
    assert pic.texts("a")[-1] == "grad —"
    assert pic.texts("k") == ["k", "data 3"]


def test_show_options_leave_out_lines():
    *_, e = expression()
    src = draw_graph(e, show_data=False, show_grad=False, show_edge_derivatives=False).source
    assert "data 6" not in src and "grad 1" not in src and "∂" not in src
    src = draw_graph(e, rankdir="TB").source
    assert "rankdir=TB" in src and "data 6" in src and "∂e/∂c = 2" in src


def test_unnamed_nodes_are_titled_by_their_operation():
    x = Tensor(np.array([0.5]), requires_grad=True)
    y = (x * 2).sigmoid()
    src = draw_graph(y).source
    assert "<B>sigmoid</B>" in src and "<B>mul</B>" in src and 'label="σ"' in src
    assert "∂sigmoid/∂mul = 0.1966" in src  # edge labels fall back to the op names
    assert "∂mul/∂param = 2" in src  # an unnamed leaf requiring grad is a "param"


@pytest.mark.parametrize("backend", BACKENDS)
def test_readme_order_gives_unique_titles_and_says_why_grads_are_missing(backend):
    """The README's Quickstart (unnamed e, then backward()), then its retain_grads line."""
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(1.0, requires_grad=True, name="b")
    e = (a + b) * (b + 1)
    e.backward()
    retain_grads(e)  # too late: backward() has run
    pic = Picture(render_svg(e, backend=backend))

    # The two unnamed sums are told apart, on their boxes and on the edge labels.
    assert pic.texts("add₁") == ["add₁", "data 3", "grad —"]
    assert pic.texts("add₂") == ["add₂", "data 2", "grad —"]
    assert pic.texts("mul")[:2] == ["mul", "data 6"]
    labels = pic.edge_labels()
    assert {"∂mul/∂add₁ = 2", "∂mul/∂add₂ = 3", "∂add₁/∂a = 1", "∂add₂/∂b = 1"} <= labels
    assert len(labels) == 5  # one label per edge, none repeated
    # add₁ is a + b: its edge from a carries ∂add₁/∂a.
    labelled = {" ".join(t): (tail, head) for tail, head, t in pic.edges if t}
    assert labelled["∂add₁/∂a = 1"] == (pic.find("a"), pic.producer_op("add₁"))

    # A note under the picture says what the dashes mean and what to do.
    note = " ".join(pic.notes)
    assert "grad — : not kept" in note
    assert "viz.retain_grads(t) before t.backward()" in note


def test_notes_follow_what_is_missing():
    a = Tensor(2.0, requires_grad=True, name="a")
    e = a * 3
    e.name = "e"
    assert draw_graph(e).notes == (
        "grad — : no gradients yet; call viz.retain_grads(e), then e.backward(), to see every "
        "node's",
    )
    e.backward()
    note, = draw_graph(e).notes
    assert "viz.retain_grads(e) before e.backward()" in note
    assert draw_graph(e, show_grad=False).notes == ()
    assert 'labelloc=b' in draw_graph(e).source and "labelloc" not in draw_graph(
        e, show_grad=False).source
    *_, full = expression()  # every gradient kept: nothing to explain
    assert draw_graph(full).notes == () and "labelloc" not in draw_graph(full).source


def test_titles_are_unique_and_stable():
    from viz.graph import titles, walk
    x = Tensor(1.0, requires_grad=True)
    w = Tensor(2.0, requires_grad=True)
    h1 = x * w
    h1.name = "h"
    h2 = h1 * w
    h2.name = "h"
    taken = Tensor(3.0, name="mul₁")  # a user name that a generated title would repeat
    y = (h2 * taken) * (h2 * 2)
    tensors = walk(y)
    names = titles(tensors)
    shown = [names[id(t)] for t in tensors]
    assert len(set(shown)) == len(shown), shown
    assert shown.count("h₁") == shown.count("h₂") == 1
    assert names[id(h1)] == "h₁" and names[id(h2)] == "h₂"  # numbered inputs first
    assert "mul₁" in shown and {"mul₂", "mul₃", "mul₄"} <= set(shown)
    assert names[id(x)] != names[id(w)]  # two unnamed parameters: param₁, param₂
    assert titles(walk(y)) == names  # the same graph, the same titles


# --------------------------------------------------------------------------- arrays


def test_every_primitive_has_a_readable_symbol():
    from autograd_mini import ops
    from viz.graph import OP_SYMBOLS
    missing = sorted(set(ops.PRIMITIVES) - set(OP_SYMBOLS))
    assert not missing, f"primitives without a symbol in viz.graph.OP_SYMBOLS: {missing}"
    unknown = sorted(set(OP_SYMBOLS) - set(ops.PRIMITIVES))
    assert not unknown, f"OP_SYMBOLS names no primitive: {unknown}"


def test_settings_are_written_under_the_symbol_and_constants_drawn_as_nodes():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    s = (x.sum(axis=1) * 2.0).reshape(1, 2)
    src = draw_graph(s).source
    assert "axis=1" in src and "shape=(1, 2)" in src  # parameters under the op symbol
    assert re.search(r'k0 \[label=<<TABLE[^>]*><TR><TD>2</TD>', src)  # the constant 2


@needs_any
def test_array_nodes_show_shape_dtype_summary_and_small_values():
    W = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True, name="W")
    x = Tensor(np.array([1.0, 2.0, 0.5, -1.0], dtype=np.float32), requires_grad=True, name="x")
    h = W @ x
    h.name = "h"
    loss = h.sum()
    loss.name = "loss"
    loss.retain_grad()
    loss.backward()
    pic = Picture(render_svg(loss))

    w = pic.texts("W")
    assert w[:3] == ["W", "data (3, 4) float32", "min 0, mean 5.5, max 11"]
    # d loss / d W[i, j] = x[j]; the gradient line repeats no shape, 12 values are not listed.
    assert w[3:] == ["grad min -1, mean 0.625, max 2"]

    assert pic.texts("x") == [
        "x", "data (4,) float32", "min -1, mean 0.625, max 2", "[1, 2, 0.5, -1]",
        "grad min 12, mean 16.5, max 21", "[12, 15, 18, 21]",  # column sums of W
    ]

    assert pic.texts("loss")[1:] == ["data 30", "grad 1"]
    assert pic.nodes[pic.producer_op("h")] == ["@"]
    # Non-scalar edges get no derivative label.
    assert pic.edge_labels() == set()


def test_format_scalar_is_compact():
    assert format_scalar(6.0) == "6"
    assert format_scalar(0.5) == "0.5"
    assert format_scalar(1.23e-05) == "1.23e-05"
    assert format_scalar(np.float32(-3.14159)) == "-3.142"
    assert format_scalar(np.array([[7]])) == "7"
    assert format_scalar(True) == "True"


# --------------------------------------------------------------------------- node limit


def chain(n: int) -> Tensor:
    x = Tensor(0.5, requires_grad=True, name="x")
    for _ in range(n):
        x = x.tanh()
    return x


def test_node_limit_raises_clear_error():
    y = chain(300)
    with pytest.raises(GraphTooLargeError) as info:
        draw_graph(y, max_nodes=100)
    msg = str(info.value)
    assert "301" in msg and "max_nodes=100" in msg
    assert "max_nodes=None" in msg and "draw_model" in msg
    assert isinstance(info.value, ValueError)
    with pytest.raises(GraphTooLargeError):
        render_svg(y)  # default limit is 200
    assert tensor_repr_svg(y) is None  # notebooks fall back to text


@needs_any
def test_node_limit_can_be_lifted(tmp_path):
    y = chain(300)
    out = tmp_path / "chain.svg"
    svg = render_svg(y, out, max_nodes=None, show_edge_derivatives=False)
    pic = Picture(svg)
    assert len(pic.nodes) == 301 + 300
    assert out.read_text(encoding="utf-8") == svg


def test_deep_graph_does_not_recurse():
    y = chain(3000)
    src = draw_graph(y, max_nodes=None, max_edges=None, show_data=False, show_grad=False).source
    assert src.count("tanh") >= 3000


# --------------------------------------------------------------------------- layer view


def stand_in_mlp(sizes, activations):
    rng = np.random.default_rng(0)
    layers = [
        SimpleNamespace(
            weight=Tensor(rng.normal(size=(n_out, n_in)), requires_grad=True),
            bias=Tensor(np.zeros(n_out), requires_grad=True),
            activation=act,
        )
        for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations, strict=True)
    ]
    return SimpleNamespace(layers=layers)


@needs_any
def test_draw_model_one_box_per_layer_with_shapes():
    model = stand_in_mlp([784, 30, 10], ["sigmoid", "identity"])
    pic = Picture(draw_model(model, x=np.zeros((5, 784))).svg())
    l1 = pic.texts("layer 1: 784 → 30, sigmoid")
    assert l1[1:5] == ["W (30, 784)", "b (30,)", "z (5, 30)", "a (5, 30)"]
    assert "23,550 parameters" in l1
    l2 = pic.texts("layer 2: 30 → 10, identity")
    assert l2[1:5] == ["W (10, 30)", "b (10,)", "z (5, 10)", "a (5, 10)"]
    assert pic.texts("input x")[1] == "(5, 784)"
    assert pic.texts("output")[1] == "(5, 10)"
    chain_edges = {(t, h) for t, h, _ in pic.edges}
    assert chain_edges == {
        (pic.find("input x"), pic.find("layer 1: 784 → 30, sigmoid")),
        (pic.find("layer 1: 784 → 30, sigmoid"), pic.find("layer 2: 30 → 10, identity")),
        (pic.find("layer 2: 30 → 10, identity"), pic.find("output")),
    }


def test_draw_model_without_batch_and_mismatch():
    model = stand_in_mlp([4, 3, 2], ["tanh", "relu"])
    src = draw_model(model).source
    assert "z (·, 3)" in src and "a (·, 2)" in src
    with pytest.raises(ValueError, match="5 features"):
        draw_model(model, x=np.zeros((2, 5)))
    model.layers[1].weight = Tensor(np.zeros((2, 7)))
    with pytest.raises(ValueError, match="layer 2 expects 7 inputs"):
        draw_model(model)


@needs_any
def test_draw_model_real_mlp():
    nn = pytest.importorskip("nn")
    if not hasattr(nn, "MLP"):
        pytest.skip("nn.MLP not written yet")
    try:
        model = nn.MLP([784, 30, 10])
    except Exception as exc:  # pragma: no cover - depends on the nn package's constructor
        pytest.skip(f"cannot build nn.MLP([784, 30, 10]): {exc}")
    src = draw_model(model, x=np.zeros((8, 784))).source
    assert "W (30, 784)" in src and "z (8, 30)" in src and "W (10, 30)" in src


# --------------------------------------------------------------------------- rendering


def test_render_error_when_forced_binary_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "no-such-dot"))
    with pytest.raises(RenderError) as info:
        render("digraph { a -> b }")
    msg = str(info.value)
    assert ENV_VAR in msg and "no-such-dot" in msg
    assert "apt-get install graphviz" in msg and "pip install graphviz-pure" in msg


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a fake dot")
def test_render_error_carries_the_programs_stderr(monkeypatch, tmp_path):
    fake = fake_dot(tmp_path, "echo 'Error: kaboom in line 1' >&2\nexit 3")
    monkeypatch.setenv(ENV_VAR, str(fake))
    with pytest.raises(RenderError, match="kaboom in line 1") as info:
        render("digraph { a -> b }")
    assert "exit status 3" in str(info.value)


def fake_dot(tmp_path: Path, body: str) -> Path:
    fake = tmp_path / "fake-dot"
    fake.write_text("#!/bin/sh\n" + body + "\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a fake dot")
def test_render_times_out(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(fake_dot(tmp_path, "exec sleep 20")))
    start = time.monotonic()
    with pytest.raises(RenderError, match="timed out after 0.3 s"):
        render("digraph { a -> b }", timeout=0.3)
    assert time.monotonic() - start < 5


@pytest.mark.skipif(os.name == "nt" or not HAS_PURE, reason="POSIX fake dot, graphviz-pure")
def test_auto_mode_falls_back_to_pure_when_system_dot_fails(monkeypatch, tmp_path):
    broken = fake_dot(tmp_path, "echo 'Format: \"svg\" not recognized' >&2; exit 1")
    monkeypatch.setattr(dot_module, "find_system_dot", lambda: str(broken))
    assert "graphviz-pure" in render("digraph { a -> b }")
    monkeypatch.setattr(dot_module, "find_system_dot", lambda: None)
    assert "graphviz-pure" in render("digraph { a -> b }")


def test_render_error_when_no_backend_exists(monkeypatch):
    monkeypatch.setattr(dot_module, "find_system_dot", lambda: None)
    monkeypatch.setattr(dot_module, "find_pure_dot", lambda: None)
    with pytest.raises(RenderError) as info:
        render("digraph { a -> b }")
    assert "apt-get install graphviz" in str(info.value)
    assert "pip install graphviz-pure" in str(info.value)
    with pytest.raises(RenderError, match="graphviz-pure"):
        render("digraph { a -> b }", backend="pure")
    with pytest.raises(ValueError):
        render("digraph { a -> b }", backend="cairo")


@pytest.mark.parametrize("backend", BACKENDS)
def test_render_formats_and_syntax_errors(backend):
    svg = render("digraph { a -> b }", backend=backend)
    assert isinstance(svg, str) and ET.fromstring(svg.encode()).tag == f"{SVG}svg"
    png = render("digraph { a -> b }", format="png", backend=backend)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(RenderError, match="syntax error"):
        render("digraph { a -> }", backend=backend)


@pytest.mark.skipif(not HAS_PURE, reason="graphviz-pure not installed")
def test_env_var_selects_the_pure_backend(monkeypatch):
    monkeypatch.setenv(ENV_VAR, find_pure_dot())
    assert "graphviz-pure" in render("digraph { a -> b }")
    monkeypatch.setenv(ENV_VAR, "pure")
    assert "graphviz-pure" in render("digraph { a -> b }")


def test_graphviz_pure_is_found_without_path(monkeypatch):
    """The pip package's executable is located from its metadata, not from PATH."""
    if not HAS_PURE:
        pytest.skip("graphviz-pure not installed")
    monkeypatch.setenv("PATH", "")
    path = find_pure_dot()
    assert path is not None and Path(path).name.startswith("graphviz-pure")


# --------------------------------------------------------------------------- files, notebooks


def test_write_atomic_leaves_no_temp_file(tmp_path):
    target = tmp_path / "out.svg"
    write_atomic(target, "<svg/>")
    write_atomic(target, b"<svg>2</svg>")
    assert target.read_bytes() == b"<svg>2</svg>"
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


def test_write_atomic_interrupted_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.svg"
    target.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


@needs_any
def test_tensor_repr_svg_and_diagram_display():
    *_, e = expression()
    svg = tensor_repr_svg(e)
    assert isinstance(svg, str) and "<svg" in svg and "data 6" in svg
    assert tensor_repr_svg(Tensor(1.0)) is None  # a lone leaf has no graph to show
    g = draw_graph(e)
    assert isinstance(g, Diagram)
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "data 6" in bundle["image/svg+xml"]
    # As in graphviz: other picture types on request, none when excluded.
    bundle = g._repr_mimebundle_(include=["image/png", "image/jpeg"])
    assert bundle["image/png"].startswith(b"\x89PNG")
    assert bundle["image/jpeg"].startswith(b"\xff\xd8\xff")
    assert g._repr_mimebundle_(include=["image/png"], exclude=["image/png"]) == {}


def test_diagram_display_falls_back_to_text_when_rendering_fails(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "/nonexistent/dot")
    *_, e = expression()
    assert tensor_repr_svg(e) is None
    bundle = draw_graph(e)._repr_mimebundle_()
    assert "cannot render" in bundle["text/plain"]


@needs_any
def test_diagram_write_by_suffix_and_save_as_in_graphviz(tmp_path):
    *_, e = expression()
    g = draw_graph(e)
    assert g.write(tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert "<svg" in g.write(tmp_path / "g.svg").read_text(encoding="utf-8")
    assert g.write(tmp_path / "g.gv").read_text(encoding="utf-8") == g.source
    assert g.write(tmp_path / "picture", format="svg").read_text(encoding="utf-8").endswith(
        "</svg>\n")
    with pytest.raises(ValueError, match="add a suffix"):
        g.write(tmp_path / "picture")
    # save() is graphviz's: the DOT source, and the path as a str.
    saved = g.save(tmp_path / "g.dot")
    assert saved == str(tmp_path / "g.dot")
    assert Path(saved).read_text(encoding="utf-8") == g.source
    # A picture suffix keeps its old meaning (a picture, a Path) but says to use write().
    with pytest.warns(DeprecationWarning, match=r"Diagram.write"):
        old = g.save(tmp_path / "old.png")
    assert old.read_bytes().startswith(b"\x89PNG")


def test_importing_viz_does_not_import_matplotlib():
    code = "import sys, viz; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@needs_any
def test_example_script_writes_the_graph(tmp_path):
    out = tmp_path / "expression.svg"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "expression.py"), str(out)],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    numbers = dict(re.findall(r"^(\S+)\s*=\s*(\S+)$", proc.stdout, re.M))
    assert numbers == {"e": "6", "de/da": "2", "de/db": "5"}
    pic = Picture(out.read_text(encoding="utf-8"))
    assert pic.texts("e")[1:] == ["data 6", "grad 1"]
    assert pic.texts("a")[1:] == ["data 2", "grad 2"]
    assert pic.texts("b")[1:] == ["data 1", "grad 5"]
    assert "∂e/∂c = 2" in pic.edge_labels()

