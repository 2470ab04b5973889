"""The grouped data of lesson 4's partial-pooling explorer, from R's random stream.

Shared by the lesson (:func:`mixedlab.lessons.simulate`, one call per slider move) and the
benchmark (its ``explorer`` case times the refit behind each move), so both use the same data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mixedlab.rng._rrandom import RRandom

__all__ = ["simulate_pooling", "POOLING_BETA"]

#: Population intercept and slope (β0, β1): fixed, so that only the variance components move.
POOLING_BETA = (10.0, 2.0)


def simulate_pooling(
    n_groups: int = 20,
    n_per_group: int = 10,
    unbalanced: bool = False,
    intercept_sd: float = 1.0,
    slope_sd: float = 0.5,
    corr: float = -0.4,
    residual_sd: float = 2.0,
    seed: int = 123,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grouped data with correlated random intercepts and slopes, drawn as this R code draws it::

        set.seed(seed)
        sizes <- if (unbalanced) sample(2 * n_per_group - 1, n_groups, replace = TRUE)
                 else rep(n_per_group, n_groups)
        z0 <- rnorm(n_groups); z1 <- rnorm(n_groups)
        u0 <- intercept_sd * z0
        u1 <- slope_sd * (corr * z0 + sqrt(1 - corr^2) * z1)
        g <- rep(seq_len(n_groups), sizes)
        x <- rnorm(sum(sizes))
        y <- 10 + u0[g] + (2 + u1[g]) * x + rnorm(sum(sizes), 0, residual_sd)

    Returns
    -------
    (data, truth)
        ``data`` with columns ``group`` (categorical, levels "g01", "g02", ...), ``x``, ``y``;
        ``truth`` indexed by group with the true ``intercept``, ``slope`` and size ``n``.
    """
    if n_groups < 1 or n_per_group < 1:
        raise ValueError("n_groups and n_per_group must be at least 1")
    if not -1.0 <= corr <= 1.0:
        raise ValueError(f"corr must lie in [-1, 1], got {corr}")
    beta0, beta1 = POOLING_BETA
    rng = RRandom(int(seed))
    if unbalanced and n_per_group > 1:
        sizes = rng.sample(2 * n_per_group - 1, n_groups, replace=True).astype(np.int64)
    else:
        sizes = np.full(n_groups, n_per_group, dtype=np.int64)
    z0 = rng.rnorm(n_groups)
    z1 = rng.rnorm(n_groups)
    u0 = intercept_sd * z0
    u1 = slope_sd * (corr * z0 + math.sqrt(max(0.0, 1.0 - corr**2)) * z1)
    g = np.repeat(np.arange(n_groups), sizes)
    n = int(sizes.sum())
    x = rng.rnorm(n)
    y = (beta0 + u0[g]) + (beta1 + u1[g]) * x
    y = y + rng.rnorm(n, 0.0, residual_sd)
    width = len(str(n_groups))
    levels = [f"g{i + 1:0{width}d}" for i in range(n_groups)]
    data = pd.DataFrame({"group": pd.Categorical.from_codes(g, categories=levels), "x": x, "y": y})
    truth = pd.DataFrame({"intercept": beta0 + u0, "slope": beta1 + u1, "n": sizes},
                         index=pd.Index(levels, name="group"))
    return data, truth
