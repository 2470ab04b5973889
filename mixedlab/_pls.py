"""Penalized least squares for linear mixed models: the blocked Cholesky factor of θ.

For a given θ the PLS problem (Bates et al. 2015, eqn. 16)

    r²(θ, β, u) = ‖W^½ (y − Xβ − Z Λ_θ u)‖² + ‖u‖²

is solved through the Cholesky factor of the scaled cross-product matrix

    Ã(θ) = Λᵀ [Z X y]ᵀ W [Z X y] Λ + diag(I_q, 0, 0) = L Lᵀ,       Λ = diag(Λ_θ, I_p, 1)

whose last diagonal element of L is √r²(θ) (the "[X y] trick").  Everything that
involves the n rows is computed once, in :class:`CrossProducts`; each θ only
rescales those blocks and re-factors (MixedModels.jl's design).

Block structure.  The terms are in lme4's order, the first having the most levels.
Z₁ᵀWZ₁ is block diagonal with k₁×k₁ blocks, so its factor L₁₁ is a batch of tiny
Cholesky factors.  Everything after term 1 — the other terms, X and y — forms one
dense trailing block of size m = q₂ + … + q_T + p + 1, reached through the Schur
complement (Golub & Van Loan, section 4.2):

    L₂₂ L₂₂ᵀ = Λ₂ᵀ (A₂₂ − A₂₁ D Dᵀ A₁₂) Λ₂ + diag(I, 0),     D = Λ₁ L₁₁⁻ᵀ,

so L₂₁ = Λ₂ᵀ A₂₁ D is never stored.  A₂₁ D is formed dense (BLAS) or sparse,
whichever costs fewer operations for the design at hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas, lapack

from mixedlab._theta import TermShape, ThetaLayout

__all__ = ["CrossProducts", "PLSFactor", "PLSSolution", "random_effects_matrix"]

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


def random_effects_matrix(
    term_X: list[np.ndarray], term_codes: list[np.ndarray], shapes: list[TermShape], n: int
) -> sp.csr_matrix:
    """Assemble Z (n × q) from the terms' model matrices and level codes.

    Column ``offset_t + level * k_t + j`` holds column j of term t's model matrix
    for the rows at that level: lme4's layout of Z (levels outer, columns inner).
    """
    rows, cols, vals = [], [], []
    offset = 0
    for Xt, codes, shape in zip(term_X, term_codes, shapes):
        k = shape.k
        rows.append(np.repeat(np.arange(n), k))
        cols.append((offset + codes[:, None] * k + np.arange(k)[None, :]).ravel())
        vals.append(np.asarray(Xt, dtype=float).ravel())
        offset += shape.q
    if not rows:
        return sp.csr_matrix((n, 0))
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, offset)
    )


def _dense_re_matrix(
    term_X: list[np.ndarray], term_codes: list[np.ndarray], shapes: list[TermShape], n: int
) -> np.ndarray:
    """Z as a dense n × q array (small designs only), same layout as :func:`random_effects_matrix`."""
    Z = np.zeros((n, sum(sh.q for sh in shapes)))
    rows = np.arange(n)[:, None]
    offset = 0
    for Xt, codes, shape in zip(term_X, term_codes, shapes):
        k = shape.k
        Z[rows, offset + codes[:, None] * k + np.arange(k)[None, :]] = Xt
        offset += shape.q
    return Z


class CrossProducts:
    """The θ-independent blocks of [Z X y]ᵀ W [Z X y], partitioned after term 1.

    Parameters
    ----------
    term_X, term_codes
        Model matrix (n × k_t) and level codes (n,) of each term, in lme4's order.
    shapes
        The terms' sizes.
    X
        Fixed-effects model matrix (n × p).
    y
        Response with any offset already subtracted.
    weights
        Prior weights, or ``None``.
    """

    # a dense BLAS flop is about this many times cheaper than a sparse one (measured
    # on the benchmark designs); used only to choose the cheaper representation
    _DENSE_ADVANTAGE = 40.0

    def __init__(
        self,
        term_X: list[np.ndarray],
        term_codes: list[np.ndarray],
        shapes: list[TermShape],
        X: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> None:
        n, p = X.shape
        self.n, self.p = n, p
        self.shapes = list(shapes)
        self.layout = ThetaLayout(self.shapes)
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        self.log_det_W = float(np.sum(np.log(w))) if weights is not None else 0.0

        # Work with y minus its weighted least-squares fit on X.  The profiled criteria are
        # invariant to y → y − Xγ (β is unpenalised, so β̂ shifts by −γ), and the last pivot
        # of the [X y] factor, √r²(θ), then no longer cancels against ‖y‖²: r² is computed
        # to near full precision, as lme4 gets it from explicit residuals.
        y = np.asarray(y, dtype=float)
        if p:
            # any γ keeps the criteria exact; the normal equations give a good one cheaply
            Xw = X * w[:, None] if weights is not None else X
            try:
                self.beta_shift = np.linalg.solve(Xw.T @ X, Xw.T @ y)
            except np.linalg.LinAlgError:
                self.beta_shift = np.linalg.lstsq(X * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
            y = y - X @ self.beta_shift
        else:
            self.beta_shift = np.zeros(0)

        first = self.shapes[0]
        self.k1, self.L1 = first.k, first.n_levels
        X1, codes1 = np.asarray(term_X[0], dtype=float), np.asarray(term_codes[0])
        k1, L1 = self.k1, self.L1
        # A₁₁: one k₁×k₁ block per level, Σ_i w_i x_i x_iᵀ over the rows of that level
        A11 = np.empty((L1, k1, k1))
        for a in range(k1):
            for b in range(a + 1):
                v = np.bincount(codes1, weights=w * X1[:, a] * X1[:, b], minlength=L1)
                A11[:, a, b] = v
                A11[:, b, a] = v
        self.A11 = A11

        # the trailing columns: terms 2..T, then X, then y
        self.q2 = sum(sh.q for sh in self.shapes[1:])
        self.m = m = self.q2 + p + 1
        if n * (first.q + m) <= 2_000_000:
            # small designs: dense products beat building sparse matrices
            Z1 = _dense_re_matrix([X1], [codes1], [first], n)
            R = np.hstack([_dense_re_matrix(term_X[1:], term_codes[1:], self.shapes[1:], n),
                           X, y.reshape(-1, 1)])
            Rw = R * w[:, None] if weights is not None else R
            A21 = Rw.T @ Z1
            self.A22 = Rw.T @ R
            col_nnz = None  # counted below only if the choice is not obvious
        else:
            Z1 = random_effects_matrix([X1], [codes1], [first], n)
            Zrest = random_effects_matrix(list(term_X[1:]), list(term_codes[1:]), self.shapes[1:], n)
            R = sp.hstack([Zrest, sp.csr_matrix(X), sp.csr_matrix(y.reshape(-1, 1))], format="csr")
            Rw = sp.csr_matrix(R.multiply(w[:, None]))
            A21 = (Rw.T @ Z1).tocsc()
            A21.sort_indices()  # the pair operator relies on ascending rows per column
            self.A22 = (Rw.T @ R).toarray()
            col_nnz = np.diff(A21.indptr).reshape(L1, k1).max(axis=1).astype(float)

        # A₂₁ D Dᵀ A₁₂ is formed per θ either densely (BLAS on A₂₁D) or from a
        # precomputed "pair operator" P with vec(M) = P w(θ), where w(θ) stacks the
        # per-level k₁×k₁ matrices W_g = D_g D_gᵀ; pick the cheaper for this design
        dense_cost = float(m) ** 2 * first.q / 2.0 / self._DENSE_ADVANTAGE
        if dense_cost < 1e4:
            self.mode = "dense"
        else:
            if col_nnz is None:
                col_nnz = np.count_nonzero(A21, axis=0).reshape(L1, k1).max(axis=1).astype(float)
            pair_nnz = float(np.sum(col_nnz * (col_nnz + 1) / 2)) * (k1 * (k1 + 1) / 2)
            self.mode = "pairs" if (pair_nnz < dense_cost and pair_nnz < 6e7) else "dense"
        if self.mode == "dense":
            # stored level-major (L₁, k₁, m): (A₂₁D)ᵀ is then one batched matmul
            A21t = A21.T.toarray() if sp.issparse(A21) else A21.T
            self.A21t = np.ascontiguousarray(A21t).reshape(L1, k1, m)
            nab = k1 * (k1 + 1) // 2
            if m * m * nab * L1 <= 2_000_000:
                # small designs: the pair operator as a dense matrix, so that the Schur
                # term is one matrix-vector product with the W_g entries
                self.P_dense = _dense_pair_operator(self.A21t)
        else:
            A21 = sp.csc_matrix(A21)
            A21.sort_indices()
            self.A21_sparse = A21  # CSC, m × q₁
            self._D = _block_diagonal_pattern(L1, k1)
            self.P, self.P_rows = _pair_operator(A21, L1, k1, m)
            self._ab = np.triu_indices(k1)

        # trailing terms' positions inside the dense block, for applying Λ₂
        self.rest_offsets = []
        off = 0
        for shape in self.shapes[1:]:
            self.rest_offsets.append(off)
            off += shape.q
        self.rest_scalar = all(s.k == 1 for s in self.shapes[1:])
        self.lam_rows = self.lam_cols = self.lam_theta = None
        if not self.rest_scalar and self.m <= 400:
            # nonzeros of Λ₂ and the θ element each holds, so Λ₂ is filled in one step
            rows, cols, idx = [], [], []
            for t, (shape, off) in enumerate(zip(self.shapes[1:], self.rest_offsets)):
                r, c = self.layout.tri_rows[t + 1], self.layout.tri_cols[t + 1]
                base = off + np.arange(shape.n_levels)[:, None] * shape.k
                rows.append((base + r[None, :]).ravel())
                cols.append((base + c[None, :]).ravel())
                idx.append(np.tile(np.arange(self.layout.slices[t + 1].start, self.layout.slices[t + 1].stop),
                                   shape.n_levels))
            self.lam_rows, self.lam_cols = np.concatenate(rows), np.concatenate(cols)
            self.lam_theta = np.concatenate(idx)
            self.lam_template = np.zeros((self.m, self.m))
            tail = np.arange(self.q2, self.m)
            self.lam_template[tail, tail] = 1.0
        # per-θ fast paths: A₁₁'s distinct entries as flat arrays, and for scalar trailing
        # terms the θ index scaling each trailing column
        self.A11_flat = [A11[:, a, b].copy() for a in range(k1) for b in range(a, k1)]
        self.A11_stack = np.vstack(self.A11_flat)
        self.ones_m = np.ones(self.m)
        # the θ₁-dependent Schur term of the last evaluation, for steps that move only
        # later terms' θ: one for the factor route, one for the criterion's pair route
        self._schur_cache: tuple[bytes, np.ndarray] | None = None
        self._pair_cache: tuple[bytes, np.ndarray] | None = None
        self.rest_diag = np.arange(self.q2)
        if self.rest_scalar:
            pos = [np.full(sh.q, self.layout.slices[t + 1].start) for t, sh in enumerate(self.shapes[1:])]
            self.rest_theta_pos = np.concatenate(pos) if pos else np.zeros(0, dtype=np.intp)


def _block_diagonal_pattern(L: int, k: int) -> sp.csr_matrix:
    """A block-diagonal (L·k)² CSR matrix whose ``data`` is (L, k, k) in row-major order."""
    blk = np.arange(L)[:, None, None] * k
    r = np.broadcast_to(blk + np.arange(k)[None, :, None], (L, k, k)).ravel()
    c = np.broadcast_to(blk + np.arange(k)[None, None, :], (L, k, k)).ravel()
    D = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(L * k, L * k))
    D.sort_indices()
    return D


def _level_rows(A21: sp.csc_matrix, g: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows of A₂₁ touched by level g and the dense (rows × k) block there."""
    lo, hi = A21.indptr[g * k], A21.indptr[(g + 1) * k]
    if k == 1:
        return A21.indices[lo:hi], A21.data[lo:hi].reshape(-1, 1)
    rows = np.unique(A21.indices[lo:hi])
    block = np.zeros((rows.size, k))
    for a in range(k):
        s, e = A21.indptr[g * k + a], A21.indptr[g * k + a + 1]
        block[np.searchsorted(rows, A21.indices[s:e]), a] = A21.data[s:e]
    return rows, block


def _pair_operator(A21: sp.csc_matrix, L: int, k: int, m: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """P with tril(A₂₁ W A₁₂)[rows] = P @ w, w = the W_g entries (a ≤ b) of every level.

    w is ordered entry-major: w[t·L + g] = W_g[a_t, b_t] for the t-th pair a ≤ b.

    M[r₁, r₂] = Σ_g Σ_ab A_g[r₁, a] W_g[a, b] A_g[r₂, b]; with W_g symmetric the (a, b)
    and (b, a) terms share one coefficient.  Only r₁ ≥ r₂ is stored (dpotrf reads the
    lower triangle), and only the positions some level touches.
    """
    ia, ib = np.triu_indices(k)
    nab = ia.size
    if k == 1:
        return _pair_operator_scalar(A21, L, m)
    out_idx, cols, vals = [], [], []
    for g in range(L):
        rows, A = _level_rows(A21, g, k)
        i, j = np.tril_indices(rows.size)
        pos = rows[i].astype(np.int64) * m + rows[j]
        for t, (a, b) in enumerate(zip(ia, ib)):
            coef = A[i, a] * A[j, b]
            if a != b:
                coef = coef + A[i, b] * A[j, a]
            out_idx.append(pos)
            cols.append(np.full(pos.size, t * L + g))
            vals.append(coef)
    uniq, inv = _compress_positions(np.concatenate(out_idx), m)
    P = sp.csr_matrix((np.concatenate(vals), (inv, np.concatenate(cols))), shape=(uniq.size, L * nab))
    P.sum_duplicates()
    return P, uniq



def _dense_pair_operator(A21t: np.ndarray) -> np.ndarray:
    """Dense P (m·m × nab·L) with vec(A₂₁ W A₁₂) = P w, w entry-major as in :func:`_pair_operator`."""
    L, k, m = A21t.shape
    blocks = []
    for a in range(k):
        for b in range(a, k):
            Aa, Ab = A21t[:, a, :], A21t[:, b, :]
            coef = Aa[:, :, None] * Ab[:, None, :]  # (L, m, m): A[r, a] A[s, b]
            if a != b:
                coef = coef + Ab[:, :, None] * Aa[:, None, :]
            blocks.append(coef.reshape(L, m * m).T)
    return np.ascontiguousarray(np.hstack(blocks))


def _compress_positions(pos: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct flat positions in ``pos`` (sorted) and each entry's index among them."""
    if m * m <= 50_000_000:
        # a marker array over the m² positions is cheaper than sorting the entries
        mark = np.zeros(m * m, dtype=bool)
        mark[pos] = True
        uniq = np.flatnonzero(mark)
        rank = np.cumsum(mark, dtype=np.int64) - 1
        return uniq, rank[pos]
    uniq, inv = np.unique(pos, return_inverse=True)
    return uniq, inv.ravel()


def _pair_operator_scalar(A21: sp.csc_matrix, L: int, m: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """The pair operator of a scalar first term, built without a loop over levels.

    Every stored entry e of column g pairs with the entries e' ≤ e of the same column.
    """
    indptr, rows, data = A21.indptr, A21.indices, A21.data
    nnz = rows.size
    col_of = np.repeat(np.arange(L), np.diff(indptr))
    start = indptr[col_of]  # first entry of each entry's column
    counts = np.arange(nnz) - start + 1
    e = np.repeat(np.arange(nnz), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    e2 = np.repeat(start, counts) + (np.arange(e.size) - first)
    pos = rows[e].astype(np.int64) * m + rows[e2]
    uniq, inv = _compress_positions(pos, m)
    P = sp.csr_matrix((data[e] * data[e2], (inv, col_of[e])), shape=(uniq.size, L))
    P.sum_duplicates()
    return P, uniq


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


def factorize(cp: CrossProducts, theta: np.ndarray) -> PLSFactor:
    """Factor Ã(θ) = L Lᵀ blockwise (see the module docstring for the blocks)."""
    k1 = cp.k1
    if k1 == 1:
        t = theta[0]
        l11 = np.sqrt((t * t) * cp.A11_flat[0] + 1.0)
        L11 = l11.reshape(-1, 1, 1)
        d = t / l11
        D = d.reshape(-1, 1, 1)
        logdet11 = float(np.sum(np.log(l11)))
    elif k1 == 2:
        # closed-form 2×2 Cholesky per level, vectorised over levels
        a, b_, c = float(theta[0]), float(theta[1]), float(theta[2])
        a00, a01, a11 = cp.A11_flat
        # M = Tᵀ A T + I with T = [[a, 0], [b, c]]
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

    # Schur complement of the trailing block, before scaling by Λ₂
    S = _schur(cp, D, theta[cp.layout.slices[0]].tobytes())

    L22, ldL2_rest, ldRX2, pwrss = _factor_trailing(cp, S, theta)
    return PLSFactor(theta=np.array(theta, dtype=float, copy=True), L11=L11, D=D, L22=L22,
                     ldL2=2.0 * logdet11 + ldL2_rest, ldRX2=ldRX2, pwrss=pwrss)


def _factor_trailing(cp: CrossProducts, S: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Scale the Schur complement by Λ₂, add I and factor it.

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
            S = np.tril(S) + np.tril(S, -1).T
            if cp.lam_rows is not None:
                # small block: Λ₂ as a dense matrix filled from θ (lme4's Lind mapping)
                Lam = cp.lam_template.copy()
                Lam[cp.lam_rows, cp.lam_cols] = theta[cp.lam_theta]
                S = Lam.T @ S @ Lam
            else:
                S = _rotate_blocks(cp, S, theta)
        # index, not ravel(): S may be Fortran-ordered (syrk's output), and ravel would copy
        S[cp.rest_diag, cp.rest_diag] += 1.0

    L22, info = lapack.dpotrf(S, lower=1, clean=0, overwrite_a=1)
    m = cp.m
    if info != 0 and info != m:
        raise np.linalg.LinAlgError(
            f"the cross-product matrix is not positive definite at θ = {theta} (pivot {info}); "
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


def _rotate_blocks(cp: CrossProducts, S: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Λ₂ᵀ S Λ₂ term by term, for trailing blocks too large for a dense Λ₂."""
    Ts = cp.layout.factors(theta)
    for T, shape, off in zip(Ts[1:], cp.shapes[1:], cp.rest_offsets):
        blk = slice(off, off + shape.q)
        rows = S[blk, :].reshape(shape.n_levels, shape.k, cp.m)
        S[blk, :] = np.einsum("ji,ljm->lim", T, rows).reshape(shape.q, cp.m)
        cols = S[:, blk].reshape(cp.m, shape.n_levels, shape.k)
        S[:, blk] = np.einsum("mlj,ji->mli", cols, T).reshape(cp.m, shape.q)
    return S


def criterion(cp: CrossProducts, theta: np.ndarray, REML: bool) -> float:
    """The profiled criterion at θ without keeping the factor: the optimiser's hot path.

    For k₁ ≤ 2 the first block needs no factor at all: with M_g = T₁ᵀA_gT₁ + I,
    log|L₁₁|² = Σ_g log det M_g and the Schur term's weights are
    W_g = D_g D_gᵀ = T₁ M_g⁻¹ T₁ᵀ, in closed form through M_g's adjugate.
    """
    k1 = cp.k1
    dense_P = getattr(cp, "P_dense", None)
    if k1 > 2 or (cp.mode == "dense" and dense_P is None):
        return profiled_deviance(cp, factorize(cp, theta), REML)
    key = theta[cp.layout.slices[0]].tobytes()
    if k1 == 1:
        t2 = float(theta[0]) ** 2
        det = t2 * cp.A11_flat[0] + 1.0
        w = t2 / det
    else:
        a, b, c = float(theta[0]), float(theta[1]), float(theta[2])
        # (m00, m10, m11) of M_g = TᵀA_gT + I are linear in A_g's entries (a00, a01, a11),
        # and T M_g⁻¹ Tᵀ = T adj(M_g) Tᵀ / det M_g is linear in (m00, m10, m11): two
        # 3×3 products over all levels instead of a dozen elementwise passes
        C = np.array([[a * a, 2.0 * a * b, b * b], [0.0, a * c, b * c], [0.0, 0.0, c * c]])
        M = C @ cp.A11_stack
        M[0] += 1.0
        M[2] += 1.0
        det = M[0] * M[2] - M[1] * M[1]
        E = np.array([[0.0, 0.0, a * a], [0.0, -a * c, a * b], [c * c, -2.0 * b * c, b * b]])
        w = ((E @ M) / det).ravel()
    ld11 = float(np.log(det).sum())
    if cp._pair_cache is not None and cp._pair_cache[0] == key:
        update = cp._pair_cache[1]
    else:
        update = cp.P @ w if dense_P is None else dense_P @ w
        cp._pair_cache = (key, update)
    if dense_P is not None:
        S = cp.A22 - update.reshape(cp.m, cp.m)
    else:
        S = cp.A22.copy()
        S.ravel()[cp.P_rows] -= update
    _, ldL2_rest, ldRX2, pwrss = _factor_trailing(cp, S, theta)
    return _profiled(cp, ld11 + ldL2_rest, ldRX2, pwrss, REML)


def _schur(cp: CrossProducts, D: np.ndarray, key: bytes = b"") -> np.ndarray:
    """A₂₂ − A₂₁ D Dᵀ A₁₂ (lower triangle valid), by the design's chosen method.

    The subtracted term depends on θ only through term 1 (``key``), so it is kept
    and reused when a step moves only the later terms' θ.
    """
    if cp._schur_cache is not None and cp._schur_cache[0] == key:
        update = cp._schur_cache[1]
    else:
        update = _schur_update(cp, D)
        cp._schur_cache = (key, update)
    if cp.mode == "dense":
        return cp.A22 - update
    S = cp.A22.copy()
    S.ravel()[cp.P_rows] -= update
    return S


def _schur_update(cp: CrossProducts, D: np.ndarray) -> np.ndarray:
    """A₂₁ D Dᵀ A₁₂: dense (lower triangle valid) or its values at ``cp.P_rows``."""
    if cp.mode == "dense":
        Bt = _A21_times_D_transposed(cp, D)
        if Bt.shape[0] * cp.m < 100_000:
            return Bt.T @ Bt
        # Bt is q₁ × m C-contiguous, so Bt.T is Fortran-ordered: syrk without a copy
        return blas.dsyrk(1.0, Bt.T, lower=1)
    if cp.k1 == 1:
        w = D[:, 0, 0] ** 2
    else:
        W = D @ np.swapaxes(D, 1, 2)
        w = W[:, cp._ab[0], cp._ab[1]].T.ravel()
    return cp.P @ w


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


def solve(cp: CrossProducts, f: PLSFactor) -> PLSSolution:
    """Back-substitute for β̂ and û from the last row of L (the [X y] trick)."""
    m, q2, p = cp.m, cp.q2, cp.p
    k1, L1 = cp.k1, cp.L1
    L22 = np.tril(f.L22)
    # last row of L: [c₁ | c₂ c_β | √r²]; c₁ = (A₂₁D)[y] since Λ₂ is 1 on y
    Bfull = _apply_lambda2_rows(cp, f.theta, _A21_times_D(cp, f.D))
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


def _A21_times_D_transposed(cp: CrossProducts, D: np.ndarray) -> np.ndarray:
    """(A₂₁ D)ᵀ as a C-contiguous q₁ × m array (dense mode): row (g, j) = Σ_i D_g[i, j] A₂₁[:, g, i]."""
    if cp.k1 == 1:
        return cp.A21t[:, 0, :] * D[:, 0, :]
    return np.matmul(np.swapaxes(D, 1, 2), cp.A21t).reshape(-1, cp.m)


def _A21_times_D(cp: CrossProducts, D: np.ndarray) -> np.ndarray:
    """Dense A₂₁ D (m × q₁), computed once at the optimum."""
    if cp.mode == "dense":
        return _A21_times_D_transposed(cp, D).T
    cp._D.data[:] = D.ravel()
    return np.asarray((cp.A21_sparse @ cp._D).todense())


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


def conditional_variances(cp: CrossProducts, f: PLSFactor) -> list[np.ndarray]:
    """Diagonal blocks of Λ (L_θ L_θᵀ)⁻¹ Λᵀ per term, shape (levels, k, k), unscaled by σ².

    L_θ is the leading q×q part of L (the factor of Λᵀ ZᵀWZ Λ + I).  With
    L_θ⁻¹ = [[L₁₁⁻¹, 0], [−L₂₂⁻¹ L₂₁ L₁₁⁻¹, L₂₂⁻¹]] the diagonal blocks of
    L_θ⁻ᵀ L_θ⁻¹ are sums of squares of the columns of L_θ⁻¹.
    """
    q2, k1, L1, m = cp.q2, cp.k1, cp.L1, cp.m
    L22 = np.tril(f.L22[:q2, :q2])
    L11inv = np.linalg.inv(f.L11)  # (L1, k1, k1)
    blocks: list[np.ndarray] = []
    # term 1: L₁₁_g⁻ᵀ L₁₁_g⁻¹ + F_gᵀ F_g with F = L₂₂⁻¹ L₂₁ L₁₁⁻¹
    V1 = np.swapaxes(L11inv, 1, 2) @ L11inv
    if q2 > 0:
        L21 = _apply_lambda2_rows(cp, f.theta, _A21_times_D(cp, f.D))[:q2]
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
