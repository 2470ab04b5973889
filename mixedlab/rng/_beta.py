"""R's beta sampler ``rbeta(a, b)`` (``src/nmath/rbeta.c``, R 4.2), draw for draw.

Cheng (1978), "Generating beta variates with nonintegral shape parameters", CACM 21:
algorithm BB when both shapes exceed 1, BC otherwise; each trial takes two uniforms.
With ``a = min(shapes)``, ``b = max(shapes)``:

* BC: ``beta = 1/a``, ``delta = 1 + b - a``, ``k1 = delta (0.0138889 + 0.0416667 a) /
  (b beta - 0.777778)``, ``k2 = 0.25 + (0.5 + 0.25/delta) a``;
* BB: ``beta = sqrt((alpha - 2) / (2ab - alpha))``, ``gamma = a + 1/beta``;

``v = beta log(u1 / (1 - u1))``, ``w = A exp(v)`` (``DBL_MAX`` beyond ``log(DBL_MAX)``).
R keeps the set-up constants in statics recomputed when the shapes change: pure functions
of the shapes, so recomputing them gives the same draws. ``log``/``exp`` are the C
library's (the ``math`` module), as R's.
"""

from __future__ import annotations

import math

import numpy as np

from mixedlab.rng._cursor import Cursor
from mixedlab.rng._params import recycled, warn_nas
from mixedlab.rng._stream import MTStream

__all__ = ["rbeta_value", "rbeta"]

_EXPMAX = 1024 * math.log(2.0)  # DBL_MAX_EXP * M_LN2 = log(DBL_MAX) in rbeta.c
_DBL_MAX = 1.7976931348623157e308


def _v_w(beta: float, u1: float, scale: float) -> tuple[float, float]:
    v = beta * math.log(u1 / (1.0 - u1))
    if v <= _EXPMAX:
        w = scale * math.exp(v)
        if math.isinf(w):
            w = _DBL_MAX
    else:
        w = _DBL_MAX
    return v, w


def rbeta_value(cur: Cursor, aa: float, bb: float) -> float:
    """One ``rbeta(aa, bb)`` draw with rbeta.c's special cases (NaN for invalid shapes)."""
    if math.isnan(aa) or math.isnan(bb) or aa < 0.0 or bb < 0.0:
        return math.nan
    if math.isinf(aa) and math.isinf(bb):
        return 0.5
    if aa == 0.0 and bb == 0.0:
        return 0.0 if cur.unif() < 0.5 else 1.0
    if math.isinf(aa) or bb == 0.0:
        return 1.0
    if math.isinf(bb) or aa == 0.0:
        return 0.0
    a = min(aa, bb)
    b = max(aa, bb)
    alpha = a + b
    if a <= 1.0:  # algorithm BC
        beta = 1.0 / a
        delta = 1.0 + b - a
        k1 = delta * (0.0138889 + 0.0416667 * a) / (b * beta - 0.777778)
        k2 = 0.25 + (0.5 + 0.25 / delta) * a
        while True:
            u1 = cur.unif()
            u2 = cur.unif()
            if u1 < 0.5:
                y = u1 * u2
                z = u1 * y
                if 0.25 * u2 + z - y >= k1:
                    continue
            else:
                z = u1 * u1 * u2
                if z <= 0.25:
                    v, w = _v_w(beta, u1, b)
                    break
                if z >= k2:
                    continue
            v, w = _v_w(beta, u1, b)
            if alpha * (math.log(alpha / (a + w)) + v) - 1.3862944 >= math.log(z):
                break
        return a / (a + w) if aa == a else w / (a + w)
    # algorithm BB
    beta = math.sqrt((alpha - 2.0) / (2.0 * a * b - alpha))
    gamma = a + 1.0 / beta
    while True:
        u1 = cur.unif()
        u2 = cur.unif()
        v, w = _v_w(beta, u1, a)
        z = u1 * u1 * u2
        r = gamma * v - 1.3862944
        s = a + r - w
        if s + 2.609438 >= 5.0 * z:
            break
        t = math.log(z)
        if s > t:
            break
        if r + alpha * math.log(alpha / (b + w)) >= t:
            break
    return b / (b + w) if aa != a else w / (b + w)


def rbeta(stream: MTStream, count: int, shape1: np.ndarray, shape2: np.ndarray) -> np.ndarray:
    """``rbeta(count, shape1, shape2)``, recycling both shapes (NaN with R's warning)."""
    params = recycled(count, shape1, shape2)
    if params is None:
        warn_nas(4)
        return np.full(count, np.nan)
    al, bl = params[0].tolist(), params[1].tolist()
    with Cursor(stream) as cur:
        out = np.asarray([rbeta_value(cur, al[i], bl[i]) for i in range(count)], dtype=float)
    if np.isnan(out).any():
        warn_nas(4)
    return out
