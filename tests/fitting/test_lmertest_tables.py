"""lmerTest's single-model tables through the public API: anova(fit), drop1, ranova."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import mixedlab
from mixedlab._errors import ModelSpecificationError
from mixedlab.reporting import RAnovaFrame
from mixedlab.reporting._anova_table import AnovaTable


@pytest.fixture(scope="module")
def sleep():
    sleepstudy = mixedlab.datasets.sleepstudy()
    return mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy, data_name="sleepstudy")


def test_single_model_anova_is_lmertests_table(sleep) -> None:
    tab = mixedlab.anova(sleep)
    assert isinstance(tab, RAnovaFrame)
    assert list(tab.columns) == ["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"]
    # infer.out (lmerTest 3.1-3): F = 45.853 on 1 and 17 df, p = 3.264e-06
    assert tab.loc["Days", "F value"] == pytest.approx(45.853, abs=5e-4)
    assert tab.loc["Days", "DenDF"] == pytest.approx(17.0, abs=1e-3)
    assert str(tab).splitlines()[0] == "Type III Analysis of Variance Table with Satterthwaite's method"
    for t in (3, "3", "III", "iii"):
        pd.testing.assert_frame_equal(pd.DataFrame(mixedlab.anova(sleep, type=t)), pd.DataFrame(tab))
    assert str(mixedlab.anova(sleep, type="I")).startswith("Type I Analysis")
    with pytest.raises(mixedlab.ArgumentError, match="type must be 1, 2 or 3"):
        mixedlab.anova(sleep, type=4)
    with pytest.raises(mixedlab.ArgumentError, match="ddf must be"):
        mixedlab.anova(sleep, ddf="KR")


def test_two_models_still_compare_by_likelihood_ratio(sleep) -> None:
    m0 = mixedlab.lmer("Reaction ~ 1 + (Days | Subject)", mixedlab.datasets.sleepstudy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = mixedlab.anova(m0, sleep, model_names=["m0", "m1"])
    assert isinstance(tab, AnovaTable) and "Chisq" in tab.columns


def test_drop1_tests_marginal_terms(sleep) -> None:
    tab = mixedlab.drop1(sleep)
    assert list(tab.index) == ["Days"]
    assert str(tab).splitlines()[:4] == ["Single term deletions using Satterthwaite's method:", "", "Model:",
                                         "Reaction ~ Days + (Days | Subject)"]
    cake = mixedlab.datasets.cake()
    fit = mixedlab.lmer("angle ~ recipe * temp + (1 | recipe:replicate)", cake)
    assert list(mixedlab.drop1(fit).index) == ["recipe:temp"]
    with pytest.raises(ModelSpecificationError, match="only marginal terms"):
        mixedlab.drop1(fit, scope=["recipe"])
    with pytest.raises(ModelSpecificationError, match="list of term labels"):
        mixedlab.drop1(fit, scope="recipe:temp")


def test_ranova_rows_and_refits(sleep) -> None:
    tab = mixedlab.ranova(sleep)
    assert list(tab.index) == ["<none>", "Days in (Days | Subject)"]
    assert tab.formulae == {"Days in (Days | Subject)": "Reaction ~ Days + (1 | Subject)"}
    assert tab.loc["Days in (Days | Subject)", "Df"] == 2
    whole = mixedlab.ranova(sleep, reduce_terms=False)
    assert list(whole.index) == ["<none>", "(Days | Subject)"]
    # no random term left: an ordinary linear model's REML log-likelihood
    assert whole.loc["(Days | Subject)", "npar"] == 3


CASES = [
    ("sleepstudy", "Reaction ~ Days + (Days || Subject)", True),
    ("sleepstudy", "Reaction ~ Days + (1 | Subject)", True),
    ("sleepstudy", "Reaction ~ Days + (1 | Subject)", False),
    ("sleepstudy", "Reaction ~ Days + (0 + Days | Subject)", True),
    ("Pastes", "strength ~ 1 + (1 | batch/cask)", True),
    # lme4 stops at a singular point (ML deviance 1661.443); mixedlab's optimiser (a second
    # run in centred slope coordinates, issue 9) reaches 1660.475, so lmerTest's table, built
    # on lme4's fit, differs in the full model's rows: strictly expected to differ
    pytest.param("cake", "angle ~ 0 + recipe * temp + (1 + temp | replicate)", False,
                 marks=pytest.mark.xfail(reason="mixedlab's optimum is 0.97 lower than lme4's", strict=True)),
]


@pytest.mark.parametrize("dataset, formula, reml", CASES)
def test_ranova_equals_lmertests_text(dataset: str, formula: str, reml: bool, rbridge) -> None:
    from mixedlab.parity._rinference import RModel

    data = mixedlab.datasets.load_dataset(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.lmer(formula, data, REML=reml, data_name=dataset)
        ours = str(mixedlab.ranova(fit))
    _, theirs = RModel(formula, data, dataset, REML=reml).ranova()
    assert ours == theirs


def test_ranova_needs_the_data_of_the_fit(sleep) -> None:
    import copy

    bare = copy.copy(sleep)
    del bare._lmer_args
    with pytest.raises(ModelSpecificationError, match="needs its data"):
        mixedlab.ranova(bare)
    with pytest.raises(ModelSpecificationError, match="not a"):
        mixedlab.ranova("not a fit")
