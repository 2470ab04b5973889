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
import scipy.sparse as sp

from mixedlab.inference._kenward_roger import _lambda_t_rows, design_blocks
from mixedlab.linear._crossprod import CrossProducts, random_effects_matrix

__all__ = ["hat_values", "glmm_hat_values", "cooks_distance"]


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


def glmm_hat_values(Z: sp.spmatrix, factors: list[np.ndarray], shapes: list, X: np.ndarray,
                    w_working: np.ndarray, w_prior: np.ndarray) -> np.ndarray:
    """lme4's ``hatvalues(m)`` for a GLMM (lme4 warns that it "may not make sense" there).

    lme4 takes L, RZX and RX from the final PIRLS step, whose system carries the working
    (Fisher) weights W, but scales the columns it solves for by the *prior* weights only:
    with L Lᵀ = [ZΛ X]ᵀ W [ZΛ X] + diag(I_q, 0), ``h_i = ‖L⁻¹ a_i‖²`` and
    a_i = √w_prior,i [ZΛ X]_iᵀ (the column sums of squares of its CL and CR).

    Parameters
    ----------
    Z
        The sparse n × q random-effects model matrix (unscaled).
    factors, shapes
        Each term's relative covariance factor T_t (Λ = ⊕_t I_levels ⊗ T_t) and its shape.
    X
        The n × p fixed-effects model matrix.
    w_working, w_prior
        The final working weights (sqrtXwt²) and the prior weights.
    """
    Lam = sp.block_diag([sp.kron(sp.identity(s.n_levels), T) for T, s in zip(factors, shapes)], format="csc")
    C = sp.hstack([sp.csr_matrix(Z) @ Lam, sp.csr_matrix(np.asarray(X, dtype=float))], format="csr")
    q = Lam.shape[0]
    A = np.asarray((C.T @ C.multiply(np.asarray(w_working, dtype=float)[:, None])).todense())
    A[np.arange(q), np.arange(q)] += 1.0
    L = sla.cholesky(0.5 * (A + A.T), lower=True, check_finite=False)
    sw = np.sqrt(np.asarray(w_prior, dtype=float))
    n = C.shape[0]
    out = np.empty(n)
    step = max(1, 4_000_000 // max(A.shape[0], 1))  # observations per block: bounded memory
    for s in range(0, n, step):
        e = min(n, s + step)
        Y = sla.solve_triangular(L, C[s:e].toarray().T * sw[None, s:e], lower=True, check_finite=False)
        out[s:e] = np.sum(Y * Y, axis=0)
    return out


def cooks_distance(hat: np.ndarray, pearson: np.ndarray, sigma: float, rank: int) -> np.ndarray:
    """``cooks.distance.merMod``: (r/(1 − h))² h / (σ² p), infinite values as NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (pearson / (1.0 - hat)) ** 2 * hat / (sigma**2 * rank)
    d[np.isinf(d)] = np.nan
    return d
