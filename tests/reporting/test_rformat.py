"""R's text rendering primitives against R itself (rpy2), plus property checks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mixedlab.reporting.rformat import (
    abbreviate,
    cat_fill,
    deparse_formula,
    format_info,
    format_num,
    print_matrix,
    print_named_vector,
    quantile7,
    r_round,
    r_signif,
    zapsmall,
)

NAMES = [
    "treatmenttreated", "(Intercept)", "Days", "age:SexFemale", "I(x^2)", "x1", "x10", "x11",
    "poly(x, 2)1", "poly(x, 2)2", "treatment:timepoint", "SexFemale", "log(Dose + 1)", "a b c d",
    "aeiou", "AEIOU", "abcdefghijklmnopqrstuvwxyz", "Var one", "genotypeGA:sexM", "sexM",
    "conditionB:time", "conditionC:time", "  padded ", "Reaction", "I(Days^2)",
]


def _sample_numbers(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mags = 10.0 ** rng.integers(-9, 12, 400)
    xs = rng.choice([-1.0, 1.0], 400) * rng.uniform(1, 10, 400) * mags
    ties = [0.15, 0.25, 2.675, 0.285, 1.005, -0.5, 0.5, 1.5, 2.5, -2.675, 5.5e-5, 0.1 + 0.2,
            99.996, 9996.0, 0.999995, 704.78, 0.0]
    return np.concatenate([xs, rng.normal(0, 3, 200), ties])


@pytest.fixture(scope="module")
def R(r_session):
    return r_session.r


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4, 5, -1, -2, 2.6])
def test_round_equals_r(R, digits) -> None:
    xs = _sample_numbers(1)
    expect = np.array(R["round"](R["c"](*[float(v) for v in xs]), digits))
    got = r_round(xs, digits)
    assert np.array_equal(got, expect)


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 6, 7, 15])
def test_signif_equals_r(R, digits) -> None:
    xs = _sample_numbers(2)
    expect = np.array(R["signif"](R["c"](*[float(v) for v in xs]), digits))
    assert np.array_equal(r_signif(xs, digits), expect)


def test_format_equals_r_on_random_vectors(r_session) -> None:
    ro = r_session
    fmt = ro.r("function(x, d, ns) format(x, digits = d, nsmall = ns)")
    rng = np.random.default_rng(7)
    mismatches = []
    for _ in range(1500):
        k = int(rng.integers(1, 6))
        mag = rng.integers(-12, 16, k).astype(float)
        x = rng.choice([-1, 1], k) * np.round(rng.uniform(1, 10, k), int(rng.integers(0, 8))) * 10.0**mag
        if rng.uniform() < 0.3:
            x = np.round(x, int(rng.integers(0, 5)))
        d = int(rng.integers(1, 17))
        ns = int(rng.choice([0, 0, 2, 3]))
        expect = list(fmt(ro.FloatVector(x), d, ns))
        got = format_num(x, d, nsmall=ns)
        if got != expect:
            mismatches.append((x.tolist(), d, ns, got, expect))
    assert mismatches == []


@pytest.mark.parametrize(
    "values",
    [[0.504, 0.3148, 0.9054], [1e-10, 1.0], [123456789.0], [1e5], [100000.0, 1.0], [0.1, 0.123456789],
     [99.996], [9996.0], [1e-20, 3.0], [1e15, 1.0], [-0.0], [1e300, 1e-300], [np.inf, -1.5]],
)
@pytest.mark.parametrize("digits", [3, 4, 5, 7])
def test_format_equals_r_on_edge_cases(r_session, values, digits) -> None:
    expect = list(r_session.r["format"](r_session.FloatVector(values), digits=digits))
    assert format_num(values, digits) == expect


def test_format_of_nan_and_na(r_session) -> None:
    expect_nan = list(r_session.r("format(c(-1.5, 2.25, NaN), digits = 4)"))
    expect_na = list(r_session.r("format(c(-1.5, 2.25, NA), digits = 4)"))
    assert format_num([-1.5, 2.25, np.nan], 4) == expect_nan
    assert format_num([-1.5, 2.25, np.nan], 4, na="NA") == expect_na


@pytest.mark.parametrize("minlength", [1, 4, 6, 11])
@pytest.mark.parametrize("strict", [False, True])
def test_abbreviate_equals_r(r_session, minlength, strict) -> None:
    expect = list(r_session.r["abbreviate"](r_session.StrVector(NAMES), minlength, strict=strict))
    assert abbreviate(NAMES, minlength, strict=strict) == expect


def test_abbreviate_matches_the_tutorial_print() -> None:
    # "Correlation of Fixed Effects" in the tutorial: rows minlength 11, columns 6.
    assert abbreviate(["(Intercept)", "treatmenttreated"], 11)[1] == "tretmnttrtd"
    assert abbreviate(["(Intercept)", "treatmenttreated"], 6)[0] == "(Intr)"


def test_quantile_and_zapsmall_equal_r(r_session) -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 17, 250):
        x = rng.standard_t(3, n)
        rx = r_session.FloatVector(x)
        assert np.array_equal(quantile7(x), np.array(r_session.r["quantile"](rx)))
        for digits in (3, 5, 7):
            assert np.array_equal(zapsmall(x * 1e-3, digits), np.array(r_session.r["zapsmall"](rx.ro * 1e-3, digits)))


def test_print_named_vector_equals_r(r_session) -> None:
    x = [-2.38361, -0.692812, -0.1003, 0.62414, 3.35472]
    names = ["Min", "1Q", "Median", "3Q", "Max"]
    expect = list(r_session.r(
        "function(x) capture.output(print(setNames(x, c('Min','1Q','Median','3Q','Max')), digits = 4))"
    )(r_session.FloatVector(x)))
    assert print_named_vector(format_num(x, 4), names) == expect
    # many entries wrap at width 80
    y = np.arange(1, 31) * 1.5
    expect = list(r_session.r("function(x) capture.output(print(setNames(x, paste0('n', seq_along(x)))))")(
        r_session.FloatVector(y)))
    assert print_named_vector(format_num(y), [f"n{i}" for i in range(1, 31)]) == expect


@pytest.mark.parametrize("right", [False, True])
def test_print_character_matrix_equals_r(r_session, right) -> None:
    rng = np.random.default_rng(5)
    nr, nc = 4, 15  # wide enough to continue in a second block
    cells = [[f"{v:.3f}" if v > 0 else "" for v in rng.normal(0, 1, nc)] for _ in range(nr)]
    rown = [f"row{i}" for i in range(nr)]
    coln = [f"c{j}" * (1 + j % 3) for j in range(nc)]
    fn = r_session.r("function(x, rn, cn, nr, right) { m <- matrix(x, nrow = nr, byrow = TRUE, "
                     "dimnames = list(rn, cn)); capture.output(print(m, quote = FALSE, right = right)) }")
    expect = list(fn(r_session.StrVector([c for row in cells for c in row]), r_session.StrVector(rown),
                     r_session.StrVector(coln), nr, right))
    assert print_matrix(cells, rown, coln, right=right) == expect


@pytest.mark.parametrize("k", [60, 76, 77, 78, 79, 90])
def test_cat_fill_equals_r(r_session, k) -> None:
    items = ["Formula:", "b" * k, "c", "d" * (k // 2)]
    expect = list(r_session.r(f"capture.output(cat('Formula:', strrep('b', {k}), 'c', strrep('d', {k // 2}), "
                              "fill = TRUE))"))
    assert cat_fill(items) == expect


FORMULAS = [
    "y ~ treatment + (1 + treatment | school)",
    "y~x+(1|g)",
    "Reaction ~ Days + (Days | Subject)",
    "y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + x12 + x13 + x14 + x15 + x16 + x17"
    " + x18 + x19 + x20 + x21 + x22 + x23 + x24 + x25 + x26 + x27 + (1|g)",
    "y ~ a/b + c:d + I(x^2) + poly(x,2) + log(x+1) + -1 + (x*z|g) + a%in%b + (aaaaaaaaaaaaaaaaaaaaaaa"
    " + bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb + cccccccccccccccccccccccccc + dddddd | g)",
    "y ~ 0 + x + (1 | g1/g2)",
    "log(y) ~ x * z - 1 + (1 | g:h)",
    "y ~ poly(x, degree = 2, raw = TRUE) + (1 | g)",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_deparse_formula_equals_r(r_session, formula) -> None:
    expect = list(r_session.r(f"deparse(quote({formula}))"))
    assert deparse_formula(formula) == expect


@pytest.mark.parametrize("formula", [
    "Reaction ~ Days + (Days || Subject)",
    "Reaction ~ Days + (1 + Days || Subject)",
    "y ~ x + (x + z || g) + (1 | h)",
])
def test_double_bar_expansion_equals_lmer_call(r_session, formula) -> None:
    r_session.r("suppressMessages(library(lme4))")
    code = (f"local({{set.seed(2); d <- data.frame(g = gl(6, 10), h = gl(5, 12), x = rnorm(60), z = rnorm(60),"
            " y = rnorm(60)); d$Reaction <- d$y; d$Days <- d$x; d$Subject <- d$g; "
            f"deparse(suppressMessages(lmer({formula}, d))@call$formula)}})")
    assert deparse_formula(formula) == list(r_session.r(code))


# ---------------------------------------------------------------------------
# properties (no R needed): seeded random inputs
# ---------------------------------------------------------------------------

def _random_vector(rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(1, 9))
    x = rng.choice([-1.0, 1.0], k) * rng.uniform(1, 10, k) * 10.0 ** rng.integers(-8, 12, k)
    return np.round(x, int(rng.integers(0, 6))) if rng.uniform() < 0.4 else x


@pytest.mark.parametrize("seed", range(5))
def test_format_num_common_width_and_layout(seed) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(100):
        xs = _random_vector(rng)
        digits, nsmall = int(rng.integers(1, 16)), int(rng.integers(0, 5))
        out = format_num(xs, digits, nsmall=nsmall)
        w, d, e = format_info(xs, digits, nsmall)
        assert len({len(s) for s in out}) == 1
        assert len(out[0]) == w
        if e == 0:
            for s in out:
                frac = s.strip().split(".")
                assert (len(frac[1]) if len(frac) == 2 else 0) == d
                assert d >= nsmall
        else:
            assert all(re.fullmatch(r"-?\d(\.\d+)?e[+-]\d{2,3}", s.strip()) for s in out)


@pytest.mark.parametrize("seed", range(3))
def test_round_is_within_half_a_unit(seed) -> None:
    rng = np.random.default_rng(100 + seed)
    for x in rng.normal(0, 1, 300) * 10.0 ** rng.integers(-4, 8, 300):
        digits = int(rng.integers(0, 7))
        r = r_round(x, digits)
        assert abs(r - x) <= 0.5 * 10.0**-digits * (1 + 1e-9) + abs(x) * 1e-15
        assert r_round(r, digits) == r


def test_abbreviate_is_short_and_distinct() -> None:
    rng = np.random.default_rng(4)
    alphabet = list("abcdefghijklmnopqrstuvwxyzABCXYZ()_:.^ ")
    for _ in range(300):
        names = ["".join(rng.choice(alphabet, int(rng.integers(1, 20)))) for _ in range(int(rng.integers(1, 7)))]
        minlength = int(rng.integers(1, 13))
        out = abbreviate(names, minlength)
        assert len(out) == len(names)
        uniq = {n.strip(): a for n, a in zip(names, out)}
        assert len(set(uniq.values())) == len(uniq)  # distinct names keep distinct abbreviations
        for n, a in zip(names, out):
            assert len(a) <= len(n.strip())
