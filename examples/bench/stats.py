"""The statistics of timings: medians, the chunks an epoch is timed in, and the paired
per-chunk time ratios of two implementations."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

# Rows per chunk of a training epoch: every implementation trains on one chunk's batches in
# turn, so a change of load on the machine (seconds long) falls on all of them alike.
CHUNK_ROWS = 1000


def median(xs: Sequence[float]) -> float:
    """The median of ``xs`` as a Python float."""
    return float(statistics.median(xs))


def chunk_bounds(steps: int, batch: int, rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """The epoch's ``steps`` split into consecutive step ranges [start, stop) of about ``rows``
    rows each (100 steps at batch 10, 31 or 32 at batch 32), as even as whole steps allow."""
    k = max(1, min(steps, round(steps * batch / rows)))
    cuts = [round(i * steps / k) for i in range(k + 1)]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def chunk_ratios(mine: Sequence[float], other: Sequence[float]) -> list[float]:
    """The per-chunk time ratios mine / other of two implementations timed on the same chunks."""
    return [a / b for a, b in zip(mine, other, strict=True)]
