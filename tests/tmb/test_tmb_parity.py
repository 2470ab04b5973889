"""Every glmmTMB corpus case: mixedlab.glmmtmb against glmmTMB 1.1.5, stored and live.

Stored: ``reference_outputs/parity/tmb_*.json`` (``mixedlab parity --regenerate``). Live:
glmmTMB fitted now through rpy2 (a missing R fails under ``MIXEDLAB_REQUIRE_R=1``).
Tolerances come only from :mod:`mixedlab.parity._tolerances` (kinds ``glmmtmb`` and
``glmmtmb_lmer``).

The summary text is compared two ways: at glmmTMB's own estimates (mixedlab evaluated at
``m$fit$par`` without optimising: the Hessian, standard errors and every printed character
must be glmmTMB's), and for mixedlab's own fit, whose optimum is at least as good as
glmmTMB's, so only trailing digits of estimates may differ.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab.parity import run_case
from mixedlab.parity._corpus import TMB_CASES, load_case_data
from mixedlab.parity._fits import glmmtmb_case
from mixedlab.parity._kinds import get_kind
from mixedlab.parity._reference import fingerprint, read_reference

NAMES = [c.name for c in TMB_CASES]
CASES = dict(zip(NAMES, TMB_CASES))


def _assert_case(res) -> None:
    for note in res.notes:
        warnings.warn(f"{res.case.name}: {note}", UserWarning, stacklevel=2)
    failures = res.failures
    assert failures.empty, f"{res.case.name} ({res.source}) outside tolerance:\n{failures.to_string()}"
    # estimates, standard errors, variance components and modes were compared
    compared = res.table[res.table["within tolerance"] == True]  # noqa: E712
    kinds = {q.split(" ", 1)[0] for q in compared["quantity"]}
    assert {"objective", "fixef", "se", "VarCorr", "ranef"} <= kinds, kinds


def _fit_at(case, data, par) -> mixedlab.TmbFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return glmmtmb_case(case, data, at=par)


@pytest.mark.parametrize("name", NAMES)
def test_tmb_case_against_stored_reference(name: str) -> None:
    res = run_case(name, live=False)
    assert res.source.startswith("stored")
    _assert_case(res)


@pytest.mark.parametrize("name", NAMES)
def test_tmb_case_against_live_r(name: str, rbridge) -> None:
    res = run_case(name, live=True)
    assert res.source.startswith("live R")
    _assert_case(res)
    # mixedlab's optimum is never worse than glmmTMB's beyond rounding (usually better)
    assert res.mixedlab["objective"] <= res.references["glmmTMB"]["objective"] + 1e-8


@pytest.mark.parametrize("name", NAMES)
def test_stored_tmb_reference_is_what_r_gives_now(name: str, rbridge) -> None:
    case = CASES[name]
    ref = read_reference(name, case)
    data, _ = load_case_data(case)
    assert fingerprint(data) == ref["data"]["fingerprint"]
    now = get_kind(case.kind).fit_reference("glmmTMB", case, data)
    assert now["objective"] == pytest.approx(ref["glmmTMB"]["objective"], rel=1e-10)
    assert now["par"] == pytest.approx(ref["glmmTMB"]["par"], rel=1e-7, abs=1e-9)
    assert now["summary"] == ref["glmmTMB"]["summary"]


@pytest.mark.parametrize("name", NAMES)
def test_objective_and_gradient_equal_glmmtmbs_at_its_estimates(name: str) -> None:
    """TMB's −log L and its AD gradient at m$fit$par (stored) are mixedlab's."""
    case = CASES[name]
    ref = read_reference(name, case)["glmmTMB"]
    data, _ = load_case_data(case)
    fit = _fit_at(case, data, ref["par"])
    assert fit.objective / 2 == pytest.approx(ref["fn"], rel=1e-11, abs=1e-9)
    np.testing.assert_allclose(fit.optinfo["gradient"], ref["gr"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_summary_text_at_glmmtmbs_estimates_is_glmmtmbs(name: str) -> None:
    case = CASES[name]
    ref = read_reference(name, case)["glmmTMB"]
    data, _ = load_case_data(case)
    fit = _fit_at(case, data, ref["par"])
    assert str(fit.summary()) == ref["summary"]
    # the standard errors at glmmTMB's estimates are sdreport's to ~1e-7
    assert list(fit.vcov_full.columns[: len(ref["se_par"])]) == fit.par_names
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov_full.to_numpy())), ref["se_par"], rtol=1e-6)


@pytest.mark.parametrize("name", ["tmb_salamanders_zinb", "tmb_salamanders_nb1_disp", "tmb_cbpp_binomial",
                                  "tmb_sleepstudy_gaussian"])
def test_summary_text_at_glmmtmbs_estimates_live(name: str, rbridge) -> None:
    case = CASES[name]
    data, _ = load_case_data(case)
    ref = get_kind(case.kind).fit_reference("glmmTMB", case, data)
    assert str(_fit_at(case, data, ref["par"]).summary()) == ref["summary"]


_NUM = re.compile(r"-?\d+\.?\d*(?:e[-+]\d+)?")


@pytest.mark.parametrize("name", NAMES)
def test_own_fit_summary_differs_from_glmmtmbs_only_in_trailing_digits(name: str) -> None:
    res = run_case(name, live=False)
    ours, theirs = res.mixedlab["summary"].splitlines(), res.references["glmmTMB"]["summary"].splitlines()
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert _NUM.sub("#", a) == _NUM.sub("#", b), (a, b)
        for x, y in zip(_NUM.findall(a), _NUM.findall(b)):
            if x == y:
                continue
            # a printed number may differ by a few units in its last digit, or (p-values
            # printed to 5 digits) by the 1e-3 relative that the parity tolerances allow
            unit = 10.0 ** -len(x.split(".")[1].split("e")[0]) if "." in x else 1.0
            scale = 10.0 ** int(x.split("e")[1]) if "e" in x else 1.0
            assert abs(float(x) - float(y)) <= max(5 * unit * scale, 1e-3 * abs(float(y))), (a, b)
