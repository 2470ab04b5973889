"""``mixedlab parity [CASE...] [--live|--stored] [--regenerate] [--list] [--all-rows] [--inference]``.

Without ``--regenerate``: fit each case (default: the whole corpus) with mixedlab and print
its side-by-side table against lme4 and glmmTMB, live in R or from the stored reference
outputs, then a summary; the exit status is 1 when any case is outside tolerance.

With ``--regenerate``: run R (lme4 and glmmTMB) on the cases and rewrite their files in
``reference_outputs/parity/``. This is the only way those files are written.

With ``--inference`` the same is done for the inference corpus (lmerTest, pbkrtest, lme4's
intervals; :mod:`mixedlab.parity._inference_corpus`, files in ``reference_outputs/inference/``).
"""

from __future__ import annotations

import argparse
import math

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
    parser.add_argument("--failures-only", action="store_true", help="print only rows outside tolerance")
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
    from mixedlab.parity import _corpus, _harness

    if getattr(args, "inference", False):
        return _run_inference(args)
    if args.list:
        for c in _corpus.CASES:
            print(f"{c.name:26s} {c.method:4s} {c.dataset:18s} {c.formula}")
        return 0
    names = args.cases or _corpus.case_names()
    for n in names:
        _corpus.get_case(n)  # a clear error for an unknown name before any work
    if args.regenerate:
        for path in _harness.regenerate(names):
            print(f"wrote {path}")
        return 0
    failed = []
    maxima: dict[str, float] = {}
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 500,
                           "display.max_colwidth", 60):
        for n in names:
            res = _harness.run_case(n, args.live)
            table = res.failures if args.failures_only else res.table
            shown = table.drop(columns=["case", "source"]).map(_fmt)
            print(f"== {n}: {res.case.formula} ({res.case.method}) — {'ok' if res.ok else 'OUTSIDE TOLERANCE'}")
            print(f"   source: {res.source}")
            for note in res.notes:
                print(f"   note: {note}")
            if not shown.empty:
                print(shown.to_string(index=False))
            print()
            if not res.ok:
                failed.append(n)
            for k, v in res.max_deltas().items():
                maxima[k] = max(maxima.get(k, 0.0), v)
    print(f"{len(names) - len(failed)}/{len(names)} cases within tolerance")
    if failed:
        print("outside tolerance: " + ", ".join(failed))
    print("largest |Δ| against lme4 per quantity: " + ", ".join(f"{k} {v:.3g}" for k, v in sorted(maxima.items())))
    return 1 if failed else 0


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
