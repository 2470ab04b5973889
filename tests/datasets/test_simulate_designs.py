"""The tutorial's simulated designs: equal to the data frames R builds from its code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab.datasets import simulate_crossed, simulate_nested

from mixedlab.datasets._tutorial_r import CROSSED_DEFAULTS, NESTED_DEFAULTS, tutorial_r_code

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
    _assert_frame_equals_r(simulate_nested(**params), r_session, tutorial_r_code("nested", **params) + "df_nested")


@pytest.mark.parametrize("variant", CROSSED_VARIANTS)
def test_crossed_equals_r(r_session, variant: dict) -> None:
    params = {**CROSSED_DEFAULTS, **variant}
    _assert_frame_equals_r(simulate_crossed(**params), r_session, tutorial_r_code("crossed", **params) + "df_crossed")
