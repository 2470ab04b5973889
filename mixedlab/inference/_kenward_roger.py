"""Kenward–Roger's adjusted covariance and degrees of freedom, through the model's structure.

pbkrtest 0.5.2 (``R/KR_vcovAdj.R: vcovAdj_internal``, ``R/KR_Sigma_G2.R: .get_SigmaG``,
``R/KR_modcomp.R: .KR_adjust``, ``Lb_ddf``) writes the marginal covariance as
``Σ = Σ_r γ_r G_r``: one γ per element of the lower triangle of each term's covariance
(θ's order) with ``G_r = Z_t (I ⊗ E_r) Z_tᵀ`` (E_r the 0/1 pattern of that element), and
σ² with ``G = I``. With ``Φ = vcov(β̂)`` it needs

    P_r  = −Xᵀ Σ⁻¹ G_r Σ⁻¹ X,   Q_rs = Xᵀ Σ⁻¹ G_r Σ⁻¹ G_s Σ⁻¹ X,   K_rs = tr(G_r Σ⁻¹ G_s Σ⁻¹),
    IE2  = K − 2 tr(Φ Q) + tr(Φ P_r Φ P_s),   W = 2 IE2⁻¹,
    U    = Σ_rs W_rs (Q_rs − P_r Φ P_s),       Φ_A = Φ + 2 Φ U Φ          (Kenward & Roger 1997)

and pbkrtest forms the dense n × n Σ and inverts it: O(n³) time, O(n²) memory. Here every
product goes through Woodbury's identity with the random-effects dimension q instead.
With B = ZΛ (Λ the relative covariance factor), Σ = σ²(I + BBᵀ) and S = BᵀB + I = ΛᵀZᵀZΛ + I
(the PLS system of the linear engine),

    V⁻ʲ = I − B (S⁻¹ + … + S⁻ʲ) Bᵀ     (j = 1, 2, 3; the push-through identity),

so ZᵀV⁻ʲZ, ZᵀV⁻ʲX, XᵀV⁻ʲX and tr(V⁻²) = n − q + ‖S⁻¹‖²_F need only ZᵀZ, ZᵀX, XᵀX (the
engine's θ-independent cross-products) and one q × q Cholesky factor: O(q³ + q²p) time,
O(q²) memory, independent of n. Traces with the G_r reduce to sums over each term's k × k
blocks. Prior weights are whitened into the cross-products, so the residual's G is W⁻¹
(pbkrtest 0.5.2 uses the identity there, i.e. ignores prior weights; without weights the
two agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.stats import f as f_dist

from mixedlab.linear._crossprod import CrossProducts

__all__ = ["KRAdjusted", "vcov_adjusted", "kr_ddf_1d", "kr_ftest", "KRFTest", "design_blocks"]


@dataclass
class KRAdjusted:
    """pbkrtest's ``vcovAdj`` result: Φ_A with its attributes ``P`` and ``W``.

    Attributes
    ----------
    phi_adj
        The adjusted covariance of β̂ (Φ_A).
    phi
        The unadjusted covariance Φ = vcov(β̂).
    P
        The matrices P_r (one per variance parameter, σ² last).
    W
        2 IE2⁻¹ (the covariance of the variance parameters).
    condition
        Smallest |eigenvalue| of IE2 (pbkrtest's ``condi``).
    """

    phi_adj: np.ndarray
    phi: np.ndarray
    P: list[np.ndarray]
    W: np.ndarray
    condition: float


def design_blocks(cp: CrossProducts, dense_H: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """ZᵀWZ (q × q), ZᵀWX (q × p) and XᵀWX (p × p), dense, from the engine's cross-products.

    ``dense_H=False`` skips ZᵀWZ (returned as None) when only the other two are needed.

    The first term's block ZᵀWZ₁₁ is block diagonal (``cp.A11``); its cross-products with the
    other terms and X are ``A₂₁``; everything else is the trailing block ``A₂₂``.
    """
    q1 = cp.shapes[0].q
    q2, p, k1, L1 = cp.q2, cp.p, cp.k1, cp.L1
    q = q1 + q2
    if cp.mode == "dense":
        A21 = cp.A21t.reshape(q1, cp.m).T  # m × q1
    else:
        A21 = cp.A21_sparse.toarray()
    ZX = np.empty((q, p))
    ZX[:q1] = A21[q2 : q2 + p].T
    ZX[q1:] = cp.A22[:q2, q2 : q2 + p]
    XX = np.array(cp.A22[q2 : q2 + p, q2 : q2 + p], dtype=float)
    if not dense_H:
        return None, ZX, XX
    H = np.zeros((q, q))
    idx = np.arange(L1)[:, None, None] * k1
    rows = np.broadcast_to(idx + np.arange(k1)[None, :, None], (L1, k1, k1)).ravel()
    cols = np.broadcast_to(idx + np.arange(k1)[None, None, :], (L1, k1, k1)).ravel()
    H[rows, cols] = cp.A11.ravel()
    H[q1:, :q1] = A21[:q2]
    H[:q1, q1:] = A21[:q2].T
    H[q1:, q1:] = cp.A22[:q2, :q2]
    return H, ZX, XX


def _term_offsets(cp: CrossProducts) -> list[int]:
    out, off = [], 0
    for sh in cp.shapes:
        out.append(off)
        off += sh.q
    return out


def _lambda_t_rows(cp: CrossProducts, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Λᵀ M: each term's rows, level by level, multiplied by T_tᵀ."""
    out = np.empty_like(M)
    for T, sh, off in zip(cp.layout.factors(theta), cp.shapes, _term_offsets(cp)):
        blk = M[off : off + sh.q].reshape(sh.n_levels, sh.k, -1)
        out[off : off + sh.q] = np.einsum("ba,gbm->gam", T, blk).reshape(sh.q, -1)
    return out


def _params(cp: CrossProducts) -> list[tuple[int, np.ndarray]]:
    """The variance parameters of the random terms: (term, 0/1 pattern E_r), θ's order."""
    params = []
    for t, sh in enumerate(cp.shapes):
        for i, j in zip(cp.layout.tri_rows[t], cp.layout.tri_cols[t]):
            E = np.zeros((sh.k, sh.k))
            E[i, j] = E[j, i] = 1.0
            params.append((t, E))
    return params


def _pieces_one_term(cp: CrossProducts, theta: np.ndarray, s2: float, params) -> tuple[list, dict, np.ndarray]:
    """P, Q, K for a single random-effects term: everything is block diagonal by level.

    With one grouping factor ZᵀWZ, S = ΛᵀZᵀWZΛ + I and hence ZᵀV⁻ʲZ are block diagonal with
    k × k blocks, so every product is a sum over levels: O(L k³ + L k² p).
    """
    n, p, k, L = cp.n, cp.p, cp.k1, cp.L1
    _, ZX, XX = design_blocks(cp, dense_H=False)
    T = cp.layout.factors(theta)[0]
    A = cp.A11  # (L, k, k)
    Zg = ZX.reshape(L, k, p)
    C = np.einsum("ba,gbc->gac", T, A)  # Tᵀ A_g
    S = np.einsum("gab,bc->gac", C, T)
    S = 0.5 * (S + np.swapaxes(S, 1, 2))
    S[:, np.arange(k), np.arange(k)] += 1.0
    Sinv = np.linalg.inv(S)
    Wg = np.einsum("ba,gbm->gam", T, Zg)  # Tᵀ ZX_g
    R1 = Sinv @ C
    RW = Sinv @ Wg
    M1 = A - np.swapaxes(C, 1, 2) @ R1
    M1 = 0.5 * (M1 + np.swapaxes(M1, 1, 2))
    Z1 = Zg - np.swapaxes(C, 1, 2) @ RW
    Z2 = Z1 - np.swapaxes(R1, 1, 2) @ RW
    X1 = XX - np.einsum("gam,gan->mn", Wg, RW)
    X2 = X1 - np.einsum("gam,gan->mn", RW, RW)
    X3 = X2 - np.einsum("gam,gab,gbn->mn", RW, Sinv, RW)
    M2 = M1 - np.swapaxes(R1, 1, 2) @ R1
    tr_v2 = n - L * k + float(np.sum(Sinv * Sinv))
    ng = len(params) + 1
    R = ng - 1
    Yhat = [np.einsum("ab,gbm->gam", E, Z1) for _, E in params]
    P = [-np.einsum("gam,gan->mn", Z1, Y) / s2**2 for Y in Yhat] + [-X2 / s2**2]
    Q: dict[tuple[int, int], np.ndarray] = {}
    K = np.empty((ng, ng))
    for r, (_, Er) in enumerate(params):
        EM = Er @ M1  # (L, k, k)
        for s_ in range(r, len(params)):
            Es = params[s_][1]
            Q[(r, s_)] = np.einsum("gam,gab,gbn->mn", Yhat[r], M1, Yhat[s_]) / s2**3
            K[r, s_] = K[s_, r] = float(np.einsum("gab,gba->", EM, Es @ M1)) / s2**2
        Q[(r, R)] = np.einsum("gam,gan->mn", Yhat[r], Z2) / s2**3
        K[r, R] = K[R, r] = float(np.einsum("ab,gba->", Er, M2)) / s2**2
    Q[(R, R)] = X3 / s2**3
    K[R, R] = tr_v2 / s2**2
    return P, Q, K


def _pieces_dense(cp: CrossProducts, theta: np.ndarray, s2: float, params) -> tuple[list, dict, np.ndarray]:
    """P, Q, K through one dense q × q factor of S (several random-effects terms)."""
    n, p = cp.n, cp.p
    H, ZX, XX = design_blocks(cp)
    q = H.shape[0]
    C = _lambda_t_rows(cp, theta, H)  # ΛᵀH
    S = _lambda_t_rows(cp, theta, C.T).T  # ΛᵀHΛ (H symmetric)
    S = 0.5 * (S + S.T)
    S[np.diag_indices(q)] += 1.0
    cf = sla.cho_factor(S, lower=True, check_finite=False)
    Sinv = sla.cho_solve(cf, np.eye(q), check_finite=False)
    Wm = _lambda_t_rows(cp, theta, ZX)  # ΛᵀZᵀX
    R1 = Sinv @ C
    RW = Sinv @ Wm
    M1 = H - C.T @ R1
    M1 = 0.5 * (M1 + M1.T)
    Z1 = ZX - C.T @ RW
    Z2 = Z1 - R1.T @ RW
    X1 = XX - Wm.T @ RW
    X2 = X1 - RW.T @ RW
    X3 = X2 - RW.T @ (Sinv @ RW)
    tr_v2 = n - q + float(np.sum(Sinv * Sinv))
    offs = _term_offsets(cp)
    ng = len(params) + 1
    R = ng - 1

    def rows(t: int) -> slice:
        return slice(offs[t], offs[t] + cp.shapes[t].q)

    Yhat = []  # (I ⊗ E_r) Z1_t, q_t × p
    for t, E in params:
        sh = cp.shapes[t]
        Z1t = Z1[rows(t)].reshape(sh.n_levels, sh.k, p)
        Yhat.append(np.einsum("ab,gbm->gam", E, Z1t).reshape(sh.q, p))
    P: list[np.ndarray] = []
    for r, (t, _) in enumerate(params):
        P.append(-(Z1[rows(t)].T @ Yhat[r]) / s2**2)
    P.append(-X2 / s2**2)
    Q: dict[tuple[int, int], np.ndarray] = {}
    K = np.empty((ng, ng))
    M2diag = []  # diagonal blocks of M2 = ZᵀV⁻²Z, for the traces with the residual's G
    for t, sh in enumerate(cp.shapes):
        rt = rows(t)
        blk = M1[rt, rt] - R1[:, rt].T @ R1[:, rt]
        idx = np.arange(sh.n_levels)
        b4 = blk.reshape(sh.n_levels, sh.k, sh.n_levels, sh.k)
        M2diag.append(b4[idx, :, idx, :])  # (L, k, k)
    # per pair of terms: T4[b,c,a,d] = Σ_gh B[g,b,h,c] B[g,a,h,d], B = M1[t,u] in blocks
    T4: dict[tuple[int, int], np.ndarray] = {}
    for r, (t, Er) in enumerate(params):
        for s_ in range(r, len(params)):
            u, Es = params[s_]
            Q[(r, s_)] = (Yhat[r].T @ (M1[rows(t), rows(u)] @ Yhat[s_])) / s2**3
            key = (t, u)
            if key not in T4:
                B = M1[rows(t), rows(u)].reshape(cp.shapes[t].n_levels, cp.shapes[t].k,
                                                 cp.shapes[u].n_levels, cp.shapes[u].k)
                T4[key] = np.einsum("gbhc,gahd->bcad", B, B, optimize=True)
            K[r, s_] = K[s_, r] = float(np.einsum("ab,cd,bcad->", Er, Es, T4[key])) / s2**2
        Q[(r, R)] = (Yhat[r].T @ Z2[rows(t)]) / s2**3
        K[r, R] = K[R, r] = float(np.einsum("ab,gba->", Er, M2diag[t])) / s2**2
    Q[(R, R)] = X3 / s2**3
    K[R, R] = tr_v2 / s2**2
    return [0.5 * (Pi + Pi.T) for Pi in P], Q, K


def vcov_adjusted(cp: CrossProducts, theta: np.ndarray, sigma: float, phi: np.ndarray) -> KRAdjusted:
    """pbkrtest's ``vcovAdj``: Kenward–Roger's adjusted covariance of β̂ (see the module docstring).

    Parameters
    ----------
    cp
        The model's cross-products.
    theta, sigma
        The REML estimates.
    phi
        vcov(β̂) at the estimates (pbkrtest uses lme4's ``vcov``).
    """
    theta = np.asarray(theta, dtype=float)
    phi = np.asarray(phi, dtype=float)
    s2 = float(sigma) ** 2
    p = cp.p
    params = _params(cp)
    if len(cp.shapes) == 1:
        P, Q, K = _pieces_one_term(cp, theta, s2, params)
        P = [0.5 * (Pi + Pi.T) for Pi in P]
    else:
        P, Q, K = _pieces_dense(cp, theta, s2, params)
    ng = len(params) + 1
    IE2 = np.empty((ng, ng))
    for i in range(ng):
        phi_p_i = phi @ P[i]
        for j in range(i, ng):
            IE2[i, j] = IE2[j, i] = (K[i, j] - 2.0 * float(np.sum(phi * Q[(i, j)]))
                                     + float(np.sum(phi_p_i * (P[j] @ phi))))
    ev = np.linalg.eigvalsh(IE2)
    condi = float(np.min(np.abs(ev)))
    W = 2.0 * (np.linalg.solve(IE2, np.eye(ng)) if condi > 1e-10 else _ginv(IE2))
    W = 0.5 * (W + W.T)
    U = np.zeros((p, p))
    for i in range(ng - 1):
        for j in range(i + 1, ng):
            U += W[i, j] * (Q[(i, j)] - P[i] @ phi @ P[j])
    U = U + U.T
    for i in range(ng):
        U += W[i, i] * (Q[(i, i)] - P[i] @ phi @ P[i])
    phi_adj = phi + 2.0 * (phi @ U @ phi)
    return KRAdjusted(phi_adj=phi_adj, phi=phi, P=P, W=W, condition=condi)


def _ginv(A: np.ndarray) -> np.ndarray:
    """MASS::ginv: Moore–Penrose inverse, singular values below √ε·max dropped."""
    U, d, Vt = np.linalg.svd(A)
    keep = d > max(math.sqrt(np.finfo(float).eps) * d[0], 0.0)
    return (Vt[keep].T / d[keep]) @ U[:, keep].T


def _div_zero(x: float, y: float, tol: float = 1e-14) -> float:
    """pbkrtest's ``.divZero``: 0/0 counts as 1."""
    return 1.0 if abs(x) < tol and abs(y) < tol else x / y


def _a1_a2(L: np.ndarray, adj: KRAdjusted) -> tuple[float, float]:
    """A1 and A2 of Kenward & Roger (1997), eqns. 4.4–4.5, as pbkrtest sums them."""
    V0 = adj.phi
    Theta = L.T @ np.linalg.solve(L @ V0 @ L.T, L)
    ThV0 = Theta @ V0
    ng = len(adj.P)
    us = [ThV0 @ Pi @ V0 for Pi in adj.P]
    A1 = A2 = 0.0
    for i in range(ng):
        for j in range(i, ng):
            e = 1.0 if i == j else 2.0
            A1 += e * adj.W[i, j] * (np.trace(us[i]) * np.trace(us[j]))
            A2 += e * adj.W[i, j] * float(np.sum(us[i] * us[j].T))
    return A1, A2


def _ddf_from(A1: float, A2: float, q: float) -> tuple[float, float]:
    """The denominator df and the F scaling of pbkrtest's ``.KR_adjust``."""
    B = (1.0 / (2.0 * q)) * (A1 + 6.0 * A2)
    g = ((q + 1.0) * A1 - (q + 4.0) * A2) / ((q + 2.0) * A2)
    c1 = g / (3.0 * q + 2.0 * (1.0 - g))
    c2 = (q - g) / (3.0 * q + 2.0 * (1.0 - g))
    c3 = (q + 2.0 - g) / (3.0 * q + 2.0 * (1.0 - g))
    V0 = 1.0 + c1 * B
    V1 = 1.0 - c2 * B
    V2 = 1.0 - c3 * B
    V0 = 0.0 if abs(V0) < 1e-10 else V0
    rho = 1.0 / q * _div_zero(1.0 - A2 / q, V1) ** 2 * V0 / V2
    df2 = 4.0 + (q + 2.0) / (q * rho - 1.0)
    scaling = 1.0 if abs(df2 - 2.0) < 1e-2 else df2 * (1.0 - A2 / q) / (df2 - 2.0)
    return df2, scaling


def kr_ddf_1d(L: np.ndarray, adj: KRAdjusted) -> float:
    """pbkrtest's ``Lb_ddf``: the Kenward–Roger df of one contrast row (q = nrow(L) = 1)."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    A1, A2 = _a1_a2(L, adj)
    return _ddf_from(A1, A2, float(L.shape[0]))[0]


@dataclass
class KRFTest:
    """pbkrtest's ``KRmodcomp`` test of ``L β = 0``: the scaled and unscaled F."""

    ndf: int
    ddf: float
    f: float
    p: float
    f_unscaled: float
    p_unscaled: float
    scaling: float


def _rank(L: np.ndarray) -> int:
    """Matrix::rankMatrix (tolNorm2): singular values above max(dim)·ε·max."""
    if L.size == 0:
        return 0
    d = np.linalg.svd(L, compute_uv=False)
    return int(np.sum(d > max(L.shape) * np.finfo(float).eps * d[0]))


def _full_rank(L: np.ndarray) -> np.ndarray:
    """pbkrtest's ``force_full_rank``: an orthonormal basis of L's row space if L is deficient."""
    r = _rank(L)
    if r < L.shape[0]:
        Qm, _ = np.linalg.qr(L.T)
        return Qm[:, :r].T
    return L


def kr_ftest(L: np.ndarray, beta: np.ndarray, adj: KRAdjusted) -> KRFTest:
    """pbkrtest's ``KRmodcomp(model, L)`` (``.KR_adjust`` with betaH = 0)."""
    L = _full_rank(np.atleast_2d(np.asarray(L, dtype=float)))
    q = _rank(L)
    A1, A2 = _a1_a2(L, adj)
    ddf, scaling = _ddf_from(A1, A2, float(q))
    Lb = L @ beta
    wald = float(Lb @ np.linalg.solve(L @ adj.phi_adj @ L.T, Lb))
    Fu = wald / q
    F = scaling * Fu
    return KRFTest(ndf=q, ddf=ddf, f=F, p=float(f_dist.sf(F, q, ddf)), f_unscaled=Fu,
                   p_unscaled=float(f_dist.sf(Fu, q, ddf)), scaling=scaling)
