"""statsmodels MixedLM on the cases it can express (see :class:`~mixedlab.bench._models.StatsmodelsSpec`).

The timed region covers model construction from the formula and the fit, the same
work ``lmer`` does from formula to optimum. MixedLM's defaults are kept (its
gradient optimisers in order bfgs, lbfgs, cg). The objective reported is
``-2 * llf``; for a REML fit statsmodels' ``llf`` is the restricted log-likelihood,
comparable with lme4's REML criterion.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from mixedlab.bench._models import StatsmodelsSpec
from mixedlab.bench._timing import FitRecord

__all__ = ["statsmodels_version", "fit_statsmodels"]


def statsmodels_version() -> str | None:
    """Installed statsmodels version, or None when it cannot be imported."""
    try:
        import statsmodels
    except ImportError:
        return None
    return str(statsmodels.__version__)


def fit_statsmodels(spec: StatsmodelsSpec, frame: pd.DataFrame, reml: bool) -> FitRecord:
    """Build and fit the MixedLM model of ``spec`` once, timed with ``perf_counter``.

    For ``spec.groups is None`` every row is put in one group, via a constant
    column added to a copy of ``frame`` before the clock starts.
    """
    import statsmodels.formula.api as smf

    data = frame
    groups = spec.groups
    if groups is None:
        data = frame.assign(_one_group=np.zeros(len(frame), dtype=np.int8))
        groups = "_one_group"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model = smf.mixedlm(
            spec.formula, data, groups=groups, re_formula=spec.re_formula, vc_formula=spec.vc_formula
        )
        result = model.fit(reml=reml)
        seconds = time.perf_counter() - start
    return FitRecord(
        seconds=seconds,
        objective=float(-2.0 * result.llf),
        info={
            "converged": bool(result.converged),
            "messages": sorted({str(w.message).splitlines()[0] for w in caught}),
        },
    )
