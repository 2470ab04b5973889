"""The θ-independent part of the PLS system: cross-products built once from the rows.

Everything the profiled criterion needs from the n observations is in
A = [Z X y]ᵀ W [Z X y] (MixedModels.jl's design; Bates et al. 2015, section 3).
:class:`CrossProducts` computes it once, partitioned after the first random-effects
term (which has the most levels, so Z₁ᵀWZ₁ is block diagonal with k₁×k₁ blocks), and
prepares the cheapest way to form the θ-dependent Schur term A₂₁ W(θ) A₁₂ for this
design: dense BLAS, a dense "pair operator" for small designs, or a sparse one
(:func:`_pair_operator`) for large sparse crossings such as InstEval.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mixedlab.linear._theta import TermShape, ThetaLayout

__all__ = ["CrossProducts", "random_effects_matrix", "level_crossproducts"]


def level_crossproducts(codes: np.ndarray, X1: np.ndarray, w: np.ndarray, n_levels: int) -> np.ndarray:
    """A₁₁ of the first term: one k₁×k₁ block per level, Σ_i w_i x_i x_iᵀ over that level's rows.

    ``codes`` are the rows' 0-based levels, ``X1`` the term's n×k₁ columns, ``w`` the prior
    weights (ones when there are none); returns an ``(n_levels, k₁, k₁)`` array.
    """
    k1 = X1.shape[1]
    A11 = np.empty((n_levels, k1, k1))
    for a in range(k1):
        for b in range(a + 1):
            v = np.bincount(codes, weights=w * X1[:, a] * X1[:, b], minlength=n_levels)
            A11[:, a, b] = v
            A11[:, b, a] = v
    return A11


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
    # memory allowed for the sparse pair operator (bytes); larger designs use dense BLAS
    _PAIR_BYTES = 1.2e9

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
        self.A11 = level_crossproducts(codes1, X1, w, L1)

        # Term 1 in an orthonormal basis per level: W½Z₁_g = Q_g R_g (R_g k₁×k₁ upper).
        # The trailing columns (terms 2..T, X, y) enter only through F_g = Q_gᵀ W½[Z₂ X y]_g
        # and E, the cross-product of their residuals after projecting out each level's Q_g:
        #     A₂₂ − A₂₁ W A₁₂ = E + Σ_g F_gᵀ (I + B_g B_gᵀ)⁻¹ F_g,      B_g = R_g T₁,
        # a sum of positive semi-definite terms.  The classical form on the left subtracts two
        # large cross-products whenever a trailing column lies close to the span of term 1's
        # columns (a slope on a large scale, an uncentred predictor): digits lost there were
        # the criterion's largest error (issue 9, §3)
        sw = np.sqrt(w)
        Q1, self.R1 = _level_orthonormal(X1 * sw[:, None], codes1, L1)
        self.q2 = sum(sh.q for sh in self.shapes[1:])
        self.m = m = self.q2 + p + 1
        Xy = np.hstack([X, y.reshape(-1, 1)]) * sw[:, None]
        if n * (first.q + m) <= 2_000_000:
            # small designs: dense products beat building sparse matrices
            Rsw = np.hstack([_dense_re_matrix(term_X[1:], term_codes[1:], self.shapes[1:], n) * sw[:, None], Xy])
            A21 = Rsw.T @ _dense_re_matrix([Q1], [codes1], [first], n)  # F, as m × q₁
            Ft = np.ascontiguousarray(A21.T).reshape(L1, k1, m)
            perp = Rsw - _level_projection(Q1, codes1, Ft)
            self.E = perp.T @ perp
            col_nnz = None  # counted below only if the choice is not obvious
        else:
            Zrest = random_effects_matrix(list(term_X[1:]), list(term_codes[1:]), self.shapes[1:], n)
            Zrest = sp.csr_matrix(Zrest.multiply(sw[:, None]))
            Rsw = sp.hstack([Zrest, sp.csr_matrix(Xy)], format="csr")
            A21 = (Rsw.T @ random_effects_matrix([Q1], [codes1], [first], n)).tocsc()
            A21.sort_indices()  # the pair operator relies on ascending rows per column
            # Z₂'s block by cross-products (indicator columns rarely lie near term 1's span);
            # the X and y columns, where scaling matters, from their residual rows
            self.E = (Rsw.T @ Rsw).toarray() - (A21 @ A21.T).toarray()
            FXy = A21[self.q2 :].toarray().T.reshape(L1, k1, p + 1)
            perp = Xy - _level_projection(Q1, codes1, FXy)
            EZX = np.asarray(Zrest.T @ perp)
            self.E[: self.q2, self.q2 :] = EZX
            self.E[self.q2 :, : self.q2] = EZX.T
            self.E[self.q2 :, self.q2 :] = perp.T @ perp
            col_nnz = np.diff(A21.indptr).reshape(L1, k1).max(axis=1).astype(float)
        self._prepare(A21, col_nnz, _nested_trailing(self.shapes, term_codes, n))

    @classmethod
    def from_blocks(cls, *, shapes: list[TermShape], n: int, p: int, A11: np.ndarray, R1: np.ndarray,
                    A21: sp.csc_matrix, E: np.ndarray, beta_shift: np.ndarray, log_det_W: float,
                    nested: bool) -> "CrossProducts":
        """The same object from blocks summed elsewhere (``mixedlab.distributed``'s row pass).

        ``A11`` (L₁, k₁, k₁), ``R1`` (L₁, k₁, k₁) and ``A21`` (F = Q₁ᵀW½[Z₂ X y], m × q₁) are
        the row-based form :meth:`__init__` computes, with ``y`` already shifted by
        ``X @ beta_shift``; ``nested`` says whether term 1's levels nest in term 2's.
        """
        self = cls.__new__(cls)
        self.n, self.p = int(n), int(p)
        self.shapes = list(shapes)
        self.layout = ThetaLayout(self.shapes)
        self.log_det_W = float(log_det_W)
        self.beta_shift = np.asarray(beta_shift, dtype=float)
        first = self.shapes[0]
        self.k1, self.L1 = first.k, first.n_levels
        self.A11, self.R1, self.E = A11, R1, E
        self.q2 = sum(sh.q for sh in self.shapes[1:])
        self.m = self.q2 + self.p + 1
        A21 = sp.csc_matrix(A21)
        A21.sort_indices()
        col_nnz = np.diff(A21.indptr).reshape(self.L1, self.k1).max(axis=1).astype(float)
        use_nested = len(self.shapes) == 2 and self.shapes[1].q >= 64 and self.n > 0 and nested
        self._prepare(A21, col_nnz,
                      _NestedTrailing(self.shapes[1].k, self.shapes[1].n_levels) if use_nested else None)
        return self

    def _prepare(self, A21, col_nnz, nested) -> None:
        """Choose and build the per-θ representation of the Schur term (see the class notes)."""
        first, m, L1, k1, A11 = self.shapes[0], self.m, self.L1, self.k1, self.A11
        pattern = None  # the per-level sparsity of A21, when the pair count needs it
        # A₂₁ D Dᵀ A₁₂ is formed per θ either densely (BLAS on A₂₁D) or from a
        # precomputed "pair operator" P with vec(M) = P w(θ), where w(θ) stacks the
        # per-level k₁×k₁ matrices W_g = D_g D_gᵀ; pick the cheaper for this design
        dense_cost = float(m) ** 2 * first.q / 2.0 / self._DENSE_ADVANTAGE
        if dense_cost < 1e4:
            self.mode = "dense"
        else:
            nab = k1 * (k1 + 1) // 2
            if k1 > 1 and sp.issparse(A21):
                pattern = _level_pattern(A21, L1, k1, m)
                pairs = float(_level_pairs(pattern[2]))
            else:
                if col_nnz is None:
                    col_nnz = np.count_nonzero(A21, axis=0).reshape(L1, k1).max(axis=1).astype(float)
                pairs = float(np.sum(col_nnz * (col_nnz + 1) / 2))
            pair_nnz = pairs * nab
            # P holds a 4-byte index and nab 8-byte coefficients per pair
            pair_bytes = pairs * (4 + 8 * nab)
            self.mode = "pairs" if (pair_nnz < dense_cost and pair_bytes < self._PAIR_BYTES) else "dense"
        if self.mode == "dense":
            # F stored level-major (L₁, k₁, m): the Schur rows are then one batched matmul
            A21t = A21.T.toarray() if sp.issparse(A21) else A21.T
            self.Ft = np.ascontiguousarray(A21t).reshape(L1, k1, m)
            nab = k1 * (k1 + 1) // 2
            if m * m * nab * L1 <= 2_000_000:
                # small designs: the pair operator as a dense matrix, so that the Schur
                # term is one matrix-vector product with the W_g entries
                self.P_dense = _dense_pair_operator(self.Ft)
        else:
            A21 = sp.csc_matrix(A21)
            A21.sort_indices()
            self.F_sparse = A21  # F, CSC, m × q₁
            self._D = _block_diagonal_pattern(L1, k1)
            self.P, self.P_rows = _pair_operator(A21, L1, k1, m, pattern)
            self._ab = np.triu_indices(k1)

        # trailing terms' positions inside the dense block, for applying Λ₂
        self.rest_offsets = []
        off = 0
        for shape in self.shapes[1:]:
            self.rest_offsets.append(off)
            off += shape.q
        self.rest_scalar = all(s.k == 1 for s in self.shapes[1:])
        self.lam_rows = self.lam_cols = self.lam_theta = None
        if not self.rest_scalar and self.m <= 100:
            # (above ~100 rows the O(m³) dense product costs more than the block rotation)
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
        self.nested = nested
        # per-θ fast paths: A₁₁'s distinct entries as flat arrays, and for scalar trailing
        # terms the θ index scaling each trailing column
        self.A11_flat = [A11[:, a, b].copy() for a in range(k1) for b in range(a, k1)]
        self.A11_stack = np.vstack(self.A11_flat)
        if k1 == 2:
            r00, r01, r11 = self.R1[:, 0, 0], self.R1[:, 0, 1], self.R1[:, 1, 1]
            self.R11 = (r00, r01, r11, (r00 * r11) ** 2)
        self.ones_m = np.ones(self.m)
        # the θ₁-dependent Schur term of the last evaluation, for steps that move only
        # later terms' θ: one for the factor route, one for the criterion's pair route
        self._schur_cache: tuple[bytes, np.ndarray] | None = None
        self._pair_cache: tuple[bytes, np.ndarray] | None = None
        self.rest_diag = np.arange(self.q2)
        if self.rest_scalar:
            pos = [np.full(sh.q, self.layout.slices[t + 1].start) for t, sh in enumerate(self.shapes[1:])]
            self.rest_theta_pos = np.concatenate(pos) if pos else np.zeros(0, dtype=np.intp)


class _NestedTrailing:
    """Index arrays of a block-diagonal trailing random block (term 1 nested in term 2).

    When every level of term 1's factor lies within one level of term 2's (lme4's
    ``(1 | a/b)``, ``(x | a) + (1 | a:b)``) and there is no third term, the Schur
    complement's Z₂ block is block diagonal with k₂×k₂ blocks (each level of term 1
    touches one level of term 2), coupled only through the X and y columns.  The
    criterion then factors it as a batch of k₂×k₂ blocks and a (p+1)-square Schur
    complement instead of one dense Cholesky of size m (lme4's sparse factor does the same).
    """

    def __init__(self, k: int, L: int) -> None:
        self.k, self.L, self.q = k, L, k * L
        i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        base = (np.arange(L) * k)[:, None, None]
        # (row, col) of each block entry in the lower triangle: S is only lower-valid
        self.rows = base + np.maximum(i, j)[None]
        self.cols = base + np.minimum(i, j)[None]


def _nested_trailing(shapes: list[TermShape], term_codes: list[np.ndarray], n: int) -> "_NestedTrailing | None":
    if len(shapes) != 2 or shapes[1].q < 64 or n == 0:
        return None  # a small trailing block is factored densely as fast
    c1, c2 = np.asarray(term_codes[0]), np.asarray(term_codes[1])
    first = np.full(shapes[0].n_levels, -1)
    first[c1[::-1]] = c2[::-1]  # the term-2 level of each term-1 level's first row
    if not np.array_equal(first[c1], c2):
        return None
    return _NestedTrailing(shapes[1].k, shapes[1].n_levels)


def _level_orthonormal(Zw: np.ndarray, codes: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """Per level g, W½Z_g = Q_g R_g: rows of Q (n × k) and R (L, k, k), from the rows.

    Modified Gram–Schmidt within each level, applied twice ("twice is enough":
    Giraud et al. 2005), so Q_g's columns are orthonormal to rounding even for nearly
    collinear columns.  Unlike a Cholesky factor of the cross-product Z_gᵀWZ_g, R_g
    keeps the precision of the rows (the Gram matrix squares the columns' condition
    number).  A column that lies in the span of the previous ones within a level (a
    slope over a single observation) gets a zero pivot and a zero column of Q.
    """
    n, k = Zw.shape
    Q = np.zeros((n, k))
    R = np.zeros((L, k, k))
    for j in range(k):
        v = Zw[:, j].copy()
        for _ in range(2):
            for i in range(j):
                c = np.bincount(codes, weights=Q[:, i] * v, minlength=L)
                R[:, i, j] += c
                v -= c[codes] * Q[:, i]
        nrm = np.sqrt(np.bincount(codes, weights=v * v, minlength=L))
        scale = np.sqrt(np.bincount(codes, weights=Zw[:, j] ** 2, minlength=L))
        keep = nrm > 1e-14 * scale
        R[:, j, j] = np.where(keep, nrm, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            Q[:, j] = np.where(keep[codes], v / nrm[codes], 0.0)
    return Q, R


def _level_projection(Q: np.ndarray, codes: np.ndarray, Ft: np.ndarray) -> np.ndarray:
    """Rows of Σ_j Q[:, j] F_g[j, :]: the part of each row in its level's span of Q."""
    out = Q[:, 0, None] * Ft[codes, 0, :]
    for j in range(1, Q.shape[1]):
        out += Q[:, j, None] * Ft[codes, j, :]
    return out


def _block_diagonal_pattern(L: int, k: int) -> sp.csr_matrix:
    """A block-diagonal (L·k)² CSR matrix whose ``data`` is (L, k, k) in row-major order."""
    blk = np.arange(L)[:, None, None] * k
    r = np.broadcast_to(blk + np.arange(k)[None, :, None], (L, k, k)).ravel()
    c = np.broadcast_to(blk + np.arange(k)[None, None, :], (L, k, k)).ravel()
    D = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(L * k, L * k))
    D.sort_indices()
    return D


def _level_pattern(A21: sp.csc_matrix, L: int, k: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each level's rows of A₂₁ (the union over its k columns) and the dense values there.

    Returns ``rows`` (ascending within each level), ``vals`` (entries × k) and ``indptr``
    (L + 1) so that level g owns entries ``indptr[g]:indptr[g + 1]``.
    """
    col = np.repeat(np.arange(L * k, dtype=np.int64), np.diff(A21.indptr))
    key = (col // k) * m + A21.indices
    uniq, inv = np.unique(key, return_inverse=True)
    vals = np.zeros((uniq.size, k))
    vals[inv.ravel(), col % k] = A21.data
    level = uniq // m
    indptr = np.concatenate([[0], np.cumsum(np.bincount(level, minlength=L))]).astype(np.int64)
    return (uniq % m).astype(np.intp), vals, indptr


def _level_pairs(indptr: np.ndarray) -> int:
    """Σ_g n_g (n_g + 1) / 2: the lower-triangle pairs of every level's entries."""
    n = np.diff(indptr).astype(np.int64)
    return int(np.sum(n * (n + 1) // 2))


def _pair_operator(A21: sp.csc_matrix, L: int, k: int, m: int,
                   pattern: tuple | None = None) -> tuple[sp.csc_matrix, np.ndarray]:
    """P with tril(A₂₁ W A₁₂)[rows] = P @ w, w = the W_g entries (a ≤ b) of every level.

    w is ordered entry-major: w[t·L + g] = W_g[a_t, b_t] for the t-th pair a ≤ b.

    M[r₁, r₂] = Σ_g Σ_ab A_g[r₁, a] W_g[a, b] A_g[r₂, b]; with W_g symmetric the (a, b)
    and (b, a) terms share one coefficient.  Only r₁ ≥ r₂ is stored (dpotrf reads the
    lower triangle), and only the positions some level touches.

    Built without a loop over levels, in chunks of levels (bounded temporaries), first in
    CSC order (column t·L + g holds level g's pairs for entry t: no COO sort, no duplicate
    entries), then transposed to CSR, whose product sums each position's terms in ascending
    column order.  P costs (4 + 8)·nab bytes per pair.
    """
    if k == 1:
        return _pair_operator_scalar(A21, L, m)
    rows, vals, indptr = pattern if pattern is not None else _level_pattern(A21, L, k, m)
    ia, ib = np.triu_indices(k)
    nab = ia.size
    counts = np.diff(indptr)
    npairs = counts * (counts + 1) // 2  # per level
    total = int(npairs.sum())
    pos_dtype = np.int32 if m * m < 2**31 else np.int64
    pos_all = np.empty(total, dtype=pos_dtype)
    coef = np.empty((nab, total))
    pair_ptr = np.concatenate([[0], np.cumsum(npairs)])
    # chunks of levels holding about 4M pairs each
    bounds = np.searchsorted(pair_ptr, np.arange(0, total + 4_000_000, 4_000_000)).tolist()
    bounds = sorted(set([0] + [min(b, L) for b in bounds] + [L]))
    for g0, g1 in zip(bounds[:-1], bounds[1:]):
        lo, hi = int(indptr[g0]), int(indptr[g1])
        if hi == lo:
            continue
        e = np.arange(lo, hi)
        start = np.repeat(indptr[g0:g1], counts[g0:g1])  # first entry of each entry's level
        cnt = e - start + 1
        ee = np.repeat(e, cnt)
        first = np.repeat(np.cumsum(cnt) - cnt, cnt)
        e2 = np.repeat(start, cnt) + (np.arange(ee.size) - first)
        p0, p1 = int(pair_ptr[g0]), int(pair_ptr[g1])
        pos_all[p0:p1] = rows[ee] * m + rows[e2]
        for t, (a, b) in enumerate(zip(ia, ib)):
            c = vals[ee, a] * vals[e2, b]
            if a != b:
                c += vals[ee, b] * vals[e2, a]
            coef[t, p0:p1] = c
    uniq, rank = _compress_positions(pos_all, m)
    index_dtype = np.int32 if max(uniq.size, nab * total) < 2**31 else np.int64
    del pos_all
    indices = np.tile(rank.astype(index_dtype, copy=False), nab)
    del rank
    indptr_P = np.concatenate([[0], np.cumsum(np.tile(npairs, nab))]).astype(index_dtype)
    P = sp.csc_matrix((coef.ravel(), indices, indptr_P), shape=(uniq.size, L * nab))
    del coef, indices
    # CSR for the product: it gathers from the short w and writes each position once, where
    # CSC scatters across all positions (measured 5x slower on the 20,000 x 2,000 design)
    return P.tocsr(), uniq


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


# --------------------------------------------------------------------------------------------
# The classical blocks, for code that reads or writes them (Kenward–Roger, PIRLS)
# --------------------------------------------------------------------------------------------
def _classical_blocks(cp: "CrossProducts", name: str):
    """A₁₁-adjacent blocks in the classical layout, from the row-based form (computed once).

    ``A21t`` (L₁, k₁, m) = Z₁ᵀW[Z₂ X y] per level, ``A22`` = [Z₂ X y]ᵀW[Z₂ X y],
    ``A21_sparse`` (m × q₁, CSC) for sparse designs; A₂₁_g = F_gᵀ R_g and A₂₂ = E + Σ F_gᵀF_g.
    """
    d = cp.__dict__
    if name == "A22":
        if cp.mode == "dense":
            F = cp.Ft.reshape(-1, cp.m)
            val = cp.E + F.T @ F
        else:
            val = cp.E + (cp.F_sparse @ cp.F_sparse.T).toarray()
        d["_A22_synced"] = val
    elif name == "A21t":
        val = np.matmul(np.swapaxes(cp.R1, 1, 2), cp.Ft) if "Ft" in d else \
            np.asarray(_classical_blocks(cp, "A21_sparse").T.toarray()).reshape(cp.L1, cp.k1, cp.m)
        d["_A21t_synced"] = val
    elif name == "A21_sparse":
        blk = _block_diagonal_pattern(cp.L1, cp.k1)
        blk.data[:] = cp.R1.ravel()
        val = sp.csc_matrix(cp.F_sparse @ blk)
        val.sort_indices()
    else:
        raise AttributeError(name)
    d[name] = val
    return val


def _getattr(self: "CrossProducts", name: str):
    if name in ("A22", "A21t", "A21_sparse") and "E" in self.__dict__:
        return _classical_blocks(self, name)
    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


CrossProducts.__getattr__ = _getattr  # type: ignore[attr-defined]


def sync_classical_blocks(cp: "CrossProducts") -> None:
    """Rebuild the row-based form from classical blocks that a caller set on ``cp``.

    PIRLS (``mixedlab.glm``) replaces ``A11``, ``A21t`` and ``A22`` with its weighted
    cross-products at every iteration and factors with :func:`mixedlab.linear._pls.factorize`;
    here R_g comes from A₁₁ (closed form for k₁ ≤ 2) and F_g = R_g⁻ᵀ A₂₁_g, E = A₂₂ − Σ F_gᵀF_g
    (the classical precision, which is what those cross-products carry).
    """
    d = cp.__dict__
    A22, A21t = d.get("A22"), d.get("A21t")
    if A22 is None or A21t is None:
        return
    if A22 is d.get("_A22_synced") and A21t is d.get("_A21t_synced"):
        return
    A11 = cp.A11
    L1, k1, m = A21t.shape
    R = np.zeros((L1, k1, k1))
    F = np.zeros((L1, k1, m))
    if k1 <= 2:
        r00 = np.sqrt(np.maximum(A11[:, 0, 0], 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            inv0 = np.where(r00 > 0, 1.0 / r00, 0.0)
        R[:, 0, 0] = r00
        F[:, 0, :] = A21t[:, 0, :] * inv0[:, None]
        if k1 == 2:
            r01 = A11[:, 0, 1] * inv0
            r11 = np.sqrt(np.maximum(A11[:, 1, 1] - r01 * r01, 0.0))
            with np.errstate(invalid="ignore", divide="ignore"):
                inv1 = np.where(r11 > 1e-14 * np.sqrt(np.maximum(A11[:, 1, 1], 0.0)), 1.0 / r11, 0.0)
            R[:, 0, 1], R[:, 1, 1] = r01, np.where(inv1 > 0, r11, 0.0)
            F[:, 1, :] = (A21t[:, 1, :] - r01[:, None] * F[:, 0, :]) * inv1[:, None]
    else:
        w, V = np.linalg.eigh(A11)
        R = np.sqrt(np.clip(w, 0.0, None))[:, :, None] * np.swapaxes(V, 1, 2)  # A = RᵀR
        F = np.matmul(np.linalg.pinv(np.swapaxes(R, 1, 2)), A21t)
    Ff = F.reshape(-1, m)
    cp.R1, cp.Ft = R, F
    if k1 == 2:
        cp.R11 = (R[:, 0, 0], R[:, 0, 1], R[:, 1, 1], (R[:, 0, 0] * R[:, 1, 1]) ** 2)
    cp.E = A22 - Ff.T @ Ff
    cp.nested = None
    d["_A22_synced"], d["_A21t_synced"] = A22, A21t
    cp._schur_cache = None
    cp._pair_cache = None
