"""The committed lesson notebooks are sources: no outputs, no execution counts."""

from __future__ import annotations

import pytest

from _lesson_fixtures import LESSON_NAMES, LESSONS_DIR

nbformat = pytest.importorskip("nbformat")


def test_the_lessons_are_there():
    assert sorted(p.stem for p in LESSONS_DIR.glob("*.ipynb")) == LESSON_NAMES
    assert (LESSONS_DIR / "README.md").is_file()


@pytest.mark.parametrize("name", LESSON_NAMES)
def test_committed_notebook_has_no_outputs(name):
    nb = nbformat.read(LESSONS_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a code cell carries outputs"
            assert cell.execution_count is None, f"{name}: a code cell carries an execution count"
    assert "widgets" not in nb.metadata, f"{name}: stored widget state"


@pytest.mark.parametrize("name", LESSON_NAMES)
def test_lesson_has_the_tutorial_shape(name):
    nb = nbformat.read(LESSONS_DIR / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("What you'll do", "What you'll learn", "What you'll need", "On your own"):
        assert heading in text, f"{name} lacks {heading!r}"
