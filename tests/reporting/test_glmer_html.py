"""GlmerFit's Jupyter display: the cells of lme4's printed summary (stored R text), as HTML tables."""

from __future__ import annotations

import re
import warnings
from html import escape

import pytest

from mixedlab.parity._corpus import get_case, load_case_data
from mixedlab.parity._fits import glmer_case
from mixedlab.parity._reference import read_reference


def _fit(case, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return glmer_case(case, data)


def _section(text: str, start: str, stop: str) -> list[str]:
    lines = text.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(start))
    j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith(stop))
    return lines[i + 1: j]


@pytest.mark.parametrize("name", ["cbpp_proportion", "gamma_log"])
def test_html_holds_lme4s_summary_cells(name: str) -> None:
    case = get_case(name)
    data, _ = load_case_data(case)
    fit = _fit(case, data)
    html = fit._repr_html_()
    assert html == fit.summary()._repr_html_()
    r_text = read_reference(name, case)["lme4"]["summary"]
    # every number of R's AIC table, random effects and fixed-effects table is a cell of the HTML
    lines = r_text.splitlines()
    aic = lines[next(k for k, ln in enumerate(lines) if ln.lstrip().startswith("AIC")) + 1].split()
    fixed = [ln for ln in _section(r_text, "Fixed effects:", "---" if "---" in r_text else "Correlation")[1:]]
    cells = aic + [c for ln in fixed for c in ln.split()[1:] if c not in ("*", "**", "***", ".")]
    ranef = _section(r_text, "Random effects:", "Number of obs")[1:]
    cells += [c for ln in ranef for c in ln.split()[-2:]]
    for cell in cells:
        assert f">{escape(cell)}<" in html, cell
    family = re.search(r" Family: (.*)", r_text).group(1)
    assert re.sub(r"\s+", " ", family) in re.sub(r"\s+", " ", html)
    if case.weights:
        assert "Weights: <code>size</code>" in html
    stat = "t value" if fit.family.has_scale else "z value"
    assert re.search(rf"<caption>Fixed effects</caption><thead><tr><th></th><th>Estimate</th>"
                     rf"<th>Std. Error</th><th>{stat}</th><th>Pr\(&gt;\|z\|\)</th>", html)
