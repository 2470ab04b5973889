"""The partial-pooling explorer of lesson 4: simulate, refit, redraw.

The pieces are plain functions so that tests (and curious students) can call
them without a notebook:

* :func:`simulate` draws grouped data with correlated random intercepts and
  slopes from R's random stream (:class:`mixedlab.RRandom`), so R code given in
  its docstring reproduces the same data;
* :func:`estimate` computes the three estimates per group: no pooling (one
  least-squares line per group), complete pooling (one line for everybody) and
  partial pooling (the mixed model's conditional modes, ``coef(fit)``);
* :func:`check_settings` turns unusable or degenerate slider combinations into
  a readable message;
* :func:`shrinkage_svg` draws the estimates with arrows from no pooling to
  partial pooling (as SVG text, fast enough to redraw on every slider move);
* :class:`PartialPoolingExplorer` wires sliders (ipywidgets) to the three steps.

ipywidgets is imported only by the widget class, so the simulation,
estimation and drawing work without the ``lessons`` extra.
"""

from __future__ import annotations

import html
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import MixedLabError
from mixedlab.fitting._lmer import lmer
from mixedlab.datasets._pooling import POOLING_BETA, simulate_pooling
from mixedlab.lessons._explorer_page import ExplorerPage

__all__ = [
    "ExplorerSettings",
    "Simulation",
    "Estimates",
    "simulate",
    "estimate",
    "check_settings",
    "shrinkage_svg",
    "summary_tables",
    "nice_ticks",
    "PartialPoolingExplorer",
    "FORMULA",
]

#: The model the explorer fits: correlated random intercept and slope per group.
FORMULA = "y ~ x + (1 + x | group)"

# Population intercept and slope of the simulation (β0, β1); fixed so that the
# sliders only move the variance components, which is what pooling is about.
BETA0, BETA1 = POOLING_BETA


@dataclass(frozen=True)
class ExplorerSettings:
    """One position of the explorer's sliders.

    Attributes
    ----------
    n_groups : int
        Number of groups J.
    n_per_group : int
        Observations per group (the mean group size when ``unbalanced``).
    unbalanced : bool
        Draw group sizes uniformly from 1 .. 2 * n_per_group - 1 instead of using
        ``n_per_group`` for every group.
    intercept_sd, slope_sd : float
        Standard deviations σ_u0 and σ_u1 of the groups' deviations.
    corr : float
        Correlation ρ between a group's intercept and slope deviations.
    residual_sd : float
        Standard deviation σ of the observation-level noise.
    seed : int
        ``set.seed`` value.
    """

    n_groups: int = 20
    n_per_group: int = 10
    unbalanced: bool = False
    intercept_sd: float = 1.0
    slope_sd: float = 0.5
    corr: float = -0.4
    residual_sd: float = 2.0
    seed: int = 123


@dataclass
class Simulation:
    """Simulated data and the true per-group coefficients that generated it."""

    data: pd.DataFrame
    truth: pd.DataFrame  # index: group level; columns "intercept", "slope"
    settings: ExplorerSettings


@dataclass
class Estimates:
    """Per-group intercepts and slopes under the three pooling choices.

    ``table`` has one row per group and the columns ``n``, ``true_intercept``,
    ``true_slope``, ``none_intercept``, ``none_slope``, ``complete_intercept``,
    ``complete_slope``, ``partial_intercept``, ``partial_slope``. ``fit`` is the
    mixed model (None when it could not be fitted).
    """

    table: pd.DataFrame
    fit: Any
    messages: list[str]


def simulate(settings: ExplorerSettings) -> Simulation:
    """Draw one data set for the explorer, from R's random stream.

    The draws are :func:`mixedlab.datasets.simulate_pooling`'s, whose docstring gives
    the R code that reproduces the data exactly. ``(u0, u1)`` is bivariate normal with
    SDs ``(intercept_sd, slope_sd)`` and correlation ``corr`` (a 2×2 Cholesky factor
    applied to independent draws).

    Parameters
    ----------
    settings : ExplorerSettings
        Slider values.

    Returns
    -------
    Simulation
        ``data`` with columns ``group`` (categorical, levels "g01", "g02", ...),
        ``x`` and ``y``; ``truth`` with each group's true intercept and slope.
    """
    s = settings
    data, truth = simulate_pooling(
        n_groups=s.n_groups, n_per_group=s.n_per_group, unbalanced=s.unbalanced,
        intercept_sd=s.intercept_sd, slope_sd=s.slope_sd, corr=s.corr, residual_sd=s.residual_sd,
        seed=int(s.seed))
    return Simulation(data=data, truth=truth, settings=s)


def check_settings(settings: ExplorerSettings) -> tuple[str | None, list[str]]:
    """Judge a slider combination before fitting.

    Returns
    -------
    (error, notes)
        ``error`` is a message when the model cannot be estimated at all (nothing
        is fitted); ``notes`` explain settings that can be fitted but sit on the
        boundary of the parameter space, where a singular fit is to be expected.
    """
    s = settings
    if s.n_groups < 2:
        return (
            "Only one group: a between-group standard deviation cannot be estimated from a "
            "single group, so the mixed model is unidentifiable. Use at least 2 groups "
            "(5 or more give a usable estimate).",
            [],
        )
    n_min_total = s.n_groups if (s.unbalanced and s.n_per_group > 1) else s.n_groups * s.n_per_group
    if not s.unbalanced and n_min_total <= 2 * s.n_groups:
        return (
            f"{s.n_per_group} observation(s) per group: with {n_min_total} observations and "
            f"{2 * s.n_groups} random effects (an intercept and a slope per group) the group "
            "effects cannot be separated from the residual noise. Use at least 3 observations "
            "per group.",
            [],
        )
    notes = []
    if s.intercept_sd == 0 or s.slope_sd == 0:
        which = "intercept" if s.intercept_sd == 0 else "slope"
        if s.intercept_sd == 0 and s.slope_sd == 0:
            which = "intercept and slope"
        notes.append(
            f"The true {which} SD is 0: the groups do not differ there, so the best estimate "
            "is on the boundary (SD 0) and a singular fit is expected."
        )
    if abs(s.corr) == 1:
        notes.append(
            "The true correlation is ±1: every group's slope is a fixed linear function of its "
            "intercept, the 2×2 covariance matrix is singular, and the fit is expected to land "
            "on that boundary."
        )
    return None, notes


def _no_pooling(data: pd.DataFrame, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line within each group (NaN when a group has < 2 distinct x)."""
    g = data["group"].cat.codes.to_numpy()
    x, y = data["x"].to_numpy(), data["y"].to_numpy()
    n = np.bincount(g, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = np.bincount(g, x, n_groups) / n
        ybar = np.bincount(g, y, n_groups) / n
        dx = x - xbar[g]
        sxx = np.bincount(g, dx * dx, n_groups)
        sxy = np.bincount(g, dx * (y - ybar[g]), n_groups)
        slope = np.where(sxx > 1e-12, sxy / sxx, np.nan)
    intercept = ybar - slope * xbar
    return intercept, slope


def _complete_pooling(data: pd.DataFrame) -> tuple[float, float]:
    """One least-squares line through all observations, groups ignored."""
    x, y = data["x"].to_numpy(), data["y"].to_numpy()
    dx = x - x.mean()
    slope = float(dx @ (y - y.mean()) / (dx @ dx))
    return float(y.mean() - slope * x.mean()), slope


def estimate(sim: Simulation) -> Estimates:
    """No-pooling, complete-pooling and partial-pooling estimates for every group.

    Partial pooling is ``coef(lmer(y ~ x + (1 + x | group)))``: fixed effects plus
    each group's conditional mode. Fitting problems (errors, convergence warnings,
    singular fits) become readable ``messages`` instead of exceptions.
    """
    s = sim.settings
    t = sim.truth
    none_a, none_b = _no_pooling(sim.data, s.n_groups)
    comp_a, comp_b = _complete_pooling(sim.data)
    table = pd.DataFrame(
        {
            "n": t["n"].to_numpy(),
            "true_intercept": t["intercept"].to_numpy(),
            "true_slope": t["slope"].to_numpy(),
            "none_intercept": none_a,
            "none_slope": none_b,
            "complete_intercept": comp_a,
            "complete_slope": comp_b,
            "partial_intercept": np.nan,
            "partial_slope": np.nan,
        },
        index=t.index,
    )
    messages: list[str] = []
    fit = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = lmer(FORMULA, sim.data, data_name="sim")
        except MixedLabError as err:
            messages.append(f"mixedlab could not fit the model: {err}")
    for w in caught:
        text = str(w.message)
        # lme4's terse singular-fit message points at R's help; the explanation below replaces it
        if not text.startswith("boundary (singular) fit"):
            messages.append(text)
    if fit is not None:
        c = fit.coef["group"]
        table["partial_intercept"] = c["(Intercept)"].reindex(table.index).to_numpy()
        table["partial_slope"] = c["x"].reindex(table.index).to_numpy()
        if fit.is_singular:
            messages.append(_singular_message(fit))
    return Estimates(table=table, fit=fit, messages=messages)


def _singular_message(fit: Any) -> str:
    """Say which estimate sits on the boundary (an SD of 0, or a correlation of ±1)."""
    sd_intercept, sd_slope, corr = (float(v) for v in fit.varcorr["sdcor"].iloc[:3])
    scale = max(fit.sigma, 1e-12)
    which = []
    if sd_intercept < 1e-4 * scale:
        which.append("the intercept SD is estimated as 0")
    if sd_slope < 1e-4 * scale:
        which.append("the slope SD is estimated as 0")
    if not which:
        which.append(f"the intercept-slope correlation is estimated as {corr:+.2f}")
    return ("boundary (singular) fit: " + " and ".join(which) + ", so the groups' estimates are pooled "
            "completely along that direction (the red dots line up). The data hold too little "
            "information about how groups differ: more groups, more observations per group or less "
            "noise make it go away.")


def summary_tables(est: Estimates, settings: ExplorerSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The explorer's two small tables.

    Returns
    -------
    (parameters, errors)
        ``parameters``: each simulation parameter beside mixedlab's estimate;
        ``errors``: per pooling choice the root mean squared error of the group
        intercepts and slopes against the true values (groups without a
        no-pooling estimate are left out of that row's mean).
    """
    fit = est.fit
    truth = [BETA0, BETA1, settings.intercept_sd, settings.slope_sd, settings.corr, settings.residual_sd]
    if fit is not None:
        vc = fit.varcorr
        got = [fit.fixef["(Intercept)"], fit.fixef["x"], vc.sdcor[0], vc.sdcor[1], vc.sdcor[2], fit.sigma]
    else:
        got = [np.nan] * 6
    params = pd.DataFrame(
        {"true": truth, "mixedlab": got},
        index=["β0 (Intercept)", "β1 x", "σ_u0 intercept SD", "σ_u1 slope SD", "ρ correlation", "σ residual SD"],
    )
    tab = est.table
    rows = {}
    for method, label in (("none", "no pooling"), ("complete", "complete pooling"), ("partial", "partial pooling")):
        ea = tab[f"{method}_intercept"] - tab["true_intercept"]
        eb = tab[f"{method}_slope"] - tab["true_slope"]
        rows[label] = {
            "RMSE intercepts": float(np.sqrt(np.nanmean(ea**2))) if ea.notna().any() else np.nan,
            "RMSE slopes": float(np.sqrt(np.nanmean(eb**2))) if eb.notna().any() else np.nan,
        }
    return params, pd.DataFrame(rows).T


# ---------------------------------------------------------------------------- drawing
#
# The explorer draws SVG text directly rather than through matplotlib: rendering a
# matplotlib figure to PNG costs 100-300 ms (mostly font rasterisation), which alone
# would exceed the lesson's 100 ms budget per slider change; writing ~100 SVG
# elements takes about a millisecond and the browser rasterises them.

_COLORS = {"none": "#1f77b4", "partial": "#d62728", "complete": "#2ca02c", "truth": "#555555"}
_W, _H = 520, 430
# the legend sits under the x axis, outside the plotting area, so it never covers a point
_MARGIN = {"left": 56, "right": 14, "top": 28, "bottom": 86}


def nice_ticks(lo: float, hi: float, target: int = 6) -> np.ndarray:
    """Round tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power of ten."""
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(target - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-9, step)
    return np.round(ticks, 12)


def _fmt_tick(v: float) -> str:
    return f"{v:g}" if abs(v) >= 1e-12 else "0"


def _limits(values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    pad = 0.06 * (hi - lo) if hi > lo else 0.5
    return lo - pad, hi + pad


def shrinkage_svg(est: Estimates, show_truth: bool = True, title: str | None = None) -> str:
    """SVG drawing of each group's (intercept, slope) under no and partial pooling.

    An arrow starts at a group's own least-squares line (no pooling) and ends at
    its mixed-model estimate (partial pooling); the star is the single line fitted
    to all data (complete pooling); grey crosses are the true values. Groups with
    little data, or far from the rest, travel furthest: that distance is the
    shrinkage.

    Returns
    -------
    str
        A self-contained ``<svg>`` element.
    """
    t = est.table
    cols_a = ["none_intercept", "partial_intercept", "complete_intercept"] + (["true_intercept"] if show_truth else [])
    cols_b = ["none_slope", "partial_slope", "complete_slope"] + (["true_slope"] if show_truth else [])
    x0, x1 = _limits(t[cols_a].to_numpy(dtype=float).ravel())
    y0, y1 = _limits(t[cols_b].to_numpy(dtype=float).ravel())
    L, R, T, B = _MARGIN["left"], _W - _MARGIN["right"], _MARGIN["top"], _H - _MARGIN["bottom"]

    def px(v):
        return L + (np.asarray(v, dtype=float) - x0) / (x1 - x0) * (R - L)

    def py(v):
        return B - (np.asarray(v, dtype=float) - y0) / (y1 - y0) * (B - T)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'font-family="sans-serif" font-size="11">',
        '<defs><marker id="ml-shrink-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>',
        f'<rect x="{L}" y="{T}" width="{R - L}" height="{B - T}" fill="white" stroke="#333"/>',
    ]
    for v in nice_ticks(x0, x1):
        X = float(px(v))
        out.append(f'<line x1="{X:.1f}" y1="{T}" x2="{X:.1f}" y2="{B}" stroke="#eee"/>'
                   f'<line x1="{X:.1f}" y1="{B}" x2="{X:.1f}" y2="{B + 4}" stroke="#333"/>'
                   f'<text x="{X:.1f}" y="{B + 16}" text-anchor="middle">{_fmt_tick(v)}</text>')
    for v in nice_ticks(y0, y1):
        Y = float(py(v))
        out.append(f'<line x1="{L}" y1="{Y:.1f}" x2="{R}" y2="{Y:.1f}" stroke="#eee"/>'
                   f'<line x1="{L - 4}" y1="{Y:.1f}" x2="{L}" y2="{Y:.1f}" stroke="#333"/>'
                   f'<text x="{L - 7}" y="{Y + 4:.1f}" text-anchor="end">{_fmt_tick(v)}</text>')
    out.append(f'<text x="{(L + R) / 2}" y="{B + 32}" text-anchor="middle" font-size="12">intercept</text>')
    out.append(f'<text transform="translate(14,{(T + B) / 2}) rotate(-90)" text-anchor="middle" '
               'font-size="12">slope of x</text>')
    out.append(f'<text x="{L}" y="{T - 10}" font-size="13">'
               f'{html.escape(title or "Shrinkage: no pooling → partial pooling")}</text>')
    if show_truth:
        for X, Y in zip(px(t["true_intercept"]), py(t["true_slope"])):
            out.append(f'<path d="M{X - 4:.1f},{Y:.1f}h8M{X:.1f},{Y - 4:.1f}v8" stroke="{_COLORS["truth"]}"/>')
    ok = t["none_slope"].notna() & t["partial_slope"].notna()
    ax, ay = px(t["none_intercept"]), py(t["none_slope"])
    bx, by = px(t["partial_intercept"]), py(t["partial_slope"])
    for i in np.flatnonzero(ok.to_numpy()):
        if math.hypot(bx[i] - ax[i], by[i] - ay[i]) > 3:  # arrows shorter than a marker stay invisible
            out.append(f'<line x1="{ax[i]:.1f}" y1="{ay[i]:.1f}" x2="{bx[i]:.1f}" y2="{by[i]:.1f}" '
                       'stroke="#777" stroke-width="1" marker-end="url(#ml-shrink-arrow)"/>')
    for X, Y in zip(ax, ay):
        if np.isfinite(X) and np.isfinite(Y):
            out.append(f'<circle cx="{X:.1f}" cy="{Y:.1f}" r="4.5" fill="none" stroke="{_COLORS["none"]}" '
                       'stroke-width="1.5"/>')
    for X, Y in zip(bx, by):
        if np.isfinite(X) and np.isfinite(Y):
            out.append(f'<circle cx="{X:.1f}" cy="{Y:.1f}" r="3.5" fill="{_COLORS["partial"]}"/>')
    cx, cy = float(px(t["complete_intercept"].iloc[0])), float(py(t["complete_slope"].iloc[0]))
    out.append(_star(cx, cy, 10.0))
    # legend, two columns under the x axis label
    items = [
        (lambda x, y: f'<circle cx="{x}" cy="{y}" r="4.5" fill="none" stroke="{_COLORS["none"]}" stroke-width="1.5"/>',
         "no pooling (a line per group)"),
        (lambda x, y: f'<circle cx="{x}" cy="{y}" r="3.5" fill="{_COLORS["partial"]}"/>', "partial pooling (lmer)"),
        (lambda x, y: _star(x, y, 7.0), "complete pooling (one line)"),
    ]
    if show_truth:
        items.append((lambda x, y: f'<path d="M{x - 4},{y}h8M{x},{y - 4}v8" stroke="{_COLORS["truth"]}"/>',
                      "true value"))
    for k, (glyph, label) in enumerate(items):
        gx, gy = L + 8 + (k % 2) * 230, B + 50 + (k // 2) * 18
        out.append(glyph(gx, gy) + f'<text x="{gx + 12}" y="{gy + 4}">{label}</text>')
    out.append("</svg>")
    return "".join(out)


def _star(x: float, y: float, r: float) -> str:
    """A five-pointed star polygon centred at (x, y)."""
    pts = []
    for k in range(10):
        rad = r if k % 2 == 0 else r * 0.45
        ang = math.pi / 2 + k * math.pi / 5
        pts.append(f"{x + rad * math.cos(ang):.1f},{y - rad * math.sin(ang):.1f}")
    return f'<polygon points="{" ".join(pts)}" fill="{_COLORS["complete"]}" stroke="black" stroke-width="0.8"/>'


# ---------------------------------------------------------------------------- the widget

_SLIDERS = (
    # name, kind, min, max, step, description
    ("n_groups", "int", 1, 60, 1, "groups"),
    ("n_per_group", "int", 1, 50, 1, "obs / group"),
    ("intercept_sd", "float", 0.0, 3.0, 0.1, "intercept SD"),
    ("slope_sd", "float", 0.0, 2.0, 0.05, "slope SD"),
    ("corr", "float", -1.0, 1.0, 0.05, "correlation"),
    ("residual_sd", "float", 0.2, 5.0, 0.1, "residual SD"),
    ("seed", "int", 1, 999, 1, "seed"),
)


class PartialPoolingExplorer(ExplorerPage):
    """Sliders for a simulation; every change simulates, refits with mixedlab and redraws.

    Parameters
    ----------
    settings : ExplorerSettings, optional
        Initial slider positions (the defaults: 20 groups × 10 observations).

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        The sliders and the "unbalanced" checkbox, by setting name; setting a
        widget's ``value`` triggers :meth:`update` exactly as a drag does.
    simulation, estimates : Simulation, Estimates
        The latest data and estimates (``estimates`` is None after an error).
    message : str
        What the message area shows ("" when all is well).
    svg : str
        The latest drawing (SVG text, as :func:`shrinkage_svg` returns it).
    timings : list of float
        Seconds taken by each update (simulate + fit + draw + render).
    """

    def __init__(self, settings: ExplorerSettings | None = None) -> None:
        import ipywidgets as w

        self.settings = settings or ExplorerSettings()
        self.simulation: Simulation | None = None
        self.estimates: Estimates | None = None
        self._build_page(_SLIDERS, {"unbalanced": w.Checkbox(value=self.settings.unbalanced,
                                                             description="unbalanced groups")},
                         left=("n_groups", "n_per_group", "unbalanced", "seed"),
                         right=("intercept_sd", "slope_sd", "corr", "residual_sd"), label_width="90px")
        self.update()

    def update(self) -> None:
        """Simulate with the current settings, refit, redraw; never raises for bad settings."""
        start = time.perf_counter()
        self.settings = self.current_settings()
        error, notes = check_settings(self.settings)
        if error is not None:
            self.estimates = None
            self._show_message(error, "error")
            self._drawing.layout.visibility = "hidden"
            self._tables_html.value = ""
            return
        try:
            self.simulation = simulate(self.settings)
            self.estimates = estimate(self.simulation)
        except Exception as err:  # keep the sliders alive whatever happens: say it, don't raise
            self.estimates = None
            self._show_message(f"Could not simulate and fit these settings: {type(err).__name__}: {err}", "error")
            self._drawing.layout.visibility = "hidden"
            return
        notes = notes + self.estimates.messages
        self._show_message("\n".join(notes), "note")
        self.svg = shrinkage_svg(self.estimates)
        self._drawing.value = self.svg
        self._drawing.layout.visibility = "visible"
        params, errors = summary_tables(self.estimates, self.settings)
        self._tables_html.value = (
            params.to_html(float_format=lambda v: f"{v:.3f}", na_rep="—")
            + errors.to_html(float_format=lambda v: f"{v:.3f}", na_rep="—")
        )
        elapsed = time.perf_counter() - start
        self.timings.append(elapsed)
        self._timing_html.value = f"<small>simulate + refit + redraw: {elapsed * 1000:.0f} ms</small>"
