"""The bootstrap's pieces: the boot package's percentile interpolation and lme4's statistic."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.inference._bootstrap import norm_inter, percentile_interval


@pytest.mark.parametrize("R, level", [(500, 0.95), (99, 0.95), (200, 0.9), (37, 0.5)])
def test_norm_inter_equals_boot(R: int, level: float, r_session) -> None:
    ro = r_session
    rng = np.random.default_rng(R)
    t = rng.gamma(2.0, 3.0, R)
    t[3] = np.nan  # a failed refit
    f = ro.r("function(t, conf) boot:::norm.inter(t, (1 + c(-conf, conf))/2)[, 2]")
    expected = np.array(f(ro.FloatVector([ro.NA_Real if np.isnan(v) else v for v in t]), ro.FloatVector([level])))
    np.testing.assert_allclose(norm_inter(t, (1 + np.array([-level, level])) / 2), expected, rtol=1e-13)


def test_constant_replicates_give_no_interval() -> None:
    assert np.isnan(percentile_interval(np.full(100, 2.5))).all()
