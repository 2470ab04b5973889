"""glmmTMB's printed summary, character for character (``print(summary(m))``, 1.1.5).

``print.summary.glmmTMB`` (``R/glmmTMB.R``) writes, with ``digits = 4``:

* `` Family: nbinom2  ( log )`` (lme4's ``.prt.family``);
* ``.prt.call.glmmTMB`` (``R/methods.R``): ``Formula:`` followed by nine spaces,
  ``Zero inflation:`` / ``Dispersion:`` (when not ``~0`` / ``~1``) followed by
  ``nchar(response) + 2`` more spaces so the one-sided formula sits under the ``~``,
  ``Data:``, ``Weights:``, `` Offset:``;
* the AIC/BIC/logLik/deviance/df.resid table (``deviance`` is −2 logLik in 1.1.5);
* ``Random effects:`` with, per component, ``Conditional model:`` /
  ``Zero-inflation model:``, glmmTMB's ``formatVC`` table (variances and standard
  deviations; a ``Residual`` row only for the gaussian family) and ``.prt.grps``;
* the dispersion line when ``dispformula`` is ``~1`` (``printDispersion``:
  ``formatC(x, digits = 3)``);
* one ``printCoefmat(zap.ind = 3)`` table per non-trivial component, always with z
  values and ``Pr(>|z|)``, significance stars and their legend.

No title line and no scaled residuals. Every number goes through
:mod:`mixedlab.reporting.rformat`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from mixedlab.reporting._aictab import aictab_cells
from mixedlab.reporting._coefmat import SIGNIF_LEGEND, format_coefmat
from mixedlab.reporting._html import _STYLE, _table
from mixedlab.reporting._messages import missingness_note
from mixedlab.reporting._varcorr import varcorr_table
from mixedlab.reporting.rformat import (
    cat_fill,
    deparse_formula,
    format_cat_number,
    print_matrix,
    print_named_vector,
)

__all__ = ["TmbSummary", "coef_table", "COMPONENT_NAMES"]

_DIGITS = 4  # max(3, getOption("digits") - 3)

#: glmmTMB's ``cNames``.
COMPONENT_NAMES = {"cond": "Conditional model", "zi": "Zero-inflation model",
                   "disp": "Dispersion model"}


def coef_table(est: np.ndarray, se: np.ndarray, digits: int = _DIGITS
               ) -> tuple[list[str], list[list[str]], bool]:
    """``printCoefmat(cbind(Estimate, Std. Error, z value, Pr(>|z|)), zap.ind = 3)`` cells.

    Returns the column labels, the cells (with a stars column when any p < 0.1) and
    whether the stars legend follows.
    """
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
        pv = 2.0 * special.ndtr(-np.abs(z))
    cells, cols, stars = format_coefmat(np.column_stack([est, se, z, pv]), [""] * est.size,
                                        ["Estimate", "Std. Error", "z value", "Pr(>|z|)"], digits,
                                        zap_ind=[2])
    return cols, cells, stars


@dataclass
class _TmbParts:
    family_line: str
    call_lines: list[str]
    aic_names: list[str]
    aic_cells: list[str]
    random: list[tuple[str, list[str], list[list[str]], str]] = field(default_factory=list)
    dispersion: str | None = None
    coefs: list[tuple[str, list[str], list[str], list[list[str]], bool]] = field(default_factory=list)
    n_dropped: int = 0
    warnings: list[str] = field(default_factory=list)


def _call_lines(fit: Any) -> list[str]:
    """``.prt.call.glmmTMB``."""
    out: list[str] = []
    flines = deparse_formula(str(fit.formula))
    out += cat_fill(["Formula:         ", *flines])
    pass_ = len(str(fit.response_name))
    zi = deparse_formula(str(fit.ziformula))
    if " ".join(zi) != "~0":
        out += cat_fill(["Zero inflation:  " + " " * (pass_ + 2) + " ".join(zi)])
    disp = deparse_formula(str(fit.dispformula))
    if " ".join(disp) != "~1":
        out += cat_fill(["Dispersion:      " + " " * (pass_ + 2) + " ".join(disp)])
    if getattr(fit, "data_name", None):
        out += cat_fill(["Data:", str(fit.data_name)])
    if getattr(fit, "weights_name", None):
        out += cat_fill(["Weights:", str(fit.weights_name)])
    if getattr(fit, "offset_name", None):
        out += cat_fill([" Offset:", str(fit.offset_name)])
    return out


class TmbSummary:
    """glmmTMB's ``summary(m)`` of a :class:`~mixedlab.TmbFit`.

    ``str(summary)`` is the text ``print(summary(m))`` writes in R (width 80); in Jupyter
    the same cells are shown as HTML tables.
    """

    def __init__(self, fit: Any, digits: int = _DIGITS) -> None:
        self.fit = fit
        self.digits = int(digits)
        self.parts = self._build()

    def _build(self) -> _TmbParts:
        fit, digits = self.fit, self.digits
        cells = aictab_cells([fit.aic, fit.bic, fit.loglik, fit.deviance, fit.df_resid], 1, na="NA")
        parts = _TmbParts(
            family_line=f" Family: {fit.family_name}  ( {fit.link} )",
            call_lines=_call_lines(fit),
            aic_names=["AIC", "BIC", "logLik", "deviance", "df.resid"],
            aic_cells=cells,
            n_dropped=int(getattr(fit, "n_dropped_na", 0) or 0),
        )
        for comp, vc, ng in (("cond", fit.varcorr, fit.ngroups), ("zi", fit.varcorr_zi, fit.ngroups_zi)):
            if vc is None or len(vc) == 0 or not ng:
                continue
            cols, vcells = varcorr_table(vc, digits, ("Variance", "Std.Dev."))
            if "Corr" in cols:
                # glmmTMB's formatCor keeps maxlen correlation columns, the last one empty
                cols = cols + [""]
                vcells = [row + [""] for row in vcells]
            grps = "; ".join(f"{n}, {format_cat_number(float(k), 15)}" for n, k in ng.items())
            parts.random.append((COMPONENT_NAMES[comp], cols, vcells, grps))
        if fit.uses_dispersion and fit.trivial_dispersion:
            parts.dispersion = fit.family.dispersion_line(float(fit.sigma))
        for comp, fe, se in (("cond", fit.fixef, fit.se), ("zi", fit.fixef_zi, fit.se_zi),
                             ("disp", fit.fixef_disp, fit.se_disp)):
            names = [str(n) for n in fe.index]
            if not names or (comp == "disp" and names == ["(Intercept)"]):
                continue  # glmmTMB's trivialFixef
            cols, ccells, stars = coef_table(fe.to_numpy(float),
                                             pd.Series(se).reindex(fe.index).to_numpy(float), digits)
            parts.coefs.append((COMPONENT_NAMES[comp], names, cols, ccells, stars))
        parts.warnings = list(getattr(fit, "fit_warnings", []) or [])
        return parts

    def lines(self) -> list[str]:
        """The printed lines, as R's ``capture.output(print(summary(m)))``."""
        p = self.parts
        out = [p.family_line]
        out += p.call_lines
        out.append("")
        out += print_named_vector(p.aic_cells, p.aic_names)
        out.append("")
        if p.random:
            out.append("Random effects:")
            for title, cols, cells, grps in p.random:
                out += ["", f"{title}:"]
                out += print_matrix(cells, [""] * len(cells), cols, right=False)
                out += cat_fill([f"Number of obs: {self.fit.nobs}, groups: ", grps])
        if p.n_dropped:
            out.append(missingness_note(p.n_dropped))
        if p.dispersion is not None:
            out += ["", p.dispersion]
        for title, names, cols, cells, stars in p.coefs:
            out += ["", f"{title}:"]
            out += print_matrix(cells, names, cols, right=True)
            if stars:
                out += ["---", SIGNIF_LEGEND]
        out += p.warnings
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        p = self.parts
        out = [_STYLE, '<div class="mixedlab-summary">', f"<p><b>{escape(p.family_line.strip())}</b><br>"]
        out.append("<br>".join(f"<code>{escape(s)}</code>" for s in p.call_lines))
        out.append("</p>")
        out.append(_table("Model fit", p.aic_names, [p.aic_cells]))
        for title, cols, cells, grps in p.random:
            out.append(_table(f"Random effects: {title}", cols, cells, numeric_from=2))
            out.append(f"<p>Number of obs: {self.fit.nobs}, groups: {escape(grps)}</p>")
        if p.n_dropped:
            out.append(f"<p>{missingness_note(p.n_dropped)}</p>")
        if p.dispersion is not None:
            out.append(f"<p>{escape(p.dispersion)}</p>")
        for title, names, cols, cells, stars in p.coefs:
            out.append(_table(title, cols, cells, rownames=names))
        if p.coefs and any(c[4] for c in p.coefs):
            out.append(f"<p class='msg'>{escape(SIGNIF_LEGEND)}</p>")
        if p.warnings:
            out.append("<p class='msg'>" + "<br>".join(escape(w) for w in p.warnings) + "</p>")
        out.append("</div>")
        return "".join(out)
