"""R's string order and number printing, compared with live R."""

from __future__ import annotations


from mixedlab.formula._rtext import format_double, make_unique, r_sort_strings

WORDS = ["10", "9", "a", "B", "b", "A", "_x", "Z", "a b", "a_b", "a-b", "a.b", "ab", "Ab", "aB",
         "s10", "s9", "S1", "s1", "x2", "x10", "Subject", "subject", "e", "é", "f"]


def test_sort_matches_r(r_session):
    ro = r_session
    expected = list(ro.r["sort"](ro.StrVector(WORDS)))
    assert r_sort_strings(WORDS) == expected


NUMBERS = [1.0, 2.5, 1e6, 1e5, 123456.0, 1e-20, 0.1 + 0.2, 123456789012.0, -3.25, 0.0001,
           1e-5, 1 / 3, 100.0, 1e15, 1e16, -0.5, 12345678.9]


def test_as_character_matches_r(r_session):
    ro = r_session
    expected = list(ro.r["as.character"](ro.FloatVector(NUMBERS)))
    assert [format_double(x) for x in NUMBERS] == expected


def test_make_unique_matches_r(r_session):
    names = ["Subject", "Subject", "g", "Subject", "g", "Subject.1"]
    expected = list(r_session.r["make.unique"](r_session.StrVector(names)))
    assert make_unique(names) == expected


def test_numeric_grouping_levels_numeric_order(mixed):
    from mixedlab.formula import build_model
    mf = build_model("y ~ 1 + (1 | g)", mixed)
    assert mf.terms[0].levels == [str(i) for i in range(1, 13)]
