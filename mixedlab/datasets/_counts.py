"""The counts explorer's grouped counts (lesson 10): Poisson or negative binomial, with extra zeros.

Each redraw of :class:`mixedlab.lessons.CountsExplorer` calls :func:`simulate_counts`; the
draws come from R's stream (:class:`mixedlab.RRandom`), so :func:`counts_r_code` gives the same
data frame in R, bit for bit. ``exp`` is the C library's (:mod:`mixedlab.rng._libm`), as R's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mixedlab.rng._libm import exp as libm_exp
from mixedlab.rng._rrandom import RRandom

__all__ = ["simulate_counts", "counts_r_code", "COUNTS_INTERCEPT"]

#: The log of the mean count of a typical group (β0): fixed, so that only the sliders' parameters move.
COUNTS_INTERCEPT = 1.0

_R_CODE = """\
set.seed({seed})
n_groups <- {n_groups}; n_per_group <- {n_per_group}
group_sd <- {group_sd}; overdispersion <- {overdispersion}; zi_prob <- {zi_prob}
u <- rnorm(n_groups, mean = 0, sd = group_sd)        # each group's shift in log mean
g <- rep(seq_len(n_groups), each = n_per_group)
group <- factor(sprintf("g%02d", g))
mu <- exp({intercept} + u[g])
count <- if (overdispersion > 0) rnbinom(length(mu), size = 1 / overdispersion, mu = mu) else rpois(length(mu), mu)
structural_zero <- rbinom(length(mu), size = 1, prob = zi_prob)   # zero inflation
count[structural_zero == 1] <- 0
df_counts <- data.frame(group, count)
"""


def _r_number(x: float) -> str:
    """A double as R reads it back exactly (17 significant digits)."""
    return repr(float(x))


def counts_r_code(n_groups: int = 20, n_per_group: int = 10, group_sd: float = 0.5,
                  overdispersion: float = 0.3, zi_prob: float = 0.3, seed: int = 2024) -> str:
    """The R code that draws :func:`simulate_counts`'s data frame (as ``df_counts``)."""
    return _R_CODE.format(seed=int(seed), n_groups=int(n_groups), n_per_group=int(n_per_group),
                          group_sd=_r_number(group_sd), overdispersion=_r_number(overdispersion),
                          zi_prob=_r_number(zi_prob), intercept=_r_number(COUNTS_INTERCEPT))


def simulate_counts(n_groups: int = 20, n_per_group: int = 10, group_sd: float = 0.5,
                    overdispersion: float = 0.3, zi_prob: float = 0.3, seed: int = 2024) -> pd.DataFrame:
    """Grouped counts with a random intercept per group, overdispersion and structural zeros.

    Group ``j`` has log mean ``1 + u_j`` with ``u_j ~ N(0, group_sd^2)``. A count is negative
    binomial with that mean and ``size = 1 / overdispersion`` (variance ``mu + overdispersion
    * mu^2``, glmmTMB's ``nbinom2``), or Poisson when ``overdispersion`` is 0; then, with
    probability ``zi_prob``, it is replaced by a structural zero. The draws are R's for
    :func:`counts_r_code` with the same arguments.

    Parameters
    ----------
    n_groups, n_per_group : int
        Number of groups (1 to 99) and observations per group (at least 1).
    group_sd : float
        Standard deviation of the groups' log means, >= 0.
    overdispersion : float
        ``1 / size`` of the negative binomial, >= 0 (0: Poisson counts).
    zi_prob : float
        Probability of a structural zero, in [0, 1].
    seed : int
        R's ``set.seed``.

    Returns
    -------
    pandas.DataFrame
        ``group`` (categorical "g01", "g02", ...) and ``count`` (whole numbers as float).

    Raises
    ------
    ValueError
        A setting outside the ranges above.
    """
    if not 1 <= int(n_groups) <= 99 or int(n_per_group) < 1:
        raise ValueError(f"n_groups must lie in 1..99 and n_per_group be at least 1, got "
                         f"{n_groups} and {n_per_group}")
    for name, value in (("group_sd", group_sd), ("overdispersion", overdispersion)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    if not 0.0 <= zi_prob <= 1.0:
        raise ValueError(f"zi_prob must lie in [0, 1], got {zi_prob}")
    n_groups, n_per_group = int(n_groups), int(n_per_group)
    rng = RRandom(int(seed))
    u = rng.rnorm(n_groups, 0.0, float(group_sd))
    g = np.repeat(np.arange(n_groups), n_per_group)
    n = g.size
    mu = libm_exp(COUNTS_INTERCEPT + u[g])
    if overdispersion > 0:
        count = rng.rnbinom(n, size=1.0 / overdispersion, mu=mu)
    else:
        count = rng.rpois(n, mu)
    structural_zero = rng.rbinom(n, 1, float(zi_prob))
    count = np.where(structural_zero == 1, 0.0, count)
    levels = [f"g{j + 1:02d}" for j in range(n_groups)]
    return pd.DataFrame({"group": pd.Categorical.from_codes(g, categories=levels), "count": count})
