"""fitted(), residuals() and predict() against lme4's, live; identities without R."""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, datasets

SLEEP = "Reaction ~ Days + (Days | Subject)"
PEN = "diameter ~ 1 + (1 | plate) + (1 | sample)"

_R_PRED = r"""
function(formula, data, newdata, newdata_new, REML, weights = NULL, offset = NULL, re_partial = "") {
  suppressMessages(library(lme4))
  data$..w <- if (is.null(weights)) 1 else weights
  data$..o <- if (is.null(offset)) 0 else offset
  m <- suppressMessages(lmer(as.formula(formula), data = data, REML = REML, weights = ..w, offset = ..o))
  out <- list(
    fitted = unname(fitted(m)),
    resid_response = unname(residuals(m, type = "response")),
    resid_pearson = unname(residuals(m, type = "pearson")),
    resid_scaled = unname(residuals(m, type = "response", scaled = TRUE)),
    resid_pearson_scaled = unname(residuals(m, type = "pearson", scaled = TRUE)),
    predict_self = unname(predict(m)),
    predict_self_pop = unname(predict(m, re.form = NA)),
    predict_new = unname(predict(m, newdata = newdata)),
    predict_new_na = unname(predict(m, newdata = newdata, re.form = NA)),
    predict_new_0 = unname(predict(m, newdata = newdata, re.form = ~0)),
    predict_newlev = unname(predict(m, newdata = newdata_new, allow.new.levels = TRUE)),
    newlev_error = tryCatch({predict(m, newdata = newdata_new); ""}, error = function(e) conditionMessage(e))
  )
  if (nzchar(re_partial))
    out$predict_partial <- unname(predict(m, newdata = newdata, re.form = as.formula(re_partial)))
  out
}
"""


def _num(v) -> np.ndarray:
    """Copy an R numeric vector (``np.asarray`` would alias memory R may free)."""
    return np.array(list(v), dtype=float)


@pytest.fixture(scope="module")
def lme4_predict(r_session: ModuleType):
    from mixedlab.parity._rbridge import to_r

    fn = r_session.r(_R_PRED)
    ro = r_session

    def run(formula, data, newdata, newdata_new, REML=True, weights=None, offset=None, re_partial=""):
        res = fn(formula, to_r(data), to_r(newdata), to_r(newdata_new), REML,
                 weights=ro.FloatVector(weights) if weights is not None else ro.NULL,
                 offset=ro.FloatVector(offset) if offset is not None else ro.NULL,
                 re_partial=re_partial)
        out: dict[str, Any] = {}
        for k, v in zip(res.names, res):
            out[k] = str(v[0]) if k == "newlev_error" else _num(v)
        return out

    return run


def fit_quiet(formula, data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mixedlab.FitMessage)
        return mixedlab.lmer(formula, data, **kw)


def _sleep_newdata() -> tuple[pd.DataFrame, pd.DataFrame]:
    d = datasets.sleepstudy()
    nd = d.iloc[[0, 11, 25, 93, 170]].copy()
    nd["Days"] = [0.5, 3.0, 12.0, -1.0, 7.25]
    nd_new = pd.DataFrame({
        "Reaction": [0.0, 0.0, 0.0],
        "Days": [1.0, 4.0, 9.0],
        "Subject": pd.Categorical(["308", "new1", "new2"], categories=["308", "new1", "new2"]),
    })
    return nd.reset_index(drop=True), nd_new


def _pen_newdata() -> tuple[pd.DataFrame, pd.DataFrame]:
    d = datasets.penicillin()
    nd = d.iloc[[0, 7, 50, 143]].reset_index(drop=True)
    nd_new = pd.DataFrame({
        "diameter": [0.0, 0.0, 0.0],
        "plate": pd.Categorical(["a", "zz", "zz"], categories=["a", "zz"]),
        "sample": pd.Categorical(["A", "F", "Q"], categories=["A", "F", "Q"]),
    })
    return nd, nd_new


def _compare(fit, r, nd, nd_new, *, partial=None):
    tol = dict(rtol=1e-5, atol=1e-4 * fit.sigma)
    np.testing.assert_allclose(fit.fitted(), r["fitted"], **tol)
    np.testing.assert_allclose(fit.residuals(), r["resid_response"], **tol)
    np.testing.assert_allclose(fit.residuals(type="pearson"), r["resid_pearson"], **tol)
    np.testing.assert_allclose(fit.residuals(scaled=True), r["resid_scaled"], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(fit.residuals(type="pearson", scaled=True), r["resid_pearson_scaled"],
                               rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(fit.predict(), r["predict_self"], **tol)
    np.testing.assert_allclose(fit.predict(re_form="NA"), r["predict_self_pop"], **tol)
    np.testing.assert_allclose(fit.predict(nd), r["predict_new"], **tol)
    np.testing.assert_allclose(fit.predict(nd, re_form="NA"), r["predict_new_na"], **tol)
    np.testing.assert_allclose(fit.predict(nd, re_form="~0"), r["predict_new_0"], **tol)
    np.testing.assert_allclose(fit.predict(nd_new, allow_new_levels=True), r["predict_newlev"], **tol)
    assert r["newlev_error"], "lme4 should refuse new levels without allow.new.levels"
    with pytest.raises(DataError) as err:
        fit.predict(nd_new)
    assert "allow_new_levels" in str(err.value)
    if partial is not None:
        np.testing.assert_allclose(fit.predict(nd, re_form=partial), r["predict_partial"], **tol)


def test_sleepstudy_predictions_match_lme4(lme4_predict):
    d = datasets.sleepstudy()
    nd, nd_new = _sleep_newdata()
    fit = fit_quiet(SLEEP, d)
    r = lme4_predict(SLEEP, d, nd, nd_new)
    _compare(fit, r, nd, nd_new)


def test_ml_fit_predictions_match_lme4(lme4_predict):
    d = datasets.sleepstudy()
    nd, nd_new = _sleep_newdata()
    fit = fit_quiet(SLEEP, d, REML=False)
    r = lme4_predict(SLEEP, d, nd, nd_new, REML=False)
    _compare(fit, r, nd, nd_new)


def test_weighted_crossed_predictions_match_lme4(lme4_predict):
    d = datasets.penicillin()
    w = np.random.default_rng(8).uniform(0.4, 2.5, len(d))
    nd, nd_new = _pen_newdata()
    fit = fit_quiet(PEN, d, weights=w)
    r = lme4_predict(PEN, d, nd, nd_new, weights=w, re_partial="~(1 | plate)")
    _compare(fit, r, nd, nd_new, partial="~(1 | plate)")


def test_offset_predictions_match_lme4(lme4_predict):
    """An ``offset=`` argument enters fitted()/predict() but, as in lme4, not predict(newdata)."""
    d = datasets.penicillin()
    off = np.random.default_rng(2).normal(size=len(d))
    nd, nd_new = _pen_newdata()
    fit = fit_quiet(PEN, d, offset=off)
    r = lme4_predict(PEN, d, nd, nd_new, offset=off)
    _compare(fit, r, nd, nd_new)


def test_new_level_gets_the_population_prediction_without_r():
    fit = fit_quiet(SLEEP, datasets.sleepstudy())
    _, nd_new = _sleep_newdata()
    got = fit.predict(nd_new, allow_new_levels=True)
    pop = fit.predict(nd_new, re_form="~0")
    # rows 2-3 are new subjects: population level; row 1 is subject 308: its own line
    np.testing.assert_allclose(got[1:], pop[1:], rtol=1e-12)
    c = fit.coef["Subject"].loc["308"]
    np.testing.assert_allclose(got[0], c["(Intercept)"] + c["Days"] * 1.0, rtol=1e-10)
    with pytest.raises(DataError) as err:
        fit.predict(nd_new)
    assert "'Subject'" in str(err.value) and "2 rows" in str(err.value)


def test_identities_without_r():
    d = datasets.sleepstudy()
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(d))
    fit = fit_quiet(SLEEP, d, weights=w)
    y = d["Reaction"].to_numpy()
    np.testing.assert_allclose(fit.fitted(), y - fit.residuals(), rtol=1e-12)
    np.testing.assert_allclose(fit.predict(), fit.fitted(), rtol=1e-12)
    np.testing.assert_allclose(fit.predict(d), fit.fitted(), rtol=1e-10)
    np.testing.assert_allclose(fit.residuals(type="pearson"), np.sqrt(w) * fit.residuals(), rtol=1e-12)
    np.testing.assert_allclose(fit.residuals(scaled=True), fit.residuals() / fit.sigma, rtol=1e-12)
    pop = fit.predict(re_form="~0")
    np.testing.assert_allclose(pop, fit.fixef["(Intercept)"] + fit.fixef["Days"] * d["Days"].to_numpy())
    with pytest.raises(ValueError):
        fit.residuals(type="deviance-ish")


def test_formula_offset_matches_lme4(r_session: ModuleType) -> None:
    """``offset(expr)`` in the formula: fitted like offset=, and applied to new data as lme4 does."""
    from mixedlab.parity._rbridge import to_r

    d = datasets.sleepstudy()
    d["o"] = np.log(d["Days"] + 2.0)
    fit = mixedlab.lmer("Reaction ~ Days + offset(o) + (Days | Subject)", d)
    same = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", d, offset="o")
    assert list(fit.fixef.index) == ["(Intercept)", "Days"]
    assert fit.objective == pytest.approx(same.objective, abs=1e-9)
    r_session.globalenv["d_off"] = to_r(d)
    r_session.r("m_off <- lme4::lmer(Reaction ~ Days + offset(o) + (Days | Subject), d_off)")
    assert fit.objective == pytest.approx(r_session.r("lme4::REMLcrit(m_off)")[0], abs=1e-6)
    np.testing.assert_allclose(fit.fixef.to_numpy(), _num(r_session.r("lme4::fixef(m_off)")), rtol=1e-7)
    nd = d.iloc[[0, 11, 57, 120]]
    r_session.globalenv["nd_off"] = to_r(nd)
    np.testing.assert_allclose(fit.predict(nd), _num(r_session.r("predict(m_off, newdata = nd_off)")), rtol=1e-7)
    np.testing.assert_allclose(fit.predict(nd, re_form="~0"),
                               _num(r_session.r("predict(m_off, newdata = nd_off, re.form = NA)")), rtol=1e-7)
    only = mixedlab.lmer("Reaction ~ offset(o) + (1 | Subject)", d)
    assert list(only.fixef.index) == ["(Intercept)"]
