"""R's ``qbinom(p, n, pr, lower.tail = FALSE)``, used by ``rbinom`` for ``n >= 2**31 - 1``.

R 4.2's ``src/nmath/qbinom.c`` with ``qDiscrete_search.h``: a Cornish-Fisher start
``y = round(mu + sigma (z + gamma (z^2 - 1) / 6))``, the fuzz ``p *= 1 + 8 eps``, then
a search (in steps of 1 below 4096, else in steps shrinking by 8 from ``y / 64``) for the
smallest ``y`` with ``P(X > y) < p``. The search always ends with step 1 at that
boundary, so the answer depends only on ``P(X > y)`` at the last few points.

``P(X > y) = I_pr(y + 1, n - y)`` is taken from :func:`scipy.special.betainc`, not from
R's TOMS 708 ``bratio``; the two agree to about 1e-15 relative, so a draw could differ
from R's only when the uniform lies that close to a cumulative probability (odds of
order 1e-14 per draw). This path is used only for sizes of 2**31 - 1 and above.
"""

from __future__ import annotations

import math

from scipy import special

from mixedlab.rng._normal import qnorm1

__all__ = ["qbinom_upper"]

_EPS = 2.220446049250313e-16


def _upper(y: float, n: float, pr: float) -> float:
    """``pbinom(y, n, pr, lower.tail = FALSE)`` for whole ``0 <= y``."""
    if y < 0:
        return 1.0
    y = math.floor(y + 1e-7)
    if n <= y:
        return 0.0
    return float(special.betainc(y + 1.0, n - y, pr))


def _search(y: float, z: float, p: float, n: float, pr: float, incr: float) -> tuple[float, float]:
    """``do_search`` for the upper tail: returns (y, P(X > y))."""
    if z < p:  # search to the left
        while True:
            newz = -1.0
            if y > 0:
                newz = _upper(y - incr, n, pr)
            elif y < 0:
                y = 0.0
            if y == 0 or math.isnan(newz) or newz >= p:
                return y, z
            y = max(0.0, y - incr)
            z = newz
    while True:  # search to the right
        y += incr
        if y < n:
            z = _upper(y, n, pr)
        elif y > n:
            y = n
        if y == n or math.isnan(z) or z < p:
            return y, z


def qbinom_upper(p: float, n: float, pr: float) -> float:
    """``qbinom(p, n, pr, lower.tail = FALSE, log.p = FALSE)`` for ``0 < p < 1``."""
    if pr == 0.0 or n == 0:
        return 0.0
    if pr == 1.0:
        return n
    q = 1 - pr
    mu = n * pr
    sigma = math.sqrt(n * pr * q)
    gamma = (q - pr) / sigma
    z = qnorm1(p, lower=False)
    y = float(round(mu + sigma * (z + gamma * (z * z - 1) / 6)))  # R_forceint (half-even)
    y = min(max(y, 0.0), n)
    z = _upper(y, n, pr)
    e = 8 * _EPS
    if 1 - p > 4 * e:  # fuzz to ensure left continuity
        p *= 1 + e
    if y < 4096:
        return _search(y, z, p, n, pr, 1.0)[0]
    incr = math.floor(y * (1.0 / 64))
    while True:
        oldincr = incr
        y, z = _search(y, z, p, n, pr, incr)
        incr = max(1.0, math.floor(incr / 8))
        if not (oldincr > 1 and incr > y * 1e-15):
            return y
