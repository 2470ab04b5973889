"""broom.mixed's tidy() and glance() of glmer fits, against broom.mixed 0.2.9.4 live.

The numbers are judged by the glmer rows of the parity table (``kind="glmer"``): glmer stops
loosely and its SEs come from a finite-difference Hessian, so agreement is to ~1e-3 of an SE,
not to lmer's digits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab.parity import _tolerances as tol

_MODELS = {
    "cbpp": ("cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbpp", "binomial"),
    "grouseticks": ("TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)", "grouseticks", "poisson"),
    "pass_fail": ("pass ~ hours + (1 | school)", "pass_fail", "binomial"),
}


def _data(name: str) -> pd.DataFrame:
    if name == "pass_fail":
        return mixedlab.datasets.simulate_pass_fail()
    return mixedlab.datasets.load_dataset(name)


def _r_broom(r_session, key: str, conf_method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from mixedlab.parity import _rbridge

    ro = r_session
    formula, data, family = _MODELS[key]
    ro.globalenv["bg_data"] = _rbridge.to_r(_data(data))
    f = ro.r("""function(formula, family, conf_method) {
      suppressMessages({requireNamespace("lme4"); requireNamespace("broom.mixed")})
      g <- lme4::glmer(as.formula(formula), bg_data, family = family)
      td <- suppressMessages(as.data.frame(broom.mixed::tidy(g, effects = c("fixed", "ran_pars", "ran_vals"),
                                           conf.int = conf_method == "Wald", conf.method = conf_method)))
      if (conf_method != "Wald")
        td <- suppressMessages(as.data.frame(broom.mixed::tidy(g, effects = c("fixed", "ran_pars"),
                                             conf.int = TRUE, conf.method = conf_method)))
      list(tidy = td, glance = as.data.frame(broom.mixed::glance(g))) }""")
    out = f(formula, family, conf_method)
    return _rbridge.from_r(out.rx2("tidy")), _rbridge.from_r(out.rx2("glance"))


@pytest.fixture(scope="module")
def fits():
    return {k: mixedlab.glmer(f, _data(d), family=fam) for k, (f, d, fam) in _MODELS.items()}


def _bound(row: pd.Series, col: str, ref: float, width: float) -> float:
    """The glmer rule for one cell of broom.mixed's table."""
    se = float(row["std.error"]) if np.isfinite(row["std.error"]) else 0.0
    if row["effect"] == "fixed":
        if col == "estimate":
            return tol.allowed("lme4", "fixef", ref, {"se": se}, kind="glmer")
        if col == "std.error":
            return tol.allowed("lme4", "se", ref, kind="glmer")
        if col == "statistic":  # β/SE: both rules, relative
            return abs(ref) * (tol.allowed("lme4", "se", 1.0, kind="glmer") + 1e-3 * se / max(abs(row["estimate"]), 1e-12))
        if col in ("conf.low", "conf.high"):
            return 1e-3 * width  # β̂ ± z·SE: 1e-3 of an SE each; profile: glmer's inner Nelder-Mead
    if row["effect"] == "ran_pars":
        if col == "estimate":
            return tol.allowed("lme4", "sd", ref, {"sd": abs(ref), "sigma": 1.0}, kind="glmer")
        return 1e-3 * width
    # ran_vals: b̂ and its conditional SD follow θ and β
    return tol.allowed("lme4", "ranef", ref, {"sd": abs(ref), "sigma": 1.0}, kind="glmer") + 1e-3 * se


@pytest.mark.parametrize("key", list(_MODELS))
def test_tidy_and_glance_equal_broom_mixed(key: str, fits, r_session) -> None:
    fit = fits[key]
    ref, ref_glance = _r_broom(r_session, key, "Wald")
    ours = fit.tidy(effects=("fixed", "ran_pars", "ran_vals"), conf_int=True)
    assert list(ours.columns) == list(ref.columns)
    for c in ("effect", "group", "level", "term"):
        assert [None if pd.isna(v) else str(v) for v in ours[c]] == [None if pd.isna(v) else str(v) for v in ref[c]], c
    for i in range(len(ref)):
        r, o = ref.iloc[i], ours.iloc[i]
        width = float(r["conf.high"] - r["conf.low"]) if np.isfinite(r["conf.high"]) else 0.0
        for col in ("estimate", "std.error", "statistic", "conf.low", "conf.high"):
            rv, ov = float(r[col]), float(o[col])
            if math.isnan(rv):
                assert math.isnan(ov), (i, col)
                continue
            b = _bound(r, col, rv, width)
            assert abs(ov - rv) <= b, (key, i, r["term"], col, ov, rv, b)
        if r["effect"] == "fixed":  # summary()'s Wald p-value, 2Φ(−|z|): the z rule on the log scale
            lp = abs(math.log(float(r["p.value"])) - math.log(float(o["p.value"])))
            assert lp <= 1e-3 * max(1.0, abs(math.log(float(r["p.value"])))), (key, r["term"], o["p.value"], r["p.value"])
        else:
            assert math.isnan(o["p.value"])
    g = fit.glance()
    assert list(g.columns) == list(ref_glance.columns) == ["nobs", "sigma", "logLik", "AIC", "BIC", "deviance",
                                                           "df.residual"]
    assert int(g["nobs"][0]) == int(ref_glance["nobs"][0]) and int(g["df.residual"][0]) == int(ref_glance["df.residual"][0])
    assert float(g["sigma"][0]) == float(ref_glance["sigma"][0]) == 1.0
    for c, rule in (("logLik", "loglik"), ("AIC", "objective"), ("BIC", "objective")):
        d = float(g[c][0]) - float(ref_glance[c][0])
        # one-sided: a better mixedlab optimum (higher logLik, lower AIC) is accepted
        assert (d if c == "logLik" else -d) >= -tol.allowed("lme4", rule, 0.0, kind="glmer"), (c, d)
        assert abs(d) < 1e-3, (c, d)
    # deviance(m): Σ squared deviance residuals, a smooth function of (θ, β)
    assert float(g["deviance"][0]) == pytest.approx(float(ref_glance["deviance"][0]), rel=1e-5)


def test_tidy_profile_intervals_equal_broom_mixed(fits, r_session) -> None:
    fit = fits["cbpp"]
    ref, _ = _r_broom(r_session, "cbpp", "profile")
    ours = fit.tidy(effects=("fixed", "ran_pars"), conf_int=True, conf_method="profile")
    assert list(ours["term"]) == list(ref["term"])
    width = (ref["conf.high"] - ref["conf.low"]).to_numpy(dtype=float)
    for col in ("conf.low", "conf.high"):
        d = np.abs(ours[col].to_numpy(dtype=float) - ref[col].to_numpy(dtype=float)) / width
        # lme4's inner Nelder-Mead stops at FtolAbs = 1e-5 on the deviance: ~1e-4 of the width
        assert d.max() < 1e-3, (col, d)


def test_tidy_arguments_are_checked(fits) -> None:
    fit = fits["cbpp"]
    with pytest.raises(mixedlab.ArgumentError, match="conf_level"):
        fit.tidy(conf_int=True, conf_level=95)
    with pytest.raises(mixedlab.ArgumentError, match="conf_method"):
        fit.tidy(conf_int=True, conf_method="wald")
    with pytest.raises(mixedlab.ArgumentError, match="only Wald"):
        fit.tidy(effects=("ran_vals",), conf_int=True, conf_method="profile")
    with pytest.raises(mixedlab.ModelSpecificationError, match="lmer fits"):
        fit.tidy(conf_int=True, conf_method="boot")
