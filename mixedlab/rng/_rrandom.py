"""R's default random number stream, reproduced bit for bit.

R (>= 3.6) defaults to ``RNGkind("Mersenne-Twister", "Inversion", "Rejection")``.
:class:`RRandom` reproduces that stream so that lessons can rebuild the exact data
frames an R tutorial simulated after ``set.seed(...)``:

* ``set.seed(seed)`` scrambles the integer seed with the linear congruential step
  ``seed = 69069 * seed + 1`` (mod 2**32): 50 warm-up steps, then one step per word of
  the 625-word seed vector (R's ``RNG_Init`` in ``src/main/RNG.c``).  Word 0 is the
  position ``mti``, which ``FixupSeeds`` resets to 624 so that the first draw refills
  the whole Mersenne-Twister state.
* ``unif_rand()`` is one tempered MT19937 word times 2.3283064365386963e-10, with R's
  ``fixup`` keeping the result inside (0, 1).
* ``norm_rand()`` (Inversion) uses two uniforms: ``u = (int)(2**27 * u1) + u2`` and
  returns ``qnorm5(u / 2**27)``, with ``qnorm5`` Wichura's algorithm AS 241 (PPND16)
  coded as in R's ``src/nmath/qnorm.c``.
* ``R_unif_index(dn)`` ("Rejection" sampling) draws ``ceil(log2(dn))`` random bits in
  16-bit pieces, ``floor(65536 * unif_rand())`` each, and rejects values ``>= dn``.

The MT19937 recurrence itself is the reference one, so numpy's
:class:`numpy.random.MT19937` bit generator, loaded with R's scrambled state, yields
R's raw words; everything after the raw words is vectorised numpy arithmetic that
performs the same IEEE-754 operations, in the same order, as R's C code.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedlab.rng import _libm as libm

__all__ = ["RRandom", "qnorm"]

# --- constants of R's RNG.c -------------------------------------------------------------
_MT_N = 624  # words of Mersenne-Twister state; R stores mti in front of them
_TWO_M32 = 2.3283064365386963e-10  # 2**-32: MT_genrand's scaling to [0, 1)
_I2_32M1 = 2.328306437080797e-10  # 1 / (2**32 - 1): used by fixup() at the ends
_BIG = 134217728.0  # 2**27: norm_rand's Inversion precision booster
_SEED_MAX = 2**31 - 1  # set.seed takes an R integer; -2**31 is NA_integer_

# --- AS 241 (PPND16) coefficients, as in R's qnorm.c -----------------------------------
# Central region |p - 0.5| <= 0.425: rational function of r = 0.180625 - q^2.
_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
      13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
      33430.575583588128105, 2509.0809287301226727)
_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
      21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
      5226.4952788528545610)
# Intermediate tail, r = sqrt(-log(min(p, 1-p))) <= 5: rational function of r - 1.6.
_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
      3.64784832476320460504, 1.27045825245236838258, .24178072517745061177,
      .0227238449892691845833, 7.7454501427834140764e-4)
_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, .68976733498510000455,
      .14810397642748007459, .0151986665636164571966, 5.475938084995344946e-4,
      1.05075007164441684324e-9)
# Far tail, r > 5: rational function of r - 5.
_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358,
      .29656057182850489123, .026532189526576123093, .0012426609473880784386,
      2.71155556874348757815e-5, 2.01033439929228813265e-7)
_F = (1.0, .59983220655588793769, .13692988092273580531, .0148753612908506148525,
      7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
      2.04426310338993978564e-15)


def _horner(coef: tuple[float, ...], r: np.ndarray) -> np.ndarray:
    """Evaluate ``coef[0] + coef[1] r + ... + coef[7] r^7`` the way qnorm.c nests it.

    qnorm.c writes ``(((c7 * r + c6) * r + c5) ... ) * r + c0``: start from the highest
    coefficient, multiply then add, which is what this loop does in place (no fused
    multiply-add, so every intermediate rounding matches R's build).
    """
    acc = r * coef[-1]
    for c in coef[-2:0:-1]:
        acc += c
        acc *= r
    acc += coef[0]
    return acc


@np.errstate(invalid="ignore", over="ignore")  # non-finite p: fixed explicitly
def qnorm(p: Any) -> np.ndarray:
    """Standard normal quantile of ``p``, bit-identical to R's ``qnorm(p)``.

    Wichura's AS 241 as coded in R 4.2's ``src/nmath/qnorm.c`` (lower tail, not log):
    a rational approximation of ``q = p - 0.5`` when ``|q| <= 0.425``, otherwise of
    ``r = sqrt(-log(min(p, 1 - p)))`` with separate fits for ``r <= 5`` and ``r > 5``.

    Parameters
    ----------
    p : array_like of float
        Probabilities; values outside [0, 1] give NaN, 0 and 1 give -inf and inf.

    Returns
    -------
    numpy.ndarray
        Quantiles, float64, same shape as ``p``.
    """
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    # Central branch evaluated everywhere (cheaper than gathering the 85 % that use it);
    # the tail entries are overwritten below.
    r = q * q
    np.subtract(0.180625, r, out=r)
    out = q * _horner(_A, r)
    out /= _horner(_B, r)
    tail = np.flatnonzero(np.abs(q) > 0.425)
    if tail.size:
        _qnorm_tail(p, q, tail, out)
    nan = np.isnan(p)
    if nan.any():
        out[nan] = np.nan
    return out


@np.errstate(invalid="ignore", divide="ignore")  # p = 0, 1 or outside [0, 1]: fixed below
def _qnorm_tail(p: np.ndarray, q: np.ndarray, tail: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out[tail]`` with qnorm.c's tail branch (``|p - 0.5| > 0.425``)."""
    pt, qt = p[tail], q[tail]
    # R_DT_CIv(p) is written 0.5 - p + 0.5 (R_D_Cval); exact for p >= 0.5 either way.
    rt = np.where(qt < 0, pt, (0.5 - pt) + 0.5)
    # log of the C library, as R's qnorm.c calls it (numpy's SIMD log differs by ulps)
    rt = np.sqrt(-libm.log(rt))
    near = rt <= 5.0
    val = np.empty_like(rt)
    rn = rt[near] - 1.6
    val[near] = _horner(_C, rn) / _horner(_D, rn)
    rf = rt[~near] - 5.0
    val[~near] = _horner(_E, rf) / _horner(_F, rf)
    out[tail] = np.where(qt < 0, -val, val)
    bad = ~((pt > 0.0) & (pt < 1.0))
    if bad.any():
        edge = np.where(pt == 0.0, -np.inf, np.where(pt == 1.0, np.inf, np.nan))
        out[tail[bad]] = edge[bad]


def _as_count(n: Any, what: str = "n") -> int:
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
            return _as_count(arr.reshape(()).item(), what)
        return int(arr.size)
    else:
        raise TypeError(f"{what} must be a non-negative integer, got {type(n).__name__}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value} (R: 'invalid arguments')")
    return value


def _as_param(x: Any, name: str) -> np.ndarray:
    """A distribution parameter as a flat float64 array, recycled later like R does."""
    try:
        return np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number or an array of numbers, got {x!r}") from exc


class RRandom:
    """A random stream that reproduces R's ``set.seed(seed)`` stream bit for bit.

    The stream is R's default ``RNGkind("Mersenne-Twister", "Inversion", "Rejection")``.
    Successive calls continue one stream, exactly as successive R calls after one
    ``set.seed`` would, so ``r = RRandom(123); r.rnorm(5); r.rnorm(5, 2, 0.5)`` equals
    R's ``set.seed(123); rnorm(5); rnorm(5, 2, 0.5)``.

    Parameters
    ----------
    seed : int
        The integer given to R's ``set.seed``; any R integer, -2147483647..2147483647.

    Examples
    --------
    >>> r = RRandom(42)
    >>> float(r.runif(1)[0])  # R: set.seed(42); runif(1)
    0.9148060434963554
    """

    def __init__(self, seed: int) -> None:
        self.set_seed(seed)

    # --- seeding and the raw word stream -----------------------------------------------
    def set_seed(self, seed: int) -> None:
        """Restart the stream as R's ``set.seed(seed)`` does.

        Raises
        ------
        TypeError, ValueError
            If ``seed`` is not a whole number within R's integer range.
        """
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
            if isinstance(seed, numbers.Real) and math.isfinite(seed) and seed == int(seed):
                seed = int(seed)
            else:
                raise TypeError(
                    f"seed must be a whole number (R's set.seed takes an integer), got {seed!r}"
                )
        seed = int(seed)
        if abs(seed) > _SEED_MAX:
            raise ValueError(
                f"seed {seed} is outside R's integer range; use a value in "
                f"[-{_SEED_MAX}, {_SEED_MAX}]"
            )
        # RNG_Init: 50 scrambling steps, then one LCG step per seed word (unsigned 32-bit).
        s = seed & 0xFFFFFFFF
        for _ in range(50):
            s = (69069 * s + 1) & 0xFFFFFFFF
        words = np.empty(_MT_N + 1, dtype=np.uint32)
        for j in range(_MT_N + 1):
            s = (69069 * s + 1) & 0xFFFFFFFF
            words[j] = s
        # words[0] is dummy[0] = mti; FixupSeeds(initial=1) sets it to 624, i.e. the
        # first draw regenerates all 624 words. numpy's pos=624 means the same.
        self._bitgen = np.random.MT19937()
        self._bitgen.state = {
            "bit_generator": "MT19937",
            "state": {"key": words[1:].copy(), "pos": _MT_N},
        }
        self._buffer = np.empty(0, dtype=np.uint32)
        self._pos = 0
        self.seed = seed

    def _peek_words(self, n: int) -> np.ndarray:
        """The next ``n`` raw 32-bit words, without consuming them."""
        avail = self._buffer.size - self._pos
        if avail < n:
            fresh = self._bitgen.random_raw(n - avail).astype(np.uint32)
            self._buffer = np.concatenate([self._buffer[self._pos:], fresh])
            self._pos = 0
        return self._buffer[self._pos:self._pos + n]

    def _consume(self, n: int) -> None:
        """Mark ``n`` peeked words as used."""
        self._pos += n
        if self._pos >= self._buffer.size:
            self._buffer = np.empty(0, dtype=np.uint32)
            self._pos = 0

    @staticmethod
    def _to_unif(words: np.ndarray) -> np.ndarray:
        """MT_genrand's scaling followed by fixup(): R's ``unif_rand()`` values."""
        u = words.astype(np.float64)
        u *= _TWO_M32
        # fixup(): 0 becomes 0.5/(2**32 - 1); every other word already gives more than
        # that, and 1 - u <= 0 cannot happen because the largest word gives 1 - 2**-32.
        np.maximum(u, 0.5 * _I2_32M1, out=u)
        return u

    def _unif_rand(self, n: int) -> np.ndarray:
        """``n`` successive ``unif_rand()`` values (consumed)."""
        u = self._to_unif(self._peek_words(n))
        self._consume(n)
        return u

    def _norm_rand(self, n: int) -> np.ndarray:
        """``n`` successive ``norm_rand()`` values by Inversion (2 uniforms each)."""
        out = np.empty(n)
        chunk = 1 << 20  # bounded temporaries: 10M normals never hold 20M doubles twice
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            u = self._unif_rand(2 * m)
            # u = (int)(BIG * u1) + u2: BIG * u1 is exact; the cast truncates toward 0.
            big = np.trunc(_BIG * u[0::2]) + u[1::2]
            out[start:start + m] = qnorm(big / _BIG)
        return out

    # --- distributions -----------------------------------------------------------------
    def runif(self, n: Any, min: Any = 0.0, max: Any = 1.0) -> np.ndarray:  # noqa: A002
        """Uniform draws, as R's ``runif(n, min, max)``.

        ``min`` and ``max`` are recycled along the ``n`` draws. As in R, an element with
        ``min == max`` returns ``min`` without consuming a random number, and one with a
        non-finite bound or ``max < min`` is NaN (with a warning), also without a draw.

        Parameters
        ----------
        n : int or sequence
            Number of draws; a sequence of length other than 1 means its length (R's rule).
        min, max : float or array_like
            Bounds, recycled.

        Returns
        -------
        numpy.ndarray
            ``n`` float64 values.
        """
        count = _as_count(n)
        a, b = _as_param(min, "min"), _as_param(max, "max")
        if count == 0:
            return np.empty(0)
        if a.size == 0 or b.size == 0:
            warnings.warn("NAs produced", RuntimeWarning, stacklevel=2)
            return np.full(count, np.nan)
        if a.size == 1 and b.size == 1:
            lo, hi = float(a[0]), float(b[0])
            if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
                warnings.warn("NAs produced", RuntimeWarning, stacklevel=2)
                return np.full(count, np.nan)
            if lo == hi:
                return np.full(count, lo)
            u = self._unif_rand(count)
            if lo == 0.0 and hi == 1.0:
                return u  # 0 + 1 * u == u exactly
            return lo + (hi - lo) * u
        idx = np.arange(count)
        ai, bi = a[idx % a.size], b[idx % b.size]
        bad = ~np.isfinite(ai) | ~np.isfinite(bi) | (bi < ai)
        draws = ~bad & (ai != bi)
        out = ai.copy()
        out[bad] = np.nan
        u = self._unif_rand(int(draws.sum()))
        out[draws] = ai[draws] + (bi[draws] - ai[draws]) * u
        if bad.any():
            warnings.warn("NAs produced", RuntimeWarning, stacklevel=2)
        return out

    def rnorm(self, n: Any, mean: Any = 0.0, sd: Any = 1.0) -> np.ndarray:
        """Normal draws, as R's ``rnorm(n, mean, sd)`` with ``normal.kind = "Inversion"``.

        ``mean`` and ``sd`` are recycled along the ``n`` draws. As in R: ``sd == 0`` or a
        non-finite mean returns ``mean`` without a draw; a NaN mean, ``sd < 0`` or a
        non-finite ``sd`` gives NaN with a warning ("NAs produced") and no draw.

        Parameters
        ----------
        n : int or sequence
            Number of draws; a sequence of length other than 1 means its length.
        mean, sd : float or array_like
            Parameters, recycled.

        Returns
        -------
        numpy.ndarray
            ``n`` float64 values, ``mean + sd * norm_rand()``.
        """
        count = _as_count(n)
        mu, sigma = _as_param(mean, "mean"), _as_param(sd, "sd")
        if count == 0:
            return np.empty(0)
        if mu.size == 0 or sigma.size == 0:
            warnings.warn("NAs produced", RuntimeWarning, stacklevel=2)
            return np.full(count, np.nan)
        if mu.size == 1 and sigma.size == 1:
            m, s = float(mu[0]), float(sigma[0])
            if math.isnan(m) or not math.isfinite(s) or s < 0:
                warnings.warn("NAs produced", RuntimeWarning, stacklevel=2)
                return np.full(count, np.nan)
            if s == 0.0 or not math.isfinite(m):
                return np.full(count, m)
            return m + s * self._norm_rand(count)
        idx = np.arange(count)
        mi, si = mu[idx % mu.size], sigma[idx % sigma.size]
        bad = np.isnan(mi) | ~np.isfinite(si) | (si < 0)
        draws = ~bad & (si != 0.0) & np.isfinite(mi)
        out = mi.copy()
        out[bad] = np.nan
        z = self._norm_rand(int(draws.sum()))
        out[draws] = mi[draws] + si[draws] * z
        if bad.any():
            warnings.warn("NAs produced", RuntimeWarning, stacklevel=2)
        return out

    # --- sampling ----------------------------------------------------------------------
    def _unif_index(self, dn: int, k: int) -> np.ndarray:
        """``k`` successive ``R_unif_index(dn)`` values (0-based), "Rejection" kind.

        Each attempt draws ``bits = ceil(log2(dn))`` bits as ``bits // 16 + 1`` pieces of
        ``floor(65536 * unif_rand())``, keeps the low ``bits`` bits and is rejected when
        ``>= dn``. Attempts are scored in bulk and only the words up to the ``k``-th
        acceptance are consumed.
        """
        if k == 0:
            return np.empty(0, dtype=np.int64)
        if dn <= 0:
            return np.zeros(k, dtype=np.int64)
        bits = (int(dn) - 1).bit_length()  # ceil(log2(dn)) for a whole dn >= 1
        pieces = bits // 16 + 1
        mask = (1 << bits) - 1
        accept_rate = dn / float(1 << bits)  # >= 1/2
        out = np.empty(k, dtype=np.int64)
        filled = 0
        while filled < k:
            need = k - filled
            attempts = int(need / accept_rate * 1.1) + 16
            u = self._to_unif(self._peek_words(attempts * pieces)).reshape(attempts, pieces)
            v = np.zeros(attempts, dtype=np.int64)
            for c in range(pieces):
                v = 65536 * v + np.floor(u[:, c] * 65536.0).astype(np.int64)
            v &= mask
            ok = np.flatnonzero(v < dn)
            take = ok[:need]
            out[filled:filled + take.size] = v[take]
            filled += take.size
            used = (take[-1] + 1) if take.size == need else attempts
            self._consume(int(used) * pieces)
        return out

    def _cursor(self) -> "_Cursor":
        """Scalar access to the stream, for algorithms that are sequential by nature."""
        return _Cursor(self)

    def sample(
        self,
        x: Any,
        size: int | None = None,
        replace: bool = False,
        prob: Any = None,
    ) -> np.ndarray:
        """Random sample, as R's ``sample(x, size, replace, prob)`` (R >= 3.6 "Rejection").

        Parameters
        ----------
        x : int or array_like
            A Python integer ``n >= 1`` samples from ``1..n`` (R's ``sample(n)``, values
            are 1-based like R's); an array-like samples its elements. (A one-element
            list is a population of one element, unlike R where ``sample(c(5))`` means
            ``sample(1:5)``.)
        size : int, optional
            Number of items; defaults to the population size.
        replace : bool
            Sample with replacement.
        prob : array_like, optional
            Weights (normalised like R's ``FixupProb``); uses R's sorted inversion
            (``ProbSampleReplace``/``ProbSampleNoReplace``) or Walker's alias method
            when more than 200 weights are "large", exactly as R chooses.

        Returns
        -------
        numpy.ndarray
            The sample: 1-based integers when ``x`` is an integer, else elements of ``x``.

        Raises
        ------
        ValueError
            ``size`` larger than the population without replacement, a negative size,
            bad weights (R's messages).
        """
        if isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_)):
            n = int(x)
            if n < 1:
                raise ValueError(
                    f"sample(n) needs an integer n >= 1, got {n}; pass a list to sample its elements"
                )
            population = None
        elif isinstance(x, numbers.Real):
            raise TypeError(
                f"sample() takes a whole number or an array-like, got {x!r}; "
                "use an int n to sample 1..n"
            )
        else:
            population = np.asarray(x)
            if population.ndim != 1:
                population = population.ravel()
            n = population.size
        k = n if size is None else _as_count(size, "size")
        if not isinstance(replace, (bool, np.bool_)):
            raise TypeError(f"replace must be True or False, got {replace!r}")
        if k > 0 and n == 0:
            raise ValueError("invalid first argument: cannot sample from an empty population")
        if not replace and k > n:
            raise ValueError(
                "cannot take a sample larger than the population when 'replace = FALSE' "
                f"(size={k}, population={n}); pass replace=True or a smaller size"
            )
        if n > _SEED_MAX:
            raise NotImplementedError("populations larger than 2**31 - 1 are not supported")
        if prob is not None:
            idx = self._sample_prob(n, k, bool(replace), prob)
        elif n > 1e7 and not replace and k <= n / 2:
            idx = self._sample_hash(n, k)  # sample.int's useHash path (.Internal(sample2))
        elif replace or k < 2:
            idx = self._unif_index(n, k) + 1
        else:
            idx = self._sample_noreplace(n, k)
        idx = np.asarray(idx, dtype=np.int64)
        return idx if population is None else population[idx - 1]

    def _sample_noreplace(self, n: int, k: int) -> np.ndarray:
        """do_sample's partial shuffle: pick j, output x[j] + 1, move the last item to j."""
        pool = np.arange(n, dtype=np.int64)
        out = np.empty(k, dtype=np.int64)
        remaining = n
        with self._cursor() as cur:
            for i in range(k):
                j = cur.unif_index(remaining)
                out[i] = pool[j] + 1
                remaining -= 1
                pool[j] = pool[remaining]
        return out

    def _sample_hash(self, n: int, k: int) -> np.ndarray:
        """do_sample2: draw ``R_unif_index(n) + 1`` until it is new, ``k`` times."""
        seen: set[int] = set()
        out = np.empty(k, dtype=np.int64)
        i = 0
        with self._cursor() as cur:
            while i < k:
                v = cur.unif_index(n) + 1
                if v not in seen:
                    seen.add(v)
                    out[i] = v
                    i += 1
        return out

    def _sample_prob(self, n: int, k: int, replace: bool, prob: Any) -> np.ndarray:
        """do_sample with weights: FixupProb, then R's choice of algorithm."""
        p = np.array(prob, dtype=np.float64).ravel()  # a copy: never touch the caller's
        if p.size != n:
            raise ValueError(f"incorrect number of probabilities: got {p.size}, population {n}")
        if not np.isfinite(p).all():
            raise ValueError("NA in probability vector")
        if (p < 0).any():
            raise ValueError("non-positive probability")
        npos = int((p > 0).sum())
        if npos == 0 or (not replace and k > npos):
            raise ValueError("too few positive probabilities")
        total = float(np.add.accumulate(p)[-1])  # R sums left to right
        p = p / total
        if replace:
            if int((n * p > 0.1).sum()) > 200:
                return self._walker(n, p, k)
            return self._prob_replace(n, p, k)
        return self._prob_noreplace(n, p, k)

    def _prob_replace(self, n: int, p: np.ndarray, k: int) -> np.ndarray:
        """ProbSampleReplace: sort weights descending (revsort), invert the cumulative sum."""
        p, perm = _revsort(p)
        cum = np.add.accumulate(p)
        u = self._unif_rand(k)
        # first j < n-1 with u <= cum[j], else n-1
        j = np.searchsorted(cum[: n - 1], u, side="left")
        return perm[j]

    def _prob_noreplace(self, n: int, p: np.ndarray, k: int) -> np.ndarray:
        """ProbSampleNoReplace: sequential inversion over the remaining sorted weights."""
        p, perm = _revsort(p)
        pl, perml = p.tolist(), perm.tolist()
        out = np.empty(k, dtype=np.int64)
        total = 1.0
        n1 = n - 1
        with self._cursor() as cur:
            for i in range(k):
                rt = total * cur.unif()
                mass = 0.0
                j = 0
                while j < n1:
                    mass += pl[j]
                    if rt <= mass:
                        break
                    j += 1
                out[i] = perml[j]
                total -= pl[j]
                del pl[j], perml[j]
                n1 -= 1
        return out

    def _walker(self, n: int, p: np.ndarray, k: int) -> np.ndarray:
        """walker_ProbSampleReplace: Walker's alias tables (Ripley 1987, Alg. 3.13B)."""
        q = (p * n).tolist()
        alias = [0] * n
        small = [i for i in range(n) if q[i] < 1.0]  # HL[0..H]: q < 1, in index order
        large = [i for i in range(n) if q[i] >= 1.0][::-1]  # filled from the top: *--L
        hl = small + large  # R's single array HL, small ones first, then L..end
        lpos = len(small)
        if small and large:
            for kk in range(n - 1):
                i = hl[kk]
                j = hl[lpos]
                alias[i] = j
                q[j] += q[i] - 1.0
                if q[j] < 1.0:
                    lpos += 1
                if lpos >= n:
                    break
        qa = np.array(q) + np.arange(n)
        al = np.asarray(alias, dtype=np.int64)
        qa_l, al_l = qa.tolist(), al.tolist()
        out = np.empty(k, dtype=np.int64)
        with self._cursor() as cur:
            for i in range(k):
                # R >= 3.6: the column is R_unif_index(n), then one more uniform decides
                # between the column and its alias (rU = column + unif_rand()).
                col = cur.unif_index(n)
                ru = col + cur.unif()
                out[i] = col + 1 if ru < qa_l[col] else al_l[col] + 1
        return out


class _Cursor:
    """Draw single ``unif_rand()`` / ``R_unif_index()`` values cheaply, in stream order.

    Used as a context manager: it reads the stream's words a block at a time as Python
    floats and, on exit, consumes exactly the words it used, so later calls continue
    where R would.
    """

    _BLOCK = 4096

    def __init__(self, rng: RRandom) -> None:
        self._rng = rng
        self._u: list[float] = []
        self._i = 0

    def __enter__(self) -> "_Cursor":
        return self

    def __exit__(self, *exc: object) -> None:
        self._rng._consume(self._i)
        self._u, self._i = [], 0

    def unif(self) -> float:
        """The next ``unif_rand()``."""
        if self._i == len(self._u):
            self._rng._consume(self._i)  # the whole previous block was used
            self._u = self._rng._to_unif(self._rng._peek_words(self._BLOCK)).tolist()
            self._i = 0
        u = self._u[self._i]
        self._i += 1
        return u

    def unif_index(self, dn: int) -> int:
        """The next ``R_unif_index(dn)`` (0-based), "Rejection" kind."""
        if dn <= 0:
            return 0
        # ceil(log2(dn)) for a whole dn >= 1 is the bit length of dn - 1.
        bits = (dn - 1).bit_length()
        mask = (1 << bits) - 1
        pieces = bits // 16 + 1
        while True:
            v = 0
            for _ in range(pieces):
                v = 65536 * v + int(self.unif() * 65536.0)  # floor: u > 0
            v &= mask
            if v < dn:
                return v


def _revsort(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``revsort`` (src/main/sort.c): heapsort into descending order, carrying labels.

    The tie order of this particular heapsort decides which label R returns, so it is
    reproduced step by step rather than replaced by a stable sort.
    """
    n = a.size
    av = [0.0] + a.tolist()  # 1-based like the C code
    ib = [0] + list(range(1, n + 1))
    if n > 1:
        l_ = (n >> 1) + 1
        ir = n
        while True:
            if l_ > 1:
                l_ -= 1
                ra, ii = av[l_], ib[l_]
            else:
                ra, ii = av[ir], ib[ir]
                av[ir], ib[ir] = av[1], ib[1]
                ir -= 1
                if ir == 1:
                    av[1], ib[1] = ra, ii
                    break
            i = l_
            j = l_ << 1
            while j <= ir:
                if j < ir and av[j] > av[j + 1]:
                    j += 1
                if ra > av[j]:
                    av[i], ib[i] = av[j], ib[j]
                    i = j
                    j += j
                else:
                    j = ir + 1
            av[i], ib[i] = ra, ii
    return np.array(av[1:], dtype=np.float64), np.array(ib[1:], dtype=np.int64)
