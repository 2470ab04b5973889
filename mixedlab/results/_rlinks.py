"""Inverse links exactly as R's ``family$linkinv`` computes them, for simulation.

R evaluates these with the C library's ``exp``/``expm1`` (numpy's SIMD versions differ by
an ulp on some inputs, which could move a simulated count), so every transcendental call
here goes through :mod:`mixedlab.rng._libm`, and ``pnorm`` is R's own algorithm
(:func:`mixedlab.rng._normal.pnorm`):

* logit: ``tmp = exp(eta)`` clamped to ``DBL_EPSILON`` below -30 and ``1/DBL_EPSILON``
  above 30, then ``tmp / (1 + tmp)`` (``C_logit_linkinv`` in stats' ``family.c``);
* probit: ``pnorm(pmin(pmax(eta, -thresh), thresh))`` with ``thresh = -qnorm(eps)``;
* cloglog: ``pmax(pmin(-expm1(-exp(eta)), 1 - eps), eps)``;
* log: ``pmax(exp(eta), eps)``; identity; inverse ``1/eta``; sqrt ``eta^2``.
"""

from __future__ import annotations

import math

import numpy as np

from mixedlab.rng import _libm as libm
from mixedlab.rng._normal import pnorm, qnorm1

__all__ = ["linkinv"]

_EPS = np.finfo(float).eps
_PROBIT_THRESH = -qnorm1(_EPS)


def _expm1(x: np.ndarray) -> np.ndarray:
    flat = np.asarray(x, dtype=float).ravel()
    return np.fromiter(map(math.expm1, flat.tolist()), dtype=float, count=flat.size).reshape(
        np.shape(x))


def linkinv(link: str, eta: np.ndarray) -> np.ndarray:
    """``family$linkinv(eta)`` of R for the named link.

    Raises
    ------
    NotImplementedError
        For a link R has but this module does not (cauchit).
    """
    eta = np.asarray(eta, dtype=float)
    if link == "logit":
        tmp = np.where(eta < -30.0, _EPS, np.where(eta > 30.0, 1.0 / _EPS, 0.0))
        mid = (eta >= -30.0) & (eta <= 30.0)
        tmp[mid] = libm.exp(eta[mid])
        return tmp / (1.0 + tmp)
    if link == "probit":
        return pnorm(np.minimum(np.maximum(eta, -_PROBIT_THRESH), _PROBIT_THRESH))
    if link == "cloglog":
        return np.maximum(np.minimum(-_expm1(-libm.exp(eta)), 1.0 - _EPS), _EPS)
    if link == "log":
        return np.maximum(libm.exp(eta), _EPS)
    if link == "identity":
        return eta.copy()
    if link == "inverse":
        return 1.0 / eta
    if link == "sqrt":
        return eta * eta
    raise NotImplementedError(f"simulation with the {link!r} link is not available")
