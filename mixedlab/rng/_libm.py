"""The C library's transcendental functions, applied element by element.

R computes ``log``, ``exp`` and friends with the C library (glibc's libm here).
numpy's vectorised versions are not libm: on CPUs with AVX-512 its SIMD ``log``
differs from libm's by a few ulp on about 2 in 10,000 inputs, which breaks bit
identity with R. Python's :mod:`math` functions call libm itself, so every value
that R computes with a libm function is computed here with the :mod:`math`
function of the same name. Only square roots, which IEEE 754 rounds exactly, may
stay vectorised.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

__all__ = ["log", "exp", "pow_di"]


def _elementwise(fn: Callable[[float], float], x: np.ndarray, domain: Callable[[np.ndarray], np.ndarray],
                 outside: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    out = np.empty_like(flat)
    ok = domain(flat)
    if ok.all():
        out[:] = np.fromiter(map(fn, flat.tolist()), dtype=np.float64, count=flat.size)
    else:
        vals = flat[ok]
        out[ok] = np.fromiter(map(fn, vals.tolist()), dtype=np.float64, count=vals.size)
        out[~ok] = outside(flat[~ok])
    return out.reshape(x.shape)


def _log_outside(v: np.ndarray) -> np.ndarray:
    # log(0) = -Inf, log(+Inf) = +Inf, log(negative or NaN) = NaN, as in C
    return np.where(v == 0.0, -np.inf, np.where(v == np.inf, np.inf, np.nan))


def log(x: np.ndarray) -> np.ndarray:
    """``log(x)`` of the C library for every element (0 → -inf, x < 0 → nan)."""
    return _elementwise(math.log, x, lambda v: (v > 0.0) & (v < np.inf), _log_outside)


_EXP_MAX = 709.782712893384  # largest x with finite exp(x); math.exp raises above it


def _exp_outside(v: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(v), np.nan, np.where(v > 0, np.inf, 0.0))


def exp(x: np.ndarray) -> np.ndarray:
    """``exp(x)`` of the C library for every element (overflow → inf, as in C)."""
    return _elementwise(math.exp, x, lambda v: v <= _EXP_MAX, _exp_outside)


def pow_di(x: float, n: int) -> float:
    """R's ``R_pow_di(x, n)`` (src/main/arithmetic.c) for finite ``x``: ``x**n`` by binary
    powering, ``1 / x**|n|`` for ``n < 0`` (not libm, but R's own loop: the last bit matters)."""
    xn = 1.0
    if n != 0:
        neg = n < 0
        n = -n if neg else n
        while True:
            if n & 1:
                xn *= x
            n >>= 1
            if n:
                x *= x
            else:
                break
        if neg:
            xn = 1.0 / xn
    return xn
