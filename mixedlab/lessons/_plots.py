"""The lessons' plots (matplotlib), one function per picture the R course draws.

Each function takes plain data (data frames from a fit), draws one figure with
pyplot and returns it; in a notebook the inline backend shows it when the cell
ends. matplotlib is imported inside the functions so that ``import mixedlab``
never needs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "group_effects_plot",
    "group_means_plot",
    "slopes_plot",
    "caterpillar_plot",
    "fitted_lines_plot",
    "probability_curves_plot",
]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _tidy_axes(ax: Any) -> None:
    """ggplot2's theme_minimal in spirit: light grid, no box."""
    ax.grid(True, color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)


def group_effects_plot(
    effects: pd.DataFrame,
    group: str,
    value: str,
    average: float,
    *,
    ylabel: str = "Estimated treatment effect",
    title: str = "",
):
    """One point per group and the average as a dashed red line.

    Parameters
    ----------
    effects : pandas.DataFrame
        One row per group, with the group label in column ``group`` and its
        estimate (fixed effect + the group's random effect) in ``value``.
    group, value : str
        Column names.
    average : float
        The population (fixed-effect) value, drawn as the reference line.
    ylabel, title : str
        Labels.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    labels = effects[group].astype(str).tolist()
    ax.scatter(range(len(labels)), effects[value], s=60, color="black", zorder=3)
    ax.axhline(average, linestyle="--", color="red", label=f"average effect ({average:.3f})")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(group)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(frameon=False)
    _tidy_axes(ax)
    fig.tight_layout()
    return fig


def group_means_plot(
    data: pd.DataFrame,
    x: str,
    y: str,
    group: str,
    *,
    ylabel: str = "Outcome",
    title: str = "",
    dodge: float = 0.3,
):
    """Mean of ``y`` at each level of ``x``, one coloured line per group.

    The picture of ggplot2's ``stat_summary(fun = mean, geom = "point"/"line")``
    with ``position_dodge(0.3)``: the groups are spread sideways so that their
    points do not hide each other; each line joins its group's two points.
    """
    plt = _pyplot()
    means = data.groupby([group, x], observed=True)[y].mean().unstack(x)
    xlevels = list(means.columns)
    groups = list(means.index)
    fig, ax = plt.subplots(figsize=(6, 4))
    cmap = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    offsets = np.linspace(-dodge / 2, dodge / 2, len(groups)) if len(groups) > 1 else np.zeros(1)
    for k, g in enumerate(groups):
        color = cmap(k % cmap.N)
        xs = np.arange(len(xlevels), dtype=float)
        ax.plot(xs + offsets[k], means.loc[g].to_numpy(), color=color, linewidth=1.5)
        ax.scatter(xs + offsets[k], means.loc[g].to_numpy(), color=color, s=50, zorder=3, label=str(g))
    ax.set_xticks(range(len(xlevels)), [str(v) for v in xlevels])
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(title=group, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    _tidy_axes(ax)
    fig.tight_layout()
    return fig


def slopes_plot(coef: pd.DataFrame, term: str, average: float, *, xlabel: str = "", title: str = ""):
    """Each group's coefficient for ``term`` (from ``coef``), sorted, against the average."""
    plt = _pyplot()
    s = coef[term].sort_values()
    fig, ax = plt.subplots(figsize=(6, max(3.0, 0.22 * len(s) + 1)))
    ax.scatter(s.to_numpy(), range(len(s)), color="black", zorder=3)
    ax.axvline(average, linestyle="--", color="red", label=f"fixed effect ({average:.2f})")
    ax.set_yticks(range(len(s)), [str(i) for i in s.index])
    ax.set_xlabel(xlabel or term)
    ax.set_ylabel(str(coef.index.name or "group"))
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="lower right")
    _tidy_axes(ax)
    fig.tight_layout()
    return fig


def caterpillar_plot(ranef_frame: pd.DataFrame, *, level: float = 0.95, title: str = ""):
    """lme4's ``dotplot(ranef(m, condVar = TRUE))``: conditional modes with intervals.

    Parameters
    ----------
    ranef_frame : pandas.DataFrame
        ``fit.ranef_frame()`` (columns grpvar, term, grp, condval, condsd).
    level : float
        Coverage of the intervals, condval ± z·condsd with z the normal quantile
        (1.96 for 95 %), as lattice's dotplot method for ranef draws them.
    """
    from mixedlab.rng import qnorm

    plt = _pyplot()
    z = float(qnorm(np.array([1 - (1 - level) / 2]))[0])
    panels = list(dict.fromkeys(zip(ranef_frame["grpvar"], ranef_frame["term"])))
    first = ranef_frame[(ranef_frame["grpvar"] == panels[0][0]) & (ranef_frame["term"] == panels[0][1])]
    # every panel uses the ordering of the first term, as lme4's dotplot does
    order = first.sort_values("condval")["grp"].tolist()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 0.8, 0.22 * len(order) + 1.4),
                             sharey=True, squeeze=False)
    for ax, (gv, term) in zip(axes[0], panels):
        sub = ranef_frame[(ranef_frame["grpvar"] == gv) & (ranef_frame["term"] == term)].set_index("grp").loc[order]
        ypos = np.arange(len(order))
        ax.errorbar(sub["condval"], ypos, xerr=z * sub["condsd"], fmt="o", color="#1f4e99", ecolor="#7f9fcf",
                    markersize=4, capsize=0)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(f"{gv}: {term}", fontsize=10)
        ax.set_yticks(ypos, order)
        _tidy_axes(ax)
    axes[0][0].set_ylabel(panels[0][0])
    if title:
        fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def fitted_lines_plot(
    data: pd.DataFrame,
    x: str,
    y: str,
    group: str,
    fitted: np.ndarray,
    population: np.ndarray | None = None,
    *,
    ncols: int = 6,
    title: str = "",
):
    """One small panel per group: the observations and the model's fitted line.

    ``fitted`` holds the group-specific fitted values (``fit.fitted()``), in the
    row order of ``data``; ``population`` (optional) the population-level
    prediction (``fit.predict(re_form="~0")``), drawn dashed for comparison.
    """
    plt = _pyplot()
    df = data.assign(_fitted=np.asarray(fitted))
    if population is not None:
        df["_population"] = np.asarray(population)
    levels = list(df[group].cat.categories) if isinstance(df[group].dtype, pd.CategoricalDtype) \
        else sorted(df[group].unique())
    nrows = int(np.ceil(len(levels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.9 * ncols, 1.7 * nrows + 0.4), sharex=True, sharey=True,
                             squeeze=False)
    for ax, lev in zip(axes.ravel(), levels):
        sub = df[df[group] == lev].sort_values(x)
        ax.scatter(sub[x], sub[y], s=8, color="#1f4e99")
        ax.plot(sub[x], sub["_fitted"], color="#d62728", linewidth=1.3)
        if population is not None:
            ax.plot(sub[x], sub["_population"], color="grey", linestyle="--", linewidth=0.9)
        ax.set_title(str(lev), fontsize=9, pad=2)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(levels):]:
        ax.set_visible(False)
    fig.supxlabel(x)
    fig.supylabel(y)
    if title:
        fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def probability_curves_plot(
    grid: np.ndarray,
    group_curves: np.ndarray,
    typical: np.ndarray,
    average: np.ndarray,
    observed: pd.Series | None = None,
    *,
    xlabel: str = "",
    ylabel: str = "Probability",
    title: str = "",
):
    """Conditional curves of each group, the typical group's curve and the population average.

    Parameters
    ----------
    grid : array
        The x values the curves are evaluated at.
    group_curves : 2-d array
        One row per group: the group's fitted probability along ``grid`` (thin grey lines).
    typical : array
        The curve of a group with random effect 0 (``re.form = NA``; solid red).
    average : array
        The curve averaged over groups (population average; dashed blue).
    observed : pandas.Series, optional
        The observed proportion at each x (index: x), drawn as black points.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for k, curve in enumerate(np.atleast_2d(group_curves)):
        ax.plot(grid, curve, color="#b8b8b8", linewidth=0.7, label="one school" if k == 0 else None)
    ax.plot(grid, typical, color="#d62728", linewidth=2.2, label="typical school (random effect 0)")
    ax.plot(grid, average, color="#1f4e99", linewidth=2.2, linestyle="--", label="average over schools")
    if observed is not None:
        ax.scatter(observed.index.to_numpy(dtype=float), observed.to_numpy(dtype=float), color="black", s=22,
                   zorder=4, label="observed share passing")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    _tidy_axes(ax)
    fig.tight_layout()
    return fig
