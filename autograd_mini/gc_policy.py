"""The garbage collector and large graphs.

A recorded graph is made of Python objects the cyclic garbage collector tracks (each tensor and
the tuple of its arguments). While a graph grows, those objects survive the young collections
and reach the oldest generation, and CPython then runs a *full* collection — a walk over every
tracked object of the process — each time the oldest generation has grown by a quarter. Graphs
are freed by reference counting alone (they hold no cycles), so these walks find nothing to
free; in a process with a large heap (a notebook with torch, matplotlib and IPython imported:
200,000 objects) each walk is long, and building graphs became two to three times slower.

So the first time a backward sweep goes through a graph of ``LARGE_GRAPH`` tensors or more,
the engine raises the collector's third threshold (full collections after ``threshold2``
collections of the middle generation; CPython's default is 10) to ``RAISED_THRESHOLD2``, once,
for the rest of the process. Young collections are unchanged, and cyclic garbage is still
collected, by full collections ten times rarer. A threshold the program set higher is kept;
``AUTOGRAD_MINI_GC=default`` in the environment leaves the collector alone.

Measured on this project's machine (examples/benchmark.py): a scalar graph in a process with
torch, matplotlib and IPython imported, 5.7 µs per operation forward and backward with the
default thresholds, 3.7 µs with the raised one; a chain of 1,000,000 multiplications built in
2.7 s, then 1.9 s.
"""

from __future__ import annotations

import gc
import os

LARGE_GRAPH = 1000
RAISED_THRESHOLD2 = 100

_settled = os.environ.get("AUTOGRAD_MINI_GC", "").strip().lower() == "default"


def after_sweep(tensors_visited: int) -> None:
    """Called by the backward sweep with the number of tensors it visited."""
    global _settled
    if _settled or tensors_visited < LARGE_GRAPH:
        return
    _settled = True
    threshold0, threshold1, threshold2 = gc.get_threshold()
    if threshold0 and threshold2 < RAISED_THRESHOLD2:  # threshold0 = 0: collection is off
        gc.set_threshold(threshold0, threshold1, RAISED_THRESHOLD2)
