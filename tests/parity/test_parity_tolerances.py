"""The tolerance table and the harness's verdicts: they can fail, and fail for the right reason.

Inputs are real lme4 results from the stored references; "mixedlab" results are those same
numbers moved by a multiple of the table's own bound, so each test shows the harness
accepting what the table allows and rejecting what it does not.
"""

from __future__ import annotations

import copy

import pytest

from mixedlab.parity import _tolerances as tol
from mixedlab.parity._harness import _compare
from mixedlab.parity._reference import read_reference


def _lme4(name: str) -> dict:
    return read_reference(name)["lme4"]


def test_every_row_has_a_rule_and_a_reason() -> None:
    keys = [(t.kind, t.reference, t.quantity) for t in tol.TOLERANCES]
    assert len(keys) == len(set(keys))
    for t in tol.TOLERANCES:
        assert t.rule and len(t.reason) > 20, t
    for kind in ("lmer", "glmer"):
        lme4 = {q for k, r, q in keys if r == "lme4" and k == kind}
        # PARITY.md: objective, fixef, se, sigma, VarCorr rows, ranef, logLik, nobs
        assert {"objective", "fixef", "se", "sigma", "sd", "var", "corr", "cov", "ranef", "loglik", "nobs",
                "names"} <= lme4, kind
    lme4 = {q for k, r, q in keys if r == "lme4" and k == "lmer"}
    # PARITY.md: objective, fixef, se, sigma, VarCorr rows, ranef, logLik, nobs
    assert {"objective", "fixef", "se", "sigma", "sd", "var", "corr", "cov", "ranef", "loglik", "nobs",
            "names"} <= lme4
    assert set(tol.tolerance_table().columns) == {"reference", "quantity", "rule", "reason"}


def test_parity_md_bounds() -> None:
    ref = _lme4("sleepstudy_reml")
    beta, se, sigma = ref["fixef"]["Days"], ref["se"]["Days"], ref["sigma"]
    assert tol.allowed("lme4", "fixef", beta, {"se": se}) == max(1e-5 * abs(beta), 1e-3 * se)
    assert tol.allowed("lme4", "objective", ref["objective"]) == 1e-4
    assert tol.allowed("lme4", "sd", 24.7, {"sigma": sigma, "sd": 24.7}) == pytest.approx(1e-3 * 24.7)
    assert tol.allowed("lme4", "sd", 0.0, {"sigma": sigma, "sd": 0.0}) == pytest.approx(1e-4 * sigma)
    assert tol.allowed("lme4", "corr", 0.0655) == 2e-3


def test_objective_is_one_sided() -> None:
    obj = _lme4("nested_reml")["objective"]
    assert tol.within("lme4", "objective", obj - 0.5, obj)[2]  # lower: a better optimum
    assert tol.within("lme4", "objective", obj + 0.5e-4, obj)[2]
    assert not tol.within("lme4", "objective", obj + 2e-4, obj)[2]
    ll = -obj / 2
    assert tol.within("lme4", "loglik", ll + 1.0, ll)[2] and not tol.within("lme4", "loglik", ll - 1e-4, ll)[2]


def _checks(side):
    return {label: c for label, c in side.checks.items()}


def test_identical_results_pass_everything() -> None:
    ref = _lme4("slope3_reml")
    side = _compare("lme4", copy.deepcopy(ref), ref, ref, None)
    assert all(c.ok is True for c in side.checks.values()), [c for c in side.checks.values() if c.ok is not True]


@pytest.mark.parametrize("factor, ok", [(0.5, True), (2.0, False)])
def test_fixef_shift_judged_by_its_bound(factor: float, ok: bool) -> None:
    ref = _lme4("sleepstudy_reml")
    ours = copy.deepcopy(ref)
    bound = tol.allowed("lme4", "fixef", ref["fixef"]["Days"], {"se": ref["se"]["Days"]})
    ours["fixef"]["Days"] += factor * bound
    checks = _checks(_compare("lme4", ours, ref, ref, None))
    assert checks["fixef Days"].ok is ok
    assert checks["fixef (Intercept)"].ok is True


def test_sd_ranef_and_names_can_fail() -> None:
    ref = _lme4("pastes_nested_reml")
    ours = copy.deepcopy(ref)
    ours["varcorr"][1]["sdcor"] *= 1.01  # batch SD 1% off
    ours["ranef"]["batch"]["values"][3][0] += 0.05
    checks = _checks(_compare("lme4", ours, ref, ref, None))
    assert checks["VarCorr batch (Intercept) sd"].ok is False
    assert checks["VarCorr cask:batch (Intercept) sd"].ok is True
    assert checks["ranef batch (worst of 10)"].ok is False
    assert "worst at D/(Intercept)" in checks["ranef batch (worst of 10)"].note
    swapped = copy.deepcopy(ref)
    swapped["varcorr"][0], swapped["varcorr"][1] = swapped["varcorr"][1], swapped["varcorr"][0]
    assert _checks(_compare("lme4", swapped, ref, ref, None))["VarCorr names and order"].ok is False


def test_correlation_undefined_when_an_sd_is_zero() -> None:
    ref = _lme4("nested_reml")
    zero = copy.deepcopy(ref)
    for row in zero["varcorr"]:
        if row["grp"] == "school" and row["var1"] == "treatmenttreated" and row["var2"] is None:
            row["sdcor"] = row["vcov"] = 0.0
    checks = _checks(_compare("lme4", copy.deepcopy(zero), zero, zero, None))
    corr = checks["VarCorr school (Intercept):treatmenttreated corr"]
    assert corr.ok is None and "undefined" in corr.note


def test_lme4_convergence_warning_compares_objective_only() -> None:
    ref = copy.deepcopy(_lme4("crossed_ml"))
    ref["conv_warnings"] = ["Model failed to converge with max|grad| = 0.01 (tol = 0.002, component 1)"]
    ours = copy.deepcopy(ref)
    ours["fixef"]["treatmenttreated"] += 1.0  # would fail if compared
    side = _compare("lme4", ours, ref, ref, tol.OBJECTIVE_ONLY["lme4_convergence"])
    checks = _checks(side)
    assert checks["objective"].ok is True
    assert checks["fixef treatmenttreated"].ok is None and "objective only" in checks["fixef treatmenttreated"].note
    assert side.notes == [tol.OBJECTIVE_ONLY["lme4_convergence"]]
    ours["objective"] += 1e-3  # a worse optimum still fails
    assert _checks(_compare("lme4", ours, ref, ref, "x"))["objective"].ok is False


def test_lower_mixedlab_optimum_is_accepted_and_reported() -> None:
    ref = _lme4("crossed_ml")
    tmb = read_reference("crossed_ml")["glmmTMB"]  # glmmTMB stopped 0.076 above lme4 here
    side = _compare("glmmTMB", copy.deepcopy(ref), tmb, ref, None)
    checks = _checks(side)
    assert checks["objective"].ok is True and "better optimum" in checks["objective"].note
    assert any("lower than glmmTMB's" in n for n in side.notes)
    assert checks["sigma"].ok is None
