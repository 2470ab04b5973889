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
        ``expected_tables(readouts, checkboxes, choices)`` gives the tables the explorer should
        show for those slider readouts (label -> text), checkboxes (label -> bool) and
        dropdown choices (label -> option).
    moved_true_value : callable
        ``moved_true_value(label, tables)`` gives the table's "true" value for slider
        ``label`` (None when the tables do not show that setting).
    widget_index : int
        Which explorer on the page (0: the first output area holding sliders).
    choice : (label, options) or None
        A dropdown and the options picked in turn; each must change the drawing and tables.
    boundary_moves : tuple of (label, value), ...
        Values typed in turn that lead to a fit on the boundary (fitted, drawn, explained).
    boundary_explanation : str
        Text the explorer shows after ``boundary_moves`` (with the drawing and tables).
    """

    name: str
    notebook: Path
    keyboard: str
    drag: str
    typed: tuple[tuple[str, str], ...]
    unfittable: tuple[str, str]
    explanation: str
    refit: tuple[str, str]
    expected_tables: Callable[[dict[str, str], dict[str, bool], dict[str, str]], Tables]
    moved_true_value: Callable[[str, Tables], float | None]
    widget_index: int = 0
    choice: tuple[str, tuple[str, ...]] | None = None
    boundary_moves: tuple[tuple[str, str], ...] = ()
    boundary_explanation: str = ""


# ------------------------------------------------------------------ lesson 4: partial pooling

def _number(text: str) -> float:
    return float(text.strip().replace("\u2212", "-"))


def _partial_pooling_tables(readouts: dict[str, str], checks: dict[str, bool],
                            choices: dict[str, str] | None = None) -> Tables:
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


# ------------------------------------------------------------------ lesson 10: count models

_COUNT_MODELS = {"Poisson": ("poisson", "~0"), "NB2": ("nbinom2", "~0"), "ZINB": ("nbinom2", "~1")}


def _count_settings(readouts: dict[str, str]) -> dict:
    from mixedlab.lessons import _counts_explorer as cx

    by_label = {label: (name, kind) for name, kind, _lo, _hi, _step, label in cx._COUNT_SLIDERS}
    values = {}
    for label, text in readouts.items():
        name, kind = by_label[label]
        values[name] = int(_number(text)) if kind == "int" else _number(text)
    return values


def _counts_tables(readouts: dict[str, str], checks: dict[str, bool],
                   choices: dict[str, str] | None = None) -> Tables:
    """The counts explorer's three tables computed directly: the data from
    ``mixedlab.datasets.simulate_counts``, three ``mixedlab.glmmtmb`` fits and
    ``mixedlab.simulate_residuals`` of the chosen one (not the explorer's own helpers)."""
    import warnings

    import mixedlab
    from mixedlab.datasets import simulate_counts
    from mixedlab.lessons._counts_explorer import RESIDUAL_SEED, CountSettings

    v = _count_settings(readouts)
    model = (choices or {}).get("model in use", "ZINB")
    data = simulate_counts(**v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {name: mixedlab.glmmtmb("count ~ 1 + (1 | group)", data, family=fam, ziformula=zi)
                for name, (fam, zi) in _COUNT_MODELS.items()}
        res = mixedlab.simulate_residuals(fits[model], n=CountSettings().nsim, seed=RESIDUAL_SEED)
    best = min(f.aic for f in fits.values())
    aic = {name: {"df": float(f.npar), "AIC": f.aic, "ΔAIC": f.aic - best} for name, f in fits.items()}
    tests = {row: {"statistic": t.statistic, "p-value": t.pvalue}
             for row, t in (("uniformity (KS)", res.test_uniformity()), ("dispersion", res.test_dispersion()),
                            ("zero inflation", res.test_zero_inflation()))}
    nan = float("nan")

    def est(f):
        od = 1.0 / f.sigma if f.family_name == "nbinom2" else nan
        zi = 1.0 / (1.0 + math.exp(-float(f.fixef_zi.iloc[0]))) if len(f.fixef_zi) else nan
        return [float(f.fixef.iloc[0]), float(f.varcorr["sdcor"].iloc[0]), od, zi]

    rows = ("intercept (log mean)", "group SD", "overdispersion 1/size", "zero-inflation prob.")
    cols = {"true": [1.0, v["group_sd"], v["overdispersion"], v["zi_prob"]]}
    cols.update({name: est(f) for name, f in fits.items()})
    params = {row: {col: vals[i] for col, vals in cols.items()} for i, row in enumerate(rows)}
    return [aic, tests, params]


_COUNTS_TRUE_ROWS = {
    "group SD": "group SD",
    "overdispersion": "overdispersion 1/size",
    "zero-infl. prob.": "zero-inflation prob.",
}


def _counts_true(label: str, tables: Tables) -> float | None:
    row = _COUNTS_TRUE_ROWS.get(label)
    return None if row is None else tables[2][row]["true"]


COUNTS = ExplorerCase(
    name="counts",
    notebook=REPO / "lessons" / "10_count_models_explorer.ipynb",
    keyboard="overdispersion",
    drag="group SD",
    # every slider is moved in both frontends (the keyboard one again by typing, for Notebook 7)
    typed=(("zero-infl. prob.", "0.4"), ("overdispersion", "0.6"), ("groups", "30"),
           ("obs / group", "12"), ("seed", "7")),
    unfittable=("groups", "1"),
    explanation="Only one group: the spread between groups (the group SD) cannot be estimated",
    refit=("groups", "30"),
    expected_tables=_counts_tables,
    moved_true_value=_counts_true,
    choice=("model in use", ("Poisson", "NB2", "ZINB")),
    # 30 groups of one count each (seed 7, overdispersion 0.6, zero inflation 0.4): the NB2 cannot
    # tell the groups' spread from the overdispersion and puts the group SD at 0
    boundary_moves=(("group SD", "0.5"), ("obs / group", "1")),
    boundary_explanation="NB2: singular (boundary) fit — the group SD is estimated as 0",
)

EXPLORERS: tuple[ExplorerCase, ...] = (PARTIAL_POOLING, COUNTS)


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
