"""The executed lessons print the R course's numbers, in R's layout.

Token-by-token against the seed tutorial's printed output (always), character by
character against live R when R is available, and against R's stored output for the
sleepstudy model (which the tutorial does not print).
"""

from __future__ import annotations

import re

import pytest

from mixedlab.datasets._tutorial_r import tutorial_r_code

from _lesson_fixtures import LESSON_NAMES, find_exact

# The tutorial's R code for the two simulated designs, verbatim in substance; the
# captured prints are what the lessons must reproduce exactly.
_R_TUTORIAL = (
    "suppressMessages(library(lme4))\n"
    + tutorial_r_code("nested")
    + r"""
m_nested <- lmer(y ~ treatment + (1 + treatment | school), data = df_nested)
fix <- fixef(m_nested)
ranefs <- ranef(m_nested)$school
school_effects <- data.frame(
  school = rownames(ranefs),
  intercept = fix["(Intercept)"] + ranefs[,"(Intercept)"],
  treatment_effect = fix["treatmenttreated"] + ranefs[,"treatmenttreated"]
)
vc <- VarCorr(m_nested)
"""
    + tutorial_r_code("crossed")
    + r"""
m_crossed <- lmer(score ~ treatment + (1 + treatment | rater) + (1 | student), data = df_crossed)
fixc <- fixef(m_crossed)
ranefc <- ranef(m_crossed)$rater
rater_effects <- data.frame(
  rater = rownames(ranefc),
  intercept = fixc["(Intercept)"] + ranefc[,"(Intercept)"],
  treatment_effect = fixc["treatmenttreated"] + ranefc[,"treatmenttreated"]
)
m_exercise <- lmer(Reaction ~ Days + (1 + Days | Subject), data = sleepstudy)
"""
)

_R_PRINTS = {
    "nested_head": "head(df_nested)",
    "nested_summary": "summary(m_nested)",
    "nested_school_effects": "school_effects",
    "nested_varcorr": "vc",
    "nested_correlation": 'attr(vc$school, "correlation")[1, 2]',
    "crossed_head": "head(df_crossed)",
    "crossed_summary": "summary(m_crossed)",
    "crossed_rater_effects": "rater_effects",
    "crossed_varcorr": "VarCorr(m_crossed)",
    "sleepstudy_head": "head(sleepstudy)",
    "sleepstudy_summary": "summary(m_exercise)",
    "sleepstudy_varcorr": "VarCorr(m_exercise)",
    "sleepstudy_coef": "coef(m_exercise)$Subject",
}

_LESSON_OF = {
    "nested": "01_nested_schools",
    "crossed": "02_crossed_raters",
    "sleepstudy": "03_sleepstudy_exercise",
}


def _find_tokens(lines: list[str], expected: list[str]) -> int:
    """Index where ``expected`` occurs in ``lines`` comparing whitespace-separated tokens, or -1."""
    want = [e.split() for e in expected]
    have = [h.split() for h in lines]
    for i in range(len(have) - len(want) + 1):
        if have[i:i + len(want)] == want:
            return i
    return -1


def _explain(lines: list[str], expected: list[str]) -> str:
    """Show the nearest candidate so a failure says which line differs."""
    first = expected[0].split()
    starts = [i for i, line in enumerate(lines) if line.split() == first] or [0]
    i = starts[0]
    got = lines[i:i + len(expected)]
    diffs = [f"  expected {e!r}\n  printed  {g!r}" for e, g in zip(expected, got) if e.split() != g.split()]
    return "\n".join(diffs[:6]) or "(block not found)"


def test_every_lesson_ran_without_error(executed):
    assert list(executed) == LESSON_NAMES
    for name, ex in executed.items():
        assert ex.result.ok, f"{name} failed: {ex.result.error}"
        errors = [o for c in ex.nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{name} has error outputs"


@pytest.mark.parametrize("block", [
    "nested_head", "nested_summary", "nested_school_effects", "nested_varcorr", "nested_correlation",
    "crossed_head", "crossed_summary", "crossed_rater_effects", "crossed_varcorr", "sleepstudy_head",
])
def test_lessons_print_the_tutorials_lines(executed, tutorial_blocks, block):
    expected = tutorial_blocks[block]
    assert expected, f"fixture block {block} is empty"
    lines = executed[_LESSON_OF[block.split("_")[0]]].stream_lines()
    assert _find_tokens(lines, expected) >= 0, f"{block} differs from the tutorial:\n{_explain(lines, expected)}"


@pytest.mark.parametrize("block", ["sleepstudy_summary", "sleepstudy_varcorr", "sleepstudy_coef"])
def test_sleepstudy_prints_match_stored_r_output_exactly(executed, r_sleepstudy_blocks, block):
    expected = r_sleepstudy_blocks[block]
    lines = executed["03_sleepstudy_exercise"].stream_lines()
    assert find_exact(lines, expected) >= 0, f"{block} differs from R:\n{_explain(lines, expected)}"


@pytest.fixture(scope="module")
def r_prints(r_session) -> dict[str, list[str]]:
    """What R prints for each block, captured live (exact spacing, trailing blanks included)."""
    r_session.r(_R_TUTORIAL)
    out = {}
    for block, expr in _R_PRINTS.items():
        out[block] = list(r_session.r(f"capture.output(print({expr}))"))
    return out


@pytest.mark.parametrize("block", list(_R_PRINTS))
def test_lessons_print_exactly_what_live_r_prints(executed, r_prints, block):
    expected = r_prints[block]
    lines = executed[_LESSON_OF[block.split("_")[0]]].stream_lines()
    assert find_exact(lines, expected) >= 0, f"{block} differs from live R:\n{_explain(lines, expected)}"


def test_structure_tables_show_rs_level_counts(executed):
    # str() in the tutorial: 250 obs. of 3 variables, Factor w/ 5 and 2 levels;
    # 480 obs. of 4 variables, Factor w/ 40, 6 and 2 levels.
    def levels(name):
        html = executed[name].outputs_of_type("text/html")[0]
        return [int(v) for v in re.findall(r"<td>factor</td>\s*<td>(\d+)</td>", html)]

    assert "250 rows, 3 columns" in executed["01_nested_schools"].stream_lines()
    assert levels("01_nested_schools") == [5, 2]
    assert "480 rows, 4 columns" in executed["02_crossed_raters"].stream_lines()
    assert levels("02_crossed_raters") == [40, 6, 2]


@pytest.mark.parametrize("name,n_figures", [
    ("01_nested_schools", 2), ("02_crossed_raters", 2), ("03_sleepstudy_exercise", 3),
])
def test_lessons_draw_their_figures(executed, name, n_figures):
    assert len(executed[name].outputs_of_type("image/png")) == n_figures


@pytest.mark.parametrize("name,case", [
    ("01_nested_schools", "nested_reml"), ("02_crossed_raters", "crossed_reml"),
    ("03_sleepstudy_exercise", "sleepstudy_reml"),
])
def test_lessons_end_with_parity_table_and_say_where_r_values_came_from(executed, name, case):
    from mixedlab.parity import rbridge

    source = "live R" if rbridge.available() else "stored reference outputs"
    ex = executed[name]
    lines = ex.stream_lines()
    assert f"parity {case}: within tolerance ({source})" in lines
    assert any(line.startswith("Reference values: " + ("live R" if source == "live R" else "stored ")) for line in lines)
    tables = [h for h in ex.outputs_of_type("text/html") if "glmmTMB" in h and "lme4" in h]
    assert tables and "REML criterion" in tables[-1] and "fixed effect" in tables[-1]
    assert ex.result.parity == [{"case": case, "status": "within tolerance", "source": source}]


def test_explorer_cell_carries_a_still_for_pages_without_a_kernel(executed):
    ex = executed["04_partial_pooling_explorer"]
    outputs = [o for c in ex.nb.cells for o in c.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(outputs) == 1                       # the live explorer, in Jupyter
    still = outputs[0]["data"]["text/html"]         # and its drawing, for the HTML page
    assert "<svg" in still and "open the notebook in Jupyter" in still
    # the developer's timing check lives in the benchmark, not in the student's lesson
    assert not any("redraw" in line for line in ex.stream_lines())


def test_lesson_1_shows_the_shrinkage_it_claims(executed):
    lines = executed["01_nested_schools"].stream_lines()
    assert "4 of 5 schools are closer to the average effect (2.043) in the mixed model than in their raw difference" \
        in lines


def test_explorer_lesson_shows_messages_and_recovers(executed):
    lines = executed["04_partial_pooling_explorer"].stream_lines()
    assert any(line.startswith("n_groups = 1: Only one group") for line in lines)
    assert "n_groups = 20: fitted, no warnings" in lines
    assert any(line.startswith("slope_sd = 0.0: The true slope SD is 0") for line in lines)
    assert any(line.startswith("corr = 1.0: The true correlation is ±1") for line in lines)
    assert "corr = -0.4: fitted, no warnings" in lines
    assert "same partial-pooling estimates as a direct fit: True" in lines


def test_html_pages_are_written(executed):
    for name, ex in executed.items():
        page = ex.result.html.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert "On your own" in page
    assert "REML criterion at convergence: 704.8" in executed["01_nested_schools"].result.html.read_text()
    assert "<svg" in executed["04_partial_pooling_explorer"].result.html.read_text()


def test_lesson_2_formula_table_renders_as_a_table(executed):
    page = executed["02_crossed_raters"].result.html.read_text(encoding="utf-8")
    for cell in ("(1 | rater)", "(1 + treatment | rater) + (1 | student)", "(1 | school/class)"):
        assert f"<code>{cell}</code></td>" in page or f"<td><code>{cell}</code>" in page, cell
    table = page[page.index("<table>", page.index("Nested-or-crossed")):]
    table = table[:table.index("</table>")]
    assert "\\|" not in table and "`" not in table and table.count("<tr>") == 5
