"""PIRLS's penalized least squares: the blocked Cholesky factor on the weighted cross-products.

Each PIRLS iteration has new weights W, so the cross-products ZᵀWZ, ZᵀWX, … are new too
(:meth:`mixedlab.glm._pirls.PirlsSystem.blocks` fills them into the linear engine's
template, whose symbolic structure stays).  This module factors them in the classical
form, as lme4's ``PIRLS``/``pwrssUpdate`` does with CHOLMOD on Λᵀ ZᵀWZ Λ + I (lme4
``predModule.cpp``, ``merPredD::updateDecomp``):

    L₁₁_g L₁₁_gᵀ = T₁ᵀ A₁₁_g T₁ + I,                 D_g = T₁ L₁₁_g⁻ᵀ,
    L₂₂ L₂₂ᵀ = Λ₂ᵀ (A₂₂ − A₂₁ D Dᵀ A₁₂) Λ₂ + diag(I, 0)  (Golub & Van Loan §4.2),

with the last pivot of L₂₂ equal to √(penalized weighted RSS) (the [X z] trick).

Why not the linear engine's :func:`mixedlab.linear._pls.factorize`: since issue 9 that
one works in a row-based (orthonormalised) form that is computed once from the rows for
a fixed W, and that buys LMMs precision on badly scaled columns.  Under PIRLS the
weighted cross-products are rebuilt at every iteration, so the row-based form would
have to be re-derived from these very cross-products (no precision gain, extra work per
iteration), and its different rounding moves glmer's Nelder–Mead path away from
lme4's: the evaluation counts and printed digits that issue 11 reproduces
(cbpp 285 evaluations, grouseticks glmer.nb 183) were established with this form.

What follows the first block is shared with the linear engine: the Λ₂ scaling and factor
of the trailing block (:func:`mixedlab.linear._pls._factor_trailing`, with this module's
einsum rotation of large trailing blocks, kept as it was), the back-substitution and the
conditional variances, each given this form's A₂₁D.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

from mixedlab.linear import _pls
from mixedlab.linear._pls import PLSFactor, PLSSolution

__all__ = ["factorize", "solve", "solve_u_beta", "conditional_variances"]


def factorize(cp, theta: np.ndarray) -> PLSFactor:
    """Factor Ã(θ) = L Lᵀ from the classical blocks ``A11``, ``A21t``/``A21_sparse``, ``A22``."""
    k1 = cp.k1
    if k1 == 1:
        t = theta[0]
        l11 = np.sqrt((t * t) * cp.A11_flat[0] + 1.0)
        L11 = l11.reshape(-1, 1, 1)
        D = (t / l11).reshape(-1, 1, 1)
        logdet11 = float(np.sum(np.log(l11)))
    elif k1 == 2:
        # closed-form 2×2 Cholesky of M = TᵀA T + I per level, T = [[a, 0], [b, c]]
        a, b_, c = float(theta[0]), float(theta[1]), float(theta[2])
        a00, a01, a11 = cp.A11_flat
        m00 = (a * a) * a00 + (2.0 * a * b_) * a01 + (b_ * b_) * a11 + 1.0
        m10 = (a * c) * a01 + (b_ * c) * a11
        m11 = (c * c) * a11 + 1.0
        l00 = np.sqrt(m00)
        l10 = m10 / l00
        l11 = np.sqrt(m11 - l10 * l10)
        L11 = np.zeros((cp.L1, 2, 2))
        L11[:, 0, 0], L11[:, 1, 0], L11[:, 1, 1] = l00, l10, l11
        # D = T L⁻ᵀ with L⁻¹ = [[1/l00, 0], [−l10/(l00 l11), 1/l11]]
        i00, i10, i11 = 1.0 / l00, -l10 / (l00 * l11), 1.0 / l11
        D = np.empty((cp.L1, 2, 2))
        D[:, 0, 0] = a * i00
        D[:, 0, 1] = a * i10
        D[:, 1, 0] = b_ * i00
        D[:, 1, 1] = b_ * i10 + c * i11
        logdet11 = float(np.log(l00 * l11).sum())
    else:
        T1 = cp.layout.factors(theta)[0]
        M = T1.T @ cp.A11 @ T1
        idx = np.arange(k1)
        M[:, idx, idx] += 1.0
        L11 = np.linalg.cholesky(M)
        # D_g = T₁ L_g⁻ᵀ: solve L_g Dᵀ = T₁ᵀ for every level at once
        D = np.swapaxes(np.linalg.solve(L11, np.broadcast_to(T1.T, L11.shape)), 1, 2)
        logdet11 = float(np.sum(np.log(np.diagonal(L11, axis1=1, axis2=2))))
    L22, ldL2_rest, ldRX2, pwrss = _pls._factor_trailing(cp, _schur(cp, D), theta, rotate=_rotate_blocks,
                                                         what="weighted cross-product matrix")
    return PLSFactor(theta=np.array(theta, dtype=float, copy=True), L11=L11, D=D, L22=L22,
                     ldL2=2.0 * logdet11 + ldL2_rest, ldRX2=ldRX2, pwrss=pwrss)


def _schur(cp, D: np.ndarray) -> np.ndarray:
    """A₂₂ − A₂₁ D Dᵀ A₁₂ (lower triangle valid): dense BLAS, or the sparse pair operator P."""
    if cp.mode == "dense":
        Bt = _A21_times_D_transposed(cp, D)
        cp.a21d_t = (D, Bt)  # the back-substitution needs the same product (_A21_times_D)
        if Bt.shape[0] * cp.m < 100_000:
            return cp.A22 - Bt.T @ Bt
        # Bt is q₁ × m C-contiguous, so Bt.T is Fortran-ordered: syrk without a copy
        return cp.A22 - blas.dsyrk(1.0, Bt.T, lower=1)
    if cp.k1 == 1:
        w = D[:, 0, 0] ** 2
    else:
        W = D @ np.swapaxes(D, 1, 2)
        w = W[:, cp._ab[0], cp._ab[1]].T.ravel()
    S = cp.A22.copy()
    S.ravel()[cp.P_rows] -= cp.P @ w
    return S


def _rotate_blocks(cp, S: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Λ₂ᵀ S Λ₂ term by term, for trailing blocks too large for a dense Λ₂."""
    Ts = cp.layout.factors(theta)
    for T, shape, off in zip(Ts[1:], cp.shapes[1:], cp.rest_offsets):
        blk = slice(off, off + shape.q)
        rows = S[blk, :].reshape(shape.n_levels, shape.k, cp.m)
        S[blk, :] = np.einsum("ji,ljm->lim", T, rows).reshape(shape.q, cp.m)
        cols = S[:, blk].reshape(cp.m, shape.n_levels, shape.k)
        S[:, blk] = np.einsum("mlj,ji->mli", cols, T).reshape(cp.m, shape.q)
    return S


def solve(cp, f: PLSFactor) -> PLSSolution:
    """Back-substitute for β̂ and û from the last row of L (the [X z] trick): the linear
    engine's back-substitution, on these blocks' A₂₁D."""
    return _pls.solve(cp, f, _A21_times_D)


def solve_u_beta(cp, f: PLSFactor) -> tuple[np.ndarray, np.ndarray]:
    """(û, β̂) of :func:`solve` by the same arithmetic, without what PIRLS does not use
    (b = Λû, R_X): a PIRLS iteration only needs the new modes.

    For a scalar term 1, L₁₁ᵀ u₁ = rhs per level is one division (what LAPACK's 1×1 solve
    returns), and Λ₂ scales the rows of scalar trailing terms by their θ.
    """
    m, q2, p = cp.m, cp.q2, cp.p
    k1, L1 = cp.k1, cp.L1
    L22 = np.tril(f.L22)
    M = _A21_times_D(cp, f)
    if cp.rest_scalar:
        B = M.copy()
        if q2:
            B[:q2] *= f.theta[cp.rest_theta_pos][:, None]
    else:
        B = _pls._apply_lambda2_rows(cp, f.theta, M)
    c1 = B[m - 1]
    c2 = L22[m - 1, : m - 1]
    v = _pls.solve_triangular(L22[: m - 1, : m - 1], c2, lower=True, trans="T") if m > 1 else np.empty(0)
    rhs1 = c1 - B[: m - 1].T @ v
    if k1 == 1:
        u1 = rhs1 / f.L11[:, 0, 0]
    else:
        u1 = np.linalg.solve(np.swapaxes(f.L11, 1, 2), rhs1.reshape(L1, k1)[:, :, None])[:, :, 0].ravel()
    u = np.concatenate([u1, v[:q2]])
    return u, v[q2 : q2 + p] + cp.beta_shift


def _A21_times_D_transposed(cp, D: np.ndarray) -> np.ndarray:
    """(A₂₁ D)ᵀ as a C-contiguous q₁ × m array (dense mode)."""
    if cp.k1 == 1:
        return cp.A21t[:, 0, :] * D[:, 0, :]
    return np.matmul(np.swapaxes(D, 1, 2), cp.A21t).reshape(-1, cp.m)


def _A21_times_D(cp, f: PLSFactor) -> np.ndarray:
    """Dense A₂₁ D (m × q₁) from the classical A₂₁ and the factor's D."""
    if cp.mode == "dense":
        kept = getattr(cp, "a21d_t", None)
        if kept is not None and kept[0] is f.D:
            return kept[1].T
        return _A21_times_D_transposed(cp, f.D).T
    cp._D.data[:] = f.D.ravel()
    return np.asarray((cp.A21_sparse @ cp._D).todense())


def conditional_variances(cp, f: PLSFactor) -> list[np.ndarray]:
    """Diagonal blocks of Λ (L_θ L_θᵀ)⁻¹ Λᵀ per term, (levels, k, k), unscaled (lme4's condVar):
    the linear engine's, on these blocks' A₂₁D."""
    return _pls.conditional_variances(cp, f, _A21_times_D)
