"""Satterthwaite's df: lmerTest's stored derivatives and t tests, live and from GLMM.md."""

from __future__ import annotations


import numpy as np
import pytest

from mixedlab.inference import contest_1d, contest_md, satterthwaite_derivs
from mixedlab.inference._satterthwaite import fstat_ddf

from _inference_fits import fit_case


def test_unbalanced_sleepstudy_matches_the_documented_numbers() -> None:
    # GLMM.md 5.1 (lmerTest 3.1-3 run on this machine): df 14.60702 / 15.67935
    fit, _, _ = fit_case("sleepstudy_unbalanced")
    tab = fit.coef_table("Satterthwaite")
    assert tab.loc["(Intercept)", "df"] == pytest.approx(14.60702, abs=5e-5)
    assert tab.loc["Days", "df"] == pytest.approx(15.67935, abs=5e-5)
    assert tab.loc["Days", "Pr(>|t|)"] == pytest.approx(1.397634e-05, rel=1e-5)
    assert list(tab.columns) == ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]


@pytest.mark.parametrize("name", ["sleepstudy_unbalanced", "crossed", "slope3"])
def test_vcov_varpar_and_jacobian_equal_lmertest(name: str, rbridge) -> None:
    from mixedlab.parity._rinference import RModel

    fit, case, data = fit_case(name)
    r = RModel(case.formula, data, case.data_name, REML=case.REML).satterthwaite()
    d = fit._satterthwaite
    np.testing.assert_allclose(d.varpar, r["varpar"], rtol=1e-6)
    # on the scale of each entry's variances (R's finite differences carry ~1e-7 noise)
    V, Vr = d.vcov_varpar, r["vcov_varpar"]
    scale = np.sqrt(np.outer(np.diag(Vr), np.diag(Vr)))
    assert np.max(np.abs(V - Vr) / scale) < 1e-4
    jscale = max(np.abs(Jr).max() for Jr in r["jac_list"])
    for J, Jr in zip(d.jac_list, r["jac_list"]):
        assert np.max(np.abs(J - Jr)) < 1e-5 * jscale


def test_multi_df_test_rotates_and_combines_as_lmertest() -> None:
    fit, _, _ = fit_case("slope3")
    d, beta = fit._satterthwaite, fit.fixef.to_numpy()
    L = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    F = contest_md(beta, L, d, fit.sigma)
    # one row: the F test is the squared t test with its df
    r = contest_1d(beta, L[0], d)
    F1 = contest_md(beta, L[:1], d, fit.sigma)
    assert F1.f == pytest.approx(r.t**2) and F1.den_df == pytest.approx(r.df)
    assert F.num_df == 2 and F.mean_sq == pytest.approx(F.f * fit.sigma**2)
    assert contest_md(beta, np.zeros((0, 3)), d, fit.sigma) is None


def test_fstat_ddf_rules() -> None:
    assert fstat_ddf(np.array([7.5])) == 7.5
    assert fstat_ddf(np.array([5.0, 5.0 + 1e-9])) == pytest.approx(5.0)
    assert fstat_ddf(np.array([1.5, 10.0])) == 2.0
    E = 10 / 8 + 20 / 18
    assert fstat_ddf(np.array([10.0, 20.0])) == pytest.approx(2 * E / (E - 2))


def test_warning_texts_for_a_bad_hessian(monkeypatch) -> None:
    import mixedlab.inference._satterthwaite as s

    fit, _, _ = fit_case("sleepstudy")
    monkeypatch.setattr(s, "hessian", lambda f, x: np.diag([1.0, -2.0, 1e-10, 3.0]))
    with pytest.warns(UserWarning) as rec:
        d = satterthwaite_derivs(fit._cp, fit.theta, fit.sigma, True, fit.vcov.to_numpy())
    msgs = [str(w.message) for w in rec]
    assert "Model failed to converge with 1 negative eigenvalue: -2.0e+00" in msgs
    assert "Model may not have converged with 1 eigenvalue close to zero: 1.0e-10" in msgs
    # the pseudo-inverse keeps only the positive eigenvalues above 1e-8
    np.testing.assert_allclose(np.diag(d.vcov_varpar), [2.0, 0.0, 0.0, 2.0 / 3.0])
