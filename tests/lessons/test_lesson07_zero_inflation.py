"""Lesson 7 (zero inflation): parity cells, the models it fits, and its appendix's R code."""

from __future__ import annotations

from mixedlab.lessons._rprograms import get_program


def test_lesson7_ends_with_two_glmmtmb_parity_tables(executed):
    from mixedlab.parity import rbridge

    source = "live R" if rbridge.available() else "stored reference outputs"
    ex = executed["07_zero_inflation"]
    assert ex.result.parity == [{"case": c, "status": "within tolerance", "source": source}
                                for c in ("tmb_salamanders_zinb", "tmb_salamanders_hurdle")]
    tables = [h for h in ex.outputs_of_type("text/html") if "glmmTMB" in h and "|Δ| to glmmTMB" in h]
    assert len(tables) == 2
    for table in tables:
        assert "zero-inflation model: fixed effect minedno" in table
        assert "dispersion parameter (sigma())" in table
        assert ">NO<" not in table
    assert sum(line.startswith("Identical to glmmTMB's: number of observations") for line in ex.stream_lines()) == 2


def test_summaries_differ_from_r_at_most_in_the_last_digits(executed):
    # the close comparison is what lets these blocks pass; they are not all exact, and the
    # lesson says why (nlminb's stop) — if they ever become exact, the prose must change
    program = get_program("07_zero_inflation")
    assert set(program.close) == {"pois_summary", "nb2_summary", "nb1_summary", "zip_summary",
                                  "zinb_summary", "hurdle_summary"}
    intro = executed["07_zero_inflation"].nb.cells[0].source
    assert "nlminb" in intro and "one unit in R's" in intro


def test_appendix_r_code_is_the_lessons_r_program(executed):
    code = executed["07_zero_inflation"].appendix_r_code()
    setup = get_program("07_zero_inflation").setup
    fits = [line for line in code.splitlines() if "<- glmmTMB(" in line]
    assert len(fits) == 6
    for line in fits:
        assert line in setup, line
