"""GlmerFit.confint: lme4's Wald and profile intervals for a binomial GLMM, against lme4."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab._errors import ModelSpecificationError

FORMULA = "cbind(incidence, size - incidence) ~ period + (1 | herd)"


@pytest.fixture(scope="module")
def cbpp_fit():
    return mixedlab.glmer(FORMULA, mixedlab.datasets.load_dataset("cbpp"), family="binomial")


def _r_confint(r_session, method: str, parm: list[str] | None = None) -> pd.DataFrame:
    from mixedlab.parity import _rbridge

    ro = r_session
    ro.globalenv["cbpp_ml"] = _rbridge.to_r(mixedlab.datasets.load_dataset("cbpp"))
    f = ro.r("""function(method, parm) { suppressMessages(requireNamespace("lme4"))
      g <- lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp_ml, binomial)
      ci <- if (is.null(parm)) confint(g, method = method, quiet = TRUE) else
              confint(g, parm = parm, method = method, quiet = TRUE)
      list(rn = rownames(ci), cn = colnames(ci), v = as.numeric(ci)) }""")
    out = f(method, ro.NULL if parm is None else ro.StrVector(parm))
    rn, cn = list(out.rx2("rn")), list(out.rx2("cn"))
    return pd.DataFrame(np.array(out.rx2("v")).reshape(len(rn), len(cn), order="F"), index=rn, columns=cn)


def test_wald_equals_lme4(cbpp_fit, r_session) -> None:
    ours = cbpp_fit.confint(method="Wald")
    theirs = _r_confint(r_session, "Wald")
    assert list(ours.index) == list(theirs.index) == [".sig01", "(Intercept)", "period2", "period3", "period4"]
    width = (theirs["97.5 %"] - theirs["2.5 %"]).to_numpy()[1:, None]
    assert ours.loc[".sig01"].isna().all()
    # glmer's SEs come from its finite-difference Hessian: the lme4 "se" rule (1e-3 of the SE)
    assert np.max(np.abs(ours.to_numpy()[1:] - theirs.to_numpy()[1:]) / width) < 1e-3


def test_profile_equals_lme4(cbpp_fit, r_session) -> None:
    parm = [".sig01", "period2"]
    ours = cbpp_fit.confint(parm=parm, quiet=True)
    theirs = _r_confint(r_session, "profile", parm)
    assert list(ours.index) == parm
    width = (theirs["97.5 %"] - theirs["2.5 %"]).to_numpy()[:, None]
    # lme4's inner Nelder-Mead stops at FtolAbs = 1e-5 on the deviance: ~1e-4 of the width
    assert np.max(np.abs(ours.to_numpy() - theirs.to_numpy()) / width) < 1e-3


def test_profile_rejects_unknown_parameters(cbpp_fit) -> None:
    with pytest.raises(mixedlab.ArgumentError, match=r"unknown parameter 'zz'.*period2"):
        cbpp_fit.profile(which="zz")
    with pytest.raises(mixedlab.ArgumentError, match="out of range"):
        cbpp_fit.profile(which=[9])


def test_unsupported_requests_say_so(cbpp_fit) -> None:
    with pytest.raises(ModelSpecificationError, match="lmer fits"):
        cbpp_fit.confint(method="boot")
    with pytest.raises(mixedlab.ArgumentError, match="method must be one of"):
        cbpp_fit.confint(method="wald")
