"""Exact quantiles (R's type 7) of a Dask series in two passes, never gathering the series.

Pass 1 takes from each partition its sorted values at ``_GRID + 1`` evenly spaced ranks
(its minimum and maximum included).  A value's rank in the whole series is then known to
within Σ_p n_p/_GRID, so each wanted order statistic lies between two sample values whose
ranks bracket it.  Pass 2 counts the values below each bracket and returns the values
inside it (about 4n/_GRID of them), from which the order statistic is read exactly.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

__all__ = ["exact_quantiles"]

_GRID = 1024


def _sketch(s: pd.Series) -> pd.Series:
    x = np.sort(s.to_numpy(dtype=float))
    if x.size == 0:
        return pd.Series([(0, np.zeros(0))], dtype=object)
    pos = np.unique(np.linspace(0, x.size - 1, _GRID + 1).round().astype(np.int64))
    return pd.Series([(x.size, x[pos])], dtype=object)


def _bracket(s: pd.Series, brackets: list[tuple[float, float]]) -> pd.Series:
    x = s.to_numpy(dtype=float)
    out = [(int(np.sum(x < a)), x[(x >= a) & (x <= b)]) for a, b in brackets]
    return pd.Series([out], dtype=object)


def _order_statistics(series: Any, ranks: list[int]) -> dict[int, float]:
    """The values of the given 1-based ranks."""
    sketches = [v for v in series.map_partitions(_sketch, meta=(None, object)).compute()]
    sketches = [sk for sk in sketches if sk[0] > 0]
    n = sum(sk[0] for sk in sketches)
    vals = np.concatenate([sk[1] for sk in sketches])
    wts = np.concatenate([np.full(sk[1].size, sk[0] / max(sk[1].size - 1, 1)) for sk in sketches])
    order = np.argsort(vals, kind="stable")
    vals, cum = vals[order], np.cumsum(wts[order])
    slack = 2.0 * sum(sk[0] / _GRID + 1 for sk in sketches)
    out: dict[int, float] = {}
    brackets, wanted = [], []
    for r in ranks:
        if r == 1:
            out[r] = float(vals[0])
        elif r == n:
            out[r] = float(vals[-1])
        else:
            lo = vals[min(np.searchsorted(cum, r - slack), vals.size - 1)] if r - slack > cum[0] else vals[0]
            hi = vals[min(np.searchsorted(cum, r + slack), vals.size - 1)]
            brackets.append((float(lo), float(hi)))
            wanted.append(r)
    if wanted:
        per_part = series.map_partitions(_bracket, brackets, meta=(None, object)).compute()
        for i, r in enumerate(wanted):
            below = sum(p[i][0] for p in per_part)
            inside = np.sort(np.concatenate([p[i][1] for p in per_part]))
            k = r - below - 1
            if not 0 <= k < inside.size:  # the bracket cannot miss; refuse rather than guess
                raise RuntimeError(f"internal error: rank {r} outside its bracket {brackets[i]}")
            out[r] = float(inside[k])
    return out


def exact_quantiles(series: Any, n: int, probs: Sequence[float]) -> np.ndarray:
    """``quantile(x, probs)`` (type 7) of a Dask series of ``n`` non-missing values."""
    idx = [1.0 + max(n - 1, 0) * p for p in probs]
    ranks = sorted({r for i in idx for r in (math.floor(i), math.ceil(i))})
    stats = _order_statistics(series, ranks)
    out = np.empty(len(probs))
    for k, index in enumerate(idx):
        lo, hi = math.floor(index), math.ceil(index)
        q = stats[lo]
        if index > lo and stats[hi] != q:
            h = index - lo
            q = (1.0 - h) * q + h * stats[hi]
        out[k] = q
    return out
