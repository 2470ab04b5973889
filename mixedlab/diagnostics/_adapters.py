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
from mixedlab.results import LmerFit
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


def response_info(fit: object) -> ResponseInfo:
    """The :class:`ResponseInfo` of a fitted mixedlab model.

    Raises
    ------
    ArgumentError
        ``fit`` is not a fitted mixedlab model.
    """
    if isinstance(fit, LmerFit):
        return _lmer(fit)
    raise ArgumentError(
        f"simulate_residuals needs a fitted mixedlab model (from mixedlab.lmer), not "
        f"{type(fit).__name__}"
    )
