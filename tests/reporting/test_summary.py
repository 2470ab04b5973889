"""``str(fit.summary())`` against lme4's ``print(summary(m))``, line for line.

Each case builds its data frame in R (the tutorial's code, lme4's data sets,
simulated designs), moves it to pandas through rpy2 (factors become
Categoricals), fits it with :func:`mixedlab.lmer` and with ``lme4::lmer`` on the
same R frame, and compares the printed lines exactly (trailing blanks
included). The tutorial's own printout is also checked without R.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab.reporting import LmerSummary, format_varcorr
from mixedlab.datasets import simulate_crossed, simulate_nested
from mixedlab.datasets._tutorial_r import tutorial_r_code

# The tutorial's printed output, transcribed from the seed tutorial (see the file's header)
TUTORIAL_OUTPUT = Path(__file__).resolve().parents[1] / "lessons" / "tutorial_output.txt"

NESTED_R = tutorial_r_code("nested")
CROSSED_R = tutorial_r_code("crossed")

# A design where the grouping variance is estimated as zero (singular fit), with
# many covariates (correlation table wider than 80 columns, or suppressed).
WIDE_R = """
set.seed(1)
d_wide <- data.frame(g = factor(rep(1:6, each = 10)), x = rnorm(60))
d_wide$y <- rnorm(60)
for (i in 1:12) d_wide[[paste0("x", i)]] <- rnorm(60)
d_wide$h <- factor(rep(1:3, 20))
d_wide$k <- factor(rep(1:4, 15))
"""

SLEEP_NA_R = """
sleep_na <- sleepstudy
sleep_na$Reaction[c(3, 10, 50)] <- NA
"""


@pytest.fixture(scope="module")
def r_frames(r_session: ModuleType) -> dict[str, pd.DataFrame]:
    """The R data frames of the cases, converted to pandas."""
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    ro = r_session
    ro.r("suppressMessages(library(lme4))")
    for code in (NESTED_R, CROSSED_R, WIDE_R, SLEEP_NA_R):
        ro.r(code)
    frames = {}
    with localconverter(ro.default_converter + pandas2ri.converter):
        for name in ("df_nested", "df_crossed", "d_wide", "sleepstudy", "sleep_na"):
            frames[name] = ro.conversion.rpy2py(ro.r(name)).reset_index(drop=True)
    return frames


CASES = [
    ("y ~ treatment + (1 + treatment | school)", "df_nested", True),
    ("y ~ treatment + (1 + treatment | school)", "df_nested", False),
    ("score ~ treatment + (1 + treatment | rater) + (1 | student)", "df_crossed", True),
    ("Reaction ~ Days + (Days | Subject)", "sleepstudy", True),
    ("Reaction ~ Days + (Days | Subject)", "sleepstudy", False),
    ("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", "sleepstudy", True),
    ("Reaction ~ Days + (Days || Subject)", "sleep_na", True),
    ("y ~ x + (1 | g)", "d_wide", True),
    ("y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + (1 | g) + (1 | h) + (1 | k)",
     "d_wide", True),
    ("y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + x12 + (1 | g)", "d_wide", False),
]


def _r_summary_lines(ro: ModuleType, formula: str, data: str, reml: bool) -> tuple[list[str], list[str]]:
    ro.r(f"m__ <- suppressMessages(lmer({formula}, data = {data}, REML = {'TRUE' if reml else 'FALSE'}))")
    summ = list(ro.r("capture.output(suppressMessages(print(summary(m__))))"))
    vc = list(ro.r("capture.output(print(VarCorr(m__)))"))
    return summ, vc


def _case_id(i: int, case) -> str:
    values = case.values if hasattr(case, "values") else case
    return f"{values[1]}-{'REML' if values[2] else 'ML'}-{i}"


@pytest.mark.parametrize("formula,data,reml", CASES, ids=[_case_id(i, c) for i, c in enumerate(CASES)])
def test_summary_text_equals_lme4(r_session, r_frames, formula, data, reml) -> None:
    fit = mixedlab.lmer(formula, r_frames[data], REML=reml, data_name=data)
    r_summary, r_vc = _r_summary_lines(r_session, formula, data, reml)
    if fit.n_dropped_na:
        # the one deliberate addition to lme4's layout: the na.omit count (issue 2)
        at = next(i for i, line in enumerate(r_summary) if line.startswith("Number of obs")) + 1
        r_summary = r_summary[:at] + [f"({fit.n_dropped_na} observations deleted due to missingness)"] + r_summary[at:]
    mine = str(fit.summary()).split("\n")
    assert mine == r_summary, "\n".join(
        f"line {i}: mixedlab {a!r} != R {b!r}"
        for i, (a, b) in enumerate(zip(mine + [""] * 99, r_summary + [""] * 99)) if a != b)
    assert format_varcorr(fit).split("\n") == r_vc


def test_varcorr_with_variances_equals_lme4(r_session, r_frames) -> None:
    fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", r_frames["sleepstudy"])
    r_session.r("m__ <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)")
    expect = list(r_session.r('capture.output(print(VarCorr(m__), comp = c("Variance", "Std.Dev."), digits = 3))'))
    assert format_varcorr(fit, digits=3, comp=("Variance", "Std.Dev.")).split("\n") == expect


def test_summary_correlation_switch_equals_lme4(r_session, r_frames) -> None:
    f = "y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + x12 + (1 | g)"
    fit = mixedlab.lmer(f, r_frames["d_wide"], data_name="d_wide")
    r_session.r(f"m__ <- suppressMessages(lmer({f}, d_wide))")
    shown = list(r_session.r("capture.output(print(summary(m__), correlation = TRUE))"))
    assert str(LmerSummary(fit, correlation=True)).split("\n") == shown
    nocor = list(r_session.r("capture.output(print(summary(m__), correlation = FALSE))"))
    assert str(LmerSummary(fit, correlation=False)).split("\n") == nocor


def test_no_data_line_without_a_data_name(r_frames) -> None:
    fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", r_frames["sleepstudy"], data_name=None)
    fit.data_name = None  # as when lmer cannot name the frame (an expression in R prints it)
    lines = str(fit.summary()).split("\n")
    assert lines[1] == "Formula: Reaction ~ Days + (Days | Subject)"
    assert not any(line.startswith("   Data:") for line in lines)


# ---------------------------------------------------------------------------
# The tutorial's printout, without R
# ---------------------------------------------------------------------------


def _tutorial_block(name: str) -> list[str]:
    """The lines of block ``[name]`` of the transcribed tutorial output."""
    lines = TUTORIAL_OUTPUT.read_text().splitlines()
    i = lines.index(f"[{name}]")
    block = []
    for line in lines[i + 1:]:
        if re.fullmatch(r"\[[a-z_]+\]", line):
            break
        block.append(line)
    while block and not block[-1].strip():
        block.pop()
    return block


def _squash(lines: list[str]) -> list[str]:
    # The stored tutorial lost runs of blanks; compare words only.
    return [" ".join(line.split()) for line in lines]


@pytest.mark.parametrize("kind", ["nested", "crossed"])
def test_summary_words_equal_the_tutorial_print(kind: str) -> None:
    if kind == "nested":
        df = simulate_nested()
        fit = mixedlab.lmer("y ~ treatment + (1 + treatment | school)", df, data_name="df_nested")
        expect = _tutorial_block("nested_summary")
        vc_expect = _tutorial_block("nested_varcorr")
    else:
        df = simulate_crossed()
        fit = mixedlab.lmer("score ~ treatment + (1 + treatment | rater) + (1 | student)", df,
                            data_name="df_crossed")
        expect = _tutorial_block("crossed_summary")
        vc_expect = _tutorial_block("crossed_varcorr")
    assert _squash(str(fit.summary()).split("\n")) == _squash(expect)
    assert _squash(format_varcorr(fit).split("\n")) == _squash(vc_expect)


def test_nested_summary_exact_layout() -> None:
    """The nested model's summary as lme4 1.1-31 prints it (blanks as R prints them)."""
    fit = mixedlab.lmer("y ~ treatment + (1 + treatment | school)", simulate_nested(),
                        data_name="df_nested")
    lines = str(fit.summary()).split("\n")
    assert lines[6:9] == [
        "Scaled residuals: ",
        "    Min      1Q  Median      3Q     Max ",
        "-2.3836 -0.6928 -0.1003  0.6241  3.3547 ",
    ]
    assert lines[10:16] == [
        "Random effects:",
        " Groups   Name             Variance Std.Dev. Corr ",
        " school   (Intercept)      0.5040   0.7100        ",
        "          treatmenttreated 0.3148   0.5611   -0.84",
        " Residual                  0.9054   0.9515        ",
        "Number of obs: 250, groups:  school, 5",
    ]
    assert lines[-3:] == ["Correlation of Fixed Effects:", "            (Intr)", "tretmnttrtd -0.812"]


def test_summary_html_holds_the_same_cells() -> None:
    fit = mixedlab.lmer("y ~ treatment + (1 + treatment | school)", simulate_nested(),
                        data_name="df_nested")
    html = fit.summary()._repr_html_()
    assert html == fit._repr_html_()
    for cell in ("10.1510", "0.3287", "30.881", "0.5040", "-0.84", "-0.812", "tretmnttrtd",
                 "REML criterion at convergence: 704.8", "Number of obs: 250"):
        assert cell in html
    assert re.search(r"<table>.*Random effects.*</table>", html)


def test_summary_rejects_a_bad_correlation_argument() -> None:
    fit = mixedlab.lmer("y ~ treatment + (1 | school)", simulate_nested())
    with pytest.raises(TypeError, match="correlation"):
        LmerSummary(fit, correlation="yes")
    with pytest.raises(ValueError, match="comp"):
        format_varcorr(fit, comp=("Var",))


def test_summary_does_not_touch_the_fit() -> None:
    fit = mixedlab.lmer("y ~ treatment + (1 | school)", simulate_nested())
    before = fit.varcorr.copy()
    str(fit.summary())
    pd.testing.assert_frame_equal(fit.varcorr, before)
    assert np.isfinite(fit.objective)


def test_fit_format_varcorr_is_the_varcorr_print() -> None:
    """The public method prints the tutorial's VarCorr block (source: the seed tutorial)."""
    fit = mixedlab.lmer("y ~ treatment + (1 + treatment | school)", mixedlab.datasets.simulate_nested())
    words = fit.format_varcorr().split()
    assert words == ["Groups", "Name", "Std.Dev.", "Corr", "school", "(Intercept)", "0.70996",
                     "treatmenttreated", "0.56111", "-0.842", "Residual", "0.95155"]
    assert fit.format_varcorr(comp=("Variance", "Std.Dev.")).split()[2:4] == ["Variance", "Std.Dev."]
