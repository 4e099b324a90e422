"""The API reference (mkdocs.yml, docs/): it builds in strict mode — a broken cross-reference,
link or anchor, or a docstring that cannot be rendered, fails — and documents the public surface.

The site is built once, with this interpreter, into a temporary directory (nothing is written into
the repository); the checks read the built HTML.
"""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings_handlers.python")

REPO = Path(__file__).resolve().parent.parent
PAGES = ("index", "readme", "ARCHITECTURE", "api/tensor", "api/engine", "api/ops",
         "api/internals", "api/nn", "api/datasets", "api/viz")


def _mkdocs_build(config: Path, site: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    written = [REPO / "site", REPO / "docs" / "__pycache__"]
    existed = [p.exists() for p in written]
    result = _mkdocs_build(REPO / "mkdocs.yml", site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    assert [p.exists() for p in written] == existed  # nothing written into the repository
    return site


def _page(site: Path, name: str) -> str:
    path = site / "index.html" if name == "index" else site / name / "index.html"
    return path.read_text(encoding="utf-8")


def _anchors(page: str) -> set[str]:
    return set(re.findall(r'id="([\w.]+)"', page))


def _section(page: str, anchor: str) -> str:
    """The HTML documenting ``anchor``, up to the next documented object."""
    start = page.rindex("<", 0, page.index(f'id="{anchor}"'))
    end = page.find('class="doc doc-heading"', page.index(">", start))
    return page[start:end if end > 0 else None]


def _text(page: str, anchor: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", _section(page, anchor))).split())


def test_every_page_is_built(site):
    for name in PAGES:
        page = _page(site, name)
        assert "autograd-mini" in page, name
        if name.startswith("api/"):
            assert page.count('class="doc doc-heading"') >= 20, name


def test_tensor_page_documents_every_method_and_operator(site):
    from autograd_mini import Tensor

    page = _page(site, "api/tensor")
    documented = {a.rpartition(".")[2] for a in _anchors(page)
                  if a.startswith("autograd_mini.tensor.Tensor.")}
    public = {n for n in dir(Tensor) if not n.startswith("_")}
    operators = {n for n, v in vars(Tensor).items()
                 if n.startswith("__") and inspect.isfunction(v)}
    assert public <= documented, sorted(public - documented)
    assert operators <= documented, sorted(operators - documented)
    assert {"__add__", "__radd__", "__matmul__", "__getitem__", "__lt__"} <= operators
    # made by factories in tensor.py; documented by what they call, with a link to it
    t = "autograd_mini.tensor.Tensor"
    assert "x + y" in _text(page, f"{t}.__add__")
    assert "eˣ" in _text(page, f"{t}.exp") and 'href="../ops/#autograd_mini.ops.elementwise.exp"' \
        in page
    assert "Σ x over axis" in _text(page, f"{t}.sum")
    assert "same as arcsin" in _text(page, f"{t}.asin")
    assert "retain_graph" in _text(page, f"{t}.backward")
    # t.squeeze(axis) = ops.squeeze(t, axis): that function's signature and docstring
    assert re.search(r"squeeze \( axis .*length 1", _text(page, f"{t}.squeeze"))


def test_ops_page_documents_every_family_and_operation(site):
    from autograd_mini import broadcasting, ops

    anchors = _anchors(_page(site, "api/ops")) | _anchors(_page(site, "api/internals"))
    modules = (*ops.FAMILIES, broadcasting)
    assert {family.__name__ for family in ops.FAMILIES} <= anchors
    operations = {name: getattr(ops, name) for name in ops.__all__
                  if name not in ("FAMILIES", "PRIMITIVES")}
    missing = [name for name, obj in operations.items()
               if not any(f"{m.__name__}.{n}" in anchors
                          for m in modules for n, v in vars(m).items() if v is obj)]
    assert not missing, missing
    assert len(operations) > 100
    page = _page(site, "api/ops")
    assert "autograd_mini.ops.einstein.einsum" in anchors
    assert "ij,jk->ik" in _text(page, "autograd_mini.ops.einstein.einsum")
    # a primitive wrapping numpy is described by the vocabulary, not numpy's docstring
    assert "ln x" in _text(page, "autograd_mini.ops.elementwise.log")
    assert "array_like" not in page


def _defined_at(obj) -> str:
    """Where an exported object is documented: its module and name."""
    from autograd_mini import ops
    from autograd_mini.primitive import Primitive

    if inspect.ismodule(obj):
        return obj.__name__
    if isinstance(obj, Primitive):
        return next(f"{f.__name__}.{n}" for f in ops.FAMILIES for n, v in vars(f).items()
                    if v is obj)
    return f"{obj.__module__}.{obj.__qualname__}"


def test_every_exported_name_is_documented(site):
    import autograd_mini
    import nn
    import viz

    anchors = set().union(*(_anchors(_page(site, p)) for p in PAGES))
    exported = [(pkg, name, getattr(pkg, name)) for pkg in (autograd_mini, nn, viz)
                for name in pkg.__all__]
    missing = [f"{pkg.__name__}.{name}" for pkg, name, obj in exported
               if (inspect.ismodule(obj) or callable(obj)) and _defined_at(obj) not in anchors]
    assert not missing, missing
    assert len(exported) > 150
    engine = _anchors(_page(site, "api/engine"))
    for name in ("backward", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "gradcheck",
                 "count_ops", "forward_mode", "no_grad", "enable_grad"):
        assert any(a.endswith(f".{name}") for a in engine), name


def test_nn_and_viz_pages(site):
    nn_page = _page(site, "api/nn")
    assert "through autodiff" in _text(nn_page, "nn.check.check_backprop")
    for anchor in ("nn.module.Module", "nn.module.Sequential", "nn.layers.Dense", "nn.layers.MLP",
                   "nn.optim.SGD", "nn.costs.quadratic_cost", "nn.train.Trainer",
                   "nn.backprop.backprop_batched"):
        assert anchor in _anchors(nn_page), anchor
    # Sphinx roles became links: :func:`output_cost` in nn/costs.py's docstring
    assert 'href="#nn.costs.output_cost"' in nn_page and ":func:" not in nn_page
    # an RST simple table in nn/costs.py's docstring became an HTML table
    assert "<table>" in _section(nn_page, "nn.costs") and "=====" not in nn_page
    viz_page = _page(site, "api/viz")
    for anchor in ("viz.graph.draw_graph", "viz.graph.render_svg", "viz.model.draw_model",
                   "viz.trace.trace_backward", "viz.trace.trace_forward",
                   "viz.animate.animate_backward", "viz.plots.plot_history"):
        assert anchor in _anchors(viz_page), anchor


def test_home_page_links_to_readme_sections_and_tutorial(site):
    page = _page(site, "index")
    for target in ("readme/#set-up", "readme/#quickstart", "ARCHITECTURE/", "tutorial.ipynb",
                   "api/tensor/"):
        assert f'href="{target}"' in page, target
    assert (site / "tutorial.ipynb").is_file()
    assert 'id="set-up"' in _page(site, "readme")


def test_a_broken_reference_fails_the_build(tmp_path):
    """A docstring's :func: role naming nothing that exists stops the strict build."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "brokenref.py").write_text(textwrap.dedent('''\
        """See :func:`helper` and :func:`no_such_function`."""


        def helper():
            """Help."""
        '''), encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# t\n\n::: brokenref\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(textwrap.dedent(f"""\
        site_name: t
        plugins:
          - mkdocstrings:
              handlers:
                python:
                  paths: [pkg]
                  options:
                    extensions: ["{REPO / 'docs' / 'griffe_extension.py'}:AutogradMiniDocs"]
                    scoped_crossrefs: true
        """), encoding="utf-8")
    path = os.pathsep.join([str(tmp_path / "pkg"), *filter(None, [os.environ.get("PYTHONPATH")])])
    result = _mkdocs_build(config, tmp_path / "site", PYTHONPATH=path)
    assert result.returncode != 0
    assert "no_such_function" in result.stderr
    assert "'helper'" not in result.stderr
