"""Tensors shown as pictures in notebooks.

Importing ``viz`` gives ``Tensor`` a ``_repr_mimebundle_`` and a ``_repr_svg_``, which Jupyter
calls to show a cell's result: a tensor then displays as the picture of its graph. The engine
itself knows nothing of drawing; this module attaches the display from above.

A display must be quick and must not fail: the picture gets :data:`viz.dot.DISPLAY_TIMEOUT`
seconds, and when the graph is over ``draw_graph``'s limits, or cannot be rendered in time,
the notebook shows the tensor's text with a short message saying why and how to draw it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from autograd_mini import Tensor

from .diagram import FONT, NOTE_COLOR
from .dot import DEFAULT_TIMEOUT, DISPLAY_TIMEOUT, RenderError, RenderTimeout
from .graph import GraphTooLargeError, draw_graph


def _draw(t: Tensor) -> str:
    g = draw_graph(t)
    g.timeout = DISPLAY_TIMEOUT
    return g.svg()


def tensor_repr_svg(t: Tensor) -> str | None:
    """SVG picture of a tensor's computation graph for notebooks, or None.

    None (so that notebooks fall back to the text repr) for a leaf, which has no graph to
    draw, and whenever the graph is over ``draw_graph``'s limits or cannot be rendered within
    :data:`~viz.dot.DISPLAY_TIMEOUT` seconds; :func:`tensor_repr_mimebundle` says why.
    """
    try:
        return None if t.is_leaf else _draw(t)
    except Exception:  # a display hook must never raise
        return None


def not_drawn_message(exc: Exception) -> str:
    """Why a tensor's graph is not shown, and how to draw it."""
    if isinstance(exc, RenderTimeout):
        return (f"Graph not drawn: Graphviz did not finish within the {DISPLAY_TIMEOUT:g} s a "
                f"notebook display gets. viz.draw_graph(t).svg() waits up to "
                f"{DEFAULT_TIMEOUT:g} s; viz.draw_graph(t, show_edge_derivatives=False) is "
                "faster to lay out.")
    return f"Graph not drawn: {exc}"


def message_svg(lines: list[str], width: int = 720) -> str:
    """A small SVG card holding ``lines`` of text (no Graphviz needed)."""
    words = " ".join(lines).split()
    rows, row = [], ""
    chars = width // 7  # about 7 px per character at 12 px
    for word in words:
        if row and len(row) + 1 + len(word) > chars:
            rows.append(row)
            row = word
        else:
            row = f"{row} {word}".strip()
    rows.append(row)
    texts = "".join(
        f'<text x="8" y="{20 + 16 * i}">{html.escape(r, quote=False)}</text>'
        for i, r in enumerate(rows)
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{16 * len(rows) + 14}" font-family="{FONT}" font-size="12" '
            f'fill="{NOTE_COLOR}">{texts}</svg>')


def tensor_repr_mimebundle(
    t: Tensor,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    **_: Any,
) -> dict[str, str] | None:
    """What a notebook shows for a tensor: the SVG of its graph; when that cannot be drawn,
    the tensor's text with a message saying why and how to draw it (as HTML, and as a small
    SVG card so that the display does not try to render the graph a second time); None for a
    leaf (its text repr)."""
    if t.is_leaf:
        return None
    try:
        return {"image/svg+xml": _draw(t)}
    except (GraphTooLargeError, RenderError) as exc:
        message = not_drawn_message(exc)
    except Exception:  # a display hook must never raise
        return None
    body = (f"<pre>{html.escape(repr(t))}</pre>"
            f'<p style="color:{NOTE_COLOR}">{html.escape(message)}</p>')
    return {"text/html": body, "image/svg+xml": message_svg([message])}


def install() -> None:
    """Make notebooks show tensors as pictures of their graphs (done when viz is imported)."""
    Tensor._repr_mimebundle_ = tensor_repr_mimebundle
    Tensor._repr_svg_ = tensor_repr_svg
