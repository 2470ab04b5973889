"""Arguments of R's ``r<dist>(n, ...)`` functions: the draw count and recycled parameters.

R's ``random1``/``random2`` (``src/library/stats/src/random.c``) make ``n`` draws when
``n`` is a single number and ``length(n)`` draws otherwise, recycle each parameter
vector as ``a[i % length(a)]``, give all-NA output with the warning "NAs produced"
when a parameter vector is empty, and warn once ("NAs produced") when any draw is NaN.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["as_count", "as_param", "recycled", "warn_nas"]


def as_count(n: Any, what: str = "n") -> int:
    """Return the number of draws R would make for ``n`` (a length, or a vector's length)."""
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"{what} must be a non-negative integer, got {n!r}")
    if isinstance(n, numbers.Integral):
        value = int(n)
    elif isinstance(n, numbers.Real):
        if not math.isfinite(n) or n != int(n):
            raise ValueError(f"{what} must be a non-negative whole number, got {n!r}")
        value = int(n)
    elif isinstance(n, (Sequence, np.ndarray)) and not isinstance(n, str):
        # R: a vector n of length != 1 means "as many draws as it has elements".
        arr = np.asarray(n)
        if arr.size == 1:
            return as_count(arr.reshape(()).item(), what)
        return int(arr.size)
    else:
        raise TypeError(f"{what} must be a non-negative integer, got {type(n).__name__}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value} (R: 'invalid arguments')")
    return value


def as_param(x: Any, name: str) -> np.ndarray:
    """A distribution parameter as a flat float64 array (a copy), recycled later like R."""
    try:
        return np.array(x, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number or an array of numbers, got {x!r}") from exc


def recycled(count: int, *params: np.ndarray) -> list[np.ndarray] | None:
    """Each parameter recycled to ``count`` values (``a[i % len(a)]``); None if one is empty."""
    if any(p.size == 0 for p in params):
        return None
    out = []
    for p in params:
        if p.size == count:
            out.append(p)
        elif p.size == 1:
            out.append(np.full(count, p[0]))
        else:
            out.append(p[np.arange(count) % p.size])
    return out


def warn_nas(stacklevel: int = 3) -> None:
    """R's warning for NaN draws (invalid parameters)."""
    warnings.warn("NAs produced", RuntimeWarning, stacklevel=stacklevel)
