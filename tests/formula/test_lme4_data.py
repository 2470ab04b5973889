"""The tutorial's and lme4's example formulas on lme4's data, against lme4::lFormula."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab import datasets
from mixedlab.formula import build_model

CASES = [
    ("sleepstudy", "Reaction ~ Days + (1 + Days | Subject)"),
    ("sleepstudy", "Reaction ~ Days + (Days || Subject)"),
    ("sleepstudy", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)"),
    ("pastes", "strength ~ 1 + (1 | batch/cask)"),
    ("penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)"),
    ("cake", "angle ~ recipe * temperature + (1 | recipe:replicate)"),
]


def _load(name):
    try:
        return getattr(datasets, name)()
    except Exception as exc:  # data set not available in this checkout
        pytest.skip(f"{name} not loadable: {exc}")


@pytest.mark.parametrize("name, formula", CASES)
def test_matches_lformula(name, formula, lformula):
    d = _load(name)
    r = lformula(formula, d)
    mf = build_model(formula, d)
    assert mf.fixed_names == r["xnames"]
    np.testing.assert_allclose(mf.X, r["X"], atol=1e-12)
    assert [t.factor for t in mf.terms] == r["cnames"]
    assert [t.columns for t in mf.terms] == r["cnms"]
    assert [t.levels for t in mf.terms] == r["levels"]


def test_group_display_names():
    # lme4 1.1-31 (verified, see PREAMBLE): VarCorr groups "Subject", "Subject.1";
    # pastes: "cask:batch" before "batch", levels "a:A", "a:B", ...
    s = _load("sleepstudy")
    mf = build_model("Reaction ~ Days + (Days || Subject)", s)
    assert [t.group for t in mf.terms] == ["Subject", "Subject.1"]
    p = _load("pastes")
    mf = build_model("strength ~ 1 + (1 | batch/cask)", p)
    assert [t.group for t in mf.terms] == ["cask:batch", "batch"]
    assert mf.terms[0].levels[:2] == ["a:A", "a:B"]
