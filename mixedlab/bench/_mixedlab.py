"""mixedlab's own fit, timed the same way as the other Python engine.

The timed region is ``mixedlab.lmer(formula, data, REML=...)``: parsing, model
frame, design matrices, optimisation and packaging of the result, the same work
``lme4::lmer`` does between formula and fitted object.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd

from mixedlab.bench._timing import FitRecord

__all__ = ["mixedlab_available", "fit_mixedlab", "fit_mixedlab_glmer", "fit_mixedlab_tmb"]


def mixedlab_available() -> str | None:
    """None when ``mixedlab.lmer`` can be imported, else the reason it cannot."""
    try:
        from mixedlab import lmer  # noqa: F401
    except ImportError as exc:
        return f"mixedlab.lmer is not importable: {exc}"
    return None


def _timed(call: Callable[[], Any]) -> tuple[Any, float, list[str]]:
    """Run ``call`` once under ``perf_counter``: ``(fit, seconds, messages)``.

    Warnings are recorded rather than shown; ``messages`` holds the distinct first lines.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        fit = call()
        seconds = time.perf_counter() - start
    return fit, seconds, sorted({str(w.message).splitlines()[0] for w in caught})


def fit_mixedlab(formula: str, frame: pd.DataFrame, reml: bool) -> FitRecord:
    """Fit once with ``mixedlab.lmer``, timed with ``perf_counter``; warnings are recorded."""
    from mixedlab import lmer

    fit, seconds, messages = _timed(lambda: lmer(formula, frame, REML=reml))
    optinfo = getattr(fit, "optinfo", {}) or {}
    return FitRecord(
        seconds=seconds,
        objective=float(fit.objective),
        info={
            "theta": [float(v) for v in np.asarray(fit.theta, dtype=float).ravel()],
            "n_evals": optinfo.get("n_evals"),
            "converged": optinfo.get("converged"),
            "messages": messages,
        },
    )


def fit_mixedlab_glmer(formula: str, frame: pd.DataFrame, family: str, nAGQ: int = 1) -> FitRecord:
    """Fit once with ``mixedlab.glmer`` (``family`` an R family expression), timed like :func:`fit_mixedlab`."""
    from mixedlab import families, glmer

    fam = families.from_r(family)
    fit, seconds, messages = _timed(lambda: glmer(formula, frame, family=fam, nAGQ=nAGQ, data_name="data"))
    optinfo = getattr(fit, "optinfo", {}) or {}
    return FitRecord(
        seconds=seconds,
        objective=float(fit.objective),
        info={
            "theta": [float(v) for v in np.asarray(fit.theta, dtype=float).ravel()],
            "fixef": [float(v) for v in fit.fixef.to_numpy()],
            "n_evals": optinfo.get("n_evals"),
            "converged": optinfo.get("converged"),
            "messages": messages,
        },
    )


def fit_mixedlab_tmb(formula: str, frame: pd.DataFrame, family: str, ziformula: str,
                     dispformula: str) -> FitRecord:
    """Fit once with ``mixedlab.glmmtmb``; ``family`` is glmmTMB's R expression
    (``"nbinom2"``, ``"beta_family()"``). The timed region is the whole call: model frame,
    designs, optimisation, the Hessian and standard errors (glmmTMB's ``sdreport``)."""
    from mixedlab import glmmtmb

    name = family.split("(")[0].strip()
    fit, seconds, messages = _timed(
        lambda: glmmtmb(formula, frame, family=name, ziformula=ziformula, dispformula=dispformula))
    return FitRecord(
        seconds=seconds,
        objective=float(fit.objective),
        info={
            "theta": [float(v) for v in fit.theta],
            "n_evals": fit.optinfo.get("n_fn"),
            "converged": fit.optinfo.get("converged"),
            "messages": messages,
        },
    )
