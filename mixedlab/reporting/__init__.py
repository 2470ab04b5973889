"""Reporting: R's text rendering (:mod:`~mixedlab.reporting.rformat`), lme4's printed
summary, its HTML form, ``print(VarCorr(m))`` and broom.mixed's tidy tables.

Everything here reads a fitted model through its public attributes only, so the
fitted-model classes (:mod:`mixedlab.results`) import reporting, never the reverse.
"""

from __future__ import annotations

from mixedlab.reporting._ftable import RAnovaFrame
from mixedlab.reporting._html import summary_html
from mixedlab.reporting._lmertest_summary import LmerTestSummary
from mixedlab.reporting._print import print_lines
from mixedlab.reporting._summary import LmerSummary
from mixedlab.reporting._tidy import TIDY_COLUMNS, tidy
from mixedlab.reporting._varcorr import format_varcorr, varcorr_table

__all__ = ["RAnovaFrame", "LmerSummary", "LmerTestSummary", "print_lines", "summary_html", "format_varcorr", "varcorr_table", "tidy",
           "TIDY_COLUMNS"]
