"""Fixtures for the lesson tests: the lessons executed once per session, expected outputs.

``executed`` runs every notebook in ``lessons/`` through the same runner as
``mixedlab lessons`` (real kernels, nbclient) and hands the tests the executed
notebooks. The expected printed lines come from the seed tutorial
(``tutorial_output.txt``) and from R (``sleepstudy_r_output.txt``, written by the R
script beside it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from _lesson_fixtures import HERE, LESSONS_DIR


def read_blocks(path: Path) -> dict[str, list[str]]:
    """Blocks of expected lines: ``[name]`` starts a block, ``#`` lines are comments."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = blocks.setdefault(line[1:-1], [])
            continue
        if current is not None:
            current.append(line)
    return blocks


@dataclass
class Executed:
    """One executed lesson: the runner's result and the executed notebook."""

    result: Any
    nb: Any

    def stream_lines(self) -> list[str]:
        """Every line the lesson printed to stdout, in order.

        Consecutive stdout outputs of a cell are joined before splitting into lines: a
        kernel may deliver one ``print`` in two chunks (the runner joins them too, this
        keeps the tests independent of that).
        """
        lines: list[str] = []
        for cell in self.nb.cells:
            text = ""
            for out in cell.get("outputs", []):
                if out.get("output_type") != "stream":   # a display ends the printed run
                    lines.extend(text.splitlines())
                    text = ""
                elif out.get("name") == "stdout":
                    text += out["text"]
            lines.extend(text.splitlines())
        return lines

    def outputs_of_type(self, mime: str) -> list[Any]:
        return [out["data"][mime] for cell in self.nb.cells for out in cell.get("outputs", [])
                if "data" in out and mime in out["data"]]

    def appendix_r_code(self) -> str:
        """The R code block of the lesson's one "## Appendix" markdown cell."""
        appendix = [c.source for c in self.nb.cells if c.cell_type == "markdown" and "## Appendix" in c.source]
        assert len(appendix) == 1
        return re.search(r"```r\n(.*?)```", appendix[0], re.S).group(1)


@pytest.fixture(scope="session")
def executed(tmp_path_factory) -> dict[str, Executed]:
    """Every lesson executed (with HTML pages) into a temporary build folder."""
    pytest.importorskip("nbclient", reason="the lessons extra (nbclient) is needed to run the lessons")
    pytest.importorskip("nbconvert", reason="the lessons extra (nbconvert) is needed to render the lessons")
    import nbformat

    from mixedlab.lessons import run_lessons

    out = tmp_path_factory.mktemp("lessons-build")
    results = run_lessons(LESSONS_DIR, out, timeout=300, progress=False, html=True)
    return {r.name: Executed(r, nbformat.read(r.notebook, as_version=4)) for r in results}


@pytest.fixture(scope="session")
def tutorial_blocks() -> dict[str, list[str]]:
    return read_blocks(HERE / "tutorial_output.txt")


@pytest.fixture(scope="session")
def r_sleepstudy_blocks() -> dict[str, list[str]]:
    return read_blocks(HERE / "sleepstudy_r_output.txt")
