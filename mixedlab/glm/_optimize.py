"""glmer's two optimisation stages, boundary check, derivatives and convergence checks.

lme4 1.1-31 (``glmer``, ``optimizeGlmer``, ``optwrap``, ``check.boundary``, ``deriv12``):

1. stage 1 (``nAGQ0initStep``): BOBYQA (minqa's settings, :mod:`~mixedlab.glm._bobyqa`) over θ
   of the nAGQ = 0 deviance; θ₀ = lme4's start (0.001 if all zero); no derivatives; when the
   user asked for nAGQ = 0 this is the fit, with ``boundary.tol = 1e-5``;
2. stage 2: lme4's Nelder–Mead over (θ, β) from (θ̂₁, β̂₁), initial steps
   ``xst = 0.2·(0.1 per θ, min(sqrt(diag(unsc)), 10) per β)`` with unsc = (R_XᵀR_X)⁻¹ of
   stage 1, ``xt = 5e-4·xst``;
3. ``deriv12`` (central differences, δ = 1e-4) of the stage-2 deviance at the optimum, one
   last evaluation there, then ``check.boundary``: each θ within 1e-5 of its bound is put on
   it when that lowers the deviance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mixedlab.glm._bobyqa import bobyqa
from mixedlab.glm._laplace import GlmerModel, Stage1Devfun, Stage2Devfun
from mixedlab.glm._nelder_mead import nelder_mead
from mixedlab.linear._optimize import LmerControl, check_convergence

__all__ = ["GlmerOptResult", "optimize_glmer", "refit_glmer", "deriv12"]

SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')"


@dataclass
class GlmerOptResult:
    """The optimum and what the checks said (lme4's ``optinfo``)."""

    par: np.ndarray
    fval: float
    theta: np.ndarray
    beta: np.ndarray
    nAGQ: int
    feval: int
    feval_stage1: int
    optimizer: str
    code: int
    message: str
    is_singular: bool
    gradient: np.ndarray | None = None
    hessian: np.ndarray | None = None
    unsc: np.ndarray | None = None
    conv_warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    npt: int = 0


def deriv12(fun, x: np.ndarray, delta: float = 1e-4, fx: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """lme4's ``deriv12``: central-difference gradient and Hessian, with R's arithmetic order."""
    nx = x.size
    if fx is None:
        fx = fun(x)
    H = np.empty((nx, nx))
    g = np.empty(nx)
    d2 = delta ** 2
    dd = (delta + delta) ** 2
    for j in range(nx):
        xa = x.copy()
        xa[j] += delta
        xs = x.copy()
        xs[j] -= delta
        fadd, fsub = fun(xa), fun(xs)
        H[j, j] = fadd / d2 - 2 * fx / (delta * delta) + fsub / d2
        g[j] = (fadd - fsub) / (delta + delta)
        for i in range(j):
            vals = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                z = x.copy()
                z[i] += si * delta
                z[j] += sj * delta
                vals.append(fun(z))
            H[i, j] = H[j, i] = vals[0] / dd - vals[1] / dd - vals[2] / dd + vals[3] / dd
    return g, H


def _check_boundary(devfun, par: np.ndarray, fval: float, lower: np.ndarray, nth: int, tol: float):
    bdiff = par[:nth] - lower[:nth]
    edge = (bdiff > 0) & (bdiff < tol)
    if not edge.any():
        return par, fval
    pp = par.copy()
    for i in np.flatnonzero(edge):
        t = pp.copy()
        t[i] = lower[i]
        if devfun(t) < fval:
            pp[i] = t[i]
    return pp, float(devfun(pp))


def _unsc(RX: np.ndarray) -> np.ndarray:
    p = RX.shape[0]
    if p == 0:
        return np.zeros((0, 0))
    Li = np.linalg.solve(RX, np.eye(p))
    return Li.T @ Li


def optimize_glmer(gm: GlmerModel, nAGQ: int = 1, calc_derivs: bool = True, boundary_tol: float = 1e-5,
                   ctrl: LmerControl | None = None) -> GlmerOptResult:
    """Run glmer's stages on ``gm`` (see the module docstring); ``gm`` is left at the optimum."""
    ctrl = ctrl or LmerControl()
    nth = gm.nth
    dev1 = Stage1Devfun(gm)
    start = gm.layout.start.copy()
    if np.all(start == 0):
        start[:] = 0.001
    r1 = bobyqa(dev1, start, gm.lower)
    theta1 = r1.par
    fval1 = r1.fval
    conv: list[str] = []
    if r1.code < 0 or r1.code == 5:
        conv.append(f"convergence code {r1.code} from bobyqa")
    if nAGQ == 0:
        if boundary_tol > 0:
            theta1, fval1 = _check_boundary(dev1, theta1, fval1, gm.lower, nth, boundary_tol)
        dev1(theta1)  # the state at the optimum
        sing = bool(np.any(theta1[gm.lower == 0] < ctrl.singular_tol))
        res = GlmerOptResult(theta1.copy(), float(fval1), theta1.copy(), gm.state.beta.copy(), 0, dev1.count,
                             dev1.count, "bobyqa", r1.code, "", sing, unsc=_unsc(gm.state.RX),
                             conv_warnings=conv, npt=r1.npt)
        if sing:
            res.messages.append(SINGULAR_MESSAGE)
        return res
    dev1(theta1)  # optwrap's final evaluation: the state stage 2 starts from
    beta1 = gm.state.beta.copy()
    unsc = _unsc(gm.state.RX)
    dev2 = Stage2Devfun(gm, nAGQ)
    xst = 0.2 * np.concatenate([np.full(nth, 0.1), np.minimum(np.sqrt(np.diag(unsc)), 10.0)])
    xt = xst * 5e-4
    par0 = np.concatenate([theta1, beta1])
    r2 = nelder_mead(dev2, par0, dev2.lower, np.full(par0.size, np.inf), xst, xt)
    if r2.code < 0:
        from mixedlab.glm._pirls import PIRLSError

        raise PIRLSError(f"Nelder_Mead could not start: {r2.message}")
    if r2.code == 4:
        conv.append(f"convergence code 4 from Nelder_Mead: {r2.message}")
    feval = r2.feval
    g = H = None
    if calc_derivs:
        g, H = deriv12(dev2, r2.par.copy(), fx=None)
    par, fval = r2.par.copy(), float(r2.fval)
    dev2(par)  # optwrap's final evaluation
    if boundary_tol > 0:
        par, fval = _check_boundary(dev2, par, fval, dev2.lower, nth, boundary_tol)
    theta, beta = par[:nth], par[nth:]
    sing = bool(np.any(theta[gm.lower == 0] < ctrl.singular_tol))
    res = GlmerOptResult(par, fval, theta.copy(), beta.copy(), nAGQ, feval, dev1.count, "Nelder_Mead", r2.code,
                         r2.message, sing, g, H, unsc, conv, npt=r1.npt)
    if sing:
        res.messages.append(SINGULAR_MESSAGE)
    elif g is not None:
        res.conv_warnings.extend(check_convergence(g, H, ctrl))
    return res


def refit_glmer(gm: GlmerModel, par0: np.ndarray, unsc: np.ndarray | None, calc_derivs: bool = True,
                ctrl: LmerControl | None = None) -> GlmerOptResult:
    """lme4's ``refit.merMod`` for a Laplace GLMM: one Nelder–Mead run over (θ, β) from ``par0``.

    ``gm`` comes from :meth:`GlmerModel.for_refit`. As lme4 1.1-31: ``optwrap`` without its
    stage-2 adjustments, so Nelder_Mead's own defaults ``xst = 0.02``, ``xt = 5e-4·xst`` (refit
    computes a scaled ``xst`` but leaves it commented out); derivatives when the original fit
    had them; no boundary check. ``unsc`` is carried over for the σ²·unsc vcov fallback.
    """
    ctrl = ctrl or LmerControl()
    nth = gm.nth
    dev2 = Stage2Devfun(gm, 1)
    par0 = np.asarray(par0, dtype=float)
    xst = np.full(par0.size, 0.02)
    r2 = nelder_mead(dev2, par0, dev2.lower, np.full(par0.size, np.inf), xst, xst * 5e-4)
    if r2.code < 0:
        from mixedlab.glm._pirls import PIRLSError

        raise PIRLSError(f"Nelder_Mead could not start: {r2.message}")
    conv: list[str] = []
    if r2.code == 4:
        conv.append(f"convergence code 4 from Nelder_Mead: {r2.message}")
    g = H = None
    if calc_derivs:
        g, H = deriv12(dev2, r2.par.copy())
    par, fval = r2.par.copy(), float(r2.fval)
    dev2(par)  # optwrap's final evaluation
    theta, beta = par[:nth], par[nth:]
    sing = bool(np.any(theta[gm.lower == 0] < ctrl.singular_tol))
    res = GlmerOptResult(par, fval, theta.copy(), beta.copy(), 1, r2.feval, 0, "Nelder_Mead", r2.code,
                         r2.message, sing, g, H, unsc, conv)
    if sing:
        res.messages.append(SINGULAR_MESSAGE)
    elif g is not None:
        res.conv_warnings.extend(check_convergence(g, H, ctrl))
    return res
