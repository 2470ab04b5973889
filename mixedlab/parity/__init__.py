"""Parity with R: mixedlab, lme4 and glmmTMB fitted side by side on a corpus of models.

Public surface
--------------
- :func:`parity_table` — the side-by-side table of one case (live R when available, else
  the stored reference outputs; ``table.attrs["source"]`` says which).
- :func:`run_case` — the same plus the raw results, notes and pass/fail.
- :data:`CASES`, :func:`case_names`, :func:`get_case` — the corpus.
- :func:`tolerance_table` — the one tolerance table, each row with its reason.
- :mod:`rbridge` — the R bridge (rpy2): ``available()``, ``require()``, ``to_r()``,
  ``from_r()``, ``fit_lmer()``, ``fit_glmmtmb()``, ``r_dataset()``, ``versions()``.

Importing this package does not start R; only live fits do.
"""

from __future__ import annotations

from mixedlab.parity import _rbridge as rbridge
from mixedlab.parity._corpus import CASES, Case, case_names, get_case, load_case_data
from mixedlab.parity._harness import CaseResult, parity_table, regenerate, run_case
from mixedlab.parity._tolerances import TOLERANCES, tolerance_table

__all__ = [
    "rbridge",
    "CASES",
    "Case",
    "case_names",
    "get_case",
    "load_case_data",
    "CaseResult",
    "parity_table",
    "run_case",
    "regenerate",
    "TOLERANCES",
    "tolerance_table",
]
