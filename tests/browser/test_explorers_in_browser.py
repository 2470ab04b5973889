"""The lesson explorers in a real browser: JupyterLab and Notebook 7 under headless Chromium.

For each explorer (:data:`_explorers.EXPLORERS`) and frontend, one page is opened and run
(Run → Run All Cells), and the tests below act on it in order, as a student would:

1. the explorer appears as a widget, with a drawing and the tables for its sliders' values;
2. arrow keys on a slider (JupyterLab; Notebook 7 handles arrow keys as notebook shortcuts),
   a mouse drag, and values typed into readouts each change the drawing, and the tables
   change with it to what the explorer computes for the new slider values;
3. a setting the model cannot be fitted with shows the explorer's explanation (no drawing,
   no tables, no traceback), and moving back draws the earlier picture again;
4. (explorers with a dropdown) each option picked redraws, with the tables that option gives;
5. (explorers with a boundary case) a setting that puts a fit on the boundary is still drawn,
   with the explorer's explanation and the tables a direct computation gives.

The counts explorer's expected tables are computed directly from ``mixedlab.glmmtmb`` and
``mixedlab.simulate_residuals`` (:func:`_explorers._counts_tables`), not by the explorer.

Each redraw is timed in the browser (input event to the first DOM mutation that changes
the drawing) and reported in the terminal summary; the times are never asserted.
Screenshots before and after each move are saved under ``build/browser/``.
"""

from __future__ import annotations

import math

import pytest

from _explorers import EXPLORERS, ExplorerCase, tables_match

FRONTENDS = ("lab", "notebook")
PAGES = [pytest.param((f, e), id=f"{f}-{e.name}") for f in FRONTENDS for e in EXPLORERS]
LAB_PAGES = [p for p in PAGES if p.values[0][0] == "lab"]
CHOICE_PAGES = [p for p in PAGES if p.values[0][1].choice is not None]
BOUNDARY_PAGES = [p for p in PAGES if p.values[0][1].boundary_moves]


@pytest.fixture(scope="module", params=PAGES)
def explorer_page(request, open_notebook):
    """(frontend, case, widget): the case's notebook run to the end in the frontend."""
    from _widget_probe import ExplorerWidget

    frontend, case = request.param
    page = open_notebook(frontend, case.notebook)
    page.run_all()
    widget = ExplorerWidget(page, case.widget_index)
    print(f"{frontend} {case.name}: kernel idle after {page.timings['open_to_kernel_idle']:.1f} s, "
          f"run all {page.timings['run_all']:.1f} s")
    return frontend, case, widget


def _shot(build_dir, frontend: str, case: ExplorerCase, step: str):
    return build_dir / f"{frontend}-{case.name}-{step}.png"


def _check_tables_follow(widget, case: ExplorerCase, before: dict, after: dict, label: str) -> None:
    """The tables changed with the drawing, to what the explorer computes for the sliders shown."""
    from _widget_probe import parse_number, table_values

    shown_before, shown = table_values(before), table_values(after)
    assert shown != shown_before, f"the tables did not change when {label!r} moved"
    expected = case.expected_tables(after["sliders"], after["checks"], after["choices"])
    problems = tables_match(shown, expected)
    assert not problems, f"after moving {label!r} the tables disagree with the explorer:\n" + "\n".join(problems)
    true_value = case.moved_true_value(label, shown)
    if true_value is not None:
        assert math.isclose(true_value, parse_number(after["sliders"][label]), abs_tol=1e-9), (
            f"the table's true value for {label!r} is {true_value}, the slider shows {after['sliders'][label]}")


def _move_and_check(explorer_page, build_dir, redraw_log, kind: str, label: str, step: str, **how):
    frontend, case, widget = explorer_page
    before = widget.snapshot()
    widget.screenshot(_shot(build_dir, frontend, case, f"{step}-before"))
    redraw = widget.move(kind, label, **how)
    after = widget.snapshot()
    widget.screenshot(_shot(build_dir, frontend, case, f"{step}-after"))
    assert after["fp"] != before["fp"], f"the drawing did not change when {label!r} moved by {kind}"
    assert not after["traceback"], "the explorer shows a traceback"
    assert after["drawingVisible"], "the drawing is hidden after a fittable setting"
    _check_tables_follow(widget, case, before, after, label)
    redraw_log.append({"frontend": frontend, "explorer": case.name, "kind": kind, "slider": label,
                       "from": redraw.before, "to": redraw.after, "ms": round(redraw.ms, 1),
                       "event": redraw.input_event})
    print(f"{frontend} {case.name}: {kind} {label} {redraw.before} -> {redraw.after}: "
          f"new drawing {redraw.ms:.1f} ms after {redraw.input_event}")
    return redraw


def test_explorer_appears_with_drawing_and_tables(explorer_page, browser_build_dir):
    frontend, case, widget = explorer_page
    s = widget.snapshot()
    widget.screenshot(_shot(browser_build_dir, frontend, case, "initial"))
    assert s["fp"] is not None and s["drawingVisible"], "the explorer shows no drawing"
    assert {case.keyboard, case.drag, case.unfittable[0]} <= set(s["sliders"]), (
        f"sliders shown: {sorted(s['sliders'])}")
    from _widget_probe import table_values

    problems = tables_match(table_values(s), case.expected_tables(s["sliders"], s["checks"], s["choices"]))
    assert not problems, "the initial tables disagree with the explorer:\n" + "\n".join(problems)


@pytest.mark.parametrize("explorer_page", LAB_PAGES, indirect=True)
def test_arrow_keys_move_a_slider_and_redraw(explorer_page, browser_build_dir, redraw_log):
    frontend, case, widget = explorer_page
    from selenium.webdriver.common.keys import Keys

    for i, key in enumerate((Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_LEFT)):
        _move_and_check(explorer_page, browser_build_dir, redraw_log, "keyboard", case.keyboard,
                        f"keyboard{i + 1}", key=key)


def test_dragging_a_slider_redraws(explorer_page, browser_build_dir, redraw_log):
    _, case, _ = explorer_page
    for i, dx in enumerate((12, 24, -12)):
        _move_and_check(explorer_page, browser_build_dir, redraw_log, "drag", case.drag, f"drag{i + 1}", dx=dx)


def test_typing_a_value_redraws(explorer_page, browser_build_dir, redraw_log):
    _, case, _ = explorer_page
    for i, (label, value) in enumerate(case.typed):
        r = _move_and_check(explorer_page, browser_build_dir, redraw_log, "typed", label, f"typed{i + 1}",
                            value=value)
        assert math.isclose(float(r.after.replace("\u2212", "-")), float(value)), (
            f"typed {value!r} into {label!r}, the readout shows {r.after!r}")


def test_unfittable_setting_shows_the_explanation(explorer_page, browser_build_dir):
    frontend, case, widget = explorer_page
    from _widget_probe import squash

    label, value = case.unfittable
    before = widget.snapshot()
    widget.move("typed", label, value=value, expect_redraw=False)
    s = widget.settle(lambda s: case.explanation in squash(s["text"]),
                      f"the explanation {case.explanation!r} after setting {label!r} to {value}")
    widget.screenshot(_shot(browser_build_dir, frontend, case, "unfittable"))
    assert not s["traceback"]
    assert not s["drawingVisible"], "a drawing is still shown for a setting that cannot be fitted"
    assert not s["tables"], "tables are still shown for a setting that cannot be fitted"

    # back to the previous setting: the same picture and numbers as before, explanation gone
    label, value = case.refit
    widget.move("typed", label, value=value, expect_redraw=False)
    back = widget.settle(lambda s: s["drawingVisible"] and bool(s["tables"]),
                         f"the drawing to come back after setting {label!r} to {value}")
    widget.screenshot(_shot(browser_build_dir, frontend, case, "refit"))
    assert case.explanation not in squash(back["text"])
    assert back["fp"] == before["fp"], "the same settings gave a different drawing"
    assert back["tables"] == before["tables"], "the same settings gave different tables"


@pytest.mark.parametrize("explorer_page", CHOICE_PAGES, indirect=True)
def test_choosing_a_model_redraws(explorer_page, browser_build_dir, redraw_log):
    _, case, _ = explorer_page
    label, options = case.choice
    for i, option in enumerate(options):
        r = _move_and_check(explorer_page, browser_build_dir, redraw_log, "choice", label, f"choice{i + 1}",
                            value=option)
        assert r.after == option, f"picked {option!r} in {label!r}, the dropdown shows {r.after!r}"


@pytest.mark.parametrize("explorer_page", BOUNDARY_PAGES, indirect=True)
def test_boundary_fit_is_drawn_and_explained(explorer_page, browser_build_dir):
    from _widget_probe import parse_number, squash, table_values

    frontend, case, widget = explorer_page
    for label, value in case.boundary_moves:
        if parse_number(widget.readout(label)) == float(value):
            continue  # already there: typing it would not move the slider
        widget.move("typed", label, value=value, expect_redraw=False)
        s = widget.settle(lambda s, label=label, value=value: parse_number(s["sliders"][label]) == float(value)
                          and s["drawingVisible"] and bool(s["tables"]), f"a redraw with {label!r} at {value}")
    widget.screenshot(_shot(browser_build_dir, frontend, case, "boundary"))
    assert case.boundary_explanation in squash(s["text"]), squash(s["text"])[:2000]
    assert not s["traceback"]
    problems = tables_match(table_values(s), case.expected_tables(s["sliders"], s["checks"], s["choices"]))
    assert not problems, "at the boundary the tables disagree with the direct computation:\n" + "\n".join(problems)
