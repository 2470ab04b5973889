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

import math
import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2

from mixedlab._callers import caller_names
from mixedlab._deviance import make_devfun
from mixedlab._errors import DataError, ModelSpecificationError, inform
from mixedlab._fit import LmerFit
from mixedlab._lmer import fit_devfun
from mixedlab._optimize import LmerControl
from mixedlab._rformat import format_num, print_matrix, r_round, zapsmall

__all__ = ["anova", "refit_ml", "AnovaTable", "REFIT_MESSAGE"]

REFIT_MESSAGE = "refitting model(s) with ML (instead of REML)"
_COLUMNS = ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)"]
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
    if not fit.REML:
        return fit
    model = fit._model
    devfun = make_devfun(model, REML=False)
    base = control or LmerControl()
    ctrl = LmerControl(**{**base.__dict__, "start": tuple(float(t) for t in fit.theta)})
    return fit_devfun(model, devfun, ctrl, data_name=fit.data_name)


class AnovaTable(pd.DataFrame):
    """lme4's anova table: a DataFrame whose ``str()``/``repr()`` is R's printed table.

    ``heading`` holds the lines R prints above the table ("Data: ...", "Models:",
    "name: formula"); ``fits`` maps each row name to the (ML) fit compared.
    """

    _metadata = ["heading", "fits"]

    @property
    def _constructor(self):
        # derived frames (slices, arithmetic) are plain DataFrames: the heading no longer applies
        return pd.DataFrame

    def to_r_text(self, digits: int = 5, signif_stars: bool = True) -> str:
        """The table as R's ``print(anova(...))`` shows it (``digits = getOption("digits") - 2``)."""
        lines = list(getattr(self, "heading", []) or [])
        lines.extend(_print_anova(pd.DataFrame(self), digits=digits, signif_stars=signif_stars))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_r_text()

    def __repr__(self) -> str:
        return self.to_r_text()


def _caller_names(fits: Sequence[LmerFit], depth: int = 2) -> list[str] | None:
    """The caller's variable names for ``fits`` (R deparses the arguments), if unambiguous."""
    names = caller_names(list(fits), depth)
    if any(n is None for n in names) or len(set(names)) != len(names):
        return None
    return names  # type: ignore[return-value]


def anova(*fits: LmerFit, refit: bool = True, model_names: Sequence[str] | None = None,
          **named_fits: LmerFit) -> AnovaTable:
    """Compare nested linear mixed models by likelihood-ratio tests (lme4's ``anova``).

    Parameters
    ----------
    *fits
        Two or more fits from :func:`mixedlab.lmer` on the same observations.
    refit
        Refit REML fits by maximum likelihood first (lme4's default and the right thing
        for comparing models that differ in their fixed effects).
    model_names
        Row names; by default the keyword names, else the caller's variable names,
        else ``"m1"``, ``"m2"``, ...
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
    mods = list(fits) + list(named_fits.values())
    if len(mods) < 2:
        raise ModelSpecificationError(
            "anova compares two or more nested fits, e.g. anova(m0, m1); the single-model "
            "table (lme4's sequential F table) is not available")
    for i, m in enumerate(mods):
        if not isinstance(m, LmerFit):
            raise ModelSpecificationError(
                f"argument {i + 1} of anova is a {type(m).__name__}, not a fit from mixedlab.lmer")
    if model_names is not None:
        names = [str(n) for n in model_names]
        if len(names) != len(mods):
            raise ModelSpecificationError(
                f"model_names has {len(names)} names for {len(mods)} models; give one name per model")
    elif named_fits and not fits:
        names = list(named_fits)
    else:
        guessed = _caller_names(list(fits)) if fits else []
        if guessed is None:
            guessed = [f"m{i + 1}" for i in range(len(fits))]
        names = guessed + list(named_fits)
    if len(set(names)) != len(names):
        raise ModelSpecificationError(f"model names must be unique, got {names}; pass model_names=")

    nobs = [m.nobs for m in mods]
    if len(set(nobs)) > 1:
        raise DataError(
            "models were not all fitted to the same size of dataset "
            f"(numbers of observations: {', '.join(f'{n}: {k}' for n, k in zip(names, nobs))}); "
            "a likelihood-ratio test needs the same rows in every model: drop the rows with "
            "missing values in any model's variables before fitting them all")

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


def _deparse1(formula: str) -> str:
    """R's ``deparse1`` of the formula lmer keeps in its call (one line)."""
    from mixedlab._rformat import deparse_formula

    return " ".join(line.strip() for line in deparse_formula(formula))


# ------------------------------------------------------------------------------ printing
def _format_pval(pv: np.ndarray, digits: int) -> list[str]:
    """R's ``format.pval(pv, digits, eps = .Machine$double.eps)`` for non-missing p-values."""
    out = [""] * len(pv)
    is0 = pv < _EPS
    rest = np.flatnonzero(~is0)
    if rest.size:
        vals = pv[rest]
        expo = np.floor(np.log10(np.where(vals > 0, vals, 1e-50)))
        fixp = (expo >= -3) | ((expo == -4) & (digits > 1))
        for mask in (fixp, ~fixp):
            if mask.any():
                for i, s in zip(rest[mask], format_num(vals[mask], digits=digits)):
                    out[i] = s
    if is0.any():
        d = max(1, digits - 2)
        if rest.size:
            nc = max(len(out[i]) for i in rest)
            if d > 1 and d + 6 > nc:
                d = max(1, nc - 7)
            sep = "" if (d == 1 and nc <= 6) else " "
        else:
            sep = "" if d == 1 else " "
        eps_text = format_num([_EPS], digits=d)[0].strip()
        for i in np.flatnonzero(is0):
            out[i] = f"<{sep}{eps_text}"
    return out


def _format_na(x: np.ndarray, digits: int) -> list[str]:
    """R's ``format(x, digits)`` where NaN stands for R's NA (printed width 2, not 3 as "NaN")."""
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    body = format_num(x[ok], digits=digits) if ok.any() else []
    w = max([len(b) for b in body] + ([2] if (~ok).any() else []))
    it = iter(body)
    return [next(it).rjust(w) if o else "NA".rjust(w) for o in ok]


def _print_anova(df: pd.DataFrame, digits: int = 5, signif_stars: bool = True) -> list[str]:
    """``print.anova`` → ``printCoefmat(zap.ind = npar..deviance, tst.ind = Chisq)``."""
    cols = list(df.columns)
    nc = len(cols)
    xm = df.to_numpy(dtype=float).copy()
    ina = np.isnan(xm)
    tst = [cols.index("Chisq")]
    zap = [j for j in range(nc - 1) if j not in tst and not cols[j].endswith("Df")]
    for j in zap:
        xm[:, j] = zapsmall(xm[:, j], digits)
    cells = [[""] * nc for _ in range(len(df))]
    dig_tst = max(1, min(5, digits - 1))
    for j in tst:
        for i, s in enumerate(_format_na(r_round(xm[:, j], dig_tst), digits)):
            cells[i][j] = s
    for j in range(nc - 1):
        if j in tst:
            continue
        for i, s in enumerate(_format_na(xm[:, j], digits)):
            cells[i][j] = s
    # a non-zero shown as zero is reformatted with one digit fewer (printCoefmat)
    for j in range(nc - 1):
        if j in tst:
            continue
        for i in range(len(df)):
            if ina[i, j]:
                continue
            try:
                shown_zero = float(cells[i][j]) == 0.0
            except ValueError:
                continue
            if (xm[i, j] == 0.0) != shown_zero:
                cells[i][j] = format_num([xm[i, j]], digits=max(1, digits - 1))[0]
    for i in range(len(df)):
        for j in range(nc):
            if ina[i, j]:
                cells[i][j] = ""
    pv = xm[:, nc - 1]
    okp = ~np.isnan(pv)
    colnames = list(cols)
    show_stars = False
    if okp.any():
        for i, s in zip(np.flatnonzero(okp), _format_pval(pv[okp], dig_tst)):
            cells[i][nc - 1] = s
        show_stars = signif_stars and bool(np.any(pv[okp] < 0.1))
        if show_stars:
            stars = []
            for v in pv:
                if np.isnan(v):
                    stars.append("")
                else:
                    stars.append("***" if v <= 0.001 else "**" if v <= 0.01 else "*" if v <= 0.05
                                 else "." if v <= 0.1 else " ")
            w = max(len(s) for s in stars)
            for i, s in enumerate(stars):
                cells[i].append(s.ljust(w))  # format() of the symnum codes pads on the right
            colnames.append("")
    lines = print_matrix(cells, [str(r) for r in df.index], colnames, right=True)
    if show_stars:
        lines.append("---")
        lines.append("Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1")
    return lines
