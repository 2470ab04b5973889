"""Paths and names shared by the lesson tests (imported by conftest.py and the tests)."""

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
]
