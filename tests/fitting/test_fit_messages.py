"""Messages that must lead somewhere in Python: the singular-fit pointer, convergence warnings."""

from __future__ import annotations

import pydoc
import re
import warnings

import pytest

import mixedlab
from mixedlab import ConvergenceWarning, FitMessage

LME4_SINGULAR = "boundary (singular) fit: see help('isSingular')"


def test_singular_message_keeps_lme4s_words_and_points_to_real_python_help():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = mixedlab.lmer("Yield ~ 1 + (1 | Batch)", mixedlab.datasets.dyestuff2())
    emitted = [str(w.message) for w in caught if issubclass(w.category, FitMessage)]
    assert emitted == [f"{LME4_SINGULAR} (in Python: help(mixedlab.isSingular))"]
    assert fit.messages == [LME4_SINGULAR]                 # lme4's words, compared with R's
    assert LME4_SINGULAR in str(fit.summary())
    # the pointer leads to a real function with the explanation
    assert mixedlab.isSingular(fit) is True and fit.is_singular
    page = pydoc.render_doc("mixedlab.isSingular", renderer=pydoc.plaintext)
    assert "boundary of the parameter space" in page and "What to do" in page


def test_is_singular_follows_lme4s_rule_on_a_regular_fit():
    fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy())
    assert mixedlab.isSingular(fit) is False
    assert mixedlab.isSingular(fit, tol=100.0) is True     # theta[lower == 0] < tol
    for bad in (-1.0, float("nan"), "1e-4", True):
        with pytest.raises(mixedlab.ArgumentError, match="tol must be a non-negative number"):
            mixedlab.isSingular(fit, tol=bad)
    with pytest.raises(mixedlab.ModelSpecificationError, match="isSingular needs a fitted model"):
        mixedlab.isSingular(fit.theta)
    assert list(fit.lower) == [0.0, float("-inf"), 0.0]


def test_convergence_warning_has_single_full_stops():
    with pytest.warns(ConvergenceWarning) as record:
        mixedlab.lmer("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy(),
                      control=mixedlab.LmerControl(maxeval=5))
    texts = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    assert any("maxeval was reached. The optimiser" in t for t in texts), texts
    for t in texts:
        assert not re.search(r"\.\.(\s|$)", t), t


def test_is_singular_reads_glmer_fits_too():
    fit = mixedlab.glmer("cbind(incidence, size - incidence) ~ period + (1 | herd)", mixedlab.datasets.cbpp(),
                         family=mixedlab.families.binomial())
    assert mixedlab.isSingular(fit) is fit.is_singular is False
    assert list(fit.lower) == [0.0]
