"""``mixedlab bench``: time mixedlab against lme4, glmmTMB and statsmodels; check the answers agree.

Exit status: 0 when every mixedlab objective was compared with lme4's (or glmmTMB's) and
agrees (|Δ| ≤ 1e-4, or mixedlab lower); 1 when one disagrees or mixedlab failed to fit, and
also 1 for a missed target under ``--strict-targets``; 2 for bad arguments; 3 when nothing
disagreed but some answers were not compared (no reference engine ran, e.g. without R).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys

from mixedlab.bench._models import CASES, select_cases
from mixedlab.bench._report import render_markdown, render_text, write_json
from mixedlab.bench._run import ENGINES, BenchOptions, run_benchmark

__all__ = ["add_arguments", "run", "exit_status", "EXIT_UNCHECKED"]


def _csv(value: str) -> list[str]:
    """Split a comma-separated option value."""
    return [v.strip() for v in value.split(",") if v.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``mixedlab bench``."""
    names = ", ".join(c.name for c in CASES)
    parser.add_argument("--quick", action="store_true", help="small models, few repeats (a minute or two)")
    parser.add_argument("--models", type=_csv, default=None, help=f"comma-separated cases to run ({names})")
    parser.add_argument("--repeats", type=int, default=None, help="timed fits per engine (overrides the defaults)")
    parser.add_argument(
        "--engines", type=_csv, default=list(ENGINES), help=f"comma-separated engines ({', '.join(ENGINES)})"
    )
    parser.add_argument("--skip-r-big", action="store_true", help="do not run lme4/glmmTMB on the 1M-row case")
    parser.add_argument(
        "--skip-big", type=_csv, default=[], help="comma-separated engines not to run on the 1M-row case"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument(
        "--memory-timeout", type=float, default=3600.0, help="seconds allowed per memory subprocess (default 3600)"
    )
    parser.add_argument(
        "--output", default=None, help="JSON file to write (default bench/results/bench-<UTC time>.json)"
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--strict-targets", action="store_true", help="a missed target also makes the exit status 1")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--kr", action="store_true",
                        help="time Kenward-Roger (mixedlab's Woodbury form) against pbkrtest instead")
    parser.add_argument(
        "--crossed", action="store_true",
        help="issue 19: the 20,000 x 2,000 crossed slope design at 1M and 4M rows (lme4 at 1M) "
             "and the cost per evaluation as the second factor grows")
    parser.add_argument(
        "--residuals", action="store_true",
        help="time simulate_residuals (n=250) against R's simulate() instead of the fits")
    parser.add_argument(
        "--dask", action="store_true",
        help="lmer on a Dask DataFrame from Parquet, 1M/5M/20M rows of a crossed design, on a "
             "2-worker LocalCluster (--dask-rows to choose the sizes)")
    parser.add_argument("--dask-fit", action="store_true",
                        help="with --dask: also fit the 1M-row case (on Dask and in memory) and compare")
    parser.add_argument("--dask-rows", type=_csv, default=None,
                        help="comma-separated row counts for --dask (default 1000000,5000000,20000000)")


def _default_output() -> str:
    """``bench/results/bench-<UTC timestamp>.json`` under the current directory."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("bench", "results", f"bench-{stamp}.json")


def run(args: argparse.Namespace) -> int:
    """Run the benchmark selected by ``args``; print the report; return the exit status."""
    if getattr(args, "kr", False):
        from mixedlab.bench._kr import render_kr, run_kr_bench

        results = run_kr_bench(repeats=args.repeats or 3)
        print(render_kr(results))
        output = args.output or os.path.join("bench", "results", "kr-latest.json")
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        with open(output, "w") as fh:
            json.dump(results, fh, indent=1)
        print(f"\nwrote {output}", file=sys.stderr)
        return 0
    if getattr(args, "dask", False):
        from mixedlab.bench._dask import render_dask, run_dask_bench

        sizes = tuple(int(r) for r in (args.dask_rows or ["1000000", "5000000", "20000000"]))
        output = args.output or os.path.join("bench", "results", "dask-latest.json")
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)

        def save(partial: dict) -> None:
            with open(output, "w") as fh:
                json.dump(partial, fh, indent=1, default=str)
            print(render_dask(partial), file=sys.stderr, flush=True)

        results = run_dask_bench(sizes=sizes, compare_rows=1_000_000 if args.dask_fit else None,
                                 progress=save)
        save(results)
        print(render_dask(results))
        print(f"\nwrote {output}", file=sys.stderr)
        return 0
    if getattr(args, "crossed", False):
        from mixedlab.bench._crossed import render_crossed, run_crossed_bench

        lme4 = "lme4" in args.engines and not args.skip_r_big
        result = run_crossed_bench(memory=not args.no_memory, lme4=lme4,
                                   log=lambda s: print(s, file=sys.stderr, flush=True))
        print(render_crossed(result))
        output = args.output or os.path.join("bench", "results", "crossed-latest.json")
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        with open(output, "w") as fh:
            json.dump(result, fh, indent=1, default=str)
        print(f"\nwrote {output}", file=sys.stderr)
        return 0
    if args.list:
        for case in CASES:
            print(f"{case.name:12s} {'quick' if case.quick else 'full '}  {case.title}")
        return 0
    unknown = [e for e in args.engines + args.skip_big if e not in ENGINES]
    if unknown:
        print(f"mixedlab bench: unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}", file=sys.stderr)
        return 2
    if args.repeats is not None and args.repeats < 1:
        print("mixedlab bench: --repeats must be at least 1", file=sys.stderr)
        return 2
    if args.residuals:
        return _run_residuals(args)
    try:
        cases = select_cases(args.models, args.quick)
    except ValueError as exc:
        print(f"mixedlab bench: {exc}", file=sys.stderr)
        return 2
    options = BenchOptions(
        quick=args.quick,
        repeats=args.repeats,
        engines=args.engines,
        skip_big=sorted(set(args.skip_big) | ({"lme4", "glmmTMB"} if args.skip_r_big else set())),
        memory=not args.no_memory,
        memory_timeout=args.memory_timeout,
    )
    result = run_benchmark(cases, options)
    print(render_text(result))
    if args.markdown:
        print()
        print(render_markdown(result))
    output = args.output or _default_output()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    write_json(result, output)
    print(f"\nwrote {output}", file=sys.stderr)
    return exit_status(result, args.strict_targets)


#: Exit status when no answer disagreed but not every answer was compared.
EXIT_UNCHECKED = 3


def _run_residuals(args: argparse.Namespace) -> int:
    """``--residuals``: the simulated-residuals table; 1 when residuals differ from R's."""
    from mixedlab.bench._machine import machine_info
    from mixedlab.bench._residuals import render_residuals, run_residual_benchmark

    repeats = args.repeats or (3 if args.quick else 7)
    records = run_residual_benchmark(repeats, with_r="lme4" in args.engines,
                                     log=lambda m: print(f"[bench] {m}", file=sys.stderr))
    print(render_residuals(records))
    output = args.output or _default_output().replace("bench-", "residuals-")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    write_json({"machine": machine_info(None, None), "residuals": records}, output)
    print(f"\nwrote {output}", file=sys.stderr)
    return 1 if any(r["identical"] is False for r in records) else 0


def exit_status(result: dict, strict_targets: bool = False) -> int:
    """1 when a mixedlab answer disagrees (or, with ``strict_targets``, a target is missed);
    3 when some answer was not compared; 0 when every answer was compared and agrees."""
    failed = any(c["agreement"]["status"] == "FAIL" for c in result["cases"])
    missed = any(t["met"] is False for c in result["cases"] for t in c["targets"])
    if failed or (strict_targets and missed):
        return 1
    if any(c["agreement"]["status"] == "unchecked" for c in result["cases"]):
        return EXIT_UNCHECKED
    return 0
