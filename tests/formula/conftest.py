"""Helpers for comparing the parse stage with lme4::lFormula through the shared ``r_session``."""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest


def _column_to_r(ro: ModuleType, col: pd.Series):
    """One pandas column as an R vector; Categoricals become factors with the same levels."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        vec = ro.IntVector([ro.NA_Integer if c < 0 else int(c) + 1 for c in codes])
        vec.do_slot_assign("levels", ro.StrVector([str(c) for c in col.cat.categories]))
        vec.rclass = ro.StrVector(["ordered", "factor"] if col.cat.ordered else ["factor"])
        return vec
    if pd.api.types.is_bool_dtype(col.dtype):
        return ro.BoolVector([ro.NA_Logical if pd.isna(v) else bool(v) for v in col.tolist()])
    if pd.api.types.is_integer_dtype(col.dtype):
        return ro.IntVector([ro.NA_Integer if pd.isna(v) else int(v) for v in col.tolist()])
    if pd.api.types.is_float_dtype(col.dtype):
        return ro.FloatVector([ro.NA_Real if np.isnan(v) else float(v)
                               for v in col.to_numpy(dtype=float, na_value=np.nan)])
    return ro.StrVector([ro.NA_Character if pd.isna(v) else str(v) for v in col.tolist()])


_R_LFORMULA = r"""
function(formula, data, weights = NULL) {
  lf <- if (is.null(weights)) suppressMessages(lme4::lFormula(as.formula(formula), data = data))
        else suppressMessages(lme4::lFormula(as.formula(formula), data = data, weights = weights))
  re <- lf$reTrms
  list(X = unname(lf$X), xnames = colnames(lf$X),
       dropped = as.character(names(attr(lf$X, "col.dropped"))),
       cnms = unname(lapply(re$cnms, as.character)), cnames = names(re$cnms),
       levels = unname(lapply(re$flist[attr(re$flist, "assign")], levels)),
       Zt = as.matrix(re$Zt), n = nrow(lf$X), y = unname(model.response(lf$fr)))
}
"""


@pytest.fixture(scope="session")
def lformula(r_session: ModuleType) -> Callable[..., dict[str, Any]]:
    """Run ``lme4::lFormula`` on a pandas frame; returns plain Python/numpy values."""
    ro = r_session
    ro.r("suppressMessages(library(lme4))")
    fn = ro.r(_R_LFORMULA)

    def run(formula: str, data: pd.DataFrame, weights: np.ndarray | None = None) -> dict[str, Any]:
        rdf = ro.baseenv["data.frame"].rcall(
            [(str(c), _column_to_r(ro, data[c])) for c in data.columns]
            + [("stringsAsFactors", ro.BoolVector([False])),
               ("check.names", ro.BoolVector([False]))], ro.globalenv)
        args = [formula, rdf] + ([] if weights is None else [ro.FloatVector(weights)])
        res = fn(*args)
        out = dict(zip(res.names, res))
        n = int(out["n"][0])
        X = np.asarray(out["X"], dtype=float).reshape(-1, order="F")
        p = len(out["xnames"])
        return {
            "X": X.reshape((n, p), order="F"),
            "xnames": list(out["xnames"]),
            "dropped": list(out["dropped"]),
            "cnms": [list(c) for c in out["cnms"]],
            "cnames": list(out["cnames"]),
            "levels": [list(v) for v in out["levels"]],
            "Zt": np.asarray(out["Zt"]),
            "n": n,
            "y": np.asarray(out["y"], dtype=float),
        }

    return run


@pytest.fixture(scope="session")
def r_eval(r_session: ModuleType) -> Callable[[str], Any]:
    """Evaluate R code and return the rpy2 result."""
    return r_session.r


def _mixed_frame(n: int = 120, seed: int = 7) -> pd.DataFrame:
    """Numeric, text, categorical (custom order, one unused level), logical and numeric-group columns."""
    rng = np.random.default_rng(seed)
    g = np.tile([1, 2, 10, 3, 4, 5, 6, 7, 8, 9, 11, 12], n // 12)
    return pd.DataFrame({
        "y": rng.normal(size=n),
        "x": rng.normal(size=n),
        "z": rng.uniform(0.5, 3.0, size=n),
        "a": np.tile(["lo", "Mid", "hi"], n // 3),
        "b": np.repeat(["u", "v"], n // 2),
        "b2": np.tile(["p", "p", "q", "q"], n // 4),
        "f": pd.Categorical(np.tile(["c", "a", "b"], n // 3), categories=["c", "b", "a", "zz"]),
        "L": rng.normal(size=n) > 0,
        "g": g.astype(float),
        "gi": g.astype(np.int64),
        "s": np.tile(["s10", "s9", "S1", "s1", "_s", "t"], n // 6),
    })


@pytest.fixture
def mixed() -> pd.DataFrame:
    """A fresh copy of the shared mixed-type frame."""
    return _mixed_frame()


@pytest.fixture(scope="session")
def lformula_error(r_session: ModuleType) -> Callable[[str, pd.DataFrame], str]:
    """The error message lme4::lFormula gives (empty string when it succeeds)."""
    ro = r_session
    ro.r("suppressMessages(library(lme4))")
    fn = ro.r("function(f, d) tryCatch({lFormula(as.formula(f), d); ''}, "
              "error = function(e) conditionMessage(e))")

    def run(formula: str, d: pd.DataFrame) -> str:
        rdf = ro.baseenv["data.frame"].rcall(
            [(c, _column_to_r(ro, d[c])) for c in d.columns]
            + [("stringsAsFactors", ro.BoolVector([False]))], ro.globalenv)
        return str(fn(formula, rdf)[0])

    return run
