"""The counts explorer's data (lesson 10) are R's, drawn by the R code that comes with them."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.datasets import counts_r_code, simulate_counts

# defaults; Poisson counts without zero inflation (no rnbinom, no rbinom draws); no group
# spread (rnorm with sd 0 draws nothing); one observation per group; near-certain zeros
SETTINGS = [
    {},
    {"overdispersion": 0.0, "zi_prob": 0.0, "seed": 7},
    {"group_sd": 0.0, "n_groups": 3, "n_per_group": 40, "seed": 1},
    {"n_groups": 60, "n_per_group": 1, "overdispersion": 1.85, "zi_prob": 0.55, "seed": 999},
    {"group_sd": 1.3, "overdispersion": 0.05, "zi_prob": 0.9, "n_per_group": 3},
]


@pytest.mark.parametrize("kw", SETTINGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults")
def test_counts_equal_r_bit_for_bit(r_session, kw):
    ro = r_session
    df = simulate_counts(**kw)
    ro.r(f"local({{\n{counts_r_code(**kw)}\n.GlobalEnv$df_counts_test <- df_counts\n}})")
    assert list(df.columns) == list(ro.r("names(df_counts_test)"))
    assert list(df["group"].cat.categories) == list(ro.r("levels(df_counts_test$group)"))
    assert np.array_equal(df["group"].cat.codes.to_numpy() + 1, np.array(ro.r("as.integer(df_counts_test$group)")))
    assert np.array_equal(df["count"].to_numpy(), np.array(ro.r("as.numeric(df_counts_test$count)")))


def test_counts_are_deterministic_and_follow_the_seed():
    a, b = simulate_counts(seed=11), simulate_counts(seed=11)
    assert a.equals(b)
    assert not a["count"].equals(simulate_counts(seed=12)["count"])
    assert a.shape == (200, 2)
    assert (a["count"] >= 0).all() and (a["count"] == np.round(a["count"])).all()


def test_zero_inflation_adds_zeros_to_the_same_counts():
    # the structural zeros are drawn after the counts: the same seed gives the same counts,
    # some of them replaced by 0
    plain = simulate_counts(zi_prob=0.0, seed=5)["count"].to_numpy()
    inflated = simulate_counts(zi_prob=0.5, seed=5)["count"].to_numpy()
    assert ((inflated == plain) | (inflated == 0)).all()
    assert (inflated == 0).sum() > (plain == 0).sum() + 50


@pytest.mark.parametrize("kw", [{"n_groups": 0}, {"n_groups": 100}, {"n_per_group": 0},
                                {"group_sd": -0.1}, {"overdispersion": float("inf")}, {"zi_prob": 1.5}])
def test_bad_settings_are_named(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        simulate_counts(**kw)
