"""simulate_residuals on glmmTMB fits: DHARMa's steps in R, calibration and power.

DHARMa is not installed here; its algorithm (GLMM.md §4: ``set.seed``, ``simulate`` --
unconditional for glmmTMB 1.1.5, which cannot condition on the fitted effects -- then the
rowMeans PIT with ``runif`` randomisation, ``getQuantile``) is written out in R instead.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mixedlab
from mixedlab import datasets
from mixedlab.parity import _rbridge

from _pit_calibration import ks_pvalues_under_the_model


def _quiet_tmb(formula: str, data: pd.DataFrame, **kw) -> mixedlab.TmbFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixedlab.glmmtmb(formula, data, **kw)


def _counts(gen: np.random.Generator, kind: str, G: int = 40, m: int = 15) -> pd.DataFrame:
    g = np.repeat(np.arange(G), m)
    x = gen.normal(size=G * m)
    mu = np.exp(0.8 + 0.4 * x + 0.3 * gen.normal(size=G)[g])
    if kind == "zip":  # 30% structural zeros
        y = np.where(gen.random(G * m) < 0.3, 0, gen.poisson(mu))
    elif kind == "nb":  # strongly overdispersed: size 0.8
        y = gen.negative_binomial(0.8, 0.8 / (0.8 + mu))
    else:  # zero-inflated negative binomial, size 2
        y = np.where(gen.random(G * m) < 0.3, 0, gen.negative_binomial(2.0, 2.0 / (2.0 + mu)))
    return pd.DataFrame({"y": y.astype(float), "x": x, "g": pd.Categorical(g)})


# --- R identity --------------------------------------------------------------------------

_R_DHARMA_TMB = """
function(d, seed, n) {
  m <- suppressWarnings(glmmTMB::glmmTMB(count ~ spp + mined + (1 | site), zi = ~spp + mined,
                                         family = glmmTMB::nbinom2, data = d))
  set.seed(seed)
  sims <- as.matrix(simulate(m, nsim = n))
  obs <- model.frame(m)[, 1]
  lower <- unname(rowMeans(sims < obs)); le <- unname(rowMeans(sims <= obs))
  need <- lower != le
  res <- if (any(need)) ifelse(need, runif(length(lower), lower, le), lower) else lower
  list(res = res, par = unname(m$fit$parfull), names = names(m$fit$parfull))
}
"""


@pytest.mark.parametrize("seed", [123, 8])
def test_zinb_residuals_follow_dharmas_steps_in_r(r_session, seed: int) -> None:
    """Salamanders ZINB with R's parameters: the simulations and the randomisation
    uniforms are R's, so the residuals are DHARMa's digit for digit."""
    d = datasets.load_dataset("Salamanders")
    fit = _quiet_tmb("count ~ spp + mined + (1 | site)", d, family="nbinom2",
                     ziformula="~spp + mined")
    out = r_session.r(_R_DHARMA_TMB)(_rbridge.to_r(d), seed, 250)
    par, names = np.asarray(out.rx2("par")), list(out.rx2("names"))
    is_b = np.array([n in ("b", "bzi") for n in names])
    r_fit = copy.copy(fit)
    r_fit.par = par[~is_b]
    r_fit.__dict__["_b"] = [par[is_b].reshape(-1, 1)]
    got = mixedlab.simulate_residuals(r_fit, seed=seed, simulate_re="unconditional")
    assert got.integer and got.family == "nbinom2"
    assert np.array_equal(got.scaled, np.asarray(out.rx2("res")))


# --- power ------------------------------------------------------------------------------

def test_poisson_fit_to_zero_inflated_data_fails_the_zero_inflation_test() -> None:
    fit = _quiet_tmb("y ~ x + (1 | g)", _counts(np.random.default_rng(5), "zip"),
                     family="poisson")
    r = mixedlab.simulate_residuals(fit, simulate_re="unconditional")
    z = r.test_zero_inflation()
    assert z.pvalue < 0.01 and z.statistic > 1.3 and "more" in z.text
    assert r.test_uniformity().pvalue < 0.01


def test_poisson_fit_to_negative_binomial_data_fails_the_dispersion_test() -> None:
    fit = _quiet_tmb("y ~ x + (1 | g)", _counts(np.random.default_rng(6), "nb"),
                     family="poisson")
    d = mixedlab.simulate_residuals(fit, simulate_re="unconditional").test_dispersion()
    assert d.pvalue < 0.01 and d.statistic > 2.0 and "overdispersion" in d.text


@pytest.mark.parametrize("kind,family", [("zip", "poisson"), ("zinb", "nbinom2")])
def test_the_right_zero_inflated_model_passes_every_test(kind: str, family: str) -> None:
    fit = _quiet_tmb("y ~ x + (1 | g)", _counts(np.random.default_rng(7), kind), family=family,
                     ziformula="~1")
    r = mixedlab.simulate_residuals(fit, simulate_re="unconditional")
    for t in (r.test_uniformity(), r.test_dispersion(), r.test_zero_inflation(),
              r.test_outliers()):
        assert t.pvalue > 0.05, t.text


# --- calibration --------------------------------------------------------------------------

def test_zip_residuals_are_uniform_when_the_data_come_from_the_model() -> None:
    """ZIP glmmTMB fit: observed counts drawn from the fitted model, 50 more simulations,
    all at the fitted random effects (``re_form=None``): with the randomisation the KS
    p-values over 120 replicates are uniform (no parameter re-estimation: the exact null).

    Unconditional draws would not do: the "observed" column's effects are shared within a
    group while each simulation draws its own, so residuals of one group are correlated and
    the KS test over-rejects (measured: 9% at 5%, KS of the p-values 0.007).
    """
    fit = _quiet_tmb("y ~ x + (1 | g)", _counts(np.random.default_rng(8), "zip", G=20, m=10),
                     family="poisson", ziformula="~1")
    pvals = ks_pvalues_under_the_model(fit, nsim=50, reps=120, first_seed=900)
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    assert np.mean(pvals < 0.05) <= 0.10


def test_refitted_zinb_replicates_keep_the_type_i_error() -> None:
    """The whole pipeline on 25 data sets drawn from a ZINB fit, each refitted by glmmTMB:
    uniformity, dispersion and zero-inflation tests reject at about their nominal rate
    (at most 4 of 25 at 5%; conservative with estimated parameters)."""
    base = _quiet_tmb("y ~ x + (1 | g)", _counts(np.random.default_rng(9), "zinb", G=20, m=10),
                      family="nbinom2", ziformula="~1")
    ys = base.simulate(25, seed=31).to_numpy()
    frame = base._model.data
    d = pd.DataFrame({"x": _counts(np.random.default_rng(9), "zinb", G=20, m=10)["x"],
                      "g": pd.Categorical(np.repeat(np.arange(20), 10))})
    assert len(d) == frame.n
    rejected = {"uniformity": 0, "dispersion": 0, "zero_inflation": 0}
    for rep in range(ys.shape[1]):
        fit = _quiet_tmb("y ~ x + (1 | g)", d.assign(y=ys[:, rep]), family="nbinom2",
                         ziformula="~1")
        r = mixedlab.simulate_residuals(fit, n=100, seed=rep + 1, simulate_re="unconditional")
        rejected["uniformity"] += r.test_uniformity().pvalue < 0.05
        rejected["dispersion"] += r.test_dispersion().pvalue < 0.05
        rejected["zero_inflation"] += r.test_zero_inflation().pvalue < 0.05
    assert all(v <= 4 for v in rejected.values()), rejected


# --- the families simulated with glmmTMB's own samplers ------------------------------------

_OWN_SAMPLER_CASES = ["salamanders_hurdle_pois", "salamanders_hurdle_nb2", "salamanders_hurdle_nb1",
                      "salamanders_pos_truncpois", "salamanders_genpois", "sim_tweedie",
                      "sim_betabinomial"]


@pytest.mark.parametrize("name", _OWN_SAMPLER_CASES)
def test_simulated_residuals_run_on_every_simulated_family(name: str) -> None:
    """truncated_poisson, truncated_nbinom1/2 (hurdles and alone), genpois, tweedie and
    betabinomial: scaled residuals in [0, 1], one per observation, and the tests run."""
    from mixedlab.parity._rtmbsim import TMB_SIM_CASES, py_family, tmb_case_data

    case = TMB_SIM_CASES[name]
    fit = _quiet_tmb(case.formula, tmb_case_data(case), family=py_family(case),
                     ziformula=case.ziformula)
    res = mixedlab.simulate_residuals(fit, n=100, seed=11)
    s = np.asarray(res.scaled)
    assert s.shape == (fit.nobs,)
    assert np.all((s >= 0.0) & (s <= 1.0))
    assert 0.0 <= res.test_uniformity().pvalue <= 1.0
    assert 0.0 <= res.test_dispersion().pvalue <= 1.0
    # the model is right for the data it was fitted to often enough that the residuals do not
    # pile up at 0 or 1 (a sampler drawing from the wrong distribution would)
    assert 0.3 < s.mean() < 0.7
