"""DHARMa's residual plot (``plot.DHARMa``: ``plotQQunif`` and ``plotResiduals``) in matplotlib.

Left panel: the sorted scaled residuals against uniform quantiles ``i / (n + 1)`` with the
diagonal, and the results of the KS, dispersion and outlier tests (red when p < 0.05).
Right panel: the residuals against the rank-transformed population predictions, with the
quantile curves at 0.25, 0.5, 0.75 (:mod:`mixedlab.diagnostics._quantiles`; red when the
curves depart from flat) and dashed horizontal lines where they should lie. Predictions
with fewer than 10 distinct values and more than 10 observations each are shown as
boxplots per value, as DHARMa does. matplotlib is in the ``diagnostics`` extra.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["residual_plot"]

_SIGNAL = "#d62728"  # DHARMa's signal colour is red


def _figure():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - the extra installs it
        raise ImportError("plot() needs matplotlib: pip install 'mixedlab[diagnostics]'") from exc
    # made through pyplot so that notebooks render the returned Figure, and closed at once
    # so that it is shown once (as the cell's value), not again when the cell ends
    fig = plt.figure(figsize=(10, 4.6), layout="constrained")
    plt.close(fig)
    return fig


def _qq(ax: Any, res: Any) -> None:
    r = np.sort(res.scaled)
    n = r.size
    expected = np.arange(1, n + 1) / (n + 1)
    ax.scatter(expected, r, marker="^", s=14, facecolors="none", edgecolors="black", linewidths=0.7)
    ax.plot([0, 1], [0, 1], color=_SIGNAL, lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Expected")
    ax.set_ylabel("Observed")
    ax.set_title("QQ plot residuals")
    tests = [("KS test", res.test_uniformity()), ("Dispersion test", res.test_dispersion()),
             ("Outlier test", res.test_outliers())]
    for i, (label, t) in enumerate(tests):
        colour = _SIGNAL if t.significant else "black"
        verdict = "Deviation significant" if t.significant else "Deviation n.s."
        ax.text(0.03, 0.97 - 0.075 * i, f"{label}: p = {t.pvalue:.5g}", color=colour,
                transform=ax.transAxes, va="top", fontsize=9)
        ax.text(0.03, 0.97 - 0.075 * i - 0.035, verdict, color=colour, transform=ax.transAxes,
                va="top", fontsize=7.5)


def _vs_predicted(ax: Any, res: Any) -> None:
    from mixedlab.diagnostics._quantiles import rank_transform

    pred = rank_transform(res.fitted)
    values = np.unique(pred)
    for q in (0.25, 0.5, 0.75):
        ax.axhline(q, color="black", ls="--", lw=0.8)
    if values.size < 10 and res.n_obs / values.size > 10:
        groups = [res.scaled[pred == v] for v in values]
        ax.boxplot(groups, positions=values, widths=0.6 / values.size, manage_ticks=False)
        ax.set_title("Residual vs. predicted (categorical)")
    else:
        ax.scatter(pred, res.scaled, s=8, facecolors="none", edgecolors="black", linewidths=0.6)
        curves, p = res.test_quantiles()
        bad = bool(np.isfinite(p) and p < 0.05)
        for c in curves:
            colour = _SIGNAL if (np.isfinite(c.pvalue) and c.pvalue < 0.05) else "black"
            ax.plot(c.grid, c.values, color=colour, lw=2)
        msg = ("Quantile deviations detected (red curves)" if bad
               else "No significant problems detected")
        ax.set_title(f"Residual vs. predicted\n{msg}", color=_SIGNAL if bad else "black",
                     fontsize=10)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Model predictions (rank transformed)")
    ax.set_ylabel("DHARMa residual")


def residual_plot(res: Any, title: str = "DHARMa residual"):
    """The two-panel figure for a :class:`~mixedlab.diagnostics.SimulatedResiduals`."""
    fig = _figure()
    ax1, ax2 = fig.subplots(1, 2)
    _qq(ax1, res)
    _vs_predicted(ax2, res)
    fig.suptitle(title)
    return fig
