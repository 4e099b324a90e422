"""Pictures of autograd_mini: computation graphs, model diagrams and training plots.

Graph drawing needs only the ``graphviz`` Python package plus a ``dot`` program: the system
Graphviz or the pip package ``graphviz-pure`` (see :mod:`viz.dot`; ``graphviz-pure`` draws svg,
png, jpeg and the text formats, pdf and the rest need a system Graphviz). The training plots need
matplotlib (``pip install autograd-mini[plot]``), which is imported only when a plot function is
called: importing ``viz`` never imports matplotlib.

Importing ``viz`` also makes notebooks show a Tensor as the picture of its graph
(:mod:`viz.notebook`).
"""

from __future__ import annotations

from autograd_mini.files import write_atomic

from . import notebook
from .diagram import Diagram
from .dot import (
    RenderError,
    RenderTimeout,
    UnsupportedFormatError,
    available_backends,
    render,
    supported_formats,
)
from .graph import GraphTooLargeError, draw_graph, local_derivatives, render_svg, retain_grads
from .model import draw_model
from .notebook import tensor_repr_mimebundle, tensor_repr_svg
from .plots import plot_history, plot_misclassified, plot_weights  # matplotlib: lazy

notebook.install()

__all__ = [
    "Diagram",
    "GraphTooLargeError",
    "RenderError",
    "RenderTimeout",
    "UnsupportedFormatError",
    "available_backends",
    "draw_graph",
    "draw_model",
    "local_derivatives",
    "plot_history",
    "plot_misclassified",
    "plot_weights",
    "render",
    "render_svg",
    "retain_grads",
    "supported_formats",
    "tensor_repr_mimebundle",
    "tensor_repr_svg",
    "write_atomic",
]
