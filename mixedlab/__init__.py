"""mixedlab: lme4's linear mixed models in numpy/scipy, with lessons that print R's numbers.

The public surface is what ``__all__`` lists; every other module is private.
"""

from __future__ import annotations

from mixedlab._errors import (
    ConvergenceWarning,
    DataError,
    FitMessage,
    FormulaError,
    MixedLabError,
    ModelSpecificationError,
)
from mixedlab._anova import anova
from mixedlab._fit import LmerFit
from mixedlab._lmer import lmer
from mixedlab._optimize import LmerControl
from mixedlab._rrandom import RRandom
from mixedlab import datasets

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "lmer",
    "anova",
    "LmerFit",
    "LmerControl",
    "MixedLabError",
    "FormulaError",
    "DataError",
    "ModelSpecificationError",
    "FitMessage",
    "ConvergenceWarning",
    "RRandom",
    "datasets",
]
