"""lme4's profile and its intervals: the profile points, the θ <-> (sd, cor) maps, confint."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab.inference._profile import cv_to_sv, profile_names, sv_to_cv


def test_sd_cor_maps_invert_each_other() -> None:
    theta = np.array([0.9667, 0.0152, 0.2309, 1.3])
    ks = [2, 1]
    sv = cv_to_sv(theta, ks, 25.59)
    np.testing.assert_allclose(sv_to_cv(sv, ks), theta, rtol=1e-12)
    assert profile_names(ks) == [".sig01", ".sig02", ".sig03", ".sig04", ".sigma"]
    # sleepstudy: sd(Intercept) 24.74, cor 0.066, sd(Days) 5.92 (lme4's VarCorr)
    np.testing.assert_allclose(cv_to_sv(theta[:3], [2], 25.59)[:3], [24.739, 0.0656, 5.922], rtol=2e-3)
    # a zero SD gives a zero correlation (cov2sdcor's NA -> 0)
    assert cv_to_sv(np.array([0.0, 0.0, 0.5]), [2], 2.0)[1] == 0.0


def test_profile_frame_has_lme4s_layout() -> None:
    sleep = mixedlab.datasets.sleepstudy()
    fit = mixedlab.lmer("Reaction ~ Days + (1 | Subject)", sleep)
    prof = fit.profile()
    assert prof.names == [".sig01", ".sigma", "(Intercept)", "Days"]
    assert list(prof.frame.columns) == [".zeta", ".sig01", ".sigma", "(Intercept)", "Days", ".par"]
    # lme4 1.1-31 takes 19, 18, 19, 19 points for these parameters (R run on this machine)
    assert prof.frame.groupby(".par").size().to_dict() == {".sig01": 19, ".sigma": 18, "(Intercept)": 19,
                                                          "Days": 19}
    z = prof.frame[prof.frame[".par"] == "Days"][".zeta"].to_numpy()
    assert np.all(np.diff(z) > 0) and z.min() < -3 and z.max() > 3


@pytest.mark.parametrize("formula", ["Reaction ~ Days + (1 | Subject)", "Reaction ~ Days + (Days | Subject)"])
def test_profile_intervals_equal_lme4(formula: str, rbridge) -> None:
    from mixedlab.parity._rinference import RModel

    sleep = mixedlab.datasets.sleepstudy()
    fit = mixedlab.lmer(formula, sleep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = fit.confint(method="profile", quiet=True)
        theirs = RModel(formula, sleep, "sleepstudy").confint("profile")
    assert list(ours.index) == list(theirs.index) and list(ours.columns) == ["2.5 %", "97.5 %"]
    width = (theirs["97.5 %"] - theirs["2.5 %"]).to_numpy()[:, None]
    assert np.max(np.abs(ours.to_numpy() - theirs.to_numpy()) / width) < 1e-4


def test_profile_plot_draws_one_panel_per_parameter() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    fit = mixedlab.lmer("Reaction ~ Days + (1 | Subject)", mixedlab.datasets.sleepstudy())
    fig = fit.profile().plot()
    axes = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in axes] == [".sig01", ".sigma", "(Intercept)", "Days"]
