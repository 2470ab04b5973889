"""Lesson 9 (inference): parity cell, the appendix's R code, and what it prints."""

from __future__ import annotations

from mixedlab.lessons._rprograms import get_program


def test_lesson9_ends_with_the_sleepstudy_parity_table(executed):
    from mixedlab.parity import rbridge

    source = "live R" if rbridge.available() else "stored reference outputs"
    assert executed["09_inference"].result.parity == [
        {"case": "sleepstudy_reml", "status": "within tolerance", "source": source}]


def test_every_inference_table_is_compared_exactly():
    # lme4/lmerTest/pbkrtest agree with mixedlab to the printed digit: no block is "close"
    program = get_program("09_inference")
    assert program.close == ()
    assert {"sleep_summary", "short_kr", "nested_anova_kr", "crossed_ranova", "nested_drop1",
            "sleep_profile", "sleep_wald"} <= {name for name, _ in program.blocks}


def test_appendix_r_code_is_the_lessons_r_program(executed):
    code = executed["09_inference"].appendix_r_code()
    program = get_program("09_inference")
    for line in code.splitlines():
        if "<- lmer(" in line or "<- subset(" in line:
            assert line in program.setup, line
    for line in code.splitlines():
        if line.startswith("ci_"):
            assert line in program.setup, line
    for name, expr in program.blocks:
        assert expr in code, f"the appendix does not show {name}: {expr}"
