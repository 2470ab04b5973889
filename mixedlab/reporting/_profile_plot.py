"""lme4's ``xyplot(profile(m))``: ζ against each parameter, with the confidence levels marked."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from scipy.stats import norm

__all__ = ["plot_profile"]


def plot_profile(prof: Any, levels: Sequence[float] = (0.5, 0.8, 0.9, 0.95, 0.99), absolute: bool = False,
                 ax: Any = None):
    """Plot a profile (an object with ``frame``, ``names``, ``spline(name)`` and ``confint``).

    One panel per parameter: the profile points, the interpolating spline, horizontal lines
    at ζ = ±z for each confidence level and the interval ends where the spline crosses them.
    ``absolute=True`` plots |ζ| (lme4's ``absVal``). Returns the matplotlib figure.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("plotting a profile needs matplotlib: pip install \"mixedlab[inference]\"") from exc
    names = list(prof.names)
    if ax is None:
        ncol = min(3, len(names)) or 1
        nrow = math.ceil(len(names) / ncol) or 1
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.8 * nrow), squeeze=False)
        axes = list(axes.ravel())
    else:
        axes = list(np.atleast_1d(ax).ravel())
        fig = axes[0].figure
    zs = [float(norm.ppf((1 + lv) / 2)) for lv in levels]
    cis = {lv: prof.confint(lv) for lv in levels}
    for a, name in zip(axes, names):
        pts = prof.frame[prof.frame[".par"] == name]
        x, z = pts[name].to_numpy(dtype=float), pts[".zeta"].to_numpy(dtype=float)
        a.plot(x, np.abs(z) if absolute else z, "o", ms=3, color="C0")
        sp = prof.spline(name)
        if sp is not None:
            xx = np.linspace(sp.knots[0], sp.knots[-1], 200)
            zz = sp.predict(xx)
            a.plot(xx, np.abs(zz) if absolute else zz, "-", color="C0", lw=1)
        for lv, zq in zip(levels, zs):
            lo, hi = cis[lv].loc[name].to_numpy(dtype=float)
            for sign, bound in ((-1, lo), (1, hi)):
                yv = zq if absolute else sign * zq
                a.axhline(yv, color="0.75", lw=0.6, ls="--")
                if np.isfinite(bound):
                    a.plot([bound, bound], [0, yv], color="0.55", lw=0.6)
        a.set_title(name, fontsize=9)
        a.set_ylabel("|ζ|" if absolute else "ζ")
    for a in axes[len(names):]:
        a.set_visible(False)
    fig.tight_layout()
    return fig
