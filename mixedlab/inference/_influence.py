"""Leverages and Cook's distances of a linear mixed fit (lme4's ``hatvalues``, ``cooks.distance``).

lme4 1.1-31 (``hatvalues.merMod``) takes the diagonal of the hat matrix of the penalized
least-squares problem: with C = W^½ [ZΛ X] and the factor of
Ã = [[ΛᵀZᵀWZΛ + I, ΛᵀZᵀWX], [XᵀWZΛ, XᵀWX]] = L Lᵀ, ``h_i = ‖L⁻¹ C_iᵀ‖²`` (the column sums
of squares of lme4's CL and CR). ``cooks.distance.merMod`` is then
``(r_i / (1 − h_i))² h_i / (σ̂² rank(X))`` with r the Pearson residuals.

The dense (q + p) × (q + p) factor is formed from the engine's cross-products; the cost is
O(n (q + p)²), linear in the number of observations.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from mixedlab.inference._kenward_roger import _lambda_t_rows, design_blocks
from mixedlab.linear._crossprod import CrossProducts, random_effects_matrix

__all__ = ["hat_values", "cooks_distance"]


def hat_values(cp: CrossProducts, model, theta: np.ndarray) -> np.ndarray:
    """lme4's ``hatvalues(m)`` (one leverage per observation used in the fit)."""
    theta = np.asarray(theta, dtype=float)
    H, ZX, XX = design_blocks(cp)
    q, p = H.shape[0], XX.shape[0]
    C = _lambda_t_rows(cp, theta, H)
    S = _lambda_t_rows(cp, theta, C.T).T
    S[np.diag_indices(q)] += 1.0
    W = _lambda_t_rows(cp, theta, ZX)
    A = np.block([[S, W], [W.T, XX]])
    A = 0.5 * (A + A.T)
    L = sla.cholesky(A, lower=True, check_finite=False)
    n = cp.n
    Zt = random_effects_matrix([t.X for t in model.terms], [t.codes for t in model.terms], cp.shapes, n).T.tocsc()
    X = np.asarray(model.X, dtype=float)
    sw = None if model.weights is None else np.sqrt(np.asarray(model.weights, dtype=float))
    out = np.empty(n)
    step = max(1, 4_000_000 // max(q + p, 1))  # observations per block: bounded memory
    for s in range(0, n, step):
        e = min(n, s + step)
        Ct = np.vstack([_lambda_t_rows(cp, theta, Zt[:, s:e].toarray()), X[s:e].T])
        if sw is not None:
            Ct = Ct * sw[None, s:e]
        Y = sla.solve_triangular(L, Ct, lower=True, check_finite=False)
        out[s:e] = np.sum(Y * Y, axis=0)
    return out


def cooks_distance(hat: np.ndarray, pearson: np.ndarray, sigma: float, rank: int) -> np.ndarray:
    """``cooks.distance.merMod``: (r/(1 − h))² h / (σ² p), infinite values as NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (pearson / (1.0 - hat)) ** 2 * hat / (sigma**2 * rank)
    d[np.isinf(d)] = np.nan
    return d
