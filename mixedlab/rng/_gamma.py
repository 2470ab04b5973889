"""R's exponential and gamma samplers: ``exp_rand``, ``rexp`` and ``rgamma``, draw for draw.

* ``exp_rand()`` (``src/nmath/sexp.c``): Ahrens & Dieter (1972) algorithm SA, which
  doubles one uniform until it exceeds 1 and, in the rare tail case, takes the minimum
  of further uniforms against the table ``q[k] = sum_{j<=k} log(2)^j / j!``.
* ``rgamma(a, scale)`` (``src/nmath/rgamma.c``): for ``a >= 1`` algorithm GD of
  Ahrens & Dieter (1982) -- a normal deviate with squeeze, quotient and double-exponential
  hat steps; for ``0 < a < 1`` algorithm GS of Ahrens & Dieter (1974).

R keeps the GD set-up constants in static variables recomputed when ``a`` changes; they
are pure functions of ``a`` so they are cached by value here (same numbers, same draws).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from mixedlab.rng._driver import NO_DRAW, SCALAR, drive
from mixedlab.rng._params import recycled, warn_nas
from mixedlab.rng._cursor import Cursor
from mixedlab.rng._stream import MTStream

__all__ = ["exp_rand1", "rexp", "rgamma", "rgamma1", "gd_tail", "gd_constants"]

# q[k-1] = sum(log(2)^j / j!, j = 1..k), as in sexp.c (q[15] = 1 to double precision)
_Q = (0.6931471805599453, 0.9333736875190459, 0.9888777961838675, 0.9984959252914960,
      0.9998292811061389, 0.9999833164100727, 0.9999985691438767, 0.9999998906925558,
      0.9999999924734159, 0.9999999995283275, 0.9999999999728814, 0.9999999999985598,
      0.9999999999999289, 0.9999999999999968, 0.9999999999999999, 1.0000000000000000)
_Q0 = _Q[0]


def exp_rand1(cur: Cursor) -> float:
    """One standard exponential deviate, ``exp_rand()`` of R."""
    a = 0.0
    u = cur.unif()
    while u <= 0.0 or u >= 1.0:  # sexp.c's precaution; unif_rand() is inside (0, 1)
        u = cur.unif()
    while True:
        u += u
        if u > 1.0:
            break
        a += _Q0
    u -= 1.0
    if u <= _Q0:
        return a + u
    i = 0
    umin = cur.unif()
    while True:
        ustar = cur.unif()
        if umin > ustar:
            umin = ustar
        i += 1
        if not u > _Q[i]:
            break
    return a + umin * _Q0


def rexp(stream: MTStream, count: int, scale: np.ndarray) -> np.ndarray:
    """``rexp(count, rate)`` with ``scale = 1 / rate`` computed by the caller, as R's does."""
    params = recycled(count, scale)
    if params is None:
        warn_nas(4)
        return np.full(count, np.nan)
    (sc,) = params
    out = np.zeros(count)
    bad = (~np.isfinite(sc) | (sc <= 0.0)) & (sc != 0.0)  # rexp.c: scale 0 gives 0
    out[bad] = np.nan
    kind = np.where(bad | (sc == 0.0), NO_DRAW, SCALAR).astype(np.int8)
    scl = sc.tolist()
    drive(stream, kind, out, lambda cur, idx: [scl[i] * exp_rand1(cur) for i in idx])
    if bad.any():
        warn_nas(4)
    return out


# --- rgamma ----------------------------------------------------------------------------
_SQRT32 = 5.656854
_EXP_M1 = 0.36787944117144232159  # exp(-1)
# q0 = sum(q[k] a^-k); q = q0 + (t^2/2) sum(a[k] v^k); (rgamma.c's names)
_Q1, _Q2, _Q3, _Q4, _Q5, _Q6, _Q7 = (0.04166669, 0.02083148, 0.00801191, 0.00144121,
                                     -7.388e-5, 2.4511e-4, 2.424e-4)
_A1, _A2, _A3, _A4, _A5, _A6, _A7 = (0.3333333, -0.250003, 0.2000062, -0.1662921,
                                     0.1423657, -0.1367177, 0.1233795)


@lru_cache(maxsize=4096)
def gd_constants(a: float) -> tuple[float, ...]:
    """GD steps 1 and 4: (s2, s, d, q0, b, si, c) for shape ``a >= 1``."""
    s2 = a - 0.5
    s = math.sqrt(s2)
    d = _SQRT32 - s * 12.0
    r = 1.0 / a
    q0 = ((((((_Q7 * r + _Q6) * r + _Q5) * r + _Q4) * r + _Q3) * r + _Q2) * r + _Q1) * r
    # "The constants in the expressions for b, si and c were established by numerical
    # experiments" (rgamma.c)
    if a <= 3.686:
        b = 0.463 + s + 0.178 * s2
        si = 1.235
        c = 0.195 / s - 0.079 + 0.16 * s
    elif a <= 13.022:
        b = 1.654 + 0.0076 * s2
        si = 1.68 / s + 0.275
        c = 0.062 / s + 0.024
    else:
        b = 1.77
        si = 0.75
        c = 0.1515 / s
    return s2, s, d, q0, b, si, c


def _gd_quotient(t: float, s: float, s2: float, q0: float) -> float:
    """GD steps 6 and 10: the quotient ``q`` for a normal/Laplace deviate ``t``."""
    v = t / (s + s)
    if abs(v) <= 0.25:
        return q0 + 0.5 * t * t * ((((((_A7 * v + _A6) * v + _A5) * v + _A4) * v
                                     + _A3) * v + _A2) * v + _A1) * v
    return q0 - s * t + 0.25 * t * t + (s2 + s2) * math.log(1.0 + v)


def rgamma1(cur: Cursor, a: float, scale: float) -> float:
    """One ``rgamma(a, scale)`` draw for finite ``a > 0`` and ``scale > 0``."""
    if a < 1.0:  # GS algorithm for 0 < a < 1
        e = 1.0 + _EXP_M1 * a
        while True:
            p = e * cur.unif()
            if p >= 1.0:
                x = -math.log((e - p) / a)
                if exp_rand1(cur) >= (1.0 - a) * math.log(x):
                    break
            else:
                x = math.exp(math.log(p) / a)
                if exp_rand1(cur) >= x:
                    break
        return scale * x

    s2, s, d, q0, b, si, c = gd_constants(a)
    # Step 2: t = standard normal deviate, x = (s, 1/2)-normal deviate; immediate acceptance
    t = cur.norm()
    x = s + 0.5 * t
    ret_val = x * x
    if t >= 0.0:
        return scale * ret_val
    # Step 3: squeeze acceptance
    u = cur.unif()
    if d * u <= t * t * t:
        return scale * ret_val
    return gd_tail(cur, a, scale, t, x, u)


def gd_tail(cur: Cursor, a: float, scale: float, t: float, x: float, u: float) -> float:
    """GD from step 4 on: ``t``, ``x`` and the squeeze uniform ``u`` already drawn."""
    s2, s, d, q0, b, si, c = gd_constants(a)
    # Steps 5-7: quotient acceptance (no quotient test if x is not positive)
    if x > 0.0:
        q = _gd_quotient(t, s, s2, q0)
        if math.log(1.0 - u) <= q:
            return scale * (x * x)
    while True:
        # Step 8: double exponential (Laplace) sample t = b +- si * e
        e = exp_rand1(cur)
        u = cur.unif()
        u = u + u - 1.0
        t = b - si * e if u < 0.0 else b + si * e
        # Step 9: rejection if t < tau(1)
        if t >= -0.71874483771719:
            q = _gd_quotient(t, s, s2, q0)
            # Step 11: hat acceptance
            if q > 0.0:
                w = math.expm1(q)
                if c * abs(u) <= w * _exp(e - 0.5 * t * t):
                    break
    x = s + 0.5 * t
    return scale * x * x  # (scale * x) * x, as rgamma.c evaluates it


def _exp(x: float) -> float:
    """C's exp: overflow gives inf instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def rgamma(stream: MTStream, count: int, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``rgamma(count, shape, scale = scale)``, recycling both parameters."""
    params = recycled(count, shape, scale)
    if params is None:
        warn_nas(4)
        return np.full(count, np.nan)
    a, sc = params
    out = np.zeros(count)
    with np.errstate(invalid="ignore"):
        nan = np.isnan(a) | np.isnan(sc)
        nonpos = ~nan & ((a <= 0.0) | (sc <= 0.0))
        zero = nonpos & ((sc == 0.0) | (a == 0.0))
        bad = nan | (nonpos & ~zero)
        inf = ~nan & ~nonpos & (~np.isfinite(a) | ~np.isfinite(sc))
    out[bad] = np.nan
    out[inf] = np.inf
    kind = np.where(bad | zero | inf, NO_DRAW, SCALAR).astype(np.int8)
    al, sl = a.tolist(), sc.tolist()
    drive(stream, kind, out, lambda cur, idx: [rgamma1(cur, al[i], sl[i]) for i in idx])
    if bad.any():
        warn_nas(4)
    return out


def rgamma_value(cur: Cursor, a: float, scale: float) -> float:
    """``rgamma(a, scale)`` for any arguments, as rgamma.c (NaN for invalid ones)."""
    if math.isnan(a) or math.isnan(scale):
        return math.nan
    if a <= 0.0 or scale <= 0.0:
        return 0.0 if (scale == 0.0 or a == 0.0) else math.nan
    if not (math.isfinite(a) and math.isfinite(scale)):
        return math.inf
    return rgamma1(cur, a, scale)
