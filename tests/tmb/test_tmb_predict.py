"""predict() of glmmtmb fits against glmmTMB's predict.glmmTMB, at glmmTMB's own estimates.

Each model is fitted in R, then mixedlab is evaluated at ``m$fit$par`` (no optimisation), so
the predictions must agree to rounding: every ``type``, the fitted rows and new data (with a
level not seen in the fit when ``allow_new_levels``), with and without random effects.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, ModelSpecificationError
from mixedlab.tmb import TmbControl

MODELS = [
    ("zinb", "count ~ spp + mined + (1 | site)", "nbinom2", "~spp + mined + (1 | site)", "~1"),
    ("hurdle", "count ~ spp + mined + (1 | site)", "truncated_nbinom2", "~mined", "~1"),
    ("nb1_disp", "count ~ spp + mined + (1 | site)", "nbinom1", "~0", "~mined"),
]
TYPES = ["link", "response", "conditional", "zprob", "zlink", "disp"]


def _newdata(sal: pd.DataFrame) -> pd.DataFrame:
    new = sal.iloc[[0, 5, 50, 100, 300, 640]].copy()
    site = new["site"].astype(str).to_numpy(dtype=object)
    site[1] = "NEW-1"  # a site the model has not seen
    new["site"] = pd.Categorical(site)
    return new.reset_index(drop=True)


@pytest.fixture(scope="module")
def salamanders():
    return mixedlab.datasets.salamanders()


@pytest.mark.parametrize("model", MODELS, ids=[m[0] for m in MODELS])
def test_predict_equals_glmmtmbs(model, salamanders, r_session) -> None:
    from mixedlab.parity import _rbridge

    ident, formula, family, zi, disp = model
    ro = r_session
    _rbridge._session()
    ro.globalenv["dd"] = _rbridge.to_r(salamanders)
    new = _newdata(salamanders)
    ro.globalenv["nd"] = _rbridge.to_r(new)
    ro.r(f"m <- glmmTMB::glmmTMB({formula}, data = dd, family = {family}, ziformula = {zi}, "
         f"dispformula = {disp})")
    par = np.asarray(ro.r("m$fit$par"), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.glmmtmb(formula, salamanders, family=family, ziformula=zi, dispformula=disp,
                               control=TmbControl(start=par, optimize=False))
    has_zi = zi != "~0"
    for type_ in TYPES:
        if type_ in ("zprob", "zlink") and not has_zi:
            continue
        for re_form, r_re in ((None, "NULL"), ("~0", "NA")):
            want = np.asarray(ro.r(f'predict(m, type = "{type_}", re.form = {r_re})'), dtype=float)
            got = fit.predict(type=type_, re_form=re_form)
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, err_msg=f"{type_} {re_form}")
            want = np.asarray(ro.r(f'predict(m, newdata = nd, type = "{type_}", re.form = {r_re}, '
                                   f'allow.new.levels = TRUE)'), dtype=float)
            got = fit.predict(new, type=type_, re_form=re_form, allow_new_levels=True)
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, err_msg=f"new {type_} {re_form}")
    np.testing.assert_allclose(fit.fitted(), np.asarray(ro.r("fitted(m)"), dtype=float), rtol=1e-8)
    np.testing.assert_allclose(fit.residuals(), np.asarray(ro.r('residuals(m, type = "response")')),
                               rtol=1e-7, atol=1e-9)


def test_new_level_needs_allow_new_levels(salamanders) -> None:
    fit = mixedlab.glmmtmb("count ~ mined + (1 | site)", salamanders, family="poisson")
    with pytest.raises(DataError, match="allow_new_levels=True"):
        fit.predict(_newdata(salamanders))


def test_bad_type_and_re_form(salamanders) -> None:
    fit = mixedlab.glmmtmb("count ~ mined + (1 | site)", salamanders, family="poisson")
    with pytest.raises(mixedlab.ArgumentError, match="type must be one of"):
        fit.predict(type="mean")
    with pytest.raises(mixedlab.ArgumentError, match="allow_new_levels must be True or False"):
        fit.predict(allow_new_levels="TRUE")
    with pytest.raises(ModelSpecificationError, match="zlink.*ziformula"):
        fit.predict(type="zlink")
    with pytest.raises(ModelSpecificationError, match="all random effects"):
        fit.predict(re_form="~(1 | site)")
