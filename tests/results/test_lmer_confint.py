"""LmerFit.confint: lme4's rows and columns, Wald against lme4, the bootstrap's behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab.results._lmer_confint import level_names


@pytest.fixture(scope="module")
def sleep_fit():
    return mixedlab.lmer("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy())


def test_column_names_follow_format_perc() -> None:
    assert level_names(0.95) == ["2.5 %", "97.5 %"]
    assert level_names(0.9) == ["5 %", "95 %"]
    assert level_names(0.99) == ["0.5 %", "99.5 %"]
    assert level_names(0.999) == ["0.05 %", "99.95 %"]


def test_wald_rows_and_values(sleep_fit) -> None:
    ci = sleep_fit.confint(method="Wald")
    assert list(ci.index) == [".sig01", ".sig02", ".sig03", ".sigma", "(Intercept)", "Days"]
    assert ci.loc[".sig01"].isna().all()
    z = 1.959963984540054
    b, s = sleep_fit.fixef["Days"], sleep_fit.se["Days"]
    assert ci.loc["Days"].tolist() == pytest.approx([b - z * s, b + z * s], rel=1e-14)
    assert list(sleep_fit.confint(parm="beta_", method="Wald").index) == ["(Intercept)", "Days"]
    assert list(sleep_fit.confint(parm=[5, 6], method="Wald").index) == ["(Intercept)", "Days"]


def test_wald_equals_lme4(sleep_fit, rbridge) -> None:
    from mixedlab.parity._rinference import RModel

    theirs = RModel("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy(), "sleepstudy") \
        .confint("Wald", level=0.9)
    ours = sleep_fit.confint(method="Wald", level=0.9)
    pd.testing.assert_index_equal(ours.columns, theirs.columns)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-9)


def test_bad_arguments_are_clear(sleep_fit) -> None:
    with pytest.raises(mixedlab.ArgumentError, match="method must be one of"):
        sleep_fit.confint(method="wald")
    with pytest.raises(mixedlab.ArgumentError, match="level must be between 0 and 1"):
        sleep_fit.confint(level=95)
    with pytest.raises(mixedlab.ArgumentError, match="unknown parameter"):
        sleep_fit.confint(parm=["Dayz"], method="Wald")
    with pytest.raises(mixedlab.ArgumentError, match="nsim must be a positive"):
        sleep_fit.confint(method="boot", nsim=0, quiet=True)
    for bad in (0, -2, 1.5, "2", True):
        with pytest.raises(mixedlab.ArgumentError, match="n_jobs must be a whole number"):
            sleep_fit.confint(method="boot", nsim=3, n_jobs=bad, quiet=True, progress=False)


def test_profile_names_its_parameters_or_says_which_exist(sleep_fit) -> None:
    # an unknown name used to give a profile of nothing
    with pytest.raises(mixedlab.ArgumentError, match=r"unknown parameter 'zzz'.*\.sig01"):
        sleep_fit.profile(which="zzz")
    with pytest.raises(mixedlab.ArgumentError, match="out of range 1..6"):
        sleep_fit.profile(which=[7])
    # lme4's which: names, 1-based positions, "theta_" / "beta_"
    assert set(sleep_fit.profile(which="beta_").names) == {"(Intercept)", "Days"}
    assert set(sleep_fit.profile(which=[5]).names) == {"(Intercept)"}


def test_bootstrap_is_reproducible_and_covers_the_estimates(sleep_fit) -> None:
    a = sleep_fit.confint(method="boot", nsim=40, seed=1, quiet=True, progress=False)
    b = sleep_fit.confint(method="boot", nsim=40, seed=1, quiet=True, progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.index) == [".sig01", ".sig02", ".sig03", ".sigma", "(Intercept)", "Days"]
    est = np.array([24.74, 0.066, 5.92, 25.59, sleep_fit.fixef.iloc[0], sleep_fit.fixef.iloc[1]])
    assert np.all(a["2.5 %"].to_numpy() < est) and np.all(est < a["97.5 %"].to_numpy())


def test_bootstrap_in_processes_gives_the_same_intervals(sleep_fit) -> None:
    a = sleep_fit.confint(method="boot", nsim=12, seed=3, quiet=True, progress=False)
    b = sleep_fit.confint(method="boot", nsim=12, seed=3, quiet=True, progress=False, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
