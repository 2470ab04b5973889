"""Ordered factors are coded by R's polynomial contrasts, contr.poly (issue 9 §7), against lme4."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab.formula import build_model
from mixedlab.formula._fixed import contr_poly


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 9, 12, 17, 22, 40, 95])
def test_contr_poly_matches_r(n, r_session):
    r = np.asarray(r_session.r(f"contr.poly({n})")).reshape((n, n - 1), order="F")
    names = list(r_session.r(f"colnames(contr.poly({n}))"))
    C, cn = contr_poly(n)
    assert list(cn) == names
    np.testing.assert_allclose(C.T @ C, np.eye(n - 1), atol=1e-14)
    # R's QR of the powers loses digits with the degree (~1e-10 at 22 levels; past ~24
    # levels its high-degree columns are noise): compare all columns up to 22 levels,
    # and the linear, quadratic and cubic columns always.
    cols = n - 1 if n <= 22 else 3
    np.testing.assert_allclose(C[:, :cols], r[:, :cols], rtol=0, atol=1e-9)


def test_many_level_ordered_factor_fits_like_lme4(rbridge):
    """With 30 levels R's high-degree contrasts differ from the exact ones, but they span
    the same space: the fit (criterion, fitted values, the .L coefficient) agrees."""
    rng = np.random.default_rng(11)
    n = 300
    lev = [f"L{i:02d}" for i in range(30)]
    d = pd.DataFrame({"o": pd.Categorical(np.tile(lev, n // 30), categories=lev, ordered=True),
                      "g": np.repeat([f"g{i}" for i in range(15)], n // 15)})
    d["y"] = rng.normal(size=n) + 0.1 * d["o"].cat.codes
    r = rbridge.fit_lmer("y ~ o + (1 | g)", d)
    fit = mixedlab.lmer("y ~ o + (1 | g)", d)
    np.testing.assert_allclose(fit.objective, r["objective"], rtol=1e-9)
    for name in ("(Intercept)", "o.L", "o.Q", "o.C"):
        np.testing.assert_allclose(fit.fixef[name], r["fixef"][name], rtol=1e-6, atol=1e-9)


def test_contr_poly_refuses_more_than_95_levels(r_session):
    msg = str(r_session.r("tryCatch(contr.poly(96), error = function(e) conditionMessage(e))")[0])
    with pytest.raises(mixedlab.DataError) as exc:
        contr_poly(96)
    assert msg in str(exc.value)


def _ordered_frame(n: int = 144, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lev = ["low", "mid", "high", "top"]
    return pd.DataFrame({
        "y": rng.normal(size=n),
        "x": rng.normal(size=n),
        "o": pd.Categorical(rng.choice(lev, size=n), categories=lev, ordered=True),
        # an ordered factor with an unused level: contr.poly is built on the levels used
        "o2": pd.Categorical(np.tile(["c", "a", "b"], n // 3), categories=["c", "b", "a", "z"],
                             ordered=True),
        "u": np.tile(["p", "q"], n // 2),
        "t": np.tile(["a", "c", "b", "d", "e", "f"], n // 6),
        "g": np.repeat(np.arange(12), n // 12).astype(str),
    })


FORMULAS = [
    "y ~ o + (1 | g)",
    "y ~ o * u + (1 | g)",
    "y ~ 0 + o + (1 | g)",
    "y ~ o:x + (1 | g)",
    "y ~ o2 + x + (1 | g)",
    "y ~ u:o + (1 | g)",
    "y ~ ordered(t) + (1 | g)",
    "y ~ factor(o) + (1 | g)",
    "y ~ x + (o | g)",
    "y ~ x + (0 + o2 | g)",
    "y ~ x + (1 | g) + (0 + ordered(u) | g)",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_design_with_ordered_factors_matches_lformula(formula, lformula):
    d = _ordered_frame()
    r = lformula(formula, d)
    mf = build_model(formula, d)
    assert mf.fixed_names == r["xnames"]
    np.testing.assert_allclose(mf.X, r["X"], rtol=1e-9, atol=1e-12)
    assert [t.columns for t in mf.terms] == r["cnms"]
    Z = np.hstack([_zblock(t) for t in mf.terms])
    np.testing.assert_allclose(Z.T, r["Zt"], rtol=1e-9, atol=1e-12)


def _zblock(t) -> np.ndarray:
    n, k = t.X.shape
    Z = np.zeros((n, t.n_levels * k))
    for j in range(k):
        Z[np.arange(n), t.codes * k + j] = t.X[:, j]
    return Z


def test_cake_fit_matches_lme4(rbridge):
    cake = mixedlab.datasets.cake()
    formula = "angle ~ recipe + temperature + (1 | recipe:replicate)"
    r = rbridge.fit_lmer(formula, cake)
    fit = mixedlab.lmer(formula, cake)
    assert list(fit.fixef.index) == list(r["fixef"])
    np.testing.assert_allclose(fit.fixef.to_numpy(), list(r["fixef"].values()), rtol=1e-6)
    assert round(fit.fixef["(Intercept)"], 2) == 33.12
    np.testing.assert_allclose(fit.objective, r["objective"], rtol=1e-9)


def test_predict_new_data_uses_the_fitted_contrasts(r_session):
    """New data whose temperature column is plain text still gets contr.poly coding."""
    ro = r_session
    cake = mixedlab.datasets.cake()
    formula = "angle ~ recipe * temperature + (1 | recipe:replicate)"
    fit = mixedlab.lmer(formula, cake)
    new = pd.DataFrame({"recipe": ["A", "C", "B"], "temperature": ["185", "225", "175"],
                        "replicate": ["1", "4", "15"]})
    ro.r("suppressMessages(library(lme4))")
    r = np.asarray(ro.r(f"""local({{
        m <- lmer({formula}, cake)
        nd <- data.frame(recipe = c("A", "C", "B"), temperature = c("185", "225", "175"),
                         replicate = c("1", "4", "15"))
        c(predict(m, nd), predict(m, nd, re.form = NA))
    }})"""))
    got = np.concatenate([fit.predict(new), fit.predict(new, re_form="~0")])
    np.testing.assert_allclose(got, r, rtol=1e-7)
