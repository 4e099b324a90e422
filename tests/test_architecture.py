"""The structure the project promises (docs/ARCHITECTURE.md), checked from the source itself.

Every import statement of the three packages is read — those inside functions too — and:
the import graph has no circle; nothing in ``autograd_mini`` imports ``nn`` or ``viz``, and
nothing in ``nn`` imports ``viz`` but the command-line program (``APPLICATION``), which nothing
imports; inside the engine, each module imports only modules below it
in the documented order; no import sits at the bottom of a module; no module is over 450 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd_mini", "nn", "viz")
PACKAGE_RANK = {"autograd_mini": 0, "nn": 1, "viz": 2}
# The training program sits above all three (it trains with nn and draws with viz); it lives in
# nn so that `python -m nn` runs it. It may import anything; nothing else may import it.
APPLICATION = {"nn.cli": 3, "nn.__main__": 4}

# The engine, bottom to top: a module may import only modules before it in this list.
ENGINE_ORDER = [
    "autograd_mini.state",
    "autograd_mini.write_guard",
    "autograd_mini.tensor_base",
    "autograd_mini.primitive",
    "autograd_mini.broadcasting",
    "autograd_mini.grad_mode",
    "autograd_mini.gc_policy",
    "autograd_mini.hooks",
    "autograd_mini.sweep",
    "autograd_mini.ops.elementwise",
    "autograd_mini.ops.arithmetic",
    "autograd_mini.ops.shapes",
    "autograd_mini.ops.indexing",
    "autograd_mini.ops.joining",
    "autograd_mini.ops.reductions",
    "autograd_mini.ops.rearranging",
    "autograd_mini.ops.diagonals",
    "autograd_mini.ops.comparisons",
    "autograd_mini.ops.functions",
    "autograd_mini.ops.activations",
    "autograd_mini.ops.ordering",
    "autograd_mini.ops.statistics",
    "autograd_mini.ops.products",
    "autograd_mini.ops.einstein",
    "autograd_mini.ops.fused",
    "autograd_mini.ops",
    "autograd_mini.numpy_interop",
    "autograd_mini.tensor",
    "autograd_mini.tangents",
    "autograd_mini.counting",
    "autograd_mini.functional",
    "autograd_mini.transforms",
    "autograd_mini.gradcheck",
    "autograd_mini.autodiff",
    "autograd_mini.vocabulary",
    "autograd_mini",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def library_modules() -> set[str]:
    return {module_name(p) for p in library_files()}


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement in the file, nested ones included,
    resolved to absolute names; ``from . import x`` counts as importing the package's module ``x``
    (not the package itself, which is already being imported when its modules are)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = [f"{target}.{alias.name}" for alias in node.names
                          if f"{target}.{alias.name}" in library_modules()]
            # `from pkg import module` imports the module; any other name comes from pkg itself
            if len(submodules) < len(node.names):
                found.append((target, node.lineno))
            found += [(m, node.lineno) for m in submodules]
    return [(m, line) for m, line in found if m.split(".")[0] in PACKAGES]


def import_graph() -> dict[str, set[str]]:
    modules = library_modules()
    graph: dict[str, set[str]] = {}
    for path in library_files():
        here = module_name(path)
        graph[here] = set()
        for target, _ in imports_of(path):
            # importing a.b.c also runs a.b and a: count the deepest library module named
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules and target != here:
                graph[here].add(target)
    return graph


def test_the_import_graph_has_no_circle():
    graph = import_graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if n.startswith(m + ".") or m.startswith(n + "."):
                continue  # a package and its own submodules: Python's import order, not a circle
            if state.get(n) == 1:
                raise AssertionError("import circle: " + " -> ".join(path + [m, n]))
            if n not in state:
                visit(n, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def rank(module: str) -> int:
    return APPLICATION.get(module, PACKAGE_RANK[module.split(".")[0]])


def test_packages_import_only_downwards():
    upward = []
    for path in library_files():
        here = module_name(path)
        for target, line in imports_of(path):
            if rank(target) > rank(here):
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "\n".join(upward)
    assert set(APPLICATION) <= library_modules()


def test_engine_modules_import_only_modules_below_them():
    rank = {m: i for i, m in enumerate(ENGINE_ORDER)}
    graph = import_graph()
    engine = {m for m in graph if m.split(".")[0] == "autograd_mini"}
    assert engine == set(ENGINE_ORDER), (
        "update ENGINE_ORDER (and docs/ARCHITECTURE.md): "
        f"missing {sorted(engine - set(ENGINE_ORDER))}, gone {sorted(set(ENGINE_ORDER) - engine)}"
    )
    wrong = [f"{m} imports {n}" for m in engine for n in graph[m]
             if rank[n] > rank[m] and not n.startswith(m + ".")]
    assert not wrong, "\n".join(sorted(wrong))


@pytest.mark.parametrize("path", library_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_size_and_no_import_at_the_bottom(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 450, f"{path.name} has {len(lines)} lines: split it by job"
    tree = ast.parse("\n".join(lines))
    seen_code = False
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert not seen_code, (f"{path.name}:{node.lineno}: a module-level import after "
                                   "code; imports belong at the top")
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            seen_code = True


def test_the_architecture_map_names_every_module():
    """docs/ARCHITECTURE.md is the map: every module of the three packages is in it."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = []
    for path in library_files():
        name = path.name if path.name != "__init__.py" else None
        if name and f"`{name}`" not in text and f"`{path.stem}`" not in text:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"docs/ARCHITECTURE.md does not mention: {missing}"
