"""glmer against lme4's stored answers: the summary text, lme4's evaluation counts, bad inputs.

Expected values come from the stored R references (reference_outputs/parity/*.json, written by
``mixedlab parity --regenerate``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixedlab as ml
from mixedlab._errors import DataError, ModelSpecificationError
from mixedlab.parity._corpus import get_case, load_case_data
from mixedlab.parity._fits import fit_mixedlab_glmer
from mixedlab.parity._reference import read_reference

CBPP = "cbind(incidence, size - incidence) ~ period + (1 | herd)"


@pytest.fixture(scope="module")
def cbpp_fit():
    return ml.glmer(CBPP, ml.datasets.cbpp(), family="binomial", data_name="cbpp")


@pytest.mark.parametrize("name", ["cbpp_laplace", "cbpp_nagq9", "cbpp_probit", "cbpp_cloglog", "gamma_log"])
def test_summary_text_equals_lme4s(name: str) -> None:
    case = get_case(name)
    data, _ = load_case_data(case)
    ours = fit_mixedlab_glmer(case, data)
    assert ours["summary"] == read_reference(name, case)["lme4"]["summary"]


def test_cbpp_follows_glmers_path(cbpp_fit) -> None:
    ref = read_reference("cbpp_laplace")["lme4"]
    # same stage-2 Nelder-Mead path: lme4's evaluation count and its deviance to rounding
    assert cbpp_fit.optinfo["n_evals"] == ref["n_evals"] == 285
    assert cbpp_fit.objective == pytest.approx(ref["objective"], rel=1e-12)
    assert cbpp_fit.deviance == pytest.approx(ref["deviance"], rel=1e-9)
    assert cbpp_fit.se.to_numpy() == pytest.approx(list(ref["se"].values()), rel=1e-6)


def test_cbpp_methods_match_lme4(cbpp_fit) -> None:
    head = read_reference("cbpp_laplace")["lme4"]["head"]
    k = len(head["fitted"])
    np.testing.assert_allclose(cbpp_fit.fitted()[:k], head["fitted"], rtol=1e-6)
    for t in ("deviance", "pearson", "response", "working"):
        np.testing.assert_allclose(cbpp_fit.residuals(type=t)[:k], head[t], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(cbpp_fit.predict()[:k], head["link"], rtol=1e-6)
    np.testing.assert_allclose(cbpp_fit.predict(re_form="~0", type="response")[:k], head["population"], rtol=1e-6)


def test_three_binomial_response_forms_agree(cbpp_fit) -> None:
    df = ml.datasets.cbpp()
    prop = ml.glmer("incidence / size ~ period + (1 | herd)", df, weights="size")
    assert prop.objective == pytest.approx(cbpp_fit.objective, rel=1e-10)


def test_bad_inputs_get_clear_errors() -> None:
    df = ml.datasets.cbpp()
    with pytest.raises(ModelSpecificationError, match="ordinary GLM"):
        ml.glmer("cbind(incidence, size - incidence) ~ period", df)
    with pytest.raises(ModelSpecificationError, match="is 0 for every observation"):
        ml.glmer("I(incidence * 0) ~ period + (1 | herd)", df)
    with pytest.raises(DataError, match="negative values not allowed"):
        ml.glmer("I(incidence - 5) ~ period + (1 | herd)", df, family="poisson")
    with pytest.raises(DataError, match="0 <= y <= 1"):
        ml.glmer("incidence ~ period + (1 | herd)", df, family="binomial")
    with pytest.raises(ModelSpecificationError, match="single, scalar random-effects term"):
        ml.glmer(CBPP + " + (1 | period)", df, nAGQ=9)
    with pytest.raises(ModelSpecificationError, match="link 'probit' not available"):
        ml.families.poisson(link="probit")
    with pytest.warns(RuntimeWarning, match="non-integer"):
        ml.glmer("I(incidence + 0.5) ~ period + (1 | herd)", df, family="poisson")
