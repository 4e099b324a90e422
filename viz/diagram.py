"""``Diagram``: a ``graphviz.Digraph`` that renders through :func:`viz.dot.render`.

Also the drawing vocabulary the pictures share: the font, the fill colours of each kind of
node, and HTML-like labels of several lines.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

from nn.files import write_atomic

from .dot import RenderError, render

FONT = "Helvetica"

COLORS = {
    "param": "#cfe2ff",  # leaf requiring grad
    "const": "#eeeeee",  # leaf not requiring grad, and literal constants
    "inner": "#ffffff",  # intermediate result
    "root": "#d4edda",  # the tensor drawn
    "op": "#ffe8a8",
}


def html_table(rows: list[tuple[str, dict[str, str]]]) -> str:
    """An HTML-like label: one centred cell per row; each row is (text, font attributes)."""
    cells = []
    for text, font in rows:
        body = html.escape(text, quote=False)
        if font.get("bold"):
            body = f"<B>{body}</B>"
        attrs = " ".join(f'{k.upper()}="{v}"' for k, v in font.items() if k != "bold")
        if attrs:
            body = f"<FONT {attrs}>{body}</FONT>"
        cells.append(f"<TR><TD>{body}</TD></TR>")
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(
        cells
    ) + "</TABLE>>"


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with :func:`viz.dot.render`.

    It behaves like any Digraph (``.source``, ``.node()``, ``.edge()`` ...), but its notebook
    display and :meth:`svg` / :meth:`save` go through autograd_mini's renderer, which uses the
    system Graphviz when present and the pip-installed ``graphviz-pure`` otherwise.
    ``backend`` (``"system"``, ``"pure"`` or None) forces one of them.
    """

    backend: str | None = None

    def svg(self, backend: str | None = None) -> str:
        """Render to SVG text."""
        return self.pipe_via_renderer("svg", backend)  # type: ignore[return-value]

    def pipe_via_renderer(self, format: str = "svg", backend: str | None = None) -> str | bytes:
        """Render to ``format`` with :func:`viz.dot.render`."""
        engine = None if self.engine == "dot" else self.engine
        return render(self.source, format=format, engine=engine, backend=backend or self.backend)

    def save(self, path: str | os.PathLike[str], backend: str | None = None) -> Path:
        """Write the picture to ``path`` atomically; the format is the path's suffix.

        ``.svg``, ``.png``, ``.jpg`` ... are rendered; ``.dot`` / ``.gv`` get the DOT source.
        """
        suffix = Path(path).suffix.lower().lstrip(".")
        if not suffix:
            raise ValueError(f"cannot tell the output format of {str(path)!r}: add a suffix")
        if suffix in ("dot", "gv"):
            return write_atomic(path, self.source)
        fmt = "jpeg" if suffix == "jpg" else suffix
        return write_atomic(path, self.pipe_via_renderer(fmt, backend))

    # Notebook display ----------------------------------------------------------------------
    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except RenderError:
            return None

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        if "image/svg+xml" not in wanted:
            return {}
        try:
            return {"image/svg+xml": self.svg()}
        except RenderError as exc:
            return {"text/plain": f"<{type(self).__name__}: cannot render: {exc}>"}
