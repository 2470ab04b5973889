"""The response module of a GLMM (lme4's ``glmResp``): y, weights, offset and the current μ.

Working quantities (``src/respModule.cpp``), with w the prior weights:

    sqrtWrkWt = μ_η · sqrt(w / V(μ))          (so W = w μ_η² / V: Fisher weights)
    wrkResids = (y − μ) / μ_η
    wrkResp   = (η − offset) + wrkResids      (z, the working response)

``update_mu(γ)`` sets η = offset + γ and μ = g⁻¹(η), as ``glmResp::updateMu`` does.
"""

from __future__ import annotations

import numpy as np

from mixedlab.glm._families import Family

__all__ = ["GlmResponse"]


class GlmResponse:
    """y, prior weights, trial counts n, offset, η and μ of a GLMM (lme4's ``glmResp``)."""

    def __init__(self, family: Family, y: np.ndarray, weights: np.ndarray, n: np.ndarray,
                 offset: np.ndarray) -> None:
        self.family = family
        self.link = family.link
        self.y = np.asarray(y, dtype=float)
        self.wt = np.asarray(weights, dtype=float)
        self.n = np.asarray(n, dtype=float)
        self.offset = np.asarray(offset, dtype=float).copy()
        self.eta = self.offset.copy()
        self.mu = self.link.linkinv(self.eta)
        self.fixed = family.fixed_parts(self.y, self.n, self.wt)

    def update_mu(self, gamma: np.ndarray) -> None:
        """η = offset + γ, μ = g⁻¹(η)."""
        self.eta = self.offset + gamma
        self.mu = self.link.linkinv(self.eta)

    def working(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, z)``: the Fisher weights sqrtWrkWt² and the working response at the current μ."""
        mu_eta = self.link.mu_eta(self.eta)
        W = mu_eta * mu_eta * (self.wt / self.family.variance(self.mu))
        z = (self.eta - self.offset) + (self.y - self.mu) / mu_eta
        return W, z

    def dev_resid(self) -> np.ndarray:
        return self.family.dev_resids(self.y, self.mu, self.wt, self.fixed)

    def aic(self) -> float:
        # only the families with a dispersion plug Σd into their aic
        dev = float(np.sum(self.dev_resid())) if self.family.has_scale else float("nan")
        return self.family.aic(self.y, self.n, self.mu, self.wt, dev, self.fixed)

    def pearson_wrss(self) -> float:
        """Σ w (y − μ)² / V(μ): lme4's ``wrss`` after ``updateWts``."""
        r = self.y - self.mu
        return float(np.sum(self.wt * r * r / self.family.variance(self.mu)))
