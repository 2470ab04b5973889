"""lme4's printed summary of a GLMM (``print(summary(m))`` for a ``glmerMod``), character for character.

Differences from the lmer summary (:mod:`mixedlab.reporting._summary`), from lme4 1.1-31's
``print.summary.merMod``:

* title ``Generalized linear mixed model fit by maximum likelihood (Laplace Approximation)``
  (or ``(Adaptive Gauss-Hermite Quadrature, nAGQ = k)``) with the class ``[glmerMod]``,
  wrapped by ``strwrap(width - 2, exdent = 2)`` when too long for the line (``.prt.methTit``);
* `` Family: binomial  ( logit )`` (``.prt.family``); ``Weights:``/`` Offset:`` lines;
* always the AIC/BIC/logLik/deviance/df.resid table;
* no Residual row in the random effects unless the family has a scale;
* ``z value`` (``t value`` when it has a scale) and ``Pr(>|z|)`` with significance stars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from mixedlab.reporting._aictab import aictab_cells
from mixedlab.reporting._coefmat import SIGNIF_LEGEND, format_coefmat, significance_stars
from mixedlab.reporting._summary import LmerSummary, _cor_cells, _conv_lines, _ngrps, _Parts, \
    _residuals_scaled, COR_MAX
from mixedlab.reporting._varcorr import varcorr_table
from mixedlab.reporting.rformat import (
    cat_fill,
    deparse_formula,
    format_cat_number,
    format_num,
    print_matrix,
    print_named_vector,
    quantile7,
    zapsmall,
)

__all__ = ["GlmerSummary", "glmer_title"]

_WIDTH = 80


def glmer_title(nAGQ: int) -> str:
    """lme4's ``methTitle`` for a GLMM."""
    what = "(Laplace Approximation)" if nAGQ == 1 else f"(Adaptive Gauss-Hermite Quadrature, nAGQ = {nAGQ})"
    return f"Generalized linear mixed model fit by maximum likelihood {what}"


def _strwrap(text: str, width: int, exdent: int) -> list[str]:
    """R's ``strwrap(x, width, exdent)`` for one paragraph of single-spaced words."""
    words = text.split()
    lines: list[str] = []
    cur = ""
    limit = width - 1  # strwrap breaks so that lines are < width
    for w in words:
        pad = " " * exdent if lines else ""
        if not cur:
            cur = pad + w
        elif len(cur) + 1 + len(w) <= limit:
            cur += " " + w
        else:
            lines.append(cur)
            cur = " " * exdent + w
    if cur:
        lines.append(cur)
    return lines


def _title_lines(title: str, cls: str = "glmerMod") -> list[str]:
    """``.prt.methTit``: one line with ``['glmerMod']`` when it fits, else wrapped with ``[glmerMod]``."""
    if len(title) + 5 + len(cls) <= _WIDTH:
        return [f"{title} ['{cls}']"]
    lines = _strwrap(title, _WIDTH - 2, 2)
    lines[-1] = lines[-1] + f" [{cls}]"
    return lines


class GlmerSummary(LmerSummary):
    """lme4's ``summary(m)`` for a fitted :class:`~mixedlab.GlmerFit` (see the module docstring)."""

    def _build(self) -> _Parts:
        fit, digits = self.fit, self.digits
        parts = _Parts(title=glmer_title(fit.nAGQ), formula_lines=deparse_formula(str(fit.formula)),
                       data_name=getattr(fit, "data_name", None), criterion=None)
        cells = aictab_cells([fit.aic, fit.bic, fit.loglik, fit.objective, fit.df_resid], 1)
        parts.aic_names = ["AIC", "BIC", "logLik", "deviance", "df.resid"]
        parts.aic_cells = cells
        if self.show_resids:
            rq = zapsmall(quantile7(_residuals_scaled(fit)), digits + 1)
            parts.resid_names = ["Min", "1Q", "Median", "3Q", "Max"]
            parts.resid_cells = format_num(rq, digits)
        parts.vc_colnames, parts.vc_cells = varcorr_table(fit.varcorr, digits, self.ranef_comp)
        parts.nobs = int(fit.nobs)
        parts.n_dropped = int(getattr(fit, "n_dropped_na", 0) or 0)
        parts.ngrps = [(n, format_cat_number(float(k), 15)) for n, k in _ngrps(fit)]
        fixef = pd.Series(fit.fixef)
        p = len(fixef)
        if p > 0:
            names = [str(n) for n in fixef.index]
            est = fixef.to_numpy(dtype=float)
            se = pd.Series(fit.se).reindex(fixef.index).to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                stat_value = est / se
                pv = 2.0 * special.ndtr(-np.abs(stat_value))
            stat = "t value" if fit.family.has_scale else "z value"
            cols = ["Estimate", "Std. Error", stat, "Pr(>|z|)"]
            # the stars column is kept in the parts (blank codes when none is shown)
            cf, _, _ = format_coefmat(np.column_stack([est, se, stat_value, pv]), names, cols, digits,
                                      signif_stars=False)
            parts.coef_rownames = names
            parts.coef_colnames = cols + [""]
            parts.coef_cells = [row + [significance_stars(v)] for row, v in zip(cf, pv)]
            show = self.correlation
            if show is None:
                show = p <= COR_MAX
                parts.cor_suppressed = p > COR_MAX
            if show and p > 1:
                vc = pd.DataFrame(fit.vcov).reindex(index=fixef.index, columns=fixef.index)
                parts.cor = _cor_cells(vc.to_numpy(dtype=float), names)
        parts.fit_msgs, parts.conv_lines = _conv_lines(fit)
        parts.header = [("Family", f"{fit.family_label} ( {fit.link} )")]
        for label, name in (("Weights", "weights_name"), ("Offset", "offset_name")):
            if getattr(fit, name, None):
                parts.header.append((label, str(getattr(fit, name))))
        return parts

    def lines(self) -> list[str]:
        """The printed lines, as R's ``capture.output(print(summary(m)))``."""
        p, fit = self.parts, self.fit
        out = _title_lines(p.title)
        out.append(f" Family: {fit.family_label}  ( {fit.link} )")
        out += cat_fill(["Formula:", *p.formula_lines])
        if p.data_name:
            out += cat_fill(["   Data:", str(p.data_name)])
        if getattr(fit, "weights_name", None):
            out += cat_fill(["Weights:", str(fit.weights_name)])
        if getattr(fit, "offset_name", None):
            out += cat_fill([" Offset:", str(fit.offset_name)])
        out.append("")
        out += print_named_vector(p.aic_cells, p.aic_names)
        out.append("")
        if self.show_resids:
            out.append("Scaled residuals: ")
            out += print_named_vector(p.resid_cells, p.resid_names)
            out.append("")
        out.append("Random effects:")
        out += print_matrix(p.vc_cells, [""] * len(p.vc_cells), p.vc_colnames, right=False)
        grps = "; ".join(f"{n}, {k}" for n, k in p.ngrps)
        out += cat_fill([f"Number of obs: {p.nobs}, groups: ", grps])
        if p.coef_cells:
            out += ["", "Fixed effects:"]
            stars = [r[4] for r in p.coef_cells]
            body = print_matrix([r[:4] for r in p.coef_cells], p.coef_rownames, p.coef_colnames[:4], right=True)
            if any(s.strip() for s in stars):
                # printCoefmat's left-justified stars column (empty header) and legend
                w = max(len(s) for s in stars)
                body = [body[0] + " " * (w + 1)] + [ln + " " + st.ljust(w) for ln, st in zip(body[1:], stars)]
                out += body + ["---", SIGNIF_LEGEND]
            else:
                out += body
            if p.cor is not None:
                rn, cn, cells = p.cor
                out += ["", "Correlation of Fixed Effects:"]
                out += print_matrix(cells, rn, cn, right=False)
        if p.fit_msgs:
            out.append("fit warnings:")
            out += p.fit_msgs
        out += p.conv_lines
        return out
