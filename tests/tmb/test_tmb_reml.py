"""glmmtmb(REML=True) against live glmmTMB 1.1.5 (``REML = TRUE``) and, for the gaussian
family, lmer's REML fit.

glmmTMB integrates the conditional fixed effects out with the random effects; the objective
is then −log of the restricted likelihood, which for a gaussian model is lme4's REML
criterion / 2. Standard errors of β are glmmTMB's (the joint precision's marginal), the
others the inverse Hessian of the REML objective.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab.parity import _rbridge, _rtmb
from mixedlab.tmb import TmbControl

SLEEP = "Reaction ~ Days + (1 + Days | Subject)"
TICKS = "TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)"


def _at(formula, data, family, par, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixedlab.glmmtmb(formula, data, family=family, REML=True, data_name=name,
                                control=TmbControl(start=np.asarray(par), optimize=False))


def _check(fit, ref) -> None:
    # the optimum is glmmTMB's, never worse beyond rounding
    assert fit.objective <= ref["objective"] + 1e-8
    assert fit.objective == pytest.approx(ref["objective"], abs=1e-6)
    names = list(fit.fixef.index)
    se = np.asarray([ref["se"][n] for n in names])
    np.testing.assert_allclose(fit.fixef.to_numpy(), [ref["fixef"][n] for n in names],
                               rtol=0, atol=1e-3 * se.max())
    np.testing.assert_allclose(fit.se.to_numpy(), se, rtol=1e-3)
    assert fit.nobs == ref["nobs"]
    assert fit.df_resid == ref["df_resid"]
    assert fit.aic == pytest.approx(ref["aic"], abs=1e-6)
    assert fit.bic == pytest.approx(ref["bic"], abs=1e-6)


def test_gaussian_reml_is_glmmtmbs_and_lmers(rbridge) -> None:
    data = mixedlab.datasets.sleepstudy()
    ref = _rtmb.fit_glmmtmb_family(SLEEP, data, "gaussian", REML=True, data_name="sleepstudy")
    extras = _rtmb.last_fit_extras()
    fit = mixedlab.glmmtmb(SLEEP, data, REML=True, data_name="sleepstudy")
    _check(fit, ref)
    # lmer's REML fit: the same criterion, estimates and variance components
    lm = _rbridge.fit_lmer(SLEEP, data, REML=True)
    assert fit.objective == pytest.approx(lm["objective"], abs=1e-6)
    assert fit.objective <= lm["objective"] + 1e-8
    np.testing.assert_allclose(fit.fixef.to_numpy(), list(lm["fixef"].values()), rtol=1e-7)
    np.testing.assert_allclose(fit.varcorr["sdcor"].to_numpy(), [r["sdcor"] for r in lm["varcorr"]], rtol=2e-5)
    np.testing.assert_allclose(fit.se.to_numpy(), list(lm["se"].values()), rtol=1e-4)
    # at glmmTMB's estimates every printed character is glmmTMB's
    at = _at(SLEEP, data, "gaussian", ref["par"], "sleepstudy")
    assert str(at.summary()) == ref["summary"]
    assert repr(at) == extras["print"]
    np.testing.assert_allclose(np.sqrt(np.diag(at.vcov_full.to_numpy())), ref["se_par"], rtol=1e-6)


def test_nbinom2_reml_is_glmmtmbs(rbridge) -> None:
    data = mixedlab.datasets.load_dataset("grouseticks")
    ref = _rtmb.fit_glmmtmb_family(TICKS, data, "nbinom2", REML=True, data_name="grouseticks")
    fit = mixedlab.glmmtmb(TICKS, data, family="nbinom2", REML=True, data_name="grouseticks")
    _check(fit, ref)
    np.testing.assert_allclose(fit.par[fit.fixef.size:], ref["par"], rtol=1e-4, atol=1e-6)
    at = _at(TICKS, data, "nbinom2", ref["par"], "grouseticks")
    assert at.objective / 2 == pytest.approx(ref["fn"], rel=1e-11)
    assert str(at.summary()) == ref["summary"]
    # SEs of β include the uncertainty of θ and the dispersion carried through dβ̂/dφ
    np.testing.assert_allclose(np.sqrt(np.diag(at.vcov_full.to_numpy())), ref["se_par"], rtol=1e-5)


def test_reml_with_zero_inflation_is_glmmtmbs(rbridge) -> None:
    data = mixedlab.datasets.salamanders()
    f = "count ~ mined + (1 | site)"
    ref = _rtmb.fit_glmmtmb_family(f, data, "poisson", ziformula="~mined", REML=True,
                                   data_name="Salamanders")
    fit = mixedlab.glmmtmb(f, data, family="poisson", ziformula="~mined", REML=True)
    _check(fit, ref)
    np.testing.assert_allclose(fit.se_zi.to_numpy(), [ref["se"]["zi~" + n] for n in fit.se_zi.index],
                               rtol=1e-3)
