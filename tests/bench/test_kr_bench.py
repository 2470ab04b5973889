"""``mixedlab bench --kr``: the Kenward-Roger timing runs both sides and checks they agree."""

from __future__ import annotations

from mixedlab.bench._kr import KR_CASES, kr_data, render_kr, run_kr_bench


def test_cases_have_thousands_of_rows() -> None:
    sizes = {c.name: len(kr_data(c)) for c in KR_CASES}
    assert sizes["sleepstudy"] == 180
    assert sizes["slopes_4000"] == 4000 and sizes["crossed_3000"] == 3000


def test_kr_bench_times_both_sides_and_they_agree(rbridge) -> None:
    res = run_kr_bench(cases=KR_CASES[:1], repeats=1)
    r = res[0]
    assert r["n"] == 180 and r["q"] == 36
    assert len(r["vcovAdj"]["mixedlab"]) == 1 and len(r["KR t table"]["lmerTest"]) == 1
    assert r["agreement"]["se"] < 1e-6 and r["agreement"]["df"] < 1e-6
    text = render_kr(res)
    assert "vcovAdj" in text and "R/mixedlab" in text
