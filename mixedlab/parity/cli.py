"""``mixedlab parity [CASE...] [--live|--stored] [--regenerate] [--list] [--verbose] [--inference]``.

Without ``--regenerate``: fit each case (default: the whole corpus, the glmmTMB cases ``tmb_*`` included) with mixedlab, compare it
with lme4 and glmmTMB, live in R or from the stored reference outputs, and print a compact
table (one row per case and quantity group, :mod:`mixedlab.parity._report`) and a summary;
``--verbose`` adds every compared row. The exit status is 1 when any case is outside
tolerance, 2 when a case cannot be compared at all (no R and no stored reference).

With ``--regenerate``: run R (lme4 and glmmTMB) on the cases and rewrite their files in
``reference_outputs/parity/``. This is the only way those files are written.

With ``--inference`` the same is done for the inference corpus (lmerTest, pbkrtest, lme4's
intervals; :mod:`mixedlab.parity._inference_corpus`, files in ``reference_outputs/inference/``).
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap

import pandas as pd

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``parity`` sub-command's arguments to ``parser``."""
    parser.add_argument("cases", nargs="*", metavar="CASE", help="case names (default: all)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--live", dest="live", action="store_const", const=True, default=None,
                      help="fit lme4/glmmTMB now in R (fails if R is missing)")
    mode.add_argument("--stored", dest="live", action="store_const", const=False,
                      help="compare with the stored reference outputs only")
    mode.add_argument("--regenerate", action="store_true",
                      help="run R and rewrite reference_outputs/parity/<case>.json")
    parser.add_argument("--list", action="store_true", help="list the corpus and exit")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also print every compared quantity of each case")
    parser.add_argument("--failures-only", action="store_true",
                        help="with --verbose, print only the rows outside tolerance")
    parser.add_argument("--inference", action="store_true",
                        help="the inference corpus (t/F tests, anova, intervals) instead of the fits")


def _fmt(v, width: int = 44) -> str:
    """A table cell: floats to 10 significant digits, long structures cut to ``width``."""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.10g}"
    text = "" if v is None else str(v)
    return text if len(text) <= width else text[: width - 1] + "…"


def run(args: argparse.Namespace) -> int:
    """Run the sub-command; return the exit status."""
    from mixedlab.parity import _corpus, _harness, _report
    from mixedlab.parity._reference import ReferenceOutputError

    if getattr(args, "inference", False):
        return _run_inference(args)
    if args.list:
        for c in _corpus.ALL_CASES:
            print(f"{c.name:26s} {c.method:4s} {c.dataset:18s} {c.formula}")
        return 0
    names = args.cases or _corpus.all_case_names()
    for n in names:
        _corpus.get_case(n)  # a clear error for an unknown name before any work
    if args.regenerate:
        for path in _harness.regenerate(names):
            print(f"wrote {path}")
        return 0
    results, unchecked = [], []
    for n in names:
        try:
            res = _harness.run_case(n, args.live)
        except ReferenceOutputError as err:
            unchecked.append(n)
            print(f"{n}: not checked: {err}", file=sys.stderr)
            continue
        results.append(res)
        if args.verbose:
            table = res.failures if args.failures_only else res.table
            shown = type(res)(res.case, res.source, res.live, table, res.mixedlab, res.lme4, res.glmmtmb, res.notes)
            print(f"== {n}: {res.case.formula} ({res.case.method}) — {'ok' if res.ok else 'OUTSIDE TOLERANCE'}")
            print(f"   source: {res.source}")
            print("\n".join(_report.render_verbose(shown)))
            print()
    if results:
        print("\n".join(_report.render_compact(results)))
        print()
        for line in sorted({_source_line(r) for r in results}):
            print("\n".join(textwrap.wrap(line, _report.WIDTH, subsequent_indent="  ")))
        print("\n".join(_report.render_summary(results)))
    if unchecked:
        print(f"not checked (no R and no usable stored reference): {', '.join(unchecked)}")
        return 2
    return 0 if all(r.ok for r in results) else 1


def _source_line(res) -> str:
    """Where a case's R results came from, without the per-file name and date."""
    if res.live:
        return f"R results: {res.source}"
    versions = res.source.split(" (", 1)[1].rsplit(";", 1)[0] if " (" in res.source else "?"
    return f"R results: stored reference outputs, generated with {versions}"


def _run_inference(args: argparse.Namespace) -> int:
    from mixedlab.parity import _inference_corpus as ic

    if args.list:
        for c in ic.INFERENCE_CASES:
            print(f"{c.name:30s} {'REML' if c.REML else 'ML':4s} {c.dataset:18s} {c.formula}")
        return 0
    names = args.cases or [c.name for c in ic.INFERENCE_CASES]
    for n in names:
        ic.get_inference_case(n)
    if args.regenerate:
        for path in ic.regenerate(names):
            print(f"wrote {path}")
        return 0
    failed = []
    maxima: dict[str, float] = {}
    with pd.option_context("display.width", 200, "display.max_rows", 2000, "display.max_colwidth", 50):
        for n in names:
            from mixedlab.parity import _rbridge

            live = _rbridge.available() if args.live is None else args.live
            res = ic.run_inference_case(n, live)
            table = res.failures if args.failures_only else res.table
            numbers = table[table["kind"] != "text"].drop(columns=["kind"]).map(_fmt)
            print(f"== {n}: {res.case.formula} — {'ok' if res.ok else 'OUTSIDE TOLERANCE'}")
            print(f"   source: {res.source}")
            if not numbers.empty:
                print(numbers.to_string(index=False))
            for r in table[table["kind"] == "text"].itertuples(index=False):
                print(f"   {r.check}: {'identical' if r.delta == 0 else ('ok' if r.ok else 'DIFFERS')}")
            print()
            if not res.ok:
                failed.append(n)
            for k, v in res.max_rel().items():
                maxima[k] = max(maxima.get(k, 0.0), v)
    print(f"{len(names) - len(failed)}/{len(names)} inference cases within tolerance")
    if failed:
        print("outside tolerance: " + ", ".join(failed))
    print("largest relative |Δ| per quantity (p: |Δ log p|): "
          + ", ".join(f"{k} {v:.3g}" for k, v in sorted(maxima.items())))
    return 1 if failed else 0
