"""Grouped sums ``np.bincount(idx, weights=w, minlength=nbins)`` with the index fixed once.

PIRLS sums each iteration's weighted rows into the same bins (levels, block entries), so the
index is known when the model is set up.  ``bincount`` adds every weight into its bin in
memory; when many rows share few bins (VerbAgg's 24 items, a 1-column [z] block) each
addition waits for the previous one's store, and the sum costs ~7 ns per row.  The same sums
as a sparse indicator matrix (bin × row, ones) times w accumulate each bin in a register —
in the same order, rows ascending, with 1·w exact — so the results are the same numbers,
several times faster.  Small problems keep ``bincount`` (the sparse product has a few µs of
fixed overhead).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["BinSum"]

#: rows from which the indicator product beats bincount's fixed cost
_SPARSE_FROM = 2000


class BinSum:
    """``np.bincount(idx, weights=w, minlength=nbins)`` for a fixed ``idx``.

    Parameters
    ----------
    idx
        Bin of each weight (non-negative integers).
    nbins
        Number of bins (``minlength``; every ``idx`` is below it).
    """

    def __init__(self, idx: np.ndarray, nbins: int) -> None:
        self.idx = np.ascontiguousarray(idx, dtype=np.intp).ravel()
        self.nbins = int(nbins)
        self.M = None
        if self.idx.size >= _SPARSE_FROM:
            M = sp.csr_matrix((np.ones(self.idx.size), (self.idx, np.arange(self.idx.size))),
                              shape=(self.nbins, self.idx.size))
            M.sort_indices()  # rows ascending within each bin: bincount's order of addition
            self.M = M

    def __call__(self, w: np.ndarray) -> np.ndarray:
        if self.M is None:
            return np.bincount(self.idx, weights=w, minlength=self.nbins)
        return self.M @ w
