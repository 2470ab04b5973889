"""R's text rendering of numbers, names and formulas, reproduced bit for bit.

lme4's printed summary is a cascade of base-R formatting rules; to print the
same characters mixedlab reimplements the few primitives those rules rest on:

* ``round`` and ``signif`` (R >= 4.0.0 ``fround``/``fprec`` in nmath),
* ``formatReal`` (src/main/format.c): one common fixed or scientific layout
  for a whole vector, chosen by the smallest number of significant digits
  (<= ``digits``) that represents every element, fixed winning unless it is
  wider than scientific (R's ``scipen = 0`` penalty),
* ``format(x, digits=, nsmall=)`` built on it, ``zapsmall``, ``quantile``
  type 7,
* ``print`` of a named vector and of a character matrix (line width 80, gap 1),
* ``cat(..., fill = TRUE)``,
* ``abbreviate`` (``stripchars`` in src/main/character.c),
* ``deparse`` of a formula (spacing and the 60-character line cut-off).

Every function documents the R function it mirrors; the tests compare each
against R itself through rpy2.
"""

from __future__ import annotations

from mixedlab.reporting.rformat._abbreviate import abbreviate
from mixedlab.reporting.rformat._deparse import deparse_formula
from mixedlab.reporting.rformat._layout import (
    PRINT_WIDTH,
    cat_fill,
    print_matrix,
    print_named_vector,
)
from mixedlab.reporting.rformat._numbers import (
    encode_real,
    format_cat_number,
    format_info,
    format_na,
    format_num,
    format_pval,
    quantile7,
    r_round,
    r_signif,
    zapsmall,
)

__all__ = [
    "r_round",
    "r_signif",
    "zapsmall",
    "quantile7",
    "format_info",
    "encode_real",
    "format_num",
    "format_cat_number",
    "format_pval",
    "format_na",
    "abbreviate",
    "print_named_vector",
    "print_matrix",
    "cat_fill",
    "deparse_formula",
    "PRINT_WIDTH",
]
