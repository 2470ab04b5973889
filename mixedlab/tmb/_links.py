"""glmmTMB's link functions on :class:`~mixedlab.tmb._jet.Jet` linear predictors.

glmmTMB computes each family's log-density from the robust transforms of the linear
predictor η in ``src/glmmTMB.cpp`` (1.1.5): ``log_inverse_linkfun`` (log μ),
``log1m_inverse_linkfun`` (log(1 − μ)) and ``logit_inverse_linkfun`` (logit μ), exact on
the log scale for the log and logit links and through ``logit_pnorm`` /
``logit_invcloglog`` for probit and cloglog. Each link here gives those transforms as
jets, so their derivatives come along, and the plain inverse link for predictions.
Link codes are glmmTMB's ``.valid_link``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from mixedlab._errors import ModelSpecificationError
from mixedlab.tmb._jet import Jet

__all__ = ["Link", "LINKS", "get_link"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _log_ndtr(x, m: int) -> list:
    """log Φ(x) and its derivatives: r = φ/Φ, −r(x+r), r((x+r)(x+2r) − 1)."""
    xa = np.asarray(x, dtype=float)
    val = special.log_ndtr(xa)
    out = [val]
    if m >= 1:
        r = np.exp(-0.5 * xa * xa - _LOG_SQRT_2PI - val)
        out.append(r)
        if m >= 2:
            out.append(-r * (xa + r))
            if m >= 3:
                out.append(r * ((xa + r) * (xa + 2.0 * r) - 1.0))
    return out


class Link:
    """One link function: its name, glmmTMB code and the transforms of η.

    Methods take a :class:`Jet` η and return jets; :meth:`inverse` works on arrays.
    """

    def __init__(self, name: str, code: int) -> None:
        self.name = name
        self.code = code

    def __repr__(self) -> str:
        return f"Link({self.name!r})"

    # --- jets ----------------------------------------------------------------------
    def mu(self, eta: Jet) -> Jet:
        """μ = g⁻¹(η)."""
        if self.name == "log":
            return eta.exp()
        if self.name == "logit":
            return (-(-eta).softplus()).exp()
        if self.name == "probit":
            return eta.apply(_log_ndtr).exp()
        if self.name == "cloglog":
            return 1.0 - (-(eta.exp())).exp()
        if self.name == "identity":
            return eta
        if self.name == "inverse":
            return eta.reciprocal()
        if self.name == "sqrt":
            return eta * eta
        raise AssertionError(self.name)

    def log_mu(self, eta: Jet) -> Jet:
        """log μ (glmmTMB's ``log_inverse_linkfun``)."""
        if self.name == "log":
            return eta
        if self.name == "logit":
            return -(-eta).softplus()
        if self.name == "probit":
            return eta.apply(_log_ndtr)
        if self.name == "cloglog":
            return eta.exp().log1mexp()
        return self.mu(eta).log()

    def log1m_mu(self, eta: Jet) -> Jet:
        """log(1 − μ) (glmmTMB's ``log1m_inverse_linkfun``)."""
        if self.name == "logit":
            return -eta.softplus()
        if self.name == "probit":
            return (-eta).apply(_log_ndtr)
        if self.name == "cloglog":
            return -(eta.exp())
        return (1.0 - self.mu(eta)).log()

    def logit_mu(self, eta: Jet) -> Jet:
        """logit μ (glmmTMB's ``logit_inverse_linkfun``)."""
        if self.name == "logit":
            return eta
        return self.log_mu(eta) - self.log1m_mu(eta)

    # --- arrays --------------------------------------------------------------------
    def inverse(self, eta: np.ndarray) -> np.ndarray:
        """μ = g⁻¹(η) on an array (glmmTMB's ``inverse_linkfun``)."""
        eta = np.asarray(eta, dtype=float)
        if self.name == "log":
            return np.exp(eta)
        if self.name == "logit":
            return special.expit(eta)
        if self.name == "probit":
            return special.ndtr(eta)
        if self.name == "cloglog":
            return -np.expm1(-np.exp(eta))
        if self.name == "identity":
            return eta.copy()
        if self.name == "inverse":
            return 1.0 / eta
        if self.name == "sqrt":
            return eta * eta
        raise AssertionError(self.name)

    def link(self, mu: np.ndarray) -> np.ndarray:
        """η = g(μ) on an array."""
        mu = np.asarray(mu, dtype=float)
        if self.name == "log":
            return np.log(mu)
        if self.name == "logit":
            return special.logit(mu)
        if self.name == "probit":
            return special.ndtri(mu)
        if self.name == "cloglog":
            return np.log(-np.log1p(-mu))
        if self.name == "identity":
            return mu.copy()
        if self.name == "inverse":
            return 1.0 / mu
        if self.name == "sqrt":
            return np.sqrt(mu)
        raise AssertionError(self.name)


#: glmmTMB's ``.valid_link`` codes.
LINKS = {name: Link(name, code) for name, code in (
    ("log", 0), ("logit", 1), ("probit", 2), ("inverse", 3), ("cloglog", 4),
    ("identity", 5), ("sqrt", 6))}


def get_link(name: str) -> Link:
    """The link called ``name``; an unknown name is an error listing the valid ones."""
    try:
        return LINKS[name]
    except KeyError:
        raise ModelSpecificationError(
            f"unknown link {name!r}; glmmTMB's links are {', '.join(LINKS)}") from None
