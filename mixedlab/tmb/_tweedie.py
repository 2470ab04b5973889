"""The Tweedie series log W(y, φ, p) with its derivatives in log φ and p.

For 1 < p < 2 the Tweedie density of y > 0 is (Dunn & Smyth 2005, eqn 2)
``f(y) = W(y, φ, p)/y · exp((y μ^{1−p}/(1−p) − μ^{2−p}/(2−p))/φ)`` with
``W = Σ_j exp(j log z − lgamma(1 + j) − lgamma(−a j))``, ``a = (p − 2)/(p − 1)``,
``log z = −a log y − log φ/(p − 1) + a log(p − 1) − log(2 − p)``.

TMB 1.9.2 (``tiny_ad/tweedie/tweedie.cpp``, from the cplm package) sums the terms between
bounds found by stepping 5 from ``jmax = max(1, y^{2−p}/(φ(2−p)))`` until a term falls
37 log units below the peak, at most 20000 terms. The same bounds are used here, so the
sum is the one glmmTMB evaluates. The derivatives are exact sums of the term derivatives
weighted by the terms, d log W = Σ_j W_j d log W_j / Σ_j W_j.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["tweedie_logw"]

_DROP = 37.0
_INCRE = 5
_NTERM = 20000


def _bounds(logz: np.ndarray, jmax: np.ndarray, a: float, a1: float) -> tuple[np.ndarray, np.ndarray]:
    cc = logz + a1 + a * np.log(-a)
    w = a1 * jmax
    # upper bound: step up until j (cc − a1 log j) < w − drop
    j = jmax.copy()
    todo = np.ones(j.shape, dtype=bool)
    while todo.any():
        j[todo] += _INCRE
        done = j * (cc - a1 * np.log(j)) < (w - _DROP)
        todo &= ~done
    jh = np.ceil(j)
    j = jmax.copy()
    todo = np.ones(j.shape, dtype=bool)
    while todo.any():
        j[todo] -= _INCRE
        with np.errstate(invalid="ignore", divide="ignore"):
            done = (j < 1) | (j * (cc - a1 * np.log(j)) < (w - _DROP))
        todo &= ~done
    jl = np.maximum(1.0, np.floor(j))
    return jl, jh


def tweedie_logw(y: np.ndarray, phi: np.ndarray, p: float, order: int = 1
                 ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """log W(y, φ, p) for y > 0, and (order ≥ 1) its derivatives in log φ and in p.

    Parameters
    ----------
    y : array of positive observations
    phi : array of dispersions φ > 0 (same shape)
    p : power, 1 < p < 2
    order : 0 for the value only, 1 for the value and first derivatives

    Returns
    -------
    (logw, d_logphi, d_p)
    """
    y = np.asarray(y, dtype=float)
    phi = np.broadcast_to(np.asarray(phi, dtype=float), y.shape)
    p1, p2 = p - 1.0, 2.0 - p
    a, a1 = -p2 / p1, 1.0 / p1
    cc = a * np.log(p1) - np.log(p2)
    jmax = np.maximum(1.0, y ** p2 / (phi * p2))
    logy, logphi = np.log(y), np.log(phi)
    logz = -a * logy - a1 * logphi + cc
    jl, jh = _bounds(logz, jmax, a, a1)
    nterms = np.minimum(jh - jl + 1, _NTERM).astype(np.int64)
    width = int(nterms.max()) if nterms.size else 0
    k = np.arange(width, dtype=float)
    J = jl[:, None] + k[None, :]
    valid = k[None, :] < nterms[:, None]
    Jv = np.where(valid, J, 1.0)
    ww = Jv * logz[:, None] - special.gammaln(1.0 + Jv) - special.gammaln(-a * Jv)
    ww = np.where(valid, ww, -np.inf)
    wmax = ww.max(axis=1)
    e = np.exp(ww - wmax[:, None])
    s = e.sum(axis=1)
    logw = np.log(s) + wmax
    if order == 0:
        return logw, None, None
    wts = e / s[:, None]
    # ∂ww_j/∂log φ = −j a1
    d_logphi = -a1 * (wts * Jv).sum(axis=1)
    # ∂ww_j/∂p = j ∂log z/∂p + j a' ψ(−a j), a' = da/dp = 1/(p−1)², a1' = −1/(p−1)²
    da = 1.0 / (p1 * p1)
    dlogz = -da * logy + da * logphi + da * np.log(p1) + a / p1 + 1.0 / p2
    psi = special.psi(-a * Jv)
    d_p = (wts * (Jv * dlogz[:, None] + Jv * da * psi)).sum(axis=1)
    return logw, d_logphi, d_p
