"""B-spline bases of R's splines package: ``splineDesign``, ``bs()`` and ``ns()``.

Written from R 4.2.2's algorithms (splines/R/splines.R and splines/src/splines.c, the
de Boor recurrences of Schumaker's book as Bates & Venables coded them), so that the
columns agree with R's to rounding:

* ``spline_design(knots, x, ord, derivs)``: the B-spline basis (or its derivatives)
  of order ``ord`` at ``x``; the right end of the knot range belongs to the last
  interval, as in R.
* ``bs_basis`` / ``ns_basis``: R's ``bs()`` and ``ns()``, with knots placed as R does
  (``quantile(x, type = 7)`` at equally spaced probabilities for a ``df``),
  ``Boundary.knots = range(x)``, and, for values outside the boundary knots (new data
  in ``predict``), R's extrapolation: ``bs`` by the Taylor polynomial at a pivot a
  quarter of the way into the outermost interval (with R's warning), ``ns`` linearly.

The parameters each returns (knots, boundary knots, degree, intercept) are what R's
``makepredictcall`` keeps, so new data get the training basis.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from mixedlab._errors import FormulaError

__all__ = ["spline_design", "bs_basis", "ns_basis", "quantile7", "seq_length_out",
           "r_power", "OUTSIDE_WARNING"]

OUTSIDE_WARNING = "some 'x' values beyond boundary knots may cause ill-conditioned bases"


def r_power(v: np.ndarray, k: int) -> np.ndarray:
    """R's ``v^k`` for a whole k: ``v * v`` for 2 (R_pow's special case), else the C
    library's ``pow`` element by element (numpy's vectorised pow is not libm's)."""
    v = np.asarray(v, dtype=float)
    if k == 1:
        return v.copy()
    if k == 2:
        return v * v
    return np.fromiter((math.pow(a, k) for a in v.tolist()), dtype=float, count=v.size)


def seq_length_out(start: float, stop: float, n: int) -> np.ndarray:
    """R's ``seq.int(start, stop, length.out = n)``: ``start + i * by``, the last one exact."""
    out = np.empty(n)
    if n > 0:
        out[0] = start
    if n > 1:
        by = (stop - start) / (n - 1)
        out[1:n - 1] = start + np.arange(1, n - 1) * by
        out[n - 1] = stop
    return out


def quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, probs, type = 7)`` (no missing values), with R's arithmetic."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    index = 1.0 + max(n - 1, 0) * np.asarray(probs, dtype=float)
    lo = np.floor(index).astype(int)
    hi = np.ceil(index).astype(int)
    qs = xs[lo - 1].copy()
    xhi = xs[hi - 1]
    i = (index > lo) & (xhi != qs)
    h = (index - lo)[i]
    qs[i] = (1.0 - h) * qs[i] + h * xhi[i]
    return qs


def _cursor(knots: np.ndarray, x: np.ndarray, ord: int) -> tuple[np.ndarray, np.ndarray]:
    """splines.c ``set_cursor``: the first knot index above x, the right end moved into the
    last interval (``boundary``)."""
    nk = knots.size
    curs = np.searchsorted(knots, x, side="right")
    last = nk - ord
    boundary = (curs > last) & (x == knots[last])
    curs = np.where(boundary, last, curs)
    return curs, boundary


def _basis_values(knots: np.ndarray, x: np.ndarray, curs: np.ndarray, ord: int) -> np.ndarray:
    """splines.c ``basis_funcs``: the ``ord`` nonzero B-splines at each x (one row each)."""
    m = x.size
    ordm1 = ord - 1
    rdel = np.empty((m, max(ordm1, 1)))
    ldel = np.empty((m, max(ordm1, 1)))
    for i in range(ordm1):
        rdel[:, i] = knots[curs + i] - x
        ldel[:, i] = x - knots[curs - (i + 1)]
    b = np.zeros((m, ord))
    b[:, 0] = 1.0
    for j in range(1, ord):
        saved = np.zeros(m)
        for r in range(j):
            term = b[:, r] / (rdel[:, r] + ldel[:, j - 1 - r])
            b[:, r] = saved + rdel[:, r] * term
            saved = ldel[:, j - 1 - r] * term
        b[:, j] = saved
    return b


def _derivative_values(knots: np.ndarray, x: np.ndarray, curs: np.ndarray,
                       boundary: np.ndarray, ord: int, nder: int) -> np.ndarray:
    """splines.c ``evaluate`` on each unit coefficient vector: the ``nder``-th derivative
    of the ``ord`` nonzero B-splines at each x."""
    m = x.size
    ordm1 = ord - 1
    out = np.empty((m, ord))
    for ii in range(ord):
        a = np.zeros((m, ord))
        a[:, ii] = 1.0
        outer = ordm1
        for _ in range(nder):
            for k in range(outer):
                a[:, k] = outer * (a[:, k + 1] - a[:, k]) / (knots[curs + k] - knots[curs - outer + k])
            outer -= 1
        rdel = np.empty((m, max(outer, 1)))
        ldel = np.empty((m, max(outer, 1)))
        for i in range(outer):
            rdel[:, i] = knots[curs + i] - x
            ldel[:, i] = x - knots[curs - (i + 1)]
        while outer > 0:
            outer -= 1
            for k in range(outer + 1):
                lp = ldel[:, outer - k]
                rp = rdel[:, k]
                a[:, k] = (a[:, k + 1] * lp + a[:, k] * rp) / (rp + lp)
        val = a[:, 0]
        if nder == ordm1:
            val = np.where(boundary, 0.0, val)  # "value is arbitrary" at the right end
        out[:, ii] = val
    return out


def spline_design(knots: Any, x: Any, ord: int = 4, derivs: Any = 0) -> np.ndarray:
    """R's ``splineDesign(knots, x, ord, derivs)`` (``outer.ok = FALSE``), dense.

    Raises
    ------
    FormulaError
        An x outside ``[knots[ord], knots[nk - ord + 1]]`` (R's message).
    """
    knots = np.sort(np.asarray(knots, dtype=float))
    x = np.asarray(x, dtype=float).ravel()
    nk = knots.size
    derivs = np.atleast_1d(np.asarray(derivs, dtype=int))
    if nk < 2 * ord - 1:
        raise FormulaError(f"need at least 2*ord -1 (={2 * ord - 1}) knots")
    lo, hi = knots[ord - 1], knots[nk - ord]
    if np.any((x < lo) | (x > hi)):
        raise FormulaError(f"the 'x' data must be in the range {lo:g} to {hi:g} unless you set "
                           "'outer.ok = TRUE'")
    ncoef = nk - ord
    design = np.zeros((x.size, ncoef))
    if x.size == 0:
        return design
    curs, boundary = _cursor(knots, x, ord)
    der = derivs[np.arange(x.size) % derivs.size]
    vals = np.empty((x.size, ord))
    for d in np.unique(der):
        rows = der == d
        if d > 0:
            vals[rows] = _derivative_values(knots, x[rows], curs[rows], boundary[rows], ord, int(d))
        else:
            vals[rows] = _basis_values(knots, x[rows], curs[rows], ord)
    cols = (curs - ord)[:, None] + np.arange(ord)[None, :]
    design[np.arange(x.size)[:, None], cols] = vals
    return design


def _inner_knots(x: np.ndarray, n_inner: int) -> np.ndarray:
    """Knots at ``seq(0, 1, length.out = n + 2)`` quantiles of x, the ends dropped."""
    if n_inner <= 0:
        return np.empty(0)
    probs = seq_length_out(0.0, 1.0, n_inner + 2)[1:-1]
    return quantile7(x, probs)


def _checked_x(x: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    nax = np.isnan(x)
    if np.isinf(x).any():
        raise FormulaError(f"{what}: x has infinite values")
    return x[~nax], nax


def _with_missing(basis: np.ndarray, nax: np.ndarray) -> np.ndarray:
    if not nax.any():
        return basis
    out = np.full((nax.size, basis.shape[1]), np.nan)
    out[~nax] = basis
    return out


def bs_basis(x: np.ndarray, df: int | None = None, knots: Any = None, degree: int = 3,
             intercept: bool = False, boundary: Any = None) -> tuple[np.ndarray, dict]:
    """R's ``bs(x, df, knots, degree, intercept, Boundary.knots)``.

    Returns the basis (NaN rows where x is missing) and the parameters R's
    ``makepredictcall.bs`` keeps (``knots``, ``boundary``, ``degree``, ``intercept``).
    """
    ord = 1 + int(degree)
    if ord <= 1:
        raise FormulaError("'degree' must be integer >= 1")
    xv, nax = _checked_x(x, "bs()")
    if boundary is not None:
        bk = np.sort(np.asarray(boundary, dtype=float))
        ol, orr = xv < bk[0], xv > bk[1]
        outside = ol | orr
    else:
        if xv.size == 0:
            raise FormulaError("bs(): x has no non-missing values")
        bk = np.array([xv.min(), xv.max()])
        ol = orr = outside = np.zeros(xv.size, dtype=bool)
    if df is not None and knots is None:
        n_inner = int(df) - ord + (1 - int(intercept))
        if n_inner < 0:
            n_inner = 0
            warnings.warn(f"'df' was too small; have used {ord - (1 - int(intercept))}",
                          UserWarning, stacklevel=4)
        kn = _inner_knots(xv[~outside], n_inner)
    else:
        kn = np.empty(0) if knots is None else np.sort(np.atleast_1d(np.asarray(knots, float)))
    aknots = np.sort(np.concatenate([np.repeat(bk, ord), kn]))
    if outside.any():
        warnings.warn(OUTSIDE_WARNING, UserWarning, stacklevel=4)
        derivs = np.arange(ord)
        scalef = np.array([math.gamma(k) for k in range(1, ord + 1)])
        basis = np.zeros((xv.size, aknots.size - ord))
        e = 0.25
        for side, mask in ((0, ol), (1, orr)):
            if not mask.any():
                continue
            if side == 0:
                pivot = (1 - e) * bk[0] + e * aknots[ord]
            else:
                pivot = (1 - e) * bk[1] + e * aknots[aknots.size - ord - 1]
            powers = np.column_stack([np.ones(int(mask.sum()))] +
                                     [r_power(xv[mask] - pivot, k) for k in range(1, ord)])
            tt = spline_design(aknots, np.repeat(pivot, ord), ord, derivs)
            basis[mask] = powers @ (tt / scalef[:, None])
        inside = ~outside
        if inside.any():
            basis[inside] = spline_design(aknots, xv[inside], ord)
    else:
        basis = spline_design(aknots, xv, ord)
    if not intercept:
        basis = basis[:, 1:]
    params = {"knots": kn, "boundary": bk, "degree": int(degree), "intercept": bool(intercept)}
    return _with_missing(basis, nax), params


def _householder_qty(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``qr.qty(qr(A), B)`` for a full-rank A of few columns, with LINPACK's reflections
    (``dqrdc2``/``dqrsl``: R's ``qr``), so that the trailing columns match R's."""
    qr = np.array(A, dtype=float)
    y = np.array(B, dtype=float)
    n, p = qr.shape
    qraux = np.zeros(p)
    for l in range(min(p, n - 1)):
        col = qr[l:, l]
        nrmxl = float(np.sqrt(np.dot(col, col)))
        if nrmxl == 0.0:
            continue
        if col[0] != 0.0:
            nrmxl = math.copysign(nrmxl, col[0])
        col /= nrmxl
        col[0] += 1.0
        for j in range(l + 1, p):
            t = -np.dot(col, qr[l:, j]) / col[0]
            qr[l:, j] += t * col
        qraux[l] = col[0]
    for l in range(min(p, n - 1)):
        if qraux[l] == 0.0:
            continue
        u = qr[l:, l].copy()
        u[0] = qraux[l]
        t = -(u @ y[l:]) / u[0]
        y[l:] += np.outer(u, t)
    return y


def ns_basis(x: np.ndarray, df: int | None = None, knots: Any = None, intercept: bool = False,
             boundary: Any = None) -> tuple[np.ndarray, dict]:
    """R's ``ns(x, df, knots, intercept, Boundary.knots)``: natural cubic splines.

    Returns the basis (NaN rows where x is missing) and the parameters R's
    ``makepredictcall.ns`` keeps (``knots``, ``boundary``, ``intercept``).
    """
    xv, nax = _checked_x(x, "ns()")
    if boundary is not None:
        bk = np.sort(np.asarray(boundary, dtype=float))
        ol, orr = xv < bk[0], xv > bk[1]
        outside = ol | orr
    else:
        if xv.size == 0:
            raise FormulaError("ns(): x has no non-missing values")
        bk = np.array([xv[0] * 7 / 8, xv[0] * 9 / 8]) if xv.size == 1 else \
            np.array([xv.min(), xv.max()])
        ol = orr = outside = np.zeros(xv.size, dtype=bool)
    if df is not None and knots is None:
        n_inner = int(df) - 1 - int(intercept)
        if n_inner < 0:
            n_inner = 0
            warnings.warn(f"'df' was too small; have used {1 + int(intercept)}", UserWarning,
                          stacklevel=4)
        kn = _inner_knots(xv[~outside], n_inner)
    else:
        kn = np.empty(0) if knots is None else np.sort(np.atleast_1d(np.asarray(knots, float)))
    aknots = np.sort(np.concatenate([np.repeat(bk, 4), kn]))
    if outside.any():
        basis = np.zeros((xv.size, kn.size + 4))
        for pivot, mask in ((bk[0], ol), (bk[1], orr)):
            if mask.any():
                tt = spline_design(aknots, np.repeat(pivot, 2), 4, np.array([0, 1]))
                lin = np.column_stack([np.ones(int(mask.sum())), xv[mask] - pivot])
                basis[mask] = lin @ tt
        inside = ~outside
        if inside.any():
            basis[inside] = spline_design(aknots, xv[inside], 4)
    else:
        basis = spline_design(aknots, xv, 4)
    const = spline_design(aknots, bk, 4, np.array([2, 2]))
    if not intercept:
        const = const[:, 1:]
        basis = basis[:, 1:]
    basis = _householder_qty(const.T, basis.T).T[:, 2:]
    params = {"knots": kn, "boundary": bk, "intercept": bool(intercept)}
    return _with_missing(np.ascontiguousarray(basis), nax), params
