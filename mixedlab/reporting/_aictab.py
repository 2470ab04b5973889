"""``.prt.aictab`` (lme4 1.1-31; glmmTMB 1.1.5 calls the same): the AIC/BIC/logLik line's cells."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from mixedlab.reporting.rformat import format_num, r_round

__all__ = ["aictab_cells"]


def aictab_cells(values: Sequence[float], decimals: int, na: str = "NaN") -> list[str]:
    """``format(round(values, decimals))`` with the last value (``df.resid``) formatted on its own.

    R formats the criteria as one vector (one width, one number of decimals) and then
    ``df.resid``, an integer, separately so that it shows without decimals. ``na`` is how a
    missing value prints (glmmTMB's REML fits have no AIC: "NA").
    """
    rounded = r_round(np.asarray(values, dtype=float), decimals)
    cells = format_num(rounded, na=na)
    cells[-1] = format_num(rounded[-1:], na=na)[0]
    return cells
