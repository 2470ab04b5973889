"""The parity cell of lessons 1-3 without R: stored reference outputs, said visibly."""

from __future__ import annotations

import pytest

from mixedlab.lessons import show_parity
from mixedlab.lessons._runner import PARITY_LINE


@pytest.mark.parametrize("case", ["nested_reml", "crossed_reml", "sleepstudy_reml"])
def test_stored_reference_outputs_are_named_and_within_tolerance(capsys, case):
    result = show_parity(case, live=False)
    out = capsys.readouterr().out
    assert not result.live and result.ok
    assert f"Reference values: stored reference_outputs/parity/{case}.json" in out
    assert "R is not available here" in out
    assert f"parity {case}: within tolerance (stored reference outputs)" in out.splitlines()
    assert [m.group("case") for m in PARITY_LINE.finditer(out)] == [case]
    assert list(result.table["quantity"])[:2] == ["objective", "logLik"]


def test_live_parity_cell_says_live_r(capsys, rbridge):
    result = show_parity("nested_reml", live=True)
    out = capsys.readouterr().out
    assert result.live
    assert "Reference values: live R (R version" in out
    assert "parity nested_reml: within tolerance (live R)" in out.splitlines()


def test_lesson_table_shows_quantities_a_student_knows(capsys):
    from mixedlab.lessons._parity import student_table

    result = show_parity("sleepstudy_reml", live=False)
    capsys.readouterr()
    table, sentence = student_table(result)
    quantities = list(table["quantity"])
    assert quantities[:2] == ["REML criterion", "log-likelihood"]
    for q in ("fixed effect Days", "standard error of Days", "residual standard deviation",
              "Subject: standard deviation of Days", "Subject: correlation of (Intercept) and Days",
              "random effects of Subject (largest of 36 differences)"):
        assert q in quantities, q
    assert not any(q.startswith(("fixef names", "VarCorr", "ngroups", "isSingular", "nobs")) for q in quantities)
    assert set(table["within tolerance"]) == {"yes"}
    assert sentence.startswith("Identical to lme4's: number of observations")


def test_missing_reference_is_one_line_not_a_traceback(capsys, monkeypatch, tmp_path):
    from mixedlab.lessons._runner import PARITY_LINE

    monkeypatch.setenv("MIXEDLAB_REFERENCE_DIR", str(tmp_path))
    assert show_parity("nested_reml", live=False) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    found = [m.groupdict() for m in PARITY_LINE.finditer(out)]
    assert found == [{"case": "nested_reml", "status": "not checked",
                      "source": f"no stored R reference at {tmp_path / 'nested_reml.json'}, and R was not run"}]


def test_glmmtmb_case_table_compares_with_glmmtmb_in_words(capsys):
    from mixedlab.lessons._parity import TMB_TABLE_COLUMNS, student_table

    result = show_parity("tmb_salamanders_hurdle", live=False)
    out = capsys.readouterr().out
    assert result.ok and "parity tmb_salamanders_hurdle: within tolerance (stored reference outputs)" in out
    table, sentence = student_table(result)
    assert list(table.columns) == TMB_TABLE_COLUMNS
    quantities = list(table["quantity"])
    assert quantities[:2] == ["deviance (−2 log-likelihood)", "log-likelihood"]
    for q in ("fixed effect minedno", "zero-inflation model: fixed effect minedno",
              "zero-inflation model: standard error of sppPR", "dispersion parameter (sigma())",
              "site: standard deviation of (Intercept)", "random effects of site (largest of 23 differences)"):
        assert q in quantities, q
    assert set(table["within tolerance"]) == {"yes"}
    assert sentence.startswith("Identical to glmmTMB's: number of observations")
