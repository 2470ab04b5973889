"""The lesson explorers the browser tests drive, one :class:`ExplorerCase` each.

A case names the notebook, which sliders the tests move and how, a setting the model
cannot be fitted with and the explanation the explorer must show for it, and how to
compute the tables the explorer should show for the settings on its sliders (by calling
the explorer's own functions in this process: the browser must show what the explorer
computes, for the values the page's sliders show). Adding an explorer is adding a case
to :data:`EXPLORERS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExplorerCase", "EXPLORERS", "REPO"]

REPO = Path(__file__).resolve().parents[2]

Tables = list[dict[str, dict[str, float]]]


@dataclass(frozen=True)
class ExplorerCase:
    """One explorer and the moves the browser tests make on it.

    Attributes
    ----------
    name : str
        Short id used in test ids and screenshot names.
    notebook : Path
        The lesson notebook that displays the explorer.
    keyboard : str
        Label of the slider moved with the arrow keys (JupyterLab only).
    drag : str
        Label of the slider dragged with the mouse.
    typed : tuple of (label, value), ...
        Values typed into sliders' readouts, in order; each must change the drawing.
    unfittable : (label, value)
        A reachable slider setting the model cannot be fitted with.
    explanation : str
        Text the explorer shows for ``unfittable`` (instead of a drawing and a traceback).
    refit : (label, value)
        A value that brings back the setting before ``unfittable``.
    expected_tables : callable
        ``expected_tables(readouts, checkboxes)`` gives the tables the explorer should show
        for those slider readouts (label -> text) and checkboxes (label -> bool).
    moved_true_value : callable
        ``moved_true_value(label, tables)`` gives the table's "true" value for slider
        ``label`` (None when the tables do not show that setting).
    widget_index : int
        Which explorer on the page (0: the first output area holding sliders).
    """

    name: str
    notebook: Path
    keyboard: str
    drag: str
    typed: tuple[tuple[str, str], ...]
    unfittable: tuple[str, str]
    explanation: str
    refit: tuple[str, str]
    expected_tables: Callable[[dict[str, str], dict[str, bool]], Tables]
    moved_true_value: Callable[[str, Tables], float | None]
    widget_index: int = 0


# ------------------------------------------------------------------ lesson 4: partial pooling

def _number(text: str) -> float:
    return float(text.strip().replace("\u2212", "-"))


def _partial_pooling_tables(readouts: dict[str, str], checks: dict[str, bool]) -> Tables:
    from mixedlab.lessons import _explorer as ex

    by_label = {label: (name, kind) for name, kind, _lo, _hi, _step, label in ex._SLIDERS}
    values = {}
    for label, text in readouts.items():
        name, kind = by_label[label]
        values[name] = int(_number(text)) if kind == "int" else _number(text)
    values["unbalanced"] = any(v for k, v in checks.items() if "unbalanced" in k)
    settings = ex.ExplorerSettings(**values)
    est = ex.estimate(ex.simulate(settings))
    params, errors = ex.summary_tables(est, settings)
    return [{str(row): {str(col): float(v) for col, v in frame.loc[row].items()} for row in frame.index}
            for frame in (params, errors)]


# slider label -> row of the parameter table whose "true" column is that setting
_PARTIAL_POOLING_TRUE_ROWS = {
    "intercept SD": "σ_u0 intercept SD",
    "slope SD": "σ_u1 slope SD",
    "correlation": "ρ correlation",
    "residual SD": "σ residual SD",
}


def _partial_pooling_true(label: str, tables: Tables) -> float | None:
    row = _PARTIAL_POOLING_TRUE_ROWS.get(label)
    return None if row is None else tables[0][row]["true"]


PARTIAL_POOLING = ExplorerCase(
    name="partial_pooling",
    notebook=REPO / "lessons" / "04_partial_pooling_explorer.ipynb",
    keyboard="residual SD",
    drag="slope SD",
    typed=(("intercept SD", "1.5"), ("seed", "7")),
    # check_settings: one group cannot give a between-group SD (the "groups" slider starts at 1)
    unfittable=("groups", "1"),
    explanation="Only one group: a between-group standard deviation cannot be estimated",
    refit=("groups", "20"),
    expected_tables=_partial_pooling_tables,
    moved_true_value=_partial_pooling_true,
)

EXPLORERS: tuple[ExplorerCase, ...] = (PARTIAL_POOLING,)


def close(a: float, b: float, tol: float = 1.5e-3) -> bool:
    """Equal as the explorer prints them (3 decimals), or both missing."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


def tables_match(shown: Tables, expected: Tables) -> list[str]:
    """Differences between the tables on the page and the expected ones (empty: they match)."""
    problems = []
    if len(shown) != len(expected):
        return [f"{len(shown)} tables shown, {len(expected)} expected"]
    for k, (s, e) in enumerate(zip(shown, expected)):
        if list(s) != list(e):
            problems.append(f"table {k}: rows {list(s)} shown, {list(e)} expected")
            continue
        for row, cols in e.items():
            for col, want in cols.items():
                got = s[row].get(col, float("nan"))
                if not close(got, want):
                    problems.append(f"table {k} [{row}, {col}]: {got} shown, {want:.4f} expected")
    return problems
