"""lme4's ``anova`` table as a DataFrame that prints as R prints it (``print.anova``)."""

from __future__ import annotations

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

__all__ = ["AnovaTable", "print_anova"]


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


def print_anova(df: pd.DataFrame, digits: int = 5, signif_stars: bool = True) -> list[str]:
    """``print.anova`` → ``printCoefmat(zap.ind = npar..deviance, tst.ind = Chisq)``."""
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
    lines = print_matrix(cells, [str(r) for r in df.index], colnames, right=True)
    if show_stars:
        lines.append("---")
        lines.append("Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1")
    return lines
