"""``glmer`` and ``glmer_nb``: parse → deviance functions → two optimisation stages → result.

lme4 1.1-31's pipeline (``glmer``: ``glFormula`` → ``mkGlmerDevfun`` → ``optimizeGlmer`` stage 1
→ ``updateGlmerDevfun`` → stage 2 → ``checkConv`` → ``mkMerMod``), with glmer's defaults:
minqa BOBYQA then lme4's Nelder–Mead, PIRLS tolerance 1e-7, deriv12 Hessian for the SEs.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._arguments import check_flag, check_int, check_optional_str, check_positive
from mixedlab._callers import caller_names
from mixedlab._errors import ArgumentError, ConvergenceWarning, ModelSpecificationError, inform
from mixedlab.formula import build_model, parse_formula
from mixedlab.glm._agq import AGQ_SCOPE_ERROR
from mixedlab.glm._families import Family, resolve_family
from mixedlab.glm._laplace import GlmerModel
from mixedlab.glm._optimize import optimize_glmer, refit_glmer
from mixedlab.linear._threads import single_blas_thread
from mixedlab.results._glmer_fit import GlmerFit

__all__ = ["glmer", "glmer_nb"]

_CONVERGENCE_HELP = (
    "glmer's checks at the optimum failed, so the estimates may not be at the optimum. Rescaling "
    "(centring, standardising) the predictors, simplifying the random effects, or refitting from "
    "the reported parameters usually settles it; a singular or nearly singular fit often means the "
    "data cannot separate the variance components."
)
_SEPARATION_HELP = (
    "Some fixed-effect estimates or standard errors are huge (|β| > 10 on the link scale or SE > 100 "
    "times the estimate's typical size): this usually means complete or quasi-complete separation (a "
    "predictor value for which the response is always 0 or always 1), so the estimates run off to "
    "infinity. Check cross-tabulations of the response against the factors, merge sparse levels, or "
    "use a penalised (bias-reduced) fit."
)


#: models with at least this many random effects + fixed effects keep BLAS's threads
_THREADED_SIZE = 2000


def _control(control: Any) -> dict:
    if control is None:
        return {}
    if isinstance(control, dict):
        bad = set(control) - {"calc_derivs", "boundary_tol", "tolPwrss", "maxit"}
        if bad:
            raise ModelSpecificationError(f"unknown glmer control setting(s) {sorted(bad)}; known: calc_derivs, "
                                          "boundary_tol, tolPwrss, maxit")
        # types checked, never taken by truthiness (calc_derivs="FALSE" would be true)
        if "calc_derivs" in control:
            check_flag(control["calc_derivs"], "control['calc_derivs']")
        for key in ("boundary_tol", "tolPwrss"):
            if key in control:
                check_positive(control[key], f"control[{key!r}]")
        if "maxit" in control:
            check_int(control["maxit"], "control['maxit']", minimum=1)
        return dict(control)
    raise ArgumentError(f"control must be None or a dict of glmer control settings, not "
                        f"{type(control).__name__} {control!r}")


def _build_glm_model(formula: str, data: pd.DataFrame, weights: Any, offset: Any):
    """The model frame with a GLM response; column names given for ``weights``/``offset`` are
    kept on it for the fit's display (GlmerFit's ``weights_name``/``offset_name``)."""
    model = build_model(formula, data, weights=weights, offset=offset, response="glm")
    if isinstance(weights, str):
        model._glmer_weights_name = weights
    if isinstance(offset, str):
        model._glmer_offset_name = offset
    return model


def glmer(formula: str, data: pd.DataFrame, family: "str | Family" = "binomial", nAGQ: int = 1,
          weights: Any = None, offset: Any = None, control: dict | None = None,
          data_name: str | None = None) -> GlmerFit:
    """Fit a generalized linear mixed model, as ``lme4::glmer``.

    Parameters
    ----------
    formula
        lme4's formula. A binomial response may be ``cbind(successes, failures)``, a 0/1, logical
        or two-level factor column (first level = failure), or a proportion with ``weights=`` the
        number of trials.
    data
        The data; never modified.
    family
        ``"binomial"``, ``"poisson"``, ``"Gamma"``, ``"inverse.gaussian"``, ``"gaussian"`` or an
        object from :mod:`mixedlab.families` (links, negative binomial θ).
    nAGQ
        1: Laplace (default); 0: β inside PIRLS (stage 1 only); > 1: adaptive Gauss–Hermite
        with that many points (a single scalar random-effects term only, ≤ 25 as lme4 1.1-31).
    weights, offset
        Column names of ``data`` or one value per row.
    control
        ``{"calc_derivs": bool, "boundary_tol": float, "tolPwrss": float, "maxit": int}``.
    data_name
        Name for the summary's "Data:" line; by default the caller's variable name.

    Returns
    -------
    GlmerFit
    """
    check_optional_str(data_name, "data_name")
    nAGQ = check_int(nAGQ, "nAGQ")
    if data_name is None:
        data_name = caller_names([data], 1)[0]  # the frame that called glmer()
    fam = resolve_family(family)
    ctrl = _control(control)
    if fam.name == "gaussian" and fam.link.name == "identity":
        warnings.warn("calling glmer() with family=gaussian (identity link) as a shortcut to lmer() is "
                      "deprecated; please call lmer() directly", FutureWarning, stacklevel=2)
        from mixedlab.fitting._lmer import lmer

        return lmer(formula, data, weights=weights, offset=offset, data_name=data_name)
    nAGQ = int(nAGQ)
    if not 0 <= nAGQ <= 25:
        raise ModelSpecificationError(f"nAGQ must be an integer between 0 and 25 (lme4 1.1-31), not {nAGQ}")
    parsed = parse_formula(formula)
    if not parsed.random:
        raise ModelSpecificationError(
            "No random effects terms specified in formula: add a term such as '(1 | group)', or, for a model "
            "without random effects, fit an ordinary GLM (e.g. statsmodels.api.GLM with the same family)")
    model = _build_glm_model(formula, data, weights, offset)
    if nAGQ > 1 and (len(model.terms) != 1 or model.terms[0].X.shape[1] != 1):
        raise ModelSpecificationError(AGQ_SCOPE_ERROR)
    return _fit(model, fam, nAGQ, ctrl, data_name, control is not None)


def _fit(model, fam: Family, nAGQ: int, ctrl: dict, data_name: str | None, control_given: bool) -> GlmerFit:
    n = model.y.size
    w0 = np.ones(n) if model.weights is None else np.asarray(model.weights, dtype=float)
    off = np.zeros(n) if model.offset is None else np.asarray(model.offset, dtype=float)
    two = None if model.y2 is None else np.column_stack([model.y, model.y2])
    with np.errstate(all="ignore"):  # numpy's overflow notes; the checks below speak
        y, wt, ntr, mustart = fam.initialize(np.asarray(model.y, dtype=float), w0, two)
    if fam.name == "binomial":
        prop = np.where(wt > 0, y, np.nan)
        if np.all(prop[~np.isnan(prop)] == 0) or np.all(prop[~np.isnan(prop)] == 1):
            val = "0" if np.all(prop[~np.isnan(prop)] == 0) else "1"
            raise ModelSpecificationError(
                f"the response {model.response_name!r} is {val} for every observation, so there is nothing to "
                "model (the fixed effects would run off to infinity); check the response coding")
    # thousands of small dense solves: one BLAS thread (mixedlab.linear._threads); a trailing
    # block this large is worth the threads
    q = sum(t.X.shape[1] * len(t.levels) for t in model.terms)
    with single_blas_thread(q + model.X.shape[1] < _THREADED_SIZE):
        gm = GlmerModel(model, fam, y, wt, ntr, mustart, off, tol=ctrl.get("tolPwrss", 1e-7),
                        maxit=ctrl.get("maxit", 100))
        opt = optimize_glmer(gm, nAGQ, calc_derivs=ctrl.get("calc_derivs", True),
                             boundary_tol=ctrl.get("boundary_tol", 1e-5))
    theta_names = gm.layout.theta_names([t.factor for t in model.terms], [list(t.columns) for t in model.terms])
    fit = GlmerFit(model=model, gm=gm, opt=opt, data_name=data_name, theta_names=theta_names,
                   control_given=control_given)
    for msg in opt.messages:
        inform(msg, stacklevel=4)
    for msg in opt.conv_warnings:
        warnings.warn(f"{msg}. {_CONVERGENCE_HELP}", ConvergenceWarning, stacklevel=4)
    beta, se = fit.fixef.to_numpy(), fit.se.to_numpy()
    if fam.name == "binomial" and (np.any(np.abs(beta) > 10) or np.any(se > 100)):
        warnings.warn(_SEPARATION_HELP, ConvergenceWarning, stacklevel=4)
    return fit


def glmer_nb(formula: str, data: pd.DataFrame, weights: Any = None, offset: Any = None,
             control: dict | None = None, data_name: str | None = None, nAGQ: int = 1,
             tol: float = 5e-5) -> GlmerFit:
    """Fit a negative binomial GLMM as ``lme4::glmer.nb``; ``fit.family.theta`` is θ.

    lme4's ``R/nbinom.R``: a Poisson fit gives θ₀ (``MASS::theta.ml``, eps = 2·tol); a full
    glmer fit with ``negative.binomial(θ₀)`` follows; then ``optimize()`` (Brent) over log θ in
    log θ₀ ± 3 with ``tol``, each evaluation ``refit()``-ing the previous fit with the new θ
    (:func:`mixedlab.glm._optimize.refit_glmer`) and returning −2 logLik, and a last refit at
    the minimum (R's ``optimize`` evaluates it once more), which is the returned fit.
    ``fit.nb_info`` records the search and says when an evaluation saw a higher likelihood
    than the returned fit (glmer.nb's search stops short: GLMM.md §2.7).
    """
    from mixedlab.glm._families import negative_binomial, poisson
    from mixedlab.glm._nb import brent_fmin, theta_ml

    check_optional_str(data_name, "data_name")
    nAGQ = check_int(nAGQ, "nAGQ")
    if data_name is None:
        data_name = caller_names([data], 1)[0]  # the frame that called glmer()
    check_positive(tol, "tol")
    ctrl = _control(control)
    if int(nAGQ) != 1:
        raise ModelSpecificationError("glmer_nb fits with the Laplace approximation (nAGQ = 1) only, as "
                                      "glmer.nb's refit does")
    parsed = parse_formula(formula)
    if not parsed.random:
        raise ModelSpecificationError("No random effects terms specified in formula: add a term such as "
                                      "'(1 | group)', or fit an ordinary negative binomial GLM")
    model = _build_glm_model(formula, data, weights, offset)
    q = sum(t.X.shape[1] * len(t.levels) for t in model.terms)
    calc_derivs = ctrl.get("calc_derivs", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g0 = _fit(model, poisson(), 1, ctrl, data_name, False)
        th = theta_ml(g0._gm.resp.y, g0.fitted(), g0._gm.resp.wt, limit=20, eps=2 * tol)
        last = [_fit(model, negative_binomial(th), 1, ctrl, data_name, False)]  # update(g0, family = NB(θ₀))
    seen: list[GlmerFit] = []

    def dev(t: float) -> float:
        prev = last[0]
        fam = negative_binomial(math.exp(t))
        n = model.y.size
        w0 = np.ones(n) if model.weights is None else np.asarray(model.weights, dtype=float)
        with np.errstate(all="ignore"):
            y, wt, ntr, mustart = fam.initialize(np.asarray(model.y, dtype=float), w0, None)
        with single_blas_thread(q + model.X.shape[1] < _THREADED_SIZE):
            gm = GlmerModel.for_refit(prev._gm, fam, y, wt, ntr, mustart)
            opt = refit_glmer(gm, np.concatenate([prev.theta, prev.fixef.to_numpy()]), prev._opt.unsc,
                              calc_derivs=calc_derivs and prev._opt.hessian is not None)
        fit = GlmerFit(model=model, gm=gm, opt=opt, data_name=data_name, theta_names=prev.theta_names,
                       control_given=False)
        last[0] = fit
        seen.append(fit)
        return fit.objective

    lo = math.log(th)
    x, _fx, nev = brent_fmin(dev, lo - 3.0, lo + 3.0, tol)
    dev(x)  # R's optimize() ends with f(minimum): that refit is glmer.nb's answer
    fit = last[0]
    best = min(seen, key=lambda f: f.objective)
    fit.nb_info = {"theta_start": th, "theta": math.exp(x), "evaluations": nev + 1,
                   "best_seen": best.objective, "best_seen_theta": best.family.theta,
                   "higher_likelihood_seen": best.objective < fit.objective - 1e-9}
    if fit.nb_info["higher_likelihood_seen"]:
        inform(f"glmer.nb's search stopped at θ = {math.exp(x):.6g}; θ = {best.family.theta:.6g} gave a higher "
               f"likelihood (−2 logLik lower by {fit.objective - best.objective:.3g})", stacklevel=3)
    for msg in fit.optinfo["conv_warnings"]:
        warnings.warn(f"{msg}. {_CONVERGENCE_HELP}", ConvergenceWarning, stacklevel=2)
    return fit
