"""The analytic gradient of the profiled criterion with respect to θ.

With Ã(θ) = Λ̃ᵀ A Λ̃ + J (module :mod:`mixedlab.linear._pls`), K the leading block of Ã
without the y row (q + p rows) and the spherical modes û at β̂(θ), the two parts of the
profiled criterion differentiate as follows (dΛ_k = ∂Λ/∂θ_k, C_k = Λ⁻¹ dΛ_k):

* log-determinant (REML: log|K| = log|L_θ|² + log|R_X|²; ML: log|M|, M = ΛᵀAΛ + I):
  ∂ log|K| = tr(K⁻¹ ∂K) = 2 tr(K⁻¹ Λ̃ᵀ A dΛ̃), and since Λ̃ᵀAΛ̃ = K − J,
  K⁻¹ Λ̃ᵀ A dΛ̃ = (I − K⁻¹ J) C, so ∂ log|K| = 2 [tr C_k − tr(V C_k)] with V the q×q
  block of K⁻¹ (ML: V = M⁻¹), the unscaled conditional covariance of the spherical u;
* penalised residual sum of squares r²(θ) = min over (u, β): by the envelope theorem only
  the explicit θ dependence counts, and the PLS normal equations Λᵀ Zᵀ W r = û turn
  ∂r² = −2 rᵀ W Z dΛ û into ∂r² = −2 ûᵀ C_k û.

Hence (Bates et al. 2015, eqns. 34 and 41 differentiated; n′ = n − p for REML, n for ML)

    ∂d/∂θ_k = 2 [tr C_k − tr(V C_k) − (n′/r²) ûᵀ C_k û].

Λ is block diagonal with one k×k factor T_t per level, so for θ_k = (T_t)_ij
C_k is T_t⁻¹ E_ij on every level of term t, and the three traces collapse into one k×k
matrix per term:

    ∂d/∂(T_t)_ij = 2 (H_t T_t⁻¹)_ji,    H_t = ℓ_t I − Σ_g V_g − (n′/r²) Σ_g û_g û_gᵀ,

which needs only the sums over levels of the diagonal blocks V_g of K⁻¹.

Where some T_t is singular (a θ diagonal at its bound) the formula is a limit that
T_t⁻¹ cannot give; there those components come from central differences of the
criterion, which is defined on both sides of the bound.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from mixedlab.linear._pls import (
    CrossProducts,
    PLSFactor,
    _rotate_blocks,
    criterion,
    factorize,
    profiled_deviance,
    solve_triangular,
)

__all__ = ["criterion_and_gradient", "variance_sums", "spherical_modes"]

#: a factor whose smallest |diagonal| relative to its largest falls below this is treated as
#: singular (its gradient components are taken from central differences of the criterion)
_SINGULAR_RATIO = 1e-10
#: the central-difference step for those components
_FD_STEP = 1e-6


def _level_quadratic_forms(cp: CrossProducts, X: np.ndarray) -> np.ndarray:
    """N_g = F_g X F_gᵀ for every level g of term 1 (X symmetric m×m); shape (L₁, k₁, k₁).

    In the pair route this is the transpose of the Schur term's pair operator applied to
    X's lower triangle (each pair's coefficient counts an off-diagonal position once for
    a ≠ b and, for a = b, half of its two mirror images), so it costs one pass over the
    pairs, as an evaluation does.
    """
    k1, L1 = cp.k1, cp.L1
    if cp.mode == "dense":
        N = np.empty((L1, k1, k1))
        step = max(1, 4_000_000 // (k1 * cp.m))
        for g0 in range(0, L1, step):
            Fg = cp.Ft[g0 : g0 + step]
            # one GEMM over the chunk's rows (a batched matmul against the broadcast X would
            # re-read all of X for every level), then the small k₁ × k₁ products per level
            FX = (Fg.reshape(-1, cp.m) @ X).reshape(Fg.shape)
            N[g0 : g0 + step] = np.matmul(FX, np.swapaxes(Fg, 1, 2))
        return N
    r, c = np.divmod(cp.P_rows, cp.m)
    x = X[r, c] * np.where(r == c, 0.5, 1.0)
    w = (cp.P.T @ x).reshape(-1, L1)  # rows: the pairs a ≤ b, entry-major as in P
    N = np.empty((L1, k1, k1))
    ia, ib = np.triu_indices(k1)
    for t, (a, b) in enumerate(zip(ia, ib)):
        if a == b:
            N[:, a, a] = 2.0 * w[t]
        else:
            N[:, a, b] = N[:, b, a] = w[t]
    return N


def _term1_times(cp: CrossProducts, z: np.ndarray) -> np.ndarray:
    """F_g z for every level (z an m-vector); shape (L₁, k₁)."""
    if cp.mode == "dense":
        return cp.Ft @ z
    return (cp.F_sparse.T @ z).reshape(cp.L1, cp.k1)


def spherical_modes(cp: CrossProducts, f: PLSFactor) -> np.ndarray:
    """û at θ (all terms, lme4's order), by back-substitution without the dense L₂₁.

    As :func:`mixedlab.linear._pls.solve`: v = L₂₂⁻ᵀ c₂ gives [û₂; β̂], then
    û₁_g = L₁₁_g⁻ᵀ L₂₁_gᵀ [−v; 1] with L₂₁_gᵀ z = (R_g D_g)ᵀ F_g Λ₂ z.
    """
    m, q2 = cp.m, cp.q2
    L22 = f.L22
    v = solve_triangular(np.tril(L22[: m - 1, : m - 1]), L22[m - 1, : m - 1], lower=True, trans="T") \
        if m > 1 else np.empty(0)
    z = np.concatenate([-v, [1.0]])
    for T, shape, off in zip(cp.layout.factors(f.theta)[1:], cp.shapes[1:], cp.rest_offsets):
        blk = slice(off, off + shape.q)
        z[blk] = (z[blk].reshape(shape.n_levels, shape.k) @ T.T).ravel()
    h = _term1_times(cp, z)  # (L₁, k₁)
    rhs = np.einsum("gab,ga->gb", f.RD, h)
    u1 = np.linalg.solve(np.swapaxes(f.L11, 1, 2), rhs[:, :, None])[:, :, 0].ravel()
    return np.concatenate([u1, v[:q2]])


def variance_sums(cp: CrossProducts, f: PLSFactor, REML: bool) -> list[np.ndarray]:
    """Σ_g V_g for every term: the sums over levels of the diagonal blocks of V.

    V is the q×q block of K⁻¹ (REML, X's rows included) or of M⁻¹ (ML).  With the blocked
    factor L = [[L₁₁, 0], [L₂₁, L₂₂]] and L₂₂ cut to the rows kept (q₂, or q₂ + p),
    S⁻¹ = (L₂₂ L₂₂ᵀ)⁻¹ gives the later terms' blocks directly, and term 1's are
    L₁₁_g⁻ᵀ L₁₁_g⁻¹ + Y_gᵀ N_g Y_g with Y_g = R_g D_g L₁₁_g⁻¹ and
    N_g = F_g Λ₂ S⁻¹ Λ₂ᵀ F_gᵀ (since L₂₁_g = Λ₂ᵀ F_gᵀ R_g D_g).
    """
    q2 = cp.q2
    keep = cp.m - 1 if REML else q2
    L11inv = np.linalg.inv(f.L11)  # (L1, k1, k1)
    V1 = np.einsum("gji,gjl->il", L11inv, L11inv)
    if keep == 0:
        return [V1]
    # S⁻¹ from the factor in one LAPACK call (dpotri: the lower triangle of (L Lᵀ)⁻¹)
    inv, info = lapack.dpotri(f.L22[:keep, :keep], lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"the trailing factor is singular (dpotri info {info})")
    Sinv = np.zeros((cp.m, cp.m))
    Sinv[:keep, :keep] = np.tril(inv)
    Sinv[:keep, :keep] += np.tril(inv, -1).T
    # Λ₂ S⁻¹ Λ₂ᵀ on a copy: the later terms' sums below read S⁻¹ itself
    N = _level_quadratic_forms(cp, _rotate_blocks(cp, Sinv.copy(), f.theta, transpose=True))
    Y = np.matmul(f.RD, L11inv)
    sums = [V1 + np.einsum("gai,gab,gbj->ij", Y, N, Y)]
    for shape, off in zip(cp.shapes[1:], cp.rest_offsets):
        blocks = Sinv[off : off + shape.q, off : off + shape.q]
        idx = np.arange(shape.n_levels)[:, None] * shape.k + np.arange(shape.k)[None, :]
        sums.append(blocks[idx[:, :, None], idx[:, None, :]].sum(axis=0))
    return sums


def criterion_and_gradient(cp: CrossProducts, theta: np.ndarray, REML: bool) -> tuple[float, np.ndarray]:
    """The profiled criterion at θ and its gradient (module docstring), in θ's layout."""
    theta = np.asarray(theta, dtype=float)
    f = factorize(cp, theta)
    fval = float(profiled_deviance(cp, f, REML))
    u_all = spherical_modes(cp, f)
    nprime = cp.n - cp.p if REML else cp.n
    s = nprime / f.pwrss
    Vs = variance_sums(cp, f, REML)
    grad = np.empty(cp.layout.n_theta)
    fd_terms = []
    off = 0
    for t, (T, shape, sl, rows, cols) in enumerate(zip(cp.layout.factors(theta), cp.shapes, cp.layout.slices,
                                                       cp.layout.tri_rows, cp.layout.tri_cols)):
        u = u_all[off : off + shape.q].reshape(shape.n_levels, shape.k)
        off += shape.q
        d = np.abs(np.diagonal(T))
        if d.min() <= _SINGULAR_RATIO * max(d.max(), 1.0):
            fd_terms.append(sl)
            continue
        H = shape.n_levels * np.eye(shape.k) - Vs[t] - s * (u.T @ u)
        G = H @ solve_triangular(T, np.eye(shape.k), lower=True)
        grad[sl] = 2.0 * G[cols, rows]
    for sl in fd_terms:
        for i in range(sl.start, sl.stop):
            tp, tm = theta.copy(), theta.copy()
            tp[i] += _FD_STEP
            tm[i] -= _FD_STEP
            grad[i] = (criterion(cp, tp, REML) - criterion(cp, tm, REML)) / (2.0 * _FD_STEP)
    return fval, grad
