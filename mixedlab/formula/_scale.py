"""lme4's ``checkScaleX`` (``lmerControl(check.scaleX = "warning")``) on the fixed-effects matrix.

lme4 1.1-31 (R/checkConv.R) takes the columns of X that are not all 0/1, their standard
deviations ``sd`` (n - 1 denominator), and warns when any ``|log(sd)|`` or any
``|log(sd_i / sd_j)|`` exceeds ``log(1000)``: "Some predictor variables are on very
different scales: consider rescaling". A constant non-0/1 column has sd 0, which counts
(``|log 0| = Inf``). The check runs on X after rank-deficient columns were dropped.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SCALE_MESSAGE", "scale_problem"]

SCALE_MESSAGE = "Some predictor variables are on very different scales: consider rescaling"
_TOL = 1e3


def scale_problem(X: np.ndarray, names: list[str]) -> str | None:
    """The columns behind lme4's scale warning (e.g. ``"'D' (SD 2.9e+03)"``), or None.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, p)
        The fixed-effects model matrix as fitted.
    names : list of str
        Its column names.
    """
    if X.shape[0] < 2 or X.shape[1] == 0:
        return None  # sd of one value is NA in R: no comparison is TRUE
    cont = ~np.all((X == 0.0) | (X == 1.0), axis=0)
    if not cont.any():
        return None
    sd = X[:, cont].std(axis=0, ddof=1)
    cnames = [nm for nm, c in zip(names, cont) if c]
    limit = math.log(_TOL)
    with np.errstate(divide="ignore", invalid="ignore"):
        logsd = np.abs(np.log(sd))
        ratios = np.abs(np.log(sd[:, None] / sd[None, :]))
    bad = logsd > limit
    if not (bad.any() or (ratios > limit).any()):
        return None
    # name the columns that are off scale (or, for a ratio alone, the extremes)
    if not bad.any():
        bad = np.zeros(sd.size, dtype=bool)
        bad[[int(np.argmin(sd)), int(np.argmax(sd))]] = True
    return ", ".join(f"{nm!r} (SD {s:.2g})" for nm, s, b in zip(cnames, sd, bad) if b)
