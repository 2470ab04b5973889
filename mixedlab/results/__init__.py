"""Fitted-model objects (lme4's ``mkMerMod``): the estimates at the optimum, predictions
and the displays, assembled once from the engine's factor and solution."""

from __future__ import annotations

from mixedlab.results._glmer_fit import GlmerFit
from mixedlab.results._lmer_fit import LmerFit, ReTermInfo
from mixedlab.results._tmb_fit import TmbFit

__all__ = ["LmerFit", "GlmerFit", "ReTermInfo", "TmbFit"]
