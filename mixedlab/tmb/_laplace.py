"""glmmTMB's objective: the exact Laplace approximation and its gradient.

With spherical random effects u (b = Λ(θ)u) and φ = (β_cond, β_zi, β_disp, θ, ψ),

    jnll(u; φ) = −Σ_i w_i ℓ_i(η_i) + ½‖u‖²
    f(φ)       = jnll(û; φ) + ½ log|H(û; φ)|,   û = argmin_u jnll,   H = ∂²jnll/∂u∂uᵀ

which is TMB's ``−log L`` (``MakeADFun(..., random = c("b", "bzi"))``) exactly: in b the
prior contributes ½ log|Σ| + (q/2) log 2π, the Laplace step −(q/2) log 2π + ½ log|H_b|, and
|H_b| |Σ| = |H|.

**Inner problem** (TMB's ``newton``): Newton steps on u with the observed Hessian, a
halving line search on jnll, and H + λI when H is not positive definite (zero-inflated
likelihoods are not log-concave); warm-started from the last mode.

**Gradient** (analytic; the envelope theorem plus the implicit derivative of û):

    df/dφ = ∂f/∂φ|_û − rᵀ ∂(∂jnll/∂u)/∂φ,   r = H⁻¹ v,   v = ∂(½ log|H|)/∂u

With P_i = A_i H⁻¹ A_iᵀ and T_it = −½ w_i Σ_ss' P_i,ss' ℓ_i,ss't (t any predictor), v = Σ_s
A_sᵀ T_s and, per observation, ``e_t = −w ℓ_t + T_t + w Σ_s ℓ_st (A_s r)``; then
``∂f/∂β_t = X_tᵀ e_t`` and ``∂f/∂ψ = Σ_i e_ψ``. For θ of a term with levels j (b-space
form, M = Λ⁻¹ ∂Σ Λ⁻ᵀ, V_j the term's diagonal blocks of H⁻¹):

    ∂f/∂θ = Σ_j [ −½ u_jᵀ M u_j + ½ tr M − ½ tr(V_j M) + r_jᵀ M u_j ]

The derivatives of ℓ come from the jets of :mod:`._jet` (orders 2 and 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mixedlab.tmb._families import C, D, P, Z, TmbFamily, inner_derivatives, observation_loglik
from mixedlab.tmb._jet import Jet
from mixedlab.tmb._hessian import HessianStructure, HFactor, NotPositiveDefinite
from mixedlab.tmb._jet import JetSpace
from mixedlab.tmb._random import ReLayout, TmbTerm

__all__ = ["TmbData", "ParamLayout", "LaplaceObjective", "InnerResult"]


@dataclass
class TmbData:
    """Everything the objective needs, already as arrays (built by :mod:`mixedlab.fitting`)."""

    family: TmbFamily
    y: np.ndarray
    size: np.ndarray | None
    weights: np.ndarray | None
    X: np.ndarray
    offset: np.ndarray
    Xzi: np.ndarray | None  # None: no zero inflation
    zioffset: np.ndarray | None
    Xd: np.ndarray | None  # None: no dispersion parameter
    doffset: np.ndarray | None
    terms: list[TmbTerm] = field(default_factory=list)  # conditional terms, then zi terms
    fixed_betad: float | None = None  # dispformula ~0 (gaussian): log σ² held here

    @property
    def n(self) -> int:
        return self.y.shape[0]


class ParamLayout:
    """glmmTMB's outer parameter vector: beta, betazi, betad, theta, thetazi, psi."""

    def __init__(self, data: TmbData, layout: ReLayout) -> None:
        self.p = data.X.shape[1]
        self.pz = 0 if data.Xzi is None else data.Xzi.shape[1]
        self.pd = 0 if (data.Xd is None or data.fixed_betad is not None) else data.Xd.shape[1]
        self.ntheta_c = sum(t.cov.n_theta for t in layout.terms if t.component == C)
        self.ntheta_z = layout.n_theta - self.ntheta_c
        self.npsi = data.family.n_psi
        o = 0
        self.beta = slice(o, o + self.p); o += self.p
        self.betazi = slice(o, o + self.pz); o += self.pz
        self.betad = slice(o, o + self.pd); o += self.pd
        self.theta = slice(o, o + layout.n_theta); o += layout.n_theta
        self.psi = slice(o, o + self.npsi); o += self.npsi
        self.size = o


@dataclass
class InnerResult:
    """The inner optimum at one φ."""

    f: float
    u: np.ndarray
    factor: HFactor | None
    vals: dict
    D: dict
    eta: dict
    iterations: int
    ok: bool = True


class LaplaceObjective:
    """f(φ) and ∇f(φ) for one model; caches the last evaluation and the best mode."""

    def __init__(self, data: TmbData, inner_tol: float = 1e-10, inner_maxit: int = 200) -> None:
        self.data = data
        fam = data.family
        self.fam = fam
        self.layout = ReLayout(data.terms, data.n)
        self.params = ParamLayout(data, self.layout)
        self.hstruct = HessianStructure(self.layout) if self.layout.terms else None
        self.S = list(self.layout.components)  # predictors carrying random effects
        vt = [C]
        if data.Xzi is not None:
            vt.append(Z)
        if data.Xd is not None and fam.uses_dispersion:
            vt.append(D)
        if fam.n_psi:
            vt.append(P)
        self.vars_t = vt
        self.space2 = JetSpace.build(self.S, vt, 2) if self.S else JetSpace([()])
        self.space3 = JetSpace.build(self.S, vt, 3) if self.S else JetSpace.build([], vt, 3)
        self.space1 = JetSpace([(t,) for t in vt])
        self.k = fam.prepare(data.y, data.size)
        # closed-form inner derivatives: random effects in the conditional model only
        self._fast_inner = self.S == [C]
        self.w = data.weights
        self.inner_tol = inner_tol
        self.inner_maxit = inner_maxit
        self.u_best = np.zeros(self.layout.q)
        self._tangent: dict | None = None
        self.f_best = math.inf
        self._cache_key: bytes | None = None
        self._cache: InnerResult | None = None
        self.n_fn = 0
        self.n_gr = 0

    # ------------------------------------------------------------------ pieces
    def split(self, par: np.ndarray) -> dict:
        pl = self.params
        return {"beta": par[pl.beta], "betazi": par[pl.betazi], "betad": par[pl.betad],
                "theta": par[pl.theta], "psi": par[pl.psi]}

    def fixed_eta(self, pp: dict) -> dict:
        d = self.data
        eta = {C: d.X @ pp["beta"] + d.offset}
        if d.Xzi is not None:
            eta[Z] = d.Xzi @ pp["betazi"] + d.zioffset
        if d.Xd is not None and self.fam.uses_dispersion:
            if d.fixed_betad is not None:
                eta[D] = np.full(d.n, d.fixed_betad) + d.doffset
            else:
                eta[D] = d.Xd @ pp["betad"] + d.doffset
        return eta

    def _jets(self, space: JetSpace, eta: dict, psi: np.ndarray):
        def jet(v):
            if v not in eta and v != P:
                return None
            if v == P:
                if not self.fam.n_psi:
                    return None
                val = float(psi[0])
            else:
                val = eta[v]
            return space.var(v, val) if (v,) in space.splits else space.const(val)
        return jet(C), jet(Z), jet(D), jet(P)

    def loglik_jet(self, space: JetSpace, eta: dict, psi: np.ndarray):
        c, z, d, ps = self._jets(space, eta, psi)
        return observation_loglik(self.fam, self.k, c, z, d, ps)

    def _wsum(self, v) -> float:
        v = np.broadcast_to(v, (self.data.n,))
        return float(v.sum() if self.w is None else (self.w * v).sum())

    def _wt(self, v):
        return v if self.w is None else self.w * v

    # ------------------------------------------------------------------ inner problem
    def _eval_u(self, eta_fix: dict, vals: dict, u: np.ndarray, psi, space):
        lay = self.layout
        eta = dict(eta_fix)
        for s in self.S:
            eta[s] = eta_fix[s] + lay.times(vals, u, s)
        if self._fast_inner and space is self.space2:
            with np.errstate(all="ignore"):
                got = inner_derivatives(self.fam, self.k, eta[C], eta.get(Z), eta.get(D))
            if got is not None:
                v, lc, lcc = got
                return eta, Jet(space, {(): v, (C,): lc, (C, C): lcc})
        J = self.loglik_jet(space, eta, psi)
        return eta, J

    def _jnll(self, J, u) -> float:
        val = -self._wsum(J.value) + 0.5 * float(u @ u)
        return val if np.isfinite(val) else math.inf

    def inner(self, par: np.ndarray) -> InnerResult:
        """Solve the inner problem at ``par``; ``f`` is +inf where the Laplace is undefined."""
        key = par.tobytes()
        if self._cache_key == key and self._cache is not None:
            return self._cache
        self.n_fn += 1
        pp = self.split(par)
        eta_fix = self.fixed_eta(pp)
        psi = pp["psi"]
        lay = self.layout
        if not lay.terms:
            J = self.loglik_jet(self.space1, eta_fix, psi)
            f = -self._wsum(J.value)
            res = InnerResult(f if np.isfinite(f) else math.inf, np.zeros(0), None, {}, {},
                              eta_fix, 0)
            self._store(key, res)
            return res
        lams = lay.lambdas(pp["theta"])
        if not all(np.all(np.isfinite(lm)) and np.max(np.abs(lm)) < 1e100 for lm in lams):
            res = InnerResult(math.inf, self.u_best.copy(), None, {}, {}, eta_fix, 0, ok=False)
            self._store(key, res)
            return res
        vals = lay.entry_values(lams)
        prods = self.hstruct.pair_products(vals)
        u = self._predicted_start(par, pp, vals)
        eta, J = self._eval_u(eta_fix, vals, u, psi, self.space2)
        fj = self._jnll(J, u)
        if not np.isfinite(fj) and self._tangent is not None:
            u = self.u_best.copy()
            eta, J = self._eval_u(eta_fix, vals, u, psi, self.space2)
            fj = self._jnll(J, u)
        if not np.isfinite(fj):
            u = np.zeros(lay.q)
            eta, J = self._eval_u(eta_fix, vals, u, psi, self.space2)
            fj = self._jnll(J, u)
        it = 0
        factor = None
        Dm = None
        ok = np.isfinite(fj)
        while ok:
            g = u - lay.times_t(vals, {s: self._wt(J[(s,)]) for s in self.S})
            Dm = {}
            for i, s in enumerate(self.S):
                for s2 in self.S[i:]:
                    Dm[(s, s2)] = -self._wt(J[(s, s2)])
            gmax = float(np.max(np.abs(g))) if g.size else 0.0
            try:
                factor = HFactor(self.hstruct, *self.hstruct.assemble(Dm, prods))
                pd = True
            except NotPositiveDefinite:
                factor, pd = None, False
            if pd and gmax < self.inner_tol:
                break
            if it >= self.inner_maxit:
                ok = pd
                break
            it += 1
            # Newton direction, with H + λI when H is not positive definite
            fac = factor
            lam = 1e-4
            while fac is None:
                try:
                    fac = HFactor(self.hstruct, *self.hstruct.assemble(Dm, prods, shift=lam))
                except NotPositiveDefinite:
                    lam *= 10.0
                    if lam > 1e12:
                        break
            if fac is None:
                ok = False
                break
            step = -fac.solve(g)
            slope = float(g @ step)
            t = 1.0
            accepted = False
            for _ in range(40):
                un = u + t * step
                eta_n, J_n = self._eval_u(eta_fix, vals, un, psi, self.space2)
                fn = self._jnll(J_n, un)
                if np.isfinite(fn) and fn <= fj + 1e-4 * t * slope + 1e-12 * abs(fj):
                    accepted = True
                    break
                t *= 0.5
            if not accepted:
                # no descent possible: at the mode to rounding, or stuck
                ok = pd and gmax < 1e-6 * max(1.0, abs(fj)) ** 0.5
                break
            u, eta, J, fj = un, eta_n, J_n, fn
        if not ok or factor is None:
            res = InnerResult(math.inf, u, None, vals, Dm or {}, eta, it, ok=False)
            self._store(key, res)
            return res
        f = fj + 0.5 * factor.logdet()
        res = InnerResult(f if np.isfinite(f) else math.inf, u, factor, vals, Dm, eta, it)
        if res.f < self.f_best:
            self.f_best = res.f
        if np.isfinite(res.f):
            self.u_best = u.copy()
        self._store(key, res)
        return res

    def _store(self, key, res):
        self._cache_key, self._cache = key, res

    def _predicted_start(self, par: np.ndarray, pp: dict, vals: dict) -> np.ndarray:
        """The inner problem's start: û at the last gradient's point moved along the implicit
        derivative, û + (dû/dφ)Δφ with dû/dφ = −H⁻¹ ∂(∂jnll/∂u)/∂φ (first order, so a Newton
        step or two from there reaches the mode); the last mode when there is none."""
        tg = self._tangent
        if tg is None or tg["u"].size == 0 or tg["u"].shape != self.u_best.shape:
            return self.u_best.copy()
        dpar = par - tg["par"]
        if not np.any(dpar):
            return tg["u"].copy()
        lay = self.layout
        pl = self.params
        d = self.data
        deta = {C: d.X @ dpar[pl.beta]}
        if pl.pz:
            deta[Z] = d.Xzi @ dpar[pl.betazi]
        if pl.pd:
            deta[D] = d.Xd @ dpar[pl.betad]
        dth = dpar[pl.theta]
        dvals = None
        if np.any(dth):
            th = tg["theta"]
            dl = []
            for t, sl in zip(lay.terms, lay.theta_slices):
                dL = np.zeros((t.k, t.k))
                for j, m in enumerate(t.cov.dlambda(th[sl])):
                    dL += dth[sl.start + j] * m
                dl.append(dL)
            dvals = lay.entry_values(dl)
            for s_ in self.S:
                deta[s_] = deta.get(s_, 0.0) + lay.times(dvals, tg["u"], s_)
        wl = tg["wl"]  # per s: w ℓ_s;  tg["wlst"][(s, t)]: w ℓ_st
        v = {}
        for s_ in self.S:
            acc = 0.0
            for t, de in deta.items():
                lst = tg["wlst"].get((s_, t))
                if lst is not None:
                    acc = acc + lst * de
            if pl.npsi and (s_, P) in tg["wlst"]:
                acc = acc + tg["wlst"][(s_, P)] * dpar[pl.psi][0]
            v[s_] = acc
        dg = -lay.times_t(tg["vals"], v)
        if dvals is not None:
            dg -= lay.times_t(dvals, {s_: wl[s_] for s_ in self.S})
        step = -tg["factor"].solve(dg)
        if not np.all(np.isfinite(step)):
            return self.u_best.copy()
        return tg["u"] + step

    # ------------------------------------------------------------------ outer
    def fn(self, par: np.ndarray) -> float:
        """f(φ) = −log L by the Laplace approximation (+inf where undefined)."""
        return self.inner(np.asarray(par, dtype=float)).f

    def grad(self, par: np.ndarray) -> np.ndarray:
        """∇f(φ), analytic (NaN where the objective is undefined)."""
        par = np.asarray(par, dtype=float)
        res = self.inner(par)
        self.n_gr += 1
        pl = self.params
        out = np.full(pl.size, np.nan)
        if not np.isfinite(res.f):
            return out
        pp = self.split(par)
        lay = self.layout
        J = self.loglik_jet(self.space3, res.eta, pp["psi"])
        if self.layout.terms:
            # what the next inner problem needs to predict its mode (_predicted_start)
            self._tangent = {
                "par": par.copy(), "u": res.u, "vals": res.vals, "factor": res.factor,
                "theta": pp["theta"].copy(),
                "wl": {s: self._wt(J[(s,)]) for s in self.S},
                "wlst": {(s, t): self._wt(J[(s, t)]) for s in self.S for t in self.vars_t},
            }
        S = self.S
        e: dict[int, np.ndarray] = {}
        if lay.terms:
            Pm, sel = res.factor.obs_inverse(res.vals, S)
            T = {}
            for t in self.vars_t:
                acc = 0.0
                for i, s in enumerate(S):
                    for s2 in S[i:]:
                        mult = 1.0 if s == s2 else 2.0
                        acc = acc + mult * Pm[(s, s2)] * J[(s, s2, t)]
                T[t] = -0.5 * self._wt(acc)
            v = lay.times_t(res.vals, {s: T[s] for s in S})
            r = res.factor.solve(v)
            rho = {s: lay.times(res.vals, r, s) for s in S}
            for t in self.vars_t:
                acc = -J[(t,)]
                for s in S:
                    acc = acc + J[(s, t)] * rho[s]
                e[t] = self._wt(acc) + T[t]
            # θ: b-space formula per term
            Vt = res.factor.term_blocks(sel, lay)
            U = lay.term_values(res.u)
            R = lay.term_values(r)
            gth = np.zeros(lay.n_theta)
            for ti, term in enumerate(lay.terms):
                sl = lay.theta_slices[ti]
                M = term.cov.m_matrices(pp["theta"][sl])
                Ut, Rt, V = U[ti], R[ti], Vt[ti]
                Vsum = V.sum(axis=0)
                UU = Ut.T @ Ut
                RU = Rt.T @ Ut
                nl = term.n_levels
                for j in range(M.shape[0]):
                    Mj = M[j]
                    gth[j + sl.start] = (-0.5 * np.sum(UU * Mj) + 0.5 * nl * np.trace(Mj)
                                         - 0.5 * np.sum(Vsum * Mj.T) + np.sum(RU * Mj))
            out[pl.theta] = gth
        else:
            for t in self.vars_t:
                e[t] = -self._wt(J[(t,)])
        d = self.data
        out[pl.beta] = d.X.T @ np.broadcast_to(e[C], (d.n,))
        if pl.pz:
            out[pl.betazi] = d.Xzi.T @ np.broadcast_to(e[Z], (d.n,))
        if pl.pd:
            out[pl.betad] = d.Xd.T @ np.broadcast_to(e[D], (d.n,))
        if pl.npsi:
            out[pl.psi] = float(np.sum(np.broadcast_to(e[P], (d.n,))))
        return out

    def profile_hessian(self, par: np.ndarray) -> np.ndarray | None:
        """An approximation of ∇²f in the fixed-effect coefficients (β, β_zi, β_disp).

        The Hessian of jnll(û(β), β) — the joint Hessian in (β, u) with u profiled out,
        ``K_ββ − K_βu H⁻¹ K_uβ`` — omits only the curvature of ½ log|H| (O(1) against the
        likelihood's O(n)). The quasi-Newton phase starts from it. ``None`` where the
        objective is undefined.
        """
        par = np.asarray(par, dtype=float)
        res = self.inner(par)
        if not np.isfinite(res.f):
            return None
        pp = self.split(par)
        vt = [t for t in self.vars_t if t != P]
        space = JetSpace({(t,) for t in vt} | {tuple(sorted((a, b))) for a in vt for b in vt})
        J = self.loglik_jet(space, res.eta, pp["psi"])
        d = self.data
        pl = self.params
        blocks = {C: (d.X, pl.beta)}
        if pl.pz:
            blocks[Z] = (d.Xzi, pl.betazi)
        if pl.pd:
            blocks[D] = (d.Xd, pl.betad)
        K = np.zeros((pl.size, pl.size))
        n = d.n
        for a in blocks:
            for b in blocks:
                Xa, sa = blocks[a]
                Xb, sb = blocks[b]
                w = -np.broadcast_to(self._wt(J[(a, b)]), (n,))
                K[sa, sb] = Xa.T @ (w[:, None] * Xb)
        lay = self.layout
        if lay.terms:
            cols = []
            idx = []
            for a, (Xa, sa) in blocks.items():
                for j in range(Xa.shape[1]):
                    v = {s: -self._wt(J[(a, s)]) * Xa[:, j] for s in self.S}
                    cols.append(lay.times_t(res.vals, v))
                    idx.append(sa.start + j)
            Kbu = np.array(cols)  # (p_total, q)
            HiK = np.array([res.factor.solve(c) for c in Kbu])
            idx = np.array(idx)
            K[np.ix_(idx, idx)] -= Kbu @ HiK.T
        return 0.5 * (K + K.T)
