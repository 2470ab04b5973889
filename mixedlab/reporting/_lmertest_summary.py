"""lmerTest's printed summary (``summary(m, ddf=)`` of an ``lmerModLmerTest``), character for character.

lmerTest 3.1-3 (``summary.lmerModLmerTest``) keeps lme4's summary and changes two things:

* the title: ``methTitle`` gains ``". t-tests use Satterthwaite's method"`` (or
  ``Kenward-Roger's``) and the class is ``lmerModLmerTest``. lme4's ``.prt.methTit`` then
  finds the line too long for the width (title + 5 + class > 80), wraps the title with
  ``strwrap(width = 78, exdent = 2)`` and writes ``title, " [", class, "]"`` with
  ``cat(sep = "", fill = TRUE)``, which breaks before the class name;
* the coefficients: ``Estimate, Std. Error, df, t value, Pr(>|t|)`` printed by
  ``printCoefmat``, whose default groups put ``df`` with the estimates and standard errors
  (one common number of decimals), then p-values, stars and their legend.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixedlab._errors import ArgumentError
from mixedlab.reporting._coefmat import SIGNIF_LEGEND, format_coefmat
from mixedlab.reporting._summary import LmerSummary
from mixedlab.reporting.rformat import PRINT_WIDTH, print_matrix

__all__ = ["LmerTestSummary", "DDF_METHODS", "method_title", "strwrap", "cat_fill_nosep"]

#: lmerTest's names of the methods, as its titles write them
DDF_METHODS = {"Satterthwaite": "Satterthwaite's", "Kenward-Roger": "Kenward-Roger's"}
_CLASS = "lmerModLmerTest"


def strwrap(text: str, width: int, exdent: int = 0) -> list[str]:
    """R's ``strwrap(x, width, exdent)`` for one paragraph of single-spaced words.

    A line takes the words whose lengths plus one separator each sum to at most
    ``width − indent`` (at least one word); later lines start with ``exdent`` spaces.
    """
    words = text.split()
    lines: list[str] = []
    first = True
    while words:
        room = width if first else width - exdent
        total, k = 0, 0
        for w in words:
            if total + len(w) + 1 > room:
                break
            total += len(w) + 1
            k += 1
        k = max(k, 1)
        lines.append(("" if first else " " * exdent) + " ".join(words[:k]))
        words = words[k:]
        first = False
    return lines


def cat_fill_nosep(items: list[str], width: int = PRINT_WIDTH) -> list[str]:
    """R's ``cat(..., sep = "", fill = TRUE)``: a new line before an item that would pass ``width``."""
    lines: list[str] = []
    cur = ""
    for k, item in enumerate(items):
        if k > 0 and len(cur) + len(item) > width:
            lines.append(cur)
            cur = ""
        cur += item
    lines.append(cur)
    return lines


def method_title(base: str, cls: str, width: int = PRINT_WIDTH) -> list[str]:
    """lme4's ``.prt.methTit(mtit, class)``."""
    if len(base) + 5 + len(cls) > width:
        return cat_fill_nosep([*strwrap(base, width - 2, exdent=2), " [", cls, "]"], width)
    return [f"{base} ['{cls}']"]


class LmerTestSummary(LmerSummary):
    """lmerTest's ``summary(m, ddf = ddf)`` for a fitted :class:`~mixedlab.LmerFit`.

    Parameters
    ----------
    fit
        The fitted model; its ``coef_table(ddf)`` gives the coefficients.
    ddf
        ``"Satterthwaite"`` or ``"Kenward-Roger"``.
    **kwargs
        As :class:`~mixedlab.reporting.LmerSummary`.
    """

    def __init__(self, fit: Any, ddf: str = "Satterthwaite", **kwargs: Any) -> None:
        if ddf not in DDF_METHODS:
            raise ArgumentError(f"ddf must be one of {list(DDF_METHODS)} or None, not {ddf!r}")
        self.ddf = ddf
        self.coefficients: pd.DataFrame = fit.coef_table(ddf=ddf)
        super().__init__(fit, **kwargs)

    def _build(self):
        parts = super()._build()
        # lme4's methTitle ends in "maximum likelihood " for ML fits (the space is kept)
        base = "Linear mixed model fit by " + ("REML" if self.fit.REML else "maximum likelihood ")
        parts.title = f"{base}. t-tests use {DDF_METHODS[self.ddf]} method"
        tab = self.coefficients
        cells, cols, self._legend = format_coefmat(tab.to_numpy(dtype=float), [str(r) for r in tab.index],
                                                   list(tab.columns), self.digits)
        parts.coef_rownames = [str(r) for r in tab.index]
        parts.coef_colnames = cols
        parts.coef_cells = cells
        return parts

    def _title_lines(self) -> list[str]:
        return method_title(self.parts.title, _CLASS)

    def _coef_lines(self) -> list[str]:
        p = self.parts
        lines = print_matrix(p.coef_cells, p.coef_rownames, p.coef_colnames, right=True)
        return lines + (["---", SIGNIF_LEGEND] if self._legend else [])

    @property
    def coef_text(self) -> str:
        """The fixed-effects table alone, as printed."""
        return "\n".join(self._coef_lines())

