"""R's normal quantile and ``norm_rand()`` by Inversion, for arrays and one value at a time.

* ``qnorm5`` is Wichura's algorithm AS 241 (PPND16) as coded in R 4.2's
  ``src/nmath/qnorm.c`` (lower tail, not log): a rational approximation of
  ``q = p - 0.5`` when ``|q| <= 0.425``, otherwise of ``r = sqrt(-log(min(p, 1 - p)))``
  with separate fits for ``r <= 5`` and ``r > 5``.
* ``norm_rand()`` (``normal.kind = "Inversion"``, ``src/nmath/snorm.c``) uses two
  uniforms: ``u = (int)(2**27 * u1) + u2`` and returns ``qnorm5(u / 2**27)``.

Every value R computes with a libm function is computed with the C library's function
(:mod:`math`, :mod:`mixedlab.rng._libm`); the rest is IEEE arithmetic in R's order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mixedlab.rng import _libm as libm
from mixedlab.rng._params import warn_nas
from mixedlab.rng._stream import MTStream

__all__ = ["BIG", "pnorm", "qnorm", "qnorm1", "norm_rand", "norm_rand1", "norm_rand1_direct", "rnorm"]

BIG = 134217728.0  # 2**27: norm_rand's Inversion precision booster

# --- AS 241 (PPND16) coefficients, as in R's qnorm.c, lowest power first ---------------
# Central region |p - 0.5| <= 0.425: rational function of r = 0.180625 - q^2.
_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
      13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
      33430.575583588128105, 2509.0809287301226727)
_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
      21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
      5226.4952788528545610)
# Intermediate tail, r = sqrt(-log(min(p, 1-p))) <= 5: rational function of r - 1.6.
_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
      3.64784832476320460504, 1.27045825245236838258, .24178072517745061177,
      .0227238449892691845833, 7.7454501427834140764e-4)
_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, .68976733498510000455,
      .14810397642748007459, .0151986665636164571966, 5.475938084995344946e-4,
      1.05075007164441684324e-9)
# Far tail, r > 5: rational function of r - 5.
_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358,
      .29656057182850489123, .026532189526576123093, .0012426609473880784386,
      2.71155556874348757815e-5, 2.01033439929228813265e-7)
_F = (1.0, .59983220655588793769, .13692988092273580531, .0148753612908506148525,
      7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
      2.04426310338993978564e-15)


def _horner(coef: tuple[float, ...], r: np.ndarray) -> np.ndarray:
    """Evaluate ``coef[0] + coef[1] r + ... + coef[7] r^7`` the way qnorm.c nests it.

    qnorm.c writes ``(((c7 * r + c6) * r + c5) ... ) * r + c0``: start from the highest
    coefficient, multiply then add, which is what this loop does in place (no fused
    multiply-add, so every intermediate rounding matches R's build).
    """
    acc = r * coef[-1]
    for c in coef[-2:0:-1]:
        acc += c
        acc *= r
    acc += coef[0]
    return acc


def _horner1(coef: tuple[float, ...], r: float) -> float:
    """:func:`_horner` for one Python float (same operations, same order)."""
    c0, c1, c2, c3, c4, c5, c6, c7 = coef
    return ((((((r * c7 + c6) * r + c5) * r + c4) * r + c3) * r + c2) * r + c1) * r + c0


@np.errstate(invalid="ignore", over="ignore")  # non-finite p: fixed explicitly
def qnorm(p: Any) -> np.ndarray:
    """Standard normal quantile of ``p``, bit-identical to R's ``qnorm(p)``.

    Parameters
    ----------
    p : array_like of float
        Probabilities; values outside [0, 1] give NaN, 0 and 1 give -inf and inf.

    Returns
    -------
    numpy.ndarray
        Quantiles, float64, same shape as ``p``.
    """
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    # Central branch evaluated everywhere (cheaper than gathering the 85 % that use it);
    # the tail entries are overwritten below.
    r = q * q
    np.subtract(0.180625, r, out=r)
    out = q * _horner(_A, r)
    out /= _horner(_B, r)  # qnorm.c: q * num / den, i.e. (q * num) / den
    tail = np.flatnonzero(np.abs(q) > 0.425)
    if tail.size:
        _qnorm_tail(p, q, tail, out)
    nan = np.isnan(p)
    if nan.any():
        out[nan] = np.nan
    return out


@np.errstate(invalid="ignore", divide="ignore")  # p = 0, 1 or outside [0, 1]: fixed below
def _qnorm_tail(p: np.ndarray, q: np.ndarray, tail: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out[tail]`` with qnorm.c's tail branch (``|p - 0.5| > 0.425``)."""
    pt, qt = p[tail], q[tail]
    # R_DT_CIv(p) is written 0.5 - p + 0.5 (R_D_Cval); exact for p >= 0.5 either way.
    rt = np.where(qt < 0, pt, (0.5 - pt) + 0.5)
    # log of the C library, as R's qnorm.c calls it (numpy's SIMD log differs by ulps)
    rt = np.sqrt(-libm.log(rt))
    near = rt <= 5.0
    val = np.empty_like(rt)
    rn = rt[near] - 1.6
    val[near] = _horner(_C, rn) / _horner(_D, rn)
    rf = rt[~near] - 5.0
    val[~near] = _horner(_E, rf) / _horner(_F, rf)
    out[tail] = np.where(qt < 0, -val, val)
    bad = ~((pt > 0.0) & (pt < 1.0))
    if bad.any():
        edge = np.where(pt == 0.0, -np.inf, np.where(pt == 1.0, np.inf, np.nan))
        out[tail[bad]] = edge[bad]


def qnorm1(p: float, lower: bool = True) -> float:
    """``qnorm5(p, 0, 1, lower, FALSE)`` for one ``p`` strictly inside (0, 1)."""
    p_ = p if lower else (0.5 - p) + 0.5  # R_DT_qIv(p)
    q = p_ - 0.5
    if -0.425 <= q <= 0.425:
        r = 0.180625 - q * q
        return q * _horner1(_A, r) / _horner1(_B, r)
    # r = log(R_DT_CIv(p)) when q > 0 (1 - p in the lower tail, p in the upper), else log(p_)
    if q > 0:
        r = (0.5 - p) + 0.5 if lower else p
    else:
        r = p_
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        val = _horner1(_C, r) / _horner1(_D, r)
    else:
        r -= 5.0
        val = _horner1(_E, r) / _horner1(_F, r)
    return -val if q < 0 else val


def norm_rand(stream: MTStream, n: int) -> np.ndarray:
    """``n`` successive ``norm_rand()`` values by Inversion (2 uniforms each)."""
    out = np.empty(n)
    chunk = 1 << 20  # bounded temporaries: 10M normals never hold 20M doubles twice
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        u = stream.unif(2 * m)
        # u = (int)(BIG * u1) + u2: BIG * u1 is exact; the cast truncates toward 0.
        big = np.trunc(BIG * u[0::2]) + u[1::2]
        out[start:start + m] = qnorm(big / BIG)
    return out


def norm_rand1(cur: Any) -> float:
    """One ``norm_rand()`` by Inversion from a :class:`~mixedlab.rng._cursor.Cursor`."""
    return cur.norm()


def norm_rand1_direct(cur: Any) -> float:
    """``norm_rand()`` computed from two ``cur.unif()`` with the scalar ``qnorm`` (reference)."""
    u = float(int(BIG * cur.unif())) + cur.unif()
    return qnorm1(u / BIG)


def rnorm(stream: MTStream, count: int, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``count`` normal draws ``mean + sd * norm_rand()`` (parameters recycled).

    As rnorm.c: ``sd == 0`` or a non-finite mean returns ``mean`` without a draw; a NaN
    mean, ``sd < 0`` or a non-finite ``sd`` gives NaN (warning) without a draw.
    """
    if count == 0:
        return np.empty(0)
    if mu.size == 0 or sigma.size == 0:
        warn_nas(4)
        return np.full(count, np.nan)
    if mu.size == 1 and sigma.size == 1:
        m, s = float(mu[0]), float(sigma[0])
        if math.isnan(m) or not math.isfinite(s) or s < 0:
            warn_nas(4)
            return np.full(count, np.nan)
        if s == 0.0 or not math.isfinite(m):
            return np.full(count, m)
        return m + s * norm_rand(stream, count)
    idx = np.arange(count)
    mi, si = mu[idx % mu.size], sigma[idx % sigma.size]
    bad = np.isnan(mi) | ~np.isfinite(si) | (si < 0)
    draws = ~bad & (si != 0.0) & np.isfinite(mi)
    out = mi.copy()
    out[bad] = np.nan
    z = norm_rand(stream, int(draws.sum()))
    out[draws] = mi[draws] + si[draws] * z
    if bad.any():
        warn_nas(4)
    return out


# --- pnorm (lower tail), Cody's algorithm as R 4.2's pnorm_both --------------------------
_PA = (2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582,
       18154.981253343561249, 0.065682337918207449113)
_PB = (47.20258190468824187, 976.09855173777669322, 10260.932208618978205,
       45507.789335026729956)
_PC = (0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979,
       597.27027639480026226, 2494.5375852903726711, 6848.1904505362823326,
       11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8)
_PD = (22.266688044328115691, 235.38790178262499861, 1519.377599407554805,
       6485.558298266760755, 18615.571640885098091, 34900.952721145977266,
       38912.003286093271411, 19685.429676859990727)
_PP = (0.21589853405795699, 0.1274011611602473639, 0.022235277870649807,
       0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303)
_PQ = (1.28426009614491121, 0.468238212480865118, 0.0659881378689285515,
       0.00378239633202758244, 7.29751555083966205e-5)
_M_SQRT_32 = 5.656854249492380195206754896838
_M_1_SQRT_2PI = 0.398942280401432677939946059934
_EPS_HALF = 2.220446049250313e-16 * 0.5


def _tail_cum(X: np.ndarray, temp: np.ndarray) -> np.ndarray:
    """pnorm.c's ``do_del(X)``: exp(-xsq^2/2) exp(-del/2) temp with xsq = trunc(16 X)/16."""
    xsq = np.trunc(X * 16.0) / 16.0  # ldexp(trunc(ldexp(X, 4)), -4): exact scalings
    dl = (X - xsq) * (X + xsq)
    return (libm.exp(-xsq * (xsq * 0.5)) * libm.exp(-(dl * 0.5))) * temp


@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def pnorm(x: Any) -> np.ndarray:
    """Standard normal CDF, bit-identical to R's ``pnorm(x)`` (lower tail, not log).

    W. J. Cody's rational Chebyshev approximations as R 4.2's ``pnorm_both`` codes them:
    |x| <= 0.674, |x| <= sqrt(32), and the tail up to x = -37.5193 / 8.2924, beyond which
    the probability is 0 or 1. exp is the C library's.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    y = np.abs(x)
    a = y <= 0.67448975
    if a.any():
        xa = x[a]
        xsq = xa * xa
        xnum = _PA[4] * xsq
        xden = xsq.copy()
        for i in range(3):
            xnum = (xnum + _PA[i]) * xsq
            xden = (xden + _PB[i]) * xsq
        tiny = np.abs(xa) <= _EPS_HALF
        xnum[tiny] = 0.0
        xden[tiny] = 0.0
        out[a] = 0.5 + xa * (xnum + _PA[3]) / (xden + _PB[3])
    b = ~a & (y <= _M_SQRT_32)
    if b.any():
        yb = y[b]
        xnum = _PC[8] * yb
        xden = yb.copy()
        for i in range(7):
            xnum = (xnum + _PC[i]) * yb
            xden = (xden + _PD[i]) * yb
        temp = (xnum + _PC[7]) / (xden + _PD[7])
        cum = _tail_cum(yb, temp)
        out[b] = np.where(x[b] > 0, 1.0 - cum, cum)  # swap_tail: lower = ccum when x > 0
    c = ~a & ~b & (x > -37.5193) & (x < 8.2924)
    if c.any():
        xc, yc = x[c], y[c]
        xsq = 1.0 / (xc * xc)
        xnum = _PP[5] * xsq
        xden = xsq.copy()
        for i in range(4):
            xnum = (xnum + _PP[i]) * xsq
            xden = (xden + _PQ[i]) * xsq
        temp = xsq * (xnum + _PP[4]) / (xden + _PQ[4])
        temp = (_M_1_SQRT_2PI - temp) / yc
        cum = _tail_cum(xc, temp)
        out[c] = np.where(xc > 0, 1.0 - cum, cum)
    d = ~a & ~b & ~c
    if d.any():
        out[d] = np.where(x[d] > 0, 1.0, 0.0)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = np.nan
    return out
