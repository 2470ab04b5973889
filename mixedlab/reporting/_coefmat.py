"""R's ``printCoefmat`` and ``print.anova`` (stats, R 4.2), for any coefficient or ANOVA table.

``printCoefmat`` formats a numeric table column group by column group:

* ``cs_ind`` (estimates, standard errors and, in lmerTest's summary, df) rounded together to
  ``max(1, digits − digmin)`` decimals, ``digmin = 1 + floor(log10(range(|x|)))``, and
  formatted as one block (one width, one number of decimals);
* ``tst_ind`` (test statistics) rounded to ``dig.tst = max(1, min(5, digits − 1))`` decimals;
* the other columns formatted one by one, after ``zapsmall`` for ``zap_ind``;
* a nonzero value that came out as zero is reformatted with ``digits − 1`` significant digits;
* p-values by ``format.pval(digits = dig.tst)`` and, when some p < 0.1, significance stars
  (``symnum`` with cut points 0, .001, .01, .05, .1, 1) and their legend.

``print.anova`` picks the groups from the column names (test statistics are the columns named
"… value", "F", "Cp" or "Chisq"; columns ending in "Df" are not zapped) and prints missing
values as blanks.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from mixedlab.reporting.rformat import format_na, format_num, format_pval, print_matrix, r_round, zapsmall

__all__ = ["format_coefmat", "print_coefmat", "print_anova_frame", "significance_stars", "anova_coefmat_args",
           "SIGNIF_LEGEND"]

SIGNIF_LEGEND = "Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"


def significance_stars(p: float) -> str:
    """``symnum``'s code for one p-value (cut points 0, .001, .01, .05, .1, 1); "" for NA."""
    if math.isnan(p):
        return ""
    return "***" if p <= 0.001 else "**" if p <= 0.01 else "*" if p <= 0.05 else "." if p <= 0.1 else " "


def format_coefmat(
    x: np.ndarray,
    rownames: Sequence[str],
    colnames: Sequence[str],
    digits: int,
    cs_ind: Sequence[int] | None = None,
    tst_ind: Sequence[int] | None = None,
    zap_ind: Sequence[int] = (),
    has_pvalue: bool | None = None,
    signif_stars: bool = True,
    na_print: str = "NA",
) -> tuple[list[list[str]], list[str], bool]:
    """The cells ``printCoefmat(x, digits, ...)`` prints: ``(cells, column names, legend?)``.

    A stars column (named "") is appended when stars are shown; the third value says
    whether the legend follows the table.

    Parameters
    ----------
    x
        The numeric table (NaN = R's NA).
    rownames, colnames
        Its dimnames.
    digits
        Significant digits (``printCoefmat``'s ``digits``).
    cs_ind, tst_ind
        0-based column groups; ``None`` gives R's defaults (``1:k`` and ``k + 1`` with
        ``k = nc − has.Pvalue − 1``). Pass ``[]`` for none.
    zap_ind
        Columns passed through ``zapsmall`` first.
    has_pvalue
        Whether the last column holds p-values; ``None``: when it is named "Pr(…" or "p-v…"
        and the table has at least four columns (R's default).
    signif_stars
        Show stars (and the legend) when some p-value is below 0.1.
    na_print
        Text for missing cells.
    """
    xm = np.array(x, dtype=float, copy=True)
    nr, nc = xm.shape
    if has_pvalue is None:
        has_pvalue = nc >= 4 and bool(colnames) and colnames[-1][:3] in ("Pr(", "p-v")
    k = nc - int(has_pvalue) - (1 if tst_ind is None else len(tst_ind))
    cs = list(range(k)) if cs_ind is None else list(cs_ind)
    tst = [k] if tst_ind is None else list(tst_ind)
    dig_tst = max(1, min(5, digits - 1))
    if nr == 0:
        return [], list(colnames), False
    cf = [["" for _ in range(nc)] for _ in range(nr)]
    ina = np.isnan(xm)
    ok = ~ina
    for j in zap_ind:
        xm[:, j] = zapsmall(xm[:, j], digits)
    if cs:
        block = xm[:, cs]
        acs = np.abs(block)
        fin = np.isfinite(acs)
        if fin.any():
            nz = acs[fin & (acs != 0)]
            if nz.size:
                digmin = 1 + np.floor(np.log10(np.array([nz.min(), nz.max()])))
            else:
                digmin = np.array([1.0])
            dec = int(max(1, *(digits - digmin)))
            cells = format_na(r_round(block.ravel(order="F"), dec), digits)
            for jj, j in enumerate(cs):
                for i in range(nr):
                    cf[i][j] = cells[i + jj * nr]
    for j in tst:
        for i, s in enumerate(format_na(r_round(xm[:, j], dig_tst), digits)):
            cf[i][j] = s
    pcol = nc - 1 if has_pvalue else None
    for j in range(nc):
        if j in cs or j in tst or j == pcol:
            continue
        for i, s in enumerate(format_na(xm[:, j], digits)):
            cf[i][j] = s
    okp = ok.copy()
    okp[:, tst] = False
    if has_pvalue:
        okp[:, nc - 1] = False
    redo = []
    for j in range(nc):
        for i in range(nr):
            if not okp[i, j]:
                continue
            try:
                shown_zero = float(cf[i][j]) == 0.0
            except ValueError:
                continue
            if (xm[i, j] == 0.0) != shown_zero:
                redo.append((i, j))
    if redo:
        new = format_num(np.array([xm[i, j] for i, j in redo]), max(1, digits - 1))
        for (i, j), s in zip(redo, new):
            cf[i][j] = s
    for i in range(nr):
        for j in range(nc):
            if ina[i, j]:
                cf[i][j] = na_print
    cols = list(colnames)
    show = False
    if has_pvalue:
        pv = xm[:, nc - 1]
        okpv = ok[:, nc - 1]
        if okpv.any():
            for i, s in zip(np.flatnonzero(okpv), format_pval(pv[okpv], dig_tst)):
                cf[i][nc - 1] = s
            show = signif_stars and bool(np.any(pv[okpv] < 0.1))
            if show:
                st = [significance_stars(v) for v in pv]
                w = max(len(s) for s in st)
                for i, s in enumerate(st):
                    cf[i].append(s.ljust(w))  # format() of the symnum codes pads on the right
                cols.append("")
    return cf, cols, show


def print_coefmat(x: np.ndarray, rownames: Sequence[str], colnames: Sequence[str], digits: int,
                  **kwargs) -> list[str]:
    """``printCoefmat(x, digits, ...)``: the printed lines (table, then the stars' legend).

    Arguments as :func:`format_coefmat`.
    """
    cf, cols, show = format_coefmat(x, rownames, colnames, digits, **kwargs)
    if not len(rownames):
        # R labels the rows of an empty matrix as "[0,]" would be: four characters wide
        return ["    " + "".join(" " + c for c in cols)]
    lines = print_matrix(cf, [str(r) for r in rownames], cols, right=True)
    if show:
        lines += ["---", SIGNIF_LEGEND]
    return lines


def print_anova_frame(x: np.ndarray, rownames: Sequence[str], colnames: Sequence[str],
                      heading: Sequence[str] = (), digits: int = 5, signif_stars: bool = True) -> list[str]:
    """``stats:::print.anova``: the heading lines, then the table through ``printCoefmat``."""
    out = list(heading)
    out += print_coefmat(x, rownames, colnames, digits, **anova_coefmat_args(colnames), signif_stars=signif_stars,
                         na_print="")
    return out


def anova_coefmat_args(colnames: Sequence[str]) -> dict:
    """The ``printCoefmat`` arguments ``print.anova`` picks from an anova table's column names.

    A last column named "P(…" or "Pr(…" holds p-values; test statistics are the columns named
    "… value", "F", "Cp" or "Chisq"; every other column but those ending in "Df" is zapped.
    """
    cn = list(colnames)
    nc = len(cn)
    has_p = bool(nc) and (cn[-1].startswith("P(") or cn[-1].startswith("Pr("))
    tst = [j for j, c in enumerate(cn) if c[1:7] == " value"]
    tst += [j for j, c in enumerate(cn) if c in ("F", "Cp", "Chisq")]
    zap = [j for j in range(nc - 1 if has_p else nc) if j not in tst and not cn[j].endswith("Df")]
    return {"cs_ind": [], "tst_ind": tst, "zap_ind": zap, "has_pvalue": has_p}
