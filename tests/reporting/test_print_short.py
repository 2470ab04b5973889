"""``repr(fit)`` against lme4's ``print(m)`` (the short form), line for line, trailing blanks included."""

from __future__ import annotations

import warnings
from types import ModuleType

import pandas as pd
import pytest

import mixedlab
from mixedlab.datasets._tutorial_r import tutorial_r_code

CASES = [
    ("Reaction ~ Days + (Days | Subject)", "sleepstudy", True),
    ("Reaction ~ Days + (Days | Subject)", "sleepstudy", False),
    ("Reaction ~ Days + (Days || Subject)", "sleepstudy", True),
    ("Yield ~ 1 + (1 | Batch)", "Dyestuff2", True),          # singular: the one-line warning note
    ("diameter ~ (1 | plate) + (1 | sample)", "Penicillin", True),
    ("y ~ treatment + (1 + treatment | school)", "df_nested", True),
    ("score ~ treatment + (1 + treatment | rater) + (1 | student)", "df_crossed", False),
]


@pytest.fixture(scope="module")
def r_frames(r_session: ModuleType) -> dict[str, pd.DataFrame]:
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    ro = r_session
    ro.r("suppressMessages(library(lme4))")
    ro.r(tutorial_r_code("nested"))
    ro.r(tutorial_r_code("crossed"))
    frames = {}
    with localconverter(ro.default_converter + pandas2ri.converter):
        for name in {c[1] for c in CASES}:
            frames[name] = ro.conversion.get_conversion().rpy2py(ro.r(name)).reset_index(drop=True)
    return frames


@pytest.mark.parametrize("formula,data,reml", CASES, ids=[f"{c[1]}-{'REML' if c[2] else 'ML'}-{i}"
                                                         for i, c in enumerate(CASES)])
def test_repr_is_lme4s_print(r_session, r_frames, formula, data, reml) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.lmer(formula, r_frames[data], REML=reml, data_name=data)
    r_session.r(f"m__ <- suppressMessages(lmer({formula}, data = {data}, REML = {'TRUE' if reml else 'FALSE'}))")
    expected = list(r_session.r("capture.output(print(m__))"))
    assert repr(fit).split("\n") == expected


def test_repr_is_short_and_summary_keeps_the_rest() -> None:
    sleepstudy = mixedlab.datasets.sleepstudy()
    fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy)
    text = repr(fit)
    assert "Fixed Effects:" in text and "Scaled residuals" not in text and "Std. Error" not in text
    assert "Scaled residuals" in str(fit.summary())
