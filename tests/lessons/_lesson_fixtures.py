"""Paths, names and a helper shared by the lesson tests (imported by conftest.py and the tests)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LESSONS_DIR = REPO / "lessons"
LESSON_NAMES = [
    "01_nested_schools",
    "02_crossed_raters",
    "03_sleepstudy_exercise",
    "04_partial_pooling_explorer",
    "05_binary_outcomes",
    "06_simulated_residuals",
    "07_zero_inflation",
    "08_beta_models",
    "09_inference",
    "10_count_models_explorer",
]


def find_exact(lines: list[str], expected: list[str]) -> int:
    """Index where ``expected`` occurs in ``lines`` as consecutive, identical lines, or -1."""
    for i in range(len(lines) - len(expected) + 1):
        if lines[i:i + len(expected)] == expected:
            return i
    return -1
