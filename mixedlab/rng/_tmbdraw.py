"""glmmTMB 1.1.5's own samplers (``src/distrib.h``), drawing from R's stream as its C++ does.

glmmTMB's ``SIMULATE`` blocks call R's ``Rf_r*`` samplers through TMB, plus a few samplers of
its own built on them. Their facts, as this module reproduces them draw for draw:

* **zero-truncated Poisson** (``rtruncated_poisson(0, mu)``, Geyer's aster algorithm):
  ``m = ceil(max(0, 1 - mu))`` (0 or 1); repeat ``x = rpois(mu) + m``; with ``m = 1`` a
  uniform ``u`` accepts when ``u < 1 / x`` (and ``x > 0``), with ``m = 0`` when ``x > 0``.
* **zero-truncated negative binomial** (``rtruncated_nbinom(alpha, 0, mu)``): ``p = alpha /
  (mu + alpha)``, ``q = mu / (mu + alpha)``, ``m = ceil(max(0, p - alpha q))``; repeat
  ``x = rnbinom(alpha + m, p) + m`` with the same acceptance. ``truncated_nbinom2`` first
  runs the untruncated ``rnbinom2(mu, var)`` draw (its ``SIMULATE`` block is shared with
  ``nbinom2``), then overwrites it: both consume the stream.
* **generalised Poisson** (``rgenpois(theta, lambda)``, inversion): one ``runif(0, 1)``,
  then the cumulative sum of ``dgenpois(y) = exp(log theta + (y - 1) log(theta + lambda y)
  - theta - lambda y - lgamma(y + 1))`` until it reaches the uniform.
* **Tweedie** (``rtweedie(mu, phi, p)``, compound Poisson-gamma): ``N = rpois(mu^(2-p) /
  (phi (2 - p)))`` gammas of shape ``-(2-p)/(1-p)`` and scale ``phi (p - 1) mu^(p-1)``,
  summed by Eigen 3.3's vectorised reduction (:func:`eigen_sum`).
* **beta-binomial**: ``rbinom(size, rbeta(exp(s1), exp(s2)))``.

``log``, ``exp``, ``pow`` and ``log1p`` are the C library's (:mod:`math`), as in the C++;
``lgamma`` is R's ``lgammafn`` (:func:`lgamma_whole`), which TMB calls.
"""

from __future__ import annotations

import math

from mixedlab.rng._beta import rbeta_value
from mixedlab.rng._cursor import Cursor
from mixedlab.rng._gamma import rgamma_value
from mixedlab.rng._nbinom import _draw as _nbinom_draw, _pois_of

__all__ = ["rnbinom_value", "rtruncated_poisson", "rtruncated_nbinom", "rgenpois", "rtweedie",
           "eigen_sum", "rbetabinom", "lgamma_whole", "SimulationError"]

_HALF_MAX = 8.98846567431158e307  # DBL_MAX / 2 (rnbinom.c)
_LOOP_LIMIT = 100_000_000  # a guard only: glmmTMB's loops are unbounded


class SimulationError(ValueError):
    """glmmTMB's sampler refuses the parameters (its ``std::range_error``)."""


def rnbinom_value(cur: Cursor, size: float, prob: float) -> float:
    """``rnbinom(size, prob)`` with rnbinom.c's checks (NaN for invalid arguments)."""
    if not math.isfinite(prob) or math.isnan(size) or size <= 0 or prob <= 0 or prob > 1:
        return math.nan
    if math.isinf(size):
        size = _HALF_MAX
    return 0.0 if prob == 1 else _nbinom_draw(cur, size, (1 - prob) / prob)


def _accept(cur: Cursor, x: float, m: int) -> bool:
    """aster's acceptance for truncation at 0: ``u < 1/x`` when ``m = 1`` (a uniform drawn)."""
    if m > 0:
        u = cur.unif()
        a = 1.0 * (1.0 / (x - 0.0))  # a *= (k + 1 - j) / (x - j), k = j = 0
        return u < a and x > 0
    return x > 0


def _ceil_m(mdoub: float) -> int:
    """``m = (int) mdoub; if (m < mdoub) m++`` after clamping at 0."""
    if mdoub < 0.0:
        mdoub = 0.0
    m = int(mdoub)
    return m + 1 if m < mdoub else m


def rtruncated_poisson(cur: Cursor, mu: float) -> float:
    """``glmmtmb::rtruncated_poisson(0, mu)``."""
    if not mu > 0.0:  # NaN included: the C++ loop would not end either way
        raise SimulationError(f"non-positive mu ({mu!r}) in the zero-truncated Poisson simulator")
    m = _ceil_m(1.0 - mu)
    for _ in range(_LOOP_LIMIT):
        x = _pois_of(cur, mu) + m
        if _accept(cur, x, m):
            return x
    raise SimulationError(f"the zero-truncated Poisson simulator did not stop (mu = {mu!r})")


def rtruncated_nbinom(cur: Cursor, alpha: float, mu: float) -> float:
    """``glmmtmb::rtruncated_nbinom(alpha, 0, mu)`` (``alpha`` the size)."""
    p = alpha / (mu + alpha)
    q = mu / (mu + alpha)
    if not alpha > 0.0:
        raise SimulationError(f"non-positive size ({alpha!r}) in the zero-truncated negative "
                              "binomial simulator")
    if not mu > 0.0:
        raise SimulationError(f"non-positive mu ({mu!r}) in the zero-truncated negative "
                              "binomial simulator")
    m = _ceil_m(1.0 * p - alpha * q)
    for _ in range(_LOOP_LIMIT):
        x = rnbinom_value(cur, alpha + m, p) + m
        if math.isnan(x):
            return x
        if _accept(cur, x, m):
            return x
    raise SimulationError(f"the zero-truncated negative binomial simulator did not stop "
                          f"(size = {alpha!r}, mu = {mu!r})")


def _log(x: float) -> float:
    if x > 0.0:
        return math.log(x) if x != math.inf else math.inf
    return -math.inf if x == 0.0 else math.nan


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


_LN_SQRT_2PI = 0.918938533204672741780329736406  # log(sqrt(2 pi))
# the first five coefficients of the Chebyshev series of lgamma's Stirling remainder
# (W. Fullerton's algmcs, SLATEC; R's lgammacor.c uses these five)
_ALGMCS = (+.1666389480451863247205729650822e+0, -.1384948176067563840732986059135e-4,
           +.9810825646924729426157171547487e-8, -.1809129475572494194263306266719e-10,
           +.6221098041892605227126015543416e-13)


def _chebyshev(x: float, a: tuple[float, ...]) -> float:
    """Clenshaw's recurrence for a Chebyshev series, R's ``chebyshev_eval`` order."""
    twox = x * 2.0
    b0 = b1 = b2 = 0.0
    for c in reversed(a):
        b2 = b1
        b1 = b0
        b0 = twox * b1 - b2 + c
    return (b0 - b2) * 0.5


def lgamma_whole(x: float) -> float:
    """R's ``lgammafn(x)`` for a whole ``x >= 1`` (TMB's ``lgamma`` of a double calls it).

    Up to 10, ``log(gamma(x))`` with ``gamma`` of a whole number exact, ``(x - 1)!``; above,
    Stirling's formula ``log sqrt(2 pi) + (x - 1/2) log x - x`` plus ``lgammacor(x)`` (the
    Chebyshev series in ``(10/x)^2``, divided by ``x``), the remainder dropped beyond
    4934720 and ``x (log x - 1)`` beyond 1e17. The C library's ``lgamma`` differs from it in
    the last bit for about half of the whole numbers.
    """
    if x <= 10.0:
        return math.log(float(math.factorial(int(x) - 1)))
    if x > 1e17:
        return x * (math.log(x) - 1.0)
    base = _LN_SQRT_2PI + (x - 0.5) * math.log(x) - x
    if x > 4934720.0:
        return base
    t = 10.0 / x
    return base + _chebyshev(t * t * 2.0 - 1.0, _ALGMCS) / x


def _dgenpois(y: float, theta: float, lam: float) -> float:
    """glmmTMB's ``dgenpois(y, theta, lambda)`` (not on the log scale), its evaluation order."""
    ly = lam * y
    logres = _log(theta) + (y - 1.0) * _log(theta + ly) - theta - ly - lgamma_whole(y + 1.0)
    return _exp(logres)


def rgenpois(cur: Cursor, theta: float, lam: float) -> float:
    """``glmmtmb::rgenpois(theta, lambda)``: inversion from ``y = 0`` upwards."""
    u = cur.unif()  # runif(0, 1) = 0 + 1 * unif_rand()
    ans = 0.0
    kum = _dgenpois(0.0, theta, lam)
    for _ in range(_LOOP_LIMIT):
        if not u > kum:
            return ans
        ans = ans + 1.0
        kum += _dgenpois(ans, theta, lam)
    raise SimulationError(f"the generalised Poisson simulator did not stop (theta = {theta!r}, "
                          f"lambda = {lam!r})")


def eigen_sum(v: list[float]) -> float:
    """``vector<double>::sum()`` as Eigen 3.3 reduces it with SSE2 packets of two.

    For aligned storage (Eigen's heap arrays): a size below 2 is summed plainly; otherwise
    two packet accumulators take pairs (0,1), (2,3), then every further four elements, one
    more pair if left, the packets are added, their two lanes added, and an odd last
    element is added at the end (``redux_impl``, LinearVectorizedTraversal).
    """
    n = len(v)
    if n == 0:
        return 0.0
    if n < 2:
        return v[0]
    size2 = (n // 4) * 4
    size1 = (n // 2) * 2
    a0, a1 = v[0], v[1]
    if size1 > 2:
        b0, b1 = v[2], v[3]
        for i in range(4, size2, 4):
            a0 += v[i]
            a1 += v[i + 1]
            b0 += v[i + 2]
            b1 += v[i + 3]
        a0 += b0
        a1 += b1
        if size1 > size2:
            a0 += v[size2]
            a1 += v[size2 + 1]
    res = a0 + a1
    for i in range(size1, n):
        res += v[i]
    return res


def rtweedie(cur: Cursor, mu: float, phi: float, p: float) -> float:
    """``glmmtmb::rtweedie(mu, phi, p)``: ``rpois`` for the count, then that many gammas."""
    lam = math.pow(mu, 2.0 - p) / (phi * (2.0 - p))
    alpha = (2.0 - p) / (1.0 - p)
    gam = phi * (p - 1.0) * math.pow(mu, p - 1.0)
    count = _pois_of(cur, lam)
    if not math.isfinite(count):
        raise SimulationError(f"the Tweedie simulator met an invalid Poisson mean ({lam!r})")
    return eigen_sum([rgamma_value(cur, -alpha, gam) for _ in range(int(count))])


def rbetabinom(cur: Cursor, size: float, shape1: float, shape2: float) -> float:
    """``rbinom(size, rbeta(shape1, shape2))``: the beta draw first."""
    from mixedlab.rng._zi import _binom

    return _binom(cur, size, rbeta_value(cur, shape1, shape2))
