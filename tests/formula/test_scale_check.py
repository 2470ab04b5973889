"""lme4's check.scaleX warning, and a clear error where lme4 stops on a badly scaled random
slope (issue 9 §5). Live R."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import ModelSpecificationError, ScaleWarning, datasets
from mixedlab.formula import build_model
from mixedlab.formula._scale import SCALE_MESSAGE

_R_SCALE = r"""
function(formula, data) {
  suppressMessages(library(lme4))
  X <- suppressMessages(suppressWarnings(lFormula(as.formula(formula), data)))$X
  m <- attr(X, "msgScaleX")
  if (is.null(m) || !length(m)) "" else m
}
"""


def _design(seed: int) -> tuple[str, pd.DataFrame]:
    """A random design: numeric columns on random scales, a 0/1 column, a factor."""
    rng = np.random.default_rng(seed)
    n = 60
    k = int(rng.integers(1, 4))
    d = pd.DataFrame({"g": np.repeat([f"s{i}" for i in range(10)], n // 10),
                      "f": rng.choice(["a", "b", "c"], size=n),
                      "b01": rng.integers(0, 2, size=n).astype(float)})
    terms = []
    for j in range(k):
        scale = 10.0 ** rng.uniform(-5, 5)
        d[f"x{j}"] = rng.normal(loc=rng.choice([0.0, 5.0]), size=n) * scale
        terms.append(f"x{j}")
    d["y"] = rng.normal(size=n)
    extra = rng.choice(["", " + f", " + b01", " + f:x0", " + I(x0^2)"])
    return f"y ~ {' + '.join(terms)}{extra} + (1 | g)", d


@pytest.mark.parametrize("seed", range(40))
def test_scale_warning_exactly_where_lme4_warns(seed, r_session):
    from mixedlab.parity._rbridge import to_r

    formula, d = _design(seed)
    r_msg = str(r_session.r(_R_SCALE)(formula, to_r(d))[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mf = build_model(formula, d)
    ours = [w for w in caught if issubclass(w.category, ScaleWarning)]
    assert bool(ours) == bool(r_msg), (formula, r_msg)
    assert (SCALE_MESSAGE in mf.messages) == bool(r_msg)
    if r_msg:
        assert r_msg == SCALE_MESSAGE
        assert str(ours[0].message).startswith(r_msg)


@pytest.mark.parametrize("formula,col", [
    ("y ~ 0 + c5 + (1 | g)", "c5"),  # a constant column that is not 0/1: sd 0 counts
    ("y ~ big + (1 | g)", "big"),
    ("y ~ tiny + (1 | g)", "tiny"),
    ("y ~ big + tiny + (1 | g)", "big"),
    ("y ~ x + b01 + (1 | g)", None),
])
def test_scale_warning_edge_cases_match_lme4(formula, col, r_session):
    from mixedlab.parity._rbridge import to_r

    rng = np.random.default_rng(0)
    n = 40
    d = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n), "c5": 5.0,
                      "big": rng.normal(size=n) * 2e3, "tiny": rng.normal(size=n) * 1e-4,
                      "b01": np.tile([0.0, 1.0], n // 2),
                      "g": np.repeat(list("abcdefgh"), n // 8)})
    r_msg = str(r_session.r(_R_SCALE)(formula, to_r(d))[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_model(formula, d)
    ours = [str(w.message) for w in caught if issubclass(w.category, ScaleWarning)]
    assert bool(ours) == bool(r_msg) == (col is not None)
    if col is not None:
        assert repr(col) in ours[0]


def test_summary_lists_the_scale_warning_like_lme4(r_session):
    from mixedlab.parity._rbridge import to_r

    d = datasets.sleepstudy().copy()
    d["D"] = d["Days"] * 1000
    d["x2"] = 2 * d["Days"]
    f = "Reaction ~ D + x2 + (1 | Subject)"
    r_session.r("suppressMessages(library(lme4))")
    fn = r_session.r("function(d) capture.output(print(summary(suppressWarnings(suppressMessages("
                     f"lmer({f}, d))))))")
    r_lines = [str(s) for s in fn(to_r(d))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.lmer(f, d)
    ours = str(fit.summary()).splitlines()
    assert ours[ours.index("fit warnings:"):] == r_lines[r_lines.index("fit warnings:"):]


_R_FIT = r"""
function(formula, data) {
  suppressMessages(library(lme4))
  tryCatch({suppressWarnings(suppressMessages(lmer(as.formula(formula), data))); ""},
           error = function(e) conditionMessage(e))
}
"""


@pytest.mark.parametrize("scale", [4e6, 1e7, 1e8, 1e10])
@pytest.mark.parametrize("formula", ["Reaction ~ D + (D | Subject)", "Reaction ~ Days + (D | Subject)",
                                     "Reaction ~ Days + (0 + D | Subject)",
                                     "Reaction ~ Days + (1 | Subject) + (0 + D | Subject)"])
def test_badly_scaled_random_slope_is_lme4s_error(scale, formula, r_session):
    from mixedlab.parity._rbridge import to_r

    d = datasets.sleepstudy().copy()
    d["D"] = d["Days"] * scale
    r_msg = str(r_session.r(_R_FIT)(formula, to_r(d))[0])
    assert r_msg == "Downdated VtV is not positive definite"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ModelSpecificationError) as exc:
            mixedlab.lmer(formula, d)
    msg = str(exc.value)
    assert r_msg in msg and "'D'" in msg and "scale(D)" in msg
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("scale", [1e3, 1e5])
def test_moderately_scaled_slope_still_fits(scale):
    d = datasets.sleepstudy().copy()
    d["D"] = d["Days"] * scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.lmer("Reaction ~ Days + (D | Subject)", d)
    assert np.isfinite(fit.objective) and np.isfinite(fit.fixef).all()


def test_huge_fixed_only_predictor_fits_as_in_lme4(rbridge):
    d = datasets.sleepstudy().copy()
    d["D"] = d["Days"] * 1e8
    r = rbridge.fit_lmer("Reaction ~ D + (1 | Subject)", d)
    with pytest.warns(ScaleWarning):
        fit = mixedlab.lmer("Reaction ~ D + (1 | Subject)", d)
    np.testing.assert_allclose(fit.objective, r["objective"], rtol=1e-8)
