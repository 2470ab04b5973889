"""simulate_residuals: DHARMa's algorithm, its R identity, the PIT bounds, calibration.

DHARMa itself is not installed with this machine's R, so R identity is checked against
DHARMa's steps written out in R (``set.seed``, ``simulate(re.form = NULL)``, the rowMeans
PIT with ``runif`` randomisation, taken from DHARMa 0.5's ``getQuantile``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mixedlab
from mixedlab import RRandom, datasets
from mixedlab.diagnostics import SimulatedResiduals, TestResult
from mixedlab.diagnostics._pit import pit_bounds, pit_residuals
from mixedlab.diagnostics._tests import sim_pvalue

from _pit_calibration import ks_pvalues_under_the_model


def _quiet_lmer(formula: str, data: pd.DataFrame, **kw) -> mixedlab.LmerFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixedlab.lmer(formula, data, **kw)


@pytest.fixture(scope="module")
def sleep_fit() -> mixedlab.LmerFit:
    return _quiet_lmer("Reaction ~ Days + (Days | Subject)", datasets.sleepstudy())


# --- R identity --------------------------------------------------------------------------

_R_DHARMA_STEPS = """
suppressPackageStartupMessages(library(lme4))
m <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)
set.seed({seed})
sims <- as.matrix(simulate(m, nsim = {n}, re.form = {re_form}))
obs <- model.frame(m)[, 1]
lower <- unname(rowMeans(sims < obs)); le <- unname(rowMeans(sims <= obs))
need <- lower != le
res <- if (any(need)) ifelse(need, runif(length(lower), lower, le), lower) else lower
res
"""


@pytest.mark.parametrize("seed,mode", [(123, "conditional"), (7, "unconditional")])
def test_lmm_scaled_residuals_follow_dharmas_steps_in_r(r_session, sleep_fit, seed, mode) -> None:
    want = np.asarray(r_session.r(_R_DHARMA_STEPS.format(
        seed=seed, n=250, re_form="NULL" if mode == "conditional" else "NA")))
    got = mixedlab.simulate_residuals(sleep_fit, n=250, seed=seed, simulate_re=mode)
    # continuous response: the PIT is a share of the 250 simulations; the fit's parameters
    # agree with lme4's to ~1e-9, far from moving a simulation across an observation
    assert np.array_equal(got.scaled, want)


_R_PIT = """
set.seed({seed})
sims <- matrix(rpois({n} * {nsim}, {lam}), nrow = {n})
obs <- rpois({n}, {lam} * 1.3)
lower <- unname(rowMeans(sims < obs)); le <- unname(rowMeans(sims <= obs))
need <- lower != le
res <- ifelse(need, runif(length(lower), lower, le), lower)
list(sims = sims, obs = obs, res = res, after = runif(3))
"""


@pytest.mark.parametrize("seed,lam", [(1, 0.4), (2, 3.0), (3, 25.0)])
def test_pit_randomisation_is_rs_draw_for_draw(r_session, seed: int, lam: float) -> None:
    """Same simulations, same stream: DHARMa's runif(lower, lowerOrEqual) values exactly."""
    out = r_session.r(_R_PIT.format(seed=seed, n=300, nsim=250, lam=lam))
    sims = np.asarray(out.rx2("sims"), dtype=float)
    rng = RRandom(seed)
    my_sims = rng.rpois(300 * 250, lam).reshape(250, 300).T
    assert np.array_equal(my_sims, sims)
    obs = rng.rpois(300, lam * 1.3)
    assert np.array_equal(obs, np.asarray(out.rx2("obs"), dtype=float))
    assert np.array_equal(pit_residuals(sims, obs, rng), np.asarray(out.rx2("res")))
    assert np.array_equal(rng.runif(3), np.asarray(out.rx2("after")))  # stream in step


# --- the PIT formula --------------------------------------------------------------------

@pytest.mark.parametrize("lam", [0.2, 2.0, 40.0])
def test_each_residual_lies_between_the_ecdf_below_and_at_the_observation(lam: float) -> None:
    rng = RRandom(11)
    sims = rng.rpois(500 * 100, lam).reshape(100, 500).T
    obs = rng.rpois(500, lam)
    res = pit_residuals(sims, obs, rng)
    below = (sims < obs[:, None]).mean(axis=1)
    at = (sims <= obs[:, None]).mean(axis=1)
    assert np.all(below <= res) and np.all(res <= at)
    assert np.all((res == below) == (below == at))  # randomised exactly where the ECDF jumps
    assert ((res > 0) & (res < 1)).mean() > 0.9
    lo, le = pit_bounds(sims, obs)
    assert np.array_equal(lo, below) and np.array_equal(le, at)


def test_continuous_residuals_take_no_random_numbers(sleep_fit) -> None:
    r = mixedlab.simulate_residuals(sleep_fit, n=50, seed=3)
    lo, le = pit_bounds(r.simulated, r.observed)
    assert np.array_equal(r.scaled, lo) and np.array_equal(lo, le)


# --- calibration ----------------------------------------------------------------------

def test_residuals_are_uniform_when_the_data_come_from_the_model(sleep_fit) -> None:
    """Observed data drawn from the fitted model itself, residuals against 250 further
    simulations: over 200 replicate data sets the KS p-values are uniform."""
    pvals = ks_pvalues_under_the_model(sleep_fit, nsim=250, reps=200, first_seed=1000)
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    assert 0.01 <= np.mean(pvals < 0.05) <= 0.10


def test_randomised_count_residuals_are_uniform_under_the_model() -> None:
    """Discrete data: without the randomisation the PIT would pile up; with it, uniform."""
    pvals = []
    for rep in range(200):
        rng = RRandom(rep)
        lam = np.repeat([0.3, 1.5, 6.0, 14.0], 50)
        sims = rng.rpois(200 * 251, np.tile(lam, 251)).reshape(251, 200).T
        pvals.append(stats.kstest(pit_residuals(sims[:, 1:], sims[:, 0], rng), "uniform").pvalue)
    pvals = np.asarray(pvals)
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    assert 0.01 <= np.mean(pvals < 0.05) <= 0.10


def test_refitted_replicates_keep_the_type_i_error() -> None:
    """The full pipeline on 60 replicate data sets from a true LMM, each refitted: the KS
    test rejects at most at its nominal rate (it is conservative, as any goodness-of-fit
    test with estimated parameters is -- Lilliefors' effect)."""
    gen = np.random.default_rng(5)
    rejections = {"conditional": 0, "unconditional": 0}
    for rep in range(60):
        g = np.repeat(np.arange(20), 10)
        x = gen.normal(size=200)
        y = 1 + 0.5 * x + 0.8 * gen.normal(size=20)[g] + gen.normal(size=200)
        fit = _quiet_lmer("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(g)}))
        for mode in rejections:
            r = mixedlab.simulate_residuals(fit, n=100, seed=rep + 1, simulate_re=mode)
            rejections[mode] += r.test_uniformity().pvalue < 0.05
    assert rejections["conditional"] <= 7 and rejections["unconditional"] <= 7


# --- power (LMM) ------------------------------------------------------------------------

def test_heavy_tailed_residuals_fail_uniformity_and_outliers() -> None:
    gen = np.random.default_rng(2)
    g = np.repeat(np.arange(30), 20)
    y = 2 + gen.normal(size=30)[g] + stats.t.rvs(df=1.5, size=600, random_state=gen)
    fit = _quiet_lmer("y ~ 1 + (1 | g)", pd.DataFrame({"y": y, "g": pd.Categorical(g)}))
    r = mixedlab.simulate_residuals(fit, seed=1)
    assert r.test_uniformity().pvalue < 0.01
    assert r.test_outliers().pvalue < 0.01


# --- the object ---------------------------------------------------------------------------

def test_result_objects_and_their_text(sleep_fit) -> None:
    r = mixedlab.simulate_residuals(sleep_fit)
    assert isinstance(r, SimulatedResiduals) and r.n_sim == 250 and r.n_obs == 180
    assert r.conditional and r.seed == 123 and r.scaled.shape == (180,)
    assert np.all((r.scaled >= 0) & (r.scaled <= 1))
    for t in (r.test_uniformity(), r.test_dispersion(), r.test_zero_inflation(), r.test_outliers()):
        assert isinstance(t, TestResult)
        assert 0 <= t.pvalue <= 1 and isinstance(t.statistic, float)
        assert "p " in t.text and "\n" not in t.text and str(t) == t.text
    d = r.test_dispersion()
    assert d.statistic == pytest.approx(
        np.var(r.observed - r.fitted, ddof=1) / np.mean(
            [np.var(c - r.fitted, ddof=1) for c in r.simulated.T]), rel=1e-12)
    # reproducible, and the other mode differs
    again = mixedlab.simulate_residuals(sleep_fit)
    assert np.array_equal(r.scaled, again.scaled)
    other = mixedlab.simulate_residuals(sleep_fit, simulate_re="unconditional")
    assert not other.conditional and not np.array_equal(r.scaled, other.scaled)


def test_sim_pvalue_is_dharmas_getP() -> None:
    sims = np.arange(10.0)
    assert sim_pvalue(sims, 7.0, "greater") == 0.3
    assert sim_pvalue(sims, 7.0, "less") == 0.8
    assert sim_pvalue(sims, 7.0, "two.sided") == 0.6
    assert sim_pvalue(sims, 100.0, "two.sided") == 0.0


def test_outlier_test_forms(sleep_fit) -> None:
    r = mixedlab.simulate_residuals(sleep_fit, n=99)
    b = r.test_outliers()  # continuous: binomial form
    assert b.details["expected_frequency"] == pytest.approx(2 / 100)
    expected = int(np.sum(r.scaled < 0.01) + np.sum(r.scaled > 0.99))
    assert b.statistic == expected
    boot = r.test_outliers(type="bootstrap", n_boot=20)
    assert boot.method == "DHARMa bootstrapped outlier test" and boot.details["bootstrap"].size == 20


def test_plot_has_dharmas_two_panels(sleep_fit) -> None:
    pytest.importorskip("matplotlib")
    fig = mixedlab.simulate_residuals(sleep_fit).plot()
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure) and len(fig.axes) == 2
    qq, rv = fig.axes
    texts = " ".join(t.get_text() for t in qq.texts)
    assert "KS test" in texts and "Dispersion test" in texts and "Outlier test" in texts
    assert len(rv.lines) >= 6  # three dashed reference lines and three quantile curves


def test_quantile_curves(sleep_fit) -> None:
    pytest.importorskip("statsmodels")
    curves, p = mixedlab.simulate_residuals(sleep_fit).test_quantiles()
    assert [c.q for c in curves] == [0.25, 0.5, 0.75]
    assert all(0 <= c.pvalue <= 1 for c in curves) and p == min(c.pvalue for c in curves)
    # a response whose spread grows with the prediction bends the outer curves
    gen = np.random.default_rng(4)
    x = np.linspace(0, 3, 400)
    g = np.repeat(np.arange(40), 10)
    y = 1 + x + 0.3 * gen.normal(size=40)[g] + gen.normal(size=400) * np.exp(x) / 4
    fit = _quiet_lmer("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(g)}))
    _, p_bad = mixedlab.simulate_residuals(fit).test_quantiles()
    assert p_bad < 0.01


def test_bad_arguments() -> None:
    fit = _quiet_lmer("Reaction ~ Days + (1 | Subject)", datasets.sleepstudy())
    with pytest.raises(TypeError, match="n must be at least 2"):
        mixedlab.simulate_residuals(fit, n=1)
    with pytest.raises(TypeError, match="simulate_re must be one of"):
        mixedlab.simulate_residuals(fit, simulate_re="marginal")
    with pytest.raises(TypeError, match="needs a fitted mixedlab model"):
        mixedlab.simulate_residuals("model")
    with pytest.raises(TypeError, match="alternative must be one of"):
        mixedlab.simulate_residuals(fit, n=10).test_dispersion("bigger")


def test_prior_weights_warn_as_dharma() -> None:
    d = datasets.sleepstudy()
    d["w"] = 1.0 + (np.arange(len(d)) % 2)
    fit = _quiet_lmer("Reaction ~ Days + (1 | Subject)", d, weights="w")
    with pytest.warns(UserWarning, match="prior weights"):
        mixedlab.simulate_residuals(fit, n=10)


# --- GLMMs ------------------------------------------------------------------------------

def _quiet_glmer(formula: str, data: pd.DataFrame, **kw) -> mixedlab.GlmerFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixedlab.glmer(formula, data, **kw)


_R_DHARMA_CBPP = """
suppressPackageStartupMessages(library(lme4))
m <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial)
set.seed({seed})
s <- simulate(m, nsim = {n}, re.form = {re_form})
sims <- sapply(s, function(x) x[, 1])           # DHARMa: successes of each cbind
obs <- model.frame(m)[, 1][, 1]
lower <- unname(rowMeans(sims < obs)); le <- unname(rowMeans(sims <= obs))
need <- lower != le
ifelse(need, runif(length(lower), lower, le), lower)
"""


@pytest.mark.parametrize("seed,mode", [(123, "conditional"), (99, "unconditional")])
def test_binomial_glmm_residuals_follow_dharmas_steps_in_r(r_session, seed: int, mode: str) -> None:
    """Integer response: simulations and the randomisation uniforms are R's, so the
    residuals are DHARMa's digit for digit."""
    fit = _quiet_glmer("cbind(incidence, size - incidence) ~ period + (1 | herd)",
                       datasets.cbpp(), family="binomial")
    want = np.asarray(r_session.r(_R_DHARMA_CBPP.format(
        seed=seed, n=250, re_form="NULL" if mode == "conditional" else "NA")))
    got = mixedlab.simulate_residuals(fit, seed=seed, simulate_re=mode)
    assert got.integer and np.array_equal(got.scaled, want)


def _counts(gen: np.random.Generator, kind: str) -> pd.DataFrame:
    G, m = 40, 15
    g = np.repeat(np.arange(G), m)
    x = gen.normal(size=G * m)
    mu = np.exp(0.8 + 0.4 * x + 0.3 * gen.normal(size=G)[g])
    if kind == "poisson":
        y = gen.poisson(mu)
    elif kind == "nb":  # strongly overdispersed: size 0.8
        y = gen.negative_binomial(0.8, 0.8 / (0.8 + mu))
    else:  # zero-inflated: 35% structural zeros
        y = np.where(gen.random(G * m) < 0.35, 0, gen.poisson(mu * 1.5))
    return pd.DataFrame({"y": y.astype(float), "x": x, "g": pd.Categorical(g)})


def test_poisson_glmm_on_negative_binomial_data_fails_the_dispersion_test() -> None:
    fit = _quiet_glmer("y ~ x + (1 | g)", _counts(np.random.default_rng(21), "nb"), family="poisson")
    r = mixedlab.simulate_residuals(fit)
    d = r.test_dispersion()
    assert d.pvalue < 0.01 and d.statistic > 1.5 and "overdispersion" in d.text
    assert r.test_uniformity().pvalue < 0.01


def test_poisson_glmm_on_zero_inflated_data_fails_the_zero_inflation_test() -> None:
    fit = _quiet_glmer("y ~ x + (1 | g)", _counts(np.random.default_rng(22), "zi"), family="poisson")
    z = mixedlab.simulate_residuals(fit).test_zero_inflation()
    assert z.pvalue < 0.01 and z.statistic > 1.2 and "more" in z.text


def test_correct_poisson_glmm_passes_the_tests() -> None:
    fit = _quiet_glmer("y ~ x + (1 | g)", _counts(np.random.default_rng(23), "poisson"),
                       family="poisson")
    r = mixedlab.simulate_residuals(fit)
    assert r.integer and r.family == "poisson"
    for t in (r.test_uniformity(), r.test_dispersion(), r.test_zero_inflation()):
        assert t.pvalue > 0.05, t.text


def test_count_residuals_are_uniform_when_the_data_come_from_the_glmm() -> None:
    """Poisson GLMM: observed counts drawn from the fitted model, 250 more simulations:
    with the randomisation the KS p-values over 150 replicates are uniform."""
    fit = _quiet_glmer("y ~ x + (1 | g)", _counts(np.random.default_rng(24), "poisson"),
                       family="poisson")
    pvals = ks_pvalues_under_the_model(fit, nsim=250, reps=150, first_seed=500)
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    assert np.mean(pvals < 0.05) <= 0.10


def test_proportion_response_is_turned_into_counts_as_dharma() -> None:
    d = datasets.cbpp()
    fit = _quiet_glmer("incidence / size ~ period + (1 | herd)", d, family="binomial",
                       weights="size")
    with pytest.warns(UserWarning, match="prior weights"):
        r = mixedlab.simulate_residuals(fit, n=50)
    # proportion x weights, as DHARMa multiplies them (so 7/15 * 15 may be 7 + 1 ulp)
    assert np.allclose(r.observed, d["incidence"].to_numpy(dtype=float), rtol=0, atol=1e-12)
    assert np.allclose(r.simulated, np.round(r.simulated), rtol=0, atol=1e-12)
    assert r.simulated.max() <= d["size"].max()
