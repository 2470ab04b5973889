"""glmmTMB's ``print(m)``, ``residuals(m, type)`` and zero-weight rows, against live glmmTMB 1.1.5.

Each corpus case is fitted in R; mixedlab is evaluated at R's estimates (``m$fit$par``, no
optimisation), so the short print must be R's character for character and the residuals
R's to the inner problem's precision. Zero-weight rows: glmmTMB keeps them (they add 0 to
the log-likelihood and count in ``nobs``, ``df.residual`` and BIC), and so does mixedlab.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab import ModelSpecificationError
from mixedlab.parity import _rtmb
from mixedlab.parity._corpus import TMB_CASES, load_case_data
from mixedlab.parity._fits import glmmtmb_case
from mixedlab.parity._kinds import get_kind

CASES = {c.name: c for c in TMB_CASES}


def _fit_at(case, data, par) -> mixedlab.TmbFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return glmmtmb_case(case, data, at=par)


@pytest.mark.parametrize("name", list(CASES))
def test_print_and_residuals_at_glmmtmbs_estimates(name: str, rbridge) -> None:
    case = CASES[name]
    data, _ = load_case_data(case)
    ref = get_kind(case.kind).fit_reference("glmmTMB", case, data)
    extras = _rtmb.last_fit_extras()
    fit = _fit_at(case, data, ref["par"])
    assert repr(fit) == extras["print"]
    for kind in ("response", "pearson", "working"):
        want = extras[kind]
        if isinstance(want, dict):  # glmmTMB cannot compute them: neither can mixedlab
            with pytest.raises(ModelSpecificationError):
                fit.residuals(kind)
            continue
        got = fit.residuals(kind)
        assert got.shape == want.shape
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        if not ok.any():  # sigma() is NA with a dispersion model: glmmTMB's Pearson are NA
            continue
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-6, atol=1e-8 * np.abs(want[ok]).max())


def test_print_of_the_own_fit_matches_glmmtmbs_layout(rbridge) -> None:
    case = CASES["tmb_salamanders_zinb"]
    data, _ = load_case_data(case)
    get_kind(case.kind).fit_reference("glmmTMB", case, data)
    want = _rtmb.last_fit_extras()["print"].splitlines()
    got = repr(mixedlab.glmmtmb(case.formula, data, family="nbinom2", ziformula=case.ziformula,
                                data_name="Salamanders")).splitlines()
    assert [len(s) for s in got] == [len(s) for s in want]
    assert got[0] == want[0] and got[-1][:12] == want[-1][:12]


@pytest.mark.parametrize("family,formula,dataset", [
    ("gaussian", "Reaction ~ Days + (1 | Subject)", "sleepstudy"),
    ("poisson", "count ~ mined + (1 | site)", "salamanders"),
])
def test_zero_weight_rows_are_kept_as_glmmtmb_keeps_them(family, formula, dataset, rbridge) -> None:
    data = getattr(mixedlab.datasets, dataset)().copy()
    data["w"] = 1.0
    data.loc[data.index[[2, 49, 99]], "w"] = 0.0
    before = data.copy()
    ref = _rtmb.fit_glmmtmb_family(formula, data, family, weights="w", data_name=dataset)
    extras = _rtmb.last_fit_extras()
    fit = mixedlab.glmmtmb(formula, data, family=family, weights="w", data_name=dataset)
    assert data.equals(before)
    assert fit.nobs == extras["nobs"] == len(data)
    assert fit.df_resid == extras["df_resid"]
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-9)
    assert fit.bic == pytest.approx(ref["bic"], rel=1e-9)
    pearson = fit.residuals("pearson")
    assert np.all(pearson[[2, 49, 99]] == 0.0)
    np.testing.assert_allclose(pearson, extras["pearson"], rtol=1e-4, atol=1e-6)


def test_all_weights_zero_is_an_error() -> None:
    data = mixedlab.datasets.sleepstudy().assign(w=0.0)
    with pytest.raises(mixedlab.DataError, match="weight"):
        mixedlab.glmmtmb("Reaction ~ Days + (1 | Subject)", data, weights="w")
