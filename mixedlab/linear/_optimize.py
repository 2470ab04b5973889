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

import math
import numbers
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import nlopt
import numpy as np

from mixedlab._errors import ControlError

__all__ = ["LmerControl", "OptimResult", "optimize_lmer", "deriv12", "check_convergence", "as_control",
           "check_start"]

SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')"

#: the values of ``LmerControl.optimizer``
OPTIMIZERS = ("auto", "nloptwrap", "L-BFGS-B")

#: what ran, as ``OptimResult.optimizer`` and ``fit.optinfo["optimizer"]`` report it
NLOPTWRAP = "nloptwrap (NLopt BOBYQA)"
LBFGSB = "L-BFGS-B (analytic gradient)"

#: ``optimizer="auto"`` uses the gradient route from this size of the dense trailing block
#: (the Schur complement after term 1: later terms' effects, X and y).  Below it an
#: evaluation costs well under a millisecond's worth of numpy calls and the gradient's
#: extra work does not pay; from it, each evaluation is a large Cholesky factorisation and
#: a gradient costs about two evaluations (issue 19's 20,000 × 2,000 design: 0.26 s an
#: evaluation, 0.75 s evaluation and gradient).
GRADIENT_FROM_ROWS = 400

#: From this many θ elements the BOBYQA route's convergence check takes the analytic
#: gradient and a Hessian from its forward differences (n + 1 gradients) instead of lme4's
#: deriv12 (2n² evaluations: 98 of a 7-θ fit's 266).  The optimum, and so every estimate,
#: is BOBYQA's as before; only the check's g and H come from the exact gradient.
GRADIENT_CHECK_FROM_THETA = 4


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
    optimizer
        ``"nloptwrap"``: lme4's default, NLopt BOBYQA (derivative-free), evaluation for
        evaluation on lme4's path.  ``"L-BFGS-B"``: scipy's L-BFGS-B on the analytic
        gradient of the profiled criterion (:mod:`mixedlab.linear._gradient`), converged to
        a tighter optimum in fewer evaluations.  ``"auto"`` (the default): BOBYQA, except
        for designs whose dense trailing block has at least :data:`GRADIENT_FROM_ROWS`
        rows, where every evaluation costs a large Cholesky factorisation and the gradient
        route needs several times fewer of them.
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
    optimizer: str = "auto"

    def __post_init__(self) -> None:
        # checked here, before anything reaches NLopt: a NaN start made NLopt abort the
        # whole process ("double free or corruption"), killing a Jupyter kernel (issue 9 §10)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "start":
                object.__setattr__(self, "start", _check_start_values(value))
            elif f.name == "optimizer":
                if value not in OPTIMIZERS:
                    raise ControlError(
                        f"LmerControl(optimizer={value!r}): unknown optimizer; use one of "
                        f"{', '.join(repr(o) for o in OPTIMIZERS)} (\"nloptwrap\" is lme4's BOBYQA)")
            elif f.name == "maxeval":
                if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                    raise ControlError(
                        f"LmerControl(maxeval={value!r}): maxeval must be a positive whole number"
                        + ("" if isinstance(value, numbers.Integral) else f", not a {type(value).__name__}")
                        + "; for example LmerControl(maxeval=10000)")
                object.__setattr__(self, "maxeval", int(value))
            elif f.type in ("bool", bool):
                if not isinstance(value, (bool, np.bool_)):
                    raise ControlError(
                        f"LmerControl({f.name}={value!r}): {f.name} must be True or False "
                        f"(got {type(value).__name__}); a string such as 'FALSE' is not read as False")
                object.__setattr__(self, f.name, bool(value))
            else:
                if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                        or value < 0:
                    raise ControlError(
                        f"LmerControl({f.name}={value!r}): {f.name} must be a finite number ≥ 0 "
                        f"(got {type(value).__name__}); the default is {f.default!r}")
                object.__setattr__(self, f.name, float(value))


def _check_start_values(start: Any) -> tuple[float, ...] | None:
    """``start`` as a tuple of floats, refusing what lme4/nloptr refuse ("x0 contains NA")."""
    if start is None:
        return None
    if isinstance(start, (str, bytes, dict)) or not np.iterable(start):
        raise ControlError(
            f"LmerControl(start={start!r}): start must be a sequence of numbers, one per θ "
            "element (e.g. a previous fit's fit.theta), or None for lme4's start")
    values = list(np.asarray(start, dtype=object).ravel())
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise ControlError(
                f"LmerControl(start=...): element {i} is {v!r} ({type(v).__name__}), not a number; "
                "give θ as numbers, e.g. start=tuple(fit.theta)")
        out.append(float(v))
    arr = np.asarray(out)
    if np.isnan(arr).any():
        raise ControlError(
            f"LmerControl(start={tuple(out)}): x0 contains NA (lme4's message) at position(s) "
            f"{np.flatnonzero(np.isnan(arr)).tolist()}; give a number for every θ element")
    if np.isinf(arr).any():
        raise ControlError(
            f"LmerControl(start={tuple(out)}): start is infinite at position(s) "
            f"{np.flatnonzero(np.isinf(arr)).tolist()} (lme4: 'objective in x0 returns NA'); "
            "give finite θ values")
    return tuple(out)


def as_control(control: Any, argument: str = "control") -> "LmerControl":
    """``control`` as an :class:`LmerControl` (``None`` gives lme4's defaults), or a clear error."""
    if control is None:
        return LmerControl()
    if isinstance(control, LmerControl):
        return control
    hint = ""
    if isinstance(control, dict):
        hint = f"; to use these settings write {argument}=LmerControl(**{control!r})"
    raise ControlError(
        f"{argument} must be a mixedlab.LmerControl (or None for lme4's defaults), got "
        f"{type(control).__name__} {control!r}{hint}; for example "
        f"{argument}=LmerControl(maxeval=10000)")


def check_start(x0: np.ndarray, lower: np.ndarray) -> None:
    """The start's length and bounds against the model's θ, as lme4 and nloptr check them."""
    if x0.size != lower.size:
        raise ControlError(
            f"LmerControl(start=...) has {x0.size} value(s) but this model's θ has {lower.size}: "
            f"incorrect number of theta components (!={lower.size}) (lme4's message); "
            "pass one value per θ element, in the order of fit.theta_names")
    below = np.flatnonzero(x0 < lower)
    if below.size:
        raise ControlError(
            f"LmerControl(start={tuple(float(v) for v in x0)}): at least one element in x0 < lb "
            f"(lme4's message): element(s) {below.tolist()} are below their lower bound "
            f"{[float(lower[i]) for i in below]} (diagonal elements of θ are standard deviation "
            "ratios and cannot be negative); use values ≥ 0 there")


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
    optimizer: str = NLOPTWRAP

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


_LBFGSB_MESSAGES = {
    3: "L-BFGS-B: the criterion stopped falling by more than ftol_abs, or the projected gradient vanished.",
    5: "L-BFGS-B: stopped because maxeval was reached.",
}


class _Counted:
    """The criterion with an evaluation counter, in NLopt's calling convention."""

    def __init__(self, fn: Callable[[np.ndarray], float]) -> None:
        self.fn = fn
        self.count = 0
        self.best_x: np.ndarray | None = None
        self.best_f = math.inf

    def __call__(self, x: np.ndarray, grad: np.ndarray | None = None) -> float:
        self.count += 1
        f = self.fn(x)
        if f != f:
            # NaN makes BOBYQA stop silently wherever it is; +inf makes it step back
            f = math.inf
        if f < self.best_f:
            self.best_f, self.best_x = f, np.array(x, dtype=float, copy=True)
        return f


def _bobyqa(fn: _Counted, x0: np.ndarray, lower: np.ndarray, ctrl: LmerControl,
            scale: np.ndarray | None = None) -> tuple[np.ndarray, float, int]:
    """One NLopt BOBYQA run from x0; with ``scale``, over x/scale (results in x's units)."""
    n = x0.size
    s = np.ones(n) if scale is None else np.asarray(scale, dtype=float)
    opt = nlopt.opt(nlopt.LN_BOBYQA, n)
    opt.set_min_objective(fn if scale is None else (lambda z, grad=None: fn(z * s)))
    opt.set_lower_bounds(lower / s)
    opt.set_upper_bounds(np.full(n, np.inf))
    opt.set_xtol_abs(ctrl.xtol_abs)
    opt.set_ftol_abs(ctrl.ftol_abs)
    opt.set_xtol_rel(ctrl.xtol_rel)
    opt.set_maxeval(ctrl.maxeval)
    fn.best_x, fn.best_f = None, math.inf
    try:
        x = opt.optimize(np.asarray(x0, dtype=float) / s) * s
        code = opt.last_optimize_result()
        fval = opt.last_optimum_value()
    except nlopt.RoundoffLimited:
        # lme4 reports the best point found, with a convergence code
        code = -4
        x = fn.best_x if fn.best_x is not None else np.asarray(x0, dtype=float)
        fval = fn.best_f if fn.best_x is not None else fn(x)
    return np.asarray(x, dtype=float), float(fval), int(code)


class _CountedGradient:
    """The criterion and its gradient, counted, remembering the best point (L-BFGS-B)."""

    def __init__(self, fg: Callable[[np.ndarray], tuple[float, np.ndarray]]) -> None:
        self.fg = fg
        self.count = 0
        self.best_x: np.ndarray | None = None
        self.best_f = math.inf
        self._last: tuple[np.ndarray, float, np.ndarray] | None = None

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.asarray(x, dtype=float)
        if self._last is not None and np.array_equal(self._last[0], x):
            # the same point again (the run's first point, the optimum for the checks)
            return self._last[1], self._last[2].copy()
        self.count += 1
        f, g = self.fg(x)
        if not (f == f and np.all(np.isfinite(g))):
            # an infeasible point (indefinite system): L-BFGS-B's line search steps back
            f, g = math.inf, np.zeros_like(x)
        elif f < self.best_f:
            self.best_f, self.best_x = f, np.array(x, dtype=float, copy=True)
        self._last = (x.copy(), f, np.array(g, dtype=float, copy=True))
        return f, g


def _lbfgsb(fg: _CountedGradient, x0: np.ndarray, ctrl: LmerControl,
            signs: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, float, int]:
    """One L-BFGS-B run on the analytic gradient from x0, without bounds.

    lme4's bounds (diagonals of θ ≥ 0) only pick one of the factors T·diag(±1) that give the
    same covariance T Tᵀ, and the criterion is even in each column's sign.  So the run is
    unconstrained, and ``signs`` turns the result into lme4's form (non-negative
    diagonals).  With the bounds, a projected step that lands a diagonal on 0 stalls the
    method there, where the gradient vanishes whether or not 0 is the minimum (random
    designs stopped 1-23 units above lme4); without them a singular optimum is an ordinary
    minimum at 0, approached as any other.

    Stops when a step lowers the criterion by less than BOBYQA's ``ftol_abs`` (scipy's
    ``ftol`` is relative, so it is scaled by the criterion at the start) or the gradient
    vanishes; the return code follows NLopt's (3: tolerance reached, 5: maxeval).
    """
    from scipy.optimize import minimize  # only this route needs scipy.optimize

    x0 = np.asarray(x0, dtype=float)
    f0, _ = fg(x0)
    ftol = max(ctrl.ftol_abs / max(1.0, abs(f0)), 10.0 * np.finfo(float).eps)
    fg.best_x, fg.best_f = x0.copy(), f0
    res = minimize(fg, x0, jac=True, method="L-BFGS-B",
                   options={"ftol": ftol, "gtol": 1e-10, "maxfun": ctrl.maxeval, "maxiter": ctrl.maxeval,
                            "maxcor": 10})
    x = np.asarray(res.x, dtype=float)
    fx = float(res.fun)
    if fg.best_f < fx:
        x, fx = fg.best_x.copy(), fg.best_f
    return signs(x), fx, (5 if res.status == 1 else 3)


def _gradient_derivs(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
                     delta: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """The analytic gradient at x and the Hessian from its forward differences (step as deriv12's)."""
    _, g = fg(x)
    H = np.empty((x.size, x.size))
    for j in range(x.size):
        z = x.copy()
        z[j] += delta
        H[:, j] = (fg(z)[1] - g) / delta
    return g, 0.5 * (H + H.T)


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

    Beyond lme4: when lme4's gradient check fails (lme4 would warn "failed to converge")
    or NLopt gives up on round-off (an infeasible step: the criterion was not finite),
    BOBYQA is restarted from the point reached, with a fresh trust region, up to
    :data:`MAX_RESTARTS` times while the criterion keeps falling.  BOBYQA's trust
    region shrinks to its final radius along the way, and on badly scaled θ (a slope
    on a large scale: θ elements of 1e-4 beside 1) it stops where that radius is far
    from the optimum: sleepstudy with Days·1000 stops at 1757.67 (lme4 at 1757.59);
    one restart reaches 1757.44.  Fits that pass lme4's checks are never restarted, so
    they keep lme4's path and result.
    """
    ctrl = as_control(ctrl)
    fn = _Counted(devfun)
    x0 = np.asarray(ctrl.start if ctrl.start is not None else start, dtype=float)
    lower = np.asarray(lower, dtype=float)
    check_start(x0, lower)
    fg = _gradient_route(devfun, ctrl)
    if fg is not None:
        return _optimize_with_gradient(fn, fg, devfun, x0, lower, ctrl)
    derivs = _gradient_check(devfun, x0.size)
    theta, fval, code = _bobyqa(fn, x0, lower, ctrl)
    theta, fval, code = _edge_and_boundary(fn, devfun, theta, fval, code, lower, ctrl)
    result = _checked(devfun, theta, fval, code, lower, ctrl, derivs=derivs)
    scale = np.asarray(getattr(devfun, "theta_scale", np.ones(theta.size)), dtype=float)
    for i in range(MAX_RESTARTS):
        if not (code == -4 or _not_a_minimum(result)):
            break
        # alternate θ's own coordinates and coordinates scaled to θ's typical sizes
        t2, f2, c2 = _bobyqa(fn, theta, lower, ctrl, scale if i % 2 == 0 else None)
        t2, f2, c2 = _edge_and_boundary(fn, devfun, t2, f2, c2, lower, ctrl)
        if not f2 < fval:
            if i % 2 == 1 or np.all(scale == 1.0):
                break
            continue
        theta, fval, code = t2, f2, c2
        result = _checked(devfun, theta, fval, code, lower, ctrl, derivs=derivs)
    # a second opinion from other coordinates, where lme4's θ is a poor frame for BOBYQA
    # (slopes far from zero or on large scales), and a second look at singular fits
    candidates = []
    reparam = getattr(devfun, "reparam", None)
    if reparam is not None:
        probe = _Counted(lambda z: fn(reparam.to_theta(z)))
        z, fz, _ = _bobyqa(probe, _start_prime(lower), lower, ctrl)
        cand = reparam.to_theta(z)
        if not _confirms(cand, fz, theta, fval, ctrl.ftol_abs):
            candidates.append(cand)
    if result.is_singular and theta.size > 1:
        candidates.append(theta)
    for cand in candidates:
        # polish in lme4's coordinates, so a boundary is reached exactly as lme4 reaches it
        t2, f2, c2 = _bobyqa(fn, cand, lower, ctrl)
        t2, f2, c2 = _edge_and_boundary(fn, devfun, t2, f2, c2, lower, ctrl)
        if f2 < fval - SECOND_OPINION_GAIN:
            theta, fval, code = t2, f2, c2
            result = _checked(devfun, theta, fval, code, lower, ctrl, derivs=derivs)
    result.n_evals = fn.count
    return result


def _gradient_route(devfun: Any, ctrl: LmerControl) -> "_CountedGradient | None":
    """The counted criterion-and-gradient when ``ctrl.optimizer`` asks for the gradient route."""
    value_and_gradient = getattr(devfun, "value_and_gradient", None)
    if value_and_gradient is None or ctrl.optimizer == "nloptwrap":
        return None
    if ctrl.optimizer == "auto" and getattr(devfun, "trailing_rows", 0) < GRADIENT_FROM_ROWS:
        return None
    return _CountedGradient(value_and_gradient)


def _gradient_check(devfun: Any, n_theta: int) -> Callable | None:
    """The convergence check's derivatives from the analytic gradient, for long θ (else deriv12)."""
    value_and_gradient = getattr(devfun, "value_and_gradient", None)
    if value_and_gradient is None or n_theta < GRADIENT_CHECK_FROM_THETA:
        return None
    fg = _CountedGradient(value_and_gradient)
    return lambda x: _gradient_derivs(fg, x)


def _optimize_with_gradient(fn: _Counted, fg: _CountedGradient, devfun: Callable[[np.ndarray], float],
                            x0: np.ndarray, lower: np.ndarray, ctrl: LmerControl) -> OptimResult:
    """:func:`optimize_lmer` on the gradient route: L-BFGS-B, then lme4's edge and boundary steps.

    A second L-BFGS-B run starts from the centred coordinates' default start (the second
    opinion of the BOBYQA route, here in θ's own coordinates: a quasi-Newton method is not
    held back by θ's scaling as a trust region is); the lower result is kept.  The
    convergence checks use the analytic gradient and a Hessian from its differences.
    """
    layout = getattr(getattr(devfun, "cp", None), "layout", None)
    signs = layout.positive_diagonals if layout is not None else (lambda t: t)
    theta, fval, code = _lbfgsb(fg, x0, ctrl, signs)
    reparam = getattr(devfun, "reparam", None)
    if reparam is not None:
        t2, f2, c2 = _lbfgsb(fg, reparam.to_theta(_start_prime(lower)), ctrl, signs)
        if f2 < fval - SECOND_OPINION_GAIN:
            theta, fval, code = t2, f2, c2
    theta, fval, code = _edge_and_boundary(fn, devfun, theta, fval, code, lower, ctrl)
    result = _checked(devfun, theta, fval, code, lower, ctrl, derivs=lambda x: _gradient_derivs(fg, x),
                      optimizer=LBFGSB)
    result.n_evals = fn.count + fg.count
    return result


#: how much lower a second opinion's criterion must be to replace the first result: above
#: BOBYQA's own noise (ftol_abs = 1e-8), so a fit that converged keeps lme4's path and numbers
SECOND_OPINION_GAIN = 1e-7


#: a second opinion that ends within this distance of the first result (∞-norm, relative
#: to 1 + |θ|) and not lower by more than BOBYQA's ftol_abs (differences it cannot resolve)
#: confirms it: its polish would start where the first run
#: stopped, so it is skipped (issue 18: sleepstudy's polish was 21 of its 134 evaluations).
#: A looser probe (xtol_rel 1e-3) was tried and rejected: on 17 of 136 random designs its
#: polished result ended higher (up to 0.067) than the full-precision probe's.
CONFIRM_DISTANCE = 1e-3


def _confirms(cand: np.ndarray, fcand: float, theta: np.ndarray, fval: float, ftol: float) -> bool:
    """True when the second opinion ended at the first result: the same θ, no lower criterion."""
    if not fcand >= fval - ftol:
        return False
    return bool(np.max(np.abs(cand - theta) / (1.0 + np.abs(theta))) <= CONFIRM_DISTANCE)


def _start_prime(lower: np.ndarray) -> np.ndarray:
    """lme4's default start (1 on the diagonals, 0 elsewhere), in any coordinates."""
    return np.where(lower == 0, 1.0, 0.0)


#: lme4's warnings that say the point reached is not a confirmed minimum
_NOT_A_MINIMUM = ("Model failed to converge with max|grad|", "unable to evaluate scaled gradient",
                  "Model failed to converge: degenerate")


def _not_a_minimum(result: OptimResult) -> bool:
    return result.gradient is not None and any(w.startswith(_NOT_A_MINIMUM) for w in result.conv_warnings)


def _checked(
    devfun: Callable[[np.ndarray], float], theta: np.ndarray, fval: float, code: int,
    lower: np.ndarray, ctrl: LmerControl,
    derivs: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    optimizer: str = NLOPTWRAP,
) -> OptimResult:
    """The result at θ with lme4's singularity test and convergence checks.

    ``derivs(θ)`` gives the gradient and Hessian; by default lme4's ``deriv12``.
    ``optimizer`` names what ran (:data:`NLOPTWRAP` or :data:`LBFGSB`): it picks the
    messages of the return codes.
    """
    messages = _LBFGSB_MESSAGES if optimizer == LBFGSB else _NLOPT_MESSAGES
    diag = lower == 0
    is_singular = bool(np.any(theta[diag] < ctrl.singular_tol))
    result = OptimResult(
        theta=theta,
        fval=fval,
        n_evals=0,
        return_code=code,
        message=messages.get(code, f"return code {code}"),
        is_singular=is_singular,
        optimizer=optimizer,
    )
    if code < 0 or code == 5:
        source = "L-BFGS-B" if optimizer == LBFGSB else "nloptwrap"
        result.conv_warnings.append(f"convergence code {code} from {source}: {result.message}")
    if is_singular:
        # lme4 skips the derivative-based checks for singular fits
        result.messages.append(SINGULAR_MESSAGE)
    elif ctrl.calc_derivs:
        g, H = deriv12(devfun, theta, fval) if derivs is None else derivs(theta)
        result.gradient, result.hessian = g, H
        result.conv_warnings.extend(check_convergence(g, H, ctrl))
    return result
