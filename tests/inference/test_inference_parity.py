"""The inference corpus: mixedlab's t/F tests, tables and texts against lmerTest and pbkrtest.

Stored: ``reference_outputs/inference/<case>.json`` (written by ``mixedlab parity --inference
--regenerate``). Live: lmerTest/pbkrtest run now through rpy2. Tolerances come only from
:mod:`mixedlab.parity._tolerances` (the ``lmerTest``, ``pbkrtest`` and ``lmerTest.ranova`` rows).
"""

from __future__ import annotations

import copy
import functools
import json

import pytest

from mixedlab.parity import _inference_corpus as ic
from mixedlab.parity import _tolerances as tol
from mixedlab.parity._reference import fingerprint

NAMES = [c.name for c in ic.INFERENCE_CASES]


@functools.lru_cache(maxsize=None)
def _ours(name: str) -> str:
    case = ic.get_inference_case(name)
    data, _ = ic.load_inference_data(case)
    return json.dumps(ic.mixedlab_results(case, data))


def _check(case, ours: dict, ref: dict) -> None:
    table = ic.compare(case, ours, ref)
    bad = table[table["ok"] == False]  # noqa: E712
    assert bad.empty, f"{case.name} outside tolerance:\n" + bad[["check", "mixedlab", "reference", "delta",
                                                                  "tolerance"]].to_string()
    # every case compares numbers and texts
    assert (table["kind"] == "number").sum() >= 10 and (table["kind"] == "text").sum() >= 3


@pytest.mark.parametrize("name", NAMES)
def test_case_against_stored_reference(name: str) -> None:
    case = ic.get_inference_case(name)
    stored = ic.read_inference_reference(case)
    data, _ = ic.load_inference_data(case)
    assert stored["data"]["fingerprint"] == fingerprint(data)
    _check(case, json.loads(_ours(name)), stored["R"])


@pytest.mark.parametrize("name", NAMES)
def test_case_against_live_r(name: str, rbridge) -> None:
    case = ic.get_inference_case(name)
    data, _ = ic.load_inference_data(case)
    ref = ic.r_results(case, data)
    _check(case, json.loads(_ours(name)), ref)
    # the stored reference is what R gives now (not stale): same tables within the rules
    stored = ic.read_inference_reference(case)["R"]
    table = ic.compare(case, stored, ref)
    assert (table["ok"] != False).all()  # noqa: E712


def test_corpus_covers_the_issue() -> None:
    kinds = {c.name for c in ic.INFERENCE_CASES}
    assert {"sleepstudy", "sleepstudy_unbalanced", "nested", "crossed", "penicillin"} <= kinds
    # a 3-level factor with an interaction, and an unbalanced design where the types differ
    fact = ic.get_inference_case("cake_factorial_unbalanced")
    assert "recipe * temperature" in fact.formula and fact.drop_rows
    assert all({"coef", "summary", "anova", "drop1", "ranova"} <= set(c.checks) for c in ic.INFERENCE_CASES)
    stored = ic.read_inference_reference(fact)["R"]["anova"]
    f1 = stored["1/Satterthwaite"]["table"]["data"][0][4]
    f3 = stored["3/Satterthwaite"]["table"]["data"][0][4]
    assert abs(f1 - f3) > 1e-3  # the case really distinguishes type I from type III


def test_every_inference_tolerance_has_a_reason() -> None:
    for ref in ("lmerTest", "pbkrtest"):
        for q in ("estimate", "se", "t", "df", "p", "F", "ss", "numdf", "text"):
            row = tol.rule(ref, q)
            assert row.rule and len(row.reason) > 30
    assert tol.allowed("lmerTest", "df", 15.0) == pytest.approx(1.5e-3)  # 1e-4 relative, the promise


@pytest.mark.parametrize("factor, ok", [(0.5, True), (2.0, False)])
def test_df_shift_is_judged_by_its_bound(factor: float, ok: bool) -> None:
    case = ic.get_inference_case("sleepstudy_unbalanced")
    ref = ic.read_inference_reference(case)["R"]
    ours = copy.deepcopy(ref)
    df = ref["coef"]["Kenward-Roger"]["data"][1][2]
    ours["coef"]["Kenward-Roger"]["data"][1][2] = df + factor * tol.allowed("pbkrtest", "df", df)
    table = ic.compare(case, ours, ref)
    row = table[table["check"] == "coef Kenward-Roger [Days, df]"].iloc[0]
    assert row["ok"] is ok


def test_text_differences_fail_unless_below_lmertest_precision() -> None:
    ref = "Days  10.467  1.546  17.000 3.26e-06 ***"
    assert ic.text_match(ref, ref) == (True, 0.0)
    assert not ic.text_match(ref.replace("17.000", "17.001"), ref)[0]
    assert not ic.text_match(ref.replace("***", "** "), ref)[0]
    noisy = "temp  0.153714  0.028207 222.000015"
    assert ic.text_match(noisy, "temp  0.153714  0.028207 222.000008")[0]  # 3e-8 relative: noise
