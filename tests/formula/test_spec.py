"""DesignSpec: rebuilding the fixed and random design for new data (what predict() uses)."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from mixedlab._errors import DataError
from mixedlab.formula import build_model

FORMULA = "y ~ a * x + scale(z) + L + (1 + x | s) + (1 | g/b)"


@pytest.fixture
def model(mixed):
    return build_model(FORMULA, mixed)


def test_same_data_rebuilds_same_design(model, mixed):
    np.testing.assert_allclose(model.spec.fixed_matrix(mixed), model.X, rtol=0, atol=1e-15)
    for t, (Xt, codes) in zip(model.terms, model.spec.term_matrices(mixed)):
        np.testing.assert_array_equal(Xt, t.X)
        np.testing.assert_array_equal(codes, t.codes)
    np.testing.assert_array_equal(model.spec.response(mixed), model.y)


def test_scale_keeps_fitted_centre(model, mixed):
    sub = mixed.iloc[:5]
    X = model.spec.fixed_matrix(sub)
    np.testing.assert_allclose(X, model.X[:5], atol=1e-15)
    j = model.fixed_names.index("scale(z)")
    z = mixed["z"].to_numpy()
    np.testing.assert_allclose(X[:, j], (z[:5] - z.mean()) / z.std(ddof=1))


def test_unseen_group_level_gets_minus_one(model, mixed):
    new = mixed.iloc[:3].copy()
    new["s"] = ["s10", "new-subject", "t"]
    codes = model.spec.term_matrices(new)
    s_term = [i for i, t in enumerate(model.terms) if t.factor == "s"][0]
    lv = model.terms[s_term].levels
    assert codes[s_term][1].tolist() == [lv.index("s10"), -1, lv.index("t")]


def test_unseen_fixed_level_is_an_error(model, mixed):
    new = mixed.iloc[:3].copy()
    new["a"] = ["lo", "extra", "hi"]
    with pytest.raises(DataError, match="'extra'"):
        model.spec.fixed_matrix(new)


def test_newdata_categorical_with_other_order(model, mixed):
    new = mixed.iloc[:6].copy()
    new["a"] = pd.Categorical(new["a"], categories=["Mid", "lo", "hi"])
    np.testing.assert_allclose(model.spec.fixed_matrix(new), model.X[:6], atol=1e-15)


def test_interaction_group_codes_for_newdata(model, mixed):
    new = mixed.iloc[[0, 1]].copy()
    new.loc[new.index[1], "b"] = "w"  # unseen inner level
    gb = [i for i, t in enumerate(model.terms) if t.factor == "b:g"][0]
    codes = model.spec.term_matrices(new)[gb][1]
    assert codes[0] == model.terms[gb].codes[0]
    assert codes[1] == -1


def test_frame_holds_evaluated_variables(model, mixed):
    assert list(model.frame.columns) == ["y", "a", "x", "scale(z)", "L", "s", "g", "b"]
    assert list(model.frame["a"].cat.categories) == ["hi", "lo", "Mid"]


def test_million_rows_build():
    rng = np.random.default_rng(0)
    n = 1_000_000
    d = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n),
                      "subj": rng.integers(0, 5000, n).astype(str),
                      "item": pd.Categorical(rng.integers(0, 300, n))})
    mf = build_model("y ~ x + (1 + x | subj) + (1 | item)", d)
    assert mf.n == n and [t.factor for t in mf.terms] == ["subj", "item"]
    assert [len(t.levels) for t in mf.terms] == [5000, 300] and mf.terms[0].X.shape == (n, 2)
