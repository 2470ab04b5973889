"""The fitting pipelines, lme4's four steps end to end — parse → deviance function →
optimise → result — model comparison (``anova``), which refits, and lmerTest's tables
(single-model ``anova``, ``drop1``, ``ranova``, which refits)."""

from __future__ import annotations

from mixedlab.fitting._anova import anova
from mixedlab.fitting._glmer import glmer, glmer_nb
from mixedlab.fitting._glmmtmb import glmmtmb
from mixedlab.fitting._lmer import fit_devfun, lmer
from mixedlab.fitting._lmertest import drop1
from mixedlab.fitting._ranova import ranova
from mixedlab.fitting._singular import isSingular

__all__ = ["lmer", "glmer", "glmer_nb", "glmmtmb", "fit_devfun", "anova", "drop1", "ranova",
           "isSingular"]
