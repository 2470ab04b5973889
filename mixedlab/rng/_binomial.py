"""R's binomial sampler ``rbinom(n, p)`` (``src/nmath/rbinom.c``), draw for draw.

Kachitvichyanukul & Schmeiser (1988), "Binomial random variate generation", CACM 31,
216-222, as R codes it, with ``p' = min(p, 1 - p)`` and the answer mirrored (``n - x``)
when ``p > 1/2``:

* ``n p' < 30`` -- inversion: one uniform, subtract ``f(0) = q^n`` (``R_pow_di``),
  ``f(x) *= (g / x - r)`` until the uniform falls below ``f``; restart if ``x > 110``.
  One uniform per draw, so runs of such draws are computed at once (:func:`_batch_small`).
* ``n p' >= 30`` -- BTPE: two uniforms per attempt over a triangle, parallelogram and
  two exponential tails, accepted by explicit evaluation of ``f`` or Stirling-based
  squeezes; sequential.
* ``n >= 2**31 - 1`` -- ``qbinom(unif_rand(), n, p, lower = FALSE)``
  (:mod:`mixedlab.rng._qbinom`).

R caches the set-up constants in static variables between calls with the same
``(n, p)``; they are pure functions of ``(n, p)``, cached by value here.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from mixedlab.rng import _libm as libm
from mixedlab.rng._cursor import Cursor
from mixedlab.rng._driver import BATCH, NO_DRAW, SCALAR, drive
from mixedlab.rng._libm import pow_di
from mixedlab.rng._params import recycled, warn_nas
from mixedlab.rng._qbinom import qbinom_upper
from mixedlab.rng._stream import MTStream

__all__ = ["rbinom", "rbinom1"]

_INT_MAX = 2147483647


def _pow_di_vec(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """:func:`~mixedlab.rng._libm.pow_di` element by element (same multiplications in the same order)."""
    xn = np.ones_like(x)
    x = x.copy()
    n = n.astype(np.int64)
    while True:
        odd = (n & 1) == 1
        xn[odd] *= x[odd]
        n = n >> 1
        more = n > 0
        if not more.any():
            return xn
        x[more] *= x[more]


def _int32(v: int) -> int:
    """Wrap a C ``int`` product to 32 bits, as the overflow in ``-k * k`` does."""
    return ((v + 2**31) % 2**32) - 2**31


@lru_cache(maxsize=4096)
def _setup(n: int, pp: float) -> tuple:
    """The set-up rbinom.c performs when ``(n, pp)`` changes."""
    p = pp if pp < 1.0 - pp else 1.0 - pp  # fmin2(pp, 1 - pp)
    q = 1.0 - p
    np_ = n * p
    r = p / q
    g = r * (n + 1)
    if np_ < 30.0:
        return (True, p, q, r, g, pow_di(q, n))
    ffm = np_ + p
    m = int(ffm)
    fm = float(m)
    npq = np_ * q
    p1 = float(int(2.195 * math.sqrt(npq) - 4.6 * q)) + 0.5
    xm = fm + 0.5
    xl = xm - p1
    xr = xm + p1
    c = 0.134 + 20.5 / (15.3 + fm)
    al = (ffm - xl) / (ffm - xl * p)
    xll = al * (1.0 + 0.5 * al)
    al = (xr - ffm) / (xr * q)
    xlr = al * (1.0 + 0.5 * al)
    p2 = p1 * (1.0 + c + c)
    p3 = p2 + c / xll
    p4 = p3 + c / xlr
    return (False, p, q, r, g, m, fm, npq, p1, xm, xl, xr, c, xll, xlr, p2, p3, p4)


def _small1(cur: Cursor, n: int, r: float, g: float, qn: float) -> int:
    """Inversion for ``n p < 30`` (before mirroring)."""
    while True:
        ix = 0
        f = qn
        u = cur.unif()
        while True:
            if u < f:
                return ix
            if ix > 110:
                break
            u -= f
            ix += 1
            f *= (g / ix - r)


def _stirling(x2: float) -> float:
    """The polynomial of rbinom.c's Stirling correction terms."""
    return 13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2


def _btpe1(cur: Cursor, n: int, s: tuple) -> int:
    """BTPE for ``n p >= 30`` (before mirroring)."""
    (_, p, q, r, g, m, fm, npq, p1, xm, xl, xr, c, xll, xlr, p2, p3, p4) = s
    log = math.log
    while True:
        u = cur.unif() * p4
        v = cur.unif()
        if u <= p1:  # triangular region
            return int(xm - p1 * v + u)
        if u <= p2:  # parallelogram region
            x = xl + (u - p1) / c
            v = v * c + 1.0 - abs(xm - x) / p1
            if v > 1.0 or v <= 0.0:
                continue
            ix = int(x)
        elif u > p3:  # right tail
            ix = int(xr - log(v) / xlr)
            if ix > n:
                continue
            v = v * (u - p3) * xlr
        else:  # left tail
            ix = int(xl + log(v) / xll)
            if ix < 0:
                continue
            v = v * (u - p2) * xll
        # determine the appropriate way to perform the accept/reject test
        k = abs(ix - m)
        if k <= 20 or k >= npq / 2 - 1:
            # explicit evaluation
            f = 1.0
            if m < ix:
                for i in range(m + 1, ix + 1):
                    f *= (g / i - r)
            elif m != ix:
                for i in range(ix + 1, m + 1):
                    f /= (g / i - r)
            if v <= f:
                return ix
        else:
            # squeezing using upper and lower bounds on log(f(x))
            amaxp = (k / npq) * ((k * (k / 3.0 + 0.625) + 0.1666666666666) / npq + 0.5)
            ynorm = _int32(-k * k) / (2.0 * npq)
            alv = log(v)
            if alv < ynorm - amaxp:
                return ix
            if alv <= ynorm + amaxp:
                # Stirling's formula to machine accuracy for the final test
                x1 = float(ix + 1)
                f1 = fm + 1.0
                z = (n + 1) - fm
                w = (n - ix) + 1.0
                z2 = z * z
                x2 = x1 * x1
                f2 = f1 * f1
                w2 = w * w
                bound = (xm * log(f1 / x1) + ((n - m) + 0.5) * log(z / w)
                         + (ix - m) * log(w * p / (x1 * q))
                         + _stirling(f2) / f1 / 166320.0 + _stirling(z2) / z / 166320.0
                         + _stirling(x2) / x1 / 166320.0 + _stirling(w2) / w / 166320.0)
                if alv <= bound:
                    return ix


def rbinom1(cur: Cursor, size: float, pp: float) -> float:
    """One ``rbinom(size, pp)`` draw for whole ``0 < size`` and ``0 < pp < 1``."""
    if size >= _INT_MAX:  # evade integer overflow (rbinom.c)
        return qbinom_upper(cur.unif(), size, pp)
    n = int(size)
    s = _setup(n, pp)
    if s[0]:
        _, p, q, r, g, qn = s
        ix = _small1(cur, n, r, g, qn)
    else:
        ix = _btpe1(cur, n, s)
    return float(n - ix if pp > 0.5 else ix)


def _batch_small(stream: MTStream, size: np.ndarray, prob: np.ndarray, out: np.ndarray,
                 idx: np.ndarray) -> int:
    """Inversion draws ``idx`` (all ``n p < 30``) from the next ``len(idx)`` uniforms.

    Stops before a draw that would restart (``x > 110``); returns the draws made.
    """
    n = size[idx]
    pp = prob[idx]
    p = np.where(pp < 1.0 - pp, pp, 1.0 - pp)
    q = 1.0 - p
    r = p / q
    g = r * (n + 1.0)
    f = _pow_di_vec(q, n)
    u = stream.peek_unif(idx.size)
    ix = np.zeros(idx.size)
    live = np.arange(idx.size)
    fa, ua, ga, ra = f, u.copy(), g, r
    over = idx.size
    for step in range(112):
        hit = ua < fa
        ix[live[hit]] = step
        keep = ~hit
        if not keep.any():
            live = live[:0]
            break
        if step == 111:  # ix > 110: R restarts this draw with a new uniform
            over = int(live[keep][0])
            break
        live, fa, ua, ga, ra = live[keep], fa[keep], ua[keep], ga[keep], ra[keep]
        ua = ua - fa
        fa = fa * (ga / (step + 1) - ra)
    done = over
    res = ix[:done]
    res = np.where(pp[:done] > 0.5, n[:done] - res, res)
    out[idx[:done]] = res
    stream.consume(done)
    return done


def _btpe_attempts(s: tuple, n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score BTPE attempts ``(U, V)`` pairs at once: (accepted, ix) per attempt.

    The same operations as :func:`_btpe1` on arrays (libm logs element by element); an
    attempt's outcome depends on its own two uniforms only, so with constant parameters
    the draws are the accepted attempts in stream order.
    """
    (_, p, q, r, g, m, fm, npq, p1, xm, xl, xr, c, xll, xlr, p2, p3, p4) = s
    u = u * p4
    k_att = u.size
    ok = np.zeros(k_att, dtype=bool)
    ix = np.zeros(k_att, dtype=np.int64)
    vv = v.copy()
    tri = u <= p1
    ix[tri] = np.trunc(xm - p1 * v[tri] + u[tri]).astype(np.int64)
    ok[tri] = True
    par = ~tri & (u <= p2)
    x = xl + (u[par] - p1) / c
    v2 = v[par] * c + 1.0 - np.abs(xm - x) / p1
    live = np.zeros(k_att, dtype=bool)
    good = ~((v2 > 1.0) | (v2 <= 0.0))
    pidx = np.flatnonzero(par)
    live[pidx[good]] = True
    ix[pidx[good]] = np.trunc(x[good]).astype(np.int64)
    vv[pidx] = v2
    right = ~tri & ~par & (u > p3)
    if right.any():
        ridx = np.flatnonzero(right)
        ixr = np.trunc(xr - libm.log(v[ridx]) / xlr).astype(np.int64)
        keep = ixr <= n
        live[ridx[keep]] = True
        ix[ridx] = ixr
        vv[ridx] = v[ridx] * (u[ridx] - p3) * xlr
    left = ~tri & ~par & ~right
    if left.any():
        lidx = np.flatnonzero(left)
        ixl = np.trunc(xl + libm.log(v[lidx]) / xll).astype(np.int64)
        keep = ixl >= 0
        live[lidx[keep]] = True
        ix[lidx] = ixl
        vv[lidx] = v[lidx] * (u[lidx] - p2) * xll
    cand = np.flatnonzero(live)
    if cand.size == 0:
        return ok, ix
    k = np.abs(ix[cand] - m)
    explicit = (k <= 20) | (k >= npq / 2 - 1)
    e = cand[explicit]
    if e.size:
        # f = prod (g / i - r) over i = m+1..ix, or f /= (g / i - r) over i = ix+1..m, in order
        ie = ix[e]
        f = np.ones(e.size)
        up = ie > m
        steps = np.abs(ie - m)
        for j in range(1, int(steps.max()) + 1 if steps.size else 1):
            act = steps >= j
            if not act.any():
                break
            a_up = act & up
            if a_up.any():
                f[a_up] *= g / (m + j) - r
            a_dn = act & ~up
            if a_dn.any():
                f[a_dn] /= g / (ie[a_dn] + j) - r
        ok[e[vv[e] <= f]] = True
    sq = cand[~explicit]
    if sq.size:
        kk = np.abs(ix[sq] - m).astype(np.float64)
        ki = np.abs(ix[sq] - m)
        amaxp = (kk / npq) * ((kk * (kk / 3.0 + 0.625) + 0.1666666666666) / npq + 0.5)
        ynorm = (((-ki * ki + 2**31) % 2**32) - 2**31).astype(np.float64) / (2.0 * npq)
        alv = libm.log(vv[sq])
        ok[sq[alv < ynorm - amaxp]] = True
        mid = (alv >= ynorm - amaxp) & (alv <= ynorm + amaxp)
        if mid.any():
            sm, ixm = sq[mid], ix[sq[mid]]
            x1 = (ixm + 1).astype(np.float64)
            f1 = fm + 1.0
            z = (n + 1) - fm
            w = (n - ixm) + 1.0
            z2, x2, f2, w2 = z * z, x1 * x1, f1 * f1, w * w
            bound = (xm * libm.log(f1 / x1) + ((n - m) + 0.5) * libm.log(z / w)
                     + (ixm - m) * libm.log(w * p / (x1 * q))
                     + _stirling(f2) / f1 / 166320.0 + _stirling(z2) / z / 166320.0
                     + _stirling_v(x2) / x1 / 166320.0 + _stirling_v(w2) / w / 166320.0)
            ok[sm[alv[mid] <= bound]] = True
    return ok, ix


def _stirling_v(x2: np.ndarray) -> np.ndarray:
    """:func:`_stirling` on an array (same operations)."""
    return 13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2


def _btpe_constant(stream: MTStream, count: int, n: int, pp: float) -> np.ndarray:
    """``count`` BTPE draws with one ``(n, pp)``: attempts scored in bulk, the accepted ones
    taken in order, only the words up to the last accepted attempt consumed."""
    s = _setup(n, pp)
    out = np.empty(count)
    filled = 0
    while filled < count:
        need = count - filled
        attempts = int(need * 1.3) + 32
        uv = stream.peek_unif(2 * attempts)
        ok, ix = _btpe_attempts(s, n, uv[0::2], uv[1::2])
        acc = np.flatnonzero(ok)[:need]
        vals = ix[acc].astype(np.float64)
        out[filled:filled + acc.size] = (n - vals) if pp > 0.5 else vals
        filled += acc.size
        used = (acc[-1] + 1) if acc.size == need else attempts
        stream.consume(2 * int(used))
    return out


def rbinom(stream: MTStream, count: int, size: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """``rbinom(count, size, prob)`` with both recycled, as R's ``random2``."""
    params = recycled(count, size, prob)
    if params is None:
        warn_nas(4)
        return np.full(count, np.nan)
    nin, pp = params
    out = np.zeros(count)
    with np.errstate(invalid="ignore"):
        r = np.rint(nin)  # R_forceint = nearbyint
        bad = (~np.isfinite(nin) | (r != nin) | ~np.isfinite(pp) | (r < 0) | (pp < 0.0)
               | (pp > 1.0))
        zero = ~bad & ((r == 0) | (pp == 0.0))
        one = ~bad & ~zero & (pp == 1.0)
        draw = ~(bad | zero | one)
        pmin = np.where(pp < 1.0 - pp, pp, 1.0 - pp)
        small = draw & (r < _INT_MAX) & (r * pmin < 30.0)
    out[bad] = np.nan
    out[one] = r[one]
    if (count > 64 and draw.all() and not small.any() and r[0] < _INT_MAX
            and (r == r[0]).all() and (pp == pp[0]).all()):
        return _btpe_constant(stream, count, int(r[0]), float(pp[0]))  # one (n, p): in bulk
    kind = np.full(count, NO_DRAW, dtype=np.int8)
    kind[draw] = SCALAR
    kind[small] = BATCH
    rl, pl = r.tolist(), pp.tolist()
    drive(stream, kind, out, lambda cur, idx: [rbinom1(cur, rl[i], pl[i]) for i in idx],
          lambda idx: _batch_small(stream, r, pp, out, idx))
    if bad.any():
        warn_nas(4)
    return out
