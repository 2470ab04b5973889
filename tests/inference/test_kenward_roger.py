"""Kenward–Roger through Woodbury: pbkrtest's adjusted covariance and df, live and documented."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab._errors import ModelSpecificationError
from mixedlab.inference import kr_ddf_1d, kr_ftest, vcov_adjusted
from mixedlab.inference._kenward_roger import design_blocks
from mixedlab.linear._crossprod import random_effects_matrix

from _inference_fits import fit_case


def test_unbalanced_sleepstudy_matches_the_documented_numbers() -> None:
    # GLMM.md 5.1 (pbkrtest 0.5.2 through lmerTest, this machine): df 15.53307 / 15.87908,
    # SE 8.037493 / 1.634830 (the unadjusted SEs are 8.006979 / 1.631868)
    fit, _, _ = fit_case("sleepstudy_unbalanced")
    tab = fit.coef_table("Kenward-Roger")
    assert tab["df"].tolist() == pytest.approx([15.53307, 15.87908], abs=5e-5)
    assert tab["Std. Error"].tolist() == pytest.approx([8.037493, 1.634830], abs=5e-6)
    assert fit.se.tolist() == pytest.approx([8.006979, 1.631868], abs=5e-6)


@pytest.mark.parametrize("name", ["sleepstudy_unbalanced", "crossed", "slope3", "cake_factorial_unbalanced"])
def test_adjusted_covariance_equals_pbkrtest(name: str, rbridge) -> None:
    from mixedlab.parity._rinference import RModel

    fit, case, data = fit_case(name)
    phi_a, phi = RModel(case.formula, data, case.data_name).vcov_adj()
    ours = fit.vcov_adjusted().to_numpy()
    scale = np.sqrt(np.outer(np.diag(phi_a), np.diag(phi_a)))
    assert np.max(np.abs(ours - phi_a) / scale) < 1e-6
    if name == "sleepstudy_unbalanced":  # unbalanced: the adjustment is not nothing
        assert np.max(np.abs(ours - fit.vcov.to_numpy()) / scale) > 1e-3


def test_design_blocks_are_the_cross_products() -> None:
    fit, _, _ = fit_case("crossed")
    m = fit._model
    Z = random_effects_matrix([t.X for t in m.terms], [t.codes for t in m.terms], fit._cp.shapes, fit.nobs)
    H, ZX, XX = design_blocks(fit._cp)
    np.testing.assert_allclose(H, (Z.T @ Z).toarray(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ZX, Z.T @ m.X, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(XX, m.X.T @ m.X, rtol=1e-12)


def test_ml_fits_are_refused_as_lmertest_does() -> None:
    fit, _, _ = fit_case("sleepstudy_ml")
    with pytest.raises(ModelSpecificationError, match="only available for REML"):
        fit.coef_table("Kenward-Roger")
    with pytest.raises(ModelSpecificationError, match="REML"):
        mixedlab.anova(fit, ddf="Kenward-Roger")


def test_one_row_f_test_is_the_squared_t_test() -> None:
    fit, _, _ = fit_case("sleepstudy_unbalanced")
    adj = fit._kenward_roger
    beta = fit.fixef.to_numpy()
    L = np.array([[0.0, 1.0]])
    F = kr_ftest(L, beta, adj)
    t = beta[1] / np.sqrt(adj.phi_adj[1, 1])
    assert F.ndf == 1 and F.ddf == pytest.approx(kr_ddf_1d(L, adj))
    assert F.f_unscaled == pytest.approx(t**2)
    # a rank-deficient L is reduced to its row space (pbkrtest's force_full_rank)
    F2 = kr_ftest(np.vstack([L, 2 * L]), beta, adj)
    assert F2.ndf == 1 and F2.f == pytest.approx(F.f)


def test_prior_weights_give_kenward_roger_of_the_weighted_model(rbridge) -> None:
    """pbkrtest ignores prior weights; mixedlab's KR is that of the weighted model, which is
    pbkrtest's KR of the equivalent unweighted model on √w-scaled data."""
    from mixedlab.parity._corpus import load_case_data
    from mixedlab.parity._rinference import RModel

    data, _ = load_case_data("weights_reml")
    fit = mixedlab.lmer("y ~ x + (1 | g)", data, weights="w")
    sw = np.sqrt(data["w"].to_numpy())
    scaled = pd.DataFrame({"ys": data["y"] * sw, "sw": sw, "xs": data["x"] * sw, "g": data["g"]})
    m = RModel("ys ~ 0 + sw + xs + (0 + sw | g)", scaled, "scaled")
    phi_a, phi = m.vcov_adj()
    np.testing.assert_allclose(fit.vcov.to_numpy(), phi, rtol=1e-6)
    np.testing.assert_allclose(fit.vcov_adjusted().to_numpy(), phi_a, rtol=1e-6)
    kr = m.coef_table("Kenward-Roger")
    np.testing.assert_allclose(fit.coef_table("Kenward-Roger")["df"].to_numpy(), kr["df"].to_numpy(), rtol=1e-5)


def test_cost_does_not_grow_with_n_squared() -> None:
    """Only q × q and q × p arrays are formed: 20 000 rows with 40 groups is instant."""
    rng = np.random.default_rng(1)
    n, G = 20_000, 40
    g = rng.integers(0, G, n)
    x = rng.normal(size=n)
    y = 1 + 0.5 * x + rng.normal(size=G)[g] + 0.3 * rng.normal(size=G)[g] * x + rng.normal(size=n)
    data = pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(g)})
    fit = mixedlab.lmer("y ~ x + (x | g)", data)
    adj = vcov_adjusted(fit._cp, fit.theta, fit.sigma, fit.vcov.to_numpy())
    assert adj.phi_adj.shape == (2, 2) and len(adj.P) == 4
    assert np.all(np.diag(adj.phi_adj) >= np.diag(fit.vcov.to_numpy()) * (1 - 1e-9))
