"""lme4's short print of a fitted GLMM: what R shows for ``m`` or ``print(m)`` of a ``glmerMod``.

``print.merMod`` (lme4 1.1-31) for a GLMM: the title wrapped as ``.prt.methTit`` wraps it, the
``Family:`` line (``.prt.family``), ``Formula:``/``Data:``/``Weights:``/``Offset:``
(``.prt.call(long = FALSE)``), the AIC table with 4 decimals (``.prt.aictab(AICtab, 4)``, whose
"deviance" is −2 logLik), the random-effect standard deviations (``.prt.VC``, no Residual row
without a scale), the group sizes, the fixed effects as a named vector and a one-line
convergence note (``.prt.warn(summary = FALSE)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixedlab.reporting._glmer_summary import _title_lines, glmer_title
from mixedlab.reporting._summary import _ngrps, conv_status, optimizer_name
from mixedlab.reporting._varcorr import varcorr_table
from mixedlab.reporting.rformat import (
    cat_fill,
    deparse_formula,
    format_cat_number,
    format_num,
    print_matrix,
    print_named_vector,
    r_round,
)

__all__ = ["glmer_print_lines"]

_PRINT_DIGITS = 4  # print.merMod's digits = max(3, getOption("digits") - 3)


def glmer_print_lines(fit: Any, digits: int = _PRINT_DIGITS) -> list[str]:
    """The lines of R's ``print(m)`` for a fitted generalized linear mixed model."""
    out = _title_lines(glmer_title(fit.nAGQ))
    out.append(f" Family: {fit.family_label}  ( {fit.link} )")
    out += cat_fill(["Formula:", *deparse_formula(str(fit.formula))])
    for label, value in (("   Data:", getattr(fit, "data_name", None)),
                         ("Weights:", getattr(fit, "weights_name", None)),
                         (" Offset:", getattr(fit, "offset_name", None))):
        if value:
            out += cat_fill([label, str(value)])
    vals = np.array([fit.aic, fit.bic, fit.loglik, fit.objective, fit.df_resid], dtype=float)
    t4 = r_round(vals, 4)
    cells = format_num(t4)
    cells[4] = format_num(t4[4:])[0]
    out += print_named_vector(cells, ["AIC", "BIC", "logLik", "deviance", "df.resid"])
    out.append("Random effects:")
    colnames, vc_cells = varcorr_table(fit.varcorr, digits, ("Std.Dev.",))
    out += print_matrix(vc_cells, [""] * len(vc_cells), colnames, right=False)
    grps = "; ".join(f"{n}, {format_cat_number(float(k), 15)}" for n, k in _ngrps(fit))
    out += cat_fill([f"Number of obs: {int(fit.nobs)}, groups: ", grps])
    fixef = pd.Series(fit.fixef)
    if len(fixef):
        out.append("Fixed Effects:")
        out += print_named_vector(format_num(fixef.to_numpy(dtype=float), digits),
                                  [str(n) for n in fixef.index], gap=2)
    else:
        out.append("No fixed effect coefficients")
    cc, text, lme4_msgs, opt_warnings = conv_status(fit)
    if cc > 0 or lme4_msgs or opt_warnings:
        out.append(f"optimizer ({optimizer_name(fit)}) convergence code: {cc} ({text}) ; "
                   f"{len(opt_warnings)} optimizer warnings; {len(lme4_msgs)} lme4 warnings ")
    return out
