"""``mixedlab lessons``: execute every lesson, write HTML pages, summarise parity.

Run it from the repository root::

    mixedlab lessons                 # execute lessons/ into ./build/lessons
    mixedlab lessons --out site/     # another build folder
    mixedlab lessons --lab           # open JupyterLab on lessons/ instead
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``mixedlab lessons``."""
    parser.add_argument("--out", default="build/lessons", metavar="DIR",
                        help="build folder for executed notebooks and HTML pages (default: build/lessons)")
    parser.add_argument("--lessons-dir", default=None, metavar="DIR",
                        help="folder holding the lesson notebooks (default: lessons/ in the current directory)")
    parser.add_argument("--timeout", type=int, default=300, metavar="SECONDS",
                        help="longest a single cell may run (default: 300)")
    parser.add_argument("--only", nargs="+", metavar="LESSON",
                        help="run only these lessons (e.g. 01 or 02_crossed_raters)")
    parser.add_argument("--no-html", action="store_true", help="write executed notebooks only, no HTML pages")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--lab", action="store_true", help="open JupyterLab on the lessons folder instead of running")


def run(args: argparse.Namespace) -> int:
    """Run the lessons (or open JupyterLab); return the exit status."""
    from mixedlab.lessons._runner import LessonsNotFoundError, find_lessons_dir, parity_summary, run_lessons

    try:
        lessons_dir = find_lessons_dir(args.lessons_dir)
    except LessonsNotFoundError as err:
        print(f"mixedlab lessons: {err}", file=sys.stderr)
        return 2
    if args.lab:
        try:
            import jupyterlab  # noqa: F401
        except ImportError:
            print("mixedlab lessons --lab needs JupyterLab: pip install 'mixedlab[lessons]'", file=sys.stderr)
            return 2
        return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(lessons_dir)])
    out_dir = Path(args.out).expanduser().resolve()
    try:
        results = run_lessons(lessons_dir, out_dir, timeout=args.timeout, only=args.only,
                              html=not args.no_html, progress=not args.quiet)
    except (LessonsNotFoundError, ImportError) as err:
        print(f"mixedlab lessons: {err}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)}/{len(results)} lessons executed without error "
          f"({sum(r.seconds for r in results):.1f} s)")
    for r in failed:
        print(f"  FAILED {r.name}: {r.error}  (see {r.notebook})")
    if not args.no_html:
        index = [r.html for r in results if r.html is not None]
        print(f"open the lessons: {index[0].parent}/ (" + ", ".join(p.name for p in index) + ")")
        print(f"  e.g. python -m webbrowser {index[0].as_uri()}" if index else "")
    else:
        print(f"executed notebooks: {out_dir}/")
    summary = parity_summary(results)
    print(summary)
    parity_bad = "outside tolerance" in summary
    return 1 if failed or parity_bad else 0
