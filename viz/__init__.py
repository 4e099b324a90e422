"""Pictures of autograd_mini: computation graphs, model diagrams and training plots.

Graph drawing needs only the ``graphviz`` Python package plus a ``dot`` program: the system
Graphviz or the pip package ``graphviz-pure`` (see :mod:`viz.dot`; ``graphviz-pure`` draws svg,
png, jpeg and the text formats, pdf and the rest need a system Graphviz). The training plots need
matplotlib (``pip install autograd-mini[plot]``), which is imported only when a plot function is
called: importing ``viz`` never imports matplotlib.

Importing ``viz`` also makes notebooks show a Tensor as the picture of its graph
(:mod:`viz.notebook`).

To watch backpropagation happen: :func:`trace_backward` / :func:`trace_forward` give the steps of
a sweep as a table (:mod:`viz.trace`); :func:`animate_backward` / :func:`animate_forward` make a
self-contained HTML page that steps through it on the drawn graph (:mod:`viz.animate`).
"""

from __future__ import annotations

from nn.files import write_atomic

from . import notebook
from .animate import StepThrough, animate_backward, animate_forward
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
from .trace import BackwardStep, ForwardStep, Trace, trace_backward, trace_forward

notebook.install()

__all__ = [
    "BackwardStep",
    "Diagram",
    "ForwardStep",
    "GraphTooLargeError",
    "RenderError",
    "RenderTimeout",
    "StepThrough",
    "Trace",
    "UnsupportedFormatError",
    "animate_backward",
    "animate_forward",
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
    "trace_backward",
    "trace_forward",
    "write_atomic",
]
