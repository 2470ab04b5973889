"""Zero-inflated draws in TMB's order: each observation's count, then its zero-inflation draw.

glmmTMB's ``SIMULATE`` blocks (``src/glmmTMB.cpp``) loop over observations and, for each,
draw from the family (``rpois(mu)``, ``rnbinom2(mu, var)`` = ``rnbinom(mu^2 / (var - mu),
mu / var)``, ``rbinom(size, mu)``, ``rgamma(shape, scale)``, ``rnorm(mu, sd)``) and then,
with a zero-inflation model, multiply by ``rbinom(1, 1 - pz)``. Both come from R's stream
(TMB calls R's ``Rf_r*`` samplers), interleaved, so the draws here are made one observation
at a time with the same scalar samplers as :class:`~mixedlab.RRandom`.
"""

from __future__ import annotations

import math

import numpy as np

from mixedlab.rng import _tmbdraw
from mixedlab.rng._beta import rbeta_value
from mixedlab.rng._binomial import rbinom1
from mixedlab.rng._cursor import Cursor, _block_norms
from mixedlab.rng._gamma import gd_tail, rgamma_value
from mixedlab.rng._nbinom import _draw as _nbinom_draw, _pois_of
from mixedlab.rng._params import warn_nas
from mixedlab.rng._stream import MTStream

__all__ = ["zero_inflated", "FAMILIES"]

FAMILIES = ("poisson", "nbinom", "binomial", "gamma", "normal", "beta", "truncated_poisson",
            "truncated_nbinom", "truncated_nbinom2", "genpois", "tweedie", "betabinomial")
_INT_MAX = 2147483647


def _binom(cur: Cursor, size: float, pp: float) -> float:
    """``rbinom(size, pp)`` with R's checks (NaN for invalid arguments)."""
    if not math.isfinite(size) or size != round(size) or not math.isfinite(pp) or size < 0 \
            or pp < 0 or pp > 1:
        return math.nan
    if size == 0 or pp == 0:
        return 0.0
    if pp == 1:
        return size
    return rbinom1(cur, size, pp)


def _nbinom(cur: Cursor, size: float, prob: float) -> float:
    """``rnbinom(size, prob)`` with rnbinom.c's checks."""
    if not math.isfinite(prob) or math.isnan(size) or size <= 0 or prob <= 0 or prob > 1:
        return math.nan
    if math.isinf(size):
        size = 8.98846567431158e307  # DBL_MAX / 2
    return 0.0 if prob == 1 else _nbinom_draw(cur, size, (1 - prob) / prob)


def _normal(cur: Cursor, mean: float, sd: float) -> float:
    """``rnorm(mean, sd)`` with rnorm.c's checks."""
    if math.isnan(mean) or not math.isfinite(sd) or sd < 0:
        return math.nan
    if sd == 0 or not math.isfinite(mean):
        return mean
    return mean + sd * cur.norm()


class _Bernoulli:
    """``rbinom(1, 1 - pz)`` per observation, set up once (rbinom.c's inversion for n = 1).

    With n = 1: ``q^n = q``, ``f(1) = q (g - r)`` and ``f(2) = f(1) (g / 2 - r) = 0``
    exactly (``g = 2 r``), so a uniform that is neither below ``q`` nor within ``f(1)`` of
    it makes rbinom.c start again with a new one.
    """

    def __init__(self, pz: np.ndarray) -> None:
        pp = 1.0 - np.asarray(pz, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(pp < 1.0 - pp, pp, 1.0 - pp)  # fmin2(pp, 1 - pp)
            q = 1.0 - p
            r = p / q
            g = r * 2.0  # r * (n + 1)
            f1 = q * (g - r)  # f *= (g / 1 - r) from f = q^1
        self.pp = pp.tolist()
        self.q = q.tolist()
        self.f1 = f1.tolist()

    def draw(self, cur: Cursor, i: int) -> float:
        pp = self.pp[i]
        if not (0.0 <= pp <= 1.0):
            return math.nan
        if pp == 0.0:
            return 0.0
        if pp == 1.0:
            return 1.0
        q, f1 = self.q[i], self.f1[i]
        while True:
            u = cur.unif()
            if u < q:
                ix = 0
                break
            if u - q < f1:
                ix = 1
                break
        return float(1 - ix) if pp > 0.5 else float(ix)


def _nbinom2_then_truncated(cur: Cursor, phi: float, mu: float) -> float:
    """glmmTMB's truncated_nbinom2: the shared nbinom2 block's ``rnbinom2(mu, var)`` draw
    (TMB: ``p = mu / var``, ``n = mu p / (1 - p)``), discarded, then the truncated draw."""
    var = mu * (1.0 + mu / phi)
    p = mu / var
    with np.errstate(all="ignore"):
        n = mu * p / (1.0 - p) if p != 1.0 else math.inf
    _tmbdraw.rnbinom_value(cur, n, p)
    return _tmbdraw.rtruncated_nbinom(cur, phi, mu)


def _drawer(family: str, al: list, bl: list | None, cl: list | None):
    """``draw(cur, i)`` for the families without a batched path."""
    return {"poisson": lambda cur, i: _pois_of(cur, al[i]),
            "binomial": lambda cur, i: _binom(cur, al[i], bl[i]),
            "gamma": lambda cur, i: rgamma_value(cur, al[i], bl[i]),
            "normal": lambda cur, i: _normal(cur, al[i], bl[i]),
            "beta": lambda cur, i: rbeta_value(cur, al[i], bl[i]),
            "truncated_poisson": lambda cur, i: _tmbdraw.rtruncated_poisson(cur, al[i]),
            "truncated_nbinom": lambda cur, i: _tmbdraw.rtruncated_nbinom(cur, al[i], bl[i]),
            "truncated_nbinom2": lambda cur, i: _nbinom2_then_truncated(cur, al[i], bl[i]),
            "genpois": lambda cur, i: _tmbdraw.rgenpois(cur, al[i], bl[i]),
            "tweedie": lambda cur, i: _tmbdraw.rtweedie(cur, al[i], bl[i], cl[i]),
            "betabinomial": lambda cur, i: _tmbdraw.rbetabinom(cur, al[i], bl[i], cl[i]),
            }[family]


def zero_inflated(stream: MTStream, family: str, a: np.ndarray, b: np.ndarray | None,
                  pz: np.ndarray | None, c: np.ndarray | None = None) -> np.ndarray:
    """One draw per observation of ``family`` (parameters ``a``, ``b``, ``c``), each followed
    by ``* rbinom(1, 1 - pz)`` when ``pz`` is given, in TMB's interleaved order.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`: ``poisson(a = mu)``, ``nbinom(a = size, b = prob)``,
        ``binomial(a = size, b = prob)``, ``gamma(a = shape, b = scale)``, ``normal(a =
        mean, b = sd)``, ``beta(a = shape1, b = shape2)``; glmmTMB's own samplers
        (:mod:`mixedlab.rng._tmbdraw`): ``truncated_poisson(a = mu)``,
        ``truncated_nbinom(a = size, b = mu)``, ``truncated_nbinom2(a = phi, b = mu)``
        (the discarded untruncated draw first), ``genpois(a = theta, b = lambda)``,
        ``tweedie(a = mu, b = phi, c = power)``, ``betabinomial(a = size, b = shape1,
        c = shape2)``.
    """
    if family == "nbinom" and pz is not None:
        res = np.asarray(_nbinom_zi_fast(stream, np.asarray(a, dtype=float),
                                         np.asarray(b, dtype=float), np.asarray(pz, dtype=float)))
        if np.isnan(res).any():
            warn_nas(4)
        return res
    al = np.asarray(a, dtype=float).tolist()
    bl = None if b is None else np.asarray(b, dtype=float).tolist()
    cl = None if c is None else np.asarray(c, dtype=float).tolist()
    zi = None if pz is None else _Bernoulli(pz)
    if family == "nbinom":
        draw = _nbinom_run(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    else:
        draw = _drawer(family, al, bl, cl)
    out = []
    with Cursor(stream) as cur:
        if zi is None:
            out = [draw(cur, i) for i in range(len(al))]
        else:
            zdraw = zi.draw
            out = [draw(cur, i) * zdraw(cur, i) for i in range(len(al))]
    res = np.asarray(out, dtype=float)
    if np.isnan(res).any():
        warn_nas(4)
    return res


def _nbinom_run(size: np.ndarray, prob: np.ndarray):
    """``rnbinom(size, prob)`` per observation with the checks and the gamma scale
    ``(1 - prob) / prob`` done for all observations at once (same arithmetic)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        bad = ~np.isfinite(prob) | np.isnan(size) | (size <= 0) | (prob <= 0) | (prob > 1)
        scale = (1 - prob) / prob
    sz = np.where(np.isinf(size), 8.98846567431158e307, size).tolist()  # DBL_MAX / 2
    sc = scale.tolist()
    bl = bad.tolist()
    one = (prob == 1).tolist()

    def draw(cur: Cursor, i: int) -> float:
        if bl[i]:
            return math.nan
        if one[i]:
            return 0.0
        return _nbinom_draw(cur, sz[i], sc[i])

    return draw


def _nbinom_zi_fast(stream: MTStream, size: np.ndarray, prob: np.ndarray,
                    pz: np.ndarray) -> list[float]:
    """:func:`zero_inflated` for ``nbinom`` with zero inflation, the common paths inlined.

    The same algorithms in the same order (GD's immediate and squeeze acceptance,
    rpois' inversion below 10, rbinom's inversion for n = 1) read straight from the
    cursor's block; every other path (GS for shapes below 1, GD's later steps, rpois from
    10, invalid parameters) goes through the general functions.
    """
    n = size.size
    with np.errstate(invalid="ignore", divide="ignore"):
        bad = ~np.isfinite(prob) | np.isnan(size) | (size <= 0) | (prob <= 0) | (prob > 1)
        scale = (1 - prob) / prob
        sz = np.where(np.isinf(size), 8.98846567431158e307, size)
        fast = ~bad & (prob != 1) & (sz >= 1.0) & np.isfinite(scale) & (scale > 0)
        s2 = sz - 0.5
        s = np.sqrt(np.where(fast, s2, 1.0))
        d = 5.656854 - s * 12.0  # gd_constants: sqrt32 - s * 12
    slow = _nbinom_run(size, prob)
    zi = _Bernoulli(pz)
    szl, scl, fl = sz.tolist(), scale.tolist(), fast.tolist()
    sl, dl = s.tolist(), d.tolist()
    ppl, ql, f1l = zi.pp, zi.q, zi.f1
    exp = math.exp
    out = []
    with Cursor(stream, first_block=min(6 * n + 64, 1 << 16)) as cur:
        cur._refill()
        U, N, i, L = cur._u, cur._n, 0, cur._len
        for k in range(n):
            if L - i < 16:
                cur._i = i
                cur._refill()
                U, N, i, L = cur._u, None, 0, cur._len
            if fl[k]:
                if N is None:
                    N = cur._n = _block_norms(cur._ua)
                t = N[i]
                i += 2
                sk = sl[k]
                x = sk + 0.5 * t
                if t >= 0.0:
                    lam = scl[k] * (x * x)
                else:
                    u = U[i]
                    i += 1
                    if dl[k] * u <= t * t * t:
                        lam = scl[k] * (x * x)
                    else:
                        cur._i = i
                        lam = gd_tail(cur, szl[k], scl[k], t, x, u)
                        U, N, i, L = cur._u, cur._n, cur._i, cur._len
                if 0.0 < lam < 10.0:
                    p0 = exp(-lam)
                    while True:  # rpois case B (inversion); a new uniform when u > pp[35]
                        if i >= L:
                            cur._i = i
                            cur._refill()
                            U, N, i, L = cur._u, None, 0, cur._len
                        u = U[i]
                        i += 1
                        if u <= p0:
                            y = 0.0
                            break
                        p = q = p0
                        y = -1.0
                        for kk in range(1, 36):
                            p *= lam / kk
                            q += p
                            if u <= q:
                                y = float(kk)
                                break
                        if y >= 0.0:
                            break
                elif lam == 0.0:
                    y = 0.0
                else:
                    cur._i = i
                    y = _pois_of(cur, lam)
                    U, N, i, L = cur._u, cur._n, cur._i, cur._len
            else:
                cur._i = i
                y = slow(cur, k)
                U, N, i, L = cur._u, cur._n, cur._i, cur._len
            # rbinom(1, 1 - pz)
            pp = ppl[k]
            if 0.0 < pp < 1.0:
                qk, f1 = ql[k], f1l[k]
                while True:
                    if i >= L:
                        cur._i = i
                        cur._refill()
                        U, N, i, L = cur._u, None, 0, cur._len
                    u = U[i]
                    i += 1
                    if u < qk:
                        ix = 0
                        break
                    if u - qk < f1:
                        ix = 1
                        break
                bern = float(1 - ix) if pp > 0.5 else float(ix)
            elif pp == 0.0:
                bern = 0.0
            elif pp == 1.0:
                bern = 1.0
            else:
                bern = math.nan
            out.append(y * bern)
        cur._i = i
    return out
