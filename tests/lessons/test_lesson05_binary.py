"""Lesson 5 (binary outcomes): parity cells, figure, and the appendix's R code."""

from __future__ import annotations

from mixedlab.datasets import pass_fail_r_code


def test_lesson5_ends_with_two_parity_tables_and_names_the_source(executed):
    from mixedlab.parity import rbridge

    source = "live R" if rbridge.available() else "stored reference outputs"
    ex = executed["05_binary_outcomes"]
    assert ex.result.parity == [{"case": c, "status": "within tolerance", "source": source}
                                for c in ("pass_fail", "cbpp_laplace")]
    lines = ex.stream_lines()
    assert sum(line.startswith("Reference values: ") for line in lines) == 2
    assert any("glmmTMB" in line and "reported, not compared" in line for line in lines)
    tables = [h for h in ex.outputs_of_type("text/html") if "lme4" in h and "glmmTMB" in h]
    assert len(tables) == 2
    for table in tables:
        assert "deviance (−2 log-likelihood)" in table and "fixed effect" in table
        assert "residual standard deviation" not in table      # binomial: no scale parameter


def test_lesson5_draws_the_probability_curves(executed):
    assert len(executed["05_binary_outcomes"].outputs_of_type("image/png")) == 1


def test_appendix_r_code_is_the_code_that_draws_the_data(executed):
    code = executed["05_binary_outcomes"].appendix_r_code()
    assert pass_fail_r_code(seed=2025) in code
    assert "glmer(pass ~ hours + (1 | school), data = df_pass, family = binomial)" in code
