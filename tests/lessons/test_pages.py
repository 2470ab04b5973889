"""Lesson pages that load nothing: math converted at build time, no CDN script, widget views dropped."""

from __future__ import annotations

import re

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")
pytest.importorskip("latex2mathml")

from mixedlab.lessons._pages import WIDGET_VIEW, markdown_math_to_placeholders, offline_html  # noqa: E402


def test_math_outside_code_becomes_placeholders_and_code_keeps_its_dollars():
    store: list = []
    src = ("For $x_{ij}$ and\n\n$$ y = \\beta_0 $$\n\n`ranef(m)$school` and\n```r\ncoef(m)$Subject\n```\n"
           "costs $5 and $10")
    out = markdown_math_to_placeholders(src, store)
    assert store == [("y = \\beta_0", True), ("x_{ij}", False)]
    assert "`ranef(m)$school`" in out and "coef(m)$Subject" in out
    assert "costs $5 and $10" in out


def test_page_has_mathml_no_cdn_and_a_still_instead_of_a_widget():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                            "version_minor": 0}}
    cell = nbformat.v4.new_code_cell("explorer")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/html": "<div class='still'><svg width='10' height='10'></svg></div>",
        "text/plain": "VBox(children=(...))"})]
    nb.cells = [nbformat.v4.new_markdown_cell("The model $\\rho = \\frac{a}{b}$ and\n\n$$ y_{ij} = x $$"), cell]
    page = offline_html(nb)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<math") == 2 and 'display="block"' in page and "<mfrac>" in page
    assert "$" not in re.sub(r"<style.*?</style>", "", page, flags=re.S).split("<body", 1)[1]
    assert not re.findall(r"""(?:src|href)=["']https?://""", page)
    assert "require.min.js" not in page and "MathJax" not in page and "embed-amd" not in page
    assert 'class="still"' in page and "VBox(" not in page
    assert "widgets" in nb.metadata and WIDGET_VIEW in nb.cells[1].outputs[0]["data"]  # input untouched
