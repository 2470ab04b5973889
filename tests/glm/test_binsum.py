"""BinSum gives bincount's sums bit for bit, on both of its paths."""

import numpy as np
import pytest

from mixedlab.glm._binsum import _SPARSE_FROM, BinSum


@pytest.mark.parametrize("n, nbins", [(50, 7), (_SPARSE_FROM, 3), (20_000, 24), (20_000, 7_000)])
def test_binsum_equals_bincount_bitwise(n: int, nbins: int) -> None:
    rng = np.random.default_rng(n + nbins)
    idx = rng.integers(0, nbins - 1, n)  # the last bin stays empty: minlength is honoured
    s = BinSum(idx, nbins)
    assert (s.M is None) == (n < _SPARSE_FROM)
    for scale in (1.0, 1e-8, 1e8):
        w = rng.standard_normal(n) * scale * np.exp(rng.standard_normal(n) * 5)
        ref = np.bincount(idx, weights=w, minlength=nbins)
        out = s(w)
        assert out.shape == (nbins,) and out[-1] == 0.0
        assert np.array_equal(out, ref)  # the same additions in the same order, not just close
