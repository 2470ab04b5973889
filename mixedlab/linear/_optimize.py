"""Optimise the profiled criterion over θ as lme4 does (``optimizeLmer``, ``checkConv``).

lme4 1.1-31's defaults, reproduced here:

* optimiser NLopt BOBYQA ("nloptwrap") with ``xtol_abs = ftol_abs = 1e-8``,
  ``maxeval = 1e5`` and nloptr's default ``xtol_rel = 1e-4``;
* ``restart_edge``: if some θ ends exactly on its bound and the one-sided slope into
  the interior is negative, optimise again from there;
* ``boundary.tol = 1e-5``: a θ within that distance of its bound is set onto the bound
  when that lowers the criterion;
* finite-difference gradient and Hessian at the optimum (``deriv12``, step 1e-4), and the
  convergence checks on them (scaled gradient above 2e-3, Hessian not positive definite
  or badly conditioned), skipped for a singular fit as lme4 skips them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import nlopt
import numpy as np

__all__ = ["LmerControl", "OptimResult", "optimize_lmer", "deriv12", "check_convergence"]

SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')"


@dataclass(frozen=True)
class LmerControl:
    """Settings of the optimisation, named after ``lme4::lmerControl``.

    Parameters
    ----------
    xtol_abs, ftol_abs, xtol_rel, maxeval
        NLopt BOBYQA's stopping rules (lme4's ``nloptwrap`` defaults).
    restart_edge
        Restart once when the fit ends on a bound with a negative slope into the interior.
    boundary_tol
        Snap θ elements this close to their bound onto it when that lowers the criterion.
    calc_derivs
        Compute the finite-difference gradient and Hessian for the convergence checks.
    check_conv_grad_tol, check_conv_hess_tol, singular_tol
        Tolerances of lme4's ``check.conv.grad``, ``check.conv.hess`` and ``isSingular``.
    start
        Starting θ; ``None`` uses lme4's (1 on diagonals, 0 elsewhere).
    """

    xtol_abs: float = 1e-8
    ftol_abs: float = 1e-8
    xtol_rel: float = 1e-4
    maxeval: int = 100_000
    restart_edge: bool = True
    boundary_tol: float = 1e-5
    calc_derivs: bool = True
    check_conv_grad_tol: float = 2e-3
    check_conv_hess_tol: float = 1e-6
    singular_tol: float = 1e-4
    start: tuple[float, ...] | None = None


@dataclass
class OptimResult:
    """What the optimiser found, and what lme4's checks said about it."""

    theta: np.ndarray
    fval: float
    n_evals: int
    return_code: int
    message: str
    is_singular: bool
    gradient: np.ndarray | None = None
    hessian: np.ndarray | None = None
    conv_warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        """True when NLopt stopped on a tolerance and no convergence check failed."""
        return self.return_code > 0 and not self.conv_warnings


_NLOPT_MESSAGES = {
    1: "NLOPT_SUCCESS: Generic success return value.",
    2: "NLOPT_STOPVAL_REACHED: Optimization stopped because stopval was reached.",
    3: "NLOPT_FTOL_REACHED: Optimization stopped because ftol_rel or ftol_abs was reached.",
    4: "NLOPT_XTOL_REACHED: Optimization stopped because xtol_rel or xtol_abs was reached.",
    5: "NLOPT_MAXEVAL_REACHED: Optimization stopped because maxeval was reached.",
    6: "NLOPT_MAXTIME_REACHED: Optimization stopped because maxtime was reached.",
    -4: "NLOPT_ROUNDOFF_LIMITED: Roundoff errors led to a breakdown of the optimization algorithm.",
}


class _Counted:
    """The criterion with an evaluation counter, in NLopt's calling convention."""

    def __init__(self, fn: Callable[[np.ndarray], float]) -> None:
        self.fn = fn
        self.count = 0

    def __call__(self, x: np.ndarray, grad: np.ndarray | None = None) -> float:
        self.count += 1
        return self.fn(x)


def _bobyqa(fn: _Counted, x0: np.ndarray, lower: np.ndarray, ctrl: LmerControl) -> tuple[np.ndarray, float, int]:
    n = x0.size
    opt = nlopt.opt(nlopt.LN_BOBYQA, n)
    opt.set_min_objective(fn)
    opt.set_lower_bounds(lower)
    opt.set_upper_bounds(np.full(n, np.inf))
    opt.set_xtol_abs(ctrl.xtol_abs)
    opt.set_ftol_abs(ctrl.ftol_abs)
    opt.set_xtol_rel(ctrl.xtol_rel)
    opt.set_maxeval(ctrl.maxeval)
    try:
        x = opt.optimize(x0)
        code = opt.last_optimize_result()
        fval = opt.last_optimum_value()
    except nlopt.RoundoffLimited:
        # NLopt keeps the best point found; lme4 reports it with a convergence code
        code = -4
        x = np.asarray(x0, dtype=float)
        fval = fn.fn(x)
    return np.asarray(x, dtype=float), float(fval), int(code)


def deriv12(fn: Callable[[np.ndarray], float], x: np.ndarray, fx: float, delta: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient and Hessian, as lme4's ``deriv12`` computes them."""
    nx = x.size
    g = np.empty(nx)
    H = np.empty((nx, nx))
    for j in range(nx):
        xa, xs = x.copy(), x.copy()
        xa[j] += delta
        xs[j] -= delta
        fa, fs = fn(xa), fn(xs)
        H[j, j] = (fa - 2.0 * fx + fs) / delta**2
        g[j] = (fa - fs) / (2.0 * delta)
        for i in range(j):
            pts = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                z = x.copy()
                z[i] += si * delta
                z[j] += sj * delta
                pts.append(fn(z))
            H[i, j] = H[j, i] = (pts[0] - pts[1] - pts[2] + pts[3]) / (4.0 * delta**2)
    return g, H


def _check_hessian(H: np.ndarray, tol: float) -> list[str]:
    """lme4's ``checkHess``: negative, zero or badly spread eigenvalues of the Hessian."""
    try:
        ev = np.linalg.eigvalsh(H)
    except np.linalg.LinAlgError:
        return ["Problem with Hessian check (infinite or missing values?)"]
    if not np.all(np.isfinite(ev)):
        return ["Problem with Hessian check (infinite or missing values?)"]
    negative = int(np.sum(ev < -tol))
    if negative:
        return [f"Model failed to converge: degenerate  Hessian with {negative} negative eigenvalues"]
    if np.any(np.abs(ev) < tol) or not _is_pd(H):
        return [" Hessian is numerically singular: parameters are not uniquely determined"]
    out = []
    if ev.max() * tol > 1:
        out.append("Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?")
    if ev.min() / ev.max() < tol:
        out.append("Model is nearly unidentifiable: large eigenvalue ratio\n - Rescale variables?")
    return out


def _is_pd(H: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(H)
        return True
    except np.linalg.LinAlgError:
        return False


def check_convergence(g: np.ndarray, H: np.ndarray, ctrl: LmerControl) -> list[str]:
    """lme4's ``checkConv`` gradient and Hessian checks; returns the warnings (maybe none)."""
    out = []
    try:
        R = np.linalg.cholesky(H).T  # R's chol() gives the upper factor
        scgrad = np.linalg.solve(R, g)
        bad = not np.all(np.isfinite(scgrad))
    except np.linalg.LinAlgError:
        bad = True
    if bad:
        out.append("unable to evaluate scaled gradient")
    else:
        mingrad = np.minimum(np.abs(scgrad), np.abs(g))
        if mingrad.max() > ctrl.check_conv_grad_tol:
            # lme4 reports which.max of a scalar, i.e. always component 1
            out.append(
                f"Model failed to converge with max|grad| = {mingrad.max():.6g} "
                f"(tol = {ctrl.check_conv_grad_tol:g}, component 1)"
            )
    out.extend(_check_hessian(H, ctrl.check_conv_hess_tol))
    return out


def _edge_and_boundary(
    fn: _Counted, devfun: Callable[[np.ndarray], float], theta: np.ndarray, fval: float, code: int,
    lower: np.ndarray, ctrl: LmerControl,
) -> tuple[np.ndarray, float, int]:
    """lme4's ``restart_edge`` and ``boundary.tol`` steps after a BOBYQA run."""
    if ctrl.restart_edge:
        on_bound = np.flatnonzero(theta == lower)
        if on_bound.size:
            d0 = devfun(theta)
            btol = 1e-5
            slopes = []
            for i in on_bound:
                t = theta.copy()
                t[i] = lower[i] + btol
                slopes.append((devfun(t) - d0) / btol)
            if any(s < 0 for s in slopes):
                theta, fval, code = _bobyqa(fn, theta, lower, ctrl)

    if ctrl.boundary_tol > 0:
        gap = theta - lower
        near = np.flatnonzero((gap > 0) & (gap < ctrl.boundary_tol))
        if near.size:
            best = theta.copy()
            for i in near:
                t = best.copy()
                t[i] = lower[i]
                if devfun(t) < fval:
                    best[i] = lower[i]
            theta = best
            fval = devfun(theta)
    return theta, fval, code


#: BOBYQA runs after the first when lme4's gradient check fails (see :func:`optimize_lmer`)
MAX_RESTARTS = 3


def optimize_lmer(
    devfun: Callable[[np.ndarray], float], lower: np.ndarray, start: np.ndarray, ctrl: LmerControl
) -> OptimResult:
    """Minimise ``devfun`` over θ with lme4's optimiser, restarts, boundary snap and checks.

    Beyond lme4: when lme4's gradient check fails (lme4 would warn "failed to converge"),
    BOBYQA is restarted from the point reached, with a fresh trust region, up to
    :data:`MAX_RESTARTS` times while the criterion keeps falling.  BOBYQA's trust
    region shrinks to its final radius along the way, and on badly scaled θ (a slope
    on a large scale: θ elements of 1e-4 beside 1) it stops where that radius is far
    from the optimum: sleepstudy with Days·1000 stops at 1757.67 (lme4 at 1757.59);
    one restart reaches 1757.44.  Fits that pass lme4's checks are never restarted, so
    they keep lme4's path and result.
    """
    fn = _Counted(devfun)
    x0 = np.asarray(ctrl.start if ctrl.start is not None else start, dtype=float)
    theta, fval, code = _bobyqa(fn, x0, lower, ctrl)
    theta, fval, code = _edge_and_boundary(fn, devfun, theta, fval, code, lower, ctrl)
    result = _checked(devfun, theta, fval, code, lower, ctrl)
    for _ in range(MAX_RESTARTS):
        if not (result.conv_warnings and result.gradient is not None and _gradient_failed(result)):
            break
        t2, f2, c2 = _bobyqa(fn, theta, lower, ctrl)
        t2, f2, c2 = _edge_and_boundary(fn, devfun, t2, f2, c2, lower, ctrl)
        if not f2 < fval:
            break
        theta, fval, code = t2, f2, c2
        result = _checked(devfun, theta, fval, code, lower, ctrl)
    result.n_evals = fn.count
    return result


def _gradient_failed(result: OptimResult) -> bool:
    return any(w.startswith("Model failed to converge with max|grad|") for w in result.conv_warnings)


def _checked(
    devfun: Callable[[np.ndarray], float], theta: np.ndarray, fval: float, code: int,
    lower: np.ndarray, ctrl: LmerControl,
) -> OptimResult:
    """The result at θ with lme4's singularity test and convergence checks."""
    diag = lower == 0
    is_singular = bool(np.any(theta[diag] < ctrl.singular_tol))
    result = OptimResult(
        theta=theta,
        fval=fval,
        n_evals=0,
        return_code=code,
        message=_NLOPT_MESSAGES.get(code, f"NLopt return code {code}"),
        is_singular=is_singular,
    )
    if code < 0 or code == 5:
        result.conv_warnings.append(f"convergence code {code} from nloptwrap: {result.message}")
    if is_singular:
        # lme4 skips the derivative-based checks for singular fits
        result.messages.append(SINGULAR_MESSAGE)
    elif ctrl.calc_derivs:
        g, H = deriv12(devfun, theta, fval)
        result.gradient, result.hessian = g, H
        result.conv_warnings.extend(check_convergence(g, H, ctrl))
    return result
