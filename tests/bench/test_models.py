"""Case selection and the deterministic large-data generator."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.bench._data import simulate_large
from mixedlab.bench._models import CASES, select_cases


def test_quick_selects_small_cases_and_default_selects_all():
    quick = [c.name for c in select_cases(None, quick=True)]
    assert quick == ["sleepstudy", "nested", "crossed", "penicillin", "pastes", "explorer", "tmb_zinb",
                     "tmb_grouseticks", "tmb_beta"]
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
