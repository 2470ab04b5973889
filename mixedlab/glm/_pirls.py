"""Penalized iteratively reweighted least squares (PIRLS) on the linear engine's blocked factor.

One PIRLS step (lme4's ``internal_glmerWrkIter``) solves the weighted PLS problem

    min over u (and β):  ‖W^½ (z − Xβ − Z Λ_θ u)‖² + ‖u‖²

with the Fisher weights W and working response z of the current μ, then moves μ to the
solution. Between steps only W and z change, so :class:`PirlsSystem` fixes the structure
once — the term layout, the index arrays that scatter each row into the blocks, and a
template :class:`~mixedlab.linear.CrossProducts` carrying the blocked factor's symbolic
data — and each step rebuilds only the numeric blocks

    A₁₁ = Z₁ᵀWZ₁ (per level),  A₂₁ = [Z₂ X z]ᵀ W Z₁,  A₂₂ = [Z₂ X z]ᵀ W [Z₂ X z]

before :func:`mixedlab.glm._pls_blocks.factorize` and :func:`~mixedlab.glm._pls_blocks.solve`.
``u_only`` drops X (stage 2 and AGQ: β enters through the offset); otherwise β is solved
with u (stage 1, ``nAGQ = 0``).

:func:`pwrss_update` is lme4's ``pwrssUpdate``: iterate until the penalized deviance
Σd + ‖u‖² changes by less than ``tol`` relative, halving the step (up to 20 times) when it
rises, with lme4's three errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

_dtrsv = blas.dtrsv

from mixedlab._errors import MixedLabError
from mixedlab.glm._binsum import BinSum
from mixedlab.glm._response import GlmResponse
from mixedlab.linear._crossprod import CrossProducts
from mixedlab.glm._pls_blocks import factorize, solve_u_beta
from mixedlab.linear._pls import PLSFactor, _lambda_times, solve_triangular
from mixedlab.linear._theta import TermShape

__all__ = ["PirlsSystem", "PirlsState", "PIRLSError", "pwrss_update"]

_DBL_MAX = float(np.finfo(float).max)


class PIRLSError(MixedLabError, RuntimeError):
    """PIRLS failed (lme4's pwrssUpdate errors); the message says what to try."""


_ADVICE = (" The penalized iteratively reweighted least squares could not settle at these parameter "
           "values. Try rescaling (centring, standardising) the predictors, a simpler random-effects "
           "structure, checking the response for extreme or separated values, or nAGQ = 0.")


@dataclass
class PirlsState:
    """What a PIRLS step leaves behind (lme4's ``merPredD`` fields)."""

    u: np.ndarray  # delu (u0 is always 0 in glmer)
    beta: np.ndarray  # delb (β in stage 1; zeros when u_only)
    factor: PLSFactor | None = None
    RX: np.ndarray | None = None  # lower L_XX of the last decomposition (stage 1)


class PirlsSystem:
    """The θ-, W- and z-dependent PLS system of one model, with its structure fixed once.

    Parameters
    ----------
    terms
        The model's random-effects terms (``X``, ``codes``, ``levels``), lme4's order.
    X
        Fixed-effects matrix (n × p).
    u_only
        Solve for u only (β in the offset) instead of u and β jointly.
    """

    def __init__(self, terms, X: np.ndarray, u_only: bool) -> None:
        n = X.shape[0]
        self.n = n
        self.u_only = bool(u_only)
        self.shapes = [TermShape(t.X.shape[1], len(t.levels)) for t in terms]
        self.term_X = [np.asarray(t.X, dtype=float) for t in terms]
        self.term_codes = [np.asarray(t.codes, dtype=np.int64) for t in terms]
        self.X = np.asarray(X, dtype=float)
        Xs = np.zeros((n, 0)) if self.u_only else self.X
        self.p = Xs.shape[1]
        # the template: structure of the blocked factor (its numeric blocks are replaced)
        cp = CrossProducts(self.term_X, self.term_codes, self.shapes, Xs, np.zeros(n), None)
        cp.mode = "dense"
        cp.P_dense = None
        cp.beta_shift = np.zeros(self.p)
        self.cp = cp
        self.layout = cp.layout
        first = self.shapes[0]
        self.k1, self.L1, self.q1 = first.k, first.n_levels, first.q
        self.q2 = cp.q2
        self._D_buf = np.empty((n, self.p + 1))
        self._D_buf[:, : self.p] = Xs
        self.m = cp.m
        X1, c1 = self.term_X[0], self.term_codes[0]
        self.X1, self.codes1 = X1, c1
        self._pairs = [(a, b) for a in range(self.k1) for b in range(a, self.k1)]
        # trailing random-effect columns of each row: column index and value (n × K)
        cols, vals = [], []
        off = 0
        for Xt, ct, sh in zip(self.term_X[1:], self.term_codes[1:], self.shapes[1:]):
            for j in range(sh.k):
                cols.append(off + ct * sh.k + j)
                vals.append(Xt[:, j])
            off += sh.q
        self.K = len(cols)
        if self.K:
            self.zcols = np.column_stack(cols)
            self.zvals = np.column_stack(vals)
            K = self.K
            ii, jj = np.meshgrid(np.arange(K), np.arange(K), indexing="ij")
            self._zz_idx = (self.zcols[:, ii.ravel()] * self.q2 + self.zcols[:, jj.ravel()]).ravel()
            self._zz_val = (self.zvals[:, ii.ravel()] * self.zvals[:, jj.ravel()])
            self.Zrest = sp.csr_matrix((self.zvals.ravel(), (np.repeat(np.arange(n), K), self.zcols.ravel())),
                                       shape=(n, self.q2))
            # Z₂ᵀ W [X z] by one grouped sum: (trailing column, column of [X z]) per row and slot
            nd = 1 + (0 if self.u_only else self.X.shape[1])
            self._zd_idx = (self.zcols[:, :, None] * nd + np.arange(nd)[None, None, :]).ravel()
            # A₂₁'s random-effect rows: (row-of-term-1 (g, a), trailing column)
            self._z1_idx = [((c1 * self.k1 + a)[:, None] * self.q2 + self.zcols).ravel() for a in range(self.k1)]
            self._zz_sum = BinSum(self._zz_idx, self.q2 * self.q2)
            self._zd_sum = BinSum(self._zd_idx, self.q2 * nd)
            self._z1_sum = [BinSum(idx, self.q1 * self.q2) for idx in self._z1_idx]
        # level indicator of term 1 (L₁ × n) for the dense columns of A₂₁
        self.G1 = sp.csr_matrix((np.ones(n), (c1, np.arange(n))), shape=(self.L1, n))
        self._level_sum = BinSum(c1, self.L1)  # Σ over the rows of each level of term 1
        self._x1_ones = bool(np.all(X1[:, 0] == 1.0)) if self.k1 == 1 else False
        # one scalar term and u only (cbpp's stage 2, every AGQ fit): the whole PLS system is
        # one 1×1 block per level, solved in closed form by :meth:`_scalar_step`
        self.scalar_only = self.u_only and len(self.shapes) == 1 and self.k1 == 1
        self.pairs = self.k1 == 1 and self.K > 0 and self._pairs_cheaper()
        if self.pairs:
            self._setup_pairs()
        self._wparts: tuple | None = None  # (restart token, blocks of its weights)
        # scalar terms only: the θ element that scales each u_j (Λ is diagonal)
        self._theta_of_u = (np.repeat(np.arange(len(self.shapes)), [sh.n_levels for sh in self.shapes])
                            if all(sh.k == 1 for sh in self.shapes) else None)
        # Z as one sparse matrix, for b ↦ Zb
        from mixedlab.linear._crossprod import random_effects_matrix

        self.Z = random_effects_matrix(self.term_X, self.term_codes, self.shapes, n)

    # ------------------------------------------------------------------ sparse A₂₁ ("pairs")
    def _pairs_cheaper(self) -> bool:
        """Whether A₂₁ D Dᵀ A₁₂ costs less from A₂₁'s nonzeros than as a dense product.

        The linear engine's rule (:class:`~mixedlab.linear.CrossProducts`): a dense flop is
        ~40 sparse ones. A column of A₂₁ (one level of term 1) touches the trailing terms'
        levels its rows meet plus every X and z row; with an observation-level first term
        (grouseticks' INDEX) that is a handful of the m rows.
        """
        m, L1, q2 = self.m, self.L1, self.q2
        dense_cost = float(m) ** 2 * L1 / 2.0 / 40.0
        if dense_cost < 1e4:
            return False
        keys = np.unique(self.codes1[:, None].astype(np.int64) * q2 + self.zcols)
        per_level = np.bincount(keys // q2, minlength=L1) + (m - q2)
        return float(np.sum(per_level * (per_level + 1) / 2)) < dense_cost

    def _setup_pairs(self) -> None:
        """Fixed structure of A₂₁ (CSC, m × L₁) and of its pair operator P (lme4 never needs
        this: CHOLMOD's symbolic factor plays its part).

        Each observation i adds W_i x_i times its trailing row [Z₂ X z]_i to column g(i):
        ``self._a21_inv_z``/``_a21_inv_d`` map those contributions to A₂₁'s stored entries (summed by
        bincount), and P's entries are the products of entry pairs within a column, with
        ``self._pp_e``/``self._pp_e2`` the two entries of each of P's stored values.
        """
        m, L1, q2 = self.m, self.L1, self.q2
        c1 = self.codes1.astype(np.int64)
        nd = m - q2  # X (unless u_only) and z
        keys = np.concatenate([(c1[:, None] * m + self.zcols).ravel(),
                               (c1[:, None] * m + q2 + np.arange(nd)[None, :]).ravel()])
        uniq, inv = np.unique(keys, return_inverse=True)
        inv = inv.ravel()
        nz = self.codes1.size * self.K  # the Z₂ rows' contributions come first in ``keys``
        self._a21_inv_z, self._a21_inv_d = inv[:nz], inv[nz:]
        self._a21_sum_z = BinSum(self._a21_inv_z, uniq.size)
        self._a21_sum_d = BinSum(self._a21_inv_d, uniq.size)
        self._a21_nnz = uniq.size
        col, row = uniq // m, (uniq % m).astype(np.int32)
        indptr = np.searchsorted(col, np.arange(L1 + 1)).astype(np.int32)
        self._A21 = sp.csc_matrix((np.zeros(uniq.size), row, indptr), shape=(m, L1))
        self._a21_row, self._a21_col = row.astype(np.intp), col.astype(np.intp)
        self._a21_col_sum = BinSum(self._a21_col, L1)
        # pairs e2 ≤ e of the same column (rows ascending, so each pair is in the lower triangle)
        nnz = uniq.size
        start = indptr[col]
        counts = np.arange(nnz) - start + 1
        e = np.repeat(np.arange(nnz), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        e2 = np.repeat(start, counts) + (np.arange(e.size) - first)
        pos = row[e].astype(np.int64) * m + row[e2]
        from mixedlab.linear._crossprod import _block_diagonal_pattern, _compress_positions

        P_rows, pinv = _compress_positions(pos, m)
        P = sp.csr_matrix((np.arange(1, e.size + 1, dtype=float), (pinv, col[e])), shape=(P_rows.size, L1))
        order = np.rint(P.data).astype(np.int64) - 1  # where each stored value of P came from
        self._pp_e, self._pp_e2 = e[order], e2[order]
        self._P = P
        self._P_rows = P_rows
        self._Dpat = _block_diagonal_pattern(L1, 1)
        cp = self.cp
        cp.mode = "pairs"
        cp.P, cp.P_rows, cp.A21_sparse, cp._D = P, P_rows, self._A21, self._Dpat
        cp._ab = np.triu_indices(1)
        cp.P_dense = None

    def Zb(self, b: np.ndarray) -> np.ndarray:
        """Z b for b = Λu."""
        return self.Z @ b

    def lam_u(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        """b = Λ_θ u."""
        if self._theta_of_u is not None:
            return u * theta[self._theta_of_u]  # scalar terms: u_j θ_t(j), as T u_g with 1×1 T
        return _lambda_times(self.cp, theta, u)

    def blocks(self, W: np.ndarray, z: np.ndarray, token: object = None) -> CrossProducts:
        """Fill the template with the blocks of weights ``W`` and working response ``z``.

        ``token`` names a state whose weights recur (:attr:`GlmResponse.restart_token`: the
        first iteration of every deviance evaluation starts from the same μ): the blocks that
        depend on W alone are then computed once and reused, only those with z are new.
        """
        cp = self.cp
        m, q2 = self.m, self.q2
        wp = self._wparts
        if token is None or wp is None or wp[0] is not token:
            wp = (token, self._weight_parts(W))
            if token is not None:
                self._wparts = wp
        parts = wp[1]
        D = self._D_buf  # [X z] (or [z]) with X written once
        D[:, -1] = z
        WD = W[:, None] * D
        if self.pairs:
            self._pair_blocks(parts, WD)
        else:
            self._dense_a21(parts, WD)
        A22 = np.empty((m, m))
        A22[q2:, q2:] = D.T @ WD
        if self.K:
            A22[:q2, :q2] = parts["ZZ"]
            ZD = self._zd_sum((self.zvals[:, :, None] * WD[:, None, :]).ravel()).reshape(q2, WD.shape[1])
            A22[:q2, q2:] = ZD
            A22[q2:, :q2] = ZD.T
        cp.A11 = parts["A11"]
        cp.A11_flat = parts["A11_flat"]
        cp.A22 = A22
        return cp

    def _weight_parts(self, W: np.ndarray) -> dict:
        """The blocks that depend on the weights only: A₁₁, Z₂ᵀWZ₂ and A₂₁'s Z₂ rows."""
        L1, k1, q2 = self.L1, self.k1, self.q2
        X1, c1 = self.X1, self.codes1
        A11 = np.empty((L1, k1, k1))
        flat = []
        for a, b in self._pairs:
            v = self._level_sum(W * X1[:, a] * X1[:, b])
            A11[:, a, b] = v
            A11[:, b, a] = v
            flat.append(v)
        parts = {"A11": A11, "A11_flat": flat}
        if not self.K:
            return parts
        parts["ZZ"] = self._zz_sum((W[:, None] * self._zz_val).ravel()).reshape(q2, q2)
        if self.pairs:
            # A₂₁'s entries in Z₂ rows; those in the [X z] rows come with z (_pair_blocks). Each
            # stored entry is summed from one of the two parts, in the rows' order, as one
            # bincount over both would
            wx = W * X1[:, 0]
            parts["A21_Z"] = self._a21_sum_z((wx[:, None] * self.zvals).ravel())
        else:
            z1 = []
            for a in range(k1):
                w1 = (W * X1[:, a])[:, None] * self.zvals
                full = self._z1_sum[a](w1.ravel())
                z1.append(full.reshape(L1, k1, q2)[:, a, :] if k1 > 1 else full.reshape(L1, q2))
            parts["A21_Z"] = z1
        return parts

    def _pair_blocks(self, parts: dict, WD: np.ndarray) -> None:
        """A₂₁'s stored entries and P's values at the current weights (scalar term 1)."""
        dpart = (WD * self.X1[:, :1]).ravel() if not self._x1_ones else WD.ravel()
        data = parts["A21_Z"] + self._a21_sum_d(dpart)
        self._A21.data[:] = data
        self._P.data = data[self._pp_e] * data[self._pp_e2]

    def _dense_a21(self, parts: dict, WD: np.ndarray) -> None:
        cp = self.cp
        L1, k1, m, q2 = self.L1, self.k1, self.m, self.q2
        X1 = self.X1
        A21t = np.empty((L1, k1, m))
        for a in range(k1):
            WX1 = WD * X1[:, a:a + 1] if k1 > 1 or not self._x1_ones else WD
            A21t[:, a, q2:] = self.G1 @ WX1
            if self.K:
                A21t[:, a, :q2] = parts["A21_Z"][a]
        cp.A21t = A21t

    def step(self, theta: np.ndarray, resp: GlmResponse) -> tuple[np.ndarray, np.ndarray, PLSFactor]:
        """One weighted PLS solve at the current μ: returns ``(u, β, factor)``."""
        W, z = resp.working()
        # lme4's L, RZX and RX keep the weights of the last solve, one μ-update before the final
        # μ; hatvalues(m) reads them (see GlmerFit.hat_values)
        self.last_weights = W
        if self.scalar_only:
            return self._scalar_step(theta, W, z, resp.restart_token)
        cp = self.blocks(W, z, resp.restart_token)
        f = factorize(cp, theta)
        if self.pairs:
            u, beta = self._solve(theta, f)
        else:
            # the linear engine's back-substitution (without b = Λu): its rounding reproduces
            # glmer's evaluation counts on the stored cases (cbpp 285, grouseticks glmer.nb 183)
            u, beta = solve_u_beta(cp, f)
        return u, beta, f

    def _scalar_step(self, theta: np.ndarray, W: np.ndarray, z: np.ndarray, token: object = None):
        """The PLS solve of one scalar term, u only, as the blocked path computes it.

        Per level: a = Σ W x², b = Σ W x z, L₁₁ = √(θ²a + 1), D = θ/L₁₁, u = (bD)/L₁₁, and the
        z pivot √(Σ W z² − Σ (bD)²). The operations and their order are those of
        :func:`mixedlab.glm._pls_blocks.factorize` and :func:`~mixedlab.glm._pls_blocks.solve` on this
        structure, so the numbers are the same; only the generic bookkeeping is skipped.
        """
        c1, L1 = self.codes1, self.L1
        t = theta[0]
        x = self.X1[:, 0]
        wp = self._wparts
        if token is not None and wp is not None and wp[0] is token:
            a = wp[1]
        else:
            a = self._level_sum(W * x * x)
            if token is not None:
                self._wparts = (token, a)
        Wz = W * z
        b = self._level_sum(Wz if self._x1_ones else Wz * x)
        l11 = np.sqrt((t * t) * a + 1.0)
        d = t / l11
        bd = b * d
        u = bd / l11
        s22 = float(z @ Wz) - float(bd @ bd)
        L22 = np.array([[math.sqrt(s22) if s22 > 0 else 0.0]])
        f = PLSFactor(theta=np.array(theta, dtype=float), L11=l11.reshape(-1, 1, 1), D=d.reshape(-1, 1, 1),
                      L22=L22, ldL2=2.0 * float(np.sum(np.log(l11))), ldRX2=0.0, pwrss=max(s22, 0.0))
        return u, np.zeros(0), f

    def _solve(self, theta: np.ndarray, f: PLSFactor) -> tuple[np.ndarray, np.ndarray]:
        """Back-substitution for (u, β) from the last row of L, without forming L₂₁ (pairs mode).

        As :func:`mixedlab.linear._pls.solve` (the [X z] trick): with L₂₂ = [[L, 0], [cᵀ, l]],
        the trailing unknowns v = [u₂; β] solve Lᵀv = c, and term 1's
        u₁_g = L₁₁_g⁻ᵀ D_gᵀ (a_g[z] − a_gᵀ Λ₂ v) with a_g level g's column(s) of A₂₁; here
        a_gᵀ Λ₂ v is one product of the sparse A₂₁ with [Λ₂ v; −1] (term 1 scalar: D_g, L₁₁_g scalars).
        """
        m, q2 = self.m, self.q2
        L22 = f.L22
        lmm = L22[m - 1, m - 1]
        if m > 1 and lmm != 0.0:
            # L₂₂ᵀ x = l e_m gives x = [−v; 1]: the whole (Fortran-ordered) factor, no slicing copy
            rhs = np.zeros(m)
            rhs[m - 1] = lmm
            x = _dtrsv(L22, rhs, lower=1, trans=1)
            x[: m - 1] *= -1.0
        elif m > 1:
            v = solve_triangular(np.tril(L22[: m - 1, : m - 1]), L22[m - 1, : m - 1].copy(), lower=True, trans="T")
            x = np.append(v, 1.0)
        else:
            x = np.ones(1)
        w = x.copy()
        w[:q2] = self._lam_rest(theta, x[:q2])
        w[m - 1] = -1.0
        # (L₁,) = a_gᵀ [Λ₂v; −1], from A₂₁'s stored entries (no sparse-matrix objects per step)
        t = self._a21_col_sum(self._A21.data * w[self._a21_row])
        u1 = -(f.D[:, 0, 0] * t) / f.L11[:, 0, 0]
        u = np.concatenate([u1, x[:q2]])
        return u, x[q2: m - 1].copy()

    def _lam_rest(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Λ₂ v for the trailing terms' part of a vector (terms 2..T)."""
        if self._theta_of_u is not None:
            return v * theta[self._theta_of_u[self.q1:]]
        out = np.empty_like(v)
        off = 0
        for T, sh in zip(self.layout.factors(theta)[1:], self.shapes[1:]):
            seg = v[off: off + sh.q]
            out[off: off + sh.q] = seg * T[0, 0] if sh.k == 1 else (seg.reshape(sh.n_levels, sh.k) @ T.T).ravel()
            off += sh.q
        return out

    def lin_pred(self, theta: np.ndarray, u: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """lme4's ``linPred(1)``: Xβ + ZΛu (β = 0 when u_only)."""
        if len(self.shapes) == 1 and self.k1 == 1:
            # Z Λ u of one scalar term: x_i θ u_g(i)
            b = u * theta[0]
            eta = b[self.codes1] if self._x1_ones else self.X1[:, 0] * b[self.codes1]
        else:
            eta = self.Zb(self.lam_u(theta, u))
        if not self.u_only and beta.size:
            eta = eta + self.X @ beta
        return eta


def pwrss_update(system: PirlsSystem, theta: np.ndarray, resp: GlmResponse, state: PirlsState,
                 tol: float = 1e-7, maxit: int = 100) -> PirlsState:
    """lme4's ``pwrssUpdate``: PIRLS from the current μ to convergence (see the module docstring)."""
    oldpdev = _DBL_MAX
    u, beta = state.u, state.beta
    factor = None
    for _ in range(maxit):
        oldu, oldbeta = u, beta
        u, beta, factor = system.step(theta, resp)
        if system.u_only:
            beta = np.zeros_like(oldbeta)
        resp.update_mu(system.lin_pred(theta, u, beta))
        pdev = float(resp.dev_resid().sum()) + float(u @ u)
        if abs((oldpdev - pdev) / pdev) < tol:
            return _finish(system, state, u, beta, factor)
        if math.isnan(pdev) or pdev > oldpdev:
            for _k in range(20):
                if not (math.isnan(pdev) or pdev > oldpdev):
                    break
                u = (oldu + u) / 2.0
                if not system.u_only:
                    beta = (oldbeta + beta) / 2.0
                resp.update_mu(system.lin_pred(theta, u, beta))
                pdev = float(resp.dev_resid().sum()) + float(u @ u)
            if math.isnan(pdev):
                raise PIRLSError("PIRLS loop resulted in NaN value." + _ADVICE)
            if pdev - oldpdev > tol:
                raise PIRLSError("(maxstephalfit) PIRLS step-halvings failed to reduce deviance in "
                                 "pwrssUpdate." + _ADVICE)
        oldpdev = pdev
    raise PIRLSError(f"pwrssUpdate did not converge in (maxit = {maxit}) iterations." + _ADVICE)


def _finish(system: PirlsSystem, state: PirlsState, u, beta, factor) -> PirlsState:
    state.u, state.beta, state.factor = u, beta, factor
    if not system.u_only and system.p:
        q2, p = system.q2, system.p
        state.RX = np.tril(factor.L22)[q2:q2 + p, q2:q2 + p]
    return state
