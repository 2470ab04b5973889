"""The R bridge: conversion to R keeps level order and NA, fits return plain Python."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mixedlab.parity._corpus import load_case_data


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "y": [1.5, np.nan, 3.25, 4.0, 5.5, 6.0],
        "cond": pd.Categorical(["mid", "low", "high", None, "low", "mid"], categories=["low", "mid", "high"]),
        "dose": pd.Categorical(["b", "a", "b", "a", "b", "a"], categories=["b", "a"], ordered=True),
        "n": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"),
        "flag": [True, False, True, True, False, False],
    })


def test_import_mixedlab_does_not_import_rpy2() -> None:
    code = "import sys, mixedlab, mixedlab.parity, mixedlab.parity.cli; assert 'rpy2' not in sys.modules, sorted(m for m in sys.modules if m.startswith('rpy2'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_factor_levels_and_na_reach_r(rbridge, r_session) -> None:
    ro = r_session
    df = _frame()
    before = df.copy()
    rdf = rbridge.to_r(df)
    pd.testing.assert_frame_equal(df, before)  # the user's frame is untouched
    assert list(ro.r["levels"](rdf.rx2("cond"))) == ["low", "mid", "high"]
    assert list(ro.r["levels"](rdf.rx2("dose"))) == ["b", "a"]
    assert bool(ro.r["is.ordered"](rdf.rx2("dose"))[0])
    assert list(ro.r["as.integer"](rdf.rx2("cond")))[:3] == [2, 1, 3]
    assert [bool(v) for v in ro.r["is.na"](rdf.rx2("y"))] == [False, True, False, False, False, False]
    assert [bool(v) for v in ro.r["is.na"](rdf.rx2("cond"))] == [False, False, False, True, False, False]
    assert [bool(v) for v in ro.r["is.na"](rdf.rx2("n"))] == [False, False, True, False, False, False]
    assert list(ro.r["class"](rdf.rx2("flag"))) == ["logical"]


def test_round_trip_keeps_values_and_levels(rbridge) -> None:
    df, _ = load_case_data("missing_reml")  # NA in numbers and in a factor, an empty level
    back = rbridge.from_r(rbridge.to_r(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)


def test_unsupported_column_is_a_clear_error(rbridge) -> None:
    df = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pytest.raises(TypeError, match="column 'when'.*Categorical"):
        rbridge.to_r(df)


def test_fit_lmer_returns_full_precision_python(rbridge) -> None:
    df, _ = load_case_data("sleepstudy_reml")
    res = rbridge.fit_lmer("Reaction ~ Days + (Days | Subject)", df, REML=True)
    assert isinstance(res["objective"], float) and isinstance(res["fixef"], dict)
    assert list(res["fixef"]) == ["(Intercept)", "Days"]
    # the printed lme4 numbers of the tutorial exercise (REML criterion 1743.6, Days 10.467)
    assert round(res["objective"], 1) == 1743.6
    assert round(res["fixef"]["Days"], 3) == 10.467
    assert [(r["grp"], r["var1"], r["var2"]) for r in res["varcorr"]] == [
        ("Subject", "(Intercept)", None), ("Subject", "Days", None), ("Subject", "(Intercept)", "Days"),
        ("Residual", None, None)]
    assert res["ranef"]["Subject"]["levels"][:2] == ["308", "309"]
    assert res["nobs"] == 180 and res["ngroups"] == {"Subject": 18}


def test_weights_as_array_equal_weights_as_column(rbridge) -> None:
    df, _ = load_case_data("weights_reml")
    by_name = rbridge.fit_lmer("y ~ x + (1 | g)", df, True, weights="w")
    by_array = rbridge.fit_lmer("y ~ x + (1 | g)", df, True, weights=df["w"].to_numpy())
    unweighted = rbridge.fit_lmer("y ~ x + (1 | g)", df, True)
    assert by_array["objective"] == by_name["objective"]
    assert abs(unweighted["objective"] - by_name["objective"]) > 1.0
    assert ".mixedlab_weights" not in df.columns


def test_glmmtmb_weights_mean_lme4_prior_weights(rbridge) -> None:
    """glmmTMB gets lme4's weights as a dispersion offset: the same model, the same optimum."""
    df, _ = load_case_data("weights_reml")
    a = rbridge.fit_lmer("y ~ x + (1 | g)", df, True, weights="w")
    b = rbridge.fit_glmmtmb("y ~ x + (1 | g)", df, True, weights="w")
    assert b["objective"] == pytest.approx(a["objective"], abs=1e-6)
    assert b["sigma"] == pytest.approx(a["sigma"], rel=1e-5)


def test_na_rows_dropped_like_lme4(rbridge) -> None:
    df, _ = load_case_data("missing_reml")
    res = rbridge.fit_lmer("y ~ x + (1 | g)", df, True)
    complete = df[["y", "x", "g"]].dropna()
    assert res["nobs"] == len(complete) < len(df)
    assert res["ngroups"] == {"g": complete["g"].nunique()}  # the empty level g11 is not a group


def test_r_errors_name_the_problem(rbridge) -> None:
    df, _ = load_case_data("dyestuff_reml")
    with pytest.raises(rbridge.RFitError, match="object 'nosuch' not found"):
        rbridge.fit_lmer("Yield ~ nosuch + (1 | Batch)", df)
    with pytest.raises(KeyError, match="weights='w' is not a column"):
        rbridge.fit_lmer("Yield ~ 1 + (1 | Batch)", df, weights="w")


def test_versions(rbridge) -> None:
    v = rbridge.versions()
    assert v["R"].startswith("R version") and v["lme4"] and v["glmmTMB"] and v["rpy2"]
