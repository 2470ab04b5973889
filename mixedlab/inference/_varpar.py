"""The deviance and vcov(β) as functions of the variance parameters (θ, σ).

lmerTest 3.1-3 (``R/lmer.R``: ``devfun_vp``, ``get_covbeta``) differentiates two
functions of ``varpar = (θ, σ)`` — σ, not σ²:

* the (RE)ML deviance *not* profiled over σ,
  ``ldL2(θ) + r²(θ)/σ² + n log(2πσ²)`` plus, for REML, ``log|R_X(θ)|² − p log(2πσ²)``,
  where r²(θ) is the penalized residual sum of squares at θ's PLS solution
  (Bates et al. 2015, eqns. 32–41 before profiling out σ);
* the covariance of β̂ at θ, ``σ² (R_Xᵀ R_X)⁻¹``.

Both need only the blocked factor L(θ) of the linear engine; θ values that the
finite differences visit repeatedly (σ steps leave θ unchanged) are factored once.
"""

from __future__ import annotations

import math

import numpy as np

from mixedlab.inference._factor_cache import FactorCache
from mixedlab.linear._pls import CrossProducts, PLSFactor, solve_triangular

__all__ = ["VarparFunctions"]

_LOG_2PI = math.log(2.0 * math.pi)


class VarparFunctions:
    """``devfun_vp`` and ``get_covbeta`` of lmerTest for one model.

    Parameters
    ----------
    cp
        The model's θ-independent cross-products.
    REML
        Whether the deviance is the REML criterion (as the fit's).
    """

    def __init__(self, cp: CrossProducts, REML: bool) -> None:
        self.cp = cp
        self.REML = bool(REML)
        self._factors = FactorCache(cp, limit=256)

    def factor(self, theta: np.ndarray) -> PLSFactor:
        """L(θ), kept for the θ values already seen."""
        return self._factors(np.asarray(theta, dtype=float))

    def deviance(self, varpar: np.ndarray) -> float:
        """lmerTest's ``devfun_vp``: the deviance at ``varpar = (θ, σ)``."""
        varpar = np.asarray(varpar, dtype=float)
        sigma2 = float(varpar[-1]) ** 2
        f = self.factor(varpar[:-1])
        n, p = self.cp.n, self.cp.p
        log_2pi_s2 = math.log(2.0 * math.pi * sigma2)
        dev = f.ldL2 + f.pwrss / sigma2 + n * log_2pi_s2
        if not self.REML:
            return dev
        return dev + f.ldRX2 - p * log_2pi_s2

    def rx(self, theta: np.ndarray) -> np.ndarray:
        """The lower-triangular R_X(θ) (L_XX): vcov(β) = σ² (R_X R_Xᵀ)⁻¹."""
        f = self.factor(theta)
        q2, p = self.cp.q2, self.cp.p
        return np.tril(f.L22[q2 : q2 + p, q2 : q2 + p])

    def covbeta(self, varpar: np.ndarray) -> np.ndarray:
        """lmerTest's ``get_covbeta``: σ² (R_Xᵀ R_X)⁻¹ at ``varpar``, a p × p matrix."""
        varpar = np.asarray(varpar, dtype=float)
        p = self.cp.p
        RXinv = solve_triangular(self.rx(varpar[:-1]), np.eye(p), lower=True)
        return float(varpar[-1]) ** 2 * (RXinv.T @ RXinv)
