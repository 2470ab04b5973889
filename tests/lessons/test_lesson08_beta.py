"""Lesson 8 (beta models): parity cell and the appendix's R code."""

from __future__ import annotations

from mixedlab.datasets import on_task_r_code
from mixedlab.lessons._rprograms import get_program


def test_lesson8_ends_with_the_beta_parity_table(executed):
    from mixedlab.parity import rbridge

    source = "live R" if rbridge.available() else "stored reference outputs"
    ex = executed["08_beta_models"]
    assert ex.result.parity == [{"case": "tmb_beta_disp", "status": "within tolerance", "source": source}]
    tables = [h for h in ex.outputs_of_type("text/html") if "|Δ| to glmmTMB" in h]
    assert len(tables) == 1
    assert "dispersion model: fixed effect zhi" in tables[0] and ">NO<" not in tables[0]


def test_appendix_r_code_draws_the_data_and_fits_the_models(executed):
    code = executed["08_beta_models"].appendix_r_code()
    assert on_task_r_code(seed=808) in code
    setup = get_program("08_beta_models").setup
    # each model call of the appendix is the program's, line for line
    fit_lines = [line for line in code.splitlines() if "glmmTMB(" in line or line.startswith("  ")]
    assert len(fit_lines) == 3
    for line in fit_lines:
        assert line in setup, line
