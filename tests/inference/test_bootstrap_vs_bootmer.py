"""The parametric bootstrap against lme4's ``bootMer`` live: R's draws, R's refits, R's intervals."""

from __future__ import annotations

import numpy as np
import pytest

import mixedlab
from mixedlab.inference._bootstrap import BootModel, _refit_devfun, parametric_bootstrap
from mixedlab.linear._crossprod import CrossProducts
from mixedlab.parity import _tolerances as tol
from mixedlab.results._lmer_confint import bootstrap_responses

_FORMULA = "Reaction ~ Days + (Days | Subject)"
_SEED, _NSIM = 101, 30


@pytest.fixture(scope="module")
def fits(r_session):
    ro = r_session
    ro.r("suppressMessages(library(lme4))")
    ro.r(f"bm_m <- lmer({_FORMULA}, sleepstudy)")
    # bootMer's own draws and refits: the response of each refit, and the statistic plus θ
    ro.r(f"set.seed({_SEED}); bm_y <- bootMer(bm_m, function(x) getME(x, 'y'), nsim = {_NSIM})$t")
    ro.r("bm_fun <- function(x) c(lme4:::Cv_to_Sv(x@theta, lengths(x@cnms), s = sigma(x)), fixef(x), "
         "x@theta, REMLcrit(x))")
    ro.r(f"set.seed({_SEED}); bm_t <- suppressMessages(suppressWarnings(bootMer(bm_m, bm_fun, nsim = {_NSIM})$t))")
    fit = mixedlab.lmer(_FORMULA, mixedlab.datasets.sleepstudy())
    r_params = {"theta": np.array(ro.r("getME(bm_m, 'theta')")), "beta": np.array(ro.r("fixef(bm_m)")),
                "sigma": float(ro.r("sigma(bm_m)")[0])}
    return fit, r_params, np.array(ro.r("bm_y")), np.array(ro.r("bm_t"))


def test_bootstrap_draws_are_bootmers_bit_for_bit(fits) -> None:
    fit, r_params, Yr, _ = fits
    # with lme4's parameter values the responses are R's to the last bit ...
    Y = bootstrap_responses(fit, _NSIM, seed=_SEED, newparams=r_params)
    assert np.array_equal(Y.T, Yr)
    # ... and with mixedlab's own (θ̂, β̂, σ̂ within the parity tolerances) they are R's to ~1e-9
    Y_own = bootstrap_responses(fit, _NSIM, seed=_SEED)
    assert np.abs(Y_own.T - Yr).max() < 1e-7 * np.abs(Yr).max()


def test_refit_criterion_is_lme4_1_1_31s(fits) -> None:
    fit, r_params, Yr, Tr = fits
    bm = BootModel.from_fit(fit._model, fit._cp, r_params["theta"], True)
    assert bm.refit_nmp == 179  # n − resp$REML with resp$REML = TRUE = 1, not n − p = 178
    for i in range(3):
        cp = CrossProducts(bm.term_X, bm.term_codes, bm.shapes, bm.X, Yr[i], bm.weights)
        dev = _refit_devfun(cp, bm)
        # REMLcrit of lme4's refit, at lme4's refitted θ
        assert dev(Tr[i, 6:9]) == pytest.approx(Tr[i, 9], rel=1e-12)


def test_refits_and_intervals_agree_with_bootmer(fits, r_session) -> None:
    fit, r_params, Yr, Tr = fits
    bm = BootModel.from_fit(fit._model, fit._cp, r_params["theta"], True)
    S = parametric_bootstrap(bm, Yr.T)
    d = np.abs(S - Tr[:, :6]) / np.maximum(np.abs(Tr[:, :6]), 1e-3)
    # most refits follow lme4's BOBYQA path to its end; the others stop within lme4's xtol_rel
    assert np.mean(d.max(axis=1) < 1e-6) >= 0.7
    assert d.max() < 2e-3
    ro = r_session
    ro.r(f"set.seed({_SEED}); bm_ci <- suppressMessages(suppressWarnings("
         f"confint(bm_m, method = 'boot', nsim = {_NSIM}, quiet = TRUE)))")
    ci_r = np.array(ro.r("bm_ci"))
    with pytest.warns(UserWarning, match="extreme order statistics"):
        ci = fit.confint(method="boot", nsim=_NSIM, seed=_SEED, quiet=True, progress=False).to_numpy()
    width = ci_r[:, 1] - ci_r[:, 0]
    for j in range(ci.shape[0]):
        for k in range(2):
            delta, bound, ok = tol.interval_within("boot", ci[j, k], ci_r[j, k], width[j])
            assert ok, (j, k, ci[j, k], ci_r[j, k], delta, bound)
