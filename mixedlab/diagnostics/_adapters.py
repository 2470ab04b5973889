"""What simulated residuals need from a fitted model, for each fit class.

DHARMa reads a model through a few wrappers (``R/compatibility.R``): the observed response
(for binomial k/n data the successes), the population-level fitted response
(``predict(type = "response", re.form = ~0)``), the family, and ``n`` simulations --
conditional on the fitted random effects (``re.form = NULL``; DHARMa >= 0.5's default) or
unconditional (``re.form = NA``). Binomial simulations are counts of successes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mixedlab._errors import ArgumentError
from mixedlab.results import GlmerFit, LmerFit, TmbFit
from mixedlab.rng import RRandom

__all__ = ["ResponseInfo", "response_info", "INTEGER_FAMILIES"]

#: Families whose responses DHARMa treats as integers (``simulateResiduals``).
INTEGER_FAMILIES = ("binomial", "poisson", "nbinom1", "nbinom2", "genpois", "compois",
                    "truncated_poisson", "truncated_nbinom1", "truncated_nbinom2",
                    "betabinomial", "negative.binomial")


@dataclass
class ResponseInfo:
    """A fitted model as simulated residuals see it.

    Attributes
    ----------
    observed : numpy.ndarray
        The response (successes for binomial counts).
    fitted : numpy.ndarray
        Population-level predictions on the response scale (counts for binomial counts).
    family : str
    integer : bool
        Whether the response is integer-valued (PIT randomisation applies).
    weights_ignored : bool
        The model has prior weights that the simulation does not use (DHARMa warns).
    simulate : callable
        ``simulate(n, rng, conditional)`` -> array (n_obs, n).
    conditional_available : bool
        Whether the model class can simulate conditionally on its random effects.
    """

    observed: np.ndarray
    fitted: np.ndarray
    family: str
    integer: bool
    weights_ignored: bool
    simulate: Callable[[int, RRandom, bool], np.ndarray]
    conditional_available: bool = True


def _lmer(fit: LmerFit) -> ResponseInfo:
    def simulate(n: int, rng: RRandom, conditional: bool) -> np.ndarray:
        re_form = None if conditional else "NA"
        return fit.simulate(n, seed=rng, re_form=re_form).to_numpy()

    return ResponseInfo(observed=np.asarray(fit._model.y, dtype=float),
                        fitted=np.asarray(fit.predict(re_form="~0"), dtype=float),
                        family="gaussian", integer=False,
                        weights_ignored=fit._model.weights is not None, simulate=simulate)


def _glmer(fit: GlmerFit) -> ResponseInfo:
    model = fit._model
    fam = fit.family.name
    y = np.asarray(model.y, dtype=float)
    prior = None if model.weights is None else np.asarray(model.weights, dtype=float)
    # DHARMa's getObservedResponse / getSimulations for binomial: counts of successes --
    # a cbind response gives its first column, a proportion is multiplied by its weights
    scale = prior if (fam == "binomial" and prior is not None and model.y2 is None) else None
    observed = y * scale if scale is not None else y

    def simulate(n: int, rng: RRandom, conditional: bool) -> np.ndarray:
        sims = fit.simulate(n, seed=rng, re_form=None if conditional else "NA").to_numpy()
        return sims * scale[:, None] if scale is not None else sims

    return ResponseInfo(observed=observed,
                        fitted=np.asarray(fit.predict(re_form="~0", type="response"), dtype=float),
                        family=fam, integer=fam in INTEGER_FAMILIES,
                        weights_ignored=prior is not None, simulate=simulate)


def _tmb(fit: TmbFit) -> ResponseInfo:
    data = fit._model.data
    fam = fit.family.name
    binomial = fam in ("binomial", "betabinomial")

    def simulate(n: int, rng: RRandom, conditional: bool) -> np.ndarray:
        # counts of successes for binomial responses, as DHARMa takes glmmTMB's first column
        return fit.simulate(n, seed=rng, re_form=None if conditional else "NA").to_numpy()

    return ResponseInfo(observed=np.asarray(data.y, dtype=float),
                        fitted=np.asarray(fit.predict(type="response", re_form="~0"), dtype=float),
                        family=fam, integer=fam in INTEGER_FAMILIES or fam.startswith("truncated"),
                        weights_ignored=data.weights is not None and not binomial,
                        simulate=simulate)


def response_info(fit: object) -> ResponseInfo:
    """The :class:`ResponseInfo` of a fitted mixedlab model.

    Raises
    ------
    ArgumentError
        ``fit`` is not a fitted mixedlab model.
    """
    if isinstance(fit, LmerFit):
        return _lmer(fit)
    if isinstance(fit, GlmerFit):
        return _glmer(fit)
    if isinstance(fit, TmbFit):
        return _tmb(fit)
    raise ArgumentError(
        f"simulate_residuals needs a fitted mixedlab model (from mixedlab.lmer, glmer, glmer_nb "
        f"or glmmtmb), not "
        f"{type(fit).__name__}"
    )
