"""The outer optimisation of the Laplace objective and glmmTMB's post-fit checks.

glmmTMB 1.1.5 runs ``nlminb(start, fn, gr, control = list(iter.max = 300, eval.max = 400))``
and then ``sdreport``: the Hessian of the outer objective by ``optimHess`` (central
differences of the gradient, step 1e-3, symmetrised), inverted for the covariance of the
fixed parameters (``fitTMB`` in ``R/glmmTMB.R``).

Here the optimiser is L-BFGS-B (scipy) on the analytic gradient, followed by Newton steps
with that same finite-difference Hessian: the quasi-Newton phase gets close cheaply and the
Newton steps converge quadratically, so the optimum is located to ~1e-10 in the gradient
(tighter than nlminb's relative-function stop) and the Hessian needed for the standard
errors is computed once anyway. The checks and their messages follow ``fitTMB``:
a Hessian that is not positive definite, extreme eigenvalues, optimiser failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mixedlab.tmb._laplace import LaplaceObjective

__all__ = ["TmbControl", "TmbOptResult", "optimize_tmb", "optim_hess", "CONVERGENCE_HELP"]

_EPS = float(np.finfo(float).eps)

#: Plain-words equivalents of glmmTMB's convergence warnings (key: glmmTMB's wording).
CONVERGENCE_HELP = {
    "non-positive-definite Hessian matrix":
        "the log-likelihood is not curved upwards in every direction at the estimates, so "
        "the standard errors cannot be trusted (often a variance estimated as ~0, a "
        "zero-inflation or dispersion parameter going to ±∞, or a level with no variation). "
        "Try a simpler model: drop the random-effect term or the zero-inflation/dispersion "
        "term with the huge estimate, or rescale predictors",
    "extreme or very small eigenvalues detected":
        "the estimates are nearly unidentifiable along some direction (a near-flat "
        "likelihood); check for redundant predictors or parameters going to ±∞ and simplify",
    "false convergence (8)":
        "the optimiser stopped without meeting its convergence test, so the estimates may "
        "not be at the optimum; try other starting values or a simpler model",
    "optimizer failed":
        "the optimiser stopped before meeting its convergence test, so the estimates may "
        "not be at the optimum; try other starting values or a simpler model",
}


@dataclass
class TmbControl:
    """Optimiser settings (glmmTMB's ``glmmTMBControl`` where they correspond).

    Attributes
    ----------
    maxit : int
        Iterations of the quasi-Newton phase (nlminb's ``iter.max`` = 300 in glmmTMB; the
        Newton phase needs few more).
    gtol : float
        Stop when the largest gradient element is below this.
    newton_steps : int
        Newton steps with the finite-difference Hessian after the quasi-Newton phase.
    qn_gtol, hess_gtol : float
        The quasi-Newton phases stop at these largest gradient elements: the first from
        the identity, the second from the profiled Hessian; then the Hessian is computed.
    hess_step : float
        Step of the central differences of the gradient (``optimHess``'s ``ndeps`` 1e-3).
    start : dict, array or None
        Starting values by glmmTMB's names — ``beta``, ``betazi``, ``betad``, ``theta``,
        ``psi`` — or one vector in glmmTMB's order of ``m$fit$par``.
    optimize : bool
        ``False`` evaluates the model at ``start`` (all parameters given) without optimising:
        the estimates, Hessian and standard errors there (glmmTMB's ``fitTMB`` on a fixed
        ``par``).
    eigval_check : bool
        glmmTMB's eigenvalue check of the covariance matrix.
    """

    maxit: int = 1000
    gtol: float = 1e-8
    newton_steps: int = 4
    qn_gtol: float = 1.0
    hess_gtol: float = 1e-4
    hess_step: float = 1e-3
    start: dict | np.ndarray | None = None
    eigval_check: bool = True
    optimize: bool = True


@dataclass
class TmbOptResult:
    """Where the optimiser stopped and what the checks found."""

    par: np.ndarray
    objective: float
    gradient: np.ndarray
    hessian: np.ndarray | None
    cov: np.ndarray | None
    pd_hess: bool
    converged: bool
    message: str
    iterations: int
    n_fn: int
    n_gr: int
    warnings: list[str] = field(default_factory=list)  # glmmTMB's wording (keys of CONVERGENCE_HELP)


def optim_hess(obj: LaplaceObjective, par: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """R's ``optimHess(par, fn, gr)``: central differences of the gradient, symmetrised.

    Each inner problem starts from the first-order prediction of its mode made at ``par``
    (the implicit derivative of û), so one Newton step reaches it; the answers do not
    depend on the start.
    """
    n = par.size
    H = np.empty((n, n))
    obj.grad(par)  # the modes at ±h e_i are predicted from here (LaplaceObjective._tangent)
    tangent = obj._tangent
    for i in range(n):
        e = np.zeros(n)
        e[i] = step
        obj._tangent = tangent
        gp = obj.grad(par + e)
        obj._tangent = tangent
        gm = obj.grad(par - e)
        H[i] = (gp - gm) / (2.0 * step)
    obj._tangent = tangent
    return 0.5 * (H + H.T)


def _bfgs(obj: LaplaceObjective, x: np.ndarray, f: float, g: np.ndarray, ctl: TmbControl,
          gtol: float, Hinv: np.ndarray | None = None, maxit: int | None = None):
    """BFGS on the inverse Hessian with a backtracking (Armijo) line search.

    Stops when the largest gradient element is below ``ctl.qn_gtol`` (the Newton phase
    finishes the job) or after ``ctl.maxit`` iterations.
    """
    n = x.size
    first = Hinv is None
    if Hinv is None:
        Hinv = np.eye(n)
    msg = "iteration limit"
    it = 0
    for it in range(1, (maxit or ctl.maxit) + 1):
        if np.max(np.abs(g)) < gtol:
            msg = "gradient below tolerance"
            break
        d = -Hinv @ g
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            Hinv = np.eye(n)
            d = -g
            slope = float(g @ d)
            first = True
        # steps are capped, as a trust region would (parameters live on log and logit
        # scales): 1 on the first iteration, 5 after
        cap = 1.0 if first else 5.0
        t = min(1.0, cap / max(np.max(np.abs(d)), 1e-300))
        accepted = False
        for _ in range(40):
            xn = x + t * d
            fn = obj.fn(xn)
            if np.isfinite(fn) and fn <= f + 1e-4 * t * slope:
                accepted = True
                break
            t *= 0.5 if np.isfinite(fn) else 0.1
        if not accepted:
            msg = "line search failed"
            break
        gn = obj.grad(xn)
        if not np.all(np.isfinite(gn)):
            msg = "gradient not finite"
            break
        s_ = xn - x
        y_ = gn - g
        sy = float(s_ @ y_)
        if sy > 1e-12 * float(np.linalg.norm(s_) * np.linalg.norm(y_)):
            if first:
                Hinv = np.eye(n) * (sy / float(y_ @ y_))
                first = False
            rho = 1.0 / sy
            Hy = Hinv @ y_
            Hinv = (Hinv - rho * (np.outer(s_, Hy) + np.outer(Hy, s_))
                    + (rho * rho * float(y_ @ Hy) + rho) * np.outer(s_, s_))
        x, f, g = xn, fn, gn
        if abs(s_).max() < 1e-12:
            msg = "step below tolerance"
            break
    return x, f, g, it, msg


def _initial_inverse(obj: LaplaceObjective, x: np.ndarray, g: np.ndarray
                     ) -> tuple[np.ndarray, bool]:
    """The starting inverse Hessian of the quasi-Newton phase.

    The fixed-effect block is the profiled joint Hessian (:meth:`profile_hessian`); the
    columns of θ and ψ are forward differences of the gradient (one evaluation each).
    Negative curvature is clipped. Falls back to the identity (scaled after the first step).
    """
    n = x.size
    pl = obj.params
    K = obj.profile_hessian(x)
    if K is None:
        return np.eye(n), True
    other = list(range(pl.theta.start, pl.size))
    h = 1e-4
    for j in other:
        e = np.zeros(n)
        e[j] = h
        gj = obj.grad(x + e)
        if not np.all(np.isfinite(gj)):
            return np.eye(n), True
        col = (gj - g) / h
        K[:, j] = col
        K[j, :] = col
    K = 0.5 * (K + K.T)
    ev, V = np.linalg.eigh(K)
    if not np.all(np.isfinite(ev)) or ev.max() <= 0:
        return np.eye(n), True
    ev = np.maximum(ev, 1e-2 * ev.max())
    return (V / ev) @ V.T, False


def _is_pd(H: np.ndarray) -> bool:
    if H.size == 0:
        return True
    if not np.all(np.isfinite(H)):
        return False
    try:
        np.linalg.cholesky(H)
        return True
    except np.linalg.LinAlgError:
        return False


def optimize_tmb(obj: LaplaceObjective, start: np.ndarray, control: TmbControl | None = None
                 ) -> TmbOptResult:
    """Minimise the Laplace objective from ``start``; Hessian, covariance and checks."""
    ctl = control or TmbControl()
    x = np.asarray(start, dtype=float).copy()
    warns: list[str] = []
    if x.size == 0:
        f = obj.fn(x)
        return TmbOptResult(x, f, np.zeros(0), np.zeros((0, 0)), np.zeros((0, 0)), True, True,
                            "no parameters", 0, obj.n_fn, obj.n_gr)
    f0 = obj.fn(x)
    if not np.isfinite(f0):
        raise FloatingPointError("the negative log-likelihood is not finite at the starting "
                                 "values")
    g0 = obj.grad(x)
    if not np.all(np.isfinite(g0)):
        raise FloatingPointError("some elements of the gradient are not finite at the "
                                 "starting values")
    if not ctl.optimize:
        H = optim_hess(obj, x, ctl.hess_step)
        f = obj.fn(x)
        g = obj.grad(x)
        pd_hess = _is_pd(H)
        cov = np.linalg.inv(H) if pd_hess else None
        return TmbOptResult(x, f, g, H, None if cov is None else 0.5 * (cov + cov.T), pd_hess,
                            True, "evaluated at the given parameters", 0, obj.n_fn, obj.n_gr,
                            [] if pd_hess else ["non-positive-definite Hessian matrix"])

    # 1. quasi-Newton from the start until the gradient is moderate
    x, f, g, iterations, qn_msg = _bfgs(obj, x, f0, g0, ctl, ctl.qn_gtol)
    # 2. quasi-Newton started from the profiled Hessian (θ, ψ columns by differences)
    if np.max(np.abs(g)) > ctl.hess_gtol:
        Hinv0, _ = _initial_inverse(obj, x, g)
        x, f, g, it2, qn_msg = _bfgs(obj, x, f, g, ctl, ctl.hess_gtol, Hinv=Hinv0, maxit=200)
        iterations += it2
    # 3. the Hessian of the standard errors (glmmTMB's sdreport: optimHess) and Newton
    # steps with it to the optimum; a move of ~1e-5 changes that Hessian far less than
    # its own finite-difference error, so it stays the one of the standard errors
    H = optim_hess(obj, x, ctl.hess_step)
    x_h = x.copy()
    if _is_pd(H):
        for _ in range(ctl.newton_steps):
            if np.max(np.abs(g)) < ctl.gtol:
                break
            step = -np.linalg.solve(H, g)
            xn = x + step
            fn = obj.fn(xn)
            if not (np.isfinite(fn) and fn <= f + 1e-12 * abs(f)):
                break
            gn = obj.grad(xn)
            if not np.all(np.isfinite(gn)):
                break
            x, f, g = xn, fn, gn
            iterations += 1
        if np.max(np.abs(x - x_h)) > 1e-3:
            H = optim_hess(obj, x, ctl.hess_step)
    # evaluate once more at the final point so the cached inner state is the optimum's
    f = obj.fn(x)
    g = obj.grad(x)
    converged = bool(np.all(np.isfinite(g))) and np.max(np.abs(g)) < 1e-3
    message = "converged" if converged else f"optimizer failed: {qn_msg}"
    if not converged:
        warns.append("optimizer failed")
    pd_hess = _is_pd(H)
    cov = None
    if pd_hess:
        cov = np.linalg.inv(H)
        cov = 0.5 * (cov + cov.T)
        if ctl.eigval_check:
            ev = np.linalg.eigvalsh(cov)
            if np.min(1.0 / ev) < _EPS * 10:
                warns.append("extreme or very small eigenvalues detected")
    else:
        warns.append("non-positive-definite Hessian matrix")
    return TmbOptResult(x, f, g, H, cov, pd_hess, converged, message, iterations,
                        obj.n_fn, obj.n_gr, warns)
