"""glmmTMB 1.1.5's ``residuals.glmmTMB``: response, Pearson and working residuals.

``residuals.glmmTMB`` (``R/methods.R``):

* response: ``y − fitted`` (a ``cbind`` response as the proportion ``y₁/(y₁ + y₂)``);
* working: ``r / mu.eta(η)``;
* pearson: ``r / sqrt(V)`` times ``sqrt(weights)`` (the trials of a ``cbind`` response, else
  the prior weights), where V is the family's ``variance`` function called with μ the
  conditional mean (``predict(type = "conditional")``), the dispersion as
  ``predict(type = "disp")`` and the Tweedie power. A variance function of μ alone is
  multiplied by ``(disp / sigma)²`` (1 for ``dispformula = ~1``; ``sigma`` is NA with a
  dispersion model, so then are the residuals) and, with zero inflation, by ``disp²``
  before the zero-inflated variance ``V (1 − p) + μ² p (1 − p)``.

These are glmmTMB's own definitions, quirks included (e.g. a gaussian model's Pearson
residuals are not divided by σ when ``dispformula = ~1``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mixedlab._errors import ModelSpecificationError

__all__ = ["mu_eta", "pearson_variance"]


def mu_eta(link: str, eta: np.ndarray) -> np.ndarray:
    """dμ/dη of the link (R's ``family$mu.eta``)."""
    eta = np.asarray(eta, dtype=float)
    if link == "log":
        return np.exp(eta)
    if link == "logit":
        p = special.expit(eta)
        return p * (1.0 - p)
    if link == "probit":
        return np.exp(-0.5 * eta * eta) / np.sqrt(2.0 * np.pi)
    if link == "cloglog":
        return np.exp(eta - np.exp(eta))
    if link == "identity":
        return np.ones_like(eta)
    if link == "inverse":
        return -1.0 / (eta * eta)
    if link == "sqrt":
        return 2.0 * eta
    raise AssertionError(link)


def _truncated_nbinom2_variance(mu: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """glmmTMB's ``truncated_nbinom2()$variance`` (c = 0), with dnbinom/pnbinom in closed form."""
    p0 = np.exp(theta * (np.log(theta) - np.log(theta + mu)))  # dnbinom(0, mu, size)
    p1 = p0 * theta * mu / (theta + mu)  # dnbinom(1, mu, size)
    mu_star = mu + (theta + mu) * p1 / (theta * (1.0 - p0))
    return mu_star + mu_star * mu * (1.0 + 1.0 / theta) - mu_star ** 2


def pearson_variance(family: str, mu: np.ndarray, disp: np.ndarray, power: float | None
                     ) -> tuple[np.ndarray, bool]:
    """The family's ``variance(...)`` as ``residuals.glmmTMB`` calls it.

    Returns ``(V, of_mu_only)``; ``of_mu_only`` is glmmTMB's ``length(vformals) == 1``.
    """
    mu = np.asarray(mu, dtype=float)
    if family in ("gaussian",):
        return np.ones_like(mu), True
    if family == "Gamma":
        return mu ** 2, True
    if family == "poisson":
        return mu.copy(), True
    if family in ("binomial", "beta"):
        return mu * (1.0 - mu), True
    if family == "truncated_poisson":
        e = -np.expm1(-mu)
        return (mu + mu ** 2) / e - mu ** 2 / e ** 2, True
    if family == "nbinom2":
        return mu * (1.0 + mu / disp), False
    if family == "nbinom1":
        return mu * (1.0 + disp), False
    if family == "truncated_nbinom2":
        return _truncated_nbinom2_variance(mu, disp), False
    if family == "betabinomial":
        return mu * (1.0 - mu), False
    if family == "tweedie":
        return disp * mu ** power, False
    if family == "genpois":
        return mu * disp, False
    if family == "truncated_nbinom1":
        raise ModelSpecificationError(
            "Pearson residuals are not available for the truncated_nbinom1 family (glmmTMB "
            "1.1.5: 'variance for truncated nbinom1 family not yet implemented'); use "
            "type='response', or simulated residuals (mixedlab.simulate_residuals)")
    raise ModelSpecificationError(
        f"variance function undefined for family {family!r}; cannot compute Pearson residuals")
