"""lmerTest's ``ranova``: likelihood-ratio tests of the random-effect terms, by refitting.

lmerTest 3.1-3 (``ranova``, ``get_newforms``, ``mk_LRtab``):

* the random terms are lme4's ``findbars`` of the formula (``||`` and ``/`` expanded), in
  written order;
* with ``reduce_terms=True`` (the default) a term ``(lhs | g)`` whose left-hand side has
  terms is *reduced*: each of its droppable terms (R's ``drop.scope``) is removed in turn,
  giving ``(lhs − term | g)``, or ``(1 | g)`` when nothing else is left; the row is named
  ``"term in (lhs | g)"``. A term without left-hand terms (``(1 | g)``) is removed whole,
  row ``"(1 | g)"``. With ``reduce_terms=False`` every term is removed whole;
* each reduced model is refitted (REML or ML as the fit); one without random terms is
  an ordinary linear model, whose (REML) log-likelihood is R's ``logLik.lm``;
* ``LRT = 2(logLik₀ − logLik)``, ``Df = npar₀ − npar``, ``Pr(>Chisq)`` the χ² upper tail.

The table heading shows the full model formula as R's ``update()`` writes it: first-order
fixed terms, the random terms, then higher-order fixed terms and offsets, ``- 1`` when the
intercept is removed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from mixedlab._errors import DataError, ModelSpecificationError
from mixedlab.formula._parser import deparse, parse_formula
from mixedlab.formula._random import expand_bars
from mixedlab.formula._terms import expand_terms
from mixedlab.reporting import RAnovaFrame
from mixedlab.results._lmer_fit import LmerFit

__all__ = ["ranova", "RANOVA_COLUMNS"]

RANOVA_COLUMNS = ["npar", "logLik", "AIC", "LRT", "Df", "Pr(>Chisq)"]


@dataclass
class _Parts:
    response: str
    first: list[str]  # first-order fixed terms
    higher: list[str]  # higher-order fixed terms
    offsets: list[str]
    intercept: bool
    bars: list[str]  # deparsed bars "lhs | g", findbars order

    def formula(self, bars: list[str]) -> str:
        """The formula as R's ``update.formula`` deparses it (a repeated term kept once)."""
        rhs = list(dict.fromkeys(self.first + [f"({b})" for b in bars] + self.higher + self.offsets))
        text = " + ".join(rhs) if rhs else "1"
        if not self.intercept:
            text += " - 1"
        return f"{self.response} ~ {text}"


def _parts(fit: LmerFit) -> _Parts:
    model = fit._model
    parsed = model.parsed
    terms = model.spec.fixed.terms
    labels = terms.labels
    first = [lab for lab, t in zip(labels, terms.terms) if len(t) == 1]
    higher = [lab for lab, t in zip(labels, terms.terms) if len(t) > 1]
    offsets = [f"offset({deparse(n)})" for n in model.spec.offsets]
    bars = [b.text for b in expand_bars(parsed.random, fit.formula)]
    return _Parts(deparse(parsed.response), first, higher, offsets, bool(terms.intercept), bars)


def _droppable(labels: list[str], term_vars: list[set]) -> list[str]:
    """R's ``drop.scope``: terms whose variables no other term has all of."""
    out = []
    for i, lab in enumerate(labels):
        if not any(j != i and term_vars[i] <= term_vars[j] for j in range(len(labels))):
            out.append(lab)
    return out


def _reductions(bar: str) -> dict[str, str]:
    """lmerTest's ``get_newforms`` for one bar: {row name: replacement bar or None}."""
    lhs_text, _, group = bar.partition(" | ")
    tmp = f"y ~ {lhs_text}"
    lhs = expand_terms(parse_formula(tmp).fixed, tmp)
    labels = lhs.labels
    scope = _droppable(labels, [set(t) for t in lhs.terms])
    if not labels or not scope:
        return {f"({bar})": None}
    out = {}
    for scp in scope:
        if set(labels) == {scp}:
            new_lhs = "1"
        else:
            keep = [lab for lab in labels if lab != scp]
            orders = {lab: len(t) for lab, t in zip(labels, lhs.terms)}
            keep = sorted(keep, key=lambda lab: orders[lab])  # stable: R's terms order
            new_lhs = " + ".join(keep) + ("" if lhs.intercept else " - 1")
        out[f"{scp} in ({bar})"] = f"{new_lhs} | {group}"
    return out


def _lm_loglik(fit: LmerFit, REML: bool) -> tuple[float, int]:
    """R's ``logLik.lm(lm(fixed part), REML = REML)`` and its df (rank + 1)."""
    model = fit._model
    X = np.asarray(model.X, dtype=float)
    y = np.asarray(model.y, dtype=float)
    if model.offset is not None:
        y = y - model.offset
    w = np.ones(y.size) if model.weights is None else np.asarray(model.weights, dtype=float)
    sw = np.sqrt(w)
    Xw, yw = X * sw[:, None], y * sw
    N = y.size
    if X.shape[1]:
        Q, R = np.linalg.qr(Xw)
        res = yw - Q @ (Q.T @ yw)
        p = int(np.linalg.matrix_rank(Xw))
    else:
        R = np.zeros((0, 0))
        res = yw
        p = 0
    rss = float(np.sum(res * res))  # Σ w·res² (res of the weighted fit)
    n = N - p if REML else N
    val = 0.5 * (float(np.sum(np.log(w))) - n * (math.log(2 * math.pi) + 1 - math.log(n) + math.log(rss)))
    if REML and p:
        val -= float(np.sum(np.log(np.abs(np.diag(R)[:p]))))
    return val, p + 1


def _refit(fit: LmerFit, formula: str) -> LmerFit:
    from mixedlab.fitting._lmer import lmer

    args = getattr(fit, "_lmer_args", None)
    if args is None:
        raise ModelSpecificationError(
            "ranova refits the model and needs its data, which this fit does not carry; "
            "fit it with mixedlab.lmer(formula, data)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(formula, args["data"], REML=fit.REML, weights=args.get("weights"),
                    offset=args.get("offset"), na_action=args.get("na_action", "omit"),
                    control=args.get("control"), data_name=fit.data_name)


def ranova(fit: LmerFit, reduce_terms: bool = True) -> RAnovaFrame:
    """lmerTest's ``ranova(m)``: an ANOVA-like table of likelihood-ratio tests for random terms.

    Parameters
    ----------
    fit
        A fit from :func:`mixedlab.lmer`.
    reduce_terms
        Reduce each random term by one of its left-hand terms at a time (lmerTest's
        default) rather than removing it whole.

    Returns
    -------
    RAnovaFrame
        Rows ``<none>`` (the model itself) and one per reduced model; columns
        ``npar, logLik, AIC, LRT, Df, Pr(>Chisq)``. Printing shows R's table;
        ``.formulae`` maps each row to the formula refitted.

    Examples
    --------
    >>> import mixedlab
    >>> fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy())
    >>> tab = mixedlab.ranova(fit)
    >>> list(tab.index)
    ['<none>', 'Days in (Days | Subject)']
    """
    if not isinstance(fit, LmerFit):
        raise ModelSpecificationError(f"ranova needs a fit from mixedlab.lmer, not a {type(fit).__name__}")
    parts = _parts(fit)
    new_forms: dict[str, str] = {}
    for k, bar in enumerate(parts.bars):
        others = parts.bars[:k] + parts.bars[k + 1:]
        reds = _reductions(bar) if reduce_terms else {f"({bar})": None}
        for name, new in reds.items():
            new_forms[name] = parts.formula(others + ([new] if new else []))
    rows = [(fit.npar, fit.loglik)]
    for name, form in new_forms.items():
        if "|" not in form:
            ll, npar = _lm_loglik(fit, fit.REML)
        else:
            newfit = _refit(fit, form)
            if newfit.nobs != fit.nobs:
                raise DataError("number of rows in use has changed: remove missing values?")
            ll, npar = newfit.loglik, newfit.npar
        rows.append((npar, ll))
    npar = np.array([r[0] for r in rows], dtype=float)
    ll = np.array([r[1] for r in rows], dtype=float)
    lrt = np.full(len(rows), np.nan)
    df = np.full(len(rows), np.nan)
    p = np.full(len(rows), np.nan)
    lrt[1:] = 2.0 * (ll[0] - ll[1:])
    df[1:] = npar[0] - npar[1:]
    for i in range(1, len(rows)):
        p[i] = chi2.sf(lrt[i], df[i]) if df[i] > 0 else np.nan
    tab = pd.DataFrame({"npar": npar, "logLik": ll, "AIC": -2.0 * ll + 2.0 * npar, "LRT": lrt, "Df": df,
                        "Pr(>Chisq)": p}, index=pd.Index(["<none>", *new_forms], dtype=object))
    out = RAnovaFrame(tab)
    out.heading = ["ANOVA-like table for random-effects: Single term deletions", "\nModel:",
                   parts.formula(parts.bars)]
    out.formulae = new_forms
    return out
