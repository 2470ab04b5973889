"""lme4's ``anova`` table as a DataFrame that prints as R prints it (``print.anova``)."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from mixedlab.reporting.rformat import (
    format_na,
    format_num,
    format_pval,
    print_matrix,
    r_round,
    zapsmall,
)

__all__ = ["AnovaTable", "print_anova", "anova_cells", "anova_html", "SIGNIF_LEGEND"]


class AnovaTable(pd.DataFrame):
    """lme4's anova table: a DataFrame whose ``str()``/``repr()`` is R's printed table.

    ``heading`` holds the lines R prints above the table ("Data: ...", "Models:",
    "name: formula"); ``fits`` maps each row name to the (ML) fit compared.
    """

    _metadata = ["heading", "fits"]

    @property
    def _constructor(self):
        # derived frames (slices, arithmetic) are plain DataFrames: the heading no longer applies
        return pd.DataFrame

    def to_r_text(self, digits: int = 5, signif_stars: bool = True) -> str:
        """The table as R's ``print(anova(...))`` shows it (``digits = getOption("digits") - 2``)."""
        lines = list(getattr(self, "heading", []) or [])
        lines.extend(print_anova(pd.DataFrame(self), digits=digits, signif_stars=signif_stars))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_r_text()

    def __repr__(self) -> str:
        return self.to_r_text()

    def _repr_html_(self) -> str:
        """R's table as HTML: the same cells as the text (NA blank, integer Df, formatted p, stars)."""
        return anova_html(self)


def anova_html(table: pd.DataFrame, digits: int = 5, signif_stars: bool = True) -> str:
    """An anova table as HTML with the cells of R's ``print.anova``."""
    frame = pd.DataFrame(table)
    colnames, cells, show_stars = anova_cells(frame, digits, signif_stars)
    head = "<th></th>" + "".join(f"<th>{escape(c)}</th>" for c in colnames)
    body = "".join(
        f"<tr><th>{escape(str(name))}</th>"
        + "".join(f'<td style="text-align:right;font-family:monospace">{escape(c.strip())}</td>' for c in row)
        + "</tr>"
        for name, row in zip(frame.index, cells)
    )
    heading = "".join(f"<div><code>{escape(line)}</code></div>" for line in (getattr(table, "heading", None) or []))
    legend = f'<div style="font-size:smaller">{escape(SIGNIF_LEGEND)}</div>' if show_stars else ""
    return (f'<div class="mixedlab-anova">{heading}<table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>{legend}</div>")

def print_anova(df: pd.DataFrame, digits: int = 5, signif_stars: bool = True) -> list[str]:
    """``print.anova`` → ``printCoefmat(zap.ind = npar..deviance, tst.ind = Chisq)``."""
    colnames, cells, show_stars = anova_cells(df, digits, signif_stars)
    lines = print_matrix(cells, [str(r) for r in df.index], colnames, right=True)
    if show_stars:
        lines.append("---")
        lines.append(SIGNIF_LEGEND)
    return lines


#: The legend R prints under a table with significance stars.
SIGNIF_LEGEND = "Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"


def anova_cells(df: pd.DataFrame, digits: int = 5, signif_stars: bool = True) -> tuple[list[str], list[list[str]], bool]:
    """The cells R prints for an anova table: column names, formatted cells (NA blank), stars shown."""
    cols = list(df.columns)
    nc = len(cols)
    xm = df.to_numpy(dtype=float).copy()
    ina = np.isnan(xm)
    tst = [cols.index("Chisq")]
    zap = [j for j in range(nc - 1) if j not in tst and not cols[j].endswith("Df")]
    for j in zap:
        xm[:, j] = zapsmall(xm[:, j], digits)
    cells = [[""] * nc for _ in range(len(df))]
    dig_tst = max(1, min(5, digits - 1))
    for j in tst:
        for i, s in enumerate(format_na(r_round(xm[:, j], dig_tst), digits)):
            cells[i][j] = s
    for j in range(nc - 1):
        if j in tst:
            continue
        for i, s in enumerate(format_na(xm[:, j], digits)):
            cells[i][j] = s
    # a non-zero shown as zero is reformatted with one digit fewer (printCoefmat)
    for j in range(nc - 1):
        if j in tst:
            continue
        for i in range(len(df)):
            if ina[i, j]:
                continue
            try:
                shown_zero = float(cells[i][j]) == 0.0
            except ValueError:
                continue
            if (xm[i, j] == 0.0) != shown_zero:
                cells[i][j] = format_num([xm[i, j]], digits=max(1, digits - 1))[0]
    for i in range(len(df)):
        for j in range(nc):
            if ina[i, j]:
                cells[i][j] = ""
    pv = xm[:, nc - 1]
    okp = ~np.isnan(pv)
    colnames = list(cols)
    show_stars = False
    if okp.any():
        for i, s in zip(np.flatnonzero(okp), format_pval(pv[okp], dig_tst)):
            cells[i][nc - 1] = s
        show_stars = signif_stars and bool(np.any(pv[okp] < 0.1))
        if show_stars:
            stars = []
            for v in pv:
                if np.isnan(v):
                    stars.append("")
                else:
                    stars.append("***" if v <= 0.001 else "**" if v <= 0.01 else "*" if v <= 0.05
                                 else "." if v <= 0.1 else " ")
            w = max(len(s) for s in stars)
            for i, s in enumerate(stars):
                cells[i].append(s.ljust(w))  # format() of the symnum codes pads on the right
            colnames.append("")
    return colnames, cells, show_stars
