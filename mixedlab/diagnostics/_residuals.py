"""``simulate_residuals``: DHARMa's simulated (quantile) residuals for mixedlab fits.

DHARMa 0.5 ``simulateResiduals(fittedModel, n = 250, seed = 123)`` does, in this order:

1. ``set.seed(123)`` (and restores the caller's stream afterwards);
2. ``simulate(fittedModel, nsim = n, re.form = NULL)`` -- conditional on the fitted
   random effects by default (``simulateREs = "conditional"``; ``"unconditional"`` uses
   ``re.form = NA``, new random effects in every simulation);
3. the PIT residuals (:mod:`mixedlab.diagnostics._pit`), whose randomisation uniforms come
   from the same stream, right after the simulations.

Here the stream is an :class:`~mixedlab.RRandom` seeded with ``seed``, and the model's
``simulate`` is R-identical, so with equal parameters the simulations and the residuals
are DHARMa's. Nothing global is touched, so there is nothing to restore.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from mixedlab._arguments import check_choice, check_int
from mixedlab._errors import FitMessage
from mixedlab.diagnostics import _tests
from mixedlab.diagnostics._adapters import ResponseInfo, response_info
from mixedlab.diagnostics._pit import pit_residuals
from mixedlab.diagnostics._tests import TestResult
from mixedlab.rng import RRandom

__all__ = ["SimulatedResiduals", "simulate_residuals"]

_WEIGHTS_WARNING = ("Model was fit with prior weights. These will be ignored in the "
                    "simulation. (DHARMa's warning; see the simulate docstring)")


class SimulatedResiduals:
    """Simulated residuals of a fitted model (DHARMa's ``DHARMa`` object).

    Attributes
    ----------
    scaled : numpy.ndarray
        The scaled residuals in [0, 1]: the PIT of each observation among its simulations,
        randomised between the simulations' ECDF just below and at the observation for
        integer responses. Uniform when the model is right.
    simulated : numpy.ndarray, shape (n_obs, n_sim)
        The simulated responses (binomial: successes).
    observed : numpy.ndarray
        The observed response (binomial: successes).
    fitted : numpy.ndarray
        Population-level predicted responses (DHARMa's ``fittedPredictedResponse``).
    integer : bool
        Whether the response is treated as integer-valued.
    conditional : bool
        Whether the simulations kept the fitted random effects (``re.form = NULL``).
    n_sim, n_obs, seed, family
    """

    def __init__(self, info: ResponseInfo, simulated: np.ndarray, scaled: np.ndarray,
                 seed: int, conditional: bool, rng: RRandom) -> None:
        self.observed = info.observed
        self.fitted = info.fitted
        self.family = info.family
        self.integer = info.integer
        self.simulated = simulated
        self.scaled = scaled
        self.seed = seed
        self.conditional = conditional
        self.n_obs, self.n_sim = simulated.shape
        self._rng = rng  # continues the stream after the residuals (outlier bootstrap)

    # --- tests --------------------------------------------------------------------------
    def test_uniformity(self, alternative: str = "two.sided") -> TestResult:
        """Kolmogorov-Smirnov test of the scaled residuals against U(0, 1) (``testUniformity``)."""
        return _tests.uniformity(self.scaled, alternative)

    def test_dispersion(self, alternative: str = "two.sided") -> TestResult:
        """DHARMa's simulation-based dispersion test (``testDispersion``, type "DHARMa").

        The statistic is var(y - fitted) over var(all simulations), observed divided by
        its mean over the simulations: > 1 overdispersion, < 1 underdispersion.
        """
        return _tests.dispersion(self.observed, self.simulated, self.fitted, alternative)

    def test_zero_inflation(self, alternative: str = "two.sided") -> TestResult:
        """Observed zeros against the simulations' zeros (``testZeroInflation``); ratio > 1
        means more zeros than the model expects."""
        return _tests.zero_inflation(self.observed, self.simulated, alternative)

    def test_outliers(self, alternative: str = "two.sided", margin: str = "both",
                      type: str = "default", n_boot: int = 100) -> TestResult:
        """Residuals outside the range of all simulations (``testOutliers``).

        ``type="default"`` is DHARMa's choice: the binomial test for continuous responses
        or more than 500 observations, else the bootstrap (which draws from this object's
        stream, continuing after the residuals).
        """
        return _tests.outliers(self.scaled, self.simulated, self.integer, self._rng,
                               alternative, margin, type, n_boot)

    def test_quantiles(self, quantiles: tuple[float, ...] = (0.25, 0.5, 0.75)):
        """Quantile curves of the residuals against rank-transformed predictions.

        Returns ``(curves, pvalue)``: a :class:`~mixedlab.diagnostics._quantiles.QuantileCurve`
        per quantile (each with its BH-adjusted p-value of "flat at q") and the smallest.
        """
        from mixedlab.diagnostics._quantiles import quantile_curves, rank_transform

        return quantile_curves(rank_transform(self.fitted), self.scaled, tuple(quantiles))

    def plot(self, title: str = "DHARMa residual"):
        """DHARMa's two-panel plot as a matplotlib Figure (needs the ``diagnostics`` extra).

        Left: QQ plot of the scaled residuals against U(0, 1) with the KS, dispersion and
        outlier tests (red when p < 0.05). Right: residuals against rank-transformed
        population predictions with the 0.25/0.5/0.75 quantile curves (red when they depart
        from flat) and the dashed lines where they should lie.
        """
        from mixedlab.diagnostics._plot import residual_plot

        return residual_plot(self, title)

    def __repr__(self) -> str:
        kind = "conditional" if self.conditional else "unconditional"
        return (f"<SimulatedResiduals: {self.n_obs} observations x {self.n_sim} {kind} "
                f"simulations, {self.family}, seed {self.seed}>")


def simulate_residuals(fit: Any, n: int = 250, seed: int = 123,
                       simulate_re: str = "conditional") -> SimulatedResiduals:
    """Simulated quantile residuals of a fitted model, as DHARMa's ``simulateResiduals``.

    Parameters
    ----------
    fit : LmerFit, GlmerFit or TmbFit
        A fitted mixedlab model.
    n : int
        Number of simulations per observation (DHARMa's default 250).
    seed : int
        R's ``set.seed`` before simulating (DHARMa's default 123); the residuals are
        reproducible and, with R's parameters, DHARMa's.
    simulate_re : {"conditional", "unconditional"}
        ``"conditional"`` (the default, as DHARMa >= 0.5) keeps the fitted random effects
        and simulates new observations around them (``re.form = NULL``): residuals then
        check the conditional distribution of each observation. ``"unconditional"`` draws
        new random effects for every simulation (``re.form = NA``, DHARMa <= 0.4 for
        lme4): residuals check the marginal distribution, including the random-effect
        variances, but observations of a group are then correlated.

    Returns
    -------
    SimulatedResiduals

    Warns
    -----
    UserWarning
        The model has prior weights, which the simulation does not use (as DHARMa).
    """
    n = check_int(n, "n", minimum=2)
    seed = check_int(seed, "seed")
    simulate_re = check_choice(simulate_re, "simulate_re", ("conditional", "unconditional"))
    info = response_info(fit)
    if info.weights_ignored:
        warnings.warn(_WEIGHTS_WARNING, UserWarning, stacklevel=2)
    conditional = simulate_re == "conditional"
    if conditional and not info.conditional_available:
        warnings.warn("Conditional simulations are not available for this model class; "
                      "falling back to unconditional simulations (as DHARMa does).",
                      FitMessage, stacklevel=2)
        conditional = False
    rng = RRandom(seed)
    simulated = np.asarray(info.simulate(n, rng, conditional), dtype=float)
    if not np.isfinite(simulated).all():
        raise FloatingPointError("simulations from the model contain NaN or infinite values; "
                                 "DHARMa cannot compute residuals from them")
    scaled = pit_residuals(simulated, info.observed, rng)
    return SimulatedResiduals(info, simulated, scaled, seed, conditional, rng)
