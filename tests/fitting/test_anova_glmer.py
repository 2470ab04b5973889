"""``mixedlab.anova`` on GLMMs against lme4's ``anova.merMod`` on glmerMod fits, live."""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest

import mixedlab
from mixedlab import ModelSpecificationError, datasets

_R_ANOVA = r"""
function(formulas, names, data, family) {
  suppressMessages(library(lme4))
  mods <- lapply(formulas, function(f) glmer(as.formula(f), data = data, family = family))
  a <- do.call(anova, c(mods, list(model.names = names)))
  list(rows = rownames(a), npar = a$npar, AIC = a$AIC, logLik = a$logLik, Chisq = a$Chisq, Df = a$Df,
       P = a[["Pr(>Chisq)"]], text = capture.output(print(a)))
}
"""

CBPP = ["cbind(incidence, size - incidence) ~ 1 + (1 | herd)",
        "cbind(incidence, size - incidence) ~ period + (1 | herd)"]


def _num(v) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in list(v)], dtype=float)


def test_cbpp_likelihood_ratio_table_is_lme4s(r_session: ModuleType) -> None:
    from mixedlab.parity._rbridge import to_r

    data = datasets.cbpp()
    names = ["m0", "m1"]
    res = r_session.r(_R_ANOVA)(r_session.StrVector(CBPP), r_session.StrVector(names), to_r(data), "binomial")
    r = dict(zip(res.names, res))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [mixedlab.glmer(f, data, family="binomial", data_name="data") for f in CBPP]
    tab = mixedlab.anova(*fits, model_names=names)
    assert list(tab.index) == list(r["rows"])
    np.testing.assert_array_equal(tab["npar"].to_numpy(), _num(r["npar"]))
    # both fits walk glmer's path: the same deviances to rounding
    np.testing.assert_allclose(tab["logLik"].to_numpy(), _num(r["logLik"]), rtol=1e-10)
    np.testing.assert_allclose(tab["Chisq"].to_numpy(), _num(r["Chisq"]), atol=1e-7)
    np.testing.assert_allclose(tab["Pr(>Chisq)"].to_numpy(), _num(r["P"]), rtol=1e-6)
    assert str(tab).splitlines() == [str(s) for s in r["text"]]


def test_glmm_comparisons_refuse_mixed_kinds_and_single_fits() -> None:
    data = datasets.cbpp()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = mixedlab.glmer(CBPP[1], data)
        p = mixedlab.glmer(CBPP[1], data, family=mixedlab.families.binomial(link="probit"))
        lm = mixedlab.lmer("incidence ~ period + (1 | herd)", data)
    with pytest.raises(ModelSpecificationError, match="single GLMM"):
        mixedlab.anova(g)
    with pytest.raises(ModelSpecificationError, match="one kind"):
        mixedlab.anova(g, lm)
    with pytest.raises(ModelSpecificationError, match="different families or links"):
        mixedlab.anova(g, p)


_R_TIDY = r"""
function(data) {
  suppressMessages({library(lme4); library(broom.mixed)})
  m <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = data)
  t <- as.data.frame(tidy(m))
  list(cols = names(t), term = t$term, estimate = t$estimate, se = t$std.error, p = t$p.value)
}
"""


def test_glmer_tidy_is_broom_mixeds(r_session: ModuleType) -> None:
    from mixedlab.parity._rbridge import to_r

    data = datasets.cbpp()
    res = r_session.r(_R_TIDY)(to_r(data))
    r = dict(zip(res.names, res))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = mixedlab.glmer(CBPP[1], data).tidy()
    assert list(t.columns) == list(r["cols"])
    assert list(t["term"]) == list(r["term"])
    np.testing.assert_allclose(t["estimate"].to_numpy(), _num(r["estimate"]), rtol=1e-9)
    np.testing.assert_allclose(t["std.error"].to_numpy(), _num(r["se"]), rtol=1e-6)
    np.testing.assert_allclose(t["p.value"].to_numpy(), _num(r["p"]), rtol=1e-5)
