"""lme4's random-effects table (``formatVC``) and ``print(VarCorr(m))``, from
``as.data.frame(VarCorr(m))`` rows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mixedlab._errors import ArgumentError
from mixedlab.reporting.rformat import format_num, print_matrix, r_round

__all__ = ["VARCORR_DIGITS", "varcorr_groups", "varcorr_table", "format_varcorr"]

VARCORR_DIGITS = 5  # max(3, getOption("digits") - 2)



@dataclass
class _ReGroup:
    """One block of ``VarCorr``: a group's term names, std. deviations and correlations."""

    name: str
    terms: list[str]
    sd: np.ndarray
    corr: np.ndarray


def _isnull(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def varcorr_groups(varcorr: pd.DataFrame) -> tuple[list[_ReGroup], float | None]:
    """Split ``as.data.frame(VarCorr(m))`` rows back into per-group blocks."""
    groups: dict[str, _ReGroup] = {}
    sigma = None
    covrows = []
    for row in varcorr.itertuples(index=False):
        grp, var1, var2, sdcor = row.grp, row.var1, row.var2, float(row.sdcor)
        if grp == "Residual" and _isnull(var1):
            sigma = sdcor
            continue
        g = groups.setdefault(grp, _ReGroup(grp, [], np.empty(0), np.empty((0, 0))))
        if _isnull(var2):
            g.terms.append(str(var1))
            g.sd = np.append(g.sd, sdcor)
        else:
            covrows.append((grp, str(var1), str(var2), sdcor))
    for g in groups.values():
        k = len(g.terms)
        g.corr = np.eye(k)
    for grp, v1, v2, r in covrows:
        g = groups[grp]
        i, j = g.terms.index(v1), g.terms.index(v2)
        g.corr[i, j] = g.corr[j, i] = r
    return list(groups.values()), sigma


def varcorr_table(
    varcorr: pd.DataFrame, digits: int = VARCORR_DIGITS, comp: Sequence[str] = ("Std.Dev.",)
) -> tuple[list[str], list[list[str]]]:
    """lme4's ``formatVC``: the column labels and cells of the random-effects table.

    Parameters
    ----------
    varcorr : pandas.DataFrame
        ``as.data.frame(VarCorr(m))`` (columns grp, var1, var2, vcov, sdcor).
    digits : int
        Significant digits for variances and standard deviations; correlations
        get ``max(2, digits - 2)`` decimals.
    comp : sequence of {"Variance", "Std.Dev."}
        Which columns to show, in this order.
    """
    if isinstance(comp, str) or not isinstance(comp, (list, tuple)):
        raise ArgumentError(f"comp must be a list of 'Variance' and/or 'Std.Dev.', not "
                            f"{type(comp).__name__} {comp!r}")
    for c in comp:
        if c not in ("Variance", "Std.Dev."):
            raise ArgumentError(f"comp must hold 'Variance' and/or 'Std.Dev.', not {c!r}")
    if not comp:
        raise ValueError("comp must show variances or standard deviations (or both)")
    groups, sigma = varcorr_groups(varcorr)
    sds = np.concatenate([g.sd for g in groups] + ([np.array([sigma])] if sigma is not None else []))
    names_ = [t for g in groups for t in g.terms] + ([""] if sigma is not None else [])
    grp_col = []
    for g in groups:
        grp_col += [g.name] + [""] * (len(g.terms) - 1)
    if sigma is not None:
        grp_col.append("Residual")
    colnames = ["Groups", "Name", *comp]
    cols = [grp_col, names_]
    for c in comp:
        # R squares the standard deviations (unlist(reStdDev)^2), so we do too.
        cols.append(format_num(sds**2 if c == "Variance" else sds, digits))
    nr = len(names_)
    maxlen = max([len(g.terms) for g in groups] + [1])
    if maxlen > 1:
        dig = max(2, digits - 2)
        corr_rows: list[list[str]] = []
        for g in groups:
            k = len(g.terms)
            cells = format_num(r_round(g.corr.ravel(order="F"), dig), 7, nsmall=dig)
            cc = [[cells[i + j * k] if i > j else "" for j in range(k)] for i in range(k)]
            corr_rows += [row + [""] * (maxlen - k) for row in cc]
        corr_rows = [row[: maxlen - 1] for row in corr_rows]
        corr_rows += [[""] * (maxlen - 1)] * (nr - len(corr_rows))
        colnames += ["Corr"] + [""] * (maxlen - 2)
        for j in range(maxlen - 1):
            cols.append([corr_rows[i][j] for i in range(nr)])
    cells = [[col[i] for col in cols] for i in range(nr)]
    return colnames, cells


def format_varcorr(fit: Any, digits: int = VARCORR_DIGITS, comp: Sequence[str] = ("Std.Dev.",)) -> str:
    """``print(VarCorr(m))``: the random-effects table alone.

    Parameters
    ----------
    fit : LmerFit
        A fitted model (its ``varcorr`` frame is used).
    digits : int
        Significant digits, R's default ``max(3, getOption("digits") - 2) = 5``.
    comp : sequence of str
        ``("Std.Dev.",)`` by default; ``("Variance", "Std.Dev.")`` adds variances.
    """
    if isinstance(digits, (bool, np.bool_)) or not isinstance(digits, (int, np.integer)) \
            or not 1 <= digits <= 22:
        raise ArgumentError(f"digits must be a whole number from 1 to 22 (as R's format), not "
                            f"{type(digits).__name__} {digits!r}")
    if isinstance(comp, str):
        comp = (comp,)
    colnames, cells = varcorr_table(fit.varcorr, int(digits), comp)
    return "\n".join(print_matrix(cells, [""] * len(cells), colnames, right=False))
