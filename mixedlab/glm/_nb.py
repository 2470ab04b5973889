"""glmer.nb's search over the negative binomial θ (lme4's ``R/nbinom.R``).

1. fit the Poisson GLMM; 2. θ₀ = ``MASS::theta.ml(y, μ̂, weights, limit = 20, eps = 2·tol)``
(Newton–Raphson on the profile score, tol = 5e-5 ⇒ eps = 1e-4); 3. refit with
``negative.binomial(θ₀)``; 4. ``optimize()`` (Brent's golden-section/parabolic search) over
log θ in log θ₀ ± 3 with ``tol = 5e-5``, each evaluation a full glmer refit returning −2 logLik.
The search stops short of the joint optimum (GLMM.md §2.7): the fit object says so when a
higher likelihood was seen.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["theta_ml", "brent_fmin"]


def theta_ml(y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None, limit: int = 20,
             eps: float = 1e-4) -> float:
    """``MASS::theta.ml``: the ML estimate of θ for fixed means μ."""
    y = np.asarray(y, float)
    mu = np.asarray(mu, float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, float)
    n = float(np.sum(w))
    t0 = n / np.sum(w * (y / mu - 1.0) ** 2)
    it = 0
    delta = 1.0
    while it < limit and abs(delta) > eps:
        it += 1
        t0 = abs(t0)
        score = np.sum(w * (special.digamma(t0 + y) - special.digamma(t0) + math.log(t0) + 1.0
                            - np.log(t0 + mu) - (y + t0) / (mu + t0)))
        info = np.sum(w * (-special.polygamma(1, t0 + y) + special.polygamma(1, t0) - 1.0 / t0
                           + 2.0 / (mu + t0) - (y + t0) / (mu + t0) ** 2))
        delta = score / info
        t0 = t0 + delta
    return float(max(t0, 0.0))


def brent_fmin(f, ax: float, bx: float, tol: float) -> tuple[float, float, int]:
    """R's ``optimize`` (``Brent_fmin`` in src/library/stats/src/optimize.c): returns (x, f(x), evaluations)."""
    c = (3.0 - math.sqrt(5.0)) * 0.5
    eps = math.sqrt(np.finfo(float).eps)
    a, b = ax, bx
    v = a + c * (b - a)
    w = x = v
    d = e = 0.0
    fx = f(x)
    nev = 1
    fv = fw = fx
    tol3 = tol / 3.0
    while True:
        xm = (a + b) * 0.5
        tol1 = eps * abs(x) + tol3
        t2 = tol1 * 2.0
        if abs(x - xm) <= t2 - (b - a) * 0.5:
            break
        p = q = r = 0.0
        if abs(e) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = (q - r) * 2.0
            if q > 0.0:
                p = -p
            else:
                q = -q
            r = e
            e = d
        if abs(p) >= abs(q * 0.5 * r) or p <= q * (a - x) or p >= q * (b - x):
            e = (b - x) if x < xm else (a - x)
            d = c * e
        else:
            d = p / q
            u = x + d
            if u - a < t2 or b - u < t2:
                d = tol1 if x < xm else -tol1
        if abs(d) >= tol1:
            u = x + d
        elif d > 0.0:
            u = x + tol1
        else:
            u = x - tol1
        fu = f(u)
        nev += 1
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return x, fx, nev
