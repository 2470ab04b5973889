"""R's Mersenne-Twister stream: ``set.seed`` and ``unif_rand()``, in bulk and one at a time.

R (>= 3.6) defaults to ``RNGkind("Mersenne-Twister", "Inversion", "Rejection")``.

* ``set.seed(seed)`` scrambles the integer seed with the linear congruential step
  ``seed = 69069 * seed + 1`` (mod 2**32): 50 warm-up steps, then one step per word of
  the 625-word seed vector (R's ``RNG_Init`` in ``src/main/RNG.c``).  Word 0 is the
  position ``mti``, which ``FixupSeeds`` resets to 624 so that the first draw refills
  the whole Mersenne-Twister state.
* ``unif_rand()`` is one tempered MT19937 word times 2.3283064365386963e-10, with R's
  ``fixup`` keeping the result inside (0, 1).

The MT19937 recurrence itself is the reference one, so numpy's
:class:`numpy.random.MT19937` bit generator, loaded with R's scrambled state, yields
R's raw words. :class:`MTStream` hands them out as arrays (for samplers whose draws
can be computed together); :class:`mixedlab.rng._cursor.Cursor` reads them one Python
float at a time (for the sequential rejection algorithms); both consume exactly the
words R would.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["MTStream", "SEED_MAX", "to_unif"]

_MT_N = 624  # words of Mersenne-Twister state; R stores mti in front of them
_TWO_M32 = 2.3283064365386963e-10  # 2**-32: MT_genrand's scaling to [0, 1)
_I2_32M1 = 2.328306437080797e-10  # 1 / (2**32 - 1): used by fixup() at the ends
SEED_MAX = 2**31 - 1  # set.seed takes an R integer; -2**31 is NA_integer_


def _check_seed(seed: object) -> int:
    """``seed`` as a Python int in R's integer range, or a clear error."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        if isinstance(seed, numbers.Real) and math.isfinite(seed) and seed == int(seed):
            seed = int(seed)
        else:
            raise TypeError(
                f"seed must be a whole number (R's set.seed takes an integer), got {seed!r}"
            )
    seed = int(seed)
    if abs(seed) > SEED_MAX:
        raise ValueError(
            f"seed {seed} is outside R's integer range; use a value in [-{SEED_MAX}, {SEED_MAX}]"
        )
    return seed


def to_unif(words: np.ndarray) -> np.ndarray:
    """MT_genrand's scaling followed by fixup(): R's ``unif_rand()`` values."""
    u = words.astype(np.float64)
    u *= _TWO_M32
    # fixup(): 0 becomes 0.5/(2**32 - 1); every other word already gives more than
    # that, and 1 - u <= 0 cannot happen because the largest word gives 1 - 2**-32.
    np.maximum(u, 0.5 * _I2_32M1, out=u)
    return u


class MTStream:
    """The raw word stream after ``set.seed(seed)``, with peek/consume access.

    Parameters
    ----------
    seed : int
        The integer given to R's ``set.seed``.
    """

    def __init__(self, seed: int) -> None:
        seed = _check_seed(seed)
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

    def peek_words(self, n: int) -> np.ndarray:
        """The next ``n`` raw 32-bit words, without consuming them."""
        avail = self._buffer.size - self._pos
        if avail < n:
            fresh = self._bitgen.random_raw(n - avail).astype(np.uint32)
            self._buffer = np.concatenate([self._buffer[self._pos:], fresh])
            self._pos = 0
        return self._buffer[self._pos:self._pos + n]

    def peek_unif(self, n: int) -> np.ndarray:
        """The next ``n`` ``unif_rand()`` values, without consuming them."""
        return to_unif(self.peek_words(n))

    def consume(self, n: int) -> None:
        """Mark ``n`` peeked words as used."""
        self._pos += n
        if self._pos >= self._buffer.size:
            self._buffer = np.empty(0, dtype=np.uint32)
            self._pos = 0

    def unif(self, n: int) -> np.ndarray:
        """``n`` successive ``unif_rand()`` values (consumed)."""
        u = self.peek_unif(n)
        self.consume(n)
        return u
