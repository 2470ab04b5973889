"""R's negative binomial sampler (``src/nmath/rnbinom.c``): a Poisson draw with a gamma mean.

Devroye (1986, pp. 488 and 543): ``rnbinom(size, prob) = rpois(rgamma(size, (1 - prob) /
prob))`` and ``rnbinom_mu(size, mu) = rpois(rgamma(size, mu / size))``; an infinite
``size`` is replaced by ``DBL_MAX / 2`` (so that ``rgamma`` stays finite). Each draw
takes its gamma deviate and then its Poisson deviate from the stream, so draws are
sequential.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from mixedlab.rng._driver import NO_DRAW, SCALAR, drive
from mixedlab.rng._gamma import rgamma1, rgamma_value
from mixedlab.rng._params import recycled, warn_nas
from mixedlab.rng._poisson import rpois1
from mixedlab.rng._cursor import Cursor
from mixedlab.rng._stream import MTStream

__all__ = ["rnbinom", "rnbinom_mu"]

_HALF_MAX = sys.float_info.max / 2.0


def _pois_of(cur: Cursor, mu: float) -> float:
    """``rpois(mu)`` for any ``mu`` (NaN for invalid, 0 for 0), as rpois.c."""
    if not math.isfinite(mu) or mu < 0.0:
        return math.nan
    if mu <= 0.0:
        return 0.0
    return rpois1(cur, mu)


_INF = math.inf


def _draw(cur: Cursor, a: float, scale: float) -> float:
    """``rpois(rgamma(a, scale))`` with the common case (finite, positive) taken directly."""
    if 0.0 < a < _INF and 0.0 < scale < _INF:
        lam = rgamma1(cur, a, scale)
    else:
        lam = rgamma_value(cur, a, scale)
    if 0.0 < lam < _INF:
        return rpois1(cur, lam)
    return _pois_of(cur, lam)


def _finish(out: np.ndarray, bad: np.ndarray) -> np.ndarray:
    if bad.any() or np.isnan(out).any():
        warn_nas(5)
    return out


def rnbinom(stream: MTStream, count: int, size: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """``rnbinom(count, size, prob)`` with both recycled."""
    params = recycled(count, size, prob)
    if params is None:
        warn_nas(4)
        return np.full(count, np.nan)
    sz, pr = params
    out = np.zeros(count)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(pr) | np.isnan(sz) | (sz <= 0) | (pr <= 0) | (pr > 1)
    out[bad] = np.nan
    kind = np.where(bad | (pr == 1), NO_DRAW, SCALAR).astype(np.int8)
    sl = np.where(np.isinf(sz), _HALF_MAX, sz).tolist()
    pl = pr.tolist()

    def run(cur: Cursor, idx: list[int]) -> list[float]:
        return [_draw(cur, sl[i], (1 - pl[i]) / pl[i]) for i in idx]

    drive(stream, kind, out, run)
    return _finish(out, bad)


def rnbinom_mu(stream: MTStream, count: int, size: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``rnbinom(count, size, mu = mu)`` with both recycled."""
    params = recycled(count, size, mu)
    if params is None:
        warn_nas(4)
        return np.full(count, np.nan)
    sz, mu_ = params
    out = np.zeros(count)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(mu_) | np.isnan(sz) | (sz <= 0) | (mu_ < 0)
    out[bad] = np.nan
    kind = np.where(bad | (mu_ == 0), NO_DRAW, SCALAR).astype(np.int8)
    sl = np.where(np.isinf(sz), _HALF_MAX, sz).tolist()
    ml = mu_.tolist()

    def run(cur: Cursor, idx: list[int]) -> list[float]:
        return [_draw(cur, sl[i], ml[i] / sl[i]) for i in idx]

    drive(stream, kind, out, run)
    return _finish(out, bad)
