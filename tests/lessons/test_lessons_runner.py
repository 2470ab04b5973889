"""The runner behind ``mixedlab lessons``: finding lessons, real kernels, failures, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from _lesson_fixtures import LESSON_NAMES, LESSONS_DIR
from mixedlab.lessons import (
    LessonResult,
    LessonsNotFoundError,
    find_lessons_dir,
    lesson_paths,
    parity_summary,
)

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")


def _write_nb(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m mixedlab lessons ...`` in a child process, as a user would run it.

    Once another test has embedded R in this pytest process, rpy2 has prepended R's
    library folders to LD_LIBRARY_PATH in ``os.environ``; a child Python inheriting that
    loads system libraries in place of its own (BeautifulSoup's CSS selectors, used by
    nbconvert, then fail). A user's shell never has that, so the child gets it removed.
    """
    env = dict(os.environ)
    r_home = env.get("R_HOME")
    if r_home and env.get("LD_LIBRARY_PATH", "").startswith(os.path.join(r_home, "lib")):
        env.pop("LD_LIBRARY_PATH")
    return subprocess.run([sys.executable, "-m", "mixedlab", "lessons", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


def test_finds_the_lessons_that_come_with_mixedlab_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_lessons_dir() == LESSONS_DIR      # a checkout: its lessons/ folder
    assert [p.stem for p in lesson_paths(LESSONS_DIR)][:len(LESSON_NAMES)] == LESSON_NAMES


def test_clear_error_for_a_folder_without_lessons(tmp_path):
    with pytest.raises(LessonsNotFoundError, match="--lessons-dir"):
        find_lessons_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LessonsNotFoundError, match="holds no lesson notebooks"):
        find_lessons_dir(tmp_path / "empty")


def test_only_selects_lessons_and_names_unknown_ones():
    assert [p.stem for p in lesson_paths(LESSONS_DIR, ["02", "04_partial_pooling_explorer"])] == [
        "02_crossed_raters", "04_partial_pooling_explorer"]
    with pytest.raises(LessonsNotFoundError, match="no lesson called 99"):
        lesson_paths(LESSONS_DIR, ["99"])


def test_cli_with_a_missing_lessons_dir_exits_2_with_the_fix(tmp_path):
    proc = _cli("--lessons-dir", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "no lessons folder" in proc.stderr and "--lessons-dir" in proc.stderr


def test_cli_runs_notebooks_reports_failures_and_uses_this_interpreter(tmp_path):
    lessons = tmp_path / "my_lessons"
    lessons.mkdir()
    _write_nb(lessons / "01_fine.ipynb", "import sys\nprint(sys.executable)",
              "print('parity demo_case: within tolerance (stored reference outputs)')")
    _write_nb(lessons / "02_broken.ipynb", "raise ValueError('deliberate failure')", "print('never runs')")
    _write_nb(lessons / "03_slow.ipynb", "import time\ntime.sleep(120)")
    out = tmp_path / "site"
    proc = _cli("--lessons-dir", str(lessons), "--out", str(out), "--timeout", "8", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1/3 lessons executed without error" in proc.stdout, proc.stderr
    assert "FAILED 02_broken: ValueError: deliberate failure" in proc.stdout
    assert "FAILED 03_slow: a cell ran longer than the 8 s timeout" in proc.stdout
    assert "parity: 1/1 cases within tolerance (stored reference outputs)" in proc.stdout
    # captured output: one plain progress line per lesson, no carriage-return bar updates
    assert "\r" not in proc.stdout and "\r" not in proc.stderr
    assert "[1/3] ok   01_fine" in proc.stdout and "[2/3] FAIL 02_broken" in proc.stdout
    fine = nbformat.read(out / "01_fine.ipynb", as_version=4)
    assert fine.cells[0].outputs[0]["text"].strip() == sys.executable
    broken = nbformat.read(out / "02_broken.ipynb", as_version=4)
    assert broken.cells[0].outputs[0]["output_type"] == "error"
    assert broken.cells[1].outputs == []
    for name in ("01_fine", "02_broken", "03_slow"):
        assert (out / f"{name}.html").read_text().startswith("<!DOCTYPE html>")


def test_parity_summary_is_honest_about_unchecked_and_silent_cells():
    from mixedlab.lessons import parity_ok

    ok = {"case": "a", "status": "within tolerance", "source": "stored reference outputs"}
    unchecked = {"case": "b", "status": "not checked", "source": "no stored R reference at /x/b.json, and R was not run"}
    results = [LessonResult("01", True, 1.0, parity=[ok], parity_cells=1),
               LessonResult("02", True, 1.0, parity=[unchecked], parity_cells=1),
               LessonResult("03", False, 1.0, parity=[], parity_cells=1)]
    text = parity_summary(results)
    assert text.startswith("parity: 1/3 cases within tolerance (stored reference outputs)")
    assert "not checked: b (no stored R reference at /x/b.json" in text
    assert "no parity result from 03 (the lesson failed before its parity cell)" in text
    assert not parity_ok(results)
    assert parity_ok(results[:1])


def test_parity_summary_counts_cases_and_sources():
    ok = {"case": "a", "status": "within tolerance", "source": "live R"}
    bad = {"case": "b", "status": "OUTSIDE tolerance", "source": "live R"}
    results = [LessonResult("01", True, 1.0, parity=[ok]), LessonResult("02", True, 1.0, parity=[bad])]
    assert parity_summary(results) == "parity: 1/2 cases within tolerance (live R); outside tolerance: b"
    assert parity_summary([LessonResult("04", True, 1.0)]).startswith("parity: not computed")


def test_lab_works_on_a_writable_copy_and_keeps_the_users_edits(tmp_path):
    from mixedlab.lessons.cli import _writable_copy

    paths = lesson_paths(LESSONS_DIR)
    out = tmp_path / "mine"
    assert [p.name for p in _writable_copy(paths, out)] == [p.name for p in paths]
    edited = out / paths[0].name
    edited.write_text("my edits")
    assert _writable_copy(paths, out) == []          # nothing overwritten
    assert edited.read_text() == "my edits"


def test_a_print_split_into_two_chunks_is_one_line_again(tmp_path):
    # ipykernel sends stdout in chunks cut by its flush timer: a forced flush and a pause
    # inside one line give two stream outputs, as a busy machine can do to any print
    from mixedlab.lessons._runner import execute_lesson

    lessons = tmp_path / "split"
    lessons.mkdir()
    _write_nb(lessons / "01_split.ipynb",
              "import sys, time\n"
              "sys.stdout.write('parity demo: within'); sys.stdout.flush(); time.sleep(1.0)\n"
              "print(' tolerance (live R)')\n"
              "from IPython.display import display\n"
              "display('a table')\n"
              "print('after the display')")
    res = execute_lesson(lessons / "01_split.ipynb", tmp_path / "out", html=False)
    assert res.ok, res.error
    outputs = nbformat.read(res.notebook, as_version=4).cells[0].outputs
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "stream"]
    assert outputs[0]["text"] == "parity demo: within tolerance (live R)\n"
    assert outputs[2]["text"] == "after the display\n"   # a display between prints keeps its place
    assert res.parity == [{"case": "demo", "status": "within tolerance", "source": "live R"}]


def test_join_streams_joins_neighbours_of_one_name_only():
    from mixedlab.lessons._runner import join_streams

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a"),
                    nbformat.v4.new_output("stream", name="stdout", text="b\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="warn\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="c\n")]
    nb.cells = [cell]
    join_streams(nb)
    assert [(o["name"], o["text"]) for o in nb.cells[0].outputs] == [
        ("stdout", "ab\n"), ("stderr", "warn\n"), ("stdout", "c\n")]
