"""Likelihood-ratio comparison of nested fits, as lme4's ``anova.merMod``.

lme4 1.1-31's rules, reproduced here:

* every fit must use the same number of observations
  ("models were not all fitted to the same size of dataset");
* with ``refit = TRUE`` (the default) REML fits are refitted by maximum likelihood,
  starting from their REML θ (lme4's ``refitML``), with the message
  "refitting model(s) with ML (instead of REML)"; with ``refit = FALSE`` a mix of
  REML and ML fits only warns;
* the models are ordered by their number of parameters (a stable sort), and
  ``Chisq = 2·max(0, Δ logLik)``, ``Df = Δ npar`` and ``Pr(>Chisq)`` the upper tail of
  χ²(Df) (missing when Df is 0), each against the previous row.

The printed form follows R's ``print.anova`` / ``printCoefmat`` (five significant
digits, the χ² column rounded to four decimals, p-values by ``format.pval`` with
four digits, significance stars and their legend).
"""

from __future__ import annotations

import builtins  # ``type`` is an argument of anova (lmerTest's name)
import math
import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2

from mixedlab._callers import caller_names
from mixedlab._arguments import check_flag
from mixedlab._errors import ArgumentError, DataError, ModelSpecificationError, inform
from mixedlab.fitting._lmer import fit_devfun
from mixedlab.fitting._lmertest import single_anova
from mixedlab.linear._deviance import make_devfun
from mixedlab.linear._optimize import LmerControl, as_control
from mixedlab.reporting._anova_table import AnovaTable
from mixedlab.reporting.rformat import deparse_formula
from mixedlab.results._glmer_fit import GlmerFit
from mixedlab.results._lmer_fit import LmerFit
from mixedlab.results._tmb_fit import TmbFit

__all__ = ["anova", "refit_ml", "AnovaTable", "REFIT_MESSAGE"]

REFIT_MESSAGE = "refitting model(s) with ML (instead of REML)"
_EPS = float(np.finfo(float).eps)


def refit_ml(fit: LmerFit, control: LmerControl | None = None) -> LmerFit:
    """Refit a REML fit by maximum likelihood on the same model frame (lme4's ``refitML``).

    The optimisation starts from the REML θ, as lme4 does; an ML fit is returned as is.
    No data are needed: the parsed model (response, design, weights, offset) is reused.

    Parameters
    ----------
    fit
        A fit from :func:`mixedlab.lmer`.
    control
        Optimiser settings; lme4's defaults otherwise.

    Returns
    -------
    LmerFit
        The ML fit (``fit.REML`` is ``False``).
    """
    if not isinstance(fit, LmerFit):
        raise ArgumentError(f"refit_ml needs a fit from mixedlab.lmer, not {type(fit).__name__}")
    if control is not None and not isinstance(control, LmerControl):
        raise ArgumentError(f"control must be a mixedlab.LmerControl or None, not "
                            f"{type(control).__name__} {control!r}")
    if not fit.REML:
        return fit
    model = fit._model
    devfun = make_devfun(model, REML=False)
    base = as_control(control)
    ctrl = LmerControl(**{**base.__dict__, "start": tuple(float(t) for t in fit.theta)})
    return fit_devfun(model, devfun, ctrl, data_name=fit.data_name)


def _caller_names(fits: Sequence[LmerFit], depth: int = 2) -> list[str] | None:
    """The caller's variable names for ``fits`` (R deparses the arguments), if unambiguous."""
    names = caller_names(list(fits), depth)
    if any(n is None for n in names) or len(set(names)) != len(names):
        return None
    return names  # type: ignore[return-value]


def anova(*fits: LmerFit, refit: bool = True, model_names: Sequence[str] | None = None,
          type: int | str = 3, ddf: str = "Satterthwaite", **named_fits: LmerFit) -> AnovaTable:
    """Compare nested mixed models by likelihood-ratio tests (lme4's ``anova``), or
    test the terms of one linear mixed model by F tests (lmerTest's ``anova``).

    Fits from :func:`mixedlab.glmer` compare the same way (``anova.merMod`` on glmerMod
    objects: ML fits, never refitted; ``logLik`` is −objective/2 on glmer's scale, so nAGQ > 1
    fits compare only with each other).

    With a single fit, ``anova(fit, type=3, ddf="Satterthwaite")`` is lmerTest's
    single-model table (:func:`mixedlab.fitting._lmertest.single_anova`): one F test per
    fixed-effect term, factors tested as a whole.

    Parameters
    ----------
    *fits
        Two or more fits from :func:`mixedlab.lmer` (or all from :func:`mixedlab.glmer`) on
        the same observations (or one lmer fit for the F table).
    refit
        Refit REML fits by maximum likelihood first (lme4's default and the right thing
        for comparing models that differ in their fixed effects).
    model_names
        Row names; by default the keyword names, else the caller's variable names,
        else ``"m1"``, ``"m2"``, ...
    type
        Single fit only: the type of the hypotheses, 1, 2 or 3 (or "I", "II", "III").
    ddf
        Single fit only: ``"Satterthwaite"`` or ``"Kenward-Roger"`` denominator df.
    **named_fits
        Fits passed by keyword, e.g. ``anova(null=m0, days=m1)``; the keyword is the name.

    Returns
    -------
    AnovaTable
        Columns ``npar, AIC, BIC, logLik, deviance, Chisq, Df, Pr(>Chisq)`` (as
        ``anova.merMod``), one row per model in order of increasing ``npar``; printing it
        shows R's layout.

    Raises
    ------
    ModelSpecificationError
        Fewer than two fits, or something that is not a fit.
    DataError
        The fits use different numbers of observations.

    Examples
    --------
    >>> import mixedlab
    >>> sleep = mixedlab.datasets.sleepstudy()
    >>> m0 = mixedlab.lmer("Reaction ~ 1 + (Days | Subject)", sleep)
    >>> m1 = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleep)
    >>> tab = mixedlab.anova(m0, m1)  # doctest: +SKIP
    >>> round(tab.loc["m1", "Chisq"], 2)  # doctest: +SKIP
    23.54
    """
    refit = check_flag(refit, "refit")
    mods = list(fits) + list(named_fits.values())
    if any(isinstance(m, TmbFit) for m in mods):
        names = None
        if model_names is None and not named_fits:
            names = _caller_names(list(fits)) if fits else None
        return _anova_tmb(list(fits), dict(named_fits), model_names, names)
    if len(mods) == 1 and isinstance(mods[0], LmerFit):
        return single_anova(mods[0], type=type, ddf=ddf)
    if len(mods) == 1 and isinstance(mods[0], GlmerFit):
        raise ModelSpecificationError(
            "anova of a single GLMM (lme4's sequential table of fixed-effect terms, without tests) is not "
            "implemented; compare nested fits with anova(m0, m1), a likelihood-ratio test")
    if len(mods) < 2:
        raise ModelSpecificationError(
            "anova needs a fit: anova(m) for the F table of its terms, or anova(m0, m1) to "
            "compare nested fits")
    for i, m in enumerate(mods):
        if not isinstance(m, (LmerFit, GlmerFit)):
            raise ModelSpecificationError(
                f"argument {i + 1} of anova is a {builtins.type(m).__name__}, not a fit from mixedlab.lmer or "
                "mixedlab.glmer")
    kinds = {isinstance(m, GlmerFit) for m in mods}
    if len(kinds) > 1:
        raise ModelSpecificationError(
            "anova compares fits of one kind: all from mixedlab.lmer or all from mixedlab.glmer (a linear and "
            "a generalized linear mixed model have likelihoods of different responses)")
    if True in kinds:
        fams = {(m.family.name, m.link) for m in mods}
        if len(fams) > 1:
            raise ModelSpecificationError(
                f"the GLMMs use different families or links ({sorted(fams)}); a likelihood-ratio test "
                "compares models of the same response distribution")
    if model_names is not None:
        if isinstance(model_names, str) or not all(isinstance(n, str) for n in model_names):
            raise ArgumentError(f"model_names must be a list of strings, one per model, not "
                                f"{builtins.type(model_names).__name__} {model_names!r}")
    guessed = _caller_names(list(fits)) if model_names is None and fits else None
    names = _model_names(model_names, mods, fits, named_fits, guessed, "m")
    _check_same_nobs(mods, names)

    _check_same_data(mods, names)

    reml = [m.REML for m in mods]
    if refit:
        if any(reml):
            inform(REFIT_MESSAGE)
            mods = [refit_ml(m) if r else m for m, r in zip(mods, reml)]
    elif any(reml) and not all(reml):
        warnings.warn("some models fit with REML = TRUE, some not", UserWarning, stacklevel=2)

    order = sorted(range(len(mods)), key=lambda i: mods[i].npar)  # stable, as R's order()
    mods = [mods[i] for i in order]
    names = [names[i] for i in order]
    npar = np.array([m.npar for m in mods], dtype=float)
    llk = np.array([m.loglik for m in mods], dtype=float)
    nobs_ = mods[0].nobs
    aic = -2.0 * llk + 2.0 * npar
    bic = -2.0 * llk + math.log(nobs_) * npar
    chisq = np.concatenate([[np.nan], 2.0 * np.maximum(0.0, np.diff(llk))])
    df = np.concatenate([[np.nan], np.diff(npar)])
    with np.errstate(invalid="ignore"):
        p = np.where(df == 0, np.nan, chi2.sf(chisq, np.where(df > 0, df, 1)))
    p[0] = np.nan
    table = AnovaTable(
        {"npar": npar.astype(int), "AIC": aic, "BIC": bic, "logLik": llk, "deviance": -2.0 * llk,
         "Chisq": chisq, "Df": df, "Pr(>Chisq)": p},
        index=pd.Index(names),
    )
    data_name = mods[0].data_name
    heading = ([f"Data: {data_name}"] if data_name else []) + ["Models:"]
    heading += [f"{n}: {_deparse1(m.formula)}" for n, m in zip(names, mods)]
    table.heading = heading
    table.fits = dict(zip(names, mods))
    return table


def _model_names(model_names: Sequence[str] | None, mods: list, fits: Sequence, named: dict,
                 guessed: list[str] | None, prefix: str) -> list[str]:
    """The row names of the table: ``model_names``, else the keywords' names when every fit was
    passed by keyword, else the caller's variable names (``guessed``, R deparses the
    arguments) or ``prefix`` 1, 2, ... for the positional fits, then the keywords' names."""
    if model_names is not None:
        names = list(model_names)
        if len(names) != len(mods):
            raise ModelSpecificationError(
                f"model_names has {len(names)} names for {len(mods)} models; give one name per model")
    elif named and not fits:
        names = list(named)
    else:
        if guessed is None:
            guessed = [f"{prefix}{i + 1}" for i in range(len(fits))]
        names = guessed + list(named)
    if len(set(names)) != len(names):
        raise ModelSpecificationError(f"model names must be unique, got {names}; pass model_names=")
    return names


def _check_same_nobs(mods: list, names: list[str]) -> None:
    """lme4's (and glmmTMB's) first check: every fit used the same number of observations."""
    nobs = [m.nobs for m in mods]
    if len(set(nobs)) > 1:
        raise DataError(
            "models were not all fitted to the same size of dataset "
            f"(numbers of observations: {', '.join(f'{n}: {k}' for n, k in zip(names, nobs))}); "
            "a likelihood-ratio test needs the same rows in every model: drop the rows with "
            "missing values in any model's variables before fitting them all")


def _same_values(a: Any, b: Any) -> bool:
    """Whether two evaluated model-frame variables hold the same values row by row."""
    if hasattr(a, "codes") != hasattr(b, "codes"):
        return False
    if hasattr(a, "codes"):
        la = np.asarray(list(a.levels) + [None], dtype=object)[a.codes]
        lb = np.asarray(list(b.levels) + [None], dtype=object)[b.codes]
        return bool(np.array_equal(la, lb))
    va, vb = np.asarray(a.values), np.asarray(b.values)
    return va.shape == vb.shape and bool(np.array_equal(va, vb, equal_nan=True))


def _check_same_data(mods: list[LmerFit], names: list[str]) -> None:
    """lme4's "all models must be fit to the same data object", checked on the values.

    lme4 compares the data argument of the calls; here each model is compared with the
    first on what both used: the response, the weights, and every model-frame variable
    they share (same label), row by row. Models fitted to different data with the same
    number of rows used to give a table; now they are an error that names the difference.
    """
    first = mods[0]._model
    for name, m in zip(names[1:], mods[1:]):
        model = m._model
        diff = None
        if not np.array_equal(first.y, model.y):
            diff = "the response values"
        elif (first.weights is None) != (model.weights is None) or (
                first.weights is not None and not np.array_equal(first.weights, model.weights)):
            diff = "the weights"
        else:
            a, b = first._frame_values, model._frame_values
            for label in a:
                if label in b and not _same_values(a[label], b[label]):
                    diff = f"the values of {label!r}"
                    break
        if diff is not None:
            raise DataError(
                "all models must be fit to the same data object (lme4's error): "
                f"{names[0]} and {name} differ in {diff} of the rows used; a likelihood-ratio "
                "test compares models of the same observations: fit every model to the same "
                "DataFrame (with the same response)")


def _deparse1(formula: str) -> str:
    """R's ``deparse1`` of the formula lmer keeps in its call (one line)."""
    return " ".join(line.strip() for line in deparse_formula(formula))


def _anova_tmb(fits: list, named: dict, model_names, guessed) -> AnovaTable:
    """glmmTMB 1.1.5's ``anova.glmmTMB``: likelihood-ratio tests of fits ordered by df."""
    mods = fits + list(named.values())
    if len(mods) < 2:
        raise ModelSpecificationError(
            "anova compares two or more nested glmmTMB fits, e.g. anova(m0, m1); glmmTMB has "
            "no single-model anova table")
    for i, m in enumerate(mods):
        if not isinstance(m, TmbFit):
            raise ModelSpecificationError(
                f"argument {i + 1} of anova is a {type(m).__name__}: glmmtmb fits can only be "
                "compared with other fits from mixedlab.glmmtmb")
    if model_names is not None:
        model_names = [str(n) for n in model_names]
    names = _model_names(model_names, mods, fits, named, guessed, "MODEL")
    _check_same_nobs(mods, names)
    data_names = {m.data_name for m in mods if m.data_name}
    if len(data_names) > 1:
        raise DataError(f"all models must be fit to the same data object (got {sorted(data_names)})")
    order = sorted(range(len(mods)), key=lambda i: mods[i].npar)  # R's order() is stable
    mods = [mods[i] for i in order]
    names = [names[i] for i in order]
    df = np.array([m.npar for m in mods], dtype=float)
    llk = np.array([m.loglik for m in mods], dtype=float)
    chisq = np.concatenate([[np.nan], 2.0 * np.maximum(0.0, np.diff(llk))])
    dfc = np.concatenate([[np.nan], np.diff(df)])
    with np.errstate(invalid="ignore"):
        p = chi2.sf(chisq, dfc)
    p[0] = np.nan
    table = AnovaTable(
        {"Df": df.astype(int), "AIC": [m.aic for m in mods], "BIC": [m.bic for m in mods],
         "logLik": llk, "deviance": -2.0 * llk, "Chisq": chisq, "Chi Df": dfc, "Pr(>Chisq)": p},
        index=pd.Index(names))
    heading = ([f"Data: {mods[0].data_name}"] if mods[0].data_name else []) + ["Models:"]
    heading += [f"{n}: {_deparse1(m.formula)}, zi={_deparse1(m.ziformula)}, "
                f"disp={_deparse1(m.dispformula)}" for n, m in zip(names, mods)]
    table.heading = heading
    table.fits = dict(zip(names, mods))
    return table
