"""The Laplace Hessian H = Σ_i A_iᵀ D_i A_i + I in u, its factorization and selected inverse.

``D_i`` is minus the (weighted) second derivative of observation i's log-likelihood in the
random-effect-carrying predictors (η_cond and, with zi random effects, η_zi): the
*observed* information, as TMB's exact Laplace uses — not glmer's Fisher weights.

With u ordered as block part B then rest R (:mod:`._random`), H is

    H = [ H_BB  H_BR ]      H_BB block-diagonal: one kB×kB block per level of the
        [ H_RB  H_RR ]      grouping factor with most levels

and is factored as lme4 factors its Λᵀ ZᵀZ Λ + I (Bates et al. 2015, §3.4, the blocked
Cholesky): batched Cholesky of the B blocks, ``W = L_B⁻¹ H_BR``, the dense Schur complement
``S = H_RR − WᵀW`` and its Cholesky. Then ``log|H| = 2Σ log diag L_B + 2Σ log diag L_S``.

The outer gradient needs the entries of H⁻¹ at the column pairs that share an observation
(a *selected inverse*): ``(H⁻¹)_RR = S⁻¹``, ``(H⁻¹)_BR = −L_B⁻ᵀ W S⁻¹`` and the diagonal
blocks ``(H⁻¹)_BB,ℓ = H_ℓ⁻¹ + L_ℓ⁻ᵀ W_ℓ S⁻¹ W_ℓᵀ L_ℓ⁻¹``.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular

from mixedlab.tmb._random import ReLayout

__all__ = ["NotPositiveDefinite", "HessianStructure", "HFactor"]


class NotPositiveDefinite(ArithmeticError):
    """The Hessian is not positive definite at this point."""


class HessianStructure:
    """Index tables that turn per-observation D_i into H, fixed for one model."""

    def __init__(self, layout: ReLayout) -> None:
        self.layout = lay = layout
        self.L = lay.n_block_levels
        self.kB = lay.kB
        self.qB = lay.qB
        self.qR = lay.qR
        # every entry of A: (component, row in that component's arrays, block?, location)
        self.ents: list[tuple[int, int, bool, object]] = []
        for s in lay.components:
            for m, (ti, j) in enumerate(lay.entries[s]):
                if ti in lay.block_offsets:
                    self.ents.append((s, m, True, lay.block_offsets[ti] + j))
                else:
                    self.ents.append((s, m, False, lay.entry_cols[s][m] - lay.qB))
        self.codes = lay.block_codes
        ne = len(self.ents)
        self.pairs = [(a, b) for a in range(ne) for b in range(a, ne)]
        # flat indices for the R-involving pairs (fixed)
        self._flat: dict[tuple[int, int], np.ndarray] = {}
        for a, b in self.pairs:
            ea, eb = self.ents[a], self.ents[b]
            if ea[2] and eb[2]:
                continue
            if ea[2] and not eb[2]:
                self._flat[(a, b)] = (self.codes * self.kB + ea[3]) * self.qR + eb[3]
            elif eb[2] and not ea[2]:
                self._flat[(a, b)] = (self.codes * self.kB + eb[3]) * self.qR + ea[3]
            else:
                self._flat[(a, b)] = ea[3] * self.qR + eb[3]

    def pair_products(self, vals: dict[int, np.ndarray]) -> list[np.ndarray]:
        """a_e a_e' for every entry pair (θ-dependent, reused while D changes)."""
        return [vals[self.ents[a][0]][self.ents[a][1]] * vals[self.ents[b][0]][self.ents[b][1]]
                for a, b in self.pairs]

    def assemble(self, D: dict[tuple[int, int], np.ndarray], prods: list[np.ndarray],
                 shift: float = 0.0) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """H's pieces (H_BB as (L, kB, kB), H_BR as (L, kB, qR), H_RR), with + (1 + shift) I."""
        L, kB, qR = self.L, self.kB, self.qR
        HB = np.zeros((L, kB, kB))
        HBR = np.zeros(L * kB * qR) if qR else None
        HRR = np.zeros(qR * qR) if qR else None
        for (a, b), p in zip(self.pairs, prods):
            ea, eb = self.ents[a], self.ents[b]
            sa, sb = ea[0], eb[0]
            w = D[(sa, sb) if sa <= sb else (sb, sa)] * p
            if ea[2] and eb[2]:
                acc = np.bincount(self.codes, w, minlength=L)
                HB[:, ea[3], eb[3]] += acc
                if a != b:
                    HB[:, eb[3], ea[3]] += acc
            elif ea[2] or eb[2]:
                HBR += np.bincount(self._flat[(a, b)], w, minlength=L * kB * qR)
            else:
                acc = np.bincount(self._flat[(a, b)], w, minlength=qR * qR)
                HRR += acc
                if a != b:
                    HRR += acc.reshape(qR, qR).T.ravel()
        idx = np.arange(kB)
        HB[:, idx, idx] += 1.0 + shift
        if qR:
            HRR = HRR.reshape(qR, qR)
            HRR[np.arange(qR), np.arange(qR)] += 1.0 + shift
            HBR = HBR.reshape(L, kB, qR)
        return HB, HBR, HRR


class HFactor:
    """The blocked Cholesky factorization of H (raises :class:`NotPositiveDefinite`)."""

    def __init__(self, st: HessianStructure, HB: np.ndarray, HBR, HRR) -> None:
        self.st = st
        kB = st.kB
        if kB == 1:
            h = HB[:, 0, 0]
            if not np.all(h > 0):
                raise NotPositiveDefinite
            self.LB = np.sqrt(h)[:, None, None]
        else:
            try:
                self.LB = np.linalg.cholesky(HB)
            except np.linalg.LinAlgError:
                raise NotPositiveDefinite from None
        if st.qR:
            self.W = self._lb_solve(HBR)  # L_B⁻¹ H_BR, (L, kB, qR)
            Wf = self.W.reshape(-1, st.qR)
            S = HRR - Wf.T @ Wf
            try:
                self.LS = cholesky(S, lower=True, check_finite=False)
            except np.linalg.LinAlgError:
                raise NotPositiveDefinite from None
            if not np.all(np.isfinite(self.LS)):
                raise NotPositiveDefinite
        else:
            self.W = None
            self.LS = None

    def _lb_solve(self, X: np.ndarray) -> np.ndarray:
        """L_B⁻¹ X per level, X of shape (L, kB, ...)."""
        if self.st.kB == 1:
            return X / self.LB[:, 0, 0].reshape((-1,) + (1,) * (X.ndim - 1))
        return np.linalg.solve(self.LB, X)

    def _lbt_solve(self, X: np.ndarray) -> np.ndarray:
        """L_B⁻ᵀ X per level."""
        if self.st.kB == 1:
            return X / self.LB[:, 0, 0].reshape((-1,) + (1,) * (X.ndim - 1))
        return np.linalg.solve(np.swapaxes(self.LB, 1, 2), X)

    def logdet(self) -> float:
        """log |H|."""
        st = self.st
        if st.kB == 1:
            out = 2.0 * np.log(self.LB[:, 0, 0]).sum()
        else:
            out = 2.0 * np.log(np.diagonal(self.LB, axis1=1, axis2=2)).sum()
        if self.LS is not None:
            out += 2.0 * np.log(np.diag(self.LS)).sum()
        return float(out)

    def solve(self, r: np.ndarray) -> np.ndarray:
        """H⁻¹ r (internal order of u)."""
        st = self.st
        L, kB = st.L, st.kB
        rB = r[: st.qB].reshape(L, kB, 1)
        yB = self._lb_solve(rB)
        if self.LS is None:
            return self._lbt_solve(yB).ravel()
        rR = r[st.qB:] - np.einsum("lkr,lk->r", self.W, yB[:, :, 0])
        yR = solve_triangular(self.LS, rR, lower=True, check_finite=False)
        xR = solve_triangular(self.LS, yR, lower=True, trans="T", check_finite=False)
        xB = self._lbt_solve(yB - np.einsum("lkr,r->lk", self.W, xR)[:, :, None])
        return np.concatenate([xB.ravel(), xR])

    # ------------------------------------------------------------------ selected inverse
    def selected_inverse(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """``(V_B, G, S⁻¹)``: diagonal B blocks of H⁻¹ (L, kB, kB), (H⁻¹)_BR (L, kB, qR), S⁻¹."""
        st = self.st
        kB = st.kB
        if kB == 1:
            LBinv = 1.0 / self.LB
        else:
            LBinv = np.linalg.inv(self.LB)
        LBinvT = np.swapaxes(LBinv, 1, 2)
        VB = LBinvT @ LBinv
        if self.LS is None:
            return VB, None, None
        qR = st.qR
        Sinv = cho_solve((self.LS, True), np.eye(qR), check_finite=False)
        WS = self.W @ Sinv  # (L, kB, qR)
        G = -(LBinvT @ WS)
        VB = VB + LBinvT @ np.einsum("lar,lbr->lab", WS, self.W) @ LBinv
        return VB, G, Sinv

    def obs_inverse(self, vals: dict[int, np.ndarray], comps: list[int]
                    ) -> tuple[dict[tuple[int, int], np.ndarray], tuple]:
        """P_i = A_i H⁻¹ A_iᵀ per observation, as {(s, s'): (n,) array} for s ≤ s'.

        Also returns the selected inverse for reuse.
        """
        st = self.st
        sel = self.selected_inverse()
        VB, G, Sinv = sel
        codes = st.codes
        P: dict[tuple[int, int], np.ndarray] = {}
        for a, b in st.pairs:
            ea, eb = st.ents[a], st.ents[b]
            if ea[2] and eb[2]:
                h = VB[codes, ea[3], eb[3]]
            elif ea[2]:
                h = G[codes, ea[3], eb[3]]
            elif eb[2]:
                h = G[codes, eb[3], ea[3]]
            else:
                h = Sinv[ea[3], eb[3]]
            va = vals[ea[0]][ea[1]]
            vb = vals[eb[0]][eb[1]]
            contrib = va * vb * h
            key = (ea[0], eb[0]) if ea[0] <= eb[0] else (eb[0], ea[0])
            if a != b and ea[0] == eb[0]:
                contrib = 2.0 * contrib
            P[key] = P[key] + contrib if key in P else contrib
        return P, sel

    def term_blocks(self, sel: tuple, layout: ReLayout) -> list[np.ndarray]:
        """Per term the diagonal (L_t, k_t, k_t) blocks of H⁻¹."""
        VB, G, Sinv = sel
        out = []
        for i, t in enumerate(layout.terms):
            if i in layout.block_offsets:
                o = layout.block_offsets[i]
                out.append(VB[:, o:o + t.k, o:o + t.k])
            else:
                ix = layout.term_index[i] - layout.qB
                out.append(Sinv[ix[:, :, None], ix[:, None, :]])
        return out
