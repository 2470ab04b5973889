"""GlmerFit's predict (link and response scales, re_form, newdata, new levels, offsets) and its
fitted values and four residual types, against live lme4 on the whole data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab as ml
from mixedlab._errors import DataError
from mixedlab.parity._rglmer import eval_on_glmer

CBPP = "cbind(incidence, size - incidence) ~ period + (1 | herd)"
POIS = "incidence ~ period + (1 | herd) + offset(log(size))"


def _newdata() -> pd.DataFrame:
    df = ml.datasets.cbpp()
    new = df.iloc[[0, 5, 17, 40]].copy()
    extra = new.iloc[[0, 1]].copy()
    extra["herd"] = "99"  # a herd not in the fit: random effect 0 with allow_new_levels
    extra["size"] = [3, 30]
    out = pd.concat([new, extra], ignore_index=True)
    out["herd"] = pd.Categorical(out["herd"].astype(str), categories=list(df["herd"].cat.categories) + ["99"])
    return out


CASES = {
    "cbpp_binomial": (CBPP, "binomial", None, None),
    "cbpp_probit_weights": ("incidence / size ~ period + (1 | herd)", 'binomial(link = "probit")', "size", None),
    "cbpp_poisson_offset": (POIS, "poisson", None, None),
    "cbpp_poisson_offset_arg": ("incidence ~ period + (1 | herd)", "poisson", None, "logsize"),
}

R_EXPRS = {
    "fitted": "as.numeric(fitted(m))",
    "deviance": "as.numeric(residuals(m, type = 'deviance'))",
    "pearson": "as.numeric(residuals(m, type = 'pearson'))",
    "response": "as.numeric(residuals(m, type = 'response'))",
    "working": "as.numeric(residuals(m, type = 'working'))",
    "link": "as.numeric(predict(m))",
    "resp": "as.numeric(predict(m, type = 'response'))",
    "pop": "as.numeric(predict(m, re.form = NA, type = 'response'))",
    "new_link": "as.numeric(predict(m, newdata = newdata, allow.new.levels = TRUE))",
    "new_resp": "as.numeric(predict(m, newdata = newdata, type = 'response', allow.new.levels = TRUE))",
    "new_pop": "as.numeric(predict(m, newdata = newdata, re.form = NA))",
    "new_herd": "as.numeric(predict(m, newdata = newdata, re.form = ~(1 | herd), type = 'response', "
                "allow.new.levels = TRUE))",
}


@pytest.mark.parametrize("name", list(CASES))
def test_predict_fitted_residuals_match_lme4(r_session, name: str) -> None:
    formula, family, weights, offset = CASES[name]
    df = ml.datasets.cbpp()
    df["logsize"] = np.log(df["size"])
    new = _newdata()
    new["logsize"] = np.log(new["size"])
    r = eval_on_glmer(formula, df, R_EXPRS, family=family, weights=weights, offset=offset, data_name="cbpp",
                      newdata=new)
    kwargs = {}
    if weights:
        kwargs["weights"] = weights
    if offset:
        kwargs["offset"] = offset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ml.glmer(formula, df, family=ml.families.from_r(family), **kwargs)
    # the fits agree with lme4's to ~1e-7 in the parameters (the parity corpus), so the derived
    # vectors do to about that relative size
    close = dict(rtol=2e-6, atol=1e-8)
    np.testing.assert_allclose(fit.fitted(), r["fitted"], **close)
    for t in ("deviance", "pearson", "response", "working"):
        np.testing.assert_allclose(fit.residuals(type=t), r[t], err_msg=t, **close)
    np.testing.assert_allclose(fit.residuals(), r["deviance"], **close)
    np.testing.assert_allclose(fit.predict(), r["link"], **close)
    np.testing.assert_allclose(fit.predict(type="response"), r["resp"], **close)
    np.testing.assert_allclose(fit.predict(re_form="NA", type="response"), r["pop"], **close)
    np.testing.assert_allclose(fit.predict(new, allow_new_levels=True), r["new_link"], **close)
    np.testing.assert_allclose(fit.predict(new, type="response", allow_new_levels=True), r["new_resp"], **close)
    np.testing.assert_allclose(fit.predict(new, re_form="~0"), r["new_pop"], **close)
    np.testing.assert_allclose(fit.predict(new, re_form="~(1 | herd)", type="response", allow_new_levels=True),
                               r["new_herd"], **close)


def test_predict_refuses_new_levels_and_bad_types() -> None:
    fit = ml.glmer(CBPP, ml.datasets.cbpp())
    with pytest.raises(DataError, match="new levels"):
        fit.predict(_newdata())
    with pytest.raises(ValueError, match="type must be 'link' or 'response'"):
        fit.predict(type="terms")
    with pytest.raises(ValueError, match="type must be one of"):
        fit.residuals(type="partial")
