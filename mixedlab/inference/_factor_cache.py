"""The linear engine's factor L(θ), kept for the θ values already seen.

Profiling and lmerTest's finite differences revisit the same θ many times (a σ step
leaves θ unchanged), so each θ is factored once.
"""

from __future__ import annotations

import numpy as np

from mixedlab.linear._pls import CrossProducts, PLSFactor, factorize

__all__ = ["FactorCache"]


class FactorCache:
    """``factorize(cp, θ)`` memoised on θ's bytes.

    Parameters
    ----------
    cp
        The model's θ-independent cross-products.
    limit
        The cache is emptied once it holds more than this many factors (a bound on memory,
        not an LRU: the θ revisited are the recent ones).
    """

    def __init__(self, cp: CrossProducts, limit: int) -> None:
        self.cp, self.limit = cp, limit
        self._cache: dict[bytes, PLSFactor] = {}

    def __call__(self, theta: np.ndarray) -> PLSFactor:
        """L(θ) for a float array ``theta``."""
        key = theta.tobytes()
        f = self._cache.get(key)
        if f is None:
            f = factorize(self.cp, theta)
            if len(self._cache) > self.limit:
                self._cache.clear()
            self._cache[key] = f
        return f
