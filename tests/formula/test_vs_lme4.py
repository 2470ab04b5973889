"""Fixed and random design against lme4::lFormula (live R): names, matrices, levels, order."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixedlab.formula import build_model

FORMULAS = [
    "y ~ x + (1 + x | g)",
    "y ~ a * x + (1 | g) + (1 | a:g)",
    "y ~ 0 + a + (0 + a | g)",
    "y ~ a:b + a + (a || g)",
    "y ~ x:a + (x + z || gi)",
    "y ~ I(x^2) + log(z) + exp(x) + sqrt(z) + abs(x) + (1 | g/a)",
    "y ~ (a + b + x)^2 - a:b + (1 | b) + (1 | g)",
    "y ~ L + L:x + (1 | s)",
    "y ~ f + x + (1 + f | a)",
    "y ~ a/x + (1 | b) + (1 | g) + (1 | b2)",
    "log(z) ~ x - 1 + (1 | b/a/g)",
    "y ~ a * b * x - a:b:x + (x | s)",
    "y ~ 0 + x + a + b + (1 | gi)",
    "y ~ 1 + (1 | g) + (0 + x | g)",
    "y ~ I(x > 0) + I(z * 2 - 1) + (1 | a:b)",
]


def z_matrix(terms) -> np.ndarray:
    """Dense Z in lme4's layout: terms in order, levels outer, term columns inner."""
    blocks = []
    for t in terms:
        n, k = t.X.shape
        Z = np.zeros((n, t.n_levels * k))
        for j in range(k):
            Z[np.arange(n), t.codes * k + j] = t.X[:, j]
        blocks.append(Z)
    return np.hstack(blocks)


@pytest.mark.parametrize("formula", FORMULAS)
def test_design_matches_lformula(formula, lformula, mixed):
    d = mixed
    r = lformula(formula, d)
    mf = build_model(formula, d)
    assert mf.fixed_names == r["xnames"]
    np.testing.assert_allclose(mf.X, r["X"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mf.y, r["y"], rtol=1e-14)
    assert [t.factor for t in mf.terms] == r["cnames"]
    assert [t.columns for t in mf.terms] == r["cnms"]
    assert [t.levels for t in mf.terms] == r["levels"]
    np.testing.assert_allclose(z_matrix(mf.terms).T, r["Zt"], rtol=1e-12, atol=1e-12)


def test_missing_rows_match_lformula(lformula, mixed):
    d = mixed
    d.loc[[3, 17], "x"] = np.nan
    d.loc[40, "a"] = None
    d.loc[41, "y"] = np.nan
    f = pd.Categorical(d["f"].astype(object).where(d.index != 50), categories=d["f"].cat.categories)
    d["f"] = f
    formula = "y ~ x + f + (1 | a) + (1 | g)"
    r = lformula(formula, d)
    mf = build_model(formula, d)
    assert mf.n_dropped_na == 5
    assert mf.X.shape[0] == r["n"]
    np.testing.assert_allclose(mf.X, r["X"], atol=1e-12)
    assert mf.rows.tolist() == [i for i in range(len(d)) if i not in (3, 17, 40, 41, 50)]


def test_rank_deficient_columns_dropped_like_lme4(lformula, mixed):
    d = mixed
    d["x2"] = 2.0 * d["x"]
    d["a2"] = d["a"].map({"lo": "A", "Mid": "B", "hi": "C"})
    formula = "y ~ x + x2 + a + a2 + (1 | g)"
    r = lformula(formula, d)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mf = build_model(formula, d)
    assert mf.fixed_names == r["xnames"]
    assert mf.dropped_fixed == ["x2", "a2B", "a2C"]
    np.testing.assert_allclose(mf.X, r["X"], atol=1e-12)
    assert any("rank deficient so dropping 3 columns / coefficients" in str(w.message)
               for w in caught)


def test_weights_reach_rows_used(lformula, mixed):
    d = mixed
    w = np.linspace(0.5, 2.0, len(d))
    d.loc[5, "x"] = np.nan
    mf = build_model("y ~ x + (1 | g)", d, weights=w)
    np.testing.assert_array_equal(mf.weights, np.delete(w, 5))
    r = lformula("y ~ x + (1 | g)", d, weights=w)
    assert r["n"] == mf.n
