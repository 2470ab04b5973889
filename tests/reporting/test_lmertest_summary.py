"""lmerTest's summary title and layout: R's strwrap, cat(fill=) and .prt.methTit, against R."""

from __future__ import annotations

import pytest

import mixedlab
from mixedlab.reporting._lmertest_summary import cat_fill_nosep, method_title, strwrap

TITLES = [
    "Linear mixed model fit by REML. t-tests use Satterthwaite's method",
    "Linear mixed model fit by maximum likelihood . t-tests use Satterthwaite's method",
    "Linear mixed model fit by REML. t-tests use Kenward-Roger's method",
    "Short title",
]


@pytest.mark.parametrize("title", TITLES)
def test_method_title_equals_lme4s(title: str, r_session) -> None:
    ro = r_session
    ro.r("suppressPackageStartupMessages(library(lme4))")
    f = ro.r("function(t) local({old <- options(width = 80); on.exit(options(old)); "
             "capture.output(lme4:::.prt.methTit(t, 'lmerModLmerTest'))})")
    assert method_title(title, "lmerModLmerTest") == list(f(ro.StrVector([title])))


@pytest.mark.parametrize("width", [20, 33, 78])
def test_strwrap_equals_r(width: int, r_session) -> None:
    text = "Linear mixed model fit by maximum likelihood . t-tests use Satterthwaite's method"
    f = r_session.r("function(x, w) strwrap(x, width = w, exdent = 2)")
    assert strwrap(text, width, exdent=2) == list(f(r_session.StrVector([text]), r_session.IntVector([width])))


def test_cat_fill_without_separator() -> None:
    assert cat_fill_nosep(["a" * 78, " [", "cls", "]"]) == ["a" * 78 + " [", "cls]"]
    assert cat_fill_nosep(["x", "y"]) == ["xy"]


def test_summary_with_ddf_keeps_lme4s_summary_otherwise() -> None:
    sleepstudy = mixedlab.datasets.sleepstudy()
    fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy)
    plain = str(fit.summary()).splitlines()
    satt = str(fit.summary(ddf="Satterthwaite")).splitlines()
    assert plain[0] == "Linear mixed model fit by REML ['lmerMod']"
    assert satt[:2] == ["Linear mixed model fit by REML. t-tests use Satterthwaite's method [",
                        "lmerModLmerTest]"]
    assert satt[2:satt.index("Fixed effects:") + 1] == plain[1:plain.index("Fixed effects:") + 1]
    i = satt.index("Fixed effects:")
    assert satt[i + 1] == "            Estimate Std. Error      df t value Pr(>|t|)    "
    assert satt[i + 4:i + 6] == ["---", "Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"]
    assert "<table" in fit.summary(ddf="Kenward-Roger")._repr_html_()
    with pytest.raises(mixedlab.ArgumentError, match="ddf must be"):
        fit.summary(ddf="Satterthwait")
