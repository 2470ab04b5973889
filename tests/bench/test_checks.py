"""Agreement rule (|Δ objective| ≤ 1e-4 or mixedlab lower) and target evaluation."""

from __future__ import annotations

from mixedlab.bench._checks import OBJECTIVE_TOL, check_agreement, check_target
from mixedlab.bench._models import Target


def test_within_tolerance_is_ok():
    a = check_agreement(100.0 + 0.5 * OBJECTIVE_TOL, {"lme4": 100.0})
    assert a.status == "ok" and a.reference == "lme4" and not a.failed


def test_lower_objective_is_not_a_failure():
    a = check_agreement(99.9, {"lme4": 100.0})
    assert a.status == "lower" and not a.failed
    assert abs(a.difference + 0.1) < 1e-12


def test_higher_objective_fails():
    a = check_agreement(100.0 + 10 * OBJECTIVE_TOL, {"lme4": 100.0})
    assert a.status == "FAIL" and a.failed


def test_glmmtmb_is_the_reference_when_lme4_did_not_run():
    a = check_agreement(50.0, {"glmmTMB": 50.0})
    assert a.status == "ok" and a.reference == "glmmTMB"


def test_no_reference_is_unchecked_and_a_mixedlab_error_fails():
    assert check_agreement(1.0, {}).status == "unchecked"
    failed = check_agreement(None, {"lme4": 1.0}, mixedlab_error="DataError: no rows")
    assert failed.failed and "DataError" in failed.note


def test_targets():
    assert check_target(Target("ratio", 0.25), 0.2, None, None).met is True
    assert check_target(Target("ratio", 0.25), 0.3, None, None).met is False
    assert check_target(Target("seconds", 60.0), None, 61.0, None).met is False
    assert check_target(Target("memory_mb", 1024.0), None, None, 1024.0).met is False  # strict "<"
    assert check_target(Target("memory_mb", 1024.0), None, None, None).met is None
    assert Target("ratio", 0.2).label == "ratio<=0.2"


def test_a_wrong_answer_misses_every_target():
    check = check_target(Target("seconds", 60.0), None, 1.0, None, answer_failed=True)
    assert check.met is False and check.void is True
