"""Benchmark: mixedlab against lme4, glmmTMB and statsmodels MixedLM, with agreement checks.

Run it as ``mixedlab bench`` (see :mod:`mixedlab.bench.cli` and bench/README.md).
From Python, :func:`run_benchmark` returns the same JSON-ready result the command
writes.
"""

from __future__ import annotations

from mixedlab.bench._models import CASES, BenchCase, select_cases
from mixedlab.bench._run import ENGINES, BenchOptions, run_benchmark

__all__ = ["CASES", "BenchCase", "select_cases", "ENGINES", "BenchOptions", "run_benchmark"]
