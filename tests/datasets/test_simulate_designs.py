"""The tutorial's simulated designs: equal to the data frames R builds from its code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab.datasets import simulate_crossed, simulate_nested

# R code of the seed tutorial, with its constants replaced by named parameters.
NESTED_R = """
set.seed({seed})
n_schools <- {n_schools}
n_students <- {n_students}
df_nested <- data.frame(
school = factor(rep(1:n_schools, each = n_students)),
treatment = factor(rep(rep(c("control","treated"), each = n_students/2), times = n_schools))
)
school_intercepts <- rnorm(n_schools, 0, {intercept_sd!r})
school_slopes <- rnorm(n_schools, {slope_mean!r}, {slope_sd!r})
df_nested$y <- {intercept!r} +
school_intercepts[as.numeric(df_nested$school)] +
school_slopes[as.numeric(df_nested$school)] * (df_nested$treatment == "treated") +
rnorm(nrow(df_nested), 0, {residual_sd!r})
df_nested
"""

CROSSED_R = """
set.seed({seed})
n_students <- {n_students}
n_raters <- {n_raters}
df_crossed <- expand.grid(
student = factor(1:n_students),
rater = factor(1:n_raters),
treatment = factor(c("control","treated"))
)
rater_intercepts <- rnorm(n_raters, 0, {intercept_sd!r})
rater_slopes <- rnorm(n_raters, {slope_mean!r}, {slope_sd!r})
df_crossed$score <- {intercept!r} +
rater_intercepts[as.numeric(df_crossed$rater)] +
rater_slopes[as.numeric(df_crossed$rater)] * (df_crossed$treatment == "treated") +
rnorm(nrow(df_crossed), 0, {residual_sd!r})
df_crossed
"""

NESTED_DEFAULTS = dict(seed=123, n_schools=5, n_students=50, intercept=10.0,
                       intercept_sd=1.0, slope_mean=2.0, slope_sd=0.5, residual_sd=1.0)
CROSSED_DEFAULTS = dict(seed=123, n_students=40, n_raters=6, intercept=50.0,
                        intercept_sd=2.0, slope_mean=3.0, slope_sd=0.7, residual_sd=2.0)


def test_nested_head_matches_the_tutorial_print() -> None:
    df = simulate_nested()
    assert list(df.columns) == ["school", "treatment", "y"]
    assert df.shape == (250, 3)
    # head(df_nested) in the tutorial (6 significant decimals as R printed them)
    assert df["y"].head(6).round(6).tolist() == [
        10.663606, 9.799338, 9.840296, 9.550207, 8.883683, 11.226437]
    assert df["school"].cat.categories.tolist() == ["1", "2", "3", "4", "5"]
    assert df["treatment"].cat.categories.tolist() == ["control", "treated"]
    assert (df["school"].head(10) == "1").all() and (df["treatment"].head(10) == "control").all()


def test_crossed_head_matches_the_tutorial_print() -> None:
    df = simulate_crossed()
    assert list(df.columns) == ["student", "rater", "treatment", "score"]
    assert df.shape == (480, 4)
    assert df["score"].head(6).round(5).tolist() == [
        49.68059, 49.10041, 47.76737, 52.45287, 49.87475, 44.94581]
    assert df["student"].cat.categories.tolist() == [str(i) for i in range(1, 41)]
    assert df["rater"].cat.categories.tolist() == [str(i) for i in range(1, 7)]
    assert df["student"].head(10).tolist() == [str(i) for i in range(1, 11)]
    assert (df["rater"].head(10) == "1").all()


def test_odd_students_per_school_is_rejected() -> None:
    with pytest.raises(ValueError, match="n_students must be even"):
        simulate_nested(n_students=5)
    with pytest.raises(ValueError, match="n_raters must be a positive integer"):
        simulate_crossed(n_raters=0)


def _assert_frame_equals_r(df: pd.DataFrame, ro, code: str) -> None:
    ro.r(f"mixedlab_sim <- local({{{code}}})")
    assert list(df.columns) == list(ro.r("names(mixedlab_sim)"))
    assert len(df) == int(ro.r("nrow(mixedlab_sim)")[0])
    for col in df.columns:
        ref = f'mixedlab_sim[["{col}"]]'
        if bool(ro.r(f"is.factor({ref})")[0]):
            assert df[col].cat.categories.tolist() == list(ro.r(f"levels({ref})")), col
            assert df[col].astype(str).tolist() == list(ro.r(f"as.character({ref})")), col
        else:
            assert np.array_equal(df[col].to_numpy(), np.asarray(ro.r(ref))), col


NESTED_VARIANTS = [
    {},
    dict(seed=-1, n_schools=8, n_students=10),
    dict(seed=2**31 - 1, n_schools=3, n_students=4, intercept=3.5, intercept_sd=0.25,
         slope_mean=-1.0, slope_sd=2.0, residual_sd=0.1),
]
CROSSED_VARIANTS = [
    {},
    dict(seed=0, n_students=7, n_raters=3),
    dict(seed=42, n_students=25, n_raters=9, intercept=12.0, intercept_sd=0.5,
         slope_mean=0.0, slope_sd=1.5, residual_sd=3.0),
]


@pytest.mark.parametrize("variant", NESTED_VARIANTS)
def test_nested_equals_r(r_session, variant: dict) -> None:
    params = {**NESTED_DEFAULTS, **variant}
    _assert_frame_equals_r(simulate_nested(**params), r_session, NESTED_R.format(**params))


@pytest.mark.parametrize("variant", CROSSED_VARIANTS)
def test_crossed_equals_r(r_session, variant: dict) -> None:
    params = {**CROSSED_DEFAULTS, **variant}
    _assert_frame_equals_r(simulate_crossed(**params), r_session, CROSSED_R.format(**params))
