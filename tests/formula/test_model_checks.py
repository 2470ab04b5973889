"""Bad input gets a clear error; lme4's checks with lme4's wording; the input is never modified."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixedlab._errors import DataError, FormulaError, ModelSpecificationError
from mixedlab.formula import build_model




@pytest.fixture
def small(mixed):
    return mixed.iloc[:24].copy()


def test_unknown_column_names_close_matches(mixed):
    with pytest.raises(DataError) as info:
        build_model("y ~ xx + (1 | g)", mixed)
    msg = str(info.value)
    assert "'xx'" in msg and "'x'" in msg


def test_unknown_column_case_hint(mixed):
    with pytest.raises(DataError, match="Did you mean 'y'"):
        build_model("Y ~ x + (1 | g)", mixed)


def test_non_numeric_response(mixed):
    with pytest.raises(DataError, match="response 'a' must be numeric"):
        build_model("a ~ x + (1 | g)", mixed)


def test_infinite_values_counted(mixed):
    d = mixed.copy()
    d.loc[[2, 9], "x"] = np.inf
    d.loc[9, "z"] = -np.inf
    d.loc[11, "z"] = np.inf
    with pytest.raises(DataError, match=r"3 rows have infinite values \(in 'x', 'z'\)"):
        build_model("y ~ x + z + (1 | g)", d)


def test_no_random_term_points_to_regression(mixed):
    with pytest.raises(ModelSpecificationError, match="No random effects terms") as info:
        build_model("y ~ x", mixed)
    assert "OLS" in str(info.value)


def test_no_response(mixed):
    with pytest.raises(ModelSpecificationError, match="no response"):
        build_model("~ x + (1 | g)", mixed)


def test_negative_weights(mixed):
    w = np.ones(len(mixed))
    w[4] = -1
    with pytest.raises(DataError, match="negative weights not allowed"):
        build_model("y ~ x + (1 | g)", mixed, weights=w)


def test_weights_wrong_length(mixed):
    with pytest.raises(DataError, match="3 values"):
        build_model("y ~ x + (1 | g)", mixed, weights=[1.0, 2.0, 3.0])


def test_weights_and_offset_by_column_with_missing(mixed):
    d = mixed.copy()
    d["w"] = 1.0 + np.arange(len(d)) % 3
    d["o"] = 0.5
    d.loc[7, "w"] = np.nan
    d.loc[8, "o"] = np.nan
    mf = build_model("y ~ x + (1 | g)", d, weights="w", offset="o")
    assert mf.n_dropped_na == 2
    assert 7 not in mf.rows and 8 not in mf.rows
    np.testing.assert_array_equal(mf.weights, d["w"].to_numpy()[mf.rows])
    np.testing.assert_array_equal(mf.offset, np.full(mf.n, 0.5))


def test_all_rows_missing(mixed):
    d = mixed.copy()
    d["x"] = np.nan
    with pytest.raises(DataError, match="no rows left"):
        build_model("y ~ x + (1 | g)", d)


def test_na_action_fail(mixed):
    d = mixed.copy()
    d.loc[0, "x"] = np.nan
    with pytest.raises(DataError, match="na_action='fail'"):
        build_model("y ~ x + (1 | g)", d, na_action="fail")


def test_not_a_dataframe():
    with pytest.raises(DataError, match="pandas DataFrame"):
        build_model("y ~ x + (1 | g)", {"y": [1.0]})


def test_unsupported_function(mixed):
    with pytest.raises(FormulaError, match="besselJ"):
        build_model("y ~ besselJ(x, 2) + (1 | g)", mixed)


def test_input_frame_unchanged(mixed):
    d = mixed.copy()
    d.loc[3, "x"] = np.nan
    before = d.copy(deep=True)
    from mixedlab._errors import FitMessage
    with pytest.warns(FitMessage, match="rank deficient"):  # f and a are aliased in this frame
        mf = build_model("y ~ a * x + scale(z) + f + L + (1 + x | s) + (1 | g/b)", d)
    pd.testing.assert_frame_equal(d, before)
    mf.frame.iloc[:, 0] = 0.0  # the model frame is a copy
    pd.testing.assert_frame_equal(d, before)


def test_row_order_is_irrelevant_except_for_rows(mixed):
    perm = np.random.default_rng(3).permutation(len(mixed))
    shuffled = mixed.iloc[perm]
    a = build_model("y ~ a + x + (1 + x | g) + (1 | s)", mixed)
    b = build_model("y ~ a + x + (1 + x | g) + (1 | s)", shuffled)
    np.testing.assert_array_equal(b.X, a.X[perm])
    np.testing.assert_array_equal(b.y, a.y[perm])
    for ta, tb in zip(a.terms, b.terms):
        assert ta.levels == tb.levels
        np.testing.assert_array_equal(tb.codes, ta.codes[perm])
    assert b.frame.index.tolist() == shuffled.index.tolist()


# --- lme4's own checks, wording compared with live R ------------------------------------

@pytest.mark.parametrize("case", ["one_level", "levels_ge_n", "nobs_vs_nre"])
def test_lme4_checks_same_message(case, mixed, lformula_error):
    d = mixed.copy()
    if case == "one_level":
        d = d[d["b"] == "u"].reset_index(drop=True)
        formula = "y ~ x + (1 | b)"
    elif case == "levels_ge_n":
        d["id"] = np.arange(len(d))
        formula = "y ~ x + (1 | id)"
    else:
        d = d.iloc[:8].reset_index(drop=True)
        formula = "y ~ x + (1 + x + z | a)"
    r_msg = lformula_error(formula, d)
    assert r_msg
    with pytest.raises(ModelSpecificationError) as info:
        build_model(formula, d)
    ours = str(info.value)
    # lme4's sentence comes first, then (maybe) our hint
    head = r_msg.split(" (problems")[0]
    assert ours.startswith(head), (ours, r_msg)
    if "problems:" in r_msg:
        assert r_msg.split("problems: ")[1].rstrip(")") in ours


def test_single_level_factor_in_fixed_part(mixed):
    d = mixed.copy()
    d["one"] = "k"
    with pytest.raises(DataError, match="only one level"):
        build_model("y ~ one + (1 | g)", d)


def test_grouping_with_missing_values_drops_rows(mixed):
    d = mixed.copy()
    d.loc[[0, 1], "s"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mf = build_model("y ~ x + (1 | s)", d)
    assert mf.n_dropped_na == 2
    assert mf.n == len(d) - 2
