"""lme4's ``anova`` table as a DataFrame that prints as R prints it (``print.anova``)."""

from __future__ import annotations

from html import escape

import pandas as pd

from mixedlab.reporting._coefmat import SIGNIF_LEGEND, anova_coefmat_args, format_coefmat
from mixedlab.reporting.rformat import print_matrix

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


def anova_cells(df: pd.DataFrame, digits: int = 5, signif_stars: bool = True) -> tuple[list[str], list[list[str]], bool]:
    """The cells R prints for an anova table: column names, formatted cells (NA blank), stars shown."""
    cols = [str(c) for c in df.columns]
    cells, colnames, show_stars = format_coefmat(df.to_numpy(dtype=float), [str(r) for r in df.index], cols,
                                                 digits, **anova_coefmat_args(cols), signif_stars=signif_stars,
                                                 na_print="")
    return colnames, cells, show_stars
