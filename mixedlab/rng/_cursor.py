"""One-at-a-time access to the stream, for R's sequential (rejection) samplers.

A :class:`Cursor` reads the stream a block of words at a time as Python floats and, on
:meth:`~Cursor.sync` or exit, consumes exactly the words it used, so array access
(:meth:`MTStream.peek_unif`) and later calls continue where R would. Besides
``unif_rand()`` it serves ``norm_rand()`` (Inversion, two uniforms) from normals computed
for every position of the block at once with the array ``qnorm``: the same values as one
at a time, at a fraction of the cost.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedlab.rng._normal import BIG, qnorm

__all__ = ["Cursor"]


def _block_norms(u: np.ndarray | list[float]) -> list[float]:
    """``norm_rand()`` started at each position j of the block: from u[j] and u[j + 1]
    (pass the block's array, :attr:`Cursor._ua`, to spare a conversion)."""
    a = np.asarray(u)
    big = np.trunc(BIG * a[:-1]) + a[1:]  # (int)(BIG * u1) + u2
    return qnorm(big / BIG).tolist()


class Cursor:
    """Draw single ``unif_rand()`` / ``norm_rand()`` / ``R_unif_index()`` values in stream order.

    Parameters
    ----------
    stream : MTStream
        Anything with ``peek_unif(n)`` and ``consume(n)``.
    first_block : int, optional
        Words read at the first refill (then doubling); callers that know roughly how
        many they need save refills.
    """

    _FIRST_BLOCK = 128  # blocks grow while the cursor keeps drawing: short uses stay cheap
    _MAX_BLOCK = 8192

    def __init__(self, stream: Any, first_block: int | None = None) -> None:
        self._stream = stream
        self._first = first_block or self._FIRST_BLOCK
        self._u: list[float] = []
        self._ua: np.ndarray = np.empty(0)  # the same block as an array
        self._len = 0
        self._n: list[float] | None = None
        self._i = 0
        self._block = self._first

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.sync()

    def sync(self) -> None:
        """Consume the words used so far and drop the block (array access may follow)."""
        self._stream.consume(self._i)
        self._u, self._n, self._i, self._len = [], None, 0, 0
        self._ua = np.empty(0)
        self._block = self._first

    def _refill(self) -> None:
        self._stream.consume(self._i)
        self._ua = self._stream.peek_unif(self._block)
        self._u = self._ua.tolist()
        self._len = len(self._u)
        self._block = min(2 * self._block, self._MAX_BLOCK)
        self._n = None
        self._i = 0

    def unif(self) -> float:
        """The next ``unif_rand()``."""
        i = self._i
        if i == self._len:
            self._refill()
            i = 0
        self._i = i + 1
        return self._u[i]

    def norm(self) -> float:
        """The next ``norm_rand()`` by Inversion (two uniforms; ``snorm.c``)."""
        i = self._i
        n = self._n
        if n is None or i + 1 >= self._len:
            if i + 1 >= self._len:
                self._refill()
                i = 0
            n = self._n = _block_norms(self._ua)
        self._i = i + 2
        return n[i]

    def unif_index(self, dn: int) -> int:
        """The next ``R_unif_index(dn)`` (0-based), "Rejection" kind (R >= 3.6).

        Draws ``bits = ceil(log2(dn))`` random bits as ``bits // 16 + 1`` pieces of
        ``floor(65536 * unif_rand())``, keeps the low ``bits`` bits and rejects values
        ``>= dn`` (``rbits`` and ``R_unif_index`` in ``src/main/RNG.c``).
        """
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
