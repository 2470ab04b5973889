"""End to end: ``mixedlab bench --quick`` on sleepstudy with real R, statsmodels and mixedlab.

Timings are never asserted; only the harness's structure and the agreement checks.
"""

from __future__ import annotations

import json

import pytest

from mixedlab.bench._data import load_lme4_dataset
from mixedlab.bench._memory import python_memory
from mixedlab.bench._models import CASES
from mixedlab.bench._r import r_memory, r_session as start_r
from mixedlab.bench._statsmodels import fit_statsmodels
from mixedlab.cli import main

SLEEPSTUDY = next(c for c in CASES if c.name == "sleepstudy")


@pytest.fixture(scope="module")
def bench_r(r_session):
    """The benchmark's R session (lme4 must be installed)."""
    session, reason = start_r()
    assert session is not None, reason
    assert "lme4" in session.engines
    return session


def test_quick_sleepstudy_run_reports_ratios_and_agreement(bench_r, tmp_path, capsys):
    out = tmp_path / "bench.json"
    status = main(
        [
            "bench", "--quick", "--models", "sleepstudy", "--repeats", "2",
            "--engines", "mixedlab,lme4,statsmodels", "--output", str(out), "--markdown",
        ]
    )
    text = capsys.readouterr().out
    assert status == 0
    assert "mixedlab/lme4" in text and "ok (" in text and "all answers agree" in text
    assert "| sleepstudy | 180 |" in text
    result = json.loads(out.read_text())
    case = result["cases"][0]
    assert case["name"] == "sleepstudy" and case["nobs"] == 180
    assert len(case["ratio_mixedlab_lme4"]["pairs"]) == 2
    assert case["agreement"]["status"] in ("ok", "lower")
    assert abs(case["agreement"]["difference"]) <= 1e-4
    for engine in ("mixedlab", "lme4", "statsmodels"):
        assert len(case["engines"][engine]["times"]) == 2
        assert case["memory"][engine]["peak_reset"] is True
    assert case["targets"][0]["label"] == "ratio<=0.1" and case["targets"][0]["met"] in (True, False)
    assert case["burners"] == 0 and len(case["load_average"]["before"]) == 3
    assert result["machine"]["lme4"] == bench_r.versions["lme4"]
    assert result["failed"] is False


def test_statsmodels_reml_objective_is_lme4s_reml_criterion(bench_r):
    """-2 llf of MixedLM's REML fit is comparable with lme4's REML criterion (same model)."""
    frame = load_lme4_dataset("sleepstudy", "sleepstudy").frame
    name = bench_r.put_data(frame, ".test_bench_sleep")
    lme4 = bench_r.fit("lme4", SLEEPSTUDY.formula, True, name)
    sm = fit_statsmodels(SLEEPSTUDY.statsmodels, frame, True)
    bench_r.drop_data(name)
    assert lme4.seconds > 0 and sm.seconds > 0
    assert abs(sm.objective - lme4.objective) < 1e-3


def test_memory_workers_report_peak_growth(bench_r):
    frame = load_lme4_dataset("sleepstudy", "sleepstudy").frame
    py = python_memory("mixedlab", frame, SLEEPSTUDY.formula, True)
    assert "error" not in py, py
    assert py["peak_reset"] and py["peak_rss_growth_mb"] >= 0
    name = bench_r.put_data(frame, ".test_bench_sleep_mem")
    r = r_memory(bench_r, "lme4", SLEEPSTUDY.formula, True, name, timeout=300)
    bench_r.drop_data(name)
    assert "error" not in r, r
    assert r["peak_reset"] and r["peak_rss_growth_mb"] >= 0 and r["r_heap_growth_mb"] > 0


def test_unknown_model_is_a_usage_error(capsys):
    assert main(["bench", "--models", "nope"]) == 2
    assert "choose from sleepstudy" in capsys.readouterr().err


def test_a_disagreeing_objective_is_shown_and_fails_the_run(bench_r, tmp_path, capsys):
    """Re-judge a real run as if mixedlab's objective were 0.01 above lme4's."""
    from dataclasses import asdict

    from mixedlab.bench._checks import check_agreement
    from mixedlab.bench._report import render_text
    from mixedlab.bench.cli import exit_status

    out = tmp_path / "bench.json"
    main(["bench", "--quick", "--models", "pastes", "--repeats", "1", "--engines", "mixedlab,lme4",
          "--no-memory", "--output", str(out)])
    capsys.readouterr()
    result = json.loads(out.read_text())
    assert exit_status(result) == 0
    case = result["cases"][0]
    lme4_objective = case["engines"]["lme4"]["objective"]
    case["agreement"] = asdict(check_agreement(lme4_objective + 0.01, {"lme4": lme4_objective}))
    text = render_text(result)
    assert "FAIL (+1.0e-02 vs lme4)" in text
    assert "FAILED: a mixedlab answer disagrees with lme4" in text
    assert exit_status(result) == 1


def test_glmm_case_runs_every_engine_and_checks_the_peers_against_lme4(bench_r, tmp_path, capsys):
    out = tmp_path / "bench.json"
    status = main(["bench", "--models", "cbpp", "--repeats", "2", "--no-memory",
                   "--engines", "mixedlab,lme4,glmm,mixedlm", "--output", str(out)])
    text = capsys.readouterr().out
    assert status == 0 and "all answers agree" in text
    case = json.loads(out.read_text())["cases"][0]
    assert case["kind"] == "glmer" and case["nobs"] == 56
    # mixedlab follows glmer's path: the same objective as lme4's to rounding
    assert case["agreement"]["status"] == "ok" and abs(case["agreement"]["difference"]) < 1e-8
    for peer in ("glmm", "mixedlm"):
        assert len(case["engines"][peer]["times"]) == 2
        rec = case["peers"][peer]
        # both converge PIRLS tightly: their deviance is lme4's or a little lower
        assert rec["agreement"]["status"] in ("ok", "lower") and abs(rec["agreement"]["difference"]) < 1e-2
        assert len(rec["ratio_mixedlab_peer"]["pairs"]) == 2
    assert case["fastest_peer"] in ("glmm", "mixedlm")
    labels = [t["label"] for t in case["targets"]]
    assert labels == ["ratio<=0.1", "vs fastest peer<=2x"]
    assert all(t["value"] is not None for t in case["targets"])


def test_without_a_reference_engine_nothing_is_claimed(tmp_path, capsys):
    """As without R: only mixedlab runs, so no answer is compared, and the run says so."""
    from mixedlab.bench.cli import EXIT_UNCHECKED

    out = tmp_path / "bench.json"
    status = main(["bench", "--quick", "--models", "sleepstudy", "--repeats", "1", "--engines", "mixedlab",
                   "--no-memory", "--output", str(out)])
    text = capsys.readouterr().out
    assert status == EXIT_UNCHECKED != 0
    assert "all answers agree" not in text
    assert "NOTHING COMPARED: no reference engine (lme4 or glmmTMB) ran" in text
    assert json.loads(out.read_text())["cases"][0]["agreement"]["status"] == "unchecked"


def test_glmmtmb_case_is_timed_against_glmmtmb(bench_r, tmp_path, capsys):
    out = tmp_path / "bench_tmb.json"
    status = main(["bench", "--models", "tmb_grouseticks", "--repeats", "2", "--engines",
                   "mixedlab,lme4,glmmTMB", "--output", str(out)])
    text = capsys.readouterr().out
    assert status == 0
    assert "vs glmmTMB" in text and "all answers agree" in text
    case = json.loads(out.read_text())["cases"][0]
    assert case["ratio_reference"] == "glmmTMB"
    assert len(case["ratio_mixedlab_lme4"]["pairs"]) == 2
    assert case["skipped"]["lme4"].startswith("not an lme4 model")
    assert case["agreement"]["reference"] == "glmmTMB" and case["agreement"]["status"] in ("ok", "lower")
    assert case["targets"][0]["label"] == "ratio<=0.2"
