"""lme4's printed summary of a linear mixed model, character for character.

:class:`LmerSummary` renders what R's ``print(summary(m))`` writes for an
``lmerMod`` (lme4 1.1-31, ``print.summary.merMod``):

* the title line (``methTitle``), ``Formula:``/``Data:`` (``.prt.call``),
* the REML criterion or, for ML fits, the AIC/BIC/logLik/deviance/df.resid
  table (``.prt.aictab``),
* the quantiles of the scaled Pearson residuals (``.prt.resids``),
* the random-effects table (``formatVC``) and the group sizes (``.prt.grps``),
* the fixed-effects table (``printCoefmat``),
* the correlation of the fixed effects (shown when 1 < p <= 12, lme4's
  ``lme4.summary.cor.max``),
* the fit warnings and the optimizer/convergence lines (``.prt.warn``).

:func:`format_varcorr` is ``print(VarCorr(m))``. Numbers go through
:mod:`mixedlab.reporting.rformat`, which reproduces R's ``format``/``round`` rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mixedlab.reporting._aictab import aictab_cells
from mixedlab.reporting._coefmat import format_coefmat
from mixedlab.reporting._html import summary_html
from mixedlab.reporting._messages import missingness_note
from mixedlab.reporting._varcorr import varcorr_table
from mixedlab.reporting.rformat import (
    abbreviate,
    cat_fill,
    deparse_formula,
    format_cat_number,
    format_num,
    print_matrix,
    print_named_vector,
    quantile7,
    r_round,
    zapsmall,
)

__all__ = ["LmerSummary", "COR_MAX"]

COR_MAX = 12  # getOption("lme4.summary.cor.max")
_SUMMARY_DIGITS = 4  # max(3, getOption("digits") - 3)
_SINGULAR_MSG = "boundary (singular) fit: see help('isSingular')"
# Messages lme4 attaches to the fixed-effects model matrix (X attributes
# "msgRankdrop", "msgScaleX"); summary prints them under "fit warnings:".
_X_MSG_PREFIXES = (
    "fixed-effect model matrix is rank deficient",
    "Some predictor variables are on very different scales",
)


# ---------------------------------------------------------------------------
# fixed effects
# ---------------------------------------------------------------------------


def _coefmat(est: np.ndarray, se: np.ndarray, digits: int) -> list[list[str]]:
    """``printCoefmat`` cells for Estimate, Std. Error and t value (no p-values).

    lme4 prints this table without ``zap.ind``: estimates and standard errors form one
    block, the t values are the test-statistic column.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = est / se
    cells, _, _ = format_coefmat(np.column_stack([est, se, tval]), [""] * len(est),
                                 ["Estimate", "Std. Error", "t value"], digits,
                                 cs_ind=[0, 1], tst_ind=[2], has_pvalue=False)
    return cells


def _cor_cells(vcov: np.ndarray, names: list[str]) -> tuple[list[str], list[str], list[list[str]]]:
    """The lower triangle of the fixed-effects correlation, as lme4 prints it."""
    p = vcov.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_sd = np.sqrt(1.0 / np.diag(vcov))
        corr = inv_sd[:, None] * vcov * inv_sd[None, :]
    np.fill_diagonal(corr, 1.0)
    cells = format_num(r_round(corr.ravel(order="F"), 3), 7, nsmall=3)
    mat = [[cells[i + j * p] if i > j else "" for j in range(p)] for i in range(p)]
    rn = abbreviate(names, minlength=11)
    cn = abbreviate(names, minlength=6)
    return rn[1:], cn[:-1], [row[:-1] for row in mat[1:]]


# ---------------------------------------------------------------------------
# the summary object
# ---------------------------------------------------------------------------


@dataclass
class _Parts:
    """The pieces of the summary, shared by the text and HTML renderings."""

    title: str
    formula_lines: list[str]
    data_name: str | None
    criterion: tuple[str, str] | None  # ("REML criterion at convergence:", "704.8")
    aic_names: list[str] = field(default_factory=list)
    aic_cells: list[str] = field(default_factory=list)
    resid_names: list[str] = field(default_factory=list)
    resid_cells: list[str] = field(default_factory=list)
    vc_colnames: list[str] = field(default_factory=list)
    vc_cells: list[list[str]] = field(default_factory=list)
    nobs: int = 0
    n_dropped: int = 0
    ngrps: list[tuple[str, str]] = field(default_factory=list)
    coef_rownames: list[str] = field(default_factory=list)
    coef_colnames: list[str] = field(default_factory=list)
    coef_cells: list[list[str]] = field(default_factory=list)
    cor: tuple[list[str], list[str], list[list[str]]] | None = None
    cor_suppressed: bool = False
    fit_msgs: list[str] = field(default_factory=list)
    conv_lines: list[str] = field(default_factory=list)
    # further header lines after Data (GLMMs: ("Family", "binomial ( logit )"), Weights, Offset)
    header: list[tuple[str, str]] = field(default_factory=list)


def _residuals_scaled(fit: Any) -> np.ndarray:
    try:
        r = fit.residuals(type="pearson", scaled=True)
    except TypeError:
        r = fit.residuals(scaled=True)
    return np.asarray(r, dtype=float)


def _ngrps(fit: Any) -> list[tuple[str, int]]:
    """``ngrps(m)``: one entry per distinct grouping factor (lme4's ``flist``).

    lme4 names a repeated factor "Subject.1" in VarCorr but counts it once
    here, so names that merely add a ``.k`` suffix to an earlier one are dropped.
    """
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for name, n in dict(fit.ngroups).items():
        m = re.fullmatch(r"(.*)\.\d+", name)
        if m and m.group(1) in seen:
            continue
        seen.add(name)
        out.append((name, int(n)))
    return out


def conv_status(fit: Any) -> tuple[int, str, list[str], list[str]]:
    """``.prt.warn``'s pieces: convergence code, its text ("OK", NLopt's message or ""),
    lme4's messages and the optimizer's warnings."""
    messages = list(getattr(fit, "messages", []) or [])
    optinfo = dict(getattr(fit, "optinfo", {}) or {})
    lme4_msgs = [m for m in messages if not m.startswith(_X_MSG_PREFIXES)]
    for w in optinfo.get("conv_warnings", []) or []:
        if w not in lme4_msgs:
            lme4_msgs.append(w)
    if getattr(fit, "is_singular", False) and _SINGULAR_MSG not in lme4_msgs:
        lme4_msgs.insert(0, _SINGULAR_MSG)
    opt_warnings = list(optinfo.get("warnings", []) or [])
    # lme4's optinfo$conv$opt: 0 when the optimizer reports success. nlopt's
    # own status codes are positive on success, so those count as 0 too.
    rc = optinfo.get("return_code", 0)
    cc = 0 if rc is None or rc > 0 else int(rc)
    if not optinfo.get("converged", True) and cc == 0:
        cc = int(rc) if rc else 0
    text = "OK" if cc == 0 else str(optinfo.get("message") or "")
    return cc, text, lme4_msgs, opt_warnings


def optimizer_name(fit: Any) -> str:
    """The optimizer function lme4 names ("nloptwrap"), without any description after it."""
    optinfo = dict(getattr(fit, "optinfo", {}) or {})
    return str(optinfo.get("optimizer", "nloptwrap")).split(" (")[0]


def _conv_lines(fit: Any) -> tuple[list[str], list[str]]:
    """``fit warnings:`` lines and ``.prt.warn`` lines."""
    messages = list(getattr(fit, "messages", []) or [])
    fit_msgs = [m for m in messages if m.startswith(_X_MSG_PREFIXES)]
    cc, text, lme4_msgs, opt_warnings = conv_status(fit)
    lines: list[str] = []
    if cc > 0 or lme4_msgs or opt_warnings:
        m = f"({text})" if text else ""
        lines.append(f"optimizer ({optimizer_name(fit)}) convergence code: {cc} {m}")
        lines += lme4_msgs + opt_warnings + [""]
    return fit_msgs, lines


class LmerSummary:
    """lme4's ``summary(m)`` for a fitted :class:`~mixedlab.LmerFit`.

    ``str(summary)`` is the text ``print(summary(m))`` writes in R (default
    options: ``digits = 7``, ``width = 80``); in Jupyter the same tables are
    shown as HTML.

    Parameters
    ----------
    fit : LmerFit
        The fitted model.
    digits : int
        Significant digits, lme4's default ``max(3, getOption("digits") - 3) = 4``.
    correlation : bool or None
        Show the correlation of the fixed effects; ``None`` (default) shows it
        when there are between 2 and 12 coefficients, as lme4 does.
    ranef_comp : sequence of str
        Columns of the random-effects table, ``("Variance", "Std.Dev.")``.
    show_resids : bool
        Show the quantiles of the scaled residuals.
    """

    def __init__(
        self,
        fit: Any,
        digits: int = _SUMMARY_DIGITS,
        correlation: bool | None = None,
        ranef_comp: Sequence[str] = ("Variance", "Std.Dev."),
        show_resids: bool = True,
    ) -> None:
        if correlation is not None and not isinstance(correlation, bool):
            raise TypeError("correlation must be None, True or False")
        self.fit = fit
        self.digits = int(digits)
        self.correlation = correlation
        self.ranef_comp = tuple(ranef_comp)
        self.show_resids = show_resids
        self.parts = self._build()

    # -- assembling --------------------------------------------------------
    def _build(self) -> _Parts:
        fit, digits = self.fit, self.digits
        reml = bool(fit.REML)
        title = "Linear mixed model fit by " + ("REML" if reml else "maximum likelihood ")
        parts = _Parts(
            title=f"{title} ['lmerMod']",
            formula_lines=deparse_formula(str(fit.formula)),
            data_name=getattr(fit, "data_name", None),
            criterion=None,
        )
        if reml:
            parts.criterion = (
                "REML criterion at convergence:",
                format_cat_number(r_round(float(fit.objective), 1)),
            )
        else:
            cells = aictab_cells([fit.aic, fit.bic, fit.loglik, fit.deviance, fit.df_resid], 1)
            parts.aic_names = ["AIC", "BIC", "logLik", "deviance", "df.resid"]
            parts.aic_cells = cells
        if self.show_resids:
            # a fit whose rows live elsewhere (a Dask frame) gives the five numbers itself
            own = getattr(fit, "_residual_quantiles", None)
            rq = zapsmall(np.asarray(own(), dtype=float) if own is not None
                          else quantile7(_residuals_scaled(fit)), digits + 1)
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
            parts.coef_rownames = names
            parts.coef_colnames = ["Estimate", "Std. Error", "t value"]
            parts.coef_cells = _coefmat(est, se, digits)
            show = self.correlation
            if show is None:
                show = p <= COR_MAX
                parts.cor_suppressed = p > COR_MAX
            if show and p > 1:
                vc = pd.DataFrame(fit.vcov).reindex(index=fixef.index, columns=fixef.index)
                parts.cor = _cor_cells(vc.to_numpy(dtype=float), names)
        parts.fit_msgs, parts.conv_lines = _conv_lines(fit)
        return parts

    # -- rendering ---------------------------------------------------------
    def lines(self) -> list[str]:
        """The printed lines, as R's ``capture.output(print(summary(m)))``."""
        p = self.parts
        out = self._title_lines()
        out += cat_fill(["Formula:", *p.formula_lines])
        if p.data_name:
            out += cat_fill(["   Data:", str(p.data_name)])
        out.append("")
        if p.criterion is not None:
            out += cat_fill(list(p.criterion))
        else:
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
        if p.n_dropped:
            # lme4 keeps this to na.action(m); the summary says it, as R's lm summary does
            out.append(missingness_note(p.n_dropped))
        if p.coef_cells:
            out += ["", "Fixed effects:"]
            out += self._coef_lines()
            if p.cor is not None:
                rn, cn, cells = p.cor
                out += ["", "Correlation of Fixed Effects:"]
                out += print_matrix(cells, rn, cn, right=False)
        if p.fit_msgs:
            out.append("fit warnings:")
            out += p.fit_msgs
        out += p.conv_lines
        return out

    def _title_lines(self) -> list[str]:
        """``.prt.methTit``: the title line(s)."""
        return [self.parts.title]

    def _coef_lines(self) -> list[str]:
        """The fixed-effects table (``printCoefmat``)."""
        p = self.parts
        return print_matrix(p.coef_cells, p.coef_rownames, p.coef_colnames, right=True)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return summary_html(self)
