"""DHARMa's residual tests (DHARMa 0.5 ``R/tests.R``) on simulated residuals.

* uniformity: Kolmogorov-Smirnov test of the scaled residuals against U(0, 1)
  (``ks.test(res, "punif")``);
* dispersion ("DHARMa" type): the variance of ``y - fitted`` over the variance of all
  simulations, observed against each simulation's (``testGeneric``), reported as the
  ratio observed / mean simulated;
* zero inflation: the number of zeros, observed against simulated (``testGeneric``);
* outliers: residuals beyond every simulation (0 or 1 exactly for counts, below
  1/(n+1) or above n/(n+1) in the binomial form); a binomial test against the expected
  frequency 2/(n+1) for continuous responses or more than 500 observations, otherwise
  DHARMa's bootstrap of the outlier frequency.

``getP`` (simulation-based p-values): ``greater`` = mean(sim >= obs), ``less`` =
mean(sim <= obs), ``two.sided`` = min(2 min(both), 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from scipy import stats

from mixedlab._arguments import check_choice
from mixedlab.diagnostics._pit import pit_residuals
from mixedlab.rng import RRandom

__all__ = ["TestResult", "sim_pvalue", "uniformity", "dispersion", "zero_inflation",
           "outliers", "generic"]

_ALTERNATIVES = ("two.sided", "greater", "less")


@dataclass(frozen=True)
class TestResult:
    """The outcome of one residual test.

    Attributes
    ----------
    name : str
        Which test ("uniformity", "dispersion", "zero-inflation", "outliers").
    statistic : float
        The test statistic (KS D, dispersion ratio, zero ratio, outlier count).
    pvalue : float
    alternative : str
    method : str
        How the p-value was computed.
    text : str
        One line saying what the result means.
    details : dict
        Further numbers (expected outlier frequency, observed and simulated summaries).
    """

    name: str
    statistic: float
    pvalue: float
    alternative: str
    method: str
    text: str
    details: dict = field(default_factory=dict)

    @property
    def significant(self) -> bool:
        """``pvalue < 0.05``."""
        return bool(self.pvalue < 0.05)

    def __str__(self) -> str:
        return self.text


def _fmt_p(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3g}"


def sim_pvalue(simulated: np.ndarray, observed: float, alternative: str) -> float:
    """DHARMa's ``getP``: the observed summary's position among the simulated ones."""
    sim = np.asarray(simulated, dtype=float)
    ge = float(np.mean(sim >= observed))
    le = float(np.mean(sim <= observed))
    if alternative == "greater":
        return ge
    if alternative == "less":
        return le
    return min(min(le, ge) * 2.0, 1.0)


def uniformity(scaled: np.ndarray, alternative: str = "two.sided") -> TestResult:
    """KS test of the scaled residuals against the uniform distribution."""
    alternative = check_choice(alternative, "alternative", _ALTERNATIVES)
    alt = {"two.sided": "two-sided", "greater": "greater", "less": "less"}[alternative]
    res = stats.kstest(np.asarray(scaled, dtype=float), "uniform", alternative=alt)
    p = float(res.pvalue)
    if p < 0.05:
        text = (f"KS test {_fmt_p(p)}: the residuals are not uniform, so the response does "
                "not follow the fitted distribution (look at the QQ plot for where)")
    else:
        text = (f"KS test {_fmt_p(p)}: no evidence against uniform residuals; the response "
                "is consistent with the fitted distribution")
    return TestResult("uniformity", float(res.statistic), p, alternative,
                      "Kolmogorov-Smirnov test against U(0, 1)", text)


def generic(observed: np.ndarray, simulated: np.ndarray, summary: Callable[[np.ndarray], float],
            alternative: str) -> tuple[float, np.ndarray, float, float]:
    """``testGeneric``: (observed summary, simulated summaries, ratio obs/mean(sim), p)."""
    obs = float(summary(np.asarray(observed, dtype=float)))
    sims = np.array([summary(col) for col in np.asarray(simulated, dtype=float).T])
    mean_sim = float(np.mean(sims))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = obs / mean_sim if mean_sim != 0 else (np.inf if obs > 0 else np.nan)
    return obs, sims, float(ratio), sim_pvalue(sims, obs, alternative)


def dispersion(observed: np.ndarray, simulated: np.ndarray, fitted: np.ndarray,
               alternative: str = "two.sided") -> TestResult:
    """DHARMa's nonparametric dispersion test (sd of residuals fitted vs. simulated)."""
    alternative = check_choice(alternative, "alternative", _ALTERNATIVES)
    fitted = np.asarray(fitted, dtype=float)
    expected_var = float(np.var(np.asarray(simulated, dtype=float), ddof=1))

    def spread(x: np.ndarray) -> float:
        return float(np.var(x - fitted, ddof=1)) / expected_var

    obs, sims, ratio, p = generic(observed, simulated, spread, alternative)
    if p < 0.05:
        kind = "overdispersion" if ratio > 1 else "underdispersion"
        text = (f"dispersion test {_fmt_p(p)}: {kind} -- the data vary {ratio:.3g} times as "
                "much as the model's simulations (a ratio of 1 is expected)")
    else:
        text = (f"dispersion test {_fmt_p(p)}: ratio {ratio:.3g}, no evidence of over- or "
                "underdispersion")
    return TestResult("dispersion", ratio, p, alternative,
                      "DHARMa nonparametric dispersion test via sd of residuals fitted vs. "
                      "simulated", text, {"observed": obs, "simulated": sims})


def zero_inflation(observed: np.ndarray, simulated: np.ndarray,
                   alternative: str = "two.sided") -> TestResult:
    """DHARMa's zero-inflation test: observed zeros against the simulated counts of zeros."""
    alternative = check_choice(alternative, "alternative", _ALTERNATIVES)
    obs, sims, ratio, p = generic(observed, simulated, lambda x: float(np.sum(x == 0)),
                                  alternative)
    if p < 0.05:
        kind = "more" if ratio > 1 else "fewer"
        text = (f"zero-inflation test {_fmt_p(p)}: {int(obs)} zeros, {kind} than the "
                f"{float(np.mean(sims)):.1f} the model expects (ratio {ratio:.3g})")
    else:
        text = (f"zero-inflation test {_fmt_p(p)}: {int(obs)} zeros against "
                f"{float(np.mean(sims)):.1f} expected, no evidence of zero inflation")
    return TestResult("zero-inflation", ratio, p, alternative,
                      "DHARMa zero-inflation test via comparison to expected zeros with "
                      "simulation under H0 = fitted model", text,
                      {"observed": obs, "simulated": sims})


def outliers(scaled: np.ndarray, simulated: np.ndarray, integer: bool, rng: RRandom,
             alternative: str = "two.sided", margin: str = "both", type: str = "default",
             n_boot: int = 100) -> TestResult:
    """DHARMa's ``testOutliers`` (binomial or bootstrap form, chosen as DHARMa does)."""
    alternative = check_choice(alternative, "alternative", _ALTERNATIVES)
    margin = check_choice(margin, "margin", ("both", "upper", "lower"))
    type = check_choice(type, "type", ("default", "bootstrap", "binomial"))
    res = np.asarray(scaled, dtype=float)
    n_obs = res.size
    sims = np.asarray(simulated, dtype=float)
    n_sim = sims.shape[1]
    if type == "default":
        type = "binomial" if (not integer or n_obs > 500) else "bootstrap"
    if type == "binomial":
        lo, hi = 1.0 / (n_sim + 1), 1.0 - 1.0 / (n_sim + 1)
        count = {"both": int(np.sum(res < lo) + np.sum(res > hi)),
                 "upper": int(np.sum(res > hi)), "lower": int(np.sum(res < lo))}[margin]
        p0 = 1.0 / (n_sim + 1) * (2 if margin == "both" else 1)
        test = stats.binomtest(count, n_obs, p0, alternative=alternative.replace(".", "-"))
        p = float(test.pvalue)
        freq = count / n_obs
        method = "DHARMa outlier test based on exact binomial test with approximate expectations"
        details: dict[str, Any] = {"expected_frequency": p0, "frequency": freq}
        stat = float(count)
    else:
        def freq_of(r: np.ndarray) -> float:
            return {"both": float(np.mean(r == 0) + np.mean(r == 1)),
                    "upper": float(np.mean(r == 1)), "lower": float(np.mean(r == 0))}[margin]

        freq = freq_of(res)
        n_boot = min(int(n_boot), n_sim)
        idx = np.arange(n_sim)
        boot = np.empty(n_boot)
        for i in range(n_boot):
            sel = rng.sample(np.delete(idx, i), n_sim, replace=True)
            boot[i] = freq_of(pit_residuals(sims[:, sel], sims[:, i], rng))
        p = sim_pvalue(boot, freq, alternative)
        p0 = float(np.mean(boot))
        method = "DHARMa bootstrapped outlier test"
        details = {"expected_frequency": p0, "frequency": freq, "bootstrap": boot}
        stat = freq * n_obs
    if p < 0.05:
        text = (f"outlier test {_fmt_p(p)}: {int(round(stat))} residuals beyond all "
                f"simulations ({freq:.3g} of the data, {p0:.3g} expected) -- more extreme "
                "values than the model produces" if freq > p0 else
                f"outlier test {_fmt_p(p)}: fewer outliers ({freq:.3g}) than expected "
                f"({p0:.3g})")
    else:
        text = (f"outlier test {_fmt_p(p)}: {int(round(stat))} residuals beyond all "
                f"simulations, as many as expected ({p0:.3g} of the data)")
    return TestResult("outliers", stat, p, alternative, method, text, details)
