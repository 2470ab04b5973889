"""The deviance function of θ (lme4's ``mkLmerDevfun``): parse output → callable."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from mixedlab._pls import CrossProducts, PLSFactor, factorize, profiled_deviance
from mixedlab._theta import TermShape

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
            f = self.factor(theta)
        except np.linalg.LinAlgError:
            # an indefinite system is infeasible, not an answer; the optimiser steps back
            return float("inf")
        return float(profiled_deviance(self.cp, f, self.REML))


def make_devfun(model: Any, REML: bool = True) -> LmerDevfun:
    """Build the deviance function of θ from a parsed model (``mixedlab.formula.build_model``)."""
    shapes = [TermShape(t.X.shape[1], len(t.levels)) for t in model.terms]
    y = model.y if model.offset is None else model.y - model.offset
    cp = CrossProducts(
        [t.X for t in model.terms], [t.codes for t in model.terms], shapes, model.X, y, model.weights
    )
    return LmerDevfun(cp, REML)
