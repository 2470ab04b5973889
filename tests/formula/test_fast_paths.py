"""The parse stage's shortcuts give exactly what the general code gives.

No R here: each test compares a shortcut with the general computation it stands
in for (or with the data it was built from), so any disagreement fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab._errors import FormulaError
from mixedlab.formula import build_model, parse_formula
from mixedlab.formula._fixed import _clearly_full_rank, _rank_keep_full, rank_keep


def _designs():
    """Random designs from well-conditioned to exactly and nearly collinear."""
    rng = np.random.default_rng(7)
    for n in (5, 40, 500):
        for p in (1, 2, 3, 5):
            for eps in (1.0, 1e-2, 1e-4, 1e-6, 1e-8, 1e-12, 0.0):
                X = rng.normal(size=(n, p)) * rng.uniform(1e-3, 1e3, size=p)
                if p > 1:  # last column = combination of the others + eps * noise
                    X[:, -1] = X[:, :-1] @ rng.normal(size=p - 1) + eps * rng.normal(size=n)
                yield X
                X2 = X.copy()
                X2[:, 0] = 1.0  # an intercept column, as in every model matrix
                yield X2
    yield np.zeros((10, 2))


def test_rank_shortcut_never_disagrees_with_the_full_check():
    n_short = 0
    for X in _designs():
        full = _rank_keep_full(X)
        if _clearly_full_rank(X):
            n_short += 1
            assert full.all(), X
        np.testing.assert_array_equal(rank_keep(X), full)
    assert n_short > 10  # the shortcut is actually taken


def test_rank_shortcut_not_used_for_a_coarser_tolerance():
    rng = np.random.default_rng(1)
    x = rng.normal(size=100)
    X = np.column_stack([x, x + 0.01 * rng.normal(size=100)])  # ratio ~0.01
    assert rank_keep(X).all()
    assert rank_keep(X, tol=0.5).tolist() == [True, False]


def test_parse_cache_returns_equal_trees_and_errors_every_time():
    a = parse_formula("y ~ x + (1 | g)")
    b = parse_formula("y ~ x + (1 | g)")
    assert a == b and str(a) == "y ~ x + (1 | g)"
    for _ in range(2):
        with pytest.raises(FormulaError, match="expected"):
            parse_formula("y ~ (x + (1 | g)")


def test_model_frame_reflects_the_data_at_build_time():
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"y": rng.normal(size=30), "x": rng.normal(size=30),
                      "g": pd.Categorical(rng.choice(["a", "b", "c"], 30))})
    y0, x0, g0 = d["y"].to_numpy().copy(), d["x"].to_numpy().copy(), d["g"].astype(str).tolist()
    mf = build_model("y ~ x + (1 | g)", d)
    d.loc[:, "x"] = 0.0  # the frame is built lazily; it must not see later changes
    d.loc[:, "y"] = 1.0
    np.testing.assert_array_equal(mf.frame["y"].to_numpy(), y0)
    np.testing.assert_array_equal(mf.frame["x"].to_numpy(), x0)
    assert mf.frame["g"].astype(str).tolist() == g0
    np.testing.assert_array_equal(mf.y, y0)
    np.testing.assert_array_equal(mf.X[:, 1], x0)


def test_same_formula_on_two_data_sets_is_independent():
    rng = np.random.default_rng(3)
    d1 = pd.DataFrame({"y": rng.normal(size=20), "x": rng.normal(size=20),
                       "g": rng.choice(["a", "b"], 20)})
    d2 = pd.DataFrame({"y": rng.normal(size=20), "x": rng.integers(0, 3, 20).astype(str),
                       "g": rng.choice(["p", "q", "r"], 20)})
    f = "y ~ x + (1 | g)"
    m1, m2, m1b = build_model(f, d1), build_model(f, d2), build_model(f, d1)
    assert m1.fixed_names == m1b.fixed_names == ["(Intercept)", "x"]
    assert m2.fixed_names == ["(Intercept)", "x1", "x2"]
    assert m1.terms[0].levels == ["a", "b"] and m2.terms[0].levels == ["p", "q", "r"]
    np.testing.assert_array_equal(m1.X, m1b.X)


def test_integer_and_float32_columns_match_their_float64_copies():
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"y": rng.normal(size=25).astype(np.float32),
                      "x": rng.integers(-5, 5, 25), "g": rng.choice(["a", "b", "c"], 25)})
    d64 = d.astype({"y": np.float64, "x": np.float64})
    a, b = build_model("y ~ x + (1 | g)", d), build_model("y ~ x + (1 | g)", d64)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.X, b.X)
