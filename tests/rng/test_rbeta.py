"""``RRandom.rbeta`` against R 4.2's ``rbeta`` (Cheng's BB and BC), live."""

from __future__ import annotations

import warnings

import numpy as np

from mixedlab import RRandom


def _shapes(n: int) -> tuple[np.ndarray, np.ndarray]:
    g = RRandom(3)
    a = np.where(g.runif(n) < 0.5, g.runif(n) * 1.5, 1 + g.rexp(n) * 5)
    b = np.where(g.runif(n) < 0.5, g.runif(n) * 1.5, 1 + g.rexp(n) * 5)
    a[::997] = 0.0
    b[::1009] = np.inf
    a[5::1013] = 1e-3
    return a, b


def test_rbeta_is_rs_stream(r_session) -> None:
    """20,000 draws over both algorithms and the point masses, then the next uniform."""
    n = 20000
    a, b = _shapes(n)
    fv = r_session.FloatVector
    want = np.asarray(r_session.r("function(a, b) { set.seed(77); c(rbeta(length(a), a, b), "
                                  "runif(1)) }")(fv(a), fv(b)))
    r = RRandom(77)
    got = r.rbeta(n, a, b)
    assert np.array_equal(got, want[:-1])
    assert r.runif(1)[0] == want[-1]


def test_rbeta_recycles_and_flags_invalid_shapes(r_session) -> None:
    want = np.asarray(r_session.r("suppressWarnings({ set.seed(5); "
                                  "rbeta(7, c(0.5, 2, -1), c(3, 0.2)) })"))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = RRandom(5).rbeta(7, [0.5, 2, -1], [3, 0.2])
    assert np.array_equal(got, want, equal_nan=True) and np.isnan(got[2])
    assert any("NAs produced" in str(x.message) for x in w)
