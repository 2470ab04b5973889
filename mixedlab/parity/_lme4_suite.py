"""lmer models from lme4's own test suite (``tests/*.R`` of lme4's sources), on R's data.

Each model's data is built in R by the snippet that lme4's test uses (its datasets, its
``set.seed`` simulations, its ``testdata`` files), brought to Python with the R bridge,
and then fitted by mixedlab and by live lme4 from that same frame
(:func:`mixedlab.parity._fuzz.compare_with_lme4`).  Models that mixedlab cannot express
(``poly``/``ns`` terms, lme4's newer ``ar1``/``cs`` structures, other optimizers) are not
listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["SuiteModel", "SUITE", "suite_data"]


@dataclass(frozen=True)
class SuiteModel:
    """One lmer call from lme4's tests; ``data`` is R code that leaves the frame in ``d``."""

    name: str
    source: str  # lme4's test file
    formula: str
    data: str
    REML: bool = True
    weights: str | None = None


_SLEEP = "d <- lme4::sleepstudy"
_SLEEP_W = "d <- lme4::sleepstudy; set.seed(101); d$w <- runif(nrow(d), 0.2, 5)"
_OFFSET = ("set.seed(101); d <- expand.grid(block = LETTERS[1:26], rep = 1:100); d$x <- runif(nrow(d)); "
           "reff <- rnorm(26); d$y <- rnorm(nrow(d), mean = 4 + 3 * d$x + reff[d$block], sd = 1)")
_BOUNDARY = 'd <- read.csv(system.file("testdata", "dat20101314.csv", package = "lme4"))'
_ORTHO = "d <- as.data.frame(nlme::Orthodont); d$Subject <- factor(as.character(d$Subject))"
# lme-tst-funs.R's rSim.11: a random intercept with many small groups
_RSIM = ("set.seed(1); k <- 4; n <- 1000; fac <- gl(n %/% k, k); x <- rnorm(n); "
         "d <- data.frame(fac = fac, x = x, y = 1 + 2 * x + rnorm(n %/% k, sd = 4)[fac] + rnorm(n))")

SUITE: tuple[SuiteModel, ...] = (
    SuiteModel("sleep_fm1", "lmer-1.R", "Reaction ~ Days + (Days | Subject)", _SLEEP),
    SuiteModel("sleep_fm1_ML", "lmer-1.R", "Reaction ~ Days + (Days | Subject)", _SLEEP, REML=False),
    SuiteModel("sleep_fm2", "lmer-1.R", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", _SLEEP),
    SuiteModel("sleep_int_ML", "lmer-1.R", "Reaction ~ Days + (1 | Subject)", _SLEEP, REML=False),
    SuiteModel("sleep_days_groups", "lmer-1.R", "Reaction ~ 1 + (1 | Days)", _SLEEP),
    SuiteModel("sleep_weights_ML", "priorWeights.R", "Reaction ~ Days + (Days | Subject)", _SLEEP_W,
               REML=False, weights="w"),
    SuiteModel("sleep_weights_int", "priorWeights.R", "Reaction ~ Days + (1 | Subject)", _SLEEP_W,
               REML=False, weights="w"),
    SuiteModel("dyestuff", "lmer-1.R", "Yield ~ 1 | Batch", "d <- lme4::Dyestuff"),
    SuiteModel("dyestuff_ML", "lmer-1.R", "Yield ~ 1 | Batch", "d <- lme4::Dyestuff", REML=False),
    SuiteModel("dyestuff2_singular", "lmer-1.R", "Yield ~ 1 | Batch", "d <- lme4::Dyestuff2"),
    SuiteModel("penicillin", "lmer-1.R", "diameter ~ 1 + (1 | plate) + (1 | sample)", "d <- lme4::Penicillin"),
    SuiteModel("pastes_nested", "lmer-1.R", "strength ~ (1 | batch/cask)", "d <- lme4::Pastes"),
    SuiteModel("pastes_cask_slope", "lmer-1.R", "strength ~ 1 + (cask | batch)", "d <- lme4::Pastes"),
    SuiteModel("cake_interaction", "lmer-1.R", "angle ~ recipe * temperature + (1 | recipe:replicate)",
               "d <- lme4::cake"),
    SuiteModel("orthodont", "lme4_nlme.R", "distance ~ age + (age | Subject)", _ORTHO),
    SuiteModel("orthodont_ML", "lme4_nlme.R", "distance ~ age + (age | Subject)", _ORTHO, REML=False),
    SuiteModel("boundary_operator_part", "boundary.R",
               "y ~ (1 | Operator) + (1 | Part) + (1 | Part:Operator)", _BOUNDARY),
    SuiteModel("offset_block", "offset.R", "y ~ x + (1 | block) + offset(3 * x)", _OFFSET),
    SuiteModel("offset_block_plain", "offset.R", "y ~ x + (1 | block)", _OFFSET),
    SuiteModel("rsim11_many_small_groups", "fewlevels.R", "y ~ x + (1 | fac)", _RSIM),
)


def suite_data(model: SuiteModel) -> pd.DataFrame:
    """The model's data frame, built in R by its snippet and converted with the R bridge."""
    from mixedlab.parity import _rbridge

    ro, _ = _rbridge._session()
    rdf = ro.r(f"local({{ {model.data}; d }})")
    return _rbridge.from_r(rdf)
