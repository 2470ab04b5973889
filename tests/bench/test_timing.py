"""Interleaved timing: round order, per-engine repeats, failures, pairwise ratios."""

from __future__ import annotations

from mixedlab.bench._timing import EngineRun, FitRecord, interleave, pairwise_ratios, summarize


def _recorder(log: list[str], name: str, seconds: float):
    """A runner that records its call in ``log`` and reports a fixed time."""

    def run() -> FitRecord:
        log.append(name)
        return FitRecord(seconds=seconds, objective=1.0)

    return run


def test_rounds_alternate_order_and_warm_up_first():
    log: list[str] = []
    runners = {"A": _recorder(log, "A", 1.0), "B": _recorder(log, "B", 2.0)}
    runs = interleave(runners, {"A": 3, "B": 3}, warmup=True)
    # warm-up A B, then A B / B A / A B: each pair of fits sits side by side.
    assert log == ["A", "B", "A", "B", "B", "A", "A", "B"]
    assert runs["A"].times == [1.0, 1.0, 1.0]
    assert runs["A"].rounds == [0, 1, 2]
    assert runs["A"].warmup_seconds == 1.0


def test_fewer_repeats_for_one_engine_and_no_warmup():
    log: list[str] = []
    runners = {"A": _recorder(log, "A", 1.0), "B": _recorder(log, "B", 4.0)}
    runs = interleave(runners, {"A": 3, "B": 1}, warmup=False)
    assert log == ["A", "B", "A", "A"]
    assert runs["B"].rounds == [0]
    assert runs["B"].warmup_seconds is None
    # only round 0 has both engines, so there is a single ratio
    assert pairwise_ratios(runs["A"], runs["B"]) == [0.25]


def test_failing_engine_is_recorded_and_dropped():
    calls = {"n": 0}

    def flaky() -> FitRecord:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("singular system")
        return FitRecord(seconds=0.5, objective=2.0)

    runs = interleave({"A": flaky}, {"A": 4}, warmup=False)
    assert runs["A"].error == "RuntimeError: singular system"
    assert runs["A"].times == [0.5]
    assert calls["n"] == 2  # no further attempts after the failure


def test_pairwise_ratios_match_rounds():
    a = EngineRun("A", times=[1.0, 3.0, 2.0], rounds=[0, 1, 2])
    b = EngineRun("B", times=[4.0, 4.0], rounds=[0, 2])
    assert pairwise_ratios(a, b) == [0.25, 0.5]


def test_summarize_quartiles():
    s = summarize([4.0, 1.0, 3.0, 2.0, 5.0])
    assert s == {"n": 5, "median": 3.0, "q1": 2.0, "q3": 4.0, "min": 1.0, "max": 5.0}
    assert summarize([]) is None
