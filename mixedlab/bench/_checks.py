"""Pass/fail judgements: does mixedlab's answer agree with lme4's, are targets met.

Agreement rule (issue 6, docs PARITY.md): mixedlab's objective (REML criterion or
ML deviance) must be within ``OBJECTIVE_TOL`` of lme4's, or lower — a lower
criterion is a better optimum of the same function, never a failure. A fast wrong
fit fails the benchmark. Targets are goals, shown beside the figures; they fail
the run only with ``--strict-targets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mixedlab.bench._models import Target

__all__ = ["OBJECTIVE_TOL", "Agreement", "check_agreement", "TargetCheck", "check_target"]

#: Largest |mixedlab − lme4| objective difference accepted as "the same optimum".
OBJECTIVE_TOL = 1e-4


@dataclass(frozen=True)
class Agreement:
    """Outcome of comparing mixedlab's objective with the reference engine's."""

    status: Literal["ok", "lower", "FAIL", "unchecked"]
    reference: str | None
    difference: float | None
    note: str = ""

    @property
    def failed(self) -> bool:
        """True only for a definite disagreement (or a failed mixedlab fit)."""
        return self.status == "FAIL"


def check_agreement(
    mixedlab_objective: float | None,
    references: dict[str, float | None],
    mixedlab_error: str | None = None,
) -> Agreement:
    """Compare mixedlab's objective with lme4's (glmmTMB's when lme4 did not run).

    Parameters
    ----------
    mixedlab_objective
        Objective of mixedlab's fit, None when mixedlab did not fit.
    references
        Engine -> objective for the reference engines that fitted (lme4 first).
    mixedlab_error
        mixedlab's error message when its fit raised: that is a failure.
    """
    if mixedlab_error is not None or mixedlab_objective is None:
        return Agreement("FAIL", None, None, f"mixedlab did not fit: {mixedlab_error or 'not run'}")
    for engine in ("lme4", "glmmTMB"):
        ref = references.get(engine)
        if ref is None:
            continue
        diff = mixedlab_objective - ref
        if abs(diff) <= OBJECTIVE_TOL:
            return Agreement("ok", engine, diff)
        if diff < 0:
            return Agreement("lower", engine, diff, f"mixedlab's objective is lower than {engine}'s by {-diff:.3g}")
        return Agreement("FAIL", engine, diff, f"mixedlab's objective exceeds {engine}'s by {diff:.3g}")
    return Agreement("unchecked", None, None, "no reference engine ran on this case")


@dataclass(frozen=True)
class TargetCheck:
    """A target and whether the measured value meets it (None: not measured)."""

    target: Target
    value: float | None
    met: bool | None
    void: bool = False


def check_target(
    target: Target,
    ratio: float | None,
    seconds: float | None,
    memory_mb: float | None,
    answer_failed: bool = False,
    peer_ratio: float | None = None,
) -> TargetCheck:
    """Evaluate ``target`` against the case's median ratio, median time, peak memory or ratio to
    the fastest peer.

    With ``answer_failed`` (mixedlab's objective disagrees with lme4's) the target
    is missed whatever the figure: a fast wrong fit meets no goal.
    """
    value = {"ratio": ratio, "seconds": seconds, "memory_mb": memory_mb, "peer_ratio": peer_ratio}[target.kind]
    if answer_failed:
        return TargetCheck(target, value, False, void=True)
    if value is None:
        return TargetCheck(target, None, None)
    met = value < target.limit if target.kind == "memory_mb" else value <= target.limit
    return TargetCheck(target, value, met)
