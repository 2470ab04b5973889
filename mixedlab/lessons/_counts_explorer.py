"""The count-model explorer of lesson 10: simulate counts, fit Poisson, NB2 and ZINB, diagnose.

Plain functions, usable without a notebook, and a widget that wires sliders to them:

* :func:`simulate_counts_for` draws the counts (:func:`mixedlab.datasets.simulate_counts`, R's
  random stream, so R's ``set.seed`` and :func:`mixedlab.datasets.counts_r_code` give the
  same data);
* :func:`fit_models` fits ``count ~ 1 + (1 | group)`` three ways with :func:`mixedlab.glmmtmb`
  (``poisson``; ``nbinom2``; ``nbinom2`` with ``ziformula="~1"``), turning errors, convergence
  warnings and boundary estimates into sentences;
* :func:`diagnose` simulates DHARMa residuals of one fit (:func:`mixedlab.simulate_residuals`)
  and runs the uniformity, dispersion and zero-inflation tests;
* :func:`aic_table`, :func:`tests_table`, :func:`parameter_table` and :func:`qq_svg` make what
  the explorer shows;
* :class:`CountsExplorer` is the widget (ipywidgets is imported only there).
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
from mixedlab.datasets._counts import COUNTS_INTERCEPT, simulate_counts
from mixedlab.diagnostics._residuals import SimulatedResiduals, simulate_residuals
from mixedlab.fitting._glmmtmb import glmmtmb
from mixedlab.lessons._explorer import nice_ticks
from mixedlab.lessons._explorer_page import ExplorerPage

__all__ = [
    "CountSettings",
    "ModelFit",
    "Diagnosis",
    "COUNT_FORMULA",
    "COUNT_MODELS",
    "RESIDUAL_SEED",
    "simulate_counts_for",
    "check_count_settings",
    "fit_models",
    "diagnose",
    "aic_table",
    "tests_table",
    "parameter_table",
    "qq_svg",
    "CountsExplorer",
]

#: The model every fit uses: a random intercept per group, no covariates.
COUNT_FORMULA = "count ~ 1 + (1 | group)"

#: name -> (glmmTMB family, ziformula), in the order the tables list them.
COUNT_MODELS: dict[str, tuple[str, str]] = {
    "Poisson": ("poisson", "~0"),
    "NB2": ("nbinom2", "~0"),
    "ZINB": ("nbinom2", "~1"),
}

#: ``set.seed`` before the residual simulations (DHARMa's default).
RESIDUAL_SEED = 123

# Thresholds for "on the boundary", on the scale the explorer prints: an SD this small prints
# as 0.000; an NB size this large is a Poisson; a zero-inflation logit this low is p = 0.000.
_SD_ZERO = 1e-3
_SIZE_INFINITE = 1e4
_ZI_LOGIT_ZERO = math.log(1e-4)


@dataclass(frozen=True)
class CountSettings:
    """One position of the counts explorer's controls.

    Attributes
    ----------
    n_groups, n_per_group : int
        Groups and observations per group (the defaults keep a redraw well under a second).
    group_sd : float
        True SD of the groups' log means.
    overdispersion : float
        True ``1 / size`` of the negative binomial (0: Poisson counts).
    zi_prob : float
        True probability of a structural zero.
    seed : int
        ``set.seed`` of the simulation.
    model : str
        The model whose residuals are diagnosed (a key of :data:`COUNT_MODELS`).
    nsim : int
        Simulations per observation for the residuals.
    """

    n_groups: int = 20
    n_per_group: int = 10
    group_sd: float = 0.5
    overdispersion: float = 0.3
    zi_prob: float = 0.3
    seed: int = 2024
    model: str = "ZINB"
    nsim: int = 100


@dataclass
class ModelFit:
    """One of the three fits: the fit (None when it failed) and what went wrong, in words."""

    name: str
    fit: Any
    messages: list[str]

    @property
    def ok(self) -> bool:
        return self.fit is not None


@dataclass
class Diagnosis:
    """The simulated residuals of one fit and its three tests (None when they failed)."""

    model: str
    residuals: SimulatedResiduals | None
    tests: dict[str, Any]
    message: str = ""


def simulate_counts_for(settings: CountSettings) -> pd.DataFrame:
    """The data for ``settings`` (:func:`mixedlab.datasets.simulate_counts`)."""
    s = settings
    return simulate_counts(n_groups=s.n_groups, n_per_group=s.n_per_group, group_sd=s.group_sd,
                           overdispersion=s.overdispersion, zi_prob=s.zi_prob, seed=int(s.seed))


def check_count_settings(settings: CountSettings, data: pd.DataFrame | None = None) -> str | None:
    """A message when nothing can be fitted (one group; only zeros), else None."""
    if settings.n_groups < 2:
        return ("Only one group: the spread between groups (the group SD) cannot be estimated from "
                "a single group, so none of the three models can be fitted. Use at least 2 groups "
                "(5 or more for a usable estimate).")
    if data is not None and not (data["count"] > 0).any():
        return (f"Every one of the {len(data)} simulated counts is 0: there is nothing to "
                "estimate a mean, a spread or a zero-inflation probability from. Lower the "
                "zero-inflation probability or add observations.")
    return None


def _boundary_notes(name: str, fit: Any) -> list[str]:
    """Estimates on the edge of the parameter space, said in words."""
    notes = []
    sd = float(fit.varcorr["sdcor"].iloc[0])
    if sd < _SD_ZERO:
        notes.append(f"{name}: singular (boundary) fit — the group SD is estimated as 0, so the "
                     "model treats all groups as equal; the counts hold too little information "
                     "about how groups differ (more groups or more observations per group help).")
    if fit.family_name == "nbinom2" and fit.sigma > _SIZE_INFINITE:
        notes.append(f"{name}: the NB size is estimated as practically infinite (overdispersion "
                     "0): the counts vary no more than a Poisson's, and the NB reduces to the "
                     "Poisson with one parameter more.")
    if len(fit.fixef_zi) and float(fit.fixef_zi.iloc[0]) < _ZI_LOGIT_ZERO:
        notes.append(f"{name}: the zero-inflation probability is estimated as 0 (its logit "
                     "heads to −∞): the data show no zeros beyond the count model's own.")
    return notes


def _fit_one(name: str, data: pd.DataFrame) -> ModelFit:
    family, zi = COUNT_MODELS[name]
    messages: list[str] = []
    fit = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = glmmtmb(COUNT_FORMULA, data, family=family, ziformula=zi, data_name="counts")
        except MixedLabError as err:
            messages.append(f"{name}: mixedlab could not fit the model: {err}")
        except (ArithmeticError, ValueError, np.linalg.LinAlgError) as err:
            messages.append(f"{name}: the fit failed numerically ({type(err).__name__}: {err}); "
                            "the data hold too little information for this model.")
    if fit is not None:
        if not fit.pd_hess or fit.fit_warnings:
            messages.append(
                f"{name}: the fit did not converge cleanly (non-positive-definite Hessian): the "
                "likelihood is flat in some direction, usually because an estimate runs to the "
                "edge of its range; its standard errors and AIC are not to be trusted.")
        messages.extend(_boundary_notes(name, fit))
    elif not messages:
        messages.append(f"{name}: the fit failed.")
    seen = set()
    for w in caught:  # other warnings, once each, unless the sentence above already says it
        text = str(w.message)
        if "convergence problem" in text or text in seen:
            continue
        seen.add(text)
        messages.append(f"{name}: {text}")
    return ModelFit(name, fit, messages)


def fit_models(data: pd.DataFrame) -> dict[str, ModelFit]:
    """Fit the three models of :data:`COUNT_MODELS` to ``data``; never raises for a bad fit."""
    return {name: _fit_one(name, data) for name in COUNT_MODELS}


def diagnose(mf: ModelFit, nsim: int = 100, seed: int = RESIDUAL_SEED) -> Diagnosis:
    """DHARMa residuals of one fit (conditional simulations) and its three tests."""
    if not mf.ok:
        return Diagnosis(mf.name, None, {}, f"{mf.name} could not be fitted, so it has no residuals.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = simulate_residuals(mf.fit, n=nsim, seed=seed)
            tests = {"uniformity (KS)": res.test_uniformity(),
                     "dispersion": res.test_dispersion(),
                     "zero inflation": res.test_zero_inflation()}
    except (MixedLabError, ArithmeticError, ValueError) as err:
        return Diagnosis(mf.name, None, {}, f"The residuals of {mf.name} could not be simulated: {err}")
    return Diagnosis(mf.name, res, tests)


def aic_table(fits: dict[str, ModelFit]) -> pd.DataFrame:
    """Parameters, AIC and AIC minus the smallest AIC, one row per model (NaN when it failed)."""
    df = [float(mf.fit.npar) if mf.ok else np.nan for mf in fits.values()]
    aic = np.array([float(mf.fit.aic) if mf.ok else np.nan for mf in fits.values()])
    best = np.nanmin(aic) if np.isfinite(aic).any() else np.nan
    return pd.DataFrame({"df": df, "AIC": aic, "ΔAIC": aic - best}, index=list(fits))


def tests_table(diag: Diagnosis) -> pd.DataFrame:
    """Statistic and p-value of each residual test of the model in use."""
    names = ("uniformity (KS)", "dispersion", "zero inflation")
    rows = {n: {"statistic": diag.tests[n].statistic, "p-value": diag.tests[n].pvalue}
            if n in diag.tests else {"statistic": np.nan, "p-value": np.nan} for n in names}
    return pd.DataFrame(rows).T


#: the parameter table's rows, in order
PARAMETER_ROWS = ("intercept (log mean)", "group SD", "overdispersion 1/size", "zero-inflation prob.")


def _estimates(mf: ModelFit) -> list[float]:
    if not mf.ok:
        return [np.nan] * 4
    f = mf.fit
    od = 1.0 / f.sigma if f.family_name == "nbinom2" else np.nan
    zi = 1.0 / (1.0 + math.exp(-float(f.fixef_zi.iloc[0]))) if len(f.fixef_zi) else np.nan
    return [float(f.fixef.iloc[0]), float(f.varcorr["sdcor"].iloc[0]), od, zi]


def parameter_table(fits: dict[str, ModelFit], settings: CountSettings) -> pd.DataFrame:
    """The true simulation parameters beside each model's estimates ("—": not in that model)."""
    s = settings
    table = {"true": [COUNTS_INTERCEPT, s.group_sd, s.overdispersion, s.zi_prob]}
    table.update({name: _estimates(mf) for name, mf in fits.items()})
    return pd.DataFrame(table, index=list(PARAMETER_ROWS))


# ---------------------------------------------------------------------------- the QQ plot
# SVG text, as lesson 4's explorer draws (a matplotlib PNG costs 100-300 ms per redraw).

_W, _H = 380, 380
_M = {"left": 50, "right": 14, "top": 44, "bottom": 46}


def qq_svg(diag: Diagnosis) -> str:
    """QQ plot of the scaled residuals against U(0, 1), DHARMa's left panel, as an ``<svg>``.

    The i-th smallest residual is drawn against i / (n + 1); a model that describes the data
    puts the points on the diagonal. The title carries the three tests' p-values (red when
    p < 0.05).
    """
    L, R, T, B = _M["left"], _W - _M["right"], _M["top"], _H - _M["bottom"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
           f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="11">',
           f'<rect x="{L}" y="{T}" width="{R - L}" height="{B - T}" fill="white" stroke="#999"/>']
    for v in nice_ticks(0.0, 1.0, 5):
        X = L + v * (R - L)
        Y = B - v * (B - T)
        out.append(f'<line x1="{X:.1f}" y1="{B}" x2="{X:.1f}" y2="{B + 4}" stroke="#333"/>'
                   f'<text x="{X:.1f}" y="{B + 16}" text-anchor="middle">{v:g}</text>'
                   f'<line x1="{L - 4}" y1="{Y:.1f}" x2="{L}" y2="{Y:.1f}" stroke="#333"/>'
                   f'<text x="{L - 7}" y="{Y + 4:.1f}" text-anchor="end">{v:g}</text>')
    out.append(f'<line x1="{L}" y1="{B}" x2="{R}" y2="{T}" stroke="#d62728" stroke-width="1.2"/>')
    out.append(f'<text x="{(L + R) / 2}" y="{_H - 8}" text-anchor="middle" font-size="12">'
               'expected (uniform quantile)</text>')
    out.append(f'<text x="14" y="{(T + B) / 2}" transform="rotate(-90 14 {(T + B) / 2})" '
               'text-anchor="middle" font-size="12">observed (scaled residual)</text>')
    out.append(f'<text x="{L}" y="16" font-size="13">QQ plot of the {html.escape(diag.model)} '
               'simulated residuals</text>')
    labels = []
    for name, short in (("uniformity (KS)", "KS"), ("dispersion", "dispersion"),
                        ("zero inflation", "zero-infl.")):
        t = diag.tests.get(name)
        if t is not None:
            color = "#b00020" if t.pvalue < 0.05 else "#333"
            labels.append(f'<tspan fill="{color}">{short} p = {t.pvalue:.3f}</tspan>')
    out.append(f'<text x="{L}" y="34">{"   ".join(labels)}</text>')
    if diag.residuals is not None:
        r = np.sort(np.asarray(diag.residuals.scaled, dtype=float))
        n = r.size
        ex = np.arange(1, n + 1) / (n + 1)
        for e, o in zip(ex, r):
            out.append(f'<circle cx="{L + e * (R - L):.1f}" cy="{B - o * (B - T):.1f}" r="2.2" '
                       'fill="none" stroke="black" stroke-width="0.7"/>')
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------- the widget

_COUNT_SLIDERS = (
    # name, kind, min, max, step, description
    ("n_groups", "int", 1, 60, 1, "groups"),
    ("n_per_group", "int", 1, 40, 1, "obs / group"),
    ("group_sd", "float", 0.0, 2.0, 0.05, "group SD"),
    ("overdispersion", "float", 0.0, 2.0, 0.05, "overdispersion"),
    ("zi_prob", "float", 0.0, 0.9, 0.05, "zero-infl. prob."),
    ("seed", "int", 1, 9999, 1, "seed"),
)


def _frame_html(frame: pd.DataFrame, title: str) -> str:
    return (f'<div style="font-weight:bold;margin:6px 0 2px">{html.escape(title)}</div>'
            + frame.to_html(float_format=lambda v: f"{v:.3f}", na_rep="—"))


class CountsExplorer(ExplorerPage):
    """Sliders for a count simulation; each change simulates, refits three models and redraws.

    Parameters
    ----------
    settings : CountSettings, optional
        Initial positions (20 groups × 10 observations, group SD 0.5, overdispersion 0.3,
        zero-inflation probability 0.3, ZINB in use).

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        The sliders and the "model in use" dropdown by setting name; setting a widget's
        ``value`` updates the explorer exactly as a drag does (sliders send their value on
        release, ``continuous_update=False``).
    data, fits, diagnosis
        The latest data, the three :class:`ModelFit` and the :class:`Diagnosis` of the model
        in use (None when the settings cannot be fitted).
    message : str
        The explanation shown above the plot ("" when all is well).
    svg : str
        The latest QQ plot.
    timings : list of float
        Seconds per update (simulate + 3 fits + residuals + drawing); a model change refits nothing.
    """

    REDRAW_REPEATS = 5  # each update refits three models

    def __init__(self, settings: CountSettings | None = None) -> None:
        import ipywidgets as w

        self.settings = settings or CountSettings()
        self.data: pd.DataFrame | None = None
        self.fits: dict[str, ModelFit] | None = None
        self.diagnosis: Diagnosis | None = None
        model = w.Dropdown(options=list(COUNT_MODELS), value=self.settings.model,
                           description="model in use", style={"description_width": "110px"})
        self._build_page(_COUNT_SLIDERS, {"model": model}, left=("n_groups", "n_per_group", "seed", "model"),
                         right=("group_sd", "overdispersion", "zi_prob"), label_width="110px")
        self.update()

    def _on_control(self, name: str) -> None:
        # another model in use needs its residuals, not new fits
        self.update(refit=name != "model")

    def _fail(self, text: str) -> None:
        self.fits = self.diagnosis = None
        self._show_message(text, "error")
        self._drawing.layout.visibility = "hidden"
        self._tables_html.value = ""

    def update(self, refit: bool = True) -> None:
        """Simulate, refit and redraw for the current controls (only re-diagnose when
        ``refit`` is False); never raises for bad settings."""
        start = time.perf_counter()
        self.settings = self.current_settings()
        s = self.settings
        try:
            if refit or self.fits is None:
                error = check_count_settings(s)
                if error is None:
                    self.data = simulate_counts_for(s)
                    error = check_count_settings(s, self.data)
                if error is not None:
                    self._fail(error)
                    return
                self.fits = fit_models(self.data)
            self.diagnosis = diagnose(self.fits[s.model], nsim=s.nsim)
        except Exception as err:  # keep the sliders alive whatever happens: say it, don't raise
            self._fail(f"Could not simulate and fit these settings: {type(err).__name__}: {err}")
            return
        notes = [m for mf in self.fits.values() for m in mf.messages]
        if self.diagnosis.message:
            notes.append(self.diagnosis.message)
        self._show_message("\n".join(notes), "note")
        self.svg = qq_svg(self.diagnosis)
        self._drawing.value = self.svg
        self._drawing.layout.visibility = "visible"
        self._tables_html.value = (
            _frame_html(aic_table(self.fits), "AIC of the three fits")
            + _frame_html(tests_table(self.diagnosis), f"residual tests of {s.model} ({s.nsim} simulations)")
            + _frame_html(parameter_table(self.fits, s), "true against estimated"))
        elapsed = time.perf_counter() - start
        self.timings.append(elapsed)
        what = "simulate + 3 fits + residuals + redraw" if refit else "residuals + redraw"
        self._timing_html.value = f"<small>{what}: {elapsed * 1000:.0f} ms</small>"
