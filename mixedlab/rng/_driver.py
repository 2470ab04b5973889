"""Walk a vector of draws in stream order, batching the ones that can be computed together.

R makes draw ``i`` from the stream position left by draw ``i - 1``; rejection samplers
use a data-dependent number of uniforms, so in general the draws are sequential. Some
regimes use exactly one uniform per draw (inversion: ``rpois`` with mean < 10,
``rbinom`` with n·p < 30), and a run of those can be computed with array arithmetic
on the next uniforms of the stream. :func:`drive` finds such runs, hands long ones to
a batch function and everything else to a scalar function, one draw at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mixedlab.rng._cursor import Cursor
from mixedlab.rng._stream import MTStream

__all__ = ["drive", "NO_DRAW", "BATCH", "SCALAR"]

NO_DRAW, BATCH, SCALAR = 0, 1, 2
_MIN_RUN = 256  # shorter batchable runs are cheaper one by one (no array set-up)


def drive(
    stream: MTStream,
    kind: np.ndarray,
    out: np.ndarray,
    scalar: Callable[[Cursor, list[int]], list[float]],
    batch: Callable[[np.ndarray], int] | None = None,
) -> None:
    """Fill ``out`` draw by draw in stream order.

    Parameters
    ----------
    stream : MTStream
        The stream to draw from.
    kind : numpy.ndarray of int8
        Per draw: ``NO_DRAW`` (``out`` already holds the value, no uniform is used),
        ``BATCH`` (may go to ``batch``) or ``SCALAR``.
    out : numpy.ndarray
        Output values, filled in place.
    scalar : callable
        ``scalar(cursor, idx)`` returns the draws ``idx`` (a list, in order) using the
        cursor's uniforms.
    batch : callable, optional
        ``batch(idx)`` computes the draws ``idx`` (in order) from the stream, consumes
        the uniforms it used and returns how many it completed; the next one, if any,
        is then made by ``scalar``.
    """
    todo = np.flatnonzero(kind != NO_DRAW)
    if todo.size == 0:
        return
    if batch is None:
        runs = [(0, todo.size, False)]
    else:
        runs = _runs(kind[todo] == BATCH)
    cur = Cursor(stream)
    for start, stop, batched in runs:
        pos = start
        if batched:
            cur.sync()
            while pos < stop:
                done = batch(todo[pos:stop])
                pos += done
                if pos < stop:  # the batch hit a draw it cannot make: one by one
                    i = int(todo[pos])
                    out[i] = scalar(cur, [i])[0]
                    cur.sync()
                    pos += 1
        else:
            idx = todo[start:stop]
            out[idx] = scalar(cur, idx.tolist())
    cur.sync()


def _runs(batchable: np.ndarray) -> list[tuple[int, int, bool]]:
    """Split positions into (start, stop, batched) runs; short batchable runs go scalar."""
    n = batchable.size
    edges = np.flatnonzero(np.diff(batchable.astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), n]
    runs: list[tuple[int, int, bool]] = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        batched = bool(batchable[a]) and (b - a) >= _MIN_RUN
        if runs and not batched and not runs[-1][2]:
            runs[-1] = (runs[-1][0], b, False)  # merge neighbouring scalar runs
        else:
            runs.append((a, b, batched))
    return runs
