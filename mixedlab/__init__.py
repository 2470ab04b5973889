"""mixedlab: lme4's linear mixed models in numpy/scipy, with lessons that print R's numbers.

The public surface is what ``__all__`` lists; every other module is private.
"""


from mixedlab._errors import (
    ArgumentError,
    ConvergenceWarning,
    DataError,
    FitMessage,
    FormulaError,
    MixedLabError,
    ModelSpecificationError,
    ScaleWarning,
)
from mixedlab.diagnostics import SimulatedResiduals, simulate_residuals
from mixedlab.fitting import anova, drop1, glmer, glmer_nb, glmmtmb, isSingular, lmer, ranova
from mixedlab.glm import families
from mixedlab.linear import LmerControl
from mixedlab.results import GlmerFit, LmerFit, TmbFit
from mixedlab.rng import RRandom
from mixedlab import datasets

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "lmer",
    "glmer",
    "glmer_nb",
    "glmmtmb",
    "TmbFit",
    "anova",
    "isSingular",
    "ranova",
    "drop1",
    "LmerFit",
    "GlmerFit",
    "families",
    "LmerControl",
    "MixedLabError",
    "FormulaError",
    "DataError",
    "ModelSpecificationError",
    "ArgumentError",
    "FitMessage",
    "ScaleWarning",
    "ConvergenceWarning",
    "RRandom",
    "simulate_residuals",
    "SimulatedResiduals",
    "datasets",
]
