"""R's ``round``, ``signif``, ``zapsmall``, type-7 ``quantile`` and ``formatReal``/``format``
for numbers, reproduced bit for bit (nmath ``fround``/``fprec``, src/main/format.c)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mixedlab.rng._libm import pow_di as _pow_di

_DBL_DIG = 15
_LOG10_2 = 0.301029995663981195213738894724493027
_MAX10E = 308
# Powers of ten held exactly in x87 long double (64-bit mantissa), R's ``tbl``
# in format.c with KP_MAX = 27; index k + 1 holds 10^k (index 0 holds 1e-1).
_KP_MAX = 27
_TBL = [np.longdouble(1) / np.longdouble(10)] + [
    np.longdouble(10) ** np.longdouble(k) for k in range(_KP_MAX + 1)
]


def _round1(x: float, digits: float) -> float:
    """R >= 4.0.0 ``fround``: pick the nearer of the two decimal neighbours.

    The candidates ``floor(x*10^d)/10^d`` and ``ceil(x*10^d)/10^d`` are
    compared in double arithmetic and a tie goes to the even last digit; this
    is why R prints ``round(0.15, 1)`` as 0.1 and ``round(2.675, 2)`` as 2.67.
    """
    if math.isnan(x) or math.isnan(digits):
        return x + digits
    if not math.isfinite(x) or digits > _MAX10E + 15 or x == 0.0:
        return x
    if digits < -_MAX10E:
        return 0.0
    if digits == 0.0:
        return float(np.rint(x))  # nearbyint: ties to even
    dig = int(math.floor(digits + 0.5))
    sgn = 1.0
    if x < 0.0:
        sgn, x = -1.0, -x
    # l10x ~ log10(x) from the binary exponent (C logb), as R does.
    if dig + (math.frexp(x)[1] - 1 + 0.5) * _LOG10_2 > _DBL_DIG:
        return sgn * x
    if dig <= _MAX10E:
        p10 = _pow_di(10.0, dig)
        x10 = p10 * x
        i10 = math.floor(x10)
        xd = i10 / p10
        xu = math.ceil(x10) / p10
    else:
        e10 = _pow_di(10.0, dig - _MAX10E)
        p10 = _pow_di(10.0, _MAX10E)
        x10 = (x * p10) * e10
        i10 = math.floor(x10)
        xd = i10 / p10 / e10
        xu = math.ceil(x10) / p10 / e10
    du = xu - x
    dd = x - xd
    return sgn * (xu if (du < dd or (du == dd and math.fmod(i10, 2.0) == 1.0)) else xd)


def r_round(x, digits: float = 0):
    """R's ``round(x, digits)`` for a scalar or array (R >= 4.0.0 algorithm).

    Parameters
    ----------
    x : float or array_like
        Values to round; NaN passes through.
    digits : float
        Decimal places; non-integers are rounded to the nearest integer as R does.

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``x``.
    """
    if np.ndim(x) == 0:
        return _round1(float(x), float(digits))
    arr = np.asarray(x, dtype=float)
    return np.vectorize(lambda v: _round1(float(v), float(digits)), otypes=[float])(arr)


def _signif1(x: float, digits: float) -> float:
    """R's ``fprec`` (``signif``): scale to ``digits`` significant digits and ``nearbyint``."""
    if math.isnan(x) or math.isnan(digits):
        return x + digits
    if not math.isfinite(x) or x == 0.0:
        return x
    if not math.isfinite(digits):
        if digits > 0:
            return x
        digits = 1.0
    dig = int(np.rint(digits))
    if dig > 22:
        return x
    dig = max(dig, 1)
    sgn = 1.0
    if x < 0.0:
        sgn, x = -1.0, -x
    l10 = math.log10(x)
    e10 = int(dig - 1 - math.floor(l10))
    if abs(l10) < _MAX10E - 2:
        p10 = 1.0
        if e10 > _MAX10E:
            p10 = _pow_di(10.0, e10 - _MAX10E)
            e10 = _MAX10E
        if e10 > 0:
            pow10 = _pow_di(10.0, e10)
            return sgn * (float(np.rint((x * pow10) * p10)) / pow10) / p10
        pow10 = _pow_di(10.0, -e10)
        return sgn * (float(np.rint(x / pow10)) * pow10)
    # Extreme magnitudes: scale in two steps so that neither over/underflows.
    do_round = _MAX10E - l10 >= _pow_di(10.0, -dig)
    e2 = dig + (4 if e10 > 0 else 2)
    p10 = _pow_di(10.0, e2)
    x *= p10
    P10 = _pow_di(10.0, e10 - e2)
    x *= P10
    if do_round:
        x += 0.5
    x = math.floor(x) / p10
    return sgn * x / P10


def r_signif(x, digits: float = 6):
    """R's ``signif(x, digits)`` for a scalar or array."""
    if np.ndim(x) == 0:
        return _signif1(float(x), float(digits))
    arr = np.asarray(x, dtype=float)
    return np.vectorize(lambda v: _signif1(float(v), float(digits)), otypes=[float])(arr)


def zapsmall(x, digits: int = 7) -> np.ndarray:
    """R's ``zapsmall``: round to ``digits`` significant digits of the largest |x|."""
    arr = np.asarray(x, dtype=float)
    ok = ~np.isnan(arr)
    if not ok.any():
        return arr
    mx = float(np.max(np.abs(arr[ok])))
    dig = max(0.0, digits - math.log10(mx)) if mx > 0 else float(digits)
    return r_round(arr, dig)


def quantile7(x, probs: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0)) -> np.ndarray:
    """R's ``quantile(x, probs, na.rm = TRUE)`` with the default type 7.

    R interpolates as ``(1 - h) * x[lo] + h * x[hi]`` and only where the two
    order statistics differ; numpy's formula differs in the last bit.
    """
    xs = np.sort(np.asarray(x, dtype=float)[~np.isnan(np.asarray(x, dtype=float))])
    n = xs.size
    out = np.empty(len(probs))
    for k, p in enumerate(probs):
        index = 1.0 + max(n - 1, 0) * p
        lo = math.floor(index)
        hi = math.ceil(index)
        q = float(xs[lo - 1])
        if index > lo and xs[hi - 1] != q:
            h = index - lo
            q = (1.0 - h) * q + h * float(xs[hi - 1])
        out[k] = q
    return out


# ---------------------------------------------------------------------------
# formatReal and friends
# ---------------------------------------------------------------------------


def _scientific(x: float, digits: int) -> tuple[int, int, int, bool]:
    """R's ``scientific()`` (format.c): sign, exponent, significant digits, widening.

    ``|x|`` is scaled to an integer ``alpha`` of ``digits`` digits in x87 long
    double (as R on x86_64 does), trailing zeros of ``alpha`` are dropped to
    give ``nsig``, and ``roundingwidens`` flags numbers such as 99.996 that
    scientific rounding would push to the next power of ten while fixed
    notation would not.
    """
    if x == 0.0:
        return 0, 0, 1, False
    neg = 1 if x < 0 else 0
    r = -x if neg else x
    if digits >= _DBL_DIG + 1:
        # format_via_sprintf
        s = f"{r:#.{digits - 1}e}"
        mant, ex = s.split("e")
        kpower = int(ex)
        mdig = mant.replace(".", "")
        i = digits
        while i >= 2 and mdig[i - 1] == "0":
            i -= 1
        return neg, kpower, i, False
    kp = int(math.floor(math.log10(r))) - digits + 1
    r_prec = np.longdouble(r)
    if abs(kp) <= _KP_MAX:
        if kp > 0:
            r_prec /= _TBL[kp + 1]
        elif kp < 0:
            r_prec *= _TBL[-kp + 1]
    else:
        r_prec /= np.power(np.longdouble(10), np.longdouble(kp))
    if r_prec < _TBL[digits]:
        r_prec *= 10
        kp -= 1
    alpha = float(np.rint(r_prec))  # nearbyintl, then stored as double
    nsig = digits
    for _ in range(digits):
        alpha /= 10.0
        if alpha == math.floor(alpha):
            nsig -= 1
        else:
            break
    if nsig == 0 and digits > 0:
        nsig = 1
        kp += 1
    kpower = kp + digits - 1
    rgt = min(max(digits - kpower, 0), _KP_MAX)
    fuzz = 0.5 / float(_TBL[1 + rgt])
    widens = 0 < kpower <= _KP_MAX and r < float(_TBL[kpower + 1]) - fuzz
    return neg, kpower, nsig, widens


def format_info(x, digits: int = 7, nsmall: int = 0) -> tuple[int, int, int]:
    """R's ``formatReal``: common ``(width, decimals, exponent flag)`` for ``x``.

    Returns
    -------
    (w, d, e)
        ``e == 0`` means fixed notation ``%w.df``; ``e >= 1`` scientific
        ``%#w.de`` with ``e + 1`` exponent digits.
    """
    vals = np.atleast_1d(np.asarray(x, dtype=float)).ravel()
    nanflag = posinf = neginf = False
    neg = 0
    rgt = mxl = mxsl = mxns = None
    mnl = None
    for v in vals:
        v = float(v)
        if not math.isfinite(v):
            if math.isnan(v):
                nanflag = True  # R's NA and NaN both arrive as NaN here
            elif v > 0:
                posinf = True
            else:
                neginf = True
            continue
        neg_i, kpower, nsig, widens = _scientific(v, digits)
        left = kpower + 1
        if widens:
            left -= 1
        sleft = neg_i + (1 if left <= 0 else left)
        right = nsig - left
        if neg_i:
            neg = 1
        rgt = right if rgt is None else max(rgt, right)
        mxl = left if mxl is None else max(mxl, left)
        mnl = left if mnl is None else min(mnl, left)
        mxsl = sleft if mxsl is None else max(mxsl, sleft)
        mxns = nsig if mxns is None else max(mxns, nsig)
    if mxns is None:
        w = d = e = 0
    else:
        if digits == 0:
            rgt = 0
        if mxl < 0:
            mxsl = 1 + neg
        rgt = max(rgt, 0)
        wF = mxsl + rgt + (rgt != 0)
        e = 2 if (mxl > 100 or mnl <= -99) else 1
        d = mxns - 1
        w = neg + (d > 0) + d + 4 + e
        if wF <= w:  # scipen = 0: fixed unless it is wider than scientific
            e = 0
            if nsmall > rgt:
                rgt = nsmall
                wF = mxsl + rgt + (rgt != 0)
            d = rgt
            w = wF
    if nanflag and w < 3:
        w = 3
    if posinf and w < 3:
        w = 3
    if neginf and w < 4:
        w = 4
    return w, d, e


def encode_real(x: float, w: int, d: int, e: int, na: str = "NA") -> str:
    """R's ``encodeReal0``: one number in the layout chosen by :func:`format_info`."""
    x = float(x)
    if math.isnan(x):
        s = na
    elif math.isinf(x):
        s = "Inf" if x > 0 else "-Inf"
    elif e:
        s = f"{x:#.{d}e}" if d else f"{x:.{d}e}"
    else:
        s = f"{x:.{d}f}"
    if x == 0.0 and s.startswith("-"):  # R drops the sign of zero
        s = s[1:]
    return s.rjust(w)


def format_num(x, digits: int = 7, nsmall: int = 0, na: str = "NaN") -> list[str]:
    """R's ``format(x, digits = digits, nsmall = nsmall)`` for a numeric vector.

    All elements share one layout and are right-justified to a common width.
    NaN is shown as ``na`` (R prints a computed NaN as "NaN"; pass ``"NA"`` for a missing value).
    """
    vals = np.atleast_1d(np.asarray(x, dtype=float)).ravel()
    w, d, e = format_info(vals, digits, nsmall)
    if np.isnan(vals).any():
        w = max(w, len(na))
    return [encode_real(v, w, d, e, na=na) for v in vals]


def format_cat_number(x: float, digits: int = 7) -> str:
    """How ``cat()`` and ``paste()`` print one number (``digits`` significant, no padding)."""
    w, d, e = format_info([x], digits)
    return encode_real(x, 0, d, e)


_EPS = float(np.finfo(float).eps)


def format_pval(pv: np.ndarray, digits: int) -> list[str]:
    """R's ``format.pval(pv, digits, eps = .Machine$double.eps)`` for non-missing p-values."""
    out = [""] * len(pv)
    is0 = pv < _EPS
    rest = np.flatnonzero(~is0)
    if rest.size:
        vals = pv[rest]
        expo = np.floor(np.log10(np.where(vals > 0, vals, 1e-50)))
        fixp = (expo >= -3) | ((expo == -4) & (digits > 1))
        for mask in (fixp, ~fixp):
            if mask.any():
                for i, s in zip(rest[mask], format_num(vals[mask], digits=digits)):
                    out[i] = s
    if is0.any():
        d = max(1, digits - 2)
        if rest.size:
            nc = max(len(out[i]) for i in rest)
            if d > 1 and d + 6 > nc:
                d = max(1, nc - 7)
            sep = "" if (d == 1 and nc <= 6) else " "
        else:
            sep = "" if d == 1 else " "
        eps_text = format_num([_EPS], digits=d)[0].strip()
        for i in np.flatnonzero(is0):
            out[i] = f"<{sep}{eps_text}"
    return out


def format_na(x: np.ndarray, digits: int) -> list[str]:
    """R's ``format(x, digits)`` where NaN stands for R's NA (printed width 2, not 3 as "NaN")."""
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    body = format_num(x[ok], digits=digits) if ok.any() else []
    w = max([len(b) for b in body] + ([2] if (~ok).any() else []))
    it = iter(body)
    return [next(it).rjust(w) if o else "NA".rjust(w) for o in ok]
