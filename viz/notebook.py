"""Tensors shown as pictures in notebooks.

Importing ``viz`` gives ``Tensor`` a ``_repr_svg_``, which Jupyter calls to show a cell's
result: a tensor then displays as the picture of its graph. The engine itself knows nothing of
drawing; this module attaches the display from above.
"""

from __future__ import annotations

from autograd_mini import Tensor

from .graph import draw_graph


def tensor_repr_svg(t: Tensor) -> str | None:
    """SVG picture of a tensor's computation graph for notebooks, or None.

    None (so that notebooks fall back to the text repr) for a leaf, which has no graph to
    draw, and whenever the graph is too large (over 200 tensors) or cannot be rendered.
    """
    try:
        if t.is_leaf:
            return None
        return draw_graph(t).svg()
    except Exception:  # a display hook must never raise
        return None


def install() -> None:
    """Make notebooks show tensors as pictures of their graphs (done when viz is imported)."""
    Tensor._repr_svg_ = tensor_repr_svg
