"""The parity corpus: named models fitted by mixedlab, lme4 and glmmTMB side by side.

Each :class:`Case` names a dataset, an lme4 formula, REML or ML, optional weights/offset
columns and the features it exercises. Between them the cases cover every feature the
parity suite promises (:data:`REQUIRED_FEATURES`); a test checks that.

Datasets are named ``"corpus:<name>"`` (simulated designs and the seed tutorial's data in
``mixedlab/data/corpus``, see :mod:`mixedlab.parity._corpus_data`) or ``"lme4:<name>"``
(lme4's example data from :mod:`mixedlab.datasets`, falling back to R's copy through rpy2
when that module cannot be imported) or ``"mixedlab:<name>"`` (a lesson's data simulated from
R's random stream, :func:`mixedlab.datasets.simulated_dataset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Case", "CASES", "ALL_CASES", "TMB_CASES", "REQUIRED_FEATURES", "get_case", "case_names",
           "all_case_names", "load_case_data"]

#: Features the corpus must cover (issue 3).
REQUIRED_FEATURES = frozenset(
    {
        "tutorial",
        "intercept only",
        "correlated slopes",
        "||",
        "a/b",
        "a:b",
        "two-way crossed",
        "three-way crossed",
        "3-level factor slope",
        "weights",
        "offset",
        "NA rows",
        "no intercept (0 +)",
        "interaction (*)",
        "singular fit",
        "REML",
        "ML",
    }
)


@dataclass(frozen=True)
class Case:
    """One parity case.

    Attributes
    ----------
    kind : str
        Engine kind (:mod:`mixedlab.parity._kinds`): ``"lmer"`` (default) or ``"glmer"``.
    family : str or None
        For GLMM kinds, the R family expression (``'binomial(link = "probit")'``);
        ``"negative.binomial"`` is lme4's ``glmer.nb``.
    nAGQ : int
        glmer's ``nAGQ``.
    name : str
        Identifier, also the reference file name ``reference_outputs/<name>.json``.
    dataset : str
        ``"corpus:<name>"``, ``"lme4:<name>"`` or ``"mixedlab:<name>"``.
    formula : str
        lme4 formula, passed verbatim to mixedlab, lme4 and glmmTMB.
    REML : bool
        REML (True) or maximum likelihood (False), for all three fits.
    weights, offset : str or None
        Column names of prior weights / offset.
    features : tuple of str
        What the case exercises (see :data:`REQUIRED_FEATURES`).
    description : str
        One line for tables and reports.
    """

    name: str
    dataset: str
    formula: str
    REML: bool
    features: tuple[str, ...] = ()
    weights: str | None = None
    offset: str | None = None
    description: str = ""
    glmmtmb: bool = field(default=True)
    kind: str = "lmer"
    family: str | None = None
    nAGQ: int = 1
    #: why glmmTMB's optimum is not the reference's by design (its values are then reported only)
    glmmtmb_differs: str | None = None
    #: glmmTMB's zero-inflation and dispersion formulas (kind "glmmtmb")
    ziformula: str = "~0"
    dispformula: str = "~1"

    @property
    def method(self) -> str:
        """``"REML"``/``"ML"`` (lmer), or the GLMM approximation (``"Laplace"``, ``"nAGQ=9"``)."""
        if self.kind == "glmer":
            return {0: "nAGQ=0", 1: "Laplace"}.get(self.nAGQ, f"nAGQ={self.nAGQ}")
        return "REML" if self.REML else "ML"

    @property
    def data_name(self) -> str:
        """The data set's name as an R user would call it (the summary's ``Data:`` line)."""
        return self.dataset.partition(":")[2]

    def spec(self) -> dict:
        """The case as plain data (stored in its reference file)."""
        out = {
            "name": self.name,
            "dataset": self.dataset,
            "formula": self.formula,
            "REML": self.REML,
            "weights": self.weights,
            "offset": self.offset,
        }
        if self.kind != "lmer":  # lmer cases keep the layout of their existing files
            out.update(kind=self.kind, family=self.family, nAGQ=self.nAGQ)
        if self.kind in ("glmmtmb", "glmmtmb_lmer"):
            out.update(ziformula=self.ziformula, dispformula=self.dispformula)
        return out


_NESTED = "y ~ treatment + (1 + treatment | school)"
_CROSSED = "score ~ treatment + (1 + treatment | rater) + (1 | student)"
_SLEEP = "Reaction ~ Days + (1 + Days | Subject)"

CASES: tuple[Case, ...] = (
    Case("nested_reml", "corpus:nested", _NESTED, True, ("tutorial", "correlated slopes", "REML"),
         description="tutorial nested model: schools with random intercepts and treatment slopes"),
    Case("nested_ml", "corpus:nested", _NESTED, False, ("tutorial", "correlated slopes", "ML"),
         description="tutorial nested model by maximum likelihood"),
    Case("crossed_reml", "corpus:crossed", _CROSSED, True, ("tutorial", "two-way crossed", "correlated slopes", "REML"),
         description="tutorial crossed model: raters (intercept + slope) crossed with students"),
    Case("crossed_ml", "corpus:crossed", _CROSSED, False, ("tutorial", "two-way crossed", "ML"),
         description="tutorial crossed model by maximum likelihood"),
    Case("sleepstudy_reml", "lme4:sleepstudy", _SLEEP, True, ("tutorial", "correlated slopes", "REML"),
         description="tutorial exercise: sleepstudy with correlated intercepts and slopes"),
    Case("sleepstudy_ml", "lme4:sleepstudy", _SLEEP, False, ("tutorial", "correlated slopes", "ML"),
         description="tutorial exercise by maximum likelihood"),
    Case("sleepstudy_uncorrelated", "lme4:sleepstudy", "Reaction ~ Days + (Days || Subject)", True, ("||", "REML"),
         description="uncorrelated intercept and slope with ||: groups Subject and Subject.1"),
    Case("sleepstudy_split_ml", "lme4:sleepstudy", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", False,
         ("no intercept (0 +)", "ML"), description="the || model written out, random slope without intercept, ML"),
    Case("dyestuff_reml", "lme4:Dyestuff", "Yield ~ 1 + (1 | Batch)", True, ("intercept only", "REML"),
         description="one-way random intercept, intercept-only fixed part"),
    Case("dyestuff2_ml", "lme4:Dyestuff2", "Yield ~ 1 + (1 | Batch)", False, ("intercept only", "singular fit", "ML"),
         description="Dyestuff2: between-batch variance estimated as zero (singular)"),
    Case("penicillin_reml", "lme4:Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", True,
         ("two-way crossed", "intercept only", "REML"), description="fully crossed plate x sample intercepts"),
    Case("pastes_nested_reml", "lme4:Pastes", "strength ~ 1 + (1 | batch/cask)", True, ("a/b", "REML"),
         description="cask nested in batch with /: groups cask:batch and batch"),
    Case("pastes_interaction_ml", "lme4:Pastes", "strength ~ 1 + (1 | batch) + (1 | batch:cask)", False, ("a:b", "ML"),
         description="the nested model written with an explicit batch:cask interaction factor, ML"),
    Case("cake_reml", "lme4:cake", "angle ~ recipe * temp + (1 | recipe:replicate)", True,
         ("interaction (*)", "a:b", "REML"), description="recipe x temperature interaction, replicate within recipe"),
    Case("threeway_ml", "corpus:threeway", "y ~ x + (1 | a) + (1 | b) + (1 | c)", False, ("three-way crossed", "ML"),
         description="three crossed random intercepts"),
    Case("slope3_reml", "corpus:slope3", "y ~ cond + (1 + cond | subject)", True, ("3-level factor slope", "correlated slopes", "REML"),
         description="3-level condition (levels low, mid, high) varying by subject: 3x3 covariance"),
    Case("slope3_ml", "corpus:slope3", "y ~ 0 + cond + (1 | subject)", False, ("no intercept (0 +)", "ML"),
         description="cell-means fixed part (0 + cond) with a random intercept, ML"),
    Case("weights_reml", "corpus:weighted", "y ~ x + (1 | g)", True, ("weights", "REML"), weights="w",
         description="prior weights: residual variance sigma^2 / w"),
    Case("offset_ml", "corpus:offset", "y ~ x + (1 | site)", False, ("offset", "ML"), offset="off",
         description="known offset column added to the linear predictor"),
    Case("missing_reml", "corpus:missing", "y ~ x + (1 | g)", True, ("NA rows", "REML"),
         description="NA in y, x and g dropped (na.omit); NA in an unused column and an empty level ignored"),
    Case("nointercept_reml", "corpus:nested", "y ~ 0 + treatment + (0 + treatment | school)", True,
         ("no intercept (0 +)", "correlated slopes", "REML"), description="tutorial data, cell-means parameterisation in both parts"),
    Case("singular_reml", "corpus:singular", "y ~ x + (1 | g)", True, ("singular fit", "REML"),
         description="no between-group variation: group SD on the boundary at 0"),
)

_CBPP = "cbind(incidence, size - incidence) ~ period + (1 | herd)"
_NONCANONICAL = ("glmmTMB's Laplace approximation uses the observed Hessian, glmer's the Fisher "
                 "(expected) weights, which differ for a non-canonical link")

#: glmer cases (kind "glmer"): lme4::glmer / glmer.nb as the reference, glmmTMB beside it.
GLMER_CASES: tuple[Case, ...] = (
    Case("cbpp_laplace", "lme4:cbpp", _CBPP, False, ("GLMM", "binomial", "cbind response", "Laplace"),
         kind="glmer", family="binomial", nAGQ=1,
         description="cbpp: binomial GLMM with a cbind(successes, failures) response, Laplace"),
    Case("cbpp_nagq0", "lme4:cbpp", _CBPP, False, ("GLMM", "binomial", "nAGQ=0"), kind="glmer",
         family="binomial", nAGQ=0, description="cbpp with nAGQ = 0: β estimated inside PIRLS (stage 1 only)",
         glmmtmb_differs="nAGQ = 0 optimises an approximation of the Laplace deviance (β profiled in PIRLS)"),
    Case("cbpp_nagq9", "lme4:cbpp", _CBPP, False, ("GLMM", "binomial", "AGQ"), kind="glmer", family="binomial",
         nAGQ=9, description="cbpp with 9-point adaptive Gauss-Hermite quadrature",
         glmmtmb_differs="lme4 1.1-31's nAGQ > 1 deviance omits the saturated-model constants (another scale) "
                         "and glmmTMB has no quadrature"),
    Case("cbpp_proportion", "lme4:cbpp", "incidence / size ~ period + (1 | herd)", False,
         ("GLMM", "binomial", "proportion response", "weights"), kind="glmer", family="binomial",
         weights="size", description="cbpp written as a proportion with weights = number of trials"),
    Case("cbpp_probit", "lme4:cbpp", _CBPP, False, ("GLMM", "binomial", "probit"), kind="glmer",
         family='binomial(link = "probit")', description="cbpp with a probit link (non-canonical)",
         glmmtmb_differs=_NONCANONICAL),
    Case("cbpp_cloglog", "lme4:cbpp", _CBPP, False, ("GLMM", "binomial", "cloglog"), kind="glmer",
         family='binomial(link = "cloglog")', description="cbpp with a complementary log-log link",
         glmmtmb_differs=_NONCANONICAL),
    Case("verbagg", "lme4:VerbAgg", "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)", False,
         ("GLMM", "binomial", "factor response", "two-way crossed"), kind="glmer", family="binomial",
         description="VerbAgg: 7,584 binary responses, 316 people crossed with 24 items"),
    Case("grouseticks_poisson", "lme4:grouseticks",
         "TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)", False,
         ("GLMM", "poisson", "three scalar terms", "observation-level term"), kind="glmer", family="poisson",
         description="grouseticks: Poisson counts with brood, chick (observation-level) and location terms"),
    Case("gamma_log", "corpus:gamma", "y ~ x + (1 | g)", False, ("GLMM", "Gamma", "scale parameter"),
         kind="glmer", family='Gamma(link = "log")',
         description="simulated Gamma(log) GLMM: a family with a scale parameter (t value, Residual row)",
         glmmtmb_differs="glmer plugs the deviance-based dispersion Σdev/Σw into the family's aic() instead "
                         "of maximising the likelihood over it"),
    Case("grouseticks_nb", "lme4:grouseticks", "TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)", False,
         ("GLMM", "negative binomial", "glmer.nb"), kind="glmer", family="negative.binomial",
         description="glmer.nb: negative binomial GLMM with θ found by glmer.nb's one-dimensional search",
         glmmtmb_differs="glmer.nb's search over θ stops short of the joint optimum (GLMM.md §2.7); "
                         "glmmTMB's nbinom2 maximises over θ with the other parameters"),
    Case("pass_fail", "mixedlab:pass_fail", "pass ~ hours + (1 | school)", False,
         ("GLMM", "binomial", "0/1 response", "lesson"), kind="glmer", family="binomial",
         description="lesson 5: pass (0/1) of 1,000 students in 40 schools against hours of study",
         glmmtmb_differs="evaluated at the same estimates, glmmTMB's Laplace deviance is 3.0e-3 below lme4's "
                         "deviance function on these data (cbpp: 6e-4), beyond the 2e-3 allowed for its optimum"),
)

_SAL = "count ~ spp + mined + (1 | site)"

#: glmmTMB cases (kind "glmmtmb"): glmmTMB 1.1.5 as the reference (lme4's ML fit beside the
#: gaussian one); ``family`` is the R expression glmmTMB is called with.
TMB_CASES: tuple[Case, ...] = (
    Case("tmb_salamanders_zip", "glmmTMB:Salamanders", _SAL, False,
         ("glmmTMB", "poisson", "zero inflation"), kind="glmmtmb", family="poisson",
         ziformula="~spp + mined", description="Salamanders: zero-inflated Poisson"),
    Case("tmb_salamanders_zinb", "glmmTMB:Salamanders", _SAL, False,
         ("glmmTMB", "nbinom2", "zero inflation"), kind="glmmtmb", family="nbinom2",
         ziformula="~spp + mined", description="Salamanders: zero-inflated negative binomial (NB2)"),
    Case("tmb_salamanders_hurdle", "glmmTMB:Salamanders", _SAL, False,
         ("glmmTMB", "truncated_nbinom2", "hurdle"), kind="glmmtmb", family="truncated_nbinom2",
         ziformula="~spp + mined", description="Salamanders: hurdle model (truncated NB2 + zeros)"),
    Case("tmb_salamanders_nb1_disp", "glmmTMB:Salamanders", _SAL, False,
         ("glmmTMB", "nbinom1", "dispersion formula"), kind="glmmtmb", family="nbinom1",
         dispformula="~mined", description="Salamanders: NB1 with a dispersion model ~mined"),
    Case("tmb_grouseticks_nb2", "lme4:grouseticks", "TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)",
         False, ("glmmTMB", "nbinom2"), kind="glmmtmb", family="nbinom2",
         description="grouseticks: negative binomial (NB2) counts by location"),
    Case("tmb_cbpp_binomial", "lme4:cbpp", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
         False, ("glmmTMB", "binomial", "cbind response"), kind="glmmtmb", family="binomial",
         description="cbpp: binomial GLMM with a cbind(successes, failures) response"),
    Case("tmb_beta_disp", "corpus:sim_beta", "y ~ x + (1 | g)", False,
         ("glmmTMB", "beta", "dispersion formula"), kind="glmmtmb", family="beta_family()",
         dispformula="~z", description="simulated proportions: beta GLMM with a dispersion model ~z"),
    Case("tmb_tweedie", "corpus:sim_tweedie", "y ~ x + (1 | g)", False, ("glmmTMB", "tweedie"),
         kind="glmmtmb", family="tweedie",
         description="simulated compound Poisson-gamma amounts: Tweedie GLMM (power estimated)"),
    Case("tmb_betabinomial", "corpus:sim_betabinom", "cbind(k, n - k) ~ x + (1 | g)", False,
         ("glmmTMB", "betabinomial"), kind="glmmtmb", family="betabinomial",
         description="simulated overdispersed binomial counts: beta-binomial GLMM"),
    Case("tmb_sleepstudy_gaussian", "lme4:sleepstudy", _SLEEP, False,
         ("glmmTMB", "gaussian", "correlated slopes"), kind="glmmtmb_lmer", family="gaussian",
         description="sleepstudy by ML: glmmTMB's gaussian model equals lmer's ML fit"),
)

# the glmer cases join the corpus with the engine (mixedlab.glmer)
# glmmTMB cases have glmmTMB, not lme4, as their primary reference: tests/tmb runs them;
# ``mixedlab parity`` runs them with the rest by default (all_case_names)
CASES = CASES + GLMER_CASES
ALL_CASES = CASES + TMB_CASES

_BY_NAME = {c.name: c for c in ALL_CASES}


def case_names() -> list[str]:
    """Names of the lme4-referenced corpus cases (lmer, glmer), in corpus order."""
    return [c.name for c in CASES]


def all_case_names() -> list[str]:
    """Names of every corpus case: the lme4 ones, then the glmmTMB ones (``tmb_*``).

    This is the default corpus of ``mixedlab parity``.
    """
    return [c.name for c in ALL_CASES]


def get_case(name: str) -> Case:
    """Return the case called ``name`` (a clear error lists the valid names)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no parity case {name!r}; cases are: {', '.join(_BY_NAME)}") from None


def load_case_data(case: Case | str) -> tuple[pd.DataFrame, str]:
    """Return ``(data, source)`` for a case; ``source`` says where the data came from."""
    case = get_case(case) if isinstance(case, str) else case
    kind, _, name = case.dataset.partition(":")
    if kind == "corpus":
        from mixedlab.parity._corpus_data import load_corpus_dataset

        return load_corpus_dataset(name), f"mixedlab/data/corpus/{name}.csv"
    if kind in ("lme4", "glmmTMB"):
        try:
            from mixedlab.datasets import load_dataset
        except ImportError:
            from mixedlab.parity import _rbridge

            return _rbridge.r_dataset(name, "lme4"), f"R lme4::{name} (through rpy2)"
        return load_dataset(name), f"mixedlab.datasets.load_dataset({name!r})"
    if kind == "mixedlab":
        from mixedlab.datasets import simulated_dataset

        return simulated_dataset(name), f"mixedlab.datasets.simulated_dataset({name!r}) (R's random stream)"
    raise ValueError(f"case {case.name!r}: dataset {case.dataset!r} must start with 'corpus:', 'lme4:' "
                     "or 'mixedlab:'")
