"""glmmTMB's REML: the conditional fixed effects integrated out with the random effects.

glmmTMB 1.1.5 with ``REML = TRUE`` adds ``"beta"`` to TMB's random vector
(``mkTMBStruc``: ``randomArg <- c(randomArg, "beta")``), so the Laplace step runs over
(u, β) with a flat prior on β. With φ' = (β_zi, β_disp, θ, ψ) the outer objective is

    f_R(φ') = jnll(û, β̂; φ') + ½ log|H_J| − (p/2) log 2π

where (û, β̂) is the joint mode and H_J the Hessian of jnll in (u, β); the u-prior's
constants cancel as in :mod:`._laplace`, the flat β-prior leaves −(p/2) log 2π (so a
gaussian model's f_R is lme4's REML criterion / 2, (n − p) log 2π included).

**Inner problem.** Blocked: Newton on β of the profiled jnll(û(β), β), whose gradient is
∂jnll/∂β at û (envelope theorem) and whose Hessian is exactly the Schur complement
``S = K_ββ − K_βu H⁻¹ K_uβ`` (:meth:`LaplaceObjective.profile_hessian`); each step solves the
u-problem of :mod:`._laplace` (warm-started). Then ``|H_J| = |H| |S|``.

**Gradient.** Central differences of f_R (step 1e-5): the analytic Laplace gradient of
:mod:`._laplace` does not extend to β in the random vector without third derivatives
through S; the outer dimension under REML is small (θ, dispersion, ψ).

**Standard errors** (``sdreport(getJointPrecision = TRUE)`` and ``vcov.glmmTMB``'s
``GMRFmarginal``): with H_f the Hessian of f_R (``optimHess``) and B = dβ̂/dφ',

    Cov(β) = S⁻¹ + B H_f⁻¹ Bᵀ,   Cov(β, φ') = B H_f⁻¹,   Cov(φ') = H_f⁻¹

(TMB's joint precision ``[[H, HA], [AᵀH, AᵀHA + H_f]]`` with A = −dr̂/dφ, inverted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixedlab.tmb._jet import JetSpace
from mixedlab.tmb._laplace import LaplaceObjective
from mixedlab.tmb._families import C
from mixedlab.tmb._optimize import TmbOptResult

__all__ = ["RemlObjective", "RemlLayout", "reml_result"]

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass
class RemlLayout:
    """The outer vector under REML: glmmTMB's order without ``beta``."""

    size: int
    theta: slice


class RemlObjective:
    """f_R(φ') and its gradient, on top of one :class:`LaplaceObjective` (ML layout)."""

    def __init__(self, lap: LaplaceObjective, beta0: np.ndarray, fd_step: float = 1e-5,
                 beta_tol: float = 1e-10, beta_maxit: int = 100) -> None:
        self.lap = lap
        pl = lap.params
        self.p = pl.p
        self.keep = np.setdiff1d(np.arange(pl.size), np.arange(pl.beta.start, pl.beta.stop))
        self.params = RemlLayout(int(self.keep.size),
                                 slice(pl.theta.start - self.p, pl.theta.stop - self.p))
        self.beta_best = np.asarray(beta0, dtype=float).copy()
        self.fd_step = fd_step
        self.beta_tol = beta_tol
        self.beta_maxit = beta_maxit
        self._tangent = None  # optimize_tmb's optim_hess sets this attribute; unused here
        self._cache: dict[bytes, tuple] = {}
        self.n_fn = 0
        self.n_gr = 0

    # ------------------------------------------------------------------ pieces
    def full(self, phi: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """The ML-layout parameter vector with β inserted."""
        par = np.empty(self.lap.params.size)
        par[self.lap.params.beta] = beta
        par[self.keep] = phi
        return par

    def _profile(self, par: np.ndarray):
        """(jnll at û, ∂jnll/∂β, S, inner result) at the full ``par``; None where undefined."""
        lap = self.lap
        res = lap.inner(par)
        if not np.isfinite(res.f):
            return None
        logdet = res.factor.logdet() if res.factor is not None else 0.0
        jnll = res.f - 0.5 * logdet
        J = lap.loglik_jet(JetSpace([(C,)]), res.eta, lap.split(par)["psi"])
        g = lap.data.X.T @ np.broadcast_to(-lap._wt(J[(C,)]), (lap.data.n,))
        K = lap.profile_hessian(par)
        if K is None:
            return None
        S = K[lap.params.beta, lap.params.beta]
        return jnll, g, S, res

    def solve(self, phi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray | None]:
        """(f_R, β̂, S) at φ' (f_R = +inf where the Laplace step is undefined)."""
        phi = np.asarray(phi, dtype=float)
        key = phi.tobytes()
        if key in self._cache:
            return self._cache[key]
        self.n_fn += 1
        beta = self.beta_best.copy()
        out = (math.inf, beta, None)
        got = self._profile(self.full(phi, beta))
        if got is None and np.any(beta):
            beta = np.zeros(self.p)
            got = self._profile(self.full(phi, beta))
        for _ in range(self.beta_maxit):
            if got is None:
                break
            jnll, g, S, res = got
            try:
                L = np.linalg.cholesky(S)
            except np.linalg.LinAlgError:
                break
            if np.max(np.abs(g), initial=0.0) < self.beta_tol * max(1.0, abs(jnll)) ** 0.5:
                f = (res.f + float(np.sum(np.log(np.diag(L)))) - 0.5 * self.p * _LOG_2PI)
                out = (f if np.isfinite(f) else math.inf, beta.copy(), S)
                break
            step = -np.linalg.solve(S, g)
            t = 1.0
            for _ in range(40):
                bn = beta + t * step
                gn = self._profile(self.full(phi, bn))
                if gn is not None and gn[0] <= jnll + 1e-4 * t * float(g @ step) + 1e-12 * abs(jnll):
                    break
                t *= 0.5
            else:
                # no descent: at the mode to rounding
                f = (res.f + float(np.sum(np.log(np.diag(L)))) - 0.5 * self.p * _LOG_2PI)
                out = (f if np.isfinite(f) else math.inf, beta.copy(), S)
                break
            beta, got = bn, gn
        if np.isfinite(out[0]):
            self.beta_best = out[1].copy()
        self._cache = {key: out}  # only the last point: the finite differences revisit it
        return out

    # ------------------------------------------------------------------ outer
    def fn(self, phi: np.ndarray) -> float:
        """f_R(φ') (+inf where undefined)."""
        return self.solve(phi)[0]

    def grad(self, phi: np.ndarray) -> np.ndarray:
        """∇f_R by central differences (NaN where undefined); also records dβ̂/dφ'."""
        phi = np.asarray(phi, dtype=float)
        self.n_gr += 1
        f0, b0, _ = self.solve(phi)
        out = np.full(phi.size, np.nan)
        if not np.isfinite(f0):
            return out
        B = np.zeros((self.p, phi.size))
        for j in range(phi.size):
            h = self.fd_step
            e = np.zeros(phi.size)
            e[j] = h
            self.beta_best = b0.copy()
            fp, bp, _ = self.solve(phi + e)
            self.beta_best = b0.copy()
            fm, bm, _ = self.solve(phi - e)
            out[j] = (fp - fm) / (2.0 * h)
            B[:, j] = (bp - bm) / (2.0 * h)
        self.beta_best = b0.copy()
        self.solve(phi)  # leave the cache (and the inner state) at φ'
        self.dbeta = B
        return out

    def profile_hessian(self, phi: np.ndarray) -> None:
        """No profiled start for the quasi-Newton phase (the identity is used)."""
        return None

    def covariance(self, phi: np.ndarray, hess: np.ndarray) -> np.ndarray | None:
        """The full covariance in glmmTMB's ML order (β first), or None if H_f is singular."""
        f, beta, S = self.solve(phi)
        self.grad(phi)
        if S is None:
            return None
        try:
            Hinv = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            return None
        B = self.dbeta
        pl = self.lap.params
        n = pl.size
        cov = np.zeros((n, n))
        bb = pl.beta
        cov[bb, bb] = np.linalg.inv(S) + B @ Hinv @ B.T
        cross = B @ Hinv
        cov[np.ix_(np.arange(bb.start, bb.stop), self.keep)] = cross
        cov[np.ix_(self.keep, np.arange(bb.start, bb.stop))] = cross.T
        cov[np.ix_(self.keep, self.keep)] = Hinv
        return 0.5 * (cov + cov.T)


def reml_result(obj: RemlObjective, opt: TmbOptResult) -> TmbOptResult:
    """The optimiser's result over φ' turned into the ML layout: β̂ inserted, the full
    covariance (:meth:`RemlObjective.covariance`), the gradient 0 in β (its mode)."""
    phi = opt.par
    f, beta, S = obj.solve(phi)
    par = obj.full(phi, beta)
    grad = np.zeros(par.size)
    grad[obj.keep] = opt.gradient
    cov = None
    warns = list(opt.warnings)
    if opt.pd_hess and opt.hessian is not None:
        cov = obj.covariance(phi, opt.hessian)
        if cov is None and "non-positive-definite Hessian matrix" not in warns:
            warns.append("non-positive-definite Hessian matrix")
    obj.lap.inner(par)  # the cached inner state is the joint mode's
    return TmbOptResult(par, f, grad, opt.hessian, cov, opt.pd_hess and cov is not None,
                        opt.converged, opt.message, opt.iterations, obj.n_fn, obj.n_gr, warns)
