"""``isSingular``: is a fitted model on the boundary of its parameter space?

lme4's singular-fit message says "see help('isSingular')"; in Python that help page is
:func:`isSingular`'s docstring (``help(mixedlab.isSingular)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedlab._errors import ArgumentError, ModelSpecificationError

__all__ = ["isSingular"]


def isSingular(fit: Any, tol: float = 1e-4) -> bool:
    """Whether a fit is singular: some θ with a lower bound of 0 is below ``tol`` (lme4's rule).

    What it means
    -------------
    The random-effects covariance matrix of the fit is singular: it has a direction with
    variance zero. For a single random intercept, its standard deviation is estimated as
    exactly 0; for a term with an intercept and a slope, one standard deviation is 0 or the
    estimated correlation is exactly +1 or -1. Nothing went wrong numerically: the best
    estimate lies on the boundary of the parameter space, usually because the data carry too
    little information about between-group variation (few groups, few observations per
    group, a true variance that is small or zero).

    What to do
    ----------
    - Treat the random-effects structure as richer than the data support. A simpler model
      (drop the correlation with ``(x || g)``, drop a random slope, or drop a term whose
      standard deviation is 0) usually fits as well and is easier to interpret.
    - A singular fit is not wrong by itself: its fixed effects and the non-zero variances are
      still the maximum-likelihood (or REML) estimates. Likelihood-ratio tests of variance
      components on the boundary are conservative.
    - Small-variance components need many groups to be estimated; more observations per
      group alone do not help much.

    Parameters
    ----------
    fit : LmerFit
        A fitted model (anything with ``theta`` and ``lower``, lme4's ``getME(m, "theta")``
        and ``getME(m, "lower")``).
    tol : float
        Threshold below which a bounded θ counts as zero (lme4's default ``1e-4``).

    Returns
    -------
    bool
        ``fit.is_singular`` for the default ``tol``.

    Examples
    --------
    >>> import mixedlab
    >>> fit = mixedlab.lmer("Yield ~ 1 + (1 | Batch)", mixedlab.datasets.dyestuff2())  # doctest: +SKIP
    boundary (singular) fit: see help('isSingular')
    >>> mixedlab.isSingular(fit)  # doctest: +SKIP
    True
    """
    if not (hasattr(fit, "theta") and hasattr(fit, "lower")):
        raise ModelSpecificationError(f"isSingular needs a fitted model (from mixedlab.lmer, glmer or glmer_nb), "
                                      f"not {type(fit).__name__}")
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, (int, float, np.integer, np.floating)) \
            or not np.isfinite(tol) or tol < 0:
        raise ArgumentError(f"tol must be a non-negative number (lme4's default 1e-4), not {tol!r}")
    theta = np.asarray(fit.theta, dtype=float)
    lower = np.asarray(fit.lower, dtype=float)
    return bool(np.any(theta[lower == 0] < tol))
