"""Lesson 5's pass/fail data equal R's, drawn by the R code that comes with them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab.datasets import pass_fail_r_code, simulate_pass_fail, simulated_dataset


@pytest.mark.parametrize("args", [{}, {"seed": 7, "n_schools": 12, "n_students": 9, "school_sd": 0.3},
                                  {"seed": -1, "school_sd": 0.0}])
def test_pass_fail_equals_r_bit_for_bit(r_session, args):
    ro = r_session
    df = simulate_pass_fail(**args)
    ro.r(f"local({{\n{pass_fail_r_code(**args)}\n.GlobalEnv$df_pass_test <- df_pass\n}})")
    assert list(df.columns) == list(ro.r("names(df_pass_test)"))
    assert list(df["school"].cat.categories) == list(ro.r("levels(df_pass_test$school)"))
    assert np.array_equal(df["school"].cat.codes.to_numpy() + 1, np.array(ro.r("as.integer(df_pass_test$school)")))
    assert np.array_equal(df["hours"].to_numpy(), np.array(ro.r("df_pass_test$hours")))
    assert np.array_equal(df["pass"].to_numpy(), np.array(ro.r("df_pass_test$pass")))
    assert list(ro.r("sapply(df_pass_test, class)")) == ["factor", "integer", "integer"]


def test_pass_fail_shape_and_registry():
    df = simulate_pass_fail()
    assert df.shape == (1000, 3) and df["school"].cat.categories[:2].tolist() == ["s01", "s02"]
    assert set(df["pass"].unique()) == {0, 1} and df["hours"].between(0, 10).all()
    pd.testing.assert_frame_equal(simulated_dataset("pass_fail"), df)
    with pytest.raises(KeyError, match="pass_fail"):
        simulated_dataset("nope")


@pytest.mark.parametrize("bad", [{"n_schools": 0}, {"n_schools": 100}, {"n_students": 0}, {"school_sd": -1.0}])
def test_pass_fail_rejects_impossible_sizes(bad):
    with pytest.raises(ValueError):
        simulate_pass_fail(**bad)
