"""The seed tutorial's simulated designs, rebuilt draw for draw with :class:`RRandom`.

Each function follows the tutorial's R code statement by statement: the same data-frame
layout (``data.frame`` with ``rep`` or ``expand.grid``), the same factor levels, the
same ``rnorm`` calls in the same order, and the same left-to-right sum, so with the
default arguments the result equals the data frame R builds, to the last bit.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from mixedlab.rng._rrandom import RRandom

__all__ = ["simulate_nested", "simulate_crossed"]


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _level_factor(codes: np.ndarray, n_levels: int) -> pd.Categorical:
    """R's ``factor(1:n)[codes]``: levels "1".."n", values given by 1-based codes."""
    labels = [str(i) for i in range(1, n_levels + 1)]
    return pd.Categorical.from_codes(codes - 1, categories=labels)


def simulate_nested(
    seed: int = 123,
    n_schools: int = 5,
    n_students: int = 50,
    *,
    intercept: float = 10.0,
    intercept_sd: float = 1.0,
    slope_mean: float = 2.0,
    slope_sd: float = 0.5,
    residual_sd: float = 1.0,
) -> pd.DataFrame:
    """Students in schools, half control and half treated in every school.

    Mirrors this R code (the seed tutorial's, with its numbers as the defaults)::

        set.seed(seed)
        df_nested <- data.frame(
          school = factor(rep(1:n_schools, each = n_students)),
          treatment = factor(rep(rep(c("control", "treated"), each = n_students/2),
                                 times = n_schools))
        )
        school_intercepts <- rnorm(n_schools, 0, intercept_sd)
        school_slopes <- rnorm(n_schools, slope_mean, slope_sd)
        df_nested$y <- intercept +
          school_intercepts[as.numeric(df_nested$school)] +
          school_slopes[as.numeric(df_nested$school)] * (df_nested$treatment == "treated") +
          rnorm(nrow(df_nested), 0, residual_sd)

    Parameters
    ----------
    seed : int
        ``set.seed`` value.
    n_schools : int
        Number of schools (levels "1".."n_schools").
    n_students : int
        Students per school; must be even (half control, half treated).
    intercept : float
        Mean outcome of a control student (the tutorial's 10).
    intercept_sd : float
        SD of the schools' intercept deviations (mean 0).
    slope_mean, slope_sd : float
        Mean and SD of the schools' treatment effects.
    residual_sd : float
        SD of the student-level noise.

    Returns
    -------
    pandas.DataFrame
        Columns ``school`` (Categorical), ``treatment`` (Categorical, "control" <
        "treated" as levels, unordered), ``y`` (float); ``n_schools * n_students`` rows.

    Examples
    --------
    >>> simulate_nested()["y"].head(2).round(6).tolist()
    [10.663606, 9.799338]
    """
    n_schools = _positive_int(n_schools, "n_schools")
    n_students = _positive_int(n_students, "n_students")
    if n_students % 2:
        raise ValueError(
            f"n_students must be even (half control, half treated per school), got {n_students}"
        )
    rng = RRandom(seed)
    school = np.repeat(np.arange(1, n_schools + 1), n_students)
    treated = np.tile(np.repeat([0.0, 1.0], n_students // 2), n_schools)
    school_intercepts = rng.rnorm(n_schools, 0.0, intercept_sd)
    school_slopes = rng.rnorm(n_schools, slope_mean, slope_sd)
    # R adds left to right: ((intercept + a) + b * t) + e; t is the logical coerced to 0/1.
    y = intercept + school_intercepts[school - 1]
    y = y + school_slopes[school - 1] * treated
    y = y + rng.rnorm(school.size, 0.0, residual_sd)
    return pd.DataFrame({
        "school": _level_factor(school, n_schools),
        "treatment": pd.Categorical.from_codes(treated.astype(np.int64),
                                               categories=["control", "treated"]),
        "y": y,
    })


def simulate_crossed(
    seed: int = 123,
    n_students: int = 40,
    n_raters: int = 6,
    *,
    intercept: float = 50.0,
    intercept_sd: float = 2.0,
    slope_mean: float = 3.0,
    slope_sd: float = 0.7,
    residual_sd: float = 2.0,
) -> pd.DataFrame:
    """Every student scored by every rater, under control and under treatment.

    Mirrors this R code (the seed tutorial's, with its numbers as the defaults)::

        set.seed(seed)
        df_crossed <- expand.grid(
          student = factor(1:n_students),
          rater = factor(1:n_raters),
          treatment = factor(c("control", "treated"))
        )
        rater_intercepts <- rnorm(n_raters, 0, intercept_sd)
        rater_slopes <- rnorm(n_raters, slope_mean, slope_sd)
        df_crossed$score <- intercept +
          rater_intercepts[as.numeric(df_crossed$rater)] +
          rater_slopes[as.numeric(df_crossed$rater)] * (df_crossed$treatment == "treated") +
          rnorm(nrow(df_crossed), 0, residual_sd)

    ``expand.grid`` varies the first factor fastest: student 1..n_students for rater
    1 under control, then rater 2, ..., then all of that again under treatment.

    Parameters
    ----------
    seed : int
        ``set.seed`` value.
    n_students : int
        Number of students (levels "1".."n_students").
    n_raters : int
        Number of raters (levels "1".."n_raters").
    intercept : float
        Mean control score (the tutorial's 50).
    intercept_sd : float
        SD of the raters' intercept deviations (mean 0).
    slope_mean, slope_sd : float
        Mean and SD of the raters' treatment effects.
    residual_sd : float
        SD of the score noise.

    Returns
    -------
    pandas.DataFrame
        Columns ``student``, ``rater``, ``treatment`` (Categoricals) and ``score``
        (float); ``n_students * n_raters * 2`` rows.

    Examples
    --------
    >>> simulate_crossed()["score"].head(2).round(5).tolist()
    [49.68059, 49.10041]
    """
    n_students = _positive_int(n_students, "n_students")
    n_raters = _positive_int(n_raters, "n_raters")
    rng = RRandom(seed)
    student = np.tile(np.arange(1, n_students + 1), n_raters * 2)
    rater = np.tile(np.repeat(np.arange(1, n_raters + 1), n_students), 2)
    treated = np.repeat([0.0, 1.0], n_students * n_raters)
    rater_intercepts = rng.rnorm(n_raters, 0.0, intercept_sd)
    rater_slopes = rng.rnorm(n_raters, slope_mean, slope_sd)
    score = intercept + rater_intercepts[rater - 1]
    score = score + rater_slopes[rater - 1] * treated
    score = score + rng.rnorm(student.size, 0.0, residual_sd)
    return pd.DataFrame({
        "student": _level_factor(student, n_students),
        "rater": _level_factor(rater, n_raters),
        "treatment": pd.Categorical.from_codes(treated.astype(np.int64),
                                               categories=["control", "treated"]),
        "score": score,
    })
