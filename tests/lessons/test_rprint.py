"""R's print layouts used by the lessons, against R itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab import datasets
from mixedlab.lessons import r_data_frame, r_structure, r_vector


def test_head_of_the_nested_data_matches_the_tutorial_tokens():
    # tutorial: "1 1 control 10.663606" ... "6 1 control 11.226437"
    lines = r_data_frame(datasets.simulate_nested().head(6)).splitlines()
    assert lines[0].split() == ["school", "treatment", "y"]
    assert lines[1].split() == ["1", "1", "control", "10.663606"]
    assert lines[6].split() == ["6", "1", "control", "11.226437"]


def test_row_names_must_fit():
    with pytest.raises(ValueError, match="row_names has 2 entries but the data frame has 3 rows"):
        r_data_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), row_names=["x", "y"])


def test_r_structure_reports_levels():
    s = r_structure(datasets.simulate_crossed())
    assert s.loc["student", "levels"] == 40 and s.loc["rater", "levels"] == 6
    assert s.loc["score", "R class"] == "numeric"


def test_input_frame_is_not_modified():
    df = datasets.sleepstudy().head(3)
    before = df.copy()
    r_data_frame(df)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize("values", [
    [9.544692, 11.303966, 10.0580349],
    [49.037594, 53.233424, 1e-3],
    [-0.2848792, 19.6662617, 1.8476053],
    [1e6, 2.5, np.nan],
    [123456789.123, 0.5],
])
def test_data_frame_print_matches_r(r_session, values):
    df = pd.DataFrame({"g": pd.Categorical(["a", "b", "c"][: len(values)]), "v": values,
                       "w": np.arange(len(values), dtype=float) / 3})
    r_session.globalenv["v"] = r_session.FloatVector([r_session.NA_Real if np.isnan(x) else x for x in values])
    expected = list(r_session.r(
        "capture.output(print(data.frame(g = factor(c('a','b','c')[seq_along(v)]), v = v, "
        "w = (seq_along(v) - 1) / 3)))"))
    assert r_data_frame(df).splitlines() == expected


@pytest.mark.parametrize("x", [-0.8417701182, 0.065551, 3.0, 1234.56789])
def test_vector_print_matches_r(r_session, x):
    assert r_vector(x) == r_session.r(f"capture.output(print({x!r}))")[0]


@pytest.mark.parametrize("values,names", [
    ([0.1619146, 1.4654012], ["(Intercept)", "hours"]),
    ([1e-8, 250.0, -3.5], ["a", "a_very_long_name_indeed", "c"]),
    ([float(i) * 1.37 for i in range(14)], [f"period{i}" for i in range(14)]),   # wraps at 80 columns
    ([np.nan, 2.0], ["x", "y"]),
])
def test_named_vector_print_matches_r(r_session, values, names):
    from mixedlab.lessons import r_named_vector

    r_session.globalenv["v"] = r_session.FloatVector([r_session.NA_Real if np.isnan(x) else x for x in values])
    r_session.globalenv["nm"] = r_session.StrVector(names)
    expected = list(r_session.r("capture.output(print(setNames(v, nm)))"))
    assert r_named_vector(pd.Series(values, index=names)).splitlines() == expected
