"""``lmer``: parse → deviance function of θ → optimise → result, as lme4's four steps."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._callers import caller_names
from mixedlab._arguments import check_flag, check_optional_str
from mixedlab._errors import ArgumentError, ConvergenceWarning, ModelSpecificationError, inform
from mixedlab.formula import build_model
from mixedlab.linear._deviance import make_devfun
from mixedlab.linear._optimize import LmerControl, as_control, check_start, optimize_lmer
from mixedlab.linear._pls import solve
from mixedlab.linear._threads import blas_threads_for
from mixedlab.results._lmer_fit import LmerFit

__all__ = ["lmer"]

_CONVERGENCE_HELP = (
    "The optimiser stopped where lme4's convergence check is not satisfied, so the "
    "estimates may not be at the optimum. Rescaling predictors, simplifying the "
    "random-effects structure, or refitting from the reported θ usually settles it."
)


def _guess_data_name(data: Any, depth: int = 2) -> str | None:
    """The caller's variable name for ``data``, for the summary's "Data:" line (R deparses it)."""
    return caller_names([data], depth)[0]


def _check_response_varies(model) -> None:
    """A constant response leaves nothing to partition: σ̂ = 0 and the criterion is −∞."""
    y = model.y if model.offset is None else model.y - model.offset
    if y.size and np.ptp(y) == 0:
        raise ModelSpecificationError(
            f"the response {model.response_name!r} is constant (every value is {y[0]:g}"
            f"{' after the offset' if model.offset is not None else ''}), so there is no variation "
            "for a mixed model to partition; check that the right column is the response"
        )


_EPS = float(np.finfo(float).eps)

#: lme4's defaults; LmerControl is frozen, so one instance serves every fit without a control
_DEFAULT_CONTROL = LmerControl()


def _check_random_scale(model) -> None:
    """Refuse random-effect columns too large for lme4's start θ in double precision.

    At lme4's start (θ = 1: Λ = I) the random effects' cross-product is ``Z'WZ + I``; when
    a column's sum of squares within one level reaches 1/ε (4.5e15), the unit prior is
    lost in rounding and so is the downdate ``X'WX - R_ZX'R_ZX`` of the fixed effects:
    lme4 1.1-31 then stops with "Downdated VtV is not positive definite" (it does for
    sleepstudy's ``Days`` times 4e6 and more in a random slope, and not below 2e6), and
    without this check the fit would be NaN. The check costs one pass over Z.
    """
    w = model.weights
    for t in model.terms:
        for j, col in enumerate(t.columns):
            x = t.X[:, j]
            ss = np.bincount(t.codes, weights=x * x if w is None else w * x * x,
                             minlength=t.n_levels)
            worst = float(ss.max()) if ss.size else 0.0
            if not worst * _EPS >= 1.0:
                continue
            sd = float(np.std(x, ddof=1)) if x.size > 1 else abs(float(x[0]))
            power = 10.0 ** math.floor(math.log10(sd)) if sd > 0 and math.isfinite(sd) else None
            fix = (f"divide it by {power:.0e} (its SD is {sd:.2g}) or write scale({col}) in "
                   "the formula" if power else "rescale it")
            raise ModelSpecificationError(
                "Downdated VtV is not positive definite (lme4 1.1-31 stops with this error "
                f"here): the random-effect column {col!r} of term ({t.text}) has a sum of "
                f"squares{' (times the weights)' if w is not None else ''} of {worst:.3g} within "
                f"one level of {t.factor!r}, beyond the "
                f"{1 / _EPS:.2g} (1/machine epsilon) that double precision can combine with "
                f"the unit prior of lme4's start (θ = 1); {fix}")


def _check_finite_fit(fit: LmerFit) -> None:
    """A fit whose criterion or fixed effects are not finite is an error, never a result."""
    # from β̂ itself: the fixef Series is built only when asked for
    bad = [nm for nm, v in zip(fit._fixed_names, fit._solution.beta) if not np.isfinite(v)]
    if np.isfinite(fit.objective) and np.isfinite(fit.sigma) and not bad:
        return
    y = fit._model.y
    sd = float(np.std(y)) if y.size > 1 else float("nan")
    cause = (f"the response's SD is {sd:.3g}, too extreme to square in double precision; "
             "rescale the response" if not 1e-100 < sd < 1e100 else
             "usually because predictors or weights are on extreme scales (lme4 stops with "
             "'Downdated VtV is not positive definite' in such cases, or reports an infinite "
             "criterion); rescale them (e.g. scale(x) in the formula) or simplify the random "
             "effects")
    raise ModelSpecificationError(
        "the fit did not produce finite estimates (criterion "
        f"{fit.objective}, residual SD {fit.sigma}"
        + (f", fixed effects {', '.join(bad)}" if bad else "") + "): the model cannot be "
        f"evaluated in double precision: {cause}")


def lmer(
    formula: str,
    data: pd.DataFrame,
    REML: bool = True,
    weights: Any = None,
    offset: Any = None,
    na_action: str = "omit",
    control: LmerControl | None = None,
    data_name: str | None = None,
) -> LmerFit:
    """Fit a linear mixed-effects model, as ``lme4::lmer``.

    Parameters
    ----------
    formula
        lme4's formula, e.g. ``"Reaction ~ Days + (Days | Subject)"``.
    data
        The data; it is never modified.
    REML
        Fit by REML (default) or maximum likelihood.
    weights, offset
        A column name of ``data`` or an array with one value per row.
    na_action
        ``"omit"`` drops rows with missing values in any used variable (R's na.omit).
    control
        Optimiser settings (:class:`mixedlab.LmerControl`); lme4's defaults otherwise.
    data_name
        Name shown on the summary's "Data:" line; by default the caller's variable name.

    Returns
    -------
    LmerFit
        The fitted model.

    Examples
    --------
    >>> from mixedlab import lmer, datasets
    >>> fit = lmer("Reaction ~ Days + (Days | Subject)", datasets.sleepstudy())
    >>> round(fit.objective, 1)
    1743.6
    """
    REML = check_flag(REML, "REML")
    check_optional_str(data_name, "data_name")
    if control is not None and not isinstance(control, LmerControl):
        hint = (" (build one from a dict with LmerControl(**control))"
                if isinstance(control, dict) else "")
        raise ArgumentError(f"control must be a mixedlab.LmerControl or None, not "
                            f"{type(control).__name__} {control!r}{hint}")
    if data_name is None:
        data_name = _guess_data_name(data)
    # before any work: a bad setting must not reach NLopt (the frozen default is built once)
    ctrl = _DEFAULT_CONTROL if control is None else as_control(control)
    # 1. parse (lFormula)
    model = build_model(formula, data, weights=weights, offset=offset, na_action=na_action)
    _check_response_varies(model)
    _check_random_scale(model)
    # 2. deviance function of θ (mkLmerDevfun)
    devfun = make_devfun(model, REML=REML)
    if ctrl.start is not None:
        check_start(np.asarray(ctrl.start), devfun.lower)
    fit = fit_devfun(model, devfun, ctrl, data_name=data_name)
    # what refits of this model (lmerTest's ranova, R's update()) need
    fit._lmer_args = {"data": data, "weights": weights, "offset": offset, "na_action": na_action,
                      "control": control}
    return fit


def fit_devfun(model: Any, devfun: Any, ctrl: LmerControl, data_name: str | None = None) -> LmerFit:
    """Steps 3 and 4 of :func:`lmer`: optimise a deviance function and package the result.

    Messages (singular fit) and convergence warnings are emitted as lme4 emits them.
    """
    # one BLAS thread for small trailing blocks: a loaded machine stalls threaded calls,
    # and the optimum must not depend on the thread count (linear/_threads.py)
    with blas_threads_for(devfun.cp.m):
        # 3. optimise (optimizeLmer)
        opt = optimize_lmer(devfun, devfun.lower, devfun.start, ctrl)
        # 4. package the result (mkMerMod), from the factor at the optimum
        factor = devfun.factor(opt.theta)
        solution = solve(devfun.cp, factor)
    fit = LmerFit(
        model=model,
        cp=devfun.cp,
        factor=factor,
        solution=solution,
        opt=opt,
        REML=devfun.REML,
        data_name=data_name,
        theta_names=devfun.cp.layout.theta_names(
            [t.factor for t in model.terms], [list(t.columns) for t in model.terms]
        ),
    )
    _check_finite_fit(fit)
    for msg in opt.messages:
        inform(msg, stacklevel=4)
    for msg in opt.conv_warnings:
        # NLopt's texts end with a full stop already; lme4's own checks do not
        warnings.warn(f"{msg.rstrip().rstrip('.')}. {_CONVERGENCE_HELP}", ConvergenceWarning, stacklevel=4)
    return fit
