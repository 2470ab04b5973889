"""The deviance function of θ (lme4's ``mkLmerDevfun``): parse output → callable."""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedlab.linear._pls import CrossProducts, PLSFactor, criterion, factorize
from mixedlab.linear._theta import TermShape
from mixedlab.linear._threads import blas_threads_for

__all__ = ["LmerDevfun", "make_devfun"]


class LmerDevfun:
    """The profiled REML criterion or ML deviance as a function of θ alone.

    Calling it factors Ã(θ) and returns the criterion (Bates et al. 2015, eqns. 34
    and 41); the last factor is kept, so the optimum's β̂ and b̂ come for free.

    Attributes
    ----------
    cp
        The θ-independent cross-products.
    lower, start
        lme4's bounds and starting values of θ.
    REML
        Which criterion.
    """

    def __init__(self, cp: CrossProducts, REML: bool) -> None:
        self.cp = cp
        self.REML = bool(REML)
        self.lower = cp.layout.lower
        self.start = cp.layout.start
        self.last: PLSFactor | None = None

    def factor(self, theta: np.ndarray) -> PLSFactor:
        """Factor Ã(θ) and remember it."""
        self.last = factorize(self.cp, np.asarray(theta, dtype=float))
        return self.last

    def __call__(self, theta: np.ndarray) -> float:
        try:
            return float(criterion(self.cp, np.asarray(theta, dtype=float), self.REML))
        except np.linalg.LinAlgError:
            # an indefinite system is infeasible, not an answer; the optimiser steps back
            return float("inf")


def make_devfun(model: Any, REML: bool = True) -> LmerDevfun:
    """Build the deviance function of θ from a parsed model (``mixedlab.formula.build_model``)."""
    shapes = [TermShape(t.X.shape[1], len(t.levels)) for t in model.terms]
    y = model.y if model.offset is None else model.y - model.offset
    m = sum(s.q for s in shapes[1:]) + model.X.shape[1] + 1
    # the cross-products under the same BLAS setting as the optimisation: their last
    # bits, and so the optimum, must not depend on the machine's thread count
    with blas_threads_for(m):
        cp = CrossProducts(
            [t.X for t in model.terms], [t.codes for t in model.terms], shapes, model.X, y, model.weights
        )
    devfun = LmerDevfun(cp, REML)
    devfun.start = _moment_start(model, devfun.start)
    return devfun


def _moment_start(model: Any, default: np.ndarray) -> np.ndarray:
    """lme4's starting θ for models made only of scalar intercept terms (``mkLmerDevfun``).

    When every term is ``(1 | f)`` with its own factor, lme4 starts from the
    method-of-moments ratios θ_t = √(v_t / v_e), v_t the variance of the response's
    group means over observations and v_e = var(y) − Σ v_t, if v_e > 0.  Starting
    where lme4 starts keeps the optimiser on lme4's path.
    """
    terms = model.terms
    factors = [t.factor for t in terms]
    if not all(list(t.columns) == ["(Intercept)"] for t in terms) or len(set(factors)) != len(terms):
        return default
    y = np.asarray(model.y, dtype=float)
    if y.size < 2:
        return default
    v = []
    for t in terms:
        sums = np.bincount(t.codes, weights=y, minlength=len(t.levels))
        counts = np.bincount(t.codes, minlength=len(t.levels))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts
        v.append(float(np.var(means[t.codes], ddof=1)))  # var(ave(y, f)) in R
    v_e = float(np.var(y, ddof=1)) - sum(v)
    if not np.isfinite(v_e) or v_e <= 0:
        return default
    return np.sqrt(np.asarray(v) / v_e)
