"""Bad input to glmmtmb gets a clear error naming the problem and the fix, and the data is
never modified."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, FormulaError, ModelSpecificationError

SAL = "count ~ spp + mined + (1 | site)"


@pytest.fixture()
def sal() -> pd.DataFrame:
    return mixedlab.datasets.salamanders()


def test_negative_counts(sal) -> None:
    bad = sal.assign(count=sal["count"] - 1)
    for fam in ("poisson", "nbinom2", "nbinom1", "genpois"):
        with pytest.raises(DataError, match=r"negative values not allowed for the .* family \(\d+ negative"):
            mixedlab.glmmtmb(SAL, bad, family=fam)


def test_non_integer_counts(sal) -> None:
    with pytest.raises(DataError, match="not a whole number"):
        mixedlab.glmmtmb(SAL, sal.assign(count=sal["count"] + 0.5), family="poisson")


def test_beta_response_at_0_or_1() -> None:
    from mixedlab.parity._corpus_data import load_corpus_dataset

    df = load_corpus_dataset("sim_beta")
    for v in (0.0, 1.0):
        bad = df.copy()
        bad.loc[3, "y"] = v
        with pytest.raises(DataError, match=r"0 < y < 1 for beta_family"):
            mixedlab.glmmtmb("y ~ x + (1 | g)", bad, family="beta_family")
    bad = df.copy()
    bad.loc[3, "y"] = 1.0
    with pytest.raises(DataError, match=r"0 <= y < 1"):
        mixedlab.glmmtmb("y ~ x + (1 | g)", bad, family="beta_family", ziformula="~1")


def test_zeros_in_a_truncated_family(sal) -> None:
    with pytest.raises(DataError, match=r"zero-truncated family truncated_nbinom2 cannot fit zeros.*"
                                        r"ziformula=\"~1\""):
        mixedlab.glmmtmb(SAL, sal, family="truncated_nbinom2")
    # with a ziformula it is a hurdle model and fits
    fit = mixedlab.glmmtmb(SAL, sal, family="truncated_poisson", ziformula="~1")
    assert np.isfinite(fit.loglik)


def test_unknown_family_with_close_matches(sal) -> None:
    with pytest.raises(ModelSpecificationError, match=r"unknown family 'nbinom'. Did you mean 'nbinom2' or 'nbinom1'"):
        mixedlab.glmmtmb(SAL, sal, family="nbinom")
    with pytest.raises(ModelSpecificationError, match=r"Did you mean 'Gamma'"):
        mixedlab.glmmtmb(SAL, sal, family="gamma")
    with pytest.raises(ModelSpecificationError, match=r"'poisson'"):
        mixedlab.glmmtmb(SAL, sal, family="poison")
    with pytest.raises(ModelSpecificationError, match="not implemented in mixedlab yet"):
        mixedlab.glmmtmb(SAL, sal, family="compois")
    with pytest.raises(ModelSpecificationError, match="unknown link 'logg'"):
        mixedlab.glmmtmb(SAL, sal, family=type("F", (), {"family": "poisson", "link": "logg"})())


def test_ziformula_without_zeros_in_the_response(sal) -> None:
    pos = sal[sal["count"] > 0]
    with pytest.raises(ModelSpecificationError, match="has no zeros.*drop ziformula"):
        mixedlab.glmmtmb(SAL, pos, family="poisson", ziformula="~1")
    from mixedlab.parity._corpus_data import load_corpus_dataset

    with pytest.raises(ModelSpecificationError, match="has no zeros"):
        mixedlab.glmmtmb("y ~ x + (1 | g)", load_corpus_dataset("sim_beta"), family="beta_family",
                         ziformula="~1")


def test_dispformula_with_random_effects(sal) -> None:
    with pytest.raises(ModelSpecificationError, match=r"dispformula .* random-effect terms \(1 \| site\).*"
                                                      r"fixed effects only"):
        mixedlab.glmmtmb(SAL, sal, family="nbinom2", dispformula="~ mined + (1 | site)")


def test_other_specification_errors(sal) -> None:
    with pytest.raises(ModelSpecificationError, match="only available for the gaussian family"):
        mixedlab.glmmtmb(SAL, sal, family="nbinom2", dispformula="~0")
    with pytest.raises(FormulaError, match="must be one-sided"):
        mixedlab.glmmtmb(SAL, sal, family="nbinom2", ziformula="count ~ mined")
    with pytest.raises(ModelSpecificationError, match="needs a binomial-type family"):
        mixedlab.glmmtmb("cbind(count, 10 - count) ~ mined + (1 | site)", sal, family="poisson")
    with pytest.raises(DataError, match="proportions.*weights"):
        mixedlab.glmmtmb("cover ~ mined + (1 | site)", sal.assign(cover=sal["cover"].abs() / 10),
                         family="binomial")
    with pytest.raises(mixedlab.ArgumentError, match="REML"):
        mixedlab.glmmtmb("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy(), REML="yes")
    with pytest.raises(ModelSpecificationError, match="start has 3 values"):
        mixedlab.glmmtmb(SAL, sal, family="poisson", control=mixedlab.tmb.TmbControl(start=[0, 0, 0]))


def test_data_not_modified(sal) -> None:
    before = sal.copy()
    mixedlab.glmmtmb(SAL, sal, family="nbinom2", ziformula="~mined", dispformula="~spp")
    pd.testing.assert_frame_equal(sal, before)


def test_convergence_problem_is_a_warning_in_plain_words(sal) -> None:
    # a zero-inflation random effect the data cannot identify: glmmTMB warns "false
    # convergence (8)" and "non-positive-definite Hessian matrix" on this model
    with pytest.warns(mixedlab.ConvergenceWarning, match=r"non-positive-definite Hessian matrix\. the "
                                                          r"log-likelihood is not curved upwards"):
        fit = mixedlab.glmmtmb(SAL, sal, family="nbinom2", ziformula="~mined + (1 | site)")
    assert not fit.pd_hess
    assert "non-positive-definite Hessian matrix" in fit.optinfo["conv_warnings"]
    assert "Model convergence problem; non-positive-definite Hessian matrix." in str(fit.summary())


def test_family_objects_with_links(sal) -> None:
    from mixedlab import families

    a = mixedlab.glmmtmb(SAL, sal, family=families.nbinom2(link="log"))
    b = mixedlab.glmmtmb(SAL, sal, family="nbinom2")
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    cbpp = mixedlab.datasets.cbpp()
    f = "cbind(incidence, size - incidence) ~ period + (1 | herd)"
    probit = mixedlab.glmmtmb(f, cbpp, family=families.binomial(link="probit"))
    assert probit.link == "probit" and probit.family_name == "binomial"
    # glmmTMB 1.1.5 on this model: logLik -92.583338 (GLMM.md, GLMM_R_OUTPUTS.txt)
    assert probit.loglik == pytest.approx(-92.583338, abs=2e-6)
    with pytest.raises(ModelSpecificationError, match="unknown link"):
        mixedlab.glmmtmb(SAL, sal, family=families.nbinom2(link="logit2"))
