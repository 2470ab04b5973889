"""Column types (issue 9 §8): time differences, object columns, nullable and Arrow dtypes,
polars/pyarrow tables, columns named T/F/pi, non-text column names. Live R where R has
the equivalent column."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, FitMessage, datasets

F = "Reaction ~ Days + (Days | Subject)"


def _fit(formula, data, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = mixedlab.lmer(formula, data, **kw)
    return fit, [str(w.message) for w in caught if issubclass(w.category, FitMessage)]


@pytest.fixture(scope="module")
def sleep():
    return datasets.sleepstudy()


def _r_fixef(r_session, code: str, data: pd.DataFrame) -> pd.Series:
    from mixedlab.parity._rbridge import to_r

    r_session.r("suppressMessages(library(lme4))")
    fn = r_session.r(f"function(d) {{ {code}; fixef(suppressMessages(suppressWarnings(m))) }}")
    res = fn(to_r(data))
    return pd.Series(list(res), index=list(res.names))


@pytest.mark.parametrize("hours,unit,r_units", [(False, "days", "days"), (True, "hours", "hours")])
def test_timedelta_is_numeric_like_lme4s_difftime(hours, unit, r_units, sleep, r_session):
    d = sleep.copy()
    values = d["Days"] * 24 + 1 if hours else d["Days"]
    d["Days"] = pd.to_timedelta(values, unit="h" if hours else "D")
    fit, notes = _fit(F, d)
    assert any(f"number of {unit}" in n for n in notes)
    rd = sleep.copy()
    rd["Days"] = values
    r = _r_fixef(r_session, f"d$Days <- as.difftime(d$Days, units = '{r_units}'); "
                 "m <- lmer(Reaction ~ Days + (Days | Subject), d)", rd)
    assert list(fit.fixef.index) == list(r.index)
    np.testing.assert_allclose(fit.fixef.to_numpy(), r.to_numpy(), rtol=1e-6)
    # new data keeps the fitted unit, whatever its own values
    nd = pd.DataFrame({"Days": pd.to_timedelta([30, 90], unit="m"), "Subject": ["308", "309"]})
    want = fit.fixef["(Intercept)"] + fit.fixef["Days"] * np.array([30, 90]) / (60 if hours else 1440)
    np.testing.assert_allclose(fit.predict(nd, re_form="~0"), want, rtol=1e-12)


def test_timedelta_units_follow_rs_auto_rule():
    from mixedlab.formula._columns import timedelta_unit

    assert timedelta_unit(np.array([0.0, 86400.0 * 3])) == "days"  # whole days: Date - Date
    assert timedelta_unit(np.array([0.0, 30.5])) == "secs"
    assert timedelta_unit(np.array([90.5, 4000.0])) == "mins"
    assert timedelta_unit(np.array([3600.5, 7200.0])) == "hours"
    assert timedelta_unit(np.array([86400.5, 10e6])) == "days"
    assert timedelta_unit(np.array([np.nan])) == "secs"


def test_object_numbers_are_numeric_as_in_r(sleep, rbridge):
    d = sleep.copy()
    d["Days"] = d["Days"].astype(object)
    fit, notes = _fit(F, d)
    assert any("holds only numbers" in n for n in notes)
    r = rbridge.fit_lmer(F, sleep)
    assert list(fit.fixef.index) == list(r["fixef"])
    np.testing.assert_allclose(fit.fixef.to_numpy(), list(r["fixef"].values()), rtol=1e-6)


def test_numbers_mixed_with_text_are_rs_character(sleep, r_session):
    d = sleep.copy()
    d["Days"] = d["Days"].astype(object)
    d.loc[[3, 50], "Days"] = "n/a"
    f = "Reaction ~ Days + (1 | Subject)"
    fit, notes = _fit(f, d)
    assert any("mixes numbers and text" in n and "to_numeric" in n for n in notes)
    rd = d.copy()
    rd["Days"] = [v if isinstance(v, str) else f"{v:g}" for v in rd["Days"]]  # R's c(1, "n/a")
    r = _r_fixef(r_session, f"m <- lmer({f}, d)", rd)
    assert list(fit.fixef.index) == list(r.index)
    np.testing.assert_allclose(fit.fixef.to_numpy(), r.to_numpy(), rtol=1e-6)


def test_object_booleans_are_logical(sleep):
    d = sleep.copy()
    d["B"] = (d["Days"] > 4).astype(object)
    ref = sleep.copy()
    ref["B"] = ref["Days"] > 4
    a, _ = _fit("Reaction ~ B + (1 | Subject)", d)
    b, _ = _fit("Reaction ~ B + (1 | Subject)", ref)
    assert list(a.fixef.index) == ["(Intercept)", "BTRUE"]
    np.testing.assert_allclose(a.fixef.to_numpy(), b.fixef.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["T", "F", "pi"])
def test_columns_named_like_r_constants_win(name, sleep, r_session):
    d = sleep.copy()
    d[name] = d["Days"] * 2.0
    f = f"Reaction ~ {name} + I({name}^2) + ({name} | Subject)"
    fit, _ = _fit(f, d)
    r = _r_fixef(r_session, f"m <- lmer({f}, d)", d)
    assert list(fit.fixef.index) == list(r.index)
    np.testing.assert_allclose(fit.fixef.to_numpy(), r.to_numpy(), rtol=1e-5)


def test_constants_without_such_columns_stay_constants(sleep, r_session):
    f = "Reaction ~ I(Days * pi) + (1 | Subject)"
    fit, _ = _fit(f, sleep)
    r = _r_fixef(r_session, f"m <- lmer({f}, d)", sleep)
    np.testing.assert_allclose(fit.fixef.to_numpy(), r.to_numpy(), rtol=1e-6)


def _variants(sleep):
    import pyarrow as pa

    out = {}
    d = sleep.copy()
    d["Days"] = d["Days"].astype("Int64")
    out["Int64"] = d
    d = sleep.copy()
    d["Reaction"] = d["Reaction"].astype("Float64")
    out["Float64"] = d
    d = sleep.copy()
    d["Subject"] = d["Subject"].astype(str).astype("string[python]")
    out["string[python]"] = d
    d = sleep.copy()
    d["Subject"] = d["Subject"].astype(str).astype("string[pyarrow]")
    out["string[pyarrow]"] = d
    d = sleep.copy()
    d["Subject"] = d["Subject"].astype(str).astype(pd.ArrowDtype(pa.string()))
    d["Days"] = d["Days"].astype(pd.ArrowDtype(pa.int64()))
    d["Reaction"] = d["Reaction"].astype(pd.ArrowDtype(pa.float64()))
    out["ArrowDtype"] = d
    d = sleep.copy()
    d["Subject"] = d["Subject"].astype(str).astype(object)
    out["object str"] = d
    return out


@pytest.mark.parametrize("kind", ["Int64", "Float64", "string[python]", "string[pyarrow]",
                                  "ArrowDtype", "object str"])
def test_nullable_and_arrow_dtypes_fit_as_numpy_ones(kind, sleep):
    pytest.importorskip("pyarrow")
    base, _ = _fit(F, sleep)
    fit, _ = _fit(F, _variants(sleep)[kind])
    assert fit.fixef.index.tolist() == base.fixef.index.tolist()
    np.testing.assert_allclose(fit.fixef.to_numpy(), base.fixef.to_numpy(), rtol=1e-10)
    assert [t.levels for t in fit.terms] == [t.levels for t in base.terms]


def test_nullable_missing_values_are_dropped_like_nan(sleep):
    a = sleep.copy()
    a["Days"] = a["Days"].astype("Int64")
    a.loc[[4, 90], "Days"] = pd.NA
    b = sleep.copy()
    b["Days"] = b["Days"].astype(float)
    b.loc[[4, 90], "Days"] = np.nan
    fa, _ = _fit(F, a)
    fb, _ = _fit(F, b)
    assert fa.nobs == fb.nobs == 178
    np.testing.assert_allclose(fa.fixef.to_numpy(), fb.fixef.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("lib", ["polars", "pyarrow"])
def test_polars_and_pyarrow_tables_are_accepted(lib, sleep):
    if lib == "polars":
        pl = pytest.importorskip("polars")
        pytest.importorskip("pyarrow")
        table = pl.from_pandas(sleep)
    else:
        pa = pytest.importorskip("pyarrow")
        table = pa.Table.from_pandas(sleep)
    base, _ = _fit(F, sleep)
    fit, _ = _fit(F, table)
    np.testing.assert_allclose(fit.fixef.to_numpy(), base.fixef.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(fit.predict(table), base.predict(sleep), rtol=1e-12)


def test_polars_lazy_frame_says_collect(sleep):
    pl = pytest.importorskip("polars")
    with pytest.raises(DataError, match=r"\.collect\(\)"):
        mixedlab.lmer(F, pl.from_pandas(sleep).lazy())


@pytest.mark.parametrize("data,match", [
    (lambda s: s.assign(Reaction=s["Reaction"] + 1j), "complex"),
    (lambda s: s.assign(Days=[[v] for v in s["Days"]]), "list values in its cells"),
    (lambda s: s.assign(Days=[np.array([v, v]) for v in s["Days"]]), "ndarray values"),
    (lambda s: s.assign(Days=[complex(v, 1) for v in s["Days"]]), "complex"),
    (lambda s: s.assign(Days=[object() for _ in s["Days"]]), "Python objects of type object"),
    (lambda s: s.set_axis(pd.MultiIndex.from_tuples([("a", "Reaction"), ("a", "Days"),
                                                      ("b", "Subject")]), axis=1), "MultiIndex"),
    (lambda s: s.set_axis(range(3), axis=1), "not text"),
    (lambda s: s.assign(Days=pd.Timestamp("2020-01-01") + pd.to_timedelta(s["Days"], unit="D")),
     "holds dates"),
    (lambda s: s["Reaction"], "Series"),
    (lambda s: s.to_numpy(), "pandas DataFrame"),
    (lambda s: s.iloc[:0], "no rows"),
])
def test_unusable_columns_and_frames_say_how_to_convert(data, match, sleep):
    with pytest.raises(DataError, match=match):
        mixedlab.lmer(F, data(sleep.copy()))


def test_integer_column_names_are_reachable_in_backquotes(sleep):
    d = sleep.set_axis(range(3), axis=1)
    fit, _ = _fit("`0` ~ `1` + (`1` | `2`)", d)
    base, _ = _fit(F, sleep)
    np.testing.assert_allclose(fit.fixef.to_numpy(), base.fixef.to_numpy(), rtol=1e-12)


def test_wrong_name_does_not_suggest_number_columns(sleep):
    d = sleep.copy()
    d[0] = 1.0
    with pytest.raises(DataError) as exc:
        mixedlab.lmer("y ~ Days + (1 | Subject)", d)
    assert "Did you mean '0'" not in str(exc.value) and "not text" in str(exc.value)
