"""lmerTest's type I, II and III hypotheses: the matrices themselves, against lmerTest."""

from __future__ import annotations


import numpy as np
import pytest

import mixedlab
from mixedlab.inference._anova import marginal_terms
from mixedlab.inference._contrasts import doolittle

from _inference_fits import fit_case


def test_doolittle_equals_lmertest(rbridge) -> None:
    from mixedlab.parity._rinference import doolittle as r_doolittle

    fit, _, _ = fit_case("cake_factorial_unbalanced")
    X = fit._model.X
    A = X.T @ X
    np.testing.assert_allclose(doolittle(A)[0], r_doolittle(A), rtol=1e-10, atol=1e-12)
    B = np.array([[4.0, 2.0, 1e-7], [2.0, 5.0, 1.0], [1e-7, 1.0, 3.0]])  # entries below 1e-6 zeroed
    np.testing.assert_allclose(doolittle(B)[0], r_doolittle(B), rtol=1e-12)
    L, U = doolittle(B)
    assert L[2, 0] == 0.0 and np.allclose(np.diag(L), 1.0)


@pytest.mark.parametrize("name", ["cake_factorial_unbalanced", "cake_ordered_unbalanced", "cake_numeric", "slope3"])
@pytest.mark.parametrize("type", [1, 2, 3])
def test_hypotheses_equal_lmertests(name: str, type: int, rbridge) -> None:
    from mixedlab.parity._rinference import RModel

    fit, case, data = fit_case(name)
    ours = mixedlab.anova(fit, type=type).hypotheses
    theirs = RModel(case.formula, data, case.data_name).hypotheses(type)
    assert list(ours) == list(theirs)
    for term in theirs:
        np.testing.assert_allclose(ours[term], theirs[term], rtol=1e-6, atol=1e-9, err_msg=f"{name} {term}")


def test_factor_terms_are_tested_as_a_whole() -> None:
    fit, _, _ = fit_case("cake_factorial_unbalanced")
    tab = mixedlab.anova(fit, type=3)
    assert list(tab.index) == ["recipe", "temperature", "recipe:temperature"]
    assert tab["NumDF"].tolist() == [2, 5, 10]
    h = tab.hypotheses
    assert h["recipe"].shape == (2, 18) and h["recipe:temperature"].shape == (10, 18)


def test_type3_does_not_contain_a_factor_in_its_interaction_with_a_covariate() -> None:
    fit, _, _ = fit_case("cake_numeric")
    cont = fit._fixed_structure.containment()
    assert cont == {"recipe": [], "temp": ["recipe:temp"], "recipe:temp": []}
    assert marginal_terms(fit._fixed_structure) == ["recipe:temp"]
