"""lme4's likelihood profiles of a linear mixed model and the intervals read off them.

lme4 1.1-31 (``R/profile.R``: ``profile.merMod``, ``devfun2``, ``confint.thpr``):

* a REML fit is first refitted by ML (``refitML``, from the REML θ); the profile is of the
  ML deviance ``ldL2 − log|W| + r²(θ)/σ² + n log(2πσ²)`` as a function of the variance
  parameters on the standard-deviation/correlation scale (``.sig01``, ``.sig02``, …,
  ``.sigma``: per term the lower triangle of the matrix with the SDs on the diagonal and
  the correlations below it, then σ), and of each fixed effect;
* ζ(x) = sign(x − x̂) √(deviance profiled at x − deviance at the optimum). For a variance
  parameter the profiled deviance minimises over the other variance parameters (NLopt's
  BOBYQA with lme4's controls, bounds sd ≥ 0, −1 ≤ cor ≤ 1); for a fixed effect β_j, the
  column X_j moves into the offset and θ is optimised with β_{−j} and σ profiled out;
* the points: from the optimum, a first step to 1.01·x̂ (0.001 if x̂ = 0; x̂ + δ·SE for a
  fixed effect), then steps ``δ·Δx/Δζ`` (δ = √χ²₀.₉₉(k)/8, k the number of parameters,
  capped at 10·|Δx|) in each direction until |ζ| passes √χ²₀.₉₉(k) or a bound is hit;
* the interval: ζ interpolated by a natural cubic spline, inverted (``backSpline``) and
  evaluated at the normal quantiles; a quantile beyond the profile gives the parameter's
  bound (0 for an SD, ±1 for a correlation) or NA.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import nlopt
import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from mixedlab.inference._factor_cache import FactorCache
from mixedlab.inference._splines import PolySpline, SplineError, back_spline, interp_spline
from mixedlab.linear._crossprod import CrossProducts
from mixedlab.linear._deviance import LmerDevfun
from mixedlab.linear._optimize import LmerControl, optimize_lmer
from mixedlab.linear._pls import factorize, profiled_deviance, solve, solve_triangular

__all__ = ["ProfileResult", "profile_lmer", "profile_glmm", "cv_to_sv", "sv_to_cv", "profile_names", "refit_ml_engine",
           "MLFit"]

_LOG_2PI = math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------------------
# θ <-> (sd, cor, σ)
# ----------------------------------------------------------------------------------------


def _tri_index(k: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for j in range(k):
        for i in range(j, k):
            rows.append(i)
            cols.append(j)
    return np.asarray(rows), np.asarray(cols)


def cv_to_sv(theta: np.ndarray, ks: list[int], sigma: float) -> np.ndarray:
    """lme4's ``Cv_to_Sv(θ, n, s = σ)``: per term the SDs and correlations, then σ."""
    out, pos = [], 0
    for k in ks:
        r, c = _tri_index(k)
        T = np.zeros((k, k))
        T[r, c] = theta[pos : pos + r.size]
        pos += r.size
        V = (T @ T.T) * sigma**2
        sd = np.sqrt(np.diag(V))
        with np.errstate(divide="ignore", invalid="ignore"):
            R = V / np.outer(sd, sd)
        R[~np.isfinite(R)] = 0.0  # cov2sdcor: "NA values in sdcor matrix converted to 0"
        R[np.diag_indices(k)] = sd
        out.extend(R[r, c])
    out.append(sigma)
    return np.asarray(out, dtype=float)


def _safe_chol(m: np.ndarray) -> np.ndarray:
    """lme4's ``safe_chol``: R's upper Cholesky factor, tolerating semi-definite matrices."""
    if np.any(np.isnan(m)) or np.all(m == 0):
        return m
    if m.shape[0] == 1:
        return np.sqrt(m)
    if np.all(m[~np.eye(m.shape[0], dtype=bool)] == 0):
        return np.diag(np.sqrt(np.diag(m)))
    try:
        return np.linalg.cholesky(m).T
    except np.linalg.LinAlgError:
        # R's chol(pivot = TRUE), columns put back in order: a semi-definite factor
        return _pivoted_chol(m)


def _pivoted_chol(m: np.ndarray) -> np.ndarray:
    n = m.shape[0]
    A = m.astype(float).copy()
    piv = np.arange(n)
    R = np.zeros((n, n))
    for j in range(n):
        d = np.diag(A)[j:] - np.sum(R[:j, j:] ** 2, axis=0)
        q = j + int(np.argmax(d))
        if q != j:
            A[[j, q]] = A[[q, j]]
            A[:, [j, q]] = A[:, [q, j]]
            R[:, [j, q]] = R[:, [q, j]]
            piv[[j, q]] = piv[[q, j]]
        djj = A[j, j] - np.sum(R[:j, j] ** 2)
        if djj <= 0:
            break
        R[j, j] = math.sqrt(djj)
        R[j, j + 1 :] = (A[j, j + 1 :] - R[:j, j] @ R[:j, j + 1 :]) / R[j, j]
    out = np.zeros((n, n))
    out[:, piv] = R
    return out


def sv_to_cv(pars: np.ndarray, ks: list[int]) -> np.ndarray:
    """lme4's ``Sv_to_Cv(pars, n, s = σ)``: θ for SDs/correlations and σ (the last element)."""
    sigma = float(pars[-1])
    out, pos = [], 0
    for k in ks:
        r, c = _tri_index(k)
        S = np.zeros((k, k))
        S[r, c] = pars[pos : pos + r.size]
        S[c, r] = pars[pos : pos + r.size]
        pos += r.size
        sd = np.diag(S).copy()
        V = S.copy()
        V[np.diag_indices(k)] = 1.0
        V = V * np.outer(sd, sd) / sigma**2
        T = _safe_chol(V).T
        out.extend(T[r, c])
    return np.asarray(out, dtype=float)


def profile_names(ks: list[int]) -> list[str]:
    """lme4's ``profnames(signames = TRUE)``: ``.sig01``, ``.sig02``, …, ``.sigma``."""
    n = sum(k * (k + 1) // 2 for k in ks)
    return [f".sig{i:02d}" for i in range(1, n + 1)] + [".sigma"]


# ----------------------------------------------------------------------------------------
# the ML fit and the deviance of the variance parameters
# ----------------------------------------------------------------------------------------


@dataclass
class MLFit:
    """The ML estimates a profile is centred on (lme4's ``refitML``)."""

    theta: np.ndarray
    sigma: float
    beta: np.ndarray
    se: np.ndarray
    deviance: float


def refit_ml_engine(cp: CrossProducts, theta: np.ndarray, REML: bool) -> MLFit:
    """Refit by ML from θ when the fit is REML (otherwise just evaluate), engine level."""
    dev = LmerDevfun(cp, REML=False)
    if REML:
        opt = optimize_lmer(dev, cp.layout.lower, np.asarray(theta, dtype=float),
                            LmerControl(start=tuple(float(t) for t in theta), calc_derivs=False))
        theta = opt.theta
    f = factorize(cp, np.asarray(theta, dtype=float))
    sol = solve(cp, f)
    sigma = math.sqrt(f.pwrss / cp.n)
    p = cp.p
    RXinv = solve_triangular(sol.RX, np.eye(p), lower=True) if p else np.zeros((0, 0))
    se = sigma * np.sqrt(np.sum(RXinv**2, axis=0)) if p else np.zeros(0)
    return MLFit(theta=np.asarray(theta, dtype=float), sigma=sigma, beta=sol.beta, se=se,
                 deviance=float(profiled_deviance(cp, f, False)))


class _VarparDeviance:
    """lme4's ``devfun2``: the ML deviance at (SDs, correlations, σ), θ factorisations kept."""

    def __init__(self, cp: CrossProducts, ks: list[int]) -> None:
        self.cp, self.ks = cp, ks
        self.factor = FactorCache(cp, limit=512)

    def __call__(self, pars: np.ndarray) -> float:
        sigma = float(pars[-1])
        theta = sv_to_cv(pars, self.ks)
        try:
            f = self.factor(theta)
        except np.linalg.LinAlgError:
            return math.inf
        s2 = sigma * sigma
        return f.ldL2 - self.cp.log_det_W + f.pwrss / s2 + self.cp.n * math.log(2.0 * math.pi * s2)

    def beta(self, pars: np.ndarray) -> np.ndarray:
        theta = sv_to_cv(pars, self.ks)
        return solve(self.cp, self.factor(theta)).beta


def _bobyqa(fn: Callable[[np.ndarray], float], x0: np.ndarray, lower: np.ndarray, upper: np.ndarray,
            ctrl: LmerControl) -> tuple[np.ndarray, float]:
    """lme4's ``nloptwrap`` (NLopt BOBYQA, lme4's tolerances), for the profile's inner fits."""
    n = x0.size
    if n == 0:
        return x0, float(fn(x0))
    x0 = np.minimum(np.maximum(np.asarray(x0, dtype=float), lower), upper)
    opt = nlopt.opt(nlopt.LN_BOBYQA, n)
    opt.set_min_objective(lambda x, g: float(fn(np.asarray(x))))
    opt.set_lower_bounds(lower)
    opt.set_upper_bounds(upper)
    opt.set_xtol_abs(ctrl.xtol_abs)
    opt.set_ftol_abs(ctrl.ftol_abs)
    opt.set_xtol_rel(ctrl.xtol_rel)
    opt.set_maxeval(ctrl.maxeval)
    try:
        x = np.asarray(opt.optimize(x0), dtype=float)
        return x, float(opt.last_optimum_value())
    except nlopt.RoundoffLimited:
        return x0, float(fn(x0))


# ----------------------------------------------------------------------------------------
# the profile
# ----------------------------------------------------------------------------------------


@dataclass
class ProfileResult:
    """lme4's ``thpr`` object: the profile points and the splines through them.

    Attributes
    ----------
    frame
        One row per profile point: ``.zeta``, every parameter's value there, ``.par`` (the
        parameter profiled), in lme4's order.
    names
        The parameters profiled (``.sig01`` …, ``.sigma``, then the fixed effects).
    forward, backward
        Per parameter the spline ζ(x) and its inverse x(ζ), or the reason it failed.
    lower, upper
        Per variance parameter its bounds (used when a quantile lies beyond the profile).
    ml
        The ML fit the profile is centred on.
    warnings
        lme4's warnings (non-monotonic profiles, lower deviances found, ...).
    """

    frame: pd.DataFrame
    names: list[str]
    forward: dict[str, PolySpline | Exception]
    backward: dict[str, PolySpline | Exception]
    lower: dict[str, float]
    upper: dict[str, float]
    ml: MLFit
    warnings: list[str] = field(default_factory=list)

    def confint(self, level: float = 0.95, non_mono_tol: float = 1e-2) -> np.ndarray:
        """lme4's ``confint.thpr``: rows in ``names`` order, columns lower and upper."""
        a = (1.0 - level) / 2.0
        zeta = norm.ppf([a, 1.0 - a])
        out = np.full((len(self.names), 2), np.nan)
        for i, nm in enumerate(self.names):
            b = self.backward[nm]
            p = np.array([np.nan, np.nan])
            bad = False
            if not isinstance(b, Exception):
                p = b.predict(zeta)
            else:
                rows = self.frame[self.frame[".par"] == nm]
                zz = rows[".zeta"].to_numpy(dtype=float)
                xx = rows[nm].to_numpy(dtype=float)
                if np.all(np.isnan(zz)):
                    bad = True
                    self._warn(f"bad profile for {nm}")
                elif np.all(np.diff(zz)[~np.isnan(np.diff(zz))] < -non_mono_tol):
                    bad = True
                    self._warn(f"non-monotonic profile for {nm}")
                else:
                    self._warn(f"bad spline fit for {nm}: falling back to linear interpolation")
                    p = _approx(zz, xx, zeta)
            if not bad:
                if np.isnan(p[0]):
                    p[0] = self.lower.get(nm, np.nan)
                if np.isnan(p[1]):
                    p[1] = self.upper.get(nm, np.nan)
            out[i] = p
        return out

    def _warn(self, msg: str) -> None:
        self.warnings.append(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)


def _approx(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """R's ``approxfun(x, y)(at)`` (ties averaged, NA outside the range)."""
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    ux = np.unique(x)
    uy = np.array([y[x == v].mean() for v in ux])
    out = np.interp(at, ux, uy)
    out[(at < ux[0]) | (at > ux[-1])] = np.nan
    return out


def _nextpar(mat: np.ndarray, cc: int, r: int, absstep: float, lower: float, upper: float,
             maxmult: float, notes: list[str], minstep: float = 1e-6) -> float:
    """``nextpar`` of ``profile.merMod``: the next value of the profiled parameter."""
    pvals = mat[[r - 1, r], cc]
    zeta = mat[[r - 1, r], 0]
    num = pvals[1] - pvals[0]
    denom = zeta[1] - zeta[0]
    if np.isnan(denom) or denom == 0:
        notes.append("Last two rows have identical or NA .zeta values: using minstep")
        step = minstep
    else:
        step = absstep * num / denom
        if step < 0:
            notes.append("unexpected decrease in profile: using minstep")
            step = minstep
        elif r > 0:
            maxstep = abs(maxmult * num)
            if abs(step) > maxstep:
                step = math.copysign(maxstep, step)
    return min(upper, max(lower, pvals[1] + np.sign(num) * step))


def _fillmat(mat: np.ndarray, lowcut: float, upcut: float, zetafun, cc: int, cutoff: float,
             delta: float, maxmult: float, notes: list[str], start_cols: list[int] | None) -> np.ndarray:
    """``fillmat``: step away from the optimum until |ζ| > cutoff or a bound (row 1 = 0-based)."""
    nr = mat.shape[0]
    i = 1
    while i < nr - 1 and lowcut < mat[i, cc] < upcut and (np.isnan(mat[i, 0]) or abs(mat[i, 0]) <= cutoff):
        npar = _nextpar(mat, cc, i, delta, lowcut, upcut, maxmult, notes)
        start = None if start_cols is None else mat[i, start_cols]
        mat[i + 1] = zetafun(npar, start)
        i += 1
    return mat


def _unique_rows(mats: list[np.ndarray]) -> np.ndarray:
    """R's ``unique(rbind(...))`` on numeric rows: the first of each exactly equal set (NaN = NaN)."""
    rows, seen = [], set()
    for m in mats:
        for r in m:
            key = tuple("NaN" if math.isnan(v) else v for v in r.tolist())
            if key not in seen:
                seen.add(key)
                rows.append(r)
    return np.asarray(rows)


def profile_lmer(
    cp: CrossProducts,
    model: Any,
    theta: np.ndarray,
    REML: bool,
    fixed_names: list[str],
    ks: list[int],
    which: list[str] | None = None,
    alphamax: float = 0.01,
    maxpts: int = 100,
    delta: float | None = None,
    delta_cutoff: float = 1.0 / 8.0,
    devtol: float = 1e-9,
    maxmult: float = 10.0,
) -> ProfileResult:
    """lme4's ``profile(m)`` (``signames = TRUE``, ``prof.scale = "sdcor"``).

    Parameters
    ----------
    cp
        The fit's cross-products.
    model
        The parsed model (its X, response, offset, weights and terms, for the fixed-effect
        profiles, which move a column of X into the offset).
    theta, REML
        The fit's θ̂ and criterion (a REML fit is refitted by ML first).
    fixed_names
        Names of the fixed effects.
    ks
        Columns of each random-effects term (lme4's ``lengths(cnms)``).
    which
        Names of the parameters to profile (default all).
    alphamax, maxpts, delta, delta_cutoff, devtol, maxmult
        lme4's arguments of the same names.
    """
    notes: list[str] = []
    ml = refit_ml_engine(cp, theta, REML)
    base = ml.deviance
    varnames = profile_names(ks)
    opt = np.concatenate([cv_to_sv(ml.theta, ks, ml.sigma), ml.beta])
    names = varnames + list(fixed_names)
    nvp, p = len(varnames), len(fixed_names)
    nptot = nvp + p
    which = names if which is None else list(which)
    cutoff = math.sqrt(chi2.ppf(1.0 - alphamax, nptot))
    if delta is None:
        delta = cutoff * delta_cutoff
    dd = _VarparDeviance(cp, ks)
    if abs(dd(opt[:nvp]) - base) > 1e-5 * abs(base):
        raise RuntimeError("Profiling over both the residual variance and fixed effects is not numerically "
                           "consistent with profiling over the fixed effects only")
    # bounds on the sd/cor scale: sd ≥ 0, −1 ≤ cor ≤ 1, σ ≥ 0
    low_theta = cp.layout.lower
    lower = np.concatenate([np.maximum(low_theta, -1.0), [0.0]])
    upper = np.concatenate([np.where(low_theta == 0, np.inf, 1.0), [np.inf]])
    ctrl = LmerControl()
    res0 = np.concatenate([[0.0], opt])
    frames: list[pd.DataFrame] = []
    forward: dict[str, Any] = {}
    backward: dict[str, Any] = {}
    cols = [".zeta", *names]

    inner = lambda fn, x0, lo, hi: _bobyqa(fn, x0, lo, hi, ctrl)  # noqa: E731
    _profile_params(dd, opt, names, nvp, which, lower, upper, base, inner, devtol, maxpts, cutoff, delta,
                    maxmult, notes, res0, cols, frames, forward, backward, extra=dd.beta)

    for j in range(p):
        nm = fixed_names[j]
        if nm not in which:
            continue
        est, std = ml.beta[j], ml.se[j]
        fe = _FixedZeta(cp, model, j, est, base, ml.theta, ks)
        pres = np.tile(res0, (maxpts, 1))
        nres = pres.copy()
        nres[0] = pres[1] = fe(est + delta * std, None)
        poff = nvp + 1 + j
        upperf = _fillmat(pres, -np.inf, np.inf, fe, poff, cutoff, delta, maxmult, notes, None)
        lowerf = _fillmat(nres, -np.inf, np.inf, fe, poff, cutoff, delta, maxmult, notes, None)
        _finish(nm, poff, [upperf, lowerf], cols, frames, forward, backward, notes, na_omit=False)

    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols + [".par"])
    prof_names = [n for n in names if n in which]
    for msg in dict.fromkeys(notes):
        warnings.warn(msg, UserWarning, stacklevel=3)
    return ProfileResult(frame=frame, names=prof_names, forward=forward, backward=backward,
                         lower={n: float(lower[i]) for i, n in enumerate(varnames) if n in which},
                         upper={n: float(upper[i]) for i, n in enumerate(varnames) if n in which},
                         ml=ml, warnings=list(dict.fromkeys(notes)))


def _profile_params(dd, opt: np.ndarray, names: list[str], npar1: int, which: list[str], lower: np.ndarray,
                    upper: np.ndarray, base: float, inner, devtol: float, maxpts: int, cutoff: float,
                    delta: float, maxmult: float, notes: list[str], res0: np.ndarray, cols: list[str],
                    frames: list, forward: dict, backward: dict, extra=None) -> None:
    """The first loop of ``profile.merMod``: each of the first ``npar1`` parameters, the others
    re-optimised by ``inner(fn, x0, lower, upper) -> (x, fval)`` at every point."""
    for w in range(npar1):
        if names[w] not in which:
            continue
        pw = opt[w]
        lowcut, upcut = lower[w], upper[w]
        free = [j for j in range(npar1) if j != w]

        def zeta(xx: float, start: np.ndarray | None, w=w, pw=pw, free=free) -> np.ndarray:
            def fn(x: np.ndarray) -> float:
                pars = np.empty(npar1)
                pars[w] = xx
                pars[free] = x
                return dd(pars)

            st = opt[free] if start is None else start
            x, fval = inner(fn, np.asarray(st, dtype=float), lower[free], upper[free])
            devdiff = fval - base
            if devdiff < -devtol:
                raise RuntimeError("profiling detected new, lower deviance")
            if devdiff < 0:
                notes.append(f"slightly lower deviances (diff={devdiff:g}) detected")
            devdiff = max(0.0, devdiff)
            pars = np.empty(npar1)
            pars[w] = xx
            pars[free] = x
            row = [[math.copysign(math.sqrt(devdiff), xx - pw) if xx != pw else 0.0], pars]
            if extra is not None:
                row.append(extra(pars))
            return np.concatenate(row)

        pres = np.tile(res0, (maxpts, 1))
        nres = pres.copy()
        shift = 0.001 if pw == 0 else pw * 1.01
        nres[0] = pres[1] = zeta(shift, opt[free])
        start_cols = [1 + j for j in free]
        upperf = _fillmat(pres, lowcut, upcut, zeta, w + 1, cutoff, delta, maxmult, notes, start_cols)
        lowerf = _fillmat(nres, lowcut, upcut, zeta, w + 1, cutoff, delta, maxmult, notes, start_cols) \
            if pw > lowcut else nres
        _finish(names[w], w + 1, [upperf, lowerf], cols, frames, forward, backward, notes, na_omit=True)


def profile_glmm(devfun, theta: np.ndarray, beta: np.ndarray, lower_theta: np.ndarray, ks: list[int],
                 fixed_names: list[str], base: float, which: list[str] | None = None, alphamax: float = 0.01,
                 maxpts: int = 100, delta: float | None = None, delta_cutoff: float = 1.0 / 8.0,
                 devtol: float = 1e-9, maxmult: float = 10.0) -> ProfileResult:
    """lme4's ``profile`` of a GLMM without a scale parameter (binomial, Poisson).

    Every parameter — the SDs/correlations and the fixed effects — is profiled in the same
    loop, the others re-optimised with lme4's ``Nelder_Mead`` (its default steps 0.02, as
    ``optwrap`` calls it without the fit's ``xst``) on the Laplace (or AGQ) deviance
    ``devfun(c(θ, β))`` (lme4's ``devfun2`` for a GLMM).
    """
    from mixedlab.glm._nelder_mead import nelder_mead

    notes: list[str] = []
    nth = len(lower_theta)
    varnames = profile_names(ks)[:-1]  # no .sigma without a scale parameter
    opt = np.concatenate([cv_to_sv(theta, ks, 1.0)[:-1], beta])
    names = varnames + list(fixed_names)
    nptot = len(names)
    which = names if which is None else list(which)
    cutoff = math.sqrt(chi2.ppf(1.0 - alphamax, nptot))
    if delta is None:
        delta = cutoff * delta_cutoff

    def dd(pars: np.ndarray) -> float:
        th = sv_to_cv(np.concatenate([pars[:nth], [1.0]]), ks)
        return float(devfun(np.concatenate([th, pars[nth:]])))

    if abs(dd(opt) - base) > 1e-5 * abs(base):
        raise RuntimeError("Profiling over both the residual variance and fixed effects is not numerically "
                           "consistent with profiling over the fixed effects only")
    lower = np.concatenate([np.maximum(lower_theta, -1.0), np.full(len(fixed_names), -np.inf)])
    upper = np.concatenate([np.where(lower_theta == 0, np.inf, 1.0), np.full(len(fixed_names), np.inf)])

    def inner(fn, x0, lo, hi):
        xst = np.full(x0.size, 0.02)
        r = nelder_mead(fn, x0, lo, hi, xst, xst * 5e-4)
        return np.asarray(r.par, dtype=float), float(r.fval)

    res0 = np.concatenate([[0.0], opt])
    frames: list[pd.DataFrame] = []
    forward: dict[str, Any] = {}
    backward: dict[str, Any] = {}
    cols = [".zeta", *names]
    _profile_params(dd, opt, names, nptot, which, lower, upper, base, inner, devtol, maxpts, cutoff, delta,
                    maxmult, notes, res0, cols, frames, forward, backward)
    dd(opt)  # leave the deviance function's state at the optimum
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols + [".par"])
    for msg in dict.fromkeys(notes):
        warnings.warn(msg, UserWarning, stacklevel=3)
    ml = MLFit(theta=np.asarray(theta, dtype=float), sigma=1.0, beta=np.asarray(beta, dtype=float),
               se=np.full(len(fixed_names), np.nan), deviance=base)
    return ProfileResult(frame=frame, names=[n for n in names if n in which], forward=forward, backward=backward,
                         lower={n: float(lower[i]) for i, n in enumerate(varnames) if n in which},
                         upper={n: float(upper[i]) for i, n in enumerate(varnames) if n in which},
                         ml=ml, warnings=list(dict.fromkeys(notes)))


def _finish(name: str, col: int, mats: list[np.ndarray], cols: list[str], frames: list, forward: dict,
            backward: dict, notes: list[str], na_omit: bool) -> None:
    rows = _unique_rows(mats)
    rows = rows[np.argsort(rows[:, col], kind="stable")]
    df = pd.DataFrame(rows, columns=cols)
    df[".par"] = name
    frames.append(df)
    x, z = rows[:, col], rows[:, 0]
    if na_omit:
        ok = ~(np.isnan(x) | np.isnan(z))
        x, z = x[ok], z[ok]
    try:
        if np.isnan(x).any() or np.isnan(z).any():
            raise SplineError("missing values in the profile")
        fwd = interp_spline(x, z)
        forward[name] = fwd
        backward[name] = back_spline(fwd)
    except (SplineError, np.linalg.LinAlgError) as exc:
        forward.setdefault(name, exc)
        backward[name] = exc
        notes.append(f"non-monotonic profile for {name}")


class _FixedZeta:
    """``fe.zeta``: ζ for β_j fixed at ``fw`` (X_j moved into the offset, θ re-optimised)."""

    def __init__(self, cp: CrossProducts, model: Any, j: int, est: float, base: float,
                 thopt: np.ndarray, ks: list[int]) -> None:
        self.model, self.j, self.est, self.base, self.thopt, self.ks = model, j, est, base, thopt, ks
        self.cp = cp
        X = np.asarray(model.X, dtype=float)
        self.Xj = X[:, j].copy()
        self.Xdrop = np.delete(X, j, axis=1)
        y = np.asarray(model.y, dtype=float)
        self.y0 = y if model.offset is None else y - model.offset

    def __call__(self, fw: float, start: Any = None) -> np.ndarray:
        m = self.model
        cp = CrossProducts([t.X for t in m.terms], [t.codes for t in m.terms], self.cp.shapes, self.Xdrop,
                           self.y0 - self.Xj * fw, m.weights)
        dev = LmerDevfun(cp, REML=False)
        lower = cp.layout.lower
        theta, fv = _bobyqa(dev, self.thopt.copy(), lower, np.full(lower.size, np.inf), LmerControl())
        f = factorize(cp, theta)
        sig = math.sqrt(f.pwrss / cp.n)
        beta = np.insert(solve(cp, f).beta, self.j, fw)
        z = math.copysign(math.sqrt(fv - self.base), fw - self.est) if fv >= self.base else \
            (0.0 if fw == self.est else float("nan"))
        return np.concatenate([[z], cv_to_sv(theta, self.ks, sig), beta])
