"""``mixedlab.anova`` against lme4's ``anova.merMod``, live, and its rules without R."""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, FitMessage, ModelSpecificationError, datasets
from mixedlab.fitting._anova import refit_ml

_R_ANOVA = r"""
function(formulas, names, data, REML, refit) {
  suppressMessages(library(lme4))
  mods <- lapply(formulas, function(f) lmer(as.formula(f), data = data, REML = REML))
  msgs <- character(0)
  a <- withCallingHandlers(
    do.call(anova, c(mods, list(refit = refit, model.names = names))),
    message = function(c) { msgs <<- c(msgs, conditionMessage(c)); invokeRestart("muffleMessage") })
  list(rows = rownames(a), npar = a$npar, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik,
       deviance = a$deviance, Chisq = a$Chisq, Df = a$Df, P = a[["Pr(>Chisq)"]],
       text = capture.output(print(a)), messages = msgs)
}
"""

COMPARISONS = {
    "sleep_fixed": (["Reaction ~ 1 + (Days | Subject)", "Reaction ~ Days + (Days | Subject)"],
                    datasets.sleepstudy, True, True),
    "sleep_three": (["Reaction ~ Days + (Days | Subject)", "Reaction ~ 1 + (Days | Subject)",
                     "Reaction ~ Days + (1 | Subject)"], datasets.sleepstudy, True, True),
    "nested_tutorial": (["y ~ 1 + (1 + treatment | school)", "y ~ treatment + (1 + treatment | school)"],
                        datasets.simulate_nested, True, True),
    "crossed_random_reml": (["score ~ treatment + (1 | rater) + (1 | student)",
                             "score ~ treatment + (1 + treatment | rater) + (1 | student)"],
                            datasets.simulate_crossed, True, False),
    "pastes_ml": (["strength ~ 1 + (1 | batch)", "strength ~ 1 + (1 | batch/cask)"],
                  datasets.pastes, False, True),
}


def _num(v) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in list(v)], dtype=float)


def _fits(formulas, data, REML):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitMessage)
        return [mixedlab.lmer(f, data, REML=REML, data_name="data") for f in formulas]


@pytest.mark.parametrize("case", list(COMPARISONS))
def test_table_and_print_match_lme4(r_session: ModuleType, case):
    from mixedlab.parity._rbridge import to_r

    formulas, loader, REML, refit = COMPARISONS[case]
    data = loader()
    names = [f"m{i}" for i in range(len(formulas))]
    res = r_session.r(_R_ANOVA)(r_session.StrVector(formulas), r_session.StrVector(names),
                                to_r(data), REML, refit)
    r = dict(zip(res.names, res))
    fits = _fits(formulas, data, REML)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tab = mixedlab.anova(*fits, refit=refit, model_names=names)
    got_msgs = [str(w.message) for w in caught if issubclass(w.category, FitMessage)]
    assert got_msgs == [str(m).rstrip("\n") for m in r["messages"]]

    assert list(tab.index) == list(r["rows"])
    assert list(tab.columns) == ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)"]
    np.testing.assert_array_equal(tab["npar"].to_numpy(), _num(r["npar"]))
    # the ML refit starts from the REML θ in both; the optima agree to the optimiser's tolerance
    for col in ("AIC", "BIC", "logLik", "deviance"):
        np.testing.assert_allclose(tab[col].to_numpy(), _num(r[col]), atol=1e-4, err_msg=col)
    np.testing.assert_allclose(tab["Chisq"].to_numpy(), _num(r["Chisq"]), atol=2e-4)
    np.testing.assert_array_equal(tab["Df"].to_numpy(), _num(r["Df"]))
    np.testing.assert_allclose(tab["Pr(>Chisq)"].to_numpy(), _num(r["P"]), rtol=1e-3, atol=1e-12)
    assert str(tab).splitlines() == [str(s) for s in r["text"]]


def _sleep_fits(REML=True):
    d = datasets.sleepstudy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitMessage)
        m0 = mixedlab.lmer("Reaction ~ 1 + (Days | Subject)", d, REML=REML)
        m1 = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", d, REML=REML)
    return d, m0, m1


def test_refit_ml_equals_a_fresh_ml_fit():
    d, m0, m1 = _sleep_fits(REML=True)
    ml = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", d, REML=False)
    re = refit_ml(m1)
    assert not re.REML and re.method == "ML"
    assert abs(re.objective - ml.objective) < 1e-6
    np.testing.assert_allclose(re.fixef.to_numpy(), ml.fixef.to_numpy(), rtol=1e-5)
    assert refit_ml(ml) is ml
    assert m1.REML  # the REML fit itself is untouched


def test_refit_message_only_for_reml_fits():
    _, m0, m1 = _sleep_fits(REML=True)
    with pytest.warns(FitMessage, match=r"refitting model\(s\) with ML \(instead of REML\)"):
        mixedlab.anova(m0, m1)
    _, a0, a1 = _sleep_fits(REML=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitMessage)
        tab = mixedlab.anova(a0, a1)
    assert tab.loc["a1", "Df"] == 1


def test_mixed_reml_and_ml_without_refit_warns():
    _, m0, _ = _sleep_fits(REML=True)
    _, _, a1 = _sleep_fits(REML=False)
    with pytest.warns(UserWarning, match="some models fit with REML = TRUE, some not"):
        mixedlab.anova(m0, a1, refit=False)


def test_names_order_and_statistics_without_r():
    _, m0, m1 = _sleep_fits(REML=False)
    # keyword names; larger model first is reordered by npar
    tab = mixedlab.anova(full=m1, null=m0)
    assert list(tab.index) == ["null", "full"]
    assert tab["npar"].tolist() == [5, 6]
    chisq = 2 * (m1.loglik - m0.loglik)
    np.testing.assert_allclose(tab.loc["full", "Chisq"], chisq)
    from scipy.stats import chi2

    np.testing.assert_allclose(tab.loc["full", "Pr(>Chisq)"], chi2.sf(chisq, 1))
    np.testing.assert_allclose(tab["deviance"].to_numpy(), [m0.objective, m1.objective])
    np.testing.assert_allclose(tab["AIC"].to_numpy(), [m0.aic, m1.aic])
    assert np.isnan(tab.loc["null", "Chisq"]) and np.isnan(tab.loc["null", "Pr(>Chisq)"])
    # the caller's variable names, as R deparses the arguments
    assert list(mixedlab.anova(m1, m0).index) == ["m0", "m1"]
    assert list(mixedlab.anova(m0, m1, model_names=["A", "B"]).index) == ["A", "B"]
    assert isinstance(tab, pd.DataFrame)
    text = str(tab)
    assert "Models:" in text and "null: Reaction ~ 1 + (Days | Subject)" in text


def test_equal_npar_gives_missing_p_value():
    """Two non-nested models with the same npar: Df 0 and no p-value (lme4's ifelse)."""
    d = datasets.sleepstudy()
    c = mixedlab.lmer("Reaction ~ Days + (Days || Subject)", d, REML=False)
    e = mixedlab.lmer("Reaction ~ Days + I(Days^2) + (1 | Subject)", d, REML=False)
    assert c.npar == e.npar == 5
    tab = mixedlab.anova(c, e)
    assert list(tab.index) == ["c", "e"]  # stable order on ties
    assert tab["Df"].iloc[1] == 0 and np.isnan(tab["Pr(>Chisq)"].iloc[1])
    np.testing.assert_allclose(tab["Chisq"].iloc[1], 2 * max(0.0, e.loglik - c.loglik))


def test_different_numbers_of_observations_is_lme4s_error():
    d, m0, _ = _sleep_fits(REML=False)
    sub = d.iloc[:150]
    m1 = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sub, REML=False)
    with pytest.raises(DataError, match="models were not all fitted to the same size of dataset"):
        mixedlab.anova(m0, m1)


def test_bad_arguments():
    _, m0, m1 = _sleep_fits(REML=False)
    with pytest.raises(ModelSpecificationError, match="anova needs a fit"):
        mixedlab.anova()
    with pytest.raises(ModelSpecificationError, match="not a fit"):
        mixedlab.anova(m0, "m1")
    with pytest.raises(ModelSpecificationError, match="one name per model"):
        mixedlab.anova(m0, m1, model_names=["a"])
