"""The calibration loop shared by the simulated-residual tests (imported by them)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from mixedlab import RRandom
from mixedlab.diagnostics._pit import pit_residuals


def ks_pvalues_under_the_model(fit, nsim: int, reps: int, first_seed: int) -> np.ndarray:
    """KS p-values (against the uniform) of ``reps`` replicate residual sets.

    Replicate ``k`` draws ``nsim + 1`` responses from ``fit`` at its fitted random effects
    (``re_form=None``) with ``RRandom(first_seed + k)``; the first column plays the observed
    data, the other ``nsim`` the simulations, and the same stream randomises the PIT.
    """
    pvals = []
    for rep in range(reps):
        rng = RRandom(first_seed + rep)
        sims = fit.simulate(nsim + 1, seed=rng, re_form=None).to_numpy()
        pvals.append(stats.kstest(pit_residuals(sims[:, 1:], sims[:, 0], rng), "uniform").pvalue)
    return np.asarray(pvals)
