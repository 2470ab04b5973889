"""Lesson 8's proportions equal R's, drawn by the R code that comes with them."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.datasets import on_task_r_code, simulate_on_task


@pytest.mark.parametrize("seed", [808, 1])
def test_on_task_equals_r_bit_for_bit(r_session, seed):
    ro = r_session
    df = simulate_on_task(seed)
    ro.r(f"local({{\n{on_task_r_code(seed)}\n.GlobalEnv$df_task_test <- df_task\n}})")
    assert list(df.columns) == list(ro.r("names(df_task_test)"))
    for col in ("class", "setting"):
        assert list(df[col].cat.categories) == list(ro.r(f"levels(df_task_test${col})"))
        assert np.array_equal(df[col].cat.codes.to_numpy() + 1, np.array(ro.r(f"as.integer(df_task_test${col})")))
    for col in ("practice", "on_task"):
        assert np.array_equal(df[col].to_numpy(), np.array(ro.r(f"df_task_test${col}"))), col


def test_on_task_shares_lie_strictly_between_0_and_1():
    df = simulate_on_task()
    assert df.shape == (300, 4)
    assert ((df["on_task"] > 0) & (df["on_task"] < 1)).all()
    assert df.groupby("class", observed=True)["setting"].nunique().eq(1).all()   # a class-level factor
