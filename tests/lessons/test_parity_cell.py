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
