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
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import blas, lapack

from mixedlab.linear._pls import PLSFactor, PLSSolution, solve_triangular

__all__ = ["factorize", "solve", "conditional_variances"]


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
    L22, ldL2_rest, ldRX2, pwrss = _factor_trailing(cp, _schur(cp, D), theta)
    return PLSFactor(theta=np.array(theta, dtype=float, copy=True), L11=L11, D=D, L22=L22,
                     ldL2=2.0 * logdet11 + ldL2_rest, ldRX2=ldRX2, pwrss=pwrss)


def _schur(cp, D: np.ndarray) -> np.ndarray:
    """A₂₂ − A₂₁ D Dᵀ A₁₂ (lower triangle valid): dense BLAS, or the sparse pair operator P."""
    if cp.mode == "dense":
        Bt = _A21_times_D_transposed(cp, D)
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


def _factor_trailing(cp, S: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Scale the Schur complement by Λ₂, add I and factor it (only S's lower triangle is read).

    Returns L₂₂, its part of log|L_θ|², log|R_X|² and r²(θ) (the last pivot squared).
    """
    if cp.q2:
        if cp.rest_scalar:
            s = cp.ones_m.copy()
            s[: cp.q2] = theta[cp.rest_theta_pos]
            S *= s[:, None]
            S *= s
        else:
            S = np.tril(S) + np.tril(S, -1).T  # the block rotations need the whole matrix
            if cp.lam_rows is not None:
                Lam = cp.lam_template.copy()
                Lam[cp.lam_rows, cp.lam_cols] = theta[cp.lam_theta]
                S = Lam.T @ S @ Lam
            else:
                S = _rotate_blocks(cp, S, theta)
        S[cp.rest_diag, cp.rest_diag] += 1.0
    L22, info = lapack.dpotrf(S, lower=1, clean=0, overwrite_a=1)
    m, q2 = cp.m, cp.q2
    if info != 0 and info != m:
        raise np.linalg.LinAlgError(
            f"the weighted cross-product matrix is not positive definite at θ = {theta} (pivot {info}); "
            "the fixed-effects model matrix may be rank deficient")
    if m <= 8:
        diag = [L22[i, i] for i in range(m)]
        ldL2_rest = 2.0 * sum(math.log(d) for d in diag[:q2])
        ldRX2 = 2.0 * sum(math.log(d) for d in diag[q2: m - 1])
    else:
        diag = L22.diagonal()
        logd = np.log(diag[: m - 1])
        ldL2_rest = 2.0 * float(logd[:q2].sum()) if q2 else 0.0
        ldRX2 = 2.0 * float(logd[q2:].sum())
    pwrss = float(diag[m - 1]) ** 2 if info == 0 else 0.0
    return L22, ldL2_rest, ldRX2, pwrss


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
    """Back-substitute for β̂ and û from the last row of L (the [X z] trick)."""
    m, q2, p = cp.m, cp.q2, cp.p
    k1, L1 = cp.k1, cp.L1
    L22 = np.tril(f.L22)
    Bfull = _apply_lambda2_rows(cp, f.theta, _A21_times_D(cp, f.D))
    c1 = Bfull[m - 1]
    c2 = L22[m - 1, : m - 1]
    v = solve_triangular(L22[: m - 1, : m - 1], c2, lower=True, trans="T") if m > 1 else np.empty(0)
    rhs1 = (c1 - Bfull[: m - 1].T @ v).reshape(L1, k1)
    u1 = np.linalg.solve(np.swapaxes(f.L11, 1, 2), rhs1[:, :, None])[:, :, 0].ravel()
    u = np.concatenate([u1, v[:q2]])
    beta = v[q2: q2 + p] + cp.beta_shift
    b = _lambda_times(cp, f.theta, u)
    return PLSSolution(beta=beta, u=u, b=b, RX=L22[q2: q2 + p, q2: q2 + p])


def _A21_times_D_transposed(cp, D: np.ndarray) -> np.ndarray:
    """(A₂₁ D)ᵀ as a C-contiguous q₁ × m array (dense mode)."""
    if cp.k1 == 1:
        return cp.A21t[:, 0, :] * D[:, 0, :]
    return np.matmul(np.swapaxes(D, 1, 2), cp.A21t).reshape(-1, cp.m)


def _A21_times_D(cp, D: np.ndarray) -> np.ndarray:
    """Dense A₂₁ D (m × q₁)."""
    if cp.mode == "dense":
        return _A21_times_D_transposed(cp, D).T
    cp._D.data[:] = D.ravel()
    return np.asarray((cp.A21_sparse @ cp._D).todense())


def _lambda_times(cp, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """b = Λ_θ u, term by term."""
    out = np.empty_like(u)
    off = 0
    for T, shape in zip(cp.layout.factors(theta), cp.shapes):
        seg = u[off: off + shape.q].reshape(shape.n_levels, shape.k)
        out[off: off + shape.q] = (seg @ T.T).ravel()
        off += shape.q
    return out


def _apply_lambda2_rows(cp, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Λ₂ᵀ M on the trailing block's rows (X and z rows unchanged)."""
    out = M.copy()
    for T, shape, off in zip(cp.layout.factors(theta)[1:], cp.shapes[1:], cp.rest_offsets):
        blk = slice(off, off + shape.q)
        rows = M[blk].reshape(shape.n_levels, shape.k, -1)
        out[blk] = np.einsum("ji,ljm->lim", T, rows).reshape(shape.q, -1)
    return out


def conditional_variances(cp, f: PLSFactor) -> list[np.ndarray]:
    """Diagonal blocks of Λ (L_θ L_θᵀ)⁻¹ Λᵀ per term, (levels, k, k), unscaled (lme4's condVar).

    With L_θ⁻¹ = [[L₁₁⁻¹, 0], [−L₂₂⁻¹ L₂₁ L₁₁⁻¹, L₂₂⁻¹]] the diagonal blocks of
    L_θ⁻ᵀ L_θ⁻¹ are sums of squares of the columns of L_θ⁻¹.
    """
    q2, k1, L1 = cp.q2, cp.k1, cp.L1
    L22 = np.tril(f.L22[:q2, :q2])
    L11inv = np.linalg.inv(f.L11)
    V1 = np.swapaxes(L11inv, 1, 2) @ L11inv
    if q2 > 0:
        L21 = _apply_lambda2_rows(cp, f.theta, _A21_times_D(cp, f.D))[:q2]
        E = solve_triangular(L22, L21, lower=True)
        F = np.einsum("rgi,gij->rgj", E.reshape(q2, L1, k1), L11inv)
        V1 = V1 + np.einsum("rgi,rgj->gij", F, F)
        L22inv = solve_triangular(L22, np.eye(q2), lower=True)
    Ts = cp.layout.factors(f.theta)
    blocks = [Ts[0] @ V1 @ Ts[0].T]
    for T, shape, off in zip(Ts[1:], cp.shapes[1:], cp.rest_offsets):
        cols = L22inv[:, off: off + shape.q].reshape(q2, shape.n_levels, shape.k)
        blocks.append(T @ np.einsum("rgi,rgj->gij", cols, cols) @ T.T)
    return blocks
