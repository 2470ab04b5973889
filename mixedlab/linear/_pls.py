"""Penalized least squares for linear mixed models: the blocked Cholesky factor of θ.

For a given θ the PLS problem (Bates et al. 2015, eqn. 16)

    r²(θ, β, u) = ‖W^½ (y − Xβ − Z Λ_θ u)‖² + ‖u‖²

is solved through the Cholesky factor of the scaled cross-product matrix

    Ã(θ) = Λᵀ [Z X y]ᵀ W [Z X y] Λ + diag(I_q, 0, 0) = L Lᵀ,       Λ = diag(Λ_θ, I_p, 1)

whose last diagonal element of L is √r²(θ) (the "[X y] trick").  Everything that
involves the n rows is computed once, in :class:`mixedlab.linear._crossprod.CrossProducts`;
each θ only rescales those blocks and re-factors (MixedModels.jl's design).

Block structure.  The terms are in lme4's order, the first having the most levels.
Z₁ᵀWZ₁ is block diagonal with k₁×k₁ blocks, so its factor L₁₁ is a batch of tiny
Cholesky factors.  Everything after term 1 — the other terms, X and y — forms one
dense trailing block of size m = q₂ + … + q_T + p + 1, reached through the Schur
complement (Golub & Van Loan, section 4.2):

    L₂₂ L₂₂ᵀ = Λ₂ᵀ (A₂₂ − A₂₁ D Dᵀ A₁₂) Λ₂ + diag(I, 0),     D = Λ₁ L₁₁⁻ᵀ,

so L₂₁ = Λ₂ᵀ A₂₁ D is never stored.

Precision.  The Schur complement is never formed as that difference: when a trailing
column lies close to the span of term 1's columns (a predictor on a large scale, an
uncentred slope) both terms are huge and their difference small, and the digits lost
there were the criterion's largest error (issue 9).  With each level's columns
orthonormalised once from the rows, W½Z₁_g = Q_g R_g, and B_g = R_g T₁,

    A₂₂ − A₂₁ D Dᵀ A₁₂ = E + Σ_g F_gᵀ (I + B_g B_gᵀ)⁻¹ F_g,      F_g = Q_gᵀ W½ [Z₂ X y]_g,

where E is the cross-product of the trailing columns' residuals on the Q_g (computed
once, from the rows): a sum of positive semi-definite terms, each computed without
cancellation (the weights Ω_g = (I + B_g B_gᵀ)⁻¹ in closed form for k₁ ≤ 2, by
Householder QR otherwise).  Σ_g F_gᵀ Ω_g F_g is formed dense (BLAS) or through a
sparse pair operator, whichever costs fewer operations for the design at hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas, lapack

from mixedlab.linear._crossprod import CrossProducts, random_effects_matrix, sync_classical_blocks

__all__ = [
    "CrossProducts",
    "PLSFactor",
    "PLSSolution",
    "random_effects_matrix",
    "factorize",
    "criterion",
    "profiled_deviance",
    "solve",
    "conditional_variances",
    "solve_triangular",
]

_2PI = 2.0 * np.pi


def solve_triangular(L: np.ndarray, B: np.ndarray, lower: bool = True, trans: str = "N") -> np.ndarray:
    """Solve L x = B (``trans="N"``) or Lᵀ x = B (``"T"``) with LAPACK's dtrtrs.

    scipy.linalg.solve_triangular carries milliseconds of per-call overhead in
    scipy 1.17, which dominates small models; the LAPACK routine does not.
    """
    if L.shape[0] == 0:
        return np.array(B, dtype=float, copy=True)
    B = np.asarray(B, dtype=float)
    t = 0 if trans == "N" else 1
    if B.ndim == 2 and B.shape[1] <= 16:
        # a few right-hand sides one at a time: OpenBLAS's threaded multi-column path
        # costs milliseconds of thread hand-off even for a 2×2 system
        return np.column_stack([solve_triangular(L, B[:, j], lower, trans) for j in range(B.shape[1])]) \
            if B.shape[1] else B.copy()
    x, info = lapack.dtrtrs(np.asfortranarray(L), np.asfortranarray(B), lower=int(lower), trans=t)
    if info != 0:
        raise np.linalg.LinAlgError(f"triangular solve failed (dtrtrs info {info})")
    return x


@dataclass
class PLSFactor:
    """The factor L(θ) and the quantities of the profiled criteria (lme4's names)."""

    theta: np.ndarray
    L11: np.ndarray  # (L1, k1, k1) lower-triangular blocks (k1 == 1: shape (L1, 1, 1))
    D: np.ndarray  # (L1, k1, k1) = T₁ L₁₁⁻ᵀ per level
    L22: np.ndarray  # (m, m) lower triangle valid
    ldL2: float  # log |L_θ|²
    ldRX2: float  # log |R_X|²
    pwrss: float  # penalized weighted residual sum of squares r²(θ)
    RD: np.ndarray | None = None  # (L1, k1, k1) = R_g D_g: A₂₁ D = Σ_g F_gᵀ (R_g D_g)


@dataclass
class _FirstBlock:
    """Term 1 at θ, per level g (M_g = B_gᵀB_g + I, B_g = R_g T₁; module docstring).

    ``G`` gives the Schur term's weights Ω_g = (I + B_g B_gᵀ)⁻¹ = G_gᵀ G_g.
    """

    L11: np.ndarray
    D: np.ndarray
    RD: np.ndarray
    ld11: float  # Σ_g log det M_g
    G: np.ndarray  # (L1, r, k1)


def _first_block(cp: CrossProducts, theta: np.ndarray) -> _FirstBlock:
    k1, L1 = cp.k1, cp.L1
    if k1 == 1:
        t = float(theta[0])
        r00 = cp.R1[:, 0, 0]
        l11 = np.sqrt((t * r00) ** 2 + 1.0)
        return _FirstBlock(L11=l11.reshape(-1, 1, 1), D=(t / l11).reshape(-1, 1, 1),
                           RD=(r00 * t / l11).reshape(-1, 1, 1), ld11=2.0 * float(np.log(l11).sum()),
                           G=(1.0 / l11).reshape(-1, 1, 1))
    if k1 == 2:
        # closed-form 2×2 Cholesky of M_g per level, vectorised over levels, with
        # det M_g = 1 + ‖B‖_F² + det(B)² (every term a square: nothing cancels)
        a, b, c = float(theta[0]), float(theta[1]), float(theta[2])
        u0, u1, v0, v1, det = _first_block_2x2(cp, a, b, c)
        r00 = cp.R11[0]
        m00 = 1.0 + u0 * u0 + u1 * u1
        m10 = u0 * v0 + u1 * v1
        l00 = np.sqrt(m00)
        l10 = m10 / l00
        l11 = np.sqrt(det / m00)
        L11 = np.zeros((L1, 2, 2))
        L11[:, 0, 0], L11[:, 1, 0], L11[:, 1, 1] = l00, l10, l11
        # D = T L⁻ᵀ with L⁻¹ = [[1/l00, 0], [−l10/(l00 l11), 1/l11]]; D₁₁ = (c − b l10/l00)/l11
        # = (c m00 − b m10)/(m00 l11), and c m00 − b m10 = c (1 + a r00 u0) since
        # c T e₀ − b T e₁ = a c e₀ (no difference of the large m entries)
        D = np.empty((L1, 2, 2))
        D[:, 0, 0] = a / l00
        D[:, 0, 1] = -a * l10 / (l00 * l11)
        D[:, 1, 0] = b / l00
        D[:, 1, 1] = c * (1.0 + a * r00 * u0) / (m00 * l11)
        # (I + BBᵀ)⁻¹ = adj(I + BBᵀ)/det = (I + adj(B)ᵀ adj(B))/det for 2×2 B: G = [I; adj B]/√det
        G = np.zeros((L1, 4, 2))
        G[:, 0, 0] = G[:, 1, 1] = 1.0
        G[:, 2, 0], G[:, 2, 1], G[:, 3, 0], G[:, 3, 1] = v1, -v0, -u1, u0
        G /= np.sqrt(det)[:, None, None]
        return _FirstBlock(L11=L11, D=D, RD=cp.R1 @ D, ld11=float(np.log(det).sum()), G=G)
    # k₁ ≥ 3: Householder QR of [B_g; I] gives M_g's factor, of [B_gᵀ; I] the weights'
    T1 = cp.layout.factors(theta)[0]
    B = cp.R1 @ T1
    eye = np.broadcast_to(np.eye(k1), B.shape)
    Rt = np.linalg.qr(np.concatenate([B, eye], axis=1), mode="r")
    sign = np.sign(np.diagonal(Rt, axis1=1, axis2=2))
    sign[sign == 0] = 1.0
    L11 = np.swapaxes(Rt * sign[:, :, None], 1, 2)
    # D_g = T₁ L_g⁻ᵀ: solve L_g Dᵀ = T₁ᵀ for every level at once
    D = np.swapaxes(np.linalg.solve(L11, np.broadcast_to(T1.T, L11.shape)), 1, 2)
    Rh = np.linalg.qr(np.concatenate([np.swapaxes(B, 1, 2), eye], axis=1), mode="r")
    G = np.swapaxes(np.linalg.inv(Rh), 1, 2)
    ld11 = 2.0 * float(np.sum(np.log(np.abs(np.diagonal(Rt, axis1=1, axis2=2)))))
    return _FirstBlock(L11=L11, D=D, RD=cp.R1 @ D, ld11=ld11, G=G)


def factorize(cp: CrossProducts, theta: np.ndarray) -> PLSFactor:
    """Factor Ã(θ) = L Lᵀ blockwise (see the module docstring for the blocks)."""
    sync_classical_blocks(cp)
    fb = _first_block(cp, theta)
    # Schur complement of the trailing block, before scaling by Λ₂
    S = _schur(cp, fb, theta[cp.layout.slices[0]].tobytes())
    L22, ldL2_rest, ldRX2, pwrss = _factor_trailing(cp, S, theta)
    return PLSFactor(theta=np.array(theta, dtype=float, copy=True), L11=fb.L11, D=fb.D, L22=L22,
                     ldL2=fb.ld11 + ldL2_rest, ldRX2=ldRX2, pwrss=pwrss, RD=fb.RD)


def _factor_trailing(
    cp: CrossProducts, S: np.ndarray, theta: np.ndarray, full: bool = False,
    rotate: Callable | None = None, what: str = "cross-product matrix",
) -> tuple[np.ndarray, float, float, float]:
    """Scale the Schur complement by Λ₂, add I and factor it.

    ``full`` says S holds both triangles (otherwise only the lower one is valid).
    ``rotate(cp, S, theta)`` applies Λ₂ to trailing blocks too large for a dense Λ₂
    (default :func:`_rotate_blocks`); ``what`` names the matrix in the error.
    Returns L₂₂, its contribution to log|L_θ|², log|R_X|² and r²(θ).
    """
    # S ← Λ₂ᵀ S Λ₂ (identity on the X and y columns)
    if cp.q2:
        if cp.rest_scalar:
            s = cp.ones_m.copy()
            s[: cp.q2] = theta[cp.rest_theta_pos]
            S *= s[:, None]
            S *= s
        else:
            # the block rotations need the whole symmetric matrix
            if not full:
                S = np.tril(S)
                S += np.tril(S, -1).T
            if cp.lam_rows is not None:
                # small block: Λ₂ as a dense matrix filled from θ (lme4's Lind mapping)
                Lam = cp.lam_template.copy()
                Lam[cp.lam_rows, cp.lam_cols] = theta[cp.lam_theta]
                S = Lam.T @ S @ Lam
            else:
                S = (rotate or _rotate_blocks)(cp, S, theta)
        # index, not ravel(): S may be Fortran-ordered (syrk's output), and ravel would copy
        S[cp.rest_diag, cp.rest_diag] += 1.0

    L22, info = lapack.dpotrf(S, lower=1, clean=0, overwrite_a=1)
    m = cp.m
    if info != 0 and info != m:
        raise np.linalg.LinAlgError(
            f"the {what} is not positive definite at θ = {theta} (pivot {info}); "
            "the fixed-effects model matrix may be rank deficient"
        )
    q2 = cp.q2
    if m <= 8:
        # a handful of pivots: scalar arithmetic beats three array passes
        diag = [L22[i, i] for i in range(m)]
        ldL2_rest = 2.0 * sum(math.log(d) for d in diag[:q2])
        ldRX2 = 2.0 * sum(math.log(d) for d in diag[q2 : m - 1])
    else:
        diag = L22.diagonal()
        logd = np.log(diag[: m - 1])
        ldL2_rest = 2.0 * float(logd[:q2].sum()) if q2 else 0.0
        ldRX2 = 2.0 * float(logd[q2:].sum())
    # the y pivot is r²(θ) itself; a perfect fit leaves it at (or numerically below) zero
    pwrss = float(diag[m - 1]) ** 2 if info == 0 else 0.0
    return L22, ldL2_rest, ldRX2, pwrss


def _rotate_blocks(cp: CrossProducts, S: np.ndarray, theta: np.ndarray, transpose: bool = False) -> np.ndarray:
    """Λ₂ᵀ S Λ₂ term by term (in place), for trailing blocks too large for a dense Λ₂.

    With ``transpose``, Λ₂ S Λ₂ᵀ (each factor T_t replaced by T_tᵀ).
    """
    Ts = cp.layout.factors(theta)
    if transpose:
        Ts = [T.T for T in Ts]
    for T, shape, off in zip(Ts[1:], cp.shapes[1:], cp.rest_offsets):
        blk = slice(off, off + shape.q)
        # batched k×k products (matmul), not einsum: einsum's generic loop took ~10× longer
        rows = S[blk, :].reshape(shape.n_levels, shape.k, cp.m)
        S[blk, :] = np.matmul(T.T, rows).reshape(shape.q, cp.m)
        cols = S[:, blk].reshape(cp.m, shape.n_levels, shape.k)
        S[:, blk] = np.matmul(cols, T).reshape(cp.m, shape.q)
    return S


def criterion(cp: CrossProducts, theta: np.ndarray, REML: bool) -> float:
    """The profiled criterion at θ without keeping the factor: the optimiser's hot path.

    For k₁ ≤ 2 the first block needs no factor at all: log|L₁₁|² = Σ_g log det M_g and
    the Schur term's weights Ω_g = (I + B_g B_gᵀ)⁻¹ are closed forms in θ₁ (see
    :func:`_first_block_2x2`), applied through the pair operator of F.
    """
    sync_classical_blocks(cp)
    k1 = cp.k1
    dense_P = getattr(cp, "P_dense", None)
    key = theta[cp.layout.slices[0]].tobytes()
    if k1 > 2 or (cp.mode == "dense" and dense_P is None):
        if cp.nested is None:
            return profiled_deviance(cp, factorize(cp, theta), REML)
        fb = _first_block(cp, theta)
        ldL2_rest, ldRX2, pwrss = _factor_trailing_nested(cp, _schur(cp, fb, key), theta)
        return _profiled(cp, fb.ld11 + ldL2_rest, ldRX2, pwrss, REML)
    if k1 == 1:
        det = (float(theta[0]) ** 2) * cp.A11_flat[0] + 1.0
        omega = 1.0 / det
    else:
        a, b, c = float(theta[0]), float(theta[1]), float(theta[2])
        u0, u1, v0, v1, det = _first_block_2x2(cp, a, b, c)
        # Ω = (I + adj(B)ᵀ adj(B))/det, adj(B) = [[v1, −v0], [−u1, u0]]; entries (00, 01, 11)
        omega = np.concatenate([(1.0 + u1 * u1 + v1 * v1) / det, -(v0 * v1 + u0 * u1) / det,
                                (1.0 + u0 * u0 + v0 * v0) / det])
    ld11 = float(np.log(det).sum())
    if cp._pair_cache is not None and cp._pair_cache[0] == key:
        update = cp._pair_cache[1]
    else:
        update = cp.P @ omega if dense_P is None else dense_P @ omega
        cp._pair_cache = (key, update)
    if dense_P is not None:
        S = cp.E + update.reshape(cp.m, cp.m)
    else:
        S = cp.E.copy()
        S.ravel()[cp.P_rows] += update
    if cp.nested is not None:
        ldL2_rest, ldRX2, pwrss = _factor_trailing_nested(cp, S, theta)
    else:
        _, ldL2_rest, ldRX2, pwrss = _factor_trailing(cp, S, theta, full=dense_P is not None)
    return _profiled(cp, ld11 + ldL2_rest, ldRX2, pwrss, REML)


def _factor_trailing_nested(cp: CrossProducts, S: np.ndarray, theta: np.ndarray) -> tuple[float, float, float]:
    """:func:`_factor_trailing`'s numbers for a block-diagonal Z₂ block (``cp.nested``).

    With M_h = T₂ᵀ S_hh T₂ + I = L_h L_hᵀ per level h of term 2 and C_h = S_Xh T₂, the
    X/y block's Schur complement is S_XX − Σ_h (C_h L_h⁻ᵀ)(C_h L_h⁻ᵀ)ᵀ, factored densely.
    Only the lower triangle of S is read.
    """
    nb = cp.nested
    T2 = cp.layout.factors(theta)[1]
    q2, m = cp.q2, cp.m
    p1 = m - q2
    B = S[nb.rows, nb.cols]  # (L2, k2, k2) diagonal blocks
    SXZ = np.asarray(S[q2:, :q2]).reshape(p1, nb.L, nb.k)
    if nb.k == 1:
        t = float(T2[0, 0])
        l = np.sqrt((t * t) * B[:, 0, 0] + 1.0)
        ldL2_rest = 2.0 * float(np.log(l).sum())
        Wt = (SXZ[:, :, 0] * (t / l)).T  # (L2, p1)
    else:
        M = np.matmul(np.matmul(T2.T, B), T2)
        idx = np.arange(nb.k)
        M[:, idx, idx] += 1.0
        L = np.linalg.cholesky(M)
        ldL2_rest = 2.0 * float(np.log(np.diagonal(L, axis1=1, axis2=2)).sum())
        C = np.matmul(np.swapaxes(SXZ, 0, 1), T2)  # (L2, p1, k2)
        Wt = np.linalg.solve(L, np.swapaxes(C, 1, 2)).reshape(nb.q, p1)  # rows (h, j): (C_h L_h⁻ᵀ)ᵀ
    SX = np.tril(S[q2:, q2:]) - Wt.T @ Wt
    LX, info = lapack.dpotrf(SX, lower=1, clean=0, overwrite_a=1)
    if info != 0 and info != p1:
        raise np.linalg.LinAlgError(
            f"the cross-product matrix is not positive definite at θ = {theta} (pivot {q2 + info}); "
            "the fixed-effects model matrix may be rank deficient")
    diag = LX.diagonal()
    ldRX2 = 2.0 * float(np.log(diag[: p1 - 1]).sum())
    pwrss = float(diag[p1 - 1]) ** 2 if info == 0 else 0.0
    return ldL2_rest, ldRX2, pwrss


def _first_block_2x2(cp: CrossProducts, a: float, b: float, c: float) -> tuple[np.ndarray, ...]:
    """For T = [[a, 0], [b, c]]: B_g = R_g T = [[u₀, v₀], [u₁, v₁]] and det M_g per level.

    det(BᵀB + I) = 1 + ‖B‖_F² + det(B)² for 2×2 B, with det B = r₀₀ r₁₁ a c: all terms
    non-negative, so the log-determinant keeps full relative precision on badly scaled
    or nearly collinear columns (expanding det M = m₀₀m₁₁ − m₁₀² cancelled: issue 9).
    """
    r00, r01, r11, det_A = cp.R11
    u0 = r00 * a + r01 * b
    u1 = r11 * b
    v0 = r01 * c
    v1 = r11 * c
    det = 1.0 + u0 * u0 + u1 * u1 + v0 * v0 + v1 * v1 + ((a * c) ** 2) * det_A
    return u0, u1, v0, v1, det


def _schur(cp: CrossProducts, fb: _FirstBlock, key: bytes = b"") -> np.ndarray:
    """E + Σ_g F_gᵀ Ω_g F_g (lower triangle valid), by the design's chosen method.

    The added term depends on θ only through term 1 (``key``), so it is kept and
    reused when a step moves only the later terms' θ.
    """
    if cp._schur_cache is not None and cp._schur_cache[0] == key:
        update = cp._schur_cache[1]
    else:
        update = _schur_update(cp, fb)
        cp._schur_cache = (key, update)
    if cp.mode == "dense":
        return cp.E + update
    S = cp.E.copy()
    S.ravel()[cp.P_rows] += update
    return S


def _schur_update(cp: CrossProducts, fb: _FirstBlock) -> np.ndarray:
    """Σ_g F_gᵀ Ω_g F_g: dense (lower triangle valid) or its values at ``cp.P_rows``."""
    if cp.mode == "dense":
        if cp.k1 > 1 and cp.Ft.size > _CHUNKED_FROM:
            return _schur_update_chunked(cp, fb)
        if cp.k1 == 1:
            Y = cp.Ft[:, 0, :] * fb.G[:, 0, :]
        else:
            Y = np.matmul(fb.G, cp.Ft).reshape(-1, cp.m)
        if Y.shape[0] * cp.m < 100_000:
            return Y.T @ Y
        # Y is C-contiguous, so Y.T is Fortran-ordered: syrk without a copy
        return blas.dsyrk(1.0, Y.T, lower=1)
    if cp.k1 == 1:
        w = fb.G[:, 0, 0] ** 2
    else:
        W = np.swapaxes(fb.G, 1, 2) @ fb.G
        w = W[:, cp._ab[0], cp._ab[1]].T.ravel()
    return cp.P @ w


#: dense A₂₁ rows (entries of F) from which the dense Schur update is accumulated in chunks
#: of levels: one n-row-sized Y = G F per evaluation cost 640 MB on issue 19's 4M-row design
_CHUNKED_FROM = 50_000_000
_CHUNK_ENTRIES = 4_000_000


def _schur_update_chunked(cp: CrossProducts, fb: _FirstBlock) -> np.ndarray:
    """:func:`_schur_update`'s dense branch, Σ_g F_gᵀ Ω_g F_g by syrk over chunks of levels.

    Each chunk's Y_c = G_c F_c (a few tens of MB) is added into one Fortran-ordered lower
    triangle (dsyrk with β = 1), so no temporary the size of F is formed per evaluation.
    """
    step = max(1, _CHUNK_ENTRIES // (cp.k1 * cp.m))
    S = None
    for g0 in range(0, cp.L1, step):
        Y = np.matmul(fb.G[g0 : g0 + step], cp.Ft[g0 : g0 + step]).reshape(-1, cp.m)
        if S is None:
            S = blas.dsyrk(1.0, Y.T, lower=1)
        else:
            S = blas.dsyrk(1.0, Y.T, beta=1.0, c=S, lower=1, overwrite_c=1)
    return S


def profiled_deviance(cp: CrossProducts, f: PLSFactor, REML: bool) -> float:
    """The profiled deviance (ML) or REML criterion of Bates et al. (2015), eqns. 34 and 41."""
    return _profiled(cp, f.ldL2, f.ldRX2, f.pwrss, REML)


def _profiled(cp: CrossProducts, ldL2: float, ldRX2: float, pwrss: float, REML: bool) -> float:
    n = cp.n
    if REML:
        nmp = n - cp.p
        return ldL2 + ldRX2 + nmp * (1.0 + np.log(_2PI * pwrss / nmp)) - cp.log_det_W
    return ldL2 + n * (1.0 + np.log(_2PI * pwrss / n)) - cp.log_det_W


@dataclass
class PLSSolution:
    """β̂, the spherical modes û and b̂ = Λ û at θ, with the blocks needed afterwards."""

    beta: np.ndarray
    u: np.ndarray
    b: np.ndarray
    RX: np.ndarray  # (p, p) lower-triangular L_XX: vcov(β) = σ² (L_XX L_XXᵀ)⁻¹


def solve(cp: CrossProducts, f: PLSFactor, a21_times_d: Callable | None = None) -> PLSSolution:
    """Back-substitute for β̂ and û from the last row of L (the [X y] trick).

    ``a21_times_d(cp, f)`` gives the dense A₂₁D (m × q₁); by default from the row-based
    form (:func:`_A21_times_D` on ``f.RD``).  PIRLS's classical blocks pass their own
    (:mod:`mixedlab.glm._pls_blocks`): the back-substitution after it is the same.
    """
    m, q2, p = cp.m, cp.q2, cp.p
    k1, L1 = cp.k1, cp.L1
    L22 = np.tril(f.L22)
    # last row of L: [c₁ | c₂ c_β | √r²]; c₁ = (A₂₁D)[y] since Λ₂ is 1 on y
    Bfull = _apply_lambda2_rows(cp, f.theta, (a21_times_d or _row_based_A21_times_D)(cp, f))
    c1 = Bfull[m - 1]
    c2 = L22[m - 1, : m - 1]
    # Lᵀ [u₁; u₂; β] = [c₁; c₂; c_β], upper-triangular solve, trailing block first
    v = solve_triangular(L22[: m - 1, : m - 1], c2, lower=True, trans="T") if m > 1 else np.empty(0)
    rhs1 = (c1 - Bfull[: m - 1].T @ v).reshape(L1, k1)
    u1 = np.linalg.solve(np.swapaxes(f.L11, 1, 2), rhs1[:, :, None])[:, :, 0].ravel()
    u = np.concatenate([u1, v[:q2]])
    beta = v[q2 : q2 + p] + cp.beta_shift
    b = _lambda_times(cp, f.theta, u)
    RX = L22[q2 : q2 + p, q2 : q2 + p]
    return PLSSolution(beta=beta, u=u, b=b, RX=RX)


def _row_based_A21_times_D(cp: CrossProducts, f: PLSFactor) -> np.ndarray:
    return _A21_times_D(cp, f.RD)


def _A21_times_D(cp: CrossProducts, RD: np.ndarray) -> np.ndarray:
    """Dense A₂₁ D (m × q₁) = Σ_g F_gᵀ (R_g D_g), computed once at the optimum."""
    if cp.mode == "dense":
        if cp.k1 == 1:
            return (cp.Ft[:, 0, :] * RD[:, 0, :]).T
        return np.matmul(np.swapaxes(RD, 1, 2), cp.Ft).reshape(-1, cp.m).T
    cp._D.data[:] = RD.ravel()
    return np.asarray((cp.F_sparse @ cp._D).todense())


def _lambda_times(cp: CrossProducts, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """b = Λ_θ u, term by term (each level's k-vector times T_t)."""
    out = np.empty_like(u)
    off = 0
    for T, shape in zip(cp.layout.factors(theta), cp.shapes):
        seg = u[off : off + shape.q].reshape(shape.n_levels, shape.k)
        out[off : off + shape.q] = (seg @ T.T).ravel()
        off += shape.q
    return out


def _apply_lambda2_rows(cp: CrossProducts, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Return Λ₂ᵀ M for the trailing block's rows (terms 2..T; X and y rows unchanged)."""
    Ts = cp.layout.factors(theta)[1:]
    out = M.copy()
    for T, shape, off in zip(Ts, cp.shapes[1:], cp.rest_offsets):
        blk = slice(off, off + shape.q)
        rows = M[blk].reshape(shape.n_levels, shape.k, -1)
        out[blk] = np.einsum("ji,ljm->lim", T, rows).reshape(shape.q, -1)
    return out


def conditional_variances(cp: CrossProducts, f: PLSFactor, a21_times_d: Callable | None = None) -> list[np.ndarray]:
    """Diagonal blocks of Λ (L_θ L_θᵀ)⁻¹ Λᵀ per term, shape (levels, k, k), unscaled by σ².

    ``a21_times_d`` as in :func:`solve`.

    L_θ is the leading q×q part of L (the factor of Λᵀ ZᵀWZ Λ + I).  With
    L_θ⁻¹ = [[L₁₁⁻¹, 0], [−L₂₂⁻¹ L₂₁ L₁₁⁻¹, L₂₂⁻¹]] the diagonal blocks of
    L_θ⁻ᵀ L_θ⁻¹ are sums of squares of the columns of L_θ⁻¹.
    """
    q2, k1, L1 = cp.q2, cp.k1, cp.L1
    L22 = np.tril(f.L22[:q2, :q2])
    L11inv = np.linalg.inv(f.L11)  # (L1, k1, k1)
    blocks: list[np.ndarray] = []
    # term 1: L₁₁_g⁻ᵀ L₁₁_g⁻¹ + F_gᵀ F_g with F = L₂₂⁻¹ L₂₁ L₁₁⁻¹
    V1 = np.swapaxes(L11inv, 1, 2) @ L11inv
    if q2 > 0:
        L21 = _apply_lambda2_rows(cp, f.theta, (a21_times_d or _row_based_A21_times_D)(cp, f))[:q2]
        E = solve_triangular(L22, L21, lower=True)  # q2 × q1
        F = np.einsum("rgi,gij->rgj", E.reshape(q2, L1, k1), L11inv)
        V1 = V1 + np.einsum("rgi,rgj->gij", F, F)
        L22inv = solve_triangular(L22, np.eye(q2), lower=True)
    Ts = cp.layout.factors(f.theta)
    blocks.append(Ts[0] @ V1 @ Ts[0].T)
    for T, shape, off in zip(Ts[1:], cp.shapes[1:], cp.rest_offsets):
        cols = L22inv[:, off : off + shape.q].reshape(q2, shape.n_levels, shape.k)
        V = np.einsum("rgi,rgj->gij", cols, cols)
        blocks.append(T @ V @ T.T)
    return blocks
