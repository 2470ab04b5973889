"""lme4's short print of a fitted model: what R shows for ``m`` or ``print(m)``.

``print.merMod`` (lme4 1.1-31) writes the title, the call (``.prt.call(long = FALSE)``), the
criterion with 4 decimals (``.prt.aictab(AICtab, 4)``), the random-effects standard deviations
and correlations (``.prt.VC``, ``digits = 4``), the group sizes, the fixed effects as a named
vector (``print.default(format(fixef(m), digits = 4), print.gap = 2)``) and a one-line
convergence note (``.prt.warn(summary = FALSE)``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixedlab.reporting._aictab import aictab_cells
from mixedlab.reporting._summary import LmerSummary, _ngrps, conv_status, optimizer_name
from mixedlab.reporting._varcorr import varcorr_table
from mixedlab.reporting.rformat import (
    cat_fill,
    format_cat_number,
    format_num,
    print_matrix,
    print_named_vector,
    r_round,
)

__all__ = ["print_lines", "merMod_print_body"]

_PRINT_DIGITS = 4  # print.merMod's digits = max(3, getOption("digits") - 3)


def print_lines(fit: Any, digits: int = _PRINT_DIGITS) -> list[str]:
    """The lines of R's ``print(m)`` for a fitted linear mixed model."""
    parts = LmerSummary(fit, show_resids=False).parts
    out = [parts.title]
    out += cat_fill(["Formula:", *parts.formula_lines])
    if parts.data_name:
        out += cat_fill(["   Data:", str(parts.data_name)])
    if fit.REML:
        out += cat_fill(["REML criterion at convergence:", format_cat_number(r_round(float(fit.objective), 4))])
    else:
        cells = aictab_cells([fit.aic, fit.bic, fit.loglik, fit.deviance, fit.df_resid], 4)
        out += print_named_vector(cells, ["AIC", "BIC", "logLik", "deviance", "df.resid"])
    return out + merMod_print_body(fit, digits)


def merMod_print_body(fit: Any, digits: int = _PRINT_DIGITS) -> list[str]:
    """What ``print.merMod`` writes after the criterion, for an LMM and a GLMM alike.

    The random-effect standard deviations (``.prt.VC``), the group sizes (``.prt.grps``), the
    fixed effects as a named vector and the one-line convergence note (``.prt.warn``).
    """
    out = ["Random effects:"]
    colnames, cells = varcorr_table(fit.varcorr, digits, ("Std.Dev.",))
    out += print_matrix(cells, [""] * len(cells), colnames, right=False)
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
        # cat(sprintf(...), "\n") leaves a blank before the line end, as R prints it
        out.append(f"optimizer ({optimizer_name(fit)}) convergence code: {cc} ({text}) ; "
                   f"{len(opt_warnings)} optimizer warnings; {len(lme4_msgs)} lme4 warnings ")
    return out
