"""``repr(GlmerFit)`` against lme4's ``print(m)`` (the short form), live, line for line, trailing blanks included."""

from __future__ import annotations

import warnings

import pytest

import mixedlab as ml
from mixedlab.parity._corpus import get_case, load_case_data
from mixedlab.parity._fits import glmer_case
from mixedlab.parity._rglmer import eval_on_glmer

# the corpus GLMMs whose fits take seconds, not tens of seconds: a weights line (cbpp_proportion),
# nAGQ 0 and 9 titles, non-canonical links, a scale parameter (gamma_log: Residual row), glmer.nb's
# "Negative Binomial(θ)" family label, a 0/1 response
CASES = ["cbpp_laplace", "cbpp_nagq0", "cbpp_nagq9", "cbpp_proportion", "cbpp_probit", "cbpp_cloglog",
         "gamma_log", "grouseticks_nb", "pass_fail"]


def _ours(case, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return glmer_case(case, data)


@pytest.mark.parametrize("name", CASES)
def test_repr_is_lme4s_print(r_session, name: str) -> None:
    case = get_case(name)
    data, _ = load_case_data(case)
    nb = case.family == "negative.binomial"
    expected = eval_on_glmer(case.formula, data, {"print": "capture.output(print(m))"},
                             family="binomial" if nb else case.family, nAGQ=case.nAGQ, weights=case.weights,
                             nb=nb, data_name=case.data_name)["print"]
    assert repr(_ours(case, data)).split("\n") == list(expected)


def test_repr_is_short_and_summary_keeps_the_rest() -> None:
    fit = ml.glmer("cbind(incidence, size - incidence) ~ period + (1 | herd)", ml.datasets.cbpp())
    text = repr(fit)
    assert "Fixed Effects:" in text and " Family: binomial  ( logit )" in text
    assert "Scaled residuals" not in text and "Pr(>|z|)" not in text
    assert "Pr(>|z|)" in str(fit.summary())
