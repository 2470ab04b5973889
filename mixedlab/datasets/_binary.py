"""Lesson 5's pass/fail data: students in schools, drawn from R's random stream.

The R code in :data:`PASS_FAIL_R_CODE` draws the same data in R, bit for bit: every random
number comes from :class:`mixedlab.RRandom` in R's order, and the one transcendental step
(``plogis``, which R computes as ``1 / (1 + exp(-x))``, nmath/plogis.c) uses the C library's
``exp`` (:mod:`mixedlab.rng._libm`), as R does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mixedlab.rng._libm import exp as libm_exp
from mixedlab.rng._rrandom import RRandom

__all__ = ["simulate_pass_fail", "pass_fail_r_code", "PASS_FAIL_TRUTH"]

#: The true values of the simulation: intercept and slope on the log-odds scale, school SD.
PASS_FAIL_TRUTH = {"(Intercept)": -2.0, "hours": 0.4, "school SD": 1.5}

_R_CODE = """\
set.seed({seed})
n_schools <- {n_schools}
n_students <- {n_students}
school <- factor(sprintf("s%02d", rep(seq_len(n_schools), each = n_students)))
u <- rnorm(n_schools, mean = 0, sd = {school_sd})  # each school's shift in log-odds
hours <- sample(0:10, n_schools * n_students, replace = TRUE)
eta <- {intercept} + {slope} * hours + u[school]  # log-odds of passing
pass <- rbinom(n_schools * n_students, size = 1, prob = plogis(eta))
df_pass <- data.frame(school, hours, pass)
"""


def pass_fail_r_code(seed: int = 2025, n_schools: int = 40, n_students: int = 25,
                     school_sd: float = PASS_FAIL_TRUTH["school SD"]) -> str:
    """The R code that draws :func:`simulate_pass_fail`'s data frame (as ``df_pass``)."""
    t = PASS_FAIL_TRUTH
    return _R_CODE.format(seed=int(seed), n_schools=int(n_schools), n_students=int(n_students),
                          school_sd=_r_num(school_sd), intercept=_r_num(t["(Intercept)"]),
                          slope=_r_num(t["hours"]))


def _r_num(x: float) -> str:
    return repr(float(x)).removesuffix(".0") if float(x).is_integer() else repr(float(x))


def simulate_pass_fail(seed: int = 2025, n_schools: int = 40, n_students: int = 25,
                       school_sd: float = PASS_FAIL_TRUTH["school SD"]) -> pd.DataFrame:
    """Pass (1) or fail (0) of students in schools, with hours of study; R's data for the same seed.

    Each school ``j`` shifts the log-odds of passing by ``u_j ~ N(0, school_sd^2)``; a
    student's log-odds are ``-2 + 0.4 * hours + u_j`` with ``hours`` drawn from 0, 1, ..., 10.
    The data frame equals R's ``df_pass`` from :func:`pass_fail_r_code` (same arguments).

    Parameters
    ----------
    seed : int
        ``set.seed(seed)``.
    n_schools, n_students : int
        Number of schools and students per school (at most 99 schools: labels "s01".."s99").
    school_sd : float
        Standard deviation of the schools' shifts on the log-odds scale (1.5).

    Returns
    -------
    pandas.DataFrame
        Columns ``school`` (categorical, levels "s01", "s02", ...), ``hours`` and ``pass``
        (integers, as R's ``sample`` and ``rbinom`` give them).
    """
    n_schools, n_students = int(n_schools), int(n_students)
    if not 1 <= n_schools <= 99 or n_students < 1:
        raise ValueError("n_schools must be between 1 and 99 and n_students at least 1")
    if not school_sd >= 0:
        raise ValueError(f"school_sd must be 0 or more, not {school_sd}")
    t = PASS_FAIL_TRUTH
    n = n_schools * n_students
    rng = RRandom(int(seed))
    u = rng.rnorm(n_schools, 0.0, float(school_sd))
    hours = rng.sample(11, n, replace=True).astype(np.int64) - 1      # sample(0:10, n, TRUE)
    codes = np.repeat(np.arange(n_schools), n_students)
    # R evaluates -2 + 0.4 * hours + u[school] left to right: (-2 + 0.4*hours) + u
    eta = (t["(Intercept)"] + t["hours"] * hours.astype(float)) + u[codes]
    prob = 1.0 / (1.0 + libm_exp(-eta))                                 # plogis(eta)
    passed = rng.rbinom(n, 1, prob).astype(np.int64)
    levels = [f"s{j + 1:02d}" for j in range(n_schools)]
    return pd.DataFrame({"school": pd.Categorical.from_codes(codes, categories=levels),
                         "hours": hours, "pass": passed})
