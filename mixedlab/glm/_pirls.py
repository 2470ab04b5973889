"""Penalized iteratively reweighted least squares (PIRLS) on the linear engine's blocked factor.

One PIRLS step (lme4's ``internal_glmerWrkIter``) solves the weighted PLS problem

    min over u (and β):  ‖W^½ (z − Xβ − Z Λ_θ u)‖² + ‖u‖²

with the Fisher weights W and working response z of the current μ, then moves μ to the
solution. Between steps only W and z change, so :class:`PirlsSystem` fixes the structure
once — the term layout, the index arrays that scatter each row into the blocks, and a
template :class:`~mixedlab.linear.CrossProducts` carrying the blocked factor's symbolic
data — and each step rebuilds only the numeric blocks

    A₁₁ = Z₁ᵀWZ₁ (per level),  A₂₁ = [Z₂ X z]ᵀ W Z₁,  A₂₂ = [Z₂ X z]ᵀ W [Z₂ X z]

before :func:`mixedlab.linear._pls.factorize` and :func:`~mixedlab.linear._pls.solve`.
``u_only`` drops X (stage 2 and AGQ: β enters through the offset); otherwise β is solved
with u (stage 1, ``nAGQ = 0``).

:func:`pwrss_update` is lme4's ``pwrssUpdate``: iterate until the penalized deviance
Σd + ‖u‖² changes by less than ``tol`` relative, halving the step (up to 20 times) when it
rises, with lme4's three errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mixedlab._errors import MixedLabError
from mixedlab.glm._response import GlmResponse
from mixedlab.linear._crossprod import CrossProducts
from mixedlab.linear._pls import PLSFactor, factorize, solve
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
            # A₂₁'s random-effect rows: (row-of-term-1 (g, a), trailing column)
            self._z1_idx = [((c1 * self.k1 + a)[:, None] * self.q2 + self.zcols).ravel() for a in range(self.k1)]
        # level indicator of term 1 (L₁ × n) for the dense columns of A₂₁
        self.G1 = sp.csr_matrix((np.ones(n), (c1, np.arange(n))), shape=(self.L1, n))
        # Z as one sparse matrix, for b ↦ Zb
        from mixedlab.linear._crossprod import random_effects_matrix

        self.Z = random_effects_matrix(self.term_X, self.term_codes, self.shapes, n)

    def Zb(self, b: np.ndarray) -> np.ndarray:
        """Z b for b = Λu."""
        return self.Z @ b

    def lam_u(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        """b = Λ_θ u."""
        out = np.empty_like(u)
        off = 0
        for T, sh in zip(self.layout.factors(theta), self.shapes):
            seg = u[off: off + sh.q].reshape(sh.n_levels, sh.k)
            out[off: off + sh.q] = (seg @ T.T).ravel()
            off += sh.q
        return out

    def blocks(self, W: np.ndarray, z: np.ndarray) -> CrossProducts:
        """Fill the template with the blocks of weights ``W`` and working response ``z``."""
        cp = self.cp
        L1, k1, m, q2 = self.L1, self.k1, self.m, self.q2
        X1, c1 = self.X1, self.codes1
        A11 = np.empty((L1, k1, k1))
        flat = []
        for a, b in self._pairs:
            v = np.bincount(c1, weights=W * X1[:, a] * X1[:, b], minlength=L1)
            A11[:, a, b] = v
            A11[:, b, a] = v
            flat.append(v)
        D = z[:, None] if self.u_only else np.column_stack([self.X, z])
        WD = W[:, None] * D
        A21t = np.empty((L1, k1, m))
        for a in range(k1):
            WX1 = WD * X1[:, a:a + 1] if k1 > 1 or not np.all(X1[:, 0] == 1.0) else WD
            A21t[:, a, q2:] = self.G1 @ WX1
            if self.K:
                w1 = (W * X1[:, a])[:, None] * self.zvals
                A21t[:, a, :q2] = np.bincount(self._z1_idx[a], weights=w1.ravel(),
                                              minlength=self.q1 * q2).reshape(L1, k1, q2)[:, a, :] \
                    if k1 > 1 else np.bincount(self._z1_idx[a], weights=w1.ravel(),
                                               minlength=self.q1 * q2).reshape(L1, q2)
        A22 = np.empty((m, m))
        A22[q2:, q2:] = D.T @ WD
        if self.K:
            A22[:q2, :q2] = np.bincount(self._zz_idx, weights=(W[:, None] * self._zz_val).ravel(),
                                        minlength=q2 * q2).reshape(q2, q2)
            ZD = np.asarray(self.Zrest.T @ WD)
            A22[:q2, q2:] = ZD
            A22[q2:, :q2] = ZD.T
        cp.A11 = A11
        cp.A11_flat = flat
        cp.A11_stack = np.vstack(flat)
        cp.A21t = A21t
        cp.A22 = A22
        cp._schur_cache = None
        cp._pair_cache = None
        return cp

    def step(self, theta: np.ndarray, resp: GlmResponse) -> tuple[np.ndarray, np.ndarray, PLSFactor]:
        """One weighted PLS solve at the current μ: returns ``(u, β, factor)``."""
        W, z = resp.working()
        cp = self.blocks(W, z)
        f = factorize(cp, theta)
        sol = solve(cp, f)
        return sol.u, sol.beta, f

    def lin_pred(self, theta: np.ndarray, u: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """lme4's ``linPred(1)``: Xβ + ZΛu (β = 0 when u_only)."""
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
        pdev = float(np.sum(resp.dev_resid())) + float(u @ u)
        if abs((oldpdev - pdev) / pdev) < tol:
            return _finish(system, state, u, beta, factor)
        if np.isnan(pdev) or pdev > oldpdev:
            for _k in range(20):
                if not (np.isnan(pdev) or pdev > oldpdev):
                    break
                u = (oldu + u) / 2.0
                if not system.u_only:
                    beta = (oldbeta + beta) / 2.0
                resp.update_mu(system.lin_pred(theta, u, beta))
                pdev = float(np.sum(resp.dev_resid())) + float(u @ u)
            if np.isnan(pdev):
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
