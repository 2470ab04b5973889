"""``predict(re_form=...)`` matches terms as lme4 does, by term within the grouping factor
(issue 9 §6); values without a bar are errors, as in lme4. Live R."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, FormulaError, MixedLabError, datasets


def _fit(formula, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixedlab.lmer(formula, data)


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 240
    d = pd.DataFrame({
        "g": np.repeat([f"g{i:02d}" for i in range(20)], n // 20),
        "h": np.tile([f"h{i}" for i in range(8)], n // 8),
        "f": np.tile(["a", "b", "c"], n // 3),
        "o": pd.Categorical(np.tile(["lo", "mid", "hi", "mid"], n // 4),
                            categories=["lo", "mid", "hi"], ordered=True),
        "x": rng.normal(size=n),
    })
    gi = d["g"].str[1:].astype(int).to_numpy()
    d["y"] = 1 + 0.5 * d["x"] + 0.3 * gi / 10 * d["x"] + rng.normal(size=n) + np.sin(gi) \
        + 0.4 * (d["f"] == "b") * np.cos(gi) + d["o"].cat.codes * rng.normal(size=20)[gi]
    return d


def _sleep():
    d = datasets.sleepstudy().copy()
    return d


CASES = [
    ("sleep", "Reaction ~ Days + (Days | Subject)",
     ["~(1 | Subject)", "~(0 + Days | Subject)", "~(Days | Subject)", "~(Days || Subject)",
      "~(1 | Subject) + (1 | Subject)", "~Days + (1 | Subject)"]),
    ("sleep", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)",
     ["~(Days | Subject)", "~(1 | Subject)", "~(0 + Days | Subject)"]),
    ("frame", "y ~ x + (x | g) + (1 | h)",
     ["~(1 | g)", "~(1 | h)", "~(0 + x | g) + (1 | h)", "~(x | g)"]),
    ("frame", "y ~ x + f + (0 + f | g)",
     ["~(0 + f | g)"]),
    ("frame", "y ~ x + (1 | g/h)",
     ["~(1 | g)", "~(1 | h:g)", "~(1 | g/h)"]),
    ("frame", "y ~ x + (1 + o | g)",
     ["~(o | g)", "~(1 + o | g)"]),
]

_R_PRED = r"""
function(formula, data, newdata, re_forms) {
  suppressMessages(library(lme4))
  m <- suppressMessages(suppressWarnings(lmer(as.formula(formula), data = data)))
  lapply(re_forms, function(rf) list(
    self = unname(predict(m, re.form = as.formula(rf))),
    new = unname(predict(m, newdata = newdata, re.form = as.formula(rf)))))
}
"""


@pytest.fixture(scope="module")
def lme4_predict(r_session):
    from mixedlab.parity._rbridge import to_r

    fn = r_session.r(_R_PRED)

    def run(formula, data, newdata, re_forms):
        res = fn(formula, to_r(data), to_r(newdata), r_session.StrVector(re_forms))
        return [(np.array(list(r[0]), dtype=float), np.array(list(r[1]), dtype=float)) for r in res]

    return run


def _newdata(name: str, data: pd.DataFrame) -> pd.DataFrame:
    nd = data.iloc[[0, 7, 33, 101, 150, 170]].copy().reset_index(drop=True)
    if name == "sleep":
        nd["Days"] = [0.5, 3.0, 12.0, -1.0, 7.25, 5.0]
    else:
        nd["x"] = [0.1, -2.0, 1.5, 0.0, 3.0, -0.5]
        nd["f"] = ["b", "b", "c", "b", "c", "c"]  # a subset of the levels: coded as fitted
    return nd


@pytest.mark.parametrize("name,formula,re_forms", CASES, ids=[c[1] for c in CASES])
def test_predict_re_form_matches_lme4(name, formula, re_forms, lme4_predict):
    data = _sleep() if name == "sleep" else _frame()
    nd = _newdata(name, data)
    fit = _fit(formula, data)
    r = lme4_predict(formula, data, nd, re_forms)
    tol = dict(rtol=1e-5, atol=1e-4 * fit.sigma)  # as test_predict: fits agree to ~1e-6
    for rf, (r_self, r_new) in zip(re_forms, r):
        np.testing.assert_allclose(fit.predict(re_form=rf), r_self, **tol, err_msg=rf)
        np.testing.assert_allclose(fit.predict(nd, re_form=rf), r_new, **tol, err_msg=rf)


def test_intercepts_only_next_to_an_ordered_factor_slope():
    """lme4 1.1-31 itself fails here on new data ("contrasts can be applied only to factors
    with 2 or more levels": it blanks the variables re.form does not use); the answer is
    Xβ̂ plus the g intercepts, as on the fitted rows."""
    data = _frame()
    fit = _fit("y ~ x + (1 + o | g)", data)
    nd = _newdata("frame", data)
    want = fit.predict(nd, re_form="~0") + fit.ranef["g"].loc[nd["g"], "(Intercept)"].to_numpy()
    np.testing.assert_allclose(fit.predict(nd, re_form="~(1 | g)"), want, rtol=1e-12)


def test_subject_309_intercept_only():
    fit = _fit("Reaction ~ Days + (Days | Subject)", _sleep())
    nd = pd.DataFrame({"Days": [5], "Subject": ["309"]})
    assert round(float(fit.predict(nd, re_form="~(1|Subject)")[0]), 3) == 263.343


_R_ERR = r"""
function(newdata, rf) {
  suppressMessages(library(lme4))
  m <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)
  tryCatch({predict(m, newdata = newdata, re.form = rf); ""}, error = function(e) conditionMessage(e))
}
"""


@pytest.mark.parametrize("re_form,r_form", [
    ("~Subject", "~Subject"), ("~1", "~1"), ("~-1", "~-1"), ("~ Days", "~Days"),
    ("~(1 | Foo)", None), ("~(1 | Days)", "~(1 | Days)"),
])
def test_re_form_errors_carry_lme4s_message(re_form, r_form, r_session):
    from mixedlab.parity._rbridge import to_r

    fit = _fit("Reaction ~ Days + (Days | Subject)", _sleep())
    nd = _sleep().iloc[[0, 1]].reset_index(drop=True)
    with pytest.raises(MixedLabError) as exc:
        fit.predict(nd, re_form=re_form)
    if r_form is not None:
        msg = str(r_session.r(_R_ERR)(to_r(nd), r_session.r(f"as.formula('{r_form}')"))[0])
        assert msg and msg in str(exc.value)
    else:  # R fails earlier, on evaluating Foo; lme4's own check is this one
        assert "grouping factors specified in re.form that were not present" in str(exc.value)


@pytest.mark.parametrize("bad", ["banana", 123, True, "(1 | Subject)", ["~0"], "y ~ (1 | Subject)"])
def test_re_form_values_that_are_not_formulas_are_errors(bad):
    fit = _fit("Reaction ~ Days + (Days | Subject)", _sleep())
    with pytest.raises((FormulaError, TypeError)) as exc:
        fit.predict(re_form=bad)
    assert "re_form" in str(exc.value) or "No random effects" in str(exc.value)


def test_missing_slope_column_is_lme4s_error(r_session):
    fit = _fit("Reaction ~ Days + (1 | Subject)", _sleep())
    with pytest.raises(DataError) as exc:
        fit.predict(re_form="~(Days | Subject)")
    assert "random effects specified in re.form that were not present in original model" \
        in str(exc.value)


def test_new_and_missing_levels_give_lme4s_messages(r_session):
    from mixedlab.parity._rbridge import to_r

    fit = _fit("Reaction ~ Days + (Days | Subject)", _sleep())
    new = pd.DataFrame({"Days": [1.0, 2.0, 3.0], "Subject": ["new1", "308", "new2"]})
    na = pd.DataFrame({"Days": [1.0, 2.0], "Subject": ["308", None]})
    for nd in (new, na):
        r = str(r_session.r(_R_ERR)(to_r(nd), r_session.NULL)[0])
        assert r
        with pytest.raises(DataError) as exc:
            fit.predict(nd)
        assert r in str(exc.value)
        with pytest.raises(DataError):
            fit.predict(nd, re_form="~(1 | Subject)")
        got = fit.predict(nd, allow_new_levels=True)
        pop = fit.predict(nd, re_form="~0")
        keep = nd["Subject"] == "308"
        np.testing.assert_allclose(got[~keep.to_numpy()], pop[~keep.to_numpy()])
