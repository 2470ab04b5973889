"""R's Poisson sampler ``rpois(mu)`` (``src/nmath/rpois.c``), draw for draw.

Ahrens & Dieter (1982), "Computer generation of Poisson deviates from modified normal
distributions", ACM TOMS 8, 163-179, as R codes it:

* ``mu < 10`` -- table-aided inversion (cases B, steps U, T, C): one uniform ``u`` per
  draw, the answer is the smallest ``k <= 35`` with ``u <= P(X <= k)`` where the
  cumulative table is built by ``p *= mu / k; q += p`` from ``p0 = exp(-mu)``; a new
  uniform is drawn while ``u`` exceeds the table's last entry.  R builds the table
  lazily in static storage across calls, but its entries (and therefore every draw) are
  the same whenever they are built, and the search skips only entries below ``u``, so
  each draw is a pure function of its uniform -- which is what lets a run of such draws
  be computed at once (:func:`_batch_small`).
* ``mu >= 10`` -- normal deviate ``g = mu + sqrt(mu) * norm_rand()`` with immediate
  acceptance (``floor(g) >= floor(mu - 1.1484)``), squeeze (one uniform), then the
  quotient test and a Laplace-hat rejection loop using ``exp_rand()``; sequential.

Invalid ``mu`` (NaN, negative, infinite) gives NaN without a draw; ``mu == 0`` gives 0.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from functools import lru_cache

import numpy as np

from mixedlab.rng import _libm as libm
from mixedlab.rng._driver import BATCH, NO_DRAW, SCALAR, drive
from mixedlab.rng._gamma import exp_rand1
from mixedlab.rng._params import recycled, warn_nas
from mixedlab.rng._cursor import Cursor
from mixedlab.rng._stream import MTStream

__all__ = ["rpois", "rpois1"]

_A0, _A1, _A2, _A3 = -0.5, 0.3333333, -0.2500068, 0.2000118
_A4, _A5, _A6, _A7 = -0.1661269, 0.1421878, -0.1384794, 0.1250060
_ONE_7 = 0.1428571428571428571
_ONE_12 = 0.0833333333333333333
_ONE_24 = 0.0416666666666666667
_M_1_SQRT_2PI = 0.398942280401432677939946059934
_FACT = (1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0)
_TABLE = 36  # pp[0..35]


def _small1(cur: Cursor, mu: float) -> float:
    """Case B (``0 < mu < 10``): inversion, building the cumulative table as needed."""
    p0 = math.exp(-mu)
    while True:
        u = cur.unif()  # Step U
        if u <= p0:
            return 0.0
        p = q = p0
        for k in range(1, _TABLE):  # Steps T and C: pp[k] = q, built as rpois.c does
            p *= mu / k
            q += p
            if u <= q:
                return float(k)
        # u > pp[35]: draw a new uniform


@lru_cache(maxsize=4096)
def _big_constants(mu: float) -> tuple[float, ...]:
    """Case A and step P: s, d, big_l, omega, b1.., c for ``mu >= 10``."""
    s = math.sqrt(mu)
    d = 6.0 * mu * mu
    big_l = float(math.floor(mu - 1.1484))
    omega = _M_1_SQRT_2PI / s
    b1 = _ONE_24 / mu
    b2 = 0.3 * b1 * b1
    c3 = _ONE_7 * b1 * b2
    c2 = b2 - 15.0 * c3
    c1 = b1 - 6.0 * b2 + 45.0 * c3
    c0 = 1.0 - b1 + 3.0 * b2 - 15.0 * c3
    c = 0.1069 / mu  # guarantees majorization by the 'hat'-function
    return s, d, big_l, omega, c0, c1, c2, c3, c


def _step_f(mu: float, pois: float, s: float, omega: float, c0: float, c1: float,
            c2: float, c3: float) -> tuple[float, float, float, float]:
    """'Subroutine' F of rpois.c: px, py, fx, fy for the candidate ``pois``."""
    fk = pois
    difmuk = mu - fk
    if pois < 10:  # factorials from the table
        px = -mu
        py = math.pow(mu, pois) / _FACT[int(pois)]
    else:  # polynomial approximation a0..a7 when advisable
        dl = _ONE_12 / fk
        dl = dl * (1.0 - 4.8 * dl * dl)
        v = difmuk / fk
        if abs(v) <= 0.25:
            px = fk * v * v * (((((((_A7 * v + _A6) * v + _A5) * v + _A4) * v + _A3) * v
                                 + _A2) * v + _A1) * v + _A0) - dl
        else:
            px = fk * math.log(1.0 + v) - difmuk - dl
        py = _M_1_SQRT_2PI / math.sqrt(fk)
    x = (0.5 - difmuk) / s
    x *= x
    fx = -0.5 * x
    fy = omega * (((c3 * x + c2) * x + c1) * x + c0)
    return px, py, fx, fy


def _big1(cur: Cursor, mu: float) -> float:
    """Case A (``mu >= 10``): normal approximation with squeeze, quotient and hat tests."""
    s, d, big_l, omega, c0, c1, c2, c3, c = _big_constants(mu)
    g = mu + s * cur.norm()  # Step N
    if g >= 0.0:
        pois = float(math.floor(g))
        if pois >= big_l:  # Step I: immediate acceptance
            return pois
        difmuk = mu - pois
        u = cur.unif()  # Step S: squeeze acceptance
        if d * u >= difmuk * difmuk * difmuk:
            return pois
        px, py, fx, fy = _step_f(mu, pois, s, omega, c0, c1, c2, c3)
        if fy - u * fy <= py * _exp(px - fx):  # Step Q: quotient acceptance
            return pois
    while True:
        e = exp_rand1(cur)  # Step E: t from the Laplace 'hat'
        u = 2.0 * cur.unif() - 1.0
        t = 1.8 + (e if u >= 0 else -e)  # fsign(E, u)
        if t > -0.6744:  # (if t <= -0.6744 then pk < fk for all mu >= 10)
            pois = float(math.floor(mu + s * t))
            px, py, fx, fy = _step_f(mu, pois, s, omega, c0, c1, c2, c3)
            # Step H: hat acceptance
            if c * abs(u) <= py * _exp(px + e) - fy * _exp(fx + e):
                return pois


def _exp(x: float) -> float:
    """C's exp: overflow gives inf instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def rpois1(cur: Cursor, mu: float) -> float:
    """One ``rpois(mu)`` draw for a finite ``mu > 0``."""
    return _big1(cur, mu) if mu >= 10.0 else _small1(cur, mu)


def _small_table(mu: float) -> list[float]:
    """pp[0..35] of case B for one ``mu``, built as rpois.c builds it (scalar arithmetic)."""
    p = q = math.exp(-mu)
    out = [p]
    for k in range(1, _TABLE):
        p *= mu / k
        q += p
        out.append(q)
    return out


def _run(cur: Cursor, idx: list[int], mus: list[float]) -> list[float]:
    """Draws ``idx`` one after another; a mean below 10 that repeats in the run gets its
    table built once and searched (``bisect``), the others run the algorithm directly."""
    small = [mus[i] for i in idx if mus[i] < 10.0]
    tables: dict[float, list[float]] = {}
    if len(small) > 8:
        counts: dict[float, int] = {}
        for m in small:
            counts[m] = counts.get(m, 0) + 1
        tables = {m: _small_table(m) for m, c in counts.items() if c >= 4}
    out = []
    unif = cur.unif
    for i in idx:
        mu = mus[i]
        if mu >= 10.0:
            out.append(_big1(cur, mu))
            continue
        table = tables.get(mu)
        if table is None:
            out.append(_small1(cur, mu))
            continue
        k = bisect_left(table, unif())  # smallest k with u <= pp[k]
        while k == _TABLE:  # u > pp[35]: a new uniform
            k = bisect_left(table, unif())
        out.append(float(k))
    return out


def _tables(mu: np.ndarray) -> np.ndarray:
    """Cumulative tables pp[0..35] for each ``mu`` (rows), built as rpois.c builds them."""
    p = libm.exp(-mu)  # exp of the C library, as rpois.c calls it
    out = np.empty((mu.size, _TABLE))
    out[:, 0] = p
    q = p.copy()
    for k in range(1, _TABLE):
        p = p * (mu / k)  # p *= mu / k
        q = q + p
        out[:, k] = q
    return out


def _batch_small(stream: MTStream, mu: np.ndarray, out: np.ndarray, idx: np.ndarray) -> int:
    """Draws ``idx`` (all ``0 < mu < 10``) from the next ``len(idx)`` uniforms.

    Stops before the first draw whose uniform exceeds its table (that draw needs more
    uniforms); returns the number of draws made.
    """
    done = 0
    chunk = 1 << 15
    while done < idx.size:
        part = idx[done:done + chunk]
        m = mu[part]
        uniq, inv = np.unique(m, return_inverse=True)
        table = _tables(uniq)
        u = stream.peek_unif(part.size)
        # smallest k with u <= pp[k]: the number of entries below u (rows are sorted)
        k = (table[inv] < u[:, None]).sum(axis=1)
        over = np.flatnonzero(k == _TABLE)
        n_ok = int(over[0]) if over.size else part.size
        out[part[:n_ok]] = k[:n_ok]
        stream.consume(n_ok)
        done += n_ok
        if n_ok < part.size:
            break
    return done


def rpois(stream: MTStream, count: int, lam: np.ndarray) -> np.ndarray:
    """``rpois(count, lam)`` with ``lam`` recycled, as R's ``random1``."""
    params = recycled(count, lam)
    if params is None:
        warn_nas(4)
        return np.full(count, np.nan)
    (mu,) = params
    out = np.zeros(count)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(mu) | (mu < 0.0)
        small = ~bad & (mu > 0.0) & (mu < 10.0)
        big = ~bad & (mu >= 10.0)
    out[bad] = np.nan
    kind = np.full(count, NO_DRAW, dtype=np.int8)
    kind[small] = BATCH
    kind[big] = SCALAR
    ml = mu.tolist()
    drive(stream, kind, out, lambda cur, idx: _run(cur, idx, ml),
          lambda idx: _batch_small(stream, mu, out, idx))
    if bad.any():
        warn_nas(4)
    return out
