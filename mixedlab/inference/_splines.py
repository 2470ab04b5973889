"""The splines of lme4's profile intervals: R's ``interpSpline`` and ``backSpline`` (splines, R 4.2).

``profile.merMod`` interpolates ζ(parameter) by ``interpSpline`` — the natural cubic
interpolating spline (second derivative 0 at both ends) — and inverts it with
``backSpline``, which builds the inverse function as a piecewise cubic from the knot
values and the reciprocal slopes (cubic Hermite pieces; the first and last pieces are
quadratic, clamped so they stay monotone). ``confint`` evaluates the inverse at the
normal quantiles with ``predict.polySpline``, which is missing (NA) outside the knots.

Splines here are kept as R's ``polySpline``: knots and one row of polynomial
coefficients per knot, ``y = c0 + c1 d + c2 d² + c3 d³`` with d = x − knot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PolySpline", "interp_spline", "back_spline", "SplineError"]


class SplineError(ValueError):
    """interpSpline/backSpline refused the points (R's ``stop``): the message says why."""


@dataclass
class PolySpline:
    """R's ``polySpline``: ``knots`` (ascending) and ``coef`` (one row c0..c3 per knot)."""

    knots: np.ndarray
    coef: np.ndarray

    def predict(self, x) -> np.ndarray:
        """``predict.polySpline(object, x)$y``: NaN outside [first knot, last knot]."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        k = self.knots
        # cut(x, knots): intervals (k_i, k_{i+1}], the first knot itself in interval 1
        i = np.searchsorted(k, x, side="left") - 1
        i[x == k[0]] = 0
        out = np.full(x.shape, np.nan)
        ok = (i >= 0) & (i < k.size - 1) & ~np.isnan(x)
        ii = i[ok]
        d = x[ok] - k[ii]
        c = self.coef[ii]
        y = c[:, 3]
        for j in (2, 1, 0):
            y = y * d + c[:, j]
        out[ok] = y
        return out


def interp_spline(x, y) -> PolySpline:
    """``interpSpline(x, y)``: the natural cubic spline through the points (sorted by x)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    n = x.size
    if np.any(np.diff(x) == 0):
        raise SplineError("values of 'x' must be distinct")
    if n < 4:
        raise SplineError("must have at least 'ord'=4 points")
    h = np.diff(x)
    # second derivatives M (natural: M_0 = M_{n-1} = 0) from the tridiagonal system
    A = np.zeros((n - 2, n - 2))
    rhs = 6.0 * (np.diff(y[1:]) / h[1:] - np.diff(y[:-1]) / h[:-1])
    for i in range(n - 2):
        A[i, i] = 2.0 * (h[i] + h[i + 1])
        if i > 0:
            A[i, i - 1] = h[i]
        if i < n - 3:
            A[i, i + 1] = h[i + 1]
    M = np.zeros(n)
    M[1:-1] = np.linalg.solve(A, rhs)
    coef = np.zeros((n, 4))
    coef[:, 0] = y
    slope = np.diff(y) / h
    coef[:-1, 1] = slope - h * (2.0 * M[:-1] + M[1:]) / 6.0
    coef[-1, 1] = slope[-1] + h[-1] * (M[-2] + 2.0 * M[-1]) / 6.0
    coef[:, 2] = M / 2.0
    coef[:-1, 3] = np.diff(M) / (6.0 * h)
    coef[0, 2] = coef[-1, 2] = 0.0  # interpSpline sets the end quadratic terms to 0
    return PolySpline(knots=x, coef=coef)


def back_spline(sp: PolySpline) -> PolySpline:
    """``backSpline(polySpline)``: the inverse of a monotone cubic spline (see the module)."""
    knots = sp.knots
    nk = knots.size
    kdiff = np.diff(knots)
    if np.any(kdiff <= 0):
        raise SplineError("knot positions must be strictly increasing")
    coeff = sp.coef
    bknots = coeff[:, 0].copy()
    adiff = np.diff(bknots)
    if np.all(adiff < 0):
        rev = True
    elif np.all(adiff > 0):
        rev = False
    else:
        raise SplineError("spline must be monotone")
    b = np.zeros_like(coeff)
    b[:, 0] = knots
    with np.errstate(divide="ignore"):
        b[:, 1] = 1.0 / coeff[:, 1]
    for i in range(nk - 1):
        a = np.array([[adiff[i] ** 2, adiff[i] ** 3], [2.0 * adiff[i], 3.0 * adiff[i] ** 2]])
        rhs = np.array([kdiff[i] - adiff[i] * b[i, 1], b[i + 1, 1] - b[i, 1]])
        b[i, 2:4] = np.linalg.solve(a, rhs)
    b[nk - 1, 1:4] = np.nan
    if nk > 2:
        b[0, 3] = b[nk - 2, 3] = 0.0
        a = np.array([[adiff[0], adiff[0] ** 2], [1.0, 2.0 * adiff[0]]])
        b[0, 1:3] = np.linalg.solve(a, np.array([kdiff[0], 1.0 / coeff[1, 1]]))
        b[nk - 2, 2] = (kdiff[nk - 2] - adiff[nk - 2] * b[nk - 2, 1]) / adiff[nk - 2] ** 2
    if b[0, 2] > 0:
        b[0, 2] = 0.0
        b[0, 1] = kdiff[0] / adiff[0]
    if b[nk - 2, 2] < 0:
        b[nk - 2, 2] = 0.0
        b[nk - 2, 1] = kdiff[nk - 2] / adiff[nk - 2]
    if rev:
        return PolySpline(knots=bknots[::-1].copy(), coef=b[::-1].copy())
    return PolySpline(knots=bknots, coef=b)
