"""Smaller silent or misleading cases of issue 9 §11: zero weights, repeated offsets,
weights given as frames, deep nesting and very long formulas. Live R where R answers."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, FitMessage, FormulaError, datasets
from mixedlab.formula import build_model, deparse, parse_formula
from mixedlab.formula._build import _plan

F = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleep():
    return datasets.sleepstudy()


def test_zero_weights_are_left_out_with_a_message(sleep, rbridge):
    w = np.ones(len(sleep))
    w[[0, 1, 49]] = 0.0
    with pytest.warns(FitMessage, match="3 rows have weight 0"):
        fit = mixedlab.lmer(F, sleep, weights=w)
    # lme4 keeps them and reports an infinite criterion; the rows carry no information, so
    # the model is the one fitted without them
    r = rbridge.fit_lmer(F, sleep[w > 0].reset_index(drop=True))
    np.testing.assert_allclose(fit.objective, r["objective"], rtol=1e-9)
    assert np.isfinite(fit.loglik) and fit.nobs == 177
    assert fit.fitted().shape == (177,)
    np.testing.assert_allclose(fit.fixef.to_numpy(), list(r["fixef"].values()), rtol=1e-6)


def test_all_zero_weights_are_an_error(sleep):
    with pytest.raises(DataError, match="every weight"):
        mixedlab.lmer(F, sleep, weights=np.zeros(len(sleep)))


def test_repeated_offset_is_added_once_as_in_r(sleep, r_session):
    from mixedlab.parity._rbridge import to_r

    f = "Reaction ~ Days + offset(Days/2) + offset(Days/2) + (1 | Subject)"
    r_session.r("suppressMessages(library(lme4))")
    r = list(r_session.r(f"function(d) fixef(lmer({f}, d))")(to_r(sleep)))
    fit = mixedlab.lmer(f, sleep)
    np.testing.assert_allclose(fit.fixef.to_numpy(), r, rtol=1e-6)
    once = mixedlab.lmer("Reaction ~ Days + offset(Days/2) + (1 | Subject)", sleep)
    np.testing.assert_allclose(fit.fixef.to_numpy(), once.fixef.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("make", [lambda d: d[["Days"]] + 1.0,
                                  lambda d: (d["Days"].to_numpy() + 1.0)[:, None]])
def test_weights_as_one_column_are_that_column(make, sleep):
    a = mixedlab.lmer(F, sleep, weights=make(sleep))
    b = mixedlab.lmer(F, sleep, weights=sleep["Days"].to_numpy() + 1.0)
    assert a.objective == b.objective


@pytest.mark.parametrize("weights,match", [
    (lambda d: np.ones((len(d), 2)), r"one-dimensional.*\(180, 2\)"),
    (lambda d: np.ones(len(d) - 1), "179 values but the data has 180 rows"),
    (lambda d: d[["Days", "Reaction"]], "2 columns"),
    (lambda d: d["Days"] > 3, "must be numeric"),
    (lambda d: ["a"] * len(d), "must be numeric"),
    (lambda d: np.ones(len(d)) + 1j, "must be numeric"),
    (lambda d: -np.ones(len(d)), "negative weights"),
])
def test_bad_weights_say_what_was_given(weights, match, sleep):
    with pytest.raises(DataError, match=match):
        mixedlab.lmer(F, sleep, weights=weights(sleep))


@pytest.mark.parametrize("depth", [51, 150, 3000])
def test_deep_nesting_is_rs_parser_error_in_words(depth, r_session):
    text = "y ~ " + "(" * depth + "x" + ")" * depth + " + (1 | g)"
    r_msg = str(r_session.r(f"tryCatch(parse(text = '{text}'), "
                            "error = function(e) conditionMessage(e))")[0])
    assert r_msg.startswith("contextstack overflow")
    with pytest.raises(FormulaError, match="contextstack overflow"):
        parse_formula(text)


def test_fifty_levels_still_parse(sleep):
    text = "Reaction ~ " + "abs(" * 25 + "(" * 24 + "Days + 1" + ")" * 49 + " + (1 | Subject)"
    build_model(text, sleep)


def test_fifteen_hundred_terms_expand_without_recursion():
    names = [f"x{i}" for i in range(1500)]
    text = "y ~ " + " + ".join(names) + " - x7 + offset(x3) + (1 | g) + (0 + x1 | g)"
    plan = _plan(text)
    assert plan.fixed_terms.labels == [n for n in names if n != "x7"]
    assert len(plan.offsets) == 1 and len(plan.bars) == 2
    rhs = deparse(parse_formula(text).rhs)
    assert rhs.startswith("x0 + x1 + x2") and rhs.endswith("offset(x3) + (1 | g) + (0 + x1 | g)")


def test_three_hundred_terms_fit_the_design(r_session):
    rng = np.random.default_rng(2)
    n, k = 400, 300
    d = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])
    d["y"] = rng.normal(size=n)
    d["g"] = np.repeat([f"g{i}" for i in range(20)], n // 20)
    mf = build_model("y ~ " + " + ".join(d.columns[:k]) + " + (1 | g)", d)
    assert mf.fixed_names == ["(Intercept)"] + [f"x{i}" for i in range(k)]
    np.testing.assert_array_equal(mf.X[:, 1:], d.iloc[:, :k].to_numpy())
