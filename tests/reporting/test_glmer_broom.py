"""GlmerFit's tidy() and glance() against live broom.mixed on the same glmer fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab as ml
from mixedlab.parity._corpus import get_case, load_case_data
from mixedlab.parity._rglmer import eval_on_glmer

EXPRS = {"glance": "as.list(broom.mixed::glance(m))",
         "tidy": "as.list(as.data.frame(broom.mixed::tidy(m, conf.int = TRUE)))",
         "tidy_ranvals": "as.list(as.data.frame(broom.mixed::tidy(m, effects = 'ran_vals')))"}


def _as_float(values) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values])


@pytest.mark.parametrize("name", ["cbpp_laplace", "gamma_log"])
def test_tidy_and_glance_match_broom_mixed(r_session, name: str) -> None:
    case = get_case(name)
    data, _ = load_case_data(case)
    r = eval_on_glmer(case.formula, data, EXPRS, family=case.family, nAGQ=case.nAGQ, data_name=case.data_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ml.glmer(case.formula, data, family=ml.families.from_r(case.family), nAGQ=case.nAGQ)
    g = fit.glance()
    assert list(g.columns) == list(r["glance"].keys())
    for k, v in r["glance"].items():
        np.testing.assert_allclose(float(g[k].iloc[0]), float(v), rtol=1e-6, err_msg=k)
    t = fit.tidy(conf_int=True)
    rt = r["tidy"]
    assert list(t.columns) == list(rt.keys())
    assert list(t["term"]) == list(rt["term"]) and list(t["effect"]) == list(rt["effect"])
    for col in ("estimate", "std.error", "statistic", "p.value", "conf.low", "conf.high"):
        np.testing.assert_allclose(t[col].to_numpy(dtype=float), _as_float(rt[col]), rtol=2e-5, atol=1e-12,
                                   err_msg=col)
    tv = fit.tidy(effects="ran_vals")
    rv = r["tidy_ranvals"]
    assert list(tv["level"]) == [str(x) for x in rv["level"]]
    np.testing.assert_allclose(tv["estimate"].to_numpy(dtype=float), _as_float(rv["estimate"]), rtol=2e-5,
                               atol=1e-9)
    np.testing.assert_allclose(tv["std.error"].to_numpy(dtype=float), _as_float(rv["std.error"]), rtol=2e-5,
                               atol=1e-9)
