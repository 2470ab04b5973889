"""Case selection and the deterministic large-data generator."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.bench._data import simulate_factor_slope, simulate_large
from mixedlab.bench._models import CASES, select_cases


def test_quick_selects_small_cases_and_default_selects_all():
    quick = [c.name for c in select_cases(None, quick=True)]
    assert quick == ["sleepstudy", "nested", "crossed", "penicillin", "pastes", "factor_slope", "explorer", "tmb_zinb",
                     "tmb_grouseticks", "tmb_beta", "counts_poisson", "counts_nb2", "counts_zinb", "cbpp"]
    assert [c.name for c in select_cases(None, quick=False)] == [c.name for c in CASES]


def test_named_selection_keeps_table_order_and_rejects_unknown_names():
    assert [c.name for c in select_cases(["pastes", "sleepstudy"], quick=True)] == ["sleepstudy", "pastes"]
    with pytest.raises(ValueError, match="unknown benchmark model.*sleep.*choose from"):
        select_cases(["sleep"], quick=False)


def test_every_case_either_has_a_statsmodels_spec_or_says_why_not():
    for case in CASES:
        assert (case.statsmodels is None) != (case.statsmodels_skip is None), case.name


def test_simulate_large_is_deterministic_and_shaped_as_documented():
    a = simulate_large(n=2000, n_g1=50, n_g2=7).frame
    b = simulate_large(n=2000, n_g1=50, n_g2=7).frame
    assert a.equals(b)
    assert list(a.columns) == ["y", "x", "g1", "g2"]
    assert list(a["g1"].cat.categories[:2]) == ["g1_00", "g1_01"]
    assert len(a["g2"].cat.categories) == 7
    c = simulate_large(n=2000, n_g1=50, n_g2=7, seed=1).frame
    assert not np.allclose(a["y"], c["y"])


def test_glmm_cases_name_a_family_and_a_model_for_the_peers():
    glmms = [c for c in CASES if c.kind == "glmer"]
    assert [c.name for c in glmms] == ["cbpp", "grouseticks", "verbagg"]
    for case in glmms:
        assert case.family in ("binomial", "poisson") and case.peers is not None
        frame = case.load().frame
        prepared = case.peers.prepare(frame)
        assert len(prepared) == len(frame) and not frame.equals(prepared)  # columns added to a copy
        lhs = case.peers.formula.split("~")[0].strip()
        assert lhs in prepared.columns
        if case.name == "verbagg":
            # glmer's factor response: the first level (N) is failure
            assert set(prepared["y"]) == {0.0, 1.0}
            assert prepared["y"].mean() == (frame["r2"].astype(str) == "Y").mean()


def test_lmm_peer_cases_write_the_lme4_model_in_the_peers_language():
    named = {c.name: c for c in CASES}
    for name in ("sleepstudy", "penicillin", "pastes", "factor_slope", "insteval", "insteval_loaded"):
        case = named[name]
        assert case.kind == "lmer" and case.peers is not None and case.peers.family == "gaussian"
        # no translation needed: the same formula, the same frame
        assert case.peers.prepare is None
        assert case.peers.formula.replace(" ", "") == case.formula.replace(" ", ""), name
    assert named["insteval_loaded"].burners == 2 and named["insteval"].burners == 0
    assert named["insteval_loaded"].formula == named["insteval"].formula


def test_factor_slope_data_are_deterministic_and_crossed_as_documented():
    a = simulate_factor_slope().frame
    assert a.equals(simulate_factor_slope().frame)
    assert len(a) == 600 and list(a.columns) == ["y", "f", "g1", "g2"]
    cells = a.groupby(["g1", "g2"], observed=True).size()
    assert len(cells) == 30 * 20 and (cells == 1).all()
    per_level = a.groupby(["g1", "f"], observed=True).size()
    assert per_level.min() >= 6  # every g1 level sees every f level several times
    assert not np.allclose(a["y"], simulate_factor_slope(seed=2).frame["y"])


def test_counts_explorer_cases_refit_lesson_10s_starting_data():
    # the three refits of every slider move of lesson 10: Poisson, NB2 and ZINB on its default data
    from mixedlab.datasets import simulate_counts

    named = {c.name: c for c in CASES}
    cases = [named[n] for n in ("counts_poisson", "counts_nb2", "counts_zinb")]
    assert [c.family for c in cases] == ["poisson", "nbinom2", "nbinom2"]
    assert [c.ziformula for c in cases] == ["~0", "~0", "~1"]
    for case in cases:
        assert case.kind == "glmmtmb" and case.reference == "glmmTMB" and case.quick
        assert case.formula == "count ~ 1 + (1 | group)"
        assert case.load().frame.equals(simulate_counts())
