"""Inference for linear mixed models: what lmerTest, pbkrtest and lme4 add to a fit.

Everything here works on the linear engine's objects (cross-products, the blocked factor,
θ, σ), not on the fitted-model classes, which call it:

* :mod:`~mixedlab.inference._numderiv` — numDeriv's Richardson derivatives, step for step;
* :mod:`~mixedlab.inference._varpar` — deviance and vcov(β) as functions of (θ, σ);
* :mod:`~mixedlab.inference._satterthwaite` — Satterthwaite's df for t and F tests (lmerTest);
* :mod:`~mixedlab.inference._kenward_roger` — Kenward–Roger's adjusted covariance and df
  (pbkrtest), through Woodbury's identity in the random-effects dimension;
* :mod:`~mixedlab.inference._coef_table` — lmerTest's ``coef(summary(m, ddf=))``;
* :mod:`~mixedlab.inference._terms`, :mod:`~mixedlab.inference._contrasts`,
  :mod:`~mixedlab.inference._anova` — lmerTest's type I/II/III hypotheses and F tables.
"""

from __future__ import annotations

from mixedlab.inference._anova import ANOVA_COLUMNS, anova_table, drop1_table, normalise_type
from mixedlab.inference._coef_table import COEF_COLUMNS, DDF_CHOICES, check_ddf, coef_table
from mixedlab.inference._kenward_roger import KRAdjusted, KRFTest, kr_ddf_1d, kr_ftest, vcov_adjusted
from mixedlab.inference._terms import FixedStructure, fixed_structure
from mixedlab.inference._satterthwaite import (
    ContrastTest,
    FTest,
    SatterthwaiteDerivs,
    contest_1d,
    contest_md,
    satterthwaite_derivs,
)

__all__ = [
    "ANOVA_COLUMNS",
    "anova_table",
    "drop1_table",
    "normalise_type",
    "FixedStructure",
    "fixed_structure",
    "COEF_COLUMNS",
    "DDF_CHOICES",
    "check_ddf",
    "coef_table",
    "KRAdjusted",
    "KRFTest",
    "kr_ddf_1d",
    "kr_ftest",
    "vcov_adjusted",
    "ContrastTest",
    "FTest",
    "SatterthwaiteDerivs",
    "contest_1d",
    "contest_md",
    "satterthwaite_derivs",
]
