"""The R side of GLMM parity: glmer, glmer.nb and glmmTMB GLMMs through rpy2, and their stored references.

Each glmer case's committed reference must equal a fresh fit in R on the same data (so the
stored files are what R gives, not stale), and carry its provenance.
"""

from __future__ import annotations

import pytest

from mixedlab.parity._corpus import GLMER_CASES, load_case_data
from mixedlab.parity._kinds import get_kind
from mixedlab.parity._reference import fingerprint, read_reference

NAMES = [c.name for c in GLMER_CASES]


@pytest.mark.parametrize("case", GLMER_CASES, ids=NAMES)
def test_stored_glmer_reference_is_what_r_gives_now(case, rbridge) -> None:
    ref = read_reference(case.name, case)
    data, _ = load_case_data(case)
    assert fingerprint(data) == ref["data"]["fingerprint"]
    now = get_kind("glmer").fit_reference("lme4", case, data)
    assert now["objective"] == pytest.approx(ref["lme4"]["objective"], rel=1e-8)
    # glmer's own estimates move by up to ~2e-5 between R sessions on the crossed designs
    # (memory alignment in its compiled code, ENGINE.md), within the parity tolerance
    assert now["fixef"] == pytest.approx(ref["lme4"]["fixef"], rel=1e-4, abs=1e-4)
    assert now["nobs"] == ref["lme4"]["nobs"] and now["ngroups"] == ref["lme4"]["ngroups"]
    assert now["summary"].startswith("Generalized linear mixed model fit by maximum likelihood")


@pytest.mark.parametrize("case", GLMER_CASES, ids=NAMES)
def test_glmer_reference_records_provenance(case) -> None:
    ref = read_reference(case.name, case)
    assert ref["generated"]["by"] == "mixedlab parity --regenerate"
    assert ref["case"]["kind"] == "glmer" and ref["case"]["family"] == case.family
    lme4 = ref["lme4"]
    for key in ("objective", "loglik", "fixef", "se", "sigma", "varcorr", "ranef", "nobs", "ngroups",
                "is_singular", "deviance", "summary", "cmp", "family", "link", "head"):
        assert key in lme4, key
    assert lme4["objective"] == pytest.approx(-2 * lme4["loglik"], rel=1e-14)
    assert lme4["nAGQ"] == case.nAGQ or case.family == "negative.binomial"
    # glmmTMB fitted every case (values reported or compared, see the case)
    assert "error" not in ref["glmmTMB"], ref["glmmTMB"].get("error")
