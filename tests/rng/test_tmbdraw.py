"""glmmTMB's own samplers (``mixedlab.rng._tmbdraw``): the parts a simulation comparison
cannot isolate. Their draws are checked against glmmTMB itself, bit for bit, through
``TmbFit.simulate`` (tests/results/test_tmb_simulate.py: truncated, genpois, tweedie and
betabinomial cases)."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab import RRandom
from mixedlab.rng._cursor import Cursor
from mixedlab.rng._tmbdraw import SimulationError, eigen_sum, rtruncated_nbinom, rtruncated_poisson


def test_eigen_sum_reduces_in_packets_of_two() -> None:
    # lanes (1e16 + -1e16) and (1 + 1): 2; a left-to-right sum loses both ones: 1e16 + 1 == 1e16
    assert eigen_sum([1e16, 1.0, -1e16, 1.0]) == 2.0
    assert ((1e16 + 1.0) - 1e16) + 1.0 == 1.0
    # two accumulators over groups of four, one more pair, then the odd element last
    v = [1e16, 1.0, 3.0, 5.0, -1e16, 1.0, 7.0, 9.0, 2.0, 4.0, 1.0]
    a0 = ((1e16 + -1e16) + (3.0 + 7.0)) + 2.0
    a1 = ((1.0 + 1.0) + (5.0 + 9.0)) + 4.0
    assert eigen_sum(v) == (a0 + a1) + 1.0
    assert eigen_sum([]) == 0.0 and eigen_sum([2.5]) == 2.5 and eigen_sum([1.0, 2.0, 4.0]) == 7.0


@pytest.mark.parametrize("mu", [0.05, 0.7, 1.0, 3.0, 25.0])
def test_truncated_draws_are_positive_and_keep_the_mean(mu: float) -> None:
    g = RRandom(3)
    n = 4000
    x = g.zero_inflated("truncated_poisson", np.full(n, mu))
    assert x.min() >= 1 and np.all(x == np.round(x))
    want = mu / (1 - np.exp(-mu))  # E[y | y > 0]
    assert abs(x.mean() - want) < 5 * np.sqrt(x.var() / n)
    size = 1.3
    y = g.zero_inflated("truncated_nbinom", np.full(n, size), np.full(n, mu))
    p0 = (size / (size + mu)) ** size
    assert y.min() >= 1
    assert abs(y.mean() - mu / (1 - p0)) < 5 * np.sqrt(y.var() / n)


def test_invalid_parameters_raise_as_glmmtmbs_range_error() -> None:
    with Cursor(RRandom(1)._stream) as cur:
        with pytest.raises(SimulationError, match="non-positive mu"):
            rtruncated_poisson(cur, 0.0)
        with pytest.raises(SimulationError, match="non-positive size"):
            rtruncated_nbinom(cur, -1.0, 2.0)


def test_lgamma_whole_is_rs_lgammafn(r_session) -> None:
    """rgenpois' cumulative probabilities use R's lgammafn (TMB's lgamma): bit for bit."""
    from mixedlab.rng._tmbdraw import lgamma_whole

    x = np.concatenate([np.arange(1.0, 20001.0), [1e5, 123457.0, 4934720.0, 4934721.0, 1e9]])
    want = np.asarray(r_session.r["lgamma"](r_session.FloatVector(x)))
    got = np.array([lgamma_whole(v) for v in x])
    assert np.array_equal(got, want)
