"""numDeriv's Richardson-extrapolated derivatives, step for step (numDeriv 2016.8-1.1).

lmerTest's Satterthwaite degrees of freedom are defined through these two
routines (``numDeriv::hessian`` and ``numDeriv::jacobian`` with their default
settings), so they are reproduced here with the same steps, the same
extrapolation and the same order of floating-point operations:

* steps ``h0 = |d·x| + eps·(|x| < zero.tol)`` with ``eps = 1e-4``,
  ``zero.tol = sqrt(.Machine$double.eps / 7e-7)``, ``d = 0.1`` for the Hessian
  (``hessian.default`` overrides genD's ``d``) and ``d = 1e-4`` for the Jacobian;
* ``r = 4`` central differences with the step halved each time (``v = 2``);
* Richardson's table ``a_k ← (4^m a_{k+1} − a_k)/(4^m − 1)``, m = 1..r−1
  (Linfield & Penny, *Numerical Methods Using MATLAB*, 1999; numDeriv's ``genD``);
* off-diagonal Hessian terms from the joint step ``x ± h e_i ± h e_j`` minus the
  diagonal terms (genD's formula).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

__all__ = ["hessian", "jacobian", "richardson_steps"]

_EPS = 1e-4
_ZERO_TOL = math.sqrt(np.finfo(float).eps / 7e-7)
_R = 4
_V = 2.0


def richardson_steps(x: np.ndarray, d: float) -> np.ndarray:
    """numDeriv's first steps ``h0 = |d·x| + eps·(|x| < zero.tol)``."""
    x = np.asarray(x, dtype=float)
    return np.abs(d * x) + _EPS * (np.abs(x) < _ZERO_TOL)


def _extrapolate(a: list) -> object:
    """Richardson's table over the r approximations (list index = step k)."""
    a = list(a)
    for m in range(1, _R):
        f = 4.0**m
        for k in range(_R - m):
            a[k] = (a[k + 1] * f - a[k]) / (f - 1.0)
    return a[0]


def _shift(x: np.ndarray, i: int, h: float, sign: float) -> np.ndarray:
    # R adds the whole vector (i == 1:n) * h; adding 0 leaves the other entries exact
    z = x.copy()
    z[i] = x[i] + sign * h
    return z


def hessian(func: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """``numDeriv::hessian(func, x)`` (method "Richardson", default arguments).

    Parameters
    ----------
    func
        A scalar function of a vector.
    x
        Where to differentiate.

    Returns
    -------
    numpy.ndarray
        The symmetric n × n Hessian, as genD assembles it.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    f0 = float(func(x))
    h0 = richardson_steps(x, 0.1)
    hdiag = np.empty(n)
    for i in range(n):
        h = h0.copy()
        approx = []
        for _ in range(_R):
            f1 = float(func(_shift(x, i, h[i], 1.0)))
            f2 = float(func(_shift(x, i, h[i], -1.0)))
            approx.append((f1 - 2.0 * f0 + f2) / (h[i] * h[i]))  # R's h^2 is h*h
            h = h / _V
        hdiag[i] = _extrapolate(approx)
    H = np.empty((n, n))
    for i in range(n):
        H[i, i] = hdiag[i]
        for j in range(i):
            h = h0.copy()
            approx = []
            for _ in range(_R):
                up = x.copy()
                up[i] = x[i] + h[i]
                up[j] = x[j] + h[j]
                dn = x.copy()
                dn[i] = x[i] - h[i]
                dn[j] = x[j] - h[j]
                f1 = float(func(up))
                f2 = float(func(dn))
                approx.append((f1 - 2.0 * f0 + f2 - hdiag[i] * (h[i] * h[i]) - hdiag[j] * (h[j] * h[j]))
                              / (2.0 * h[i] * h[j]))
                h = h / _V
            H[i, j] = H[j, i] = _extrapolate(approx)
    return H


def jacobian(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """``numDeriv::jacobian(func, x)`` (method "Richardson", default arguments).

    Returns
    -------
    numpy.ndarray
        ``(len(func(x)), len(x))``: column i is the derivative in ``x[i]``.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    h = richardson_steps(x, 1e-4)
    cols: list[list[np.ndarray]] = [[] for _ in range(n)]
    for _ in range(_R):
        for i in range(n):
            f1 = np.asarray(func(_shift(x, i, h[i], 1.0)), dtype=float)
            f2 = np.asarray(func(_shift(x, i, h[i], -1.0)), dtype=float)
            cols[i].append((f1 - f2) / (2.0 * h[i]))
        h = h / _V
    return np.column_stack([_extrapolate(c) for c in cols])
