"""Run the benchmark: per case, load data, time the engines interleaved, measure memory, check.

The result is a plain dict (JSON-ready) so that the report and the JSON file are
two renderings of the same object.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field

from mixedlab.bench._checks import check_agreement, check_target
from mixedlab.bench._data import load_lme4_dataset
from mixedlab.bench._load import cpu_burners, load_average
from mixedlab.bench._machine import machine_info
from mixedlab.bench._memory import python_memory
from mixedlab.bench._mixedlab import fit_mixedlab, fit_mixedlab_glmer, fit_mixedlab_tmb, mixedlab_available
from mixedlab.bench._models import BenchCase
from mixedlab.bench._peers import PEER_ENGINES, fit_peer, peer_frame, peer_unavailable, peer_version
from mixedlab.bench._r import RSession, r_memory, r_session
from mixedlab.bench._statsmodels import fit_statsmodels, statsmodels_version
from mixedlab.bench._timing import EngineRun, Runner, interleave, pairwise_ratios, summarize

__all__ = ["ENGINES", "BenchOptions", "run_benchmark"]

#: Every engine the benchmark knows, in table order (mixedlab first, lme4 next to it, the PyPI peers last).
ENGINES: tuple[str, ...] = ("mixedlab", "lme4", "glmmTMB", "statsmodels") + PEER_ENGINES


@dataclass
class BenchOptions:
    """What to run.

    Attributes
    ----------
    quick
        Quick-mode repeat counts; R is skipped on ``big`` cases.
    repeats
        Timed fits per engine, overriding every case's default (None: defaults).
    engines
        Engines to run (subset of :data:`ENGINES`).
    skip_big
        Engines not to run on cases marked ``big`` (the 1M-row model); R engines
        are also skipped there in quick mode.
    memory
        Measure peak memory in subprocesses (one extra fit per engine and case).
    memory_timeout
        Seconds allowed for one memory-measuring subprocess.
    """

    quick: bool = False
    repeats: int | None = None
    engines: list[str] = field(default_factory=lambda: list(ENGINES))
    skip_big: list[str] = field(default_factory=list)
    memory: bool = True
    memory_timeout: float = 3600.0


def _log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the report."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _repeats(case: BenchCase, options: BenchOptions) -> tuple[int, int]:
    """Timed fits for (Python engines, R engines) on ``case``."""
    if options.repeats is not None:
        return options.repeats, options.repeats
    n = case.quick_repeats if options.quick else case.repeats
    return n, (case.r_repeats if case.r_repeats is not None else n)


def _skipped_engines(
    case: BenchCase, options: BenchOptions, r: RSession | None, r_reason: str | None, sm_version: str | None
) -> dict[str, str]:
    """Engine -> reason for every selected engine that will not run on ``case``."""
    skipped: dict[str, str] = {}
    for engine in ("lme4", "glmmTMB"):
        if case.kind == "glmmtmb" and engine == "lme4":
            skipped[engine] = "not an lme4 model (a glmmTMB family: compared with glmmTMB)"
        elif engine not in options.engines:
            skipped[engine] = "not selected"
        elif r is None:
            skipped[engine] = r_reason or "R unavailable"
        elif engine not in r.engines:
            skipped[engine] = f"R package {engine} not installed"
        elif case.big and options.quick:
            skipped[engine] = "R is skipped on the large case in --quick runs"
    if "statsmodels" not in options.engines:
        skipped["statsmodels"] = "not selected"
    elif sm_version is None:
        skipped["statsmodels"] = "statsmodels not installed"
    elif case.statsmodels is None:
        skipped["statsmodels"] = case.statsmodels_skip or "model not expressible in MixedLM"
    for engine in PEER_ENGINES:
        if engine not in options.engines:
            skipped[engine] = "not selected"
        elif case.peers is None:
            skipped[engine] = "no peer translation of this case yet (a case opts in with BenchCase.peers)"
        elif (reason := peer_unavailable(engine)) is not None:
            skipped[engine] = reason
    if "mixedlab" not in options.engines:
        skipped["mixedlab"] = "not selected"
    if case.big:
        for engine in options.skip_big:
            skipped.setdefault(engine, "skipped on the large case (--skip-big/--skip-r-big)")
    return skipped


def _session_warmup(r: RSession | None, engines: list[str]) -> None:
    """Fit sleepstudy once with every engine: loads code paths the first fit would pay for.

    Cases without their own warm-up (the large ones) rely on this.
    """
    frame = load_lme4_dataset("sleepstudy", "sleepstudy").frame
    formula = "Reaction ~ Days + (Days | Subject)"
    if "mixedlab" in engines and mixedlab_available() is None:
        try:
            fit_mixedlab(formula, frame, True)
        except Exception as exc:  # reported again, per case, when the real fits run
            _log(f"mixedlab warm-up failed: {exc}")
    if r is not None:
        name = r.put_data(frame, ".mixedlab_bench_warmup")
        for engine in r.engines:
            if engine in engines:
                r.fit(engine, formula, True, name)
        r.drop_data(name)


def _run_case(
    case: BenchCase, options: BenchOptions, r: RSession | None, r_reason: str | None, sm_version: str | None
) -> dict:
    """Run every available engine on one case and return its JSON-ready record."""
    loaded = case.load()
    frame = loaded.frame
    _log(f"{case.name}: {len(frame):,} rows from {loaded.source}")
    skipped = _skipped_engines(case, options, r, r_reason, sm_version)
    ml_reason = mixedlab_available()
    runners: dict[str, Runner] = {}
    if "mixedlab" not in skipped:
        if ml_reason is None and case.kind == "glmer":
            runners["mixedlab"] = lambda: fit_mixedlab_glmer(case.formula, frame, case.family or "binomial",
                                                             case.nAGQ)
        elif ml_reason is None and case.kind == "glmmtmb":
            runners["mixedlab"] = lambda: fit_mixedlab_tmb(case.formula, frame, case.family or "gaussian",
                                                           case.ziformula, case.dispformula)
        elif ml_reason is None:
            runners["mixedlab"] = lambda: fit_mixedlab(case.formula, frame, case.reml)
        else:
            skipped["mixedlab"] = ml_reason
    r_name = f".mixedlab_bench_{case.name}"
    r_engines = [e for e in ("lme4", "glmmTMB") if e not in skipped]
    if r_engines:
        assert r is not None
        r.put_data(frame, r_name)  # converted to R once; every timed R fit reuses it
        for engine in r_engines:
            if case.kind == "glmer":
                runners[engine] = lambda engine=engine: r.fit_glmm(engine, case.formula, case.family or "binomial",
                                                                   case.nAGQ, r_name)
            elif case.kind == "glmmtmb":
                runners[engine] = lambda: r.fit_tmb(case.formula, case.family or "gaussian",
                                                    case.ziformula, case.dispformula, r_name)
            else:
                runners[engine] = lambda engine=engine: r.fit(engine, case.formula, case.reml, r_name)
    if "statsmodels" not in skipped:
        spec = case.statsmodels
        assert spec is not None
        runners["statsmodels"] = lambda: fit_statsmodels(spec, frame, case.reml)
    peers = [e for e in PEER_ENGINES if e not in skipped]
    if peers:
        assert case.peers is not None
        pframe = peer_frame(case.peers, frame)  # the peers' columns, built before any clock starts
        for engine in peers:
            runners[engine] = lambda engine=engine: fit_peer(engine, case, pframe)
    py_n, r_n = _repeats(case, options)
    repeats = {e: (r_n if e in ("lme4", "glmmTMB") else py_n) for e in runners}
    if case.burners:
        _log(f"{case.name}: {case.burners} CPU busy loops running while timed")
    with cpu_burners(case.burners):
        load_before = load_average()
        runs = interleave(runners, repeats, warmup=case.warmup, progress=lambda m: _log(f"{case.name}: {m}"))
        load_after = load_average()

    memory: dict[str, dict] = {}
    if options.memory and not case.memory:
        skipped.setdefault("memory", "peak memory is not measured for this case (the memory workers fit lmer)")
    elif options.memory:
        for engine, run in runs.items():
            if run.error is not None or not run.times:
                continue
            _log(f"{case.name}: memory of {engine}")
            if engine in ("lme4", "glmmTMB"):
                assert r is not None
                memory[engine] = r_memory(r, engine, case.formula, case.reml, r_name, options.memory_timeout)
            elif engine in ("mixedlab", "statsmodels"):
                memory[engine] = python_memory(
                    engine, frame, case.formula, case.reml, case.statsmodels, options.memory_timeout
                )
    if r_engines:
        assert r is not None
        r.drop_data(r_name)
    record = _case_record(case, loaded.source, len(frame), runs, skipped, memory, ml_reason)
    record["burners"] = case.burners
    record["load_average"] = {"before": load_before, "after": load_after}
    return record


def _engine_record(run: EngineRun) -> dict:
    """JSON record of one engine's timed fits."""
    last = run.last
    return {
        "times": run.times,
        "rounds": run.rounds,
        "summary": summarize(run.times),
        "warmup_seconds": run.warmup_seconds,
        "objective": None if last is None else last.objective,
        "info": None if last is None else last.info,
        "error": run.error,
    }


def _case_record(
    case: BenchCase,
    source: str,
    nobs: int,
    runs: dict[str, EngineRun],
    skipped: dict[str, str],
    memory: dict[str, dict],
    ml_reason: str | None,
) -> dict:
    """Assemble a case's result: engine records, pairwise ratio, agreement, targets."""
    ml = runs.get("mixedlab")
    ref = case.reference
    ratios = pairwise_ratios(ml, runs[ref]) if ml is not None and ref in runs else []
    ratio_summary = summarize(ratios)
    references = {e: runs[e].last.objective for e in ("lme4", "glmmTMB") if e in runs and runs[e].last}
    ml_error = ml.error if ml is not None else (ml_reason or skipped.get("mixedlab"))
    agreement = check_agreement(ml.last.objective if ml is not None and ml.last else None, references, ml_error)
    ml_time = summarize(ml.times) if ml is not None else None
    ml_mem = memory.get("mixedlab", {}).get("peak_rss_growth_mb")
    # each peer: its answer against lme4's (reported, never failing the run) and mixedlab/peer
    peers: dict[str, dict] = {}
    for engine in PEER_ENGINES:
        run = runs.get(engine)
        if run is None:
            continue
        pairs = pairwise_ratios(ml, run) if ml is not None else []
        peer_obj = run.last.objective if run.last else None
        peers[engine] = {
            "version": peer_version(engine),
            "ratio_mixedlab_peer": {"pairs": pairs, "summary": summarize(pairs)},
            "agreement": asdict(check_agreement(peer_obj, references, run.error)),
        }
    timed = [(summarize(runs[e].times)["median"], e) for e in peers if runs[e].times]
    fastest = min(timed)[1] if timed else None
    fastest_ratio = peers[fastest]["ratio_mixedlab_peer"]["summary"] if fastest else None
    targets = [
        check_target(
            t,
            ratio_summary["median"] if ratio_summary else None,
            ml_time["median"] if ml_time else None,
            ml_mem,
            answer_failed=agreement.failed,
            peer_ratio=fastest_ratio["median"] if fastest_ratio else None,
        )
        for t in case.targets
    ]
    return {
        "name": case.name,
        "title": case.title,
        "formula": case.formula,
        "REML": case.reml,
        "nobs": nobs,
        "data_source": source,
        "engines": {e: _engine_record(r) for e, r in runs.items()},
        "skipped": skipped,
        "memory": memory,
        "kind": case.kind,
        "family": case.family,
        "ratio_mixedlab_lme4": {"pairs": ratios, "summary": ratio_summary},
        "peers": peers,
        "fastest_peer": fastest,
        # the engine of that ratio (lme4, or glmmTMB for glmmTMB families)
        "ratio_reference": ref,
        "agreement": asdict(agreement),
        "targets": [
            {
                "kind": c.target.kind,
                "limit": c.target.limit,
                "label": c.target.label,
                "value": c.value,
                "met": c.met,
                "void": c.void,
            }
            for c in targets
        ],
    }


def run_benchmark(cases: list[BenchCase], options: BenchOptions) -> dict:
    """Run ``cases`` and return the JSON-ready result (machine info, options, cases)."""
    wants_r = any(e in options.engines for e in ("lme4", "glmmTMB"))
    r, r_reason = r_session() if wants_r else (None, "R engines not selected")
    if r_reason:
        _log(r_reason)
    sm_version = statsmodels_version()
    _log("session warm-up (sleepstudy, every engine)")
    _session_warmup(r, options.engines)
    results = []
    for case in cases:
        results.append(_run_case(case, options, r, r_reason, sm_version))
    machine = machine_info(r.versions if r else None, sm_version)
    machine["peers"] = {e: peer_version(e) for e in PEER_ENGINES}
    return {
        "machine": machine,
        "options": asdict(options),
        "cases": results,
        "failed": any(c["agreement"]["status"] == "FAIL" for c in results),
    }
