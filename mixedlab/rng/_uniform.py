"""R's ``runif(n, min, max)`` (``src/nmath/runif.c`` through ``random2``)."""

from __future__ import annotations

import math

import numpy as np

from mixedlab.rng._params import warn_nas
from mixedlab.rng._stream import MTStream

__all__ = ["runif"]


def runif(stream: MTStream, count: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``count`` uniforms on ``[a, b]`` (recycled): ``a + (b - a) * unif_rand()``.

    As runif.c: ``a == b`` returns ``a`` without a draw; a non-finite bound or
    ``b < a`` gives NaN (warning "NAs produced") without a draw.
    """
    if count == 0:
        return np.empty(0)
    if a.size == 0 or b.size == 0:
        warn_nas(4)
        return np.full(count, np.nan)
    if a.size == 1 and b.size == 1:
        lo, hi = float(a[0]), float(b[0])
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
            warn_nas(4)
            return np.full(count, np.nan)
        if lo == hi:
            return np.full(count, lo)
        u = stream.unif(count)
        if lo == 0.0 and hi == 1.0:
            return u  # 0 + 1 * u == u exactly
        return lo + (hi - lo) * u
    idx = np.arange(count)
    ai, bi = a[idx % a.size], b[idx % b.size]
    bad = ~np.isfinite(ai) | ~np.isfinite(bi) | (bi < ai)
    draws = ~bad & (ai != bi)
    out = ai.copy()
    out[bad] = np.nan
    u = stream.unif(int(draws.sum()))
    out[draws] = ai[draws] + (bi[draws] - ai[draws]) * u
    if bad.any():
        warn_nas(4)
    return out
