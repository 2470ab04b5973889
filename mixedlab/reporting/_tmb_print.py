"""glmmTMB's short print of a fitted model: what R shows for ``m`` or ``print(m)`` (1.1.5).

``print.glmmTMB`` (``R/methods.R``, ``digits = 4``) writes no family line; it writes:

* the call (``.prt.call.glmmTMB``: ``Formula:``, ``Zero inflation:``, ``Dispersion:``,
  ``Data:``, ``Weights:``, `` Offset:``), as the summary does;
* ``c(AIC, BIC, logLik, df.resid)`` through ``.prt.aictab(digits = 5)`` (rounded to 5
  decimals, formatted together, ``df.resid`` on its own);
* ``Random-effects (co)variances:`` and ``print(VarCorr(m), digits = 4, comp = "Std.Dev.")``
  per component (a blank line, ``Conditional model:``, the table);
* ``cat(paste("\\nNumber of obs: n", "Conditional model: g, L", ..., sep = " / "), fill = TRUE)``;
* the dispersion line for ``dispformula = ~1`` (``printDispersion``) and the Tweedie power
  (``printFamily``: ``Tweedie power estimate: 1.6``);
* ``\\nFixed Effects:`` and ``print(fixef(m))``: per non-trivial component a blank line, its
  name and ``print.default(format(x, digits = 4), print.gap = 2, quote = FALSE)``.
"""

from __future__ import annotations

from typing import Any

from scipy import special

from mixedlab.reporting._aictab import aictab_cells
from mixedlab.reporting._tmb_summary import COMPONENT_NAMES, _call_lines
from mixedlab.reporting._varcorr import varcorr_table
from mixedlab.reporting.rformat import (
    cat_fill,
    format_cat_number,
    format_num,
    print_matrix,
    print_named_vector,
)

__all__ = ["tmb_print_lines"]

_DIGITS = 4  # print.glmmTMB's digits = max(3, getOption("digits") - 3)


def tmb_print_lines(fit: Any, digits: int = _DIGITS) -> list[str]:
    """The lines of R's ``print(m)`` for a glmmTMB fit (:class:`~mixedlab.TmbFit`)."""
    out = _call_lines(fit)
    cells = aictab_cells([fit.aic, fit.bic, fit.loglik, fit.df_resid], digits + 1, na="NA")
    out += print_named_vector(cells, ["AIC", "BIC", "logLik", "df.resid"])
    comps = [(c, vc) for c, vc, ng in (("cond", fit.varcorr, fit.ngroups),
                                       ("zi", fit.varcorr_zi, fit.ngroups_zi))
             if vc is not None and len(vc) and ng]
    if comps:
        out.append("Random-effects (co)variances:")
        for comp, vc in comps:
            cols, cells_vc = varcorr_table(vc, digits, ("Std.Dev.",))
            if "Corr" in cols:
                # glmmTMB's formatCor keeps maxlen correlation columns, the last one empty
                cols = cols + [""]
                cells_vc = [row + [""] for row in cells_vc]
            out += ["", f"{COMPONENT_NAMES[comp]}:"]
            out += print_matrix(cells_vc, [""] * len(cells_vc), cols, right=False)
    gvec = [f"Number of obs: {int(fit.nobs)}"]
    for comp, ng in (("cond", fit.ngroups), ("zi", fit.ngroups_zi)):
        if ng:
            gvec.append(f"{COMPONENT_NAMES[comp]}: " + "; ".join(
                f"{n}, {format_cat_number(float(k), 15)}" for n, k in ng.items()))
    # cat("\nNumber of obs ...", fill = TRUE): a blank line, then the text
    out += [""] + cat_fill([" / ".join(gvec)])
    if fit.uses_dispersion and fit.trivial_dispersion:
        out += ["", fit.family.dispersion_line(float(fit.sigma))]
    if fit.family_name == "tweedie" and fit.psi.size:
        power = 1.0 + float(special.expit(fit.psi[0]))
        out += ["", f"Tweedie power estimate: {power:4.3g} "]  # formatC(digits = 3)
    shown = [(c, fe) for c, fe in (("cond", fit.fixef), ("zi", fit.fixef_zi), ("disp", fit.fixef_disp))
             if len(fe) and not (c == "disp" and [str(n) for n in fe.index] == ["(Intercept)"])]
    if shown:
        out += ["", "Fixed Effects:"]
        for comp, fe in shown:
            out += ["", f"{COMPONENT_NAMES[comp]}:"]
            out += print_named_vector(format_num(fe.to_numpy(dtype=float), digits),
                                      [str(n) for n in fe.index], gap=2)
    else:
        out.append("No fixed effect coefficients")
    return out
