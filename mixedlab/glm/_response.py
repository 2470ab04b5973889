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
        self._work: tuple[np.ndarray, np.ndarray] | None = None
        self._restart: tuple | None = None
        self.restart_token: tuple | None = None

    def update_mu(self, gamma: np.ndarray) -> None:
        """η = offset + γ, μ = g⁻¹(η)."""
        self.eta = self.offset + gamma
        self.mu = self.link.linkinv(self.eta)
        self._work = None
        self.restart_token = None

    def restart(self, gamma: np.ndarray) -> None:
        """:meth:`update_mu` from a deviance function's fixed starting point ``gamma`` (lme4's
        ``updateMu(lp0)`` at the start of every evaluation).

        Called again with the same ``gamma`` and ``offset`` objects, it restores the state it
        computed the first time — η, μ and the working weights, which depend on μ only —
        instead of recomputing the same numbers. ``restart_token`` then names that state, so
        :class:`~mixedlab.glm._pirls.PirlsSystem` can reuse what it built from those weights.
        """
        c = self._restart
        if c is not None and c[0] is gamma and c[1] is self.offset:
            self.eta, self.mu, self._work = c[2], c[3], c[4]
            self.restart_token = c
            return
        self.update_mu(gamma)
        self._work = self._weights()
        self._restart = (gamma, self.offset, self.eta, self.mu, self._work)
        self.restart_token = self._restart

    def _weights(self) -> tuple[np.ndarray, np.ndarray]:
        """W = sqrtWrkWt² and the working residuals (y − μ)/μ_η at the current μ."""
        mu_eta = self.link.mu_eta(self.eta)
        W = mu_eta * mu_eta * (self.wt / self.family.variance(self.mu))
        return W, (self.y - self.mu) / mu_eta

    def working(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, z)``: the Fisher weights sqrtWrkWt² and the working response at the current μ."""
        if self._work is None:
            self._work = self._weights()
        W, r = self._work
        return W, (self.eta - self.offset) + r

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
