"""anova refuses models fitted to different data, as lme4 does (issue 9 §11)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab import DataError, datasets


def _fit(f, d, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixedlab.lmer(f, d, **kw)


@pytest.fixture(scope="module")
def sleep():
    return datasets.sleepstudy()


def _changed(d, col, seed=1):
    out = d.copy()
    if col == "Subject":
        out["Subject"] = out["Subject"].cat.codes.map(lambda c: str((c * 7) % 18)).astype(str)
    else:
        out[col] = out[col] + np.random.default_rng(seed).normal(size=len(out))
    return out


@pytest.mark.parametrize("col", ["Reaction", "Days", "Subject"])
def test_models_of_different_data_are_refused(col, sleep):
    m0 = _fit("Reaction ~ Days + (1 | Subject)", sleep)
    m1 = _fit("Reaction ~ Days + (Days | Subject)", _changed(sleep, col))
    with pytest.raises(DataError) as exc:
        mixedlab.anova(m0, m1)
    msg = str(exc.value)
    assert "all models must be fit to the same data object" in msg and repr(col) in msg \
        or (col == "Reaction" and "response" in msg)


def test_different_weights_are_refused(sleep):
    m0 = _fit("Reaction ~ 1 + (Days | Subject)", sleep)
    m1 = _fit("Reaction ~ Days + (Days | Subject)", sleep, weights=np.linspace(1, 2, 180))
    with pytest.raises(DataError, match="weights"):
        mixedlab.anova(m0, m1)


def test_same_data_in_a_copy_is_accepted(sleep, rbridge):
    m0 = _fit("Reaction ~ 1 + (Days | Subject)", sleep)
    m1 = _fit("Reaction ~ Days + (Days | Subject)", sleep.copy())
    tab = mixedlab.anova(m0, m1)
    assert list(tab.index) == ["m0", "m1"]
