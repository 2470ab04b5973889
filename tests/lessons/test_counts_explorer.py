"""Lesson 10's count-model explorer: what it shows is what mixedlab computes for its settings.

The expected numbers are computed here directly (``mixedlab.datasets.simulate_counts``,
``mixedlab.glmmtmb``, ``mixedlab.simulate_residuals``), not through the explorer's helpers;
the data themselves are checked against R in ``tests/datasets/test_counts_sim.py``.
"""

from __future__ import annotations

import math
import re
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab.datasets import simulate_counts
from mixedlab.lessons import _counts_explorer as cx

pytest.importorskip("ipywidgets", reason="the lessons extra is needed for the widget")

_FAMILIES = {"Poisson": ("poisson", "~0"), "NB2": ("nbinom2", "~0"), "ZINB": ("nbinom2", "~1")}


def _direct(settings: cx.CountSettings):
    data = simulate_counts(n_groups=settings.n_groups, n_per_group=settings.n_per_group,
                           group_sd=settings.group_sd, overdispersion=settings.overdispersion,
                           zi_prob=settings.zi_prob, seed=settings.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {name: mixedlab.glmmtmb("count ~ 1 + (1 | group)", data, family=fam, ziformula=zi)
                for name, (fam, zi) in _FAMILIES.items()}
        res = mixedlab.simulate_residuals(fits[settings.model], n=settings.nsim, seed=123)
    return data, fits, res


class _Tables(HTMLParser):
    """The rows of cell texts of every <table> in an HTML snippet (the stdlib parser: no lxml)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _shown_tables(explorer) -> list[pd.DataFrame]:
    """The explorer's tables as shown (3 decimals; "—" is NaN), read back from its HTML."""
    parser = _Tables()
    parser.feed(explorer._tables_html.value)
    frames = []
    for header, *body in parser.tables:
        frames.append(pd.DataFrame([[_num(v) for v in row[1:]] for row in body],
                                   index=[row[0] for row in body], columns=header[1:]))
    return frames


def _num(text: str) -> float:
    return float("nan") if text == "—" else float(text)


def _check_against_direct(explorer) -> None:
    s = explorer.settings
    data, fits, res = _direct(s)
    assert explorer.data.equals(data)
    aic, tests, params = _shown_tables(explorer)
    best = min(f.aic for f in fits.values())
    for name, f in fits.items():
        assert aic.loc[name, "df"] == f.npar
        assert abs(aic.loc[name, "AIC"] - f.aic) < 6e-4 and abs(aic.loc[name, "ΔAIC"] - (f.aic - best)) < 6e-4
    for row, t in (("uniformity (KS)", res.test_uniformity()), ("dispersion", res.test_dispersion()),
                   ("zero inflation", res.test_zero_inflation())):
        assert abs(tests.loc[row, "statistic"] - t.statistic) < 6e-4
        assert abs(tests.loc[row, "p-value"] - t.pvalue) < 6e-4
    assert list(params.index) == list(cx.PARAMETER_ROWS)
    true = [1.0, s.group_sd, s.overdispersion, s.zi_prob]
    assert np.allclose(params["true"], true)
    zinb = fits["ZINB"]
    want = {"Poisson": [fits["Poisson"].fixef.iloc[0], fits["Poisson"].varcorr["sdcor"].iloc[0], np.nan, np.nan],
            "NB2": [fits["NB2"].fixef.iloc[0], fits["NB2"].varcorr["sdcor"].iloc[0], 1 / fits["NB2"].sigma, np.nan],
            "ZINB": [zinb.fixef.iloc[0], zinb.varcorr["sdcor"].iloc[0], 1 / zinb.sigma,
                     1 / (1 + math.exp(-zinb.fixef_zi.iloc[0]))]}
    for name, values in want.items():
        got = params[name].to_numpy(dtype=float)
        assert np.allclose(got, values, atol=6e-4, equal_nan=True), (name, got, values)
    # the QQ plot has one point per observation
    assert explorer.svg.count("<circle") == len(data)


def test_explorer_shows_the_direct_computation_at_start_and_after_moves():
    ex = cx.CountsExplorer()
    _check_against_direct(ex)
    assert ex.message == ""
    for name, value in (("group_sd", 1.0), ("overdispersion", 0.8), ("zi_prob", 0.1), ("n_groups", 12),
                        ("n_per_group", 15), ("seed", 5)):
        before = (ex._tables_html.value, ex.svg)
        ex.controls[name].value = value
        assert getattr(ex.settings, name) == value
        assert ex._tables_html.value != before[0] and ex.svg != before[1], name
        _check_against_direct(ex)


def test_choosing_the_model_rediagnoses_without_refitting():
    ex = cx.CountsExplorer()
    fits = ex.fits
    aic_before = _shown_tables(ex)[0]
    for model in ("Poisson", "NB2", "ZINB"):
        ex.controls["model"].value = model
        assert ex.fits is fits                        # the same three fits
        assert f"QQ plot of the {model}" in ex.svg
        pd.testing.assert_frame_equal(_shown_tables(ex)[0], aic_before)
        _check_against_direct(ex)


def test_default_data_favour_the_zero_inflated_model_and_fail_the_poisson():
    # the lesson's prose rests on this: at the defaults the ZINB has the smallest AIC, and the
    # Poisson fails the dispersion and zero-inflation tests while the ZINB passes them
    ex = cx.CountsExplorer(cx.CountSettings(model="Poisson"))
    aic, tests, _ = _shown_tables(ex)
    assert aic["AIC"].idxmin() == "ZINB"
    assert tests.loc["dispersion", "p-value"] < 0.05 and tests.loc["zero inflation", "p-value"] < 0.05
    ex.controls["model"].value = "ZINB"
    tests = _shown_tables(ex)[1]
    assert (tests["p-value"] > 0.05).all()


def test_one_group_is_explained_and_hides_plot_and_tables_then_recovers():
    ex = cx.CountsExplorer()
    before = (ex.svg, ex._tables_html.value)
    ex.controls["n_groups"].value = 1
    assert ex.message.startswith("Only one group: the spread between groups")
    assert ex._drawing.layout.visibility == "hidden" and ex._tables_html.value == ""
    assert "Traceback" not in ex._message_html.value
    ex.controls["n_groups"].value = 20
    assert ex.message == "" and (ex.svg, ex._tables_html.value) == before
    assert ex._drawing.layout.visibility == "visible"


def test_only_zeros_is_explained():
    ex = cx.CountsExplorer(cx.CountSettings(n_groups=2, n_per_group=1, zi_prob=0.9, seed=1))
    assert (simulate_counts(n_groups=2, n_per_group=1, zi_prob=0.9, seed=1)["count"] == 0).all()
    assert ex.message.startswith("Every one of the 2 simulated counts is 0")
    assert ex._tables_html.value == ""


def test_boundary_and_non_converged_fits_are_explained_in_words():
    # one observation per group: the NB2 puts the group SD at 0; the ZINB's size runs to
    # infinity with a non-positive-definite Hessian
    ex = cx.CountsExplorer(cx.CountSettings(n_per_group=1))
    lines = ex.message.splitlines()
    assert any(line.startswith("NB2: singular (boundary) fit — the group SD is estimated as 0") for line in lines)
    assert any(line.startswith("ZINB: the fit did not converge cleanly (non-positive-definite Hessian)")
               for line in lines)
    assert ex.fits["NB2"].fit.varcorr["sdcor"].iloc[0] < 1e-3
    assert not ex.fits["ZINB"].fit.pd_hess
    assert ex._drawing.layout.visibility == "visible" and ex._tables_html.value   # still fitted and shown
    # no zero inflation in the data: the ZINB's probability is estimated as 0
    ex = cx.CountsExplorer(cx.CountSettings(n_per_group=2))
    assert "ZINB: the zero-inflation probability is estimated as 0" in ex.message
    assert ex.fits["ZINB"].fit.fixef_zi.iloc[0] < math.log(1e-4)


@pytest.mark.parametrize("bad,words", [(-1, "negative values not allowed"), (1.5, "not a whole number")])
def test_a_fit_that_raises_becomes_a_sentence(bad, words):
    data = simulate_counts()
    data.loc[0, "count"] = bad
    fits = cx.fit_models(data)
    for name, mf in fits.items():
        assert mf.fit is None and re.match(f"{name}: mixedlab could not fit the model: .*{words}", mf.messages[0])
    assert aic_is_missing(cx.aic_table(fits))
    diag = cx.diagnose(fits["ZINB"])
    assert diag.residuals is None and diag.message == "ZINB could not be fitted, so it has no residuals."
    assert cx.tests_table(diag).isna().all().all()
    assert "<circle" not in cx.qq_svg(diag)


def aic_is_missing(table: pd.DataFrame) -> bool:
    return bool(table[["df", "AIC", "ΔAIC"]].isna().all().all())


def test_widget_debounces_slider_drags_and_carries_a_still():
    ex = cx.CountsExplorer()
    sliders = [c for name, c in ex.controls.items() if name != "model"]
    assert len(sliders) == 6 and all(c.continuous_update is False for c in sliders)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<svg" in bundle["text/html"] and "open the notebook in Jupyter" in bundle["text/html"]


def test_lesson_10_runs_its_demo_and_shows_the_still(executed):
    ex = executed["10_count_models_explorer"]
    lines = ex.stream_lines()
    assert any(line.startswith("n_groups = 1: Only one group") for line in lines)
    assert "n_groups = 20: fitted, no warnings" in lines
    assert any(line.startswith("n_per_group = 1: NB2: singular") for line in lines)
    assert "same ZINB AIC as the explorer's: True" in lines
    assert "set.seed(2024)" in lines and "df_counts <- data.frame(group, count)" in lines
    outputs = [o for c in ex.nb.cells for o in c.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(outputs) == 1 and "<svg" in outputs[0]["data"]["text/html"]
    assert "QQ plot of the ZINB" in ex.result.html.read_text(encoding="utf-8")
