"""lmer models from lme4's own test suite, against live lme4 (issue 9).

The models and the R code that builds their data are listed in
:mod:`mixedlab.parity._lme4_suite` (sleepstudy with and without weights, Dyestuff and
Dyestuff2, Penicillin, Pastes, cake, nlme's Orthodont, boundary.R's operator/part data,
offset.R's simulation, a rSim.11-style many-small-groups design).  Each is compared with
the parity tolerances as the fuzz designs are (:func:`mixedlab.parity._fuzz.compare_with_lme4`).
"""

from __future__ import annotations

import pytest

from mixedlab.parity._fuzz import compare_with_lme4
from mixedlab.parity._lme4_suite import SUITE, suite_data


@pytest.mark.parametrize("model", SUITE, ids=[m.name for m in SUITE])
def test_lme4_test_suite_model_agrees(model, rbridge):
    outcome = compare_with_lme4(model.formula, suite_data(model), model.REML, model.weights)
    assert outcome.status in ("agree", "better"), f"{model.name} ({model.source}): {model.formula}: " \
                                                   f"{outcome.status}: {outcome.detail}"
