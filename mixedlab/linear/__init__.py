"""The linear engine: lme4's profiled criterion of θ and its optimisation.

Stages, each a module (Bates et al. 2015, sections 3.1–3.6):

* :mod:`~mixedlab.linear._theta` — θ's packing of the relative covariance factors;
* :mod:`~mixedlab.linear._crossprod` — the cross-products [Z X y]ᵀW[Z X y], built once;
* :mod:`~mixedlab.linear._pls` — penalized least squares: the blocked Cholesky factor L(θ);
* :mod:`~mixedlab.linear._deviance` — the profiled REML criterion / ML deviance (``mkLmerDevfun``);
* :mod:`~mixedlab.linear._optimize` — BOBYQA with lme4's restarts and checks (``optimizeLmer``).
"""

from __future__ import annotations

from mixedlab.linear._crossprod import CrossProducts, random_effects_matrix
from mixedlab.linear._deviance import LmerDevfun, make_devfun
from mixedlab.linear._optimize import LmerControl, OptimResult, optimize_lmer
from mixedlab.linear._pls import (
    PLSFactor,
    PLSSolution,
    conditional_variances,
    factorize,
    solve,
)
from mixedlab.linear._theta import TermShape, ThetaLayout

__all__ = [
    "CrossProducts",
    "random_effects_matrix",
    "LmerDevfun",
    "make_devfun",
    "LmerControl",
    "OptimResult",
    "optimize_lmer",
    "PLSFactor",
    "PLSSolution",
    "conditional_variances",
    "factorize",
    "solve",
    "TermShape",
    "ThetaLayout",
]
