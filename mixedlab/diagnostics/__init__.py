"""Model diagnostics with simulated residuals (DHARMa's method): ``simulate_residuals``
returns scaled quantile residuals, their tests and DHARMa's residual plot."""

from __future__ import annotations

from mixedlab.diagnostics._residuals import SimulatedResiduals, simulate_residuals
from mixedlab.diagnostics._tests import TestResult

__all__ = ["SimulatedResiduals", "TestResult", "simulate_residuals"]
