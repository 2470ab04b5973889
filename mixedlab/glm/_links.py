"""Link functions g(μ) = η with lme4's clamping (``src/glmFamily.cpp``).

Each :class:`Link` gives ``linkfun`` (μ → η), ``linkinv`` (η → μ) and ``mu_eta`` (dμ/dη).
lme4 evaluates the links with C++ fast paths for logit, probit, cauchit, cloglog, log,
identity and inverse, and clamps some of them so that μ and dμ/dη never reach the boundary:

* logit, cloglog: μ clamped to [ε, 1 − ε]; dμ/dη ≥ ε (ε = DBL_EPSILON);
* probit, cauchit: μ ≤ 1 − ε only; dμ/dη unclamped;
* log: μ = max(ε, exp η) and dμ/dη = max(ε, exp η);
* inverse: μ = 1/η, dμ/dη = −1/η² (no clamp: lme4's clamped version is commented out).

Links without a fast path (sqrt, 1/mu^2) follow R's ``make.link``. The functions are numpy's
vectorised ones: a fit agrees with R to the parity tolerances, not bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special

__all__ = ["Link", "make_link", "LINK_NAMES"]

EPS = float(np.finfo(float).eps)
_1M = 1.0 - EPS


@dataclass(frozen=True)
class Link:
    """A link function with its inverse and derivative (R's ``make.link`` entries)."""

    name: str
    linkfun: Callable[[np.ndarray], np.ndarray]
    linkinv: Callable[[np.ndarray], np.ndarray]
    mu_eta: Callable[[np.ndarray], np.ndarray]

    def __repr__(self) -> str:
        return f"Link({self.name!r})"


def _logit_inv(eta):
    mu = special.expit(eta)
    if not isinstance(mu, np.ndarray):  # a scalar η
        return np.minimum(np.maximum(mu, EPS), _1M)
    np.maximum(mu, EPS, out=mu)  # in place on the new array: no temporaries per PIRLS step
    return np.minimum(mu, _1M, out=mu)


def _logit_mu_eta(eta):
    # dlogis(η) = e/(1+e)², e = exp(−|η|)
    e = np.exp(-np.abs(eta))
    return np.maximum(e / ((1.0 + e) * (1.0 + e)), EPS)


def _cloglog_inv(eta):
    return np.minimum(np.maximum(-np.expm1(-np.exp(eta)), EPS), _1M)


def _cloglog_mu_eta(eta):
    return np.maximum(np.exp(eta - np.exp(eta)), EPS)


def _log_inv(eta):
    return np.maximum(np.exp(eta), EPS)


_LINKS: dict[str, Link] = {
    "logit": Link("logit", lambda mu: np.log(mu / (1.0 - mu)), _logit_inv, _logit_mu_eta),
    "probit": Link("probit", special.ndtri, lambda eta: np.minimum(special.ndtr(eta), _1M),
                   lambda eta: np.exp(-0.5 * eta * eta) / np.sqrt(2.0 * np.pi)),
    "cauchit": Link("cauchit", lambda mu: np.tan(np.pi * (mu - 0.5)),
                    lambda eta: np.minimum(0.5 + np.arctan(eta) / np.pi, _1M),
                    lambda eta: 1.0 / (np.pi * (1.0 + eta * eta))),
    "cloglog": Link("cloglog", lambda mu: np.log(-np.log1p(-mu)), _cloglog_inv, _cloglog_mu_eta),
    "log": Link("log", np.log, _log_inv, _log_inv),
    "identity": Link("identity", lambda mu: np.array(mu, dtype=float), lambda eta: np.array(eta, dtype=float),
                     lambda eta: np.ones_like(eta, dtype=float)),
    "inverse": Link("inverse", lambda mu: 1.0 / mu, lambda eta: 1.0 / eta, lambda eta: -1.0 / (eta * eta)),
    "sqrt": Link("sqrt", np.sqrt, lambda eta: eta * eta, lambda eta: 2.0 * eta),
    "1/mu^2": Link("1/mu^2", lambda mu: 1.0 / (mu * mu), lambda eta: 1.0 / np.sqrt(eta),
                   lambda eta: -1.0 / (2.0 * eta ** 1.5)),
}

LINK_NAMES = tuple(_LINKS)


def make_link(name: str) -> Link:
    """The link called ``name`` (R's spelling: "logit", "probit", "cloglog", "1/mu^2", ...)."""
    try:
        return _LINKS[name]
    except KeyError:
        raise ValueError(f"unknown link {name!r}; links are: {', '.join(LINK_NAMES)}") from None
