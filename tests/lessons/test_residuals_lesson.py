"""Lesson 6 (simulated residuals): R's simulations printed, the tests' verdicts, three plots."""

from __future__ import annotations

import numpy as np


def _lines(executed):
    return executed["06_simulated_residuals"].stream_lines()


def test_lesson_prints_rs_simulated_counts(executed, r_session) -> None:
    lines = _lines(executed)
    start = lines.index("   sim_1  sim_2  sim_3")
    printed = np.array([[float(v) for v in line.split()[1:]] for line in lines[start + 1:start + 7]])
    want = np.asarray(r_session.r(
        "suppressPackageStartupMessages(library(lme4)); "
        "m <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial); "
        "set.seed(42); s <- simulate(m, 3); sapply(s, function(x) x[1:6, 1])"))
    assert np.array_equal(printed, want)


def test_lesson_finds_the_poisson_models_problems_and_the_fix(executed) -> None:
    lines = _lines(executed)
    text = "\n".join(lines)
    assert "<SimulatedResiduals: 56 observations x 250 conditional simulations, binomial" in text
    assert any(line.startswith("dispersion test p < 0.001: overdispersion") for line in lines)
    assert any(line.startswith("zero-inflation test p < 0.001") for line in lines)
    theta = next(line for line in lines if line.startswith("theta = "))
    assert abs(float(theta.split("=")[1]) - 2.05) < 0.01
    # the negative binomial model's dispersion test passes
    verdicts = [line for line in lines if line.startswith("dispersion test")]
    assert "no evidence" in verdicts[0] and "overdispersion" in verdicts[1]
    assert "no evidence" in verdicts[2]


def test_lesson_draws_dharmas_plot_three_times(executed) -> None:
    assert len(executed["06_simulated_residuals"].outputs_of_type("image/png")) == 3
