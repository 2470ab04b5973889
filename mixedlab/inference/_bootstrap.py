"""lme4's parametric bootstrap (``bootMer``) and its percentile intervals (``boot.ci``).

lme4 1.1-31's ``confint(m, method = "boot")`` calls ``bootMer(m, FUN, nsim)``:

1. ``simulate(m, nsim, use.u = FALSE, re.form = NA)`` — every response drawn with new random
   effects from the fitted model (after ``set.seed`` when a seed is given);
2. ``refit(m, y*)`` for each — the fit's optimizer (NLopt BOBYQA, lme4's tolerances) started
   at the fitted θ, with no restarts or boundary snapping. lme4 1.1-31's ``refit.merMod``
   rebuilds the response with ``mkRespMod(model.frame(object), REML = isREML(object))``,
   so a REML fit's refits carry ``resp$REML = 1`` (TRUE) instead of p: their criterion is
   ``ldL2 + ldRX2 + (n − 1)(1 + log(2π·pwrss/(n − 1)))`` whatever the number of fixed effects
   (lmerResp::Laplace), while σ is still ``sqrt(pwrss/(n − p))`` (mkMerMod's sigmaREML uses
   ``dims["nmp"]``). The refits here do the same (``BootModel.refit_nmp``), so that the
   intervals are R's; with p = 1 it is the ordinary REML criterion;
3. ``FUN``: the SDs and correlations (``Cv_to_Sv(θ, σ)``), σ and the fixed effects.

The intervals are the boot package's percentile intervals (``boot.ci(type = "perc")``,
``norm.inter``): order statistics ``(R + 1)·α``, interpolated on the normal quantile scale
when not integers. A refit that fails counts as missing, as in ``bootMer``.

:func:`parametric_bootstrap` takes the simulated responses, so the simulation can be the
fitted model's R-identical ``simulate`` or, without it, :func:`simulate_responses`.
"""

from __future__ import annotations

import math
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Sequence

import nlopt
import numpy as np
from scipy.stats import norm

from mixedlab.inference._profile import cv_to_sv
from mixedlab.linear._crossprod import CrossProducts
from mixedlab.linear._deviance import LmerDevfun
from mixedlab.linear._optimize import LmerControl
from mixedlab.linear._pls import factorize, solve

__all__ = ["BootModel", "parametric_bootstrap", "simulate_responses", "percentile_interval",
           "norm_inter", "boot_statistic", "bootstrap_intervals"]


@dataclass
class BootModel:
    """What a refit needs: the random-effects design, X, weights, offset, θ̂ and the criterion."""

    term_X: list[np.ndarray]
    term_codes: list[np.ndarray]
    shapes: list[Any]
    X: np.ndarray
    weights: np.ndarray | None
    offset: np.ndarray | None
    theta: np.ndarray
    REML: bool
    ks: list[int]
    #: n − resp$REML of lme4 1.1-31's refits (n − 1 for a REML fit, see the module docstring);
    #: None: the ordinary criterion (n − p)
    refit_nmp: int | None = None

    @classmethod
    def from_fit(cls, model: Any, cp: CrossProducts, theta: np.ndarray, REML: bool) -> "BootModel":
        n = np.asarray(model.X).shape[0]
        return cls([t.X for t in model.terms], [t.codes for t in model.terms], list(cp.shapes),
                   np.asarray(model.X, dtype=float), model.weights, model.offset,
                   np.asarray(theta, dtype=float), bool(REML), [t.X.shape[1] for t in model.terms],
                   refit_nmp=n - 1 if REML else None)


def boot_statistic(theta: np.ndarray, sigma: float, beta: np.ndarray, ks: list[int]) -> np.ndarray:
    """lme4's ``bootFun``: ``c(Cv_to_Sv(θ, n, s = σ), fixef)``."""
    return np.concatenate([cv_to_sv(np.asarray(theta, dtype=float), ks, float(sigma)), beta])


def _refit_devfun(cp: CrossProducts, bm: BootModel):
    """The criterion a refit minimises: lme4 1.1-31's (``refit_nmp``) or the fit's own."""
    if not bm.REML or bm.refit_nmp is None or bm.refit_nmp == cp.n - cp.p:
        return LmerDevfun(cp, bm.REML)
    nmp = float(bm.refit_nmp)

    def dev(theta: np.ndarray) -> float:
        try:
            f = factorize(cp, theta)
        except np.linalg.LinAlgError:
            return float("inf")
        # lmerResp::Laplace with d_reml = 1 (the log |W| term as in mixedlab's criterion)
        return (f.ldL2 + f.ldRX2 + nmp * (1.0 + math.log(2.0 * math.pi * f.pwrss / nmp))
                - cp.log_det_W)

    return dev


def _refit(bm: BootModel, y: np.ndarray, ctrl: LmerControl) -> np.ndarray:
    """``FUN(refit(m, y))`` for one simulated response (NaN when the refit fails)."""
    yy = y if bm.offset is None else y - bm.offset
    try:
        cp = CrossProducts(bm.term_X, bm.term_codes, bm.shapes, bm.X, yy, bm.weights)
        dev = _refit_devfun(cp, bm)
        opt = nlopt.opt(nlopt.LN_BOBYQA, bm.theta.size)
        opt.set_min_objective(lambda x, g: dev(np.asarray(x)))
        opt.set_lower_bounds(cp.layout.lower)
        opt.set_upper_bounds(np.full(bm.theta.size, np.inf))
        opt.set_xtol_abs(ctrl.xtol_abs)
        opt.set_ftol_abs(ctrl.ftol_abs)
        opt.set_xtol_rel(ctrl.xtol_rel)
        opt.set_maxeval(ctrl.maxeval)
        try:
            theta = np.asarray(opt.optimize(bm.theta.copy()), dtype=float)
        except nlopt.RoundoffLimited:
            theta = bm.theta.copy()
        f = factorize(cp, theta)
        beta = solve(cp, f).beta
        sigma = math.sqrt(f.pwrss / (cp.n - cp.p if bm.REML else cp.n))
        return boot_statistic(theta, sigma, beta, bm.ks)
    except (np.linalg.LinAlgError, ValueError, RuntimeError):
        k = sum(k * (k + 1) // 2 for k in bm.ks) + 1 + bm.X.shape[1]
        return np.full(k, np.nan)


def _refit_chunk(args: tuple) -> np.ndarray:
    bm, Y, ctrl = args
    return np.vstack([_refit(bm, Y[:, i], ctrl) for i in range(Y.shape[1])])


def parametric_bootstrap(bm: BootModel, Y: np.ndarray, n_jobs: int = 1, progress: bool = False,
                         desc: str = "bootstrap refits") -> np.ndarray:
    """Refit every column of ``Y`` (n × nsim simulated responses); rows of the result: replicates.

    Parameters
    ----------
    bm
        The model (:meth:`BootModel.from_fit`).
    Y
        Simulated responses, one column per replicate (offset included, as lme4 simulates).
    n_jobs
        Worker processes (1: in this process). Results do not depend on it.
    progress
        Show a progress bar (tqdm, when installed).
    """
    Y = np.asarray(Y, dtype=float)
    nsim = Y.shape[1]
    ctrl = LmerControl()
    bar = _progress(nsim, desc) if progress else None
    out: list[np.ndarray] = []
    try:
        if n_jobs is None or n_jobs <= 1:
            for i in range(nsim):
                out.append(_refit(bm, Y[:, i], ctrl)[None, :])
                if bar is not None:
                    bar.update(1)
        else:
            # chunks small enough for the bar to move, large enough to keep workers busy
            size = max(1, min(25, math.ceil(nsim / (4 * n_jobs))))
            chunks = [(bm, Y[:, s : s + size], ctrl) for s in range(0, nsim, size)]
            import multiprocessing

            with ProcessPoolExecutor(max_workers=int(n_jobs), mp_context=multiprocessing.get_context("spawn")) as ex:
                for res in ex.map(_refit_chunk, chunks):
                    out.append(res)
                    if bar is not None:
                        bar.update(res.shape[0])
    finally:
        if bar is not None:
            bar.close()
    return np.vstack(out)


def _progress(total: int, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the progress bar is optional (pip install "mixedlab[inference]")
        return None
    return tqdm(total=total, desc=desc, unit="fit")


def simulate_responses(bm: BootModel, beta: np.ndarray, sigma: float, nsim: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Unconditional draws from the fitted model: y = Xβ + offset + σ(ZΛu + ε/√w).

    A statistically correct stand-in for lme4's ``simulate`` (not R's random numbers).
    """
    n = bm.X.shape[0]
    eta = bm.X @ beta + (0.0 if bm.offset is None else bm.offset)
    out = np.empty((n, nsim))
    from mixedlab.linear._theta import ThetaLayout

    Ts = ThetaLayout(bm.shapes).factors(bm.theta)
    sw = None if bm.weights is None else np.sqrt(bm.weights)
    for i in range(nsim):
        zlu = np.zeros(n)
        for T, Xt, codes, sh in zip(Ts, bm.term_X, bm.term_codes, bm.shapes):
            b = rng.standard_normal((sh.n_levels, sh.k)) @ T.T  # Λ u per level
            zlu += np.einsum("ij,ij->i", Xt, b[codes])
        e = rng.standard_normal(n)
        out[:, i] = eta + sigma * (zlu + (e if sw is None else e / sw))
    return out


def norm_inter(t: np.ndarray, alpha: Sequence[float]) -> np.ndarray:
    """The boot package's ``norm.inter(t, alpha)[, 2]``: interpolated order statistics."""
    t = np.asarray(t, dtype=float)
    t = t[np.isfinite(t)]
    R = t.size
    alpha = np.asarray(alpha, dtype=float)
    rk = (R + 1) * alpha
    if not np.all((rk > 1) & (rk < R)):
        warnings.warn("extreme order statistics used as endpoints", UserWarning, stacklevel=3)
    k = np.trunc(rk).astype(int)
    tstar = np.sort(t)
    out = np.empty(alpha.size)
    for i in range(alpha.size):
        if k[i] == 0:
            out[i] = tstar[0]
        elif k[i] == R:
            out[i] = tstar[R - 1]
        elif k[i] == rk[i]:
            out[i] = tstar[k[i] - 1]
        else:
            t1 = norm.ppf(alpha[i])
            t2 = norm.ppf(k[i] / (R + 1))
            t3 = norm.ppf((k[i] + 1) / (R + 1))
            tk, tk1 = tstar[k[i] - 1], tstar[k[i]]
            out[i] = tk + (t1 - t2) / (t3 - t2) * (tk1 - tk)
    return out


def percentile_interval(t: np.ndarray, level: float = 0.95) -> np.ndarray:
    """``boot.ci(type = "perc")``: the (lower, upper) percentile interval (NaN if t is constant)."""
    t = np.asarray(t, dtype=float)
    fin = t[np.isfinite(t)]
    if fin.size == 0:
        return np.array([np.nan, np.nan])
    mean = float(np.mean(fin))
    if np.ptp(fin) < min(1e-8, mean / 1e6):  # boot's const(): "Cannot calculate confidence intervals"
        return np.array([np.nan, np.nan])
    alpha = (1.0 + np.array([-level, level])) / 2.0
    return norm_inter(t, alpha)


def bootstrap_intervals(stats: np.ndarray, level: float) -> np.ndarray:
    """Percentile intervals of every column of ``stats`` (rows: replicates)."""
    return np.vstack([percentile_interval(stats[:, j], level) for j in range(stats.shape[1])])

