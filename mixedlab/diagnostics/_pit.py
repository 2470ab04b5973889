"""DHARMa's scaled residuals: the probability integral transform of each observation against
its simulations, randomised where the simulations tie with it (DHARMa 0.5 ``getQuantile``,
method ``"PIT"``).

For observation i with simulations s_i1..s_in::

    lower_i        = mean(s_ij <  y_i)
    lowerOrEqual_i = mean(s_ij <= y_i)
    r_i = runif(1, lower_i, lowerOrEqual_i)   if lower_i != lowerOrEqual_i, else lower_i

so r_i lies in [lower_i, lowerOrEqual_i]: between the empirical CDF of the simulations just
below y_i and at y_i. For continuous responses the two are equal and no uniform is drawn;
for counts the uniform spreads the probability mass of ties (Dunn & Smyth 1996), which
makes the residuals uniform under the model. R's ``runif(n, lower, lowerOrEqual)`` draws
only where ``lower < lowerOrEqual`` (equal bounds take no random number), and so does
:meth:`mixedlab.RRandom.runif`, so the same stream gives DHARMa's values.
"""

from __future__ import annotations

import numpy as np

from mixedlab.rng import RRandom

__all__ = ["pit_bounds", "pit_residuals"]


def pit_bounds(simulated: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, lowerOrEqual)``: the share of simulations below / at most each observation.

    Parameters
    ----------
    simulated : numpy.ndarray, shape (n_obs, n_sim)
    observed : numpy.ndarray, shape (n_obs,)
    """
    sims = np.asarray(simulated, dtype=float)
    obs = np.asarray(observed, dtype=float)[:, None]
    n_sim = sims.shape[1]
    # rowMeans: the row sum divided by n in long double, then rounded to double (array.c)
    n = np.longdouble(n_sim)
    lower = ((sims < obs).sum(axis=1).astype(np.longdouble) / n).astype(np.float64)
    lower_eq = ((sims <= obs).sum(axis=1).astype(np.longdouble) / n).astype(np.float64)
    return lower, lower_eq


def pit_residuals(simulated: np.ndarray, observed: np.ndarray, rng: RRandom) -> np.ndarray:
    """DHARMa's PIT residuals, drawing the randomisation uniforms from ``rng``."""
    lower, lower_eq = pit_bounds(simulated, observed)
    needs = lower != lower_eq
    if not needs.any():
        return lower
    # runif(length(lower), lower, lowerOrEqual): a draw only where the bounds differ
    return np.where(needs, rng.runif(lower.size, lower, lower_eq), lower)
