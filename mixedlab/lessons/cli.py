"""mixedlab lessons: execute every lesson, write HTML pages, summarise parity.

Works from any folder: the lessons come with the installed package.

    mixedlab lessons                 # execute the lessons into ./build/lessons
    mixedlab lessons --out site/     # another build folder
    mixedlab lessons --lab           # work through them in JupyterLab
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["add_arguments", "run", "INSTALL_HINT"]

#: How to get the lessons extra; mixedlab is installed from its checkout (it is on no public index).
INSTALL_HINT = 'pip install "/path/to/mixedlab[lessons]"  (the folder of the mixedlab checkout)'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``mixedlab lessons``."""
    parser.add_argument("--out", default="build/lessons", metavar="DIR",
                        help="folder for the executed notebooks and HTML pages (default: build/lessons)")
    parser.add_argument("--lessons-dir", default=None, metavar="DIR",
                        help="folder holding the lesson notebooks (default: the lessons that come with mixedlab)")
    parser.add_argument("--timeout", type=int, default=300, metavar="SECONDS",
                        help="longest a single cell may run (default: 300)")
    parser.add_argument("--only", nargs="+", metavar="LESSON",
                        help="run only these lessons (e.g. 01 or 02_crossed_raters)")
    parser.add_argument("--no-html", action="store_true", help="write executed notebooks only, no HTML pages")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--lab", action="store_true",
                        help="open JupyterLab on a writable copy of the lessons (in --out) instead of running them")


def _writable_copy(lessons: list[Path], out_dir: Path) -> list[Path]:
    """Copy the notebooks into ``out_dir`` for editing; a copy that is already there is kept."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in lessons:
        target = out_dir / path.name
        if not target.exists():
            shutil.copy2(path, target)
            copied.append(target)
    return copied


def run(args: argparse.Namespace) -> int:
    """Run the lessons (or open JupyterLab); return the exit status."""
    from mixedlab.lessons._runner import (
        LessonsNotFoundError,
        find_lessons_dir,
        lesson_paths,
        parity_ok,
        parity_summary,
        run_lessons,
    )

    try:
        lessons_dir = find_lessons_dir(args.lessons_dir)
    except LessonsNotFoundError as err:
        print(f"mixedlab lessons: {err}", file=sys.stderr)
        return 2
    out_dir = Path(args.out).expanduser().resolve()
    if args.lab:
        try:
            import jupyterlab  # noqa: F401
        except ImportError:
            print(f"mixedlab lessons --lab needs JupyterLab: {INSTALL_HINT}", file=sys.stderr)
            return 2
        copied = _writable_copy(lesson_paths(lessons_dir, args.only), out_dir)
        print(f"lessons in {out_dir}/ ({len(copied)} copied, existing copies kept)")
        return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(out_dir)])
    if not args.quiet:
        print(f"executing the lessons of {lessons_dir} into {out_dir}/", flush=True)
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
    index = [r.html for r in results if r.html is not None]
    if index:
        print(f"open the lessons: {index[0].parent}/ (" + ", ".join(p.name for p in index) + ")")
        print(f"  e.g. python -m webbrowser {index[0].as_uri()}")
    else:
        print(f"executed notebooks: {out_dir}/")
    print(parity_summary(results))
    return 1 if failed or not parity_ok(results) else 0
