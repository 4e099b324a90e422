"""docs/tutorial.ipynb: committed without outputs, and run top to bottom in a fresh kernel.

The notebook runs in a new Jupyter kernel started with this interpreter (a kernelspec written to
a temporary JUPYTER_PATH, so neither a user's own kernels, IPython profile nor the venv's
location matter), in an empty working directory, with
a short training run (TUTORIAL_EPOCHS=2, TUTORIAL_LIMIT=5000) on the 10,000 real MNIST digits
beside the repository, found by the library's own lookup through $AUTOGRAD_MINI_DATA. Without
those digits the cells before the training section still run and are checked.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

REPO = Path(os.path.abspath(__file__)).parents[1]
NOTEBOOK = REPO / "docs" / "tutorial.ipynb"
# Lexically beside the repository (not through symlinks), as for the other data tests.
MNIST_10K = REPO.parent / "shared" / "data" / "mnist-10k"
EPOCHS, LIMIT = 2, 5000  # two points on the learning curve; about 82% (seed 0)
TRAINING_STARTS = "load_mnist()"  # the first cell that needs the data
needs_data = pytest.mark.skipif(not MNIST_10K.is_dir(), reason="no MNIST in ../shared/data")


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


# --------------------------------------------------------------------------- the file itself


def test_committed_notebook_has_no_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = _code_cells(nb)
    assert len(cells) >= 10
    for cell in cells:
        assert cell["outputs"] == [], f"cell has outputs: {_source(cell)[:60]!r}"
        assert cell["execution_count"] is None, f"cell was executed: {_source(cell)[:60]!r}"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"]


def test_notebook_is_valid_and_names_no_local_data_path():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert "shared/" not in text and "mnist-10k" not in text
    for variable in ("TUTORIAL_EPOCHS", "TUTORIAL_LIMIT"):
        assert variable in text


# --------------------------------------------------------------------------- running it


class Run:
    """The executed notebook, how long it took, and where its kernel ran."""

    def __init__(self, nb, seconds: float, executable: str, cwd: Path, trained: bool):
        self.nb, self.seconds, self.executable, self.cwd, self.trained = (
            nb, seconds, executable, cwd, trained)

    def cell(self, snippet: str):
        """The code cell whose source contains ``snippet`` (exactly one)."""
        found = [c for c in self.nb.cells if c.cell_type == "code" and snippet in c.source]
        assert len(found) == 1, f"{len(found)} cells contain {snippet!r}"
        return found[0]

    def text(self, snippet: str) -> str:
        """Everything the cell printed."""
        return "".join(o.get("text", "") for o in self.cell(snippet).outputs
                       if o.output_type == "stream")

    def data(self, snippet: str, mime: str) -> list:
        """The cell's displayed outputs of type ``mime``."""
        return [o.data[mime] for o in self.cell(snippet).outputs
                if o.output_type in ("display_data", "execute_result") and mime in o.data]

    def all_text(self) -> str:
        return "".join(o.get("text", "") for c in self.nb.cells if c.cell_type == "code"
                       for o in c.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = tmp_path_factory.mktemp("tutorial")
    spec = root / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)", "language": "python"}))
    cwd = root / "cwd"
    cwd.mkdir()
    trained = MNIST_10K.is_dir()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root / "jupyter"))  # searched before any other kernels
        mp.setenv("IPYTHONDIR", str(root / "ipython"))  # no profile or startup files of a user
        mp.setenv("TUTORIAL_EPOCHS", str(EPOCHS))
        mp.setenv("TUTORIAL_LIMIT", str(LIMIT))
        if trained:
            mp.setenv("AUTOGRAD_MINI_DATA", str(MNIST_10K))
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                         resources={"metadata": {"path": str(cwd)}})
        start = time.perf_counter()
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if not trained and TRAINING_STARTS in cell.source:
                    break
                client.execute_cell(cell, index)
            seconds = time.perf_counter() - start
            # Which Python the kernel runs: one more cell, executed and taken off again.
            nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
            probe = client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
            nb.cells.pop()
    executable = probe.outputs[0]["text"].strip()
    print(f"\ntutorial notebook: {seconds:.1f} s in a fresh kernel (training: {trained})")
    return Run(nb, seconds, executable, cwd, trained)


def test_kernel_is_this_interpreter_and_nothing_is_left_behind(run):
    assert Path(run.executable).resolve() == Path(sys.executable).resolve()
    assert list(run.cwd.iterdir()) == []  # the notebook writes no files where it runs


def test_section_1_gradients_and_graph(run):
    printed = run.text("e.backward(retain_graph=True)")
    assert "e = 6    ∂e/∂a = 2    ∂e/∂b = 5" in printed
    (svg,) = run.data("e.backward(retain_graph=True)", "image/svg+xml")
    assert "grad 5" in svg and "data 6" in svg and "∂e/∂d = 3" in svg


def test_section_2_trace_shows_b_receiving_3_and_2(run):
    table = run.text("print(trace_backward(e))")
    assert re.search(r"^\s*4\s+b\s+input\s+5\s+3 from d \+ 2 from c\s", table, re.M), table
    assert re.search(r"^\s*1\s+e\s+c × d\s+1\s+seed\s+to c: 1 × 2 = 2;\s+to d: 1 × 3 = 3$",
                     table, re.M), table
    (page,) = run.data("animate_backward(e)", "text/html")
    assert page.startswith("<iframe srcdoc=") and "Reverse sweep from e" in page


def test_section_3_forward_needs_n_sweeps_reverse_one(run):
    assert re.search(r"^\s*5\s+e\s+c × d\s+5\s", run.text("print(trace_forward(e, b))"), re.M)
    rows = re.findall(r"^\s*(\d+)\s+(forward|reverse)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s",
                      run.text("for n in (10, 100, 1000):"), re.M)
    counts = {(int(n), mode): tuple(map(int, rest)) for n, mode, *rest in rows}
    assert len(counts) == 6
    for n in (10, 100, 1000):
        # (sweeps, value ops, tangent ops, adjoint ops)
        assert counts[n, "forward"] == (n, 4 * n, 5 * n, 0)
        assert counts[n, "reverse"] == (1, 4, 0, 5)


def test_section_4_autodiff_matches_bp1_to_bp4(run):
    by_hand = run.text("delta2 = (a2 - y) * sigmoid_prime(z2)")
    differences = re.findall(r"largest \|by hand − autodiff\| = (\S+)", by_hand)
    assert len(differences) == 4 and all(float(d) < 1e-15 for d in differences)
    for line in by_hand.splitlines()[:2]:  # δ², δ¹: the same numbers printed both ways
        hand, auto = re.match(r"δ. by hand: (\[.*\])\s+by autodiff: (\[.*\])$", line).groups()
        assert hand == auto and hand != "[0. 0.]"
    relative = re.findall(r"^largest relative difference: (\S+)$", run.all_text(), re.M)
    assert len(relative) == (2 if run.trained else 1)
    assert all(0 <= float(r) < 1e-12 for r in relative)
    assert "    2      2x3" in run.text('nn.check_backprop(model, X, Y, "quadratic")')
    (svg,) = run.data("draw_model(model", "image/svg+xml")
    assert "W (3, 4)" in svg and "W (2, 3)" in svg


@needs_data
def test_section_5_short_run_beats_chance_and_plots(run):
    loaded = run.text(TRAINING_STARTS)
    assert loaded.startswith("10,000 training and 10,000 test digits, 784 pixels each")
    assert f"{LIMIT:,} training digits, {EPOCHS} epochs" in run.text("Trainer(config")
    printed = run.text("trainer.fit(")
    assert len(re.findall(r"^epoch \d+:", printed, re.M)) == EPOCHS
    accuracy = float(re.search(r"^test accuracy: ([\d.]+)%", printed, re.M).group(1))
    assert accuracy > 60.0  # chance is 10%
    (png,) = run.data("plot_history(", "image/png")
    image = base64.b64decode(png)
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 10_000
