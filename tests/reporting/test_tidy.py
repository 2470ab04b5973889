"""``tidy(fit)`` in broom.mixed's shape, with numbers from lme4.

broom.mixed is not installed with R here, so the expected rows are built
from the lme4 quantities broom.mixed reads: ``coef(summary(m))`` for the
fixed effects and ``as.data.frame(VarCorr(m), order = "lower.tri")`` for the
random-effect parameters (sd__/cor__ names, "Observation" for the residual).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab.reporting._tidy import TIDY_COLUMNS, tidy
from mixedlab.datasets import simulate_nested

_R_EXPECTED = r"""
function(formula, data) {
  m <- suppressMessages(lme4::lmer(as.formula(formula), data = data))
  cf <- coef(summary(m))
  vc <- as.data.frame(lme4::VarCorr(m), order = "lower.tri")
  term <- ifelse(is.na(vc$var2),
                 paste0("sd__", ifelse(is.na(vc$var1), "Observation", vc$var1)),
                 paste0("cor__", vc$var1, ".", vc$var2))
  list(fterm = rownames(cf), fest = unname(cf[, 1]), fse = unname(cf[, 2]), ft = unname(cf[, 3]),
       grp = vc$grp, term = term, est = vc$sdcor)
}
"""


@pytest.fixture(scope="module")
def r_expected(r_session):
    r_session.r("suppressMessages(library(lme4))")
    return r_session.r(_R_EXPECTED)


def _to_r(ro, df: pd.DataFrame):
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter + pandas2ri.converter):
        return ro.conversion.py2rpy(df)


@pytest.mark.parametrize("formula,dataset", [
    ("y ~ treatment + (1 + treatment | school)", "nested"),
    ("Reaction ~ Days + (Days | Subject)", "sleepstudy"),
    ("Reaction ~ Days + (Days || Subject)", "sleepstudy"),
])
def test_tidy_equals_lme4_quantities(r_session, r_expected, formula, dataset) -> None:
    if dataset == "nested":
        df = simulate_nested()
    else:
        from rpy2.robjects import pandas2ri
        from rpy2.robjects.conversion import localconverter

        with localconverter(r_session.default_converter + pandas2ri.converter):
            df = r_session.conversion.rpy2py(r_session.r("lme4::sleepstudy")).reset_index(drop=True)
    fit = mixedlab.lmer(formula, df)
    got = tidy(fit)
    res = r_expected(formula, _to_r(r_session, df))
    exp = dict(zip(res.names, res))
    p = len(exp["fterm"])
    assert list(got.columns) == TIDY_COLUMNS
    assert got["effect"].tolist() == ["fixed"] * p + ["ran_pars"] * len(exp["term"])
    fixed = got[got.effect == "fixed"]
    assert fixed["term"].tolist() == list(exp["fterm"])
    assert fixed["group"].isna().all() and not any(g is None for g in fixed["group"])  # NaN, as R's NA
    np.testing.assert_allclose(fixed["estimate"], np.array(exp["fest"]), rtol=1e-5)
    np.testing.assert_allclose(fixed["std.error"], np.array(exp["fse"]), rtol=1e-3)
    np.testing.assert_allclose(fixed["statistic"], np.array(exp["ft"]), rtol=1e-3)
    ran = got[got.effect == "ran_pars"]
    assert ran["group"].tolist() == list(exp["grp"])
    assert ran["term"].tolist() == list(exp["term"])
    np.testing.assert_allclose(ran["estimate"], np.array(exp["est"]), rtol=1e-3, atol=2e-3)
    assert ran["std.error"].isna().all() and ran["statistic"].isna().all()


def test_tidy_names_for_the_tutorial_model() -> None:
    fit = mixedlab.lmer("y ~ treatment + (1 + treatment | school)", simulate_nested())
    out = fit.tidy()
    assert out["term"].tolist() == [
        "(Intercept)", "treatmenttreated",
        "sd__(Intercept)", "cor__(Intercept).treatmenttreated", "sd__treatmenttreated",
        "sd__Observation",
    ]
    assert out["group"].fillna("<NA>").tolist() == ["<NA>", "<NA>", "school", "school", "school", "Residual"]
    # the tutorial printed attr(vc$school, "correlation")[1, 2] as -0.8417701
    assert out.loc[3, "estimate"] == pytest.approx(-0.8417701, abs=2e-3)


def test_tidy_effect_selection() -> None:
    fit = mixedlab.lmer("y ~ treatment + (1 | school)", simulate_nested())
    assert set(tidy(fit, effects=("fixed",))["effect"]) == {"fixed"}
    assert set(tidy(fit, effects="ran_pars")["effect"]) == {"ran_pars"}
    assert set(tidy(fit, effects=("ran_vals",))["effect"]) == {"ran_vals"}
    with pytest.raises(mixedlab.ArgumentError, match="unknown effects"):
        tidy(fit, effects=("ran_coefs",))
