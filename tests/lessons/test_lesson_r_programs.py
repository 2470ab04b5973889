"""The lessons' tables in R's layout are what R prints: stored output always, live R too.

:mod:`mixedlab.lessons._rprograms` holds, per lesson, the R code behind each printed block.
Each executed lesson must print every block's lines exactly (consecutive lines, trailing
spaces included) as R's stored output in ``reference_outputs/lessons/``; the stored output
must belong to the current R code and equal what R prints now.
"""

from __future__ import annotations

import pytest

from mixedlab.lessons._rprograms import PROGRAMS, block_matches, get_program, read_stored, run_live

from _lesson_fixtures import find_exact

BLOCKS = [(lesson, name) for lesson in PROGRAMS for name, _ in get_program(lesson).blocks]


def _nearest(lines: list[str], expected: list[str]) -> str:
    starts = [i for i, line in enumerate(lines) if line == expected[0]] or \
             [i for i, line in enumerate(lines) if line.split() == expected[0].split()] or [0]
    got = lines[starts[0]:starts[0] + len(expected)]
    return "\n".join(f"  R:      {e!r}\n  lesson: {g!r}" for e, g in zip(expected, got) if e != g)[:3000]


@pytest.mark.parametrize("lesson,block", BLOCKS, ids=[f"{a}-{b}" for a, b in BLOCKS])
def test_lesson_prints_rs_stored_output_exactly(executed, lesson, block):
    expected = read_stored(lesson)["blocks"][block]
    assert expected, f"{lesson}: the stored block {block} is empty"
    lines = executed[lesson].stream_lines()
    if block in get_program(lesson).close:
        # glmmTMB summaries: same words and layout, numbers within the "printed number" rule
        found, detail = block_matches(lines, expected, close=True)
        assert found, f"{lesson} does not print R's {block}: {detail or _nearest(lines, expected)}"
        return
    assert find_exact(lines, expected) >= 0, (
        f"{lesson} does not print R's {block} exactly:\n{_nearest(lines, expected)}")


@pytest.mark.parametrize("lesson", PROGRAMS)
def test_stored_output_belongs_to_the_current_r_code(lesson):
    stored = read_stored(lesson)
    assert stored["code"] == get_program(lesson).code(), (
        f"the R program of {lesson} changed since its output was stored: "
        f"python -m mixedlab.lessons._rprograms {lesson}")
    gen = stored["generated"]
    assert gen["by"] == "python -m mixedlab.lessons._rprograms"
    program = get_program(lesson)
    assert gen["versions"]["R"].startswith("R version")
    assert set(program.packages) <= set(gen["versions"]), "the R packages' versions are recorded"
    assert set(stored["blocks"]) == {name for name, _ in get_program(lesson).blocks}


@pytest.mark.parametrize("lesson", PROGRAMS)
def test_stored_output_is_what_r_prints_now(lesson, rbridge):
    """R prints what was stored: line for line, up to a last printed digit.

    glmer's and glmmTMB's standard errors come from finite-difference Hessians, whose last
    bits follow the C library's exp/log, and those differ between CPUs: lesson 05's stored
    z value 12.470 (made on an Intel Xeon) is 12.471 on an AMD EPYC with the same R, lme4
    and Debian packages.  A block must still match number for number within the printed-
    number tolerance, with the same words, spacing and stars.
    """
    live = run_live(get_program(lesson))
    stored = read_stored(lesson)["blocks"]
    for name, lines in live.items():
        if lines == stored[name]:
            continue
        same_shape = len(lines) == len(stored[name])
        found, detail = block_matches(lines, stored[name], close=True)
        assert same_shape and found, \
            f"{lesson}: R prints {name} differently now ({detail}):\n{_nearest(lines, stored[name])}"


def test_close_blocks_accept_last_digits_and_reject_more():
    ref = ["            Estimate Std. Error z value Pr(>|z|)    ",
           "(Intercept) -1.62490    0.24048  -6.757 1.41e-11 ***"]
    last_digit = ["            Estimate Std. Error z value Pr(>|z|)    ",
                  "(Intercept) -1.62487    0.24048  -6.757 1.42e-11 ***"]
    assert block_matches(last_digit, ref, close=True)[0]
    assert not block_matches(last_digit, ref)[0]
    wrong = [ref[0], "(Intercept) -1.63490    0.24048  -6.757 1.41e-11 ***"]
    assert not block_matches(wrong, ref, close=True)[0]
    stars = [ref[0], "(Intercept) -1.62490    0.24048  -6.757 1.41e-11 ** "]
    assert not block_matches(stars, ref, close=True)[0]


def test_running_a_program_leaves_the_shared_r_session_as_it_was(rbridge):
    # lesson 09 attaches lmerTest, whose lmer would mask lme4's for every later R caller
    from mixedlab.parity import _rbridge

    ro, _ = _rbridge._session()
    before = list(ro.r("search()"))
    run_live(get_program("09_inference"))
    assert list(ro.r("search()")) == before
    assert str(ro.r('class(lmer(Reaction ~ Days + (1 | Subject), sleepstudy))')[0]) == "lmerMod"
