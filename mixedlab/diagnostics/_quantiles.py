"""Quantile curves of the scaled residuals against the (rank-transformed) predictions.

DHARMa's ``testQuantiles`` fits additive quantile regressions (``qgam``) of the residuals
on a smooth of the predictor at 0.25, 0.5 and 0.75 and asks whether each curve departs
from the flat line at its quantile. qgam has no Python counterpart, so this module uses
a well-kept library instead -- statsmodels' linear quantile regression
(:class:`statsmodels.regression.quantile_regression.QuantReg`, Koenker's method) on a
cubic B-spline basis of the predictor (:func:`scipy.interpolate.BSpline.design_matrix`,
knots at quantiles of the predictor, at most 6 basis functions). Because the B-splines
sum to one, the curve is flat at ``q`` exactly when every coefficient equals ``q``;
the Wald test of that hypothesis (statsmodels' robust covariance) gives each quantile's
p-value, and the three are combined by Benjamini-Hochberg, as DHARMa combines its own.
The p-values therefore differ from DHARMa's in their digits, not in what they test.
statsmodels is in the ``diagnostics`` extra: ``pip install 'mixedlab[diagnostics]'``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import interpolate, stats

__all__ = ["QuantileCurve", "quantile_curves", "rank_transform"]

_MAX_BASIS = 6


@dataclass(frozen=True)
class QuantileCurve:
    """One fitted quantile curve: ``values`` at ``grid``, and its test of flatness at ``q``."""

    q: float
    grid: np.ndarray
    values: np.ndarray
    pvalue: float


def rank_transform(x: np.ndarray) -> np.ndarray:
    """DHARMa's ``rankTransform``: average ranks divided by the largest rank."""
    r = stats.rankdata(np.asarray(x, dtype=float), method="average")
    return r / r.max()


def _basis(x: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, int]:
    """Cubic B-spline basis of ``x`` with knots from ``ref`` (the data's predictor)."""
    nuniq = np.unique(ref).size
    nb = min(_MAX_BASIS, nuniq)
    lo, hi = float(ref.min()), float(ref.max())
    if nb < 4 or hi <= lo:
        # too few distinct values for a cubic: straight line (or a constant)
        if nuniq < 2 or hi <= lo:
            return np.ones((x.size, 1)), 1
        t = (x - lo) / (hi - lo)
        return np.column_stack([1.0 - t, t]), 2
    inner = np.quantile(ref, np.linspace(0, 1, nb - 2)[1:-1])
    knots = np.r_[[lo] * 4, inner, [hi] * 4]
    B = interpolate.BSpline.design_matrix(np.clip(x, lo, hi), knots, 3).toarray()
    return B, nb


def quantile_curves(pred: np.ndarray, resid: np.ndarray,
                    quantiles: tuple[float, ...] = (0.25, 0.5, 0.75),
                    n_grid: int = 100) -> tuple[list[QuantileCurve], float]:
    """Fit the quantile curves and test them; returns the curves and the combined p-value.

    Raises
    ------
    ImportError
        statsmodels is missing (it is in the ``diagnostics`` extra).
    """
    try:
        from statsmodels.regression.quantile_regression import QuantReg
    except ImportError as exc:  # pragma: no cover - the extra installs it
        raise ImportError(
            "quantile curves of the residuals need statsmodels: pip install 'mixedlab[diagnostics]'"
        ) from exc
    x = np.asarray(pred, dtype=float)
    y = np.asarray(resid, dtype=float)
    B, nb = _basis(x, x)
    grid = np.linspace(float(x.min()), float(x.max()), n_grid)
    Bg, _ = _basis(grid, x)
    curves, raw = [], []
    for q in quantiles:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # iteration / collinearity notes of QuantReg
            fit = QuantReg(y, B).fit(q=q, max_iter=5000)
        beta = np.asarray(fit.params, dtype=float)
        V = np.asarray(fit.cov_params(), dtype=float)
        d = beta - q
        try:
            W = float(d @ np.linalg.solve(V, d))
            p = float(stats.chi2.sf(W, nb))
        except np.linalg.LinAlgError:
            p = float("nan")
        raw.append(p)
        curves.append(QuantileCurve(float(q), grid, Bg @ beta, p))
    # Benjamini-Hochberg over the quantiles (DHARMa: p.adjust(method = "BH")), then the smallest
    ps = np.asarray(raw)
    ok = np.isfinite(ps)
    adjusted = np.full_like(ps, np.nan)
    if ok.any():
        adjusted[ok] = _bh(ps[ok])
    combined = float(np.nanmin(adjusted)) if ok.any() else float("nan")
    curves = [QuantileCurve(c.q, c.grid, c.values, float(a)) for c, a in zip(curves, adjusted)]
    return curves, combined


def _bh(p: np.ndarray) -> np.ndarray:
    """R's ``p.adjust(p, "BH")``: ``cummin(n / i * p_(i))`` from the largest down, capped at 1."""
    n = p.size
    order = np.argsort(p)[::-1]
    ranks = np.arange(n, 0, -1)
    adj = np.minimum.accumulate(n / ranks * p[order])
    out = np.empty(n)
    out[order] = np.minimum(adj, 1.0)
    return out
