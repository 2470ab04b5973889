"""Lesson 8's proportions: the share of class time students spend on task, from R's stream.

The R code of :func:`on_task_r_code` draws the same data in R, bit for bit. R's ``rbeta``
(Cheng's algorithms) has no port here, so a beta draw is made the textbook way, as
``g1 / (g1 + g2)`` of two gamma draws with shapes ``mu * phi`` and ``(1 - mu) * phi``: R's
``rgamma`` and :meth:`mixedlab.RRandom.rgamma` give the same numbers, and ``plogis`` uses the
C library's ``exp`` as R does (nmath/plogis.c: ``1 / (1 + exp(-x))``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mixedlab.rng._libm import exp as libm_exp
from mixedlab.rng._rrandom import RRandom

__all__ = ["simulate_on_task", "on_task_r_code", "ON_TASK_TRUTH"]

#: The true values: log-odds intercept and slope per minute of practice, class SD, and the
#: precision φ of in-person and online lessons.
ON_TASK_TRUTH = {"(Intercept)": -0.4, "practice": 0.15, "class SD": 0.5,
                 "phi in_person": 30.0, "phi online": 8.0}

_R_CODE = """\
set.seed({seed})
n_classes <- 30
n_lessons <- 10
n <- n_classes * n_lessons
class <- factor(sprintf("c%02d", rep(seq_len(n_classes), each = n_lessons)))
setting <- factor(rep(c("in_person", "online"), each = n_lessons, length.out = n))
u <- rnorm(n_classes, mean = 0, sd = 0.5)  # each class's shift in log-odds
practice <- runif(n, min = 0, max = 10)    # minutes of active practice
mu <- plogis(-0.4 + 0.15 * practice + u[class])
phi <- ifelse(setting == "online", 8, 30)  # precision: online lessons vary more
g1 <- rgamma(n, shape = mu * phi)
g2 <- rgamma(n, shape = (1 - mu) * phi)
df_task <- data.frame(class, setting, practice, on_task = g1 / (g1 + g2))
"""


def on_task_r_code(seed: int = 808) -> str:
    """The R code that draws :func:`simulate_on_task`'s data frame (as ``df_task``)."""
    return _R_CODE.format(seed=int(seed))


def simulate_on_task(seed: int = 808) -> pd.DataFrame:
    """The share of lesson time on task in 30 classes × 10 lessons; R's data for the same seed.

    Each class shifts the log-odds of the mean share by ``u ~ N(0, 0.5^2)``; a lesson with
    ``practice`` minutes of active practice (uniform on 0–10) has mean share
    ``plogis(-0.4 + 0.15 * practice + u)`` and a beta distribution with precision φ = 30 in
    person and 8 online (odd classes are taught in person, even ones online).

    Returns
    -------
    pandas.DataFrame
        ``class`` (categorical "c01".."c30"), ``setting`` (categorical ``in_person``,
        ``online``), ``practice`` and ``on_task`` (in (0, 1)).
    """
    t = ON_TASK_TRUTH
    n_classes, n_lessons = 30, 10
    n = n_classes * n_lessons
    rng = RRandom(int(seed))
    codes = np.repeat(np.arange(n_classes), n_lessons)
    online = codes % 2 == 1
    u = rng.rnorm(n_classes, 0.0, t["class SD"])
    practice = rng.runif(n, 0.0, 10.0)
    # R evaluates -0.4 + 0.15 * practice + u[class] left to right
    eta = (t["(Intercept)"] + t["practice"] * practice) + u[codes]
    mu = 1.0 / (1.0 + libm_exp(-eta))                                   # plogis(eta)
    phi = np.where(online, t["phi online"], t["phi in_person"])
    g1 = rng.rgamma(n, shape=mu * phi)
    g2 = rng.rgamma(n, shape=(1.0 - mu) * phi)
    levels = [f"c{j + 1:02d}" for j in range(n_classes)]
    return pd.DataFrame({
        "class": pd.Categorical.from_codes(codes, categories=levels),
        "setting": pd.Categorical.from_codes(online.astype(int), categories=["in_person", "online"]),
        "practice": practice,
        "on_task": g1 / (g1 + g2),
    })
