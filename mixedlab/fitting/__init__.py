"""The fitting pipelines, lme4's four steps end to end — parse → deviance function →
optimise → result — and model comparison (``anova``), which refits."""

from __future__ import annotations

from mixedlab.fitting._anova import anova
from mixedlab.fitting._glmer import glmer, glmer_nb
from mixedlab.fitting._lmer import fit_devfun, lmer

__all__ = ["lmer", "glmer", "glmer_nb", "fit_devfun", "anova"]
