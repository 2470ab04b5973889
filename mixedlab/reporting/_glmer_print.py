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

from mixedlab.reporting._aictab import aictab_cells
from mixedlab.reporting._glmer_summary import _title_lines, glmer_title
from mixedlab.reporting._print import merMod_print_body
from mixedlab.reporting.rformat import (
    cat_fill,
    deparse_formula,
    print_named_vector,
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
    cells = aictab_cells([fit.aic, fit.bic, fit.loglik, fit.objective, fit.df_resid], 4)
    out += print_named_vector(cells, ["AIC", "BIC", "logLik", "deviance", "df.resid"])
    return out + merMod_print_body(fit, digits)
