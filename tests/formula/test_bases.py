"""poly(), ns() and bs() with R's bases, in the fit and on new data (issue 9 §12). Live R."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, datasets
from mixedlab.formula import build_model
from mixedlab.formula._poly import poly_basis
from mixedlab.formula._splines import OUTSIDE_WARNING, bs_basis, ns_basis, spline_design


def _r_matrix(r_session, code: str, x: np.ndarray) -> np.ndarray:
    r_session.r("suppressMessages(library(splines))")
    res = r_session.r(f"function(x) {{ m <- unclass({code}); attributes(m) <- list(dim = dim(m)); m }}")(
        r_session.FloatVector(x))
    return np.array(res)


@pytest.fixture(scope="module")
def xs():
    rng = np.random.default_rng(17)
    return {"normal": rng.normal(size=80) * 3 + 1, "ties": np.repeat(np.arange(10.0), 7),
            "skewed": rng.exponential(size=60) * 100}


BASES = [
    ("bs(x)", lambda x: bs_basis(x)[0]),
    ("bs(x, df = 5)", lambda x: bs_basis(x, df=5)[0]),
    ("bs(x, df = 7, degree = 2, intercept = TRUE)", lambda x: bs_basis(x, df=7, degree=2, intercept=True)[0]),
    ("bs(x, knots = c(2, 4, 6))", lambda x: bs_basis(x, knots=[2, 4, 6])[0]),
    ("bs(x, degree = 1, df = 3)", lambda x: bs_basis(x, degree=1, df=3)[0]),
    ("ns(x)", lambda x: ns_basis(x)[0]),
    ("ns(x, df = 3)", lambda x: ns_basis(x, df=3)[0]),
    ("ns(x, df = 6, intercept = TRUE)", lambda x: ns_basis(x, df=6, intercept=True)[0]),
    ("ns(x, knots = c(3, 5), Boundary.knots = c(-30, 300))",
     lambda x: ns_basis(x, knots=[3, 5], boundary=[-30, 300])[0]),
    ("poly(x, 1)", lambda x: poly_basis(x, 1)[0]),
    ("poly(x, 4)", lambda x: poly_basis(x, 4)[0]),
    ("poly(x, 3, raw = TRUE)", lambda x: poly_basis(x, 3, raw=True)[0]),
]


@pytest.mark.parametrize("data", ["normal", "ties", "skewed"])
@pytest.mark.parametrize("code,ours", BASES, ids=[b[0] for b in BASES])
def test_basis_matches_r(code, ours, data, xs, r_session):
    x = xs[data]
    r = _r_matrix(r_session, code, x)
    got = ours(x)
    assert got.shape == r.shape
    np.testing.assert_allclose(got, r, rtol=1e-12, atol=1e-13 * np.abs(r).max())


@pytest.mark.parametrize("derivs", [0, 1, 2, 3])
def test_spline_design_derivatives_match_r(derivs, r_session):
    knots = np.array([0, 0, 0, 0, 1.5, 2, 4.5, 7, 7, 7, 7.0])
    x = np.array([0.0, 0.3, 1.5, 2.2, 4.5, 6.9, 7.0])
    r_session.r("suppressMessages(library(splines))")
    r = np.array(r_session.r(f"function(k, x) splineDesign(k, x, 4, {derivs})")(
        r_session.FloatVector(knots), r_session.FloatVector(x)))
    np.testing.assert_allclose(spline_design(knots, x, 4, derivs), r, rtol=1e-12, atol=1e-12)


NEW = np.array([-40.0, -6.0, -0.5, 0.0, 2.5, 8.0, 11.0, 400.0])


@pytest.mark.parametrize("code,fn,kw", [
    ("bs(x, df = 5)", bs_basis, {"df": 5}),
    ("bs(x, degree = 2, knots = c(0, 3))", bs_basis, {"degree": 2, "knots": [0, 3]}),
    ("ns(x, df = 4)", ns_basis, {"df": 4}),
    ("ns(x, df = 3, intercept = TRUE)", ns_basis, {"df": 3, "intercept": True}),
])
def test_new_data_reuse_the_training_knots_as_r_predict(code, fn, kw, xs, r_session):
    x = xs["normal"]
    r_session.r("suppressMessages(library(splines))")
    r = np.array(r_session.r(
        f"function(x, nx) {{ m <- unclass(suppressWarnings(predict({code}, nx))); "
        "attributes(m) <- list(dim = dim(m)); m }")(r_session.FloatVector(x),
                                                    r_session.FloatVector(NEW)))
    _, params = fn(x, **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, _ = fn(NEW, **params)
    np.testing.assert_allclose(got, r, rtol=1e-10, atol=1e-12 * np.abs(r).max())
    if fn is bs_basis:
        assert any(str(w.message) == OUTSIDE_WARNING for w in caught)


def test_poly_on_new_data_uses_the_fitted_coefficients(xs, r_session):
    x = xs["normal"]
    r = np.array(r_session.r(
        "function(x, nx) { m <- unclass(predict(poly(x, 3), nx)); attributes(m) <- list(dim = dim(m)); m }")(
        r_session.FloatVector(x), r_session.FloatVector(NEW)))
    got, _ = poly_basis(NEW, 3, coefs=poly_basis(x, 3)[1])
    np.testing.assert_allclose(got, r, rtol=1e-10, atol=1e-12 * np.abs(r).max())


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(23)
    n = 180
    d = pd.DataFrame({"x": rng.uniform(0, 10, size=n), "z": rng.normal(size=n),
                      "f": np.tile(["a", "b", "c"], n // 3),
                      "g": np.repeat([f"g{i}" for i in range(18)], n // 18)})
    d["y"] = np.sin(d["x"]) + 0.3 * d["z"] + rng.normal(size=n) * 0.5 + \
        np.repeat(rng.normal(size=18), n // 18)
    return d


FORMULAS = [
    "y ~ poly(x, 2) + (1 | g)",
    "y ~ poly(x, 3, raw = TRUE) + z + (1 | g)",
    "y ~ ns(x, 3) + (1 | g)",
    "y ~ ns(x, df = 4) * f + (1 | g)",
    "y ~ bs(x, df = 5) + (1 | g)",
    "y ~ bs(x, knots = c(3, 6), degree = 2) + (1 | g)",
    "y ~ splines::ns(x, 2) + (1 | g)",
    "y ~ z + (poly(x, 2) | g)",
    "y ~ ns(x, 2) + (0 + ns(x, 2) | g)",
    "y ~ poly(x, degree = 2) + z + (1 | g)",
    "y ~ bs(x, deg = 2) + (1 | g)",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_design_with_bases_matches_lformula(formula, lformula):
    d = _frame()
    d.loc[[5, 40], "z"] = np.nan  # rows dropped after the bases are computed, as in R
    r_lf = lformula(formula if "splines::" in formula else formula, d)
    mf = build_model(formula, d)
    assert mf.fixed_names == r_lf["xnames"]
    np.testing.assert_allclose(mf.X, r_lf["X"], rtol=1e-10, atol=1e-12)
    assert [t.columns for t in mf.terms] == r_lf["cnms"]


_R_PRED = r"""
function(formula, data, newdata) {
  suppressMessages({library(lme4); library(splines)})
  m <- suppressWarnings(lmer(as.formula(formula), data = data))
  list(fixef = fixef(m), self = unname(predict(m)),
       new = unname(suppressWarnings(predict(m, newdata = newdata))),
       new_pop = unname(suppressWarnings(predict(m, newdata = newdata, re.form = NA))))
}
"""


@pytest.mark.parametrize("formula", [
    "y ~ poly(x, 2) + (1 | g)", "y ~ poly(x, 2, raw = TRUE) + (1 | g)", "y ~ ns(x, 3) * f + (1 | g)",
    "y ~ bs(x, df = 4) + (1 | g)", "y ~ z + (poly(x, 2) | g)",
])
def test_fit_and_predict_new_data_match_lme4(formula, r_session):
    from mixedlab.parity._rbridge import to_r

    d = _frame()
    nd = pd.DataFrame({"x": [-2.0, 0.5, 5.0, 9.5, 14.0], "z": [0.0, 1.0, -1.0, 0.5, 2.0],
                       "f": ["a", "c", "b", "a", "c"], "g": ["g0", "g3", "g17", "g9", "g2"]})
    res = r_session.r(_R_PRED)(formula, to_r(d), to_r(nd))
    r = {k: np.array(list(v), dtype=float) for k, v in zip(res.names, res)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.lmer(formula, d)
        new = fit.predict(nd)
        pop = fit.predict(nd, re_form="~0")
    # the fits agree to the optimiser's tolerance (the random-slope case has a flat optimum:
    # θ to ~1e-3, criterion to 1e-9); wrong knots or coefficients would be off by far more
    tol = dict(rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(fit.fixef.to_numpy(), r["fixef"], **tol)
    np.testing.assert_allclose(fit.predict(), r["self"], **tol)
    np.testing.assert_allclose(new, r["new"], **tol)
    np.testing.assert_allclose(pop, r["new_pop"], **tol)


def test_lme4s_predict_basis_test(rbridge):
    """lme4's tests/predict_basis.R: poly and raw poly give the same population curve."""
    s = datasets.sleepstudy()
    nd = pd.DataFrame({"Days": np.arange(5.0, 13.0)})
    fm2 = mixedlab.lmer("Reaction ~ poly(Days, 2) + (1 | Subject)", s)
    fm3 = mixedlab.lmer("Reaction ~ poly(Days, 2, raw = TRUE) + (1 | Subject)", s)
    np.testing.assert_allclose(fm2.predict(nd, re_form="~0"), fm3.predict(nd, re_form="~0"),
                               rtol=1e-8)


def test_poly_refuses_missing_values_as_r(r_session):
    from mixedlab.parity._rbridge import to_r

    d = _frame()
    d.loc[3, "x"] = np.nan
    msg = str(r_session.r("function(d) tryCatch({lme4::lFormula(y ~ poly(x, 2) + (1 | g), d); ''}, "
                          "error = function(e) conditionMessage(e))")(to_r(d))[0])
    with pytest.raises(DataError) as exc:
        build_model("y ~ poly(x, 2) + (1 | g)", d)
    assert msg and msg in str(exc.value)


def test_spline_rows_with_missing_x_are_dropped(lformula):
    d = _frame()
    d.loc[[3, 77], "x"] = np.nan
    r = lformula("y ~ ns(x, 3) + (1 | g)", d)
    mf = build_model("y ~ ns(x, 3) + (1 | g)", d)
    assert mf.n == r["n"] == 178
    np.testing.assert_allclose(mf.X, r["X"], rtol=1e-10, atol=1e-12)
