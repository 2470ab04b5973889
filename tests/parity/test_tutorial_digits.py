"""The corpus's tutorial data reproduce the seed tutorial's printed lme4 output.

Expected digits are copied from the tutorial (shared/seed/000_8e4b6b05ec87021c.txt); they
check the stored R references (so the corpus data are the tutorial's data) and mixedlab's
fit of the same case.
"""

from __future__ import annotations

import pytest

from mixedlab.parity import run_case
from mixedlab.parity._reference import read_reference

# (case, REML criterion, {(grp, var1, var2): (printed value, column, decimals)}, fixef, se)
TUTORIAL = {
    "nested_reml": (
        704.8,
        {("school", "(Intercept)", None): (0.5040, "vcov", 4),
         ("school", "(Intercept)", "treatmenttreated"): (-0.8417701, "sdcor", 7),
         ("Residual", None, None): (0.9054, "vcov", 4)},
        {"(Intercept)": (10.1510, 0.3287), "treatmenttreated": (2.0430, 0.2783)},
    ),
    "crossed_reml": (
        2035.6,
        {("student", "(Intercept)", None): (0.14617, "sdcor", 5),
         ("rater", "(Intercept)", None): (3.09372, "vcov", 5),
         ("rater", "treatmenttreated", None): (0.48899, "vcov", 5),
         ("rater", "(Intercept)", "treatmenttreated"): (0.277, "sdcor", 3),
         ("Residual", None, None): (3.80187, "vcov", 5)},
        {"(Intercept)": (50.8492, 0.7294), "treatmenttreated": (3.1800, 0.3364)},
    ),
}


def _check(result: dict, expected) -> None:
    crit, vc, fixef = expected
    assert round(result["objective"], 1) == crit
    rows = {(r["grp"], r["var1"], r["var2"]): r for r in result["varcorr"]}
    for key, (value, column, digits) in vc.items():
        assert round(rows[key][column], digits) == pytest.approx(value, abs=1e-12), key
    for name, (est, se) in fixef.items():
        assert round(result["fixef"][name], 4) == pytest.approx(est, abs=1e-12)
        assert round(result["se"][name], 4) == pytest.approx(se, abs=1e-12)


@pytest.mark.parametrize("name", sorted(TUTORIAL))
def test_stored_reference_prints_the_tutorial_digits(name: str) -> None:
    _check(read_reference(name)["lme4"], TUTORIAL[name])


@pytest.mark.parametrize("name", sorted(TUTORIAL))
def test_mixedlab_prints_the_tutorial_digits(name: str) -> None:
    _check(run_case(name, live=False).mixedlab, TUTORIAL[name])


def test_crossed_rater_effects_match_the_tutorial_table() -> None:
    """fixef + ranef per rater, as the tutorial's rater_effects data frame printed them."""
    printed = {"1": (49.03759, 3.503371), "2": (49.64948, 2.447363), "3": (52.77535, 2.944621),
               "4": (49.94620, 2.614150), "5": (50.45341, 3.621322), "6": (53.23342, 3.949471)}
    for result in (read_reference("crossed_reml")["lme4"], run_case("crossed_reml", live=False).mixedlab):
        block = result["ranef"]["rater"]
        i0, i1 = block["columns"].index("(Intercept)"), block["columns"].index("treatmenttreated")
        for level, row in zip(block["levels"], block["values"]):
            intercept = result["fixef"]["(Intercept)"] + row[i0]
            slope = result["fixef"]["treatmenttreated"] + row[i1]
            assert round(intercept, 5) == pytest.approx(printed[level][0], abs=1e-9)
            assert round(slope, 6) == pytest.approx(printed[level][1], abs=1e-9)
