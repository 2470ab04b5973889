"""Group display names when a grouping factor repeats (issue 9 §4), against live lme4.

lme4's ``mkVarCorr`` keeps the grouping expressions as they are unless one repeats;
then every name goes through ``make.names(unique = TRUE)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab.formula._rtext import make_names

FORMULAS = [
    "Reaction ~ Days + (1 | Subject:half) + (Days || Subject)",
    "Reaction ~ Days + (1 | Subject:half) + (1 | Subject)",
    "Reaction ~ Days + (1 | Subject/half) + (0 + Days | Subject)",
    "Reaction ~ Days + (1 | half:Subject) + (1 | Subject) + (0 + Days | Subject)",
    "Reaction ~ Days + (Days || Subject)",
]


@pytest.fixture(scope="module")
def sleep_half() -> pd.DataFrame:
    d = mixedlab.datasets.sleepstudy().copy()
    d["half"] = np.where(d["Days"] < 5, "a", "b")
    return d


@pytest.mark.parametrize("formula", FORMULAS)
def test_varcorr_group_names_match_lme4(formula, sleep_half, rbridge):
    r = rbridge.fit_lmer(formula, sleep_half)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.lmer(formula, sleep_half)
    assert fit.varcorr["grp"].tolist() == [row["grp"] for row in r["varcorr"]]
    # ranef keeps the grouping factors' own names (names(ranef(m)))
    assert list(fit.ranef) == list(r["ranef"])


NAMES = [
    ["Subject:half", "Subject", "Subject"],
    ["Subject:half", "Subject", "Subject", "Subject.1"],
    ["a b", "1x", "if", "", ".2a", "TRUE", "x..1", "_u", ".x", "é:b", "a-b", "a-b"],
    ["g", "g", "g", "g.1"],
]


@pytest.mark.parametrize("names", NAMES)
@pytest.mark.parametrize("unique", [False, True])
def test_make_names_matches_r(names, unique, r_session):
    ro = r_session
    r = list(ro.baseenv["make.names"](ro.StrVector(names), unique=unique))
    assert make_names(names, unique=unique) == r
