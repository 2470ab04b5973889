"""``anova(...)._repr_html_()``: R's printed table as HTML (NA blank, integer Df, formatted p, stars)."""

from __future__ import annotations

import re
import warnings

import pytest

import mixedlab


@pytest.fixture(scope="module")
def table():
    sleepstudy = mixedlab.datasets.sleepstudy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m1 = mixedlab.lmer("Reaction ~ Days + (1 | Subject)", sleepstudy)
        m2 = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy)
        return mixedlab.anova(m1, m2)


def _rows(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)] for r in rows]


def test_html_cells_are_the_printed_cells(table):
    html = table._repr_html_()
    rows = _rows(html)
    header, m1, m2 = rows
    assert header[1:] == ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(&gt;Chisq)", ""]
    # lme4 prints (tests/fitting/test_anova.py checks the text against R):
    #    npar    AIC    BIC  logLik deviance  Chisq Df Pr(>Chisq)
    # m1    4 1802.1 1814.8 -897.04   1794.1
    # m2    6 1763.9 1783.1 -875.97   1751.9 42.139  2  7.072e-10 ***
    text = str(table).splitlines()
    printed = {line.split()[0]: line.split()[1:] for line in text if line.startswith(("m1 ", "m2 "))}
    assert [c for c in m1[1:] if c] == printed["m1"]
    assert m2[1:] == printed["m2"]
    assert m1[6:] == ["", "", "", ""]             # R's NA is a blank cell, never NaN
    assert m2[7] == "2" and m2[9] == "***"        # Df an integer, significance stars
    assert "Signif. codes" in html and "nan" not in html.lower()
