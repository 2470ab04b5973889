"""The partial-pooling explorer, driven headlessly: sliders set in code, as a drag would."""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import mixedlab
from mixedlab.lessons import (
    ExplorerSettings,
    check_settings,
    estimate,
    shrinkage_svg,
    simulate,
    summary_tables,
)

pytest.importorskip("ipywidgets", reason="the explorer widget needs ipywidgets (the lessons extra)")

from mixedlab.lessons import PartialPoolingExplorer  # noqa: E402


def _direct_coef(settings: ExplorerSettings):
    sim = simulate(settings)
    return mixedlab.lmer("y ~ x + (1 + x | group)", sim.data).coef["group"]


@pytest.fixture()
def explorer():
    return PartialPoolingExplorer()


def test_default_explorer_matches_a_direct_fit(explorer):
    assert explorer.settings == ExplorerSettings()
    assert explorer.message == ""
    coef = _direct_coef(explorer.settings)
    t = explorer.estimates.table
    np.testing.assert_array_equal(t["partial_intercept"].to_numpy(), coef["(Intercept)"].to_numpy())
    np.testing.assert_array_equal(t["partial_slope"].to_numpy(), coef["x"].to_numpy())
    assert len(t) == 20 and (t["n"] == 10).all()
    ET.fromstring(explorer.svg)  # well-formed SVG


@pytest.mark.parametrize("name,value", [
    ("seed", 7), ("n_groups", 12), ("n_per_group", 25), ("intercept_sd", 2.0),
    ("slope_sd", 1.2), ("corr", 0.5), ("residual_sd", 0.6), ("unbalanced", True),
])
def test_slider_change_refits_and_redraws(explorer, name, value):
    before_svg = explorer.svg
    before = explorer.estimates.table.copy()
    explorer.controls[name].value = value
    assert getattr(explorer.settings, name) == value
    after = explorer.estimates.table
    coef = _direct_coef(explorer.settings)
    np.testing.assert_array_equal(after["partial_slope"].to_numpy(), coef["x"].to_numpy())
    np.testing.assert_array_equal(after["partial_intercept"].to_numpy(), coef["(Intercept)"].to_numpy())
    assert explorer.svg != before_svg
    assert not after["partial_slope"].reset_index(drop=True).equals(before["partial_slope"].reset_index(drop=True))
    assert len(explorer.timings) == 2


def test_one_group_gives_a_message_and_the_sliders_keep_working(explorer):
    explorer.controls["n_groups"].value = 1
    assert "Only one group" in explorer.message
    assert explorer.estimates is None
    explorer.controls["seed"].value = 5            # still on one group: message again, no traceback
    assert "Only one group" in explorer.message
    explorer.controls["n_groups"].value = 15
    assert "Only one group" not in explorer.message
    assert explorer.estimates is not None
    coef = _direct_coef(explorer.settings)
    np.testing.assert_array_equal(explorer.estimates.table["partial_slope"].to_numpy(), coef["x"].to_numpy())


@pytest.mark.parametrize("name,value,phrase", [
    ("slope_sd", 0.0, "true slope SD is 0"),
    ("intercept_sd", 0.0, "true intercept SD is 0"),
    ("corr", 1.0, "correlation is ±1"),
    ("corr", -1.0, "correlation is ±1"),
])
def test_boundary_settings_explain_instead_of_failing(explorer, name, value, phrase):
    explorer.controls[name].value = value
    assert phrase in explorer.message
    assert explorer.estimates is not None and explorer.estimates.fit is not None
    if explorer.estimates.fit.is_singular:
        assert "boundary (singular) fit" in explorer.message
    explorer.controls[name].value = getattr(ExplorerSettings(), name)
    assert explorer.message == ""


def test_too_few_observations_per_group_is_reported(explorer):
    explorer.controls["n_per_group"].value = 2
    assert "cannot be separated from the residual" in explorer.message
    assert explorer.estimates is None
    explorer.controls["unbalanced"].value = True
    explorer.controls["n_per_group"].value = 1   # every group of size 1: mixedlab's own error, shown
    assert "mixedlab could not fit the model" in explorer.message
    explorer.controls["n_per_group"].value = 10
    assert "could not fit" not in explorer.message
    assert explorer.estimates.fit is not None


def test_unbalanced_groups_of_one_have_no_no_pooling_estimate():
    s = ExplorerSettings(unbalanced=True, n_per_group=3, n_groups=30, seed=4)
    est = estimate(simulate(s))
    single = est.table[est.table["n"] == 1]
    assert len(single) > 0
    assert single["none_slope"].isna().all()
    assert single["partial_slope"].notna().all()


def test_settings_check():
    assert check_settings(ExplorerSettings()) == (None, [])
    err, _ = check_settings(ExplorerSettings(n_groups=1))
    assert err and "unidentifiable" in err


def test_partial_pooling_beats_both_extremes_at_the_defaults():
    s = ExplorerSettings()
    params, errors = summary_tables(estimate(simulate(s)), s)
    assert errors.idxmin().tolist() == ["partial pooling", "partial pooling"]
    assert params.loc["β1 x", "true"] == 2.0


def test_svg_has_one_marker_per_estimate():
    est = estimate(simulate(ExplorerSettings(n_groups=9)))
    root = ET.fromstring(shrinkage_svg(est))
    circles = root.findall("{http://www.w3.org/2000/svg}circle")
    assert len(circles) == 9 + 9 + 2   # no pooling, partial pooling, two legend glyphs


def test_redraw_time_is_measured_at_the_default_size(explorer):
    # Tests assert no timings (the benchmark and the lesson report them); this checks
    # that every measured change is one full update and that the median is reported.
    explorer.measure_redraw(repeats=3)            # warm caches
    n_before = len(explorer.timings)
    median = explorer.measure_redraw(repeats=9)
    # nine seed changes plus the change back to the original seed, each one full update
    assert len(explorer.timings) == n_before + 10
    assert median == statistics.median(explorer.timings[n_before:n_before + 9])
    assert median > 0


@pytest.mark.parametrize("unbalanced", [False, True])
def test_simulation_matches_r(r_session, unbalanced):
    s = ExplorerSettings(unbalanced=unbalanced, n_groups=20, n_per_group=10, seed=321)
    sim = simulate(s)
    r = r_session.r
    r(f"""
    set.seed({s.seed}); n_groups <- {s.n_groups}; n_per_group <- {s.n_per_group}
    sizes <- if ({'TRUE' if unbalanced else 'FALSE'}) sample(2 * n_per_group - 1, n_groups, replace = TRUE) else rep(n_per_group, n_groups)
    z0 <- rnorm(n_groups); z1 <- rnorm(n_groups)
    u0 <- {s.intercept_sd} * z0
    u1 <- {s.slope_sd} * ({s.corr} * z0 + sqrt(1 - ({s.corr})^2) * z1)
    g <- rep(seq_len(n_groups), sizes)
    x <- rnorm(sum(sizes))
    y <- 10 + u0[g] + (2 + u1[g]) * x + rnorm(sum(sizes), 0, {s.residual_sd})
    """)
    np.testing.assert_array_equal(sim.truth["n"].to_numpy(), np.asarray(r("sizes")))
    np.testing.assert_array_equal(sim.data["x"].to_numpy(), np.asarray(r("x")))
    np.testing.assert_array_equal(sim.data["y"].to_numpy(), np.asarray(r("y")))


def test_legend_sits_outside_the_plotting_area():
    est = estimate(simulate(ExplorerSettings()))
    root = ET.fromstring(shrinkage_svg(est))
    ns = "{http://www.w3.org/2000/svg}"
    frame = next(r for r in root.findall(f"{ns}rect") if r.get("stroke") == "#333")
    bottom = float(frame.get("y")) + float(frame.get("height"))
    labels = [t for t in root.findall(f"{ns}text")
              if ("pooling (" in (t.text or "") or t.text == "true value")]
    assert len(labels) == 4
    assert all(float(t.get("y")) > bottom + 20 for t in labels)   # under the axis labels, below every point


def test_four_observations_per_group_is_singular_and_the_message_says_which_estimate():
    explorer = PartialPoolingExplorer(ExplorerSettings(n_per_group=4))
    assert explorer.estimates.fit.is_singular
    assert "boundary (singular) fit: the intercept-slope correlation is estimated as +1.00" in explorer.message


def test_explorer_display_has_the_live_widget_and_a_still(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<svg" in bundle["text/html"] and "open the notebook in Jupyter" in bundle["text/html"]
    assert "display:flex" in bundle["text/html"]      # tables beside the drawing, wrapping when narrow


def test_lesson_4_hint_says_few_observations_give_a_singular_fit():
    import nbformat

    from _lesson_fixtures import LESSONS_DIR

    nb = nbformat.read(LESSONS_DIR / "04_partial_pooling_explorer.ipynb", as_version=4)
    hint = next(c.source for c in nb.cells if "Fewer observations per group" in c.source)
    assert "at 4 per group" in hint and "singular" in hint
    assert not any("redraw" in c.source.lower() and c.cell_type == "code" for c in nb.cells)
