"""Execute the lesson notebooks and render them to HTML.

Each lesson runs top to bottom in a fresh kernel (nbclient), with a per-cell
timeout; the executed notebook and an HTML page (nbconvert) are written to the
build folder. The kernel is always the interpreter running this code
(``sys.executable``): the runner writes its own "python3" kernelspec for it, so
a stale user-level kernelspec pointing at another Python cannot pick up a
different mixedlab.

nbclient, nbformat, nbconvert and tqdm come with the ``lessons`` extra and are
imported inside the functions.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from mixedlab._resources import shipped_dir

__all__ = [
    "LessonsNotFoundError",
    "LessonResult",
    "find_lessons_dir",
    "lesson_paths",
    "execute_lesson",
    "run_lessons",
    "parity_summary",
    "parity_ok",
    "count_parity_cells",
    "join_streams",
    "PARITY_LINE",
]

#: The line every lesson's parity cell prints (see :func:`mixedlab.lessons.show_parity`);
#: the runner collects them for its one-line summary.
PARITY_LINE = re.compile(r"^parity (?P<case>\S+): (?P<status>within tolerance|OUTSIDE tolerance|not checked) "
                         r"\((?P<source>[^)\n]+)\)$", re.M)

_INSTALL_HINT = 'install the lessons extra: pip install "/path/to/mixedlab[lessons]" (the folder of the mixedlab checkout)'


class LessonsNotFoundError(FileNotFoundError):
    """No lessons folder where one was expected."""


@dataclass
class LessonResult:
    """The outcome of executing one lesson notebook."""

    name: str
    ok: bool
    seconds: float
    notebook: Path | None = None
    html: Path | None = None
    error: str = ""
    parity: list[dict[str, str]] = field(default_factory=list)
    parity_cells: int = 0  # code cells that call show_parity (each should print one parity line)


def find_lessons_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The folder holding the lesson notebooks.

    Parameters
    ----------
    explicit : path, optional
        ``--lessons-dir``; used as given. Without it, the lessons that come with this
        mixedlab: inside the installed package, or ``lessons/`` of the checkout it runs
        from (:func:`mixedlab._resources.shipped_dir`), whatever the current directory.

    Raises
    ------
    LessonsNotFoundError
        When the folder does not exist or holds no ``NN_*.ipynb`` notebooks.
    """
    if explicit is not None:
        path = Path(explicit).expanduser().resolve()
        where = f"--lessons-dir {explicit}"
    else:
        path = shipped_dir("lessons")
        where = f"{path} (where this mixedlab keeps its lessons)"
    if not path.is_dir():
        raise LessonsNotFoundError(
            f"no lessons folder at {where}. This mixedlab was installed without its lessons; "
            "reinstall it from a full checkout (pip install \"<checkout>[lessons]\"), or pass "
            "--lessons-dir PATH."
        )
    if not lesson_paths(path):
        raise LessonsNotFoundError(
            f"{path} holds no lesson notebooks (files named like 01_name.ipynb); "
            "pass --lessons-dir with the folder that does."
        )
    return path


def lesson_paths(lessons_dir: str | os.PathLike, only: Iterable[str] | None = None) -> list[Path]:
    """The lesson notebooks (``NN_*.ipynb``) in lesson order, optionally filtered.

    ``only`` entries match a notebook's name with or without ``.ipynb`` or its
    two-digit number ("01").
    """
    paths = sorted(p for p in Path(lessons_dir).glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if only:
        wanted = list(only)
        chosen = [p for p in paths if any(w in (p.name, p.stem, p.name[:2]) for w in wanted)]
        unknown = [w for w in wanted if not any(w in (p.name, p.stem, p.name[:2]) for p in paths)]
        if unknown:
            raise LessonsNotFoundError(
                f"no lesson called {', '.join(unknown)}; lessons are: {', '.join(p.stem for p in paths)}"
            )
        return chosen
    return paths


def _kernelspec_dir(root: Path) -> Path:
    """Write a "python3" kernelspec that starts this interpreter; return its parent folder."""
    kdir = root / "python3"
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({sys.executable})",
        "language": "python",
        # as ipykernel's own spec: lets jupyter_client provision CurveZMQ keys for the
        # kernel's sockets (without it ipykernel >= 7 warns about plain-text TCP)
        "metadata": {"supported_encryption": ["curve"]},
    }
    (kdir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return root


def _kernel_manager_class(kernel_dir: Path):
    """An AsyncKernelManager whose kernelspecs come only from ``kernel_dir``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class InterpreterKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[str(kernel_dir)])

        @default("transport_encryption")
        def _transport_encryption_default(self) -> str:
            # CurveZMQ keys for the kernel's TCP sockets when pyzmq has them (the kernelspec
            # declares support); ipykernel >= 7 warns about plain-text TCP otherwise
            import zmq

            return "auto" if zmq.has("curve") else "disabled"

    return InterpreterKernelManager


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: make it import the same mixedlab as this process."""
    import mixedlab

    env = dict(os.environ)
    src = str(Path(mixedlab.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([src] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    # inline figures, never a GUI window, whatever the user's matplotlibrc says
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


def _first_error(nb: Any) -> str:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    return ""


def join_streams(nb: Any) -> Any:
    """Merge consecutive stream outputs of one cell that share a name (stdout, stderr), in place.

    A kernel sends what a cell prints in chunks, cut wherever its flush timer fires; on a
    busy machine one ``print`` can arrive as two stream outputs, splitting a line. Joining
    neighbours restores the lines as printed. Unlike nbclient's ``coalesce_streams``, a
    display output between two prints keeps its place. Returns ``nb``.
    """
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        joined: list[Any] = []
        for out in outputs:
            prev = joined[-1] if joined else None
            if (out.get("output_type") == "stream" and prev is not None
                    and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
                prev["text"] = prev.get("text", "") + out.get("text", "")
                continue
            joined.append(out)
        cell["outputs"] = joined
    return nb


def parity_lines(nb: Any) -> list[dict[str, str]]:
    """The parity lines an executed notebook printed (case, status, source)."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                found.extend(m.groupdict() for m in PARITY_LINE.finditer(out.get("text", "")))
    return found


def count_parity_cells(nb: Any) -> int:
    """How many code cells of a notebook call ``show_parity`` (each prints one parity line)."""
    return sum(1 for c in nb.cells if c.cell_type == "code" and "show_parity(" in c.source)


def execute_lesson(path: Path, out_dir: Path, *, timeout: int = 300, html: bool = True,
                   kernel_dir: Path | None = None) -> LessonResult:
    """Run one lesson in a fresh kernel; write the executed notebook (and HTML page) to ``out_dir``.

    A cell that raises, or runs longer than ``timeout`` seconds, stops the lesson;
    the partly executed notebook is still written so the error can be read.
    """
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"running the lessons needs nbclient and nbformat ({err}); {_INSTALL_HINT}") from err

    out_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    n_parity = count_parity_cells(nb)
    own_tmp = None
    if kernel_dir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="mixedlab-kernels-")
        kernel_dir = _kernelspec_dir(Path(own_tmp.name))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=_kernel_manager_class(kernel_dir),
        # the kernel works in the (writable) build folder: the lessons themselves may sit
        # read-only inside an installed package
        resources={"metadata": {"path": str(out_dir)}},
        shutdown_kernel="immediate",
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute(env=_kernel_env())
    except CellTimeoutError as err:
        error = f"a cell ran longer than the {timeout} s timeout: {str(err).splitlines()[0] if str(err) else err}"
    except CellExecutionError:
        error = _first_error(nb) or "a cell raised an error"
    except Exception as err:  # kernel died, could not start, ...
        error = f"{type(err).__name__}: {err}"
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()
    seconds = time.perf_counter() - start
    join_streams(nb)
    nb_path = out_dir / path.name
    nbformat.write(nb, nb_path)
    html_path = None
    if html:
        html_path = out_dir / (path.stem + ".html")
        html_path.write_text(_to_html(nb), encoding="utf-8")
    return LessonResult(name=path.stem, ok=not error, seconds=seconds, notebook=nb_path, html=html_path,
                        error=error, parity=parity_lines(nb), parity_cells=n_parity)


def _to_html(nb: Any) -> str:
    try:
        from mixedlab.lessons._pages import offline_html

        return offline_html(nb)
    except ImportError as err:  # pragma: no cover
        raise ImportError(f"HTML pages need nbconvert and latex2mathml ({err}); {_INSTALL_HINT}") from err


def run_lessons(
    lessons_dir: Path,
    out_dir: Path,
    *,
    timeout: int = 300,
    only: Iterable[str] | None = None,
    html: bool = True,
    progress: bool = True,
) -> list[LessonResult]:
    """Execute the lessons in order and return one result per lesson.

    With ``progress``, a terminal gets a tqdm bar on stderr; captured output (a file, a
    pipe, CI) gets one plain line per lesson on stdout instead, so no carriage-return
    updates end up mixed into the log.
    """
    paths = lesson_paths(lessons_dir, only)
    results: list[LessonResult] = []
    with tempfile.TemporaryDirectory(prefix="mixedlab-kernels-") as tmp:
        kernel_dir = _kernelspec_dir(Path(tmp))
        bar = None
        if progress and sys.stderr.isatty():
            try:
                from tqdm import tqdm

                bar = tqdm(total=len(paths), unit="lesson", desc="lessons")
            except ImportError:  # pragma: no cover - tqdm is optional; plain lines then
                bar = None
        for k, path in enumerate(paths, 1):
            if bar is not None:
                bar.set_postfix_str(path.stem)
            res = execute_lesson(path, out_dir, timeout=timeout, html=html, kernel_dir=kernel_dir)
            results.append(res)
            line = (f"{'ok  ' if res.ok else 'FAIL'} {res.name} ({res.seconds:.1f} s)"
                    + (f": {res.error}" if res.error else ""))
            if bar is not None:
                bar.write(line)
                bar.update(1)
            elif progress:
                print(f"[{k}/{len(paths)}] {line}", flush=True)
        if bar is not None:
            bar.close()
    return results


def _parity_counts(results: list[LessonResult]) -> tuple[list[dict[str, str]], list[str]]:
    """The parity lines printed, and the lessons whose parity cells printed none (they failed first)."""
    lines = [p for r in results for p in r.parity]
    silent = [r.name for r in results if r.parity_cells > len(r.parity)]
    return lines, silent


def parity_ok(results: list[LessonResult]) -> bool:
    """True when every parity cell ran and found its case within tolerance."""
    lines, silent = _parity_counts(results)
    return not silent and all(p["status"] == "within tolerance" for p in lines)


def parity_summary(results: list[LessonResult]) -> str:
    """``parity: N/M cases within tolerance (live R)`` from the lessons' parity cells.

    Cases that could not be checked, and parity cells that never printed (their lesson
    failed before them), are named and counted in M: the line never claims more than was
    compared.
    """
    lines, silent = _parity_counts(results)
    if not lines and not silent:
        return "parity: not computed (none of the lessons run has a parity cell)"
    missing = sum(r.parity_cells - len(r.parity) for r in results if r.parity_cells > len(r.parity))
    ok = sum(p["status"] == "within tolerance" for p in lines)
    sources = sorted({p["source"] for p in lines if p["status"] != "not checked"})
    text = f"parity: {ok}/{len(lines) + missing} cases within tolerance"
    if sources:
        text += f" ({' + '.join(sources)})"
    bad = [p["case"] for p in lines if p["status"] == "OUTSIDE tolerance"]
    unchecked = [f"{p['case']} ({p['source']})" for p in lines if p["status"] == "not checked"]
    if bad:
        text += f"; outside tolerance: {', '.join(bad)}"
    if unchecked:
        text += f"; not checked: {', '.join(unchecked)}"
    if silent:
        text += f"; no parity result from {', '.join(silent)} (the lesson failed before its parity cell)"
    return text
