"""Interleaved timing of several engines on one model, and the statistics of the times.

Why interleave: machine speed drifts (other processes, CPU frequency, thermal state).
Running the engines round by round — and reversing the order every other round
(A B, B A, A B, ...) — puts each mixedlab fit next to an lme4 fit taken under the same
conditions, so the pairwise ratio ``t_mixedlab[i] / t_lme4[i]`` cancels slow drift,
and the reversal cancels a linear trend within a pair as well.

Each engine's runner times *itself* and returns the seconds spent in the fit only:
Python engines with :func:`time.perf_counter` around the call, R engines inside R
(see :mod:`mixedlab.bench._r`), so data conversion is never part of a time.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

__all__ = ["FitRecord", "EngineRun", "Runner", "interleave", "summarize", "pairwise_ratios"]


@dataclass
class FitRecord:
    """One timed fit: seconds spent fitting, the objective reached, engine extras."""

    seconds: float
    objective: float | None
    info: dict = field(default_factory=dict)


Runner = Callable[[], FitRecord]


@dataclass
class EngineRun:
    """All timed fits of one engine on one case.

    ``times[i]`` belongs to round ``i``; rounds an engine did not take part in (it
    ran fewer repeats, or failed) are absent, so ``rounds`` records which they are.
    """

    engine: str
    times: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    records: list[FitRecord] = field(default_factory=list)
    warmup_seconds: float | None = None
    error: str | None = None

    @property
    def last(self) -> FitRecord | None:
        """The last successful fit (its objective is what the agreement check uses)."""
        return self.records[-1] if self.records else None


def _call(run: EngineRun, runner: Runner) -> FitRecord | None:
    """Run once; on an exception record its message on ``run`` and return None."""
    try:
        return runner()
    except Exception as exc:  # any engine failure is reported, never fatal to the benchmark
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        run.error = last
        return None


def interleave(
    runners: Mapping[str, Runner],
    repeats: Mapping[str, int],
    warmup: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, EngineRun]:
    """Time every engine ``repeats[engine]`` times, round by round.

    Parameters
    ----------
    runners
        Engine name -> callable performing one fit and returning its :class:`FitRecord`.
        The mapping's order is the order of even rounds; odd rounds reverse it.
    repeats
        Engine name -> number of timed fits. Round ``i`` includes the engines with
        ``repeats > i``.
    warmup
        Fit each engine once, untimed, before the first round.
    progress
        Called with a short message after each fit (for a progress line).

    Returns
    -------
    dict
        Engine name -> :class:`EngineRun`. An engine that raises is recorded with its
        error message and takes no further part.
    """
    runs = {name: EngineRun(name) for name in runners}
    if warmup:
        for name, runner in runners.items():
            record = _call(runs[name], runner)
            if record is not None:
                runs[name].warmup_seconds = record.seconds
            if progress:
                progress(f"warm-up {name}")
    n_rounds = max((repeats.get(name, 0) for name in runners), default=0)
    order = list(runners)
    for i in range(n_rounds):
        for name in order if i % 2 == 0 else order[::-1]:
            run = runs[name]
            if run.error is not None or repeats.get(name, 0) <= i:
                continue
            record = _call(run, runners[name])
            if record is None:
                continue
            run.times.append(record.seconds)
            run.rounds.append(i)
            run.records.append(record)
            if progress:
                progress(f"round {i + 1}/{n_rounds} {name} {record.seconds:.3g}s")
    return runs


def summarize(values: list[float]) -> dict[str, float | int] | None:
    """Median, quartiles (numpy's linear interpolation), min and max of ``values``.

    Returns None for an empty list.
    """
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    q1, median, q3 = np.percentile(arr, [25, 50, 75])
    return {
        "n": int(arr.size),
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(arr.min()),
        "max": float(arr.max()),
    }


def pairwise_ratios(numerator: EngineRun, denominator: EngineRun) -> list[float]:
    """Ratios ``numerator / denominator`` of fits taken in the same round."""
    by_round = dict(zip(denominator.rounds, denominator.times))
    return [t / by_round[r] for r, t in zip(numerator.rounds, numerator.times) if r in by_round and by_round[r] > 0]
