"""The benchmark cases: model, data, repeats, what statsmodels can express, targets.

Each :class:`BenchCase` is one row of the benchmark table. The cases and targets are
those of issue 6; the statsmodels translations are exact re-expressions of the
same model (same likelihood), or the case says why statsmodels is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import pandas as pd

from mixedlab.bench._data import (
    LoadedData,
    load_corpus_dataset,
    load_counts_explorer_data,
    load_explorer_data,
    load_lme4_dataset,
    load_tutorial_simulation,
    simulate_factor_slope,
    simulate_large,
)

__all__ = ["Target", "StatsmodelsSpec", "PeerSpec", "BenchCase", "CASES", "select_cases"]


@dataclass(frozen=True)
class Target:
    """A performance goal shown next to the measured figure.

    ``kind`` says what is compared with ``limit``: ``"ratio"`` the median pairwise
    time ratio mixedlab/lme4, ``"seconds"`` mixedlab's median fit time,
    ``"memory_mb"`` mixedlab's peak resident-set growth during one fit,
    ``"peer_ratio"`` the median pairwise ratio mixedlab/(fastest PyPI peer).
    """

    kind: Literal["ratio", "seconds", "memory_mb", "peer_ratio"]
    limit: float

    @property
    def label(self) -> str:
        """Short text for the table, e.g. ``"ratio<=0.25"``."""
        unit = {"ratio": "ratio<=", "seconds": "time<=", "memory_mb": "mem<",
                "peer_ratio": "vs fastest peer<="}[self.kind]
        suffix = {"ratio": "", "seconds": "s", "memory_mb": "MB", "peer_ratio": "x"}[self.kind]
        return f"{unit}{self.limit:g}{suffix}"


@dataclass(frozen=True)
class StatsmodelsSpec:
    """Arguments of ``statsmodels.formula.api.mixedlm`` that express the same model.

    ``groups=None`` means one group holding every row, the statsmodels idiom for
    crossed variance components (each component then enters through ``vc_formula``).
    """

    formula: str
    groups: str | None
    re_formula: str | None = None
    vc_formula: dict[str, str] | None = None


@dataclass(frozen=True)
class PeerSpec:
    """The case's model as the PyPI peers (:mod:`mixedlab.bench._peers`) write it.

    They have no ``cbind()``, ``scale()`` or factor responses: ``prepare`` adds the columns
    ``formula`` uses to a copy of the case's frame (before any clock starts), ``weights``
    names the prior-weights column (binomial trials), ``family`` is "binomial", "poisson"
    or "gaussian". The model, and so the likelihood, is the case's own.
    """

    formula: str
    family: str = "gaussian"
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    weights: str | None = None


def _cbpp_for_peers(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(prop=d["incidence"] / d["size"], ntrials=d["size"].astype(float))


def _grouseticks_for_peers(d: pd.DataFrame) -> pd.DataFrame:
    h = d["HEIGHT"].astype(float)
    return d.assign(sHEIGHT=(h - h.mean()) / h.std(ddof=1))  # R's scale(): sd with n − 1


def _verbagg_for_peers(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(y=(d["r2"].astype(str) == "Y").astype(float))  # glmer: first level (N) = failure


@dataclass(frozen=True)
class BenchCase:
    """One benchmark model.

    Attributes
    ----------
    name
        Short identifier used on the command line (``--models``).
    formula, reml
        The lme4 model, fitted identically by mixedlab, lme4 and glmmTMB.
    load
        Returns the data frame shared by every engine.
    quick
        Included in ``--quick`` runs.
    repeats, quick_repeats
        Timed fits per engine in full and quick runs (after one warm-up fit).
    r_repeats
        Timed fits for lme4/glmmTMB in a full run when they should differ from
        ``repeats`` (the 1M-row case runs R once); None means ``repeats``.
    warmup
        Whether each engine first fits once untimed (imports, caches, JIT-less
        first-call costs). InstEval and the large case skip it: a fit there is long
        enough that first-call costs are noise, an untimed lme4 fit would cost
        minutes, and the session warm-up (sleepstudy with every engine) has already
        loaded every code path.
    big
        R may be skipped on this case with ``--skip-r-big``.
    statsmodels
        The equivalent MixedLM call, or None with ``statsmodels_skip`` saying why.
    targets
        Goals shown in the table.
    kind
        ``"lmer"`` (mixedlab.lmer against lme4::lmer), ``"glmer"`` (mixedlab.glmer against
        lme4::glmer with ``family``, an R family expression, and ``nAGQ``) or ``"glmmtmb"``
        (mixedlab.glmmtmb against glmmTMB::glmmTMB with ``family``, ``ziformula``,
        ``dispformula``).
    family, ziformula, dispformula, nAGQ
        The GLMM (``family`` as the R expression glmer/glmmTMB is called with).
    reference
        The engine of the ratio and of the agreement check.
    memory
        Whether peak memory is measured for this case.
    peers
        The model for the PyPI peers (glmm, mixedlm), or None (they are then skipped).
    burners
        CPU-bound busy-loop processes kept running while the case is timed (the
        loaded-machine row: a shared server's other users), 0 for none. Threads are
        left at the user's defaults (no environment variables).
    """

    name: str
    title: str
    formula: str
    reml: bool
    load: Callable[[], LoadedData]
    quick: bool = False
    repeats: int = 7
    quick_repeats: int = 5
    r_repeats: int | None = None
    warmup: bool = True
    big: bool = False
    statsmodels: StatsmodelsSpec | None = None
    statsmodels_skip: str | None = None
    targets: tuple[Target, ...] = field(default_factory=tuple)
    kind: str = "lmer"
    family: str | None = None
    ziformula: str = "~0"
    dispformula: str = "~1"
    reference: str = "lme4"
    memory: bool = True
    nAGQ: int = 1
    peers: PeerSpec | None = None
    burners: int = 0


_NOT_LMER = "not an lmer model: a glmmTMB family, fitted against glmmTMB"
_NO_SM_GLMM = ("not expressible: statsmodels has no maximum-likelihood GLMM (only the Bayesian "
               "BinomialBayesMixedGLM/PoissonBayesMixedGLM, another estimator)")

def _counts_explorer_case(name: str, family: str, ziformula: str) -> BenchCase:
    """One of lesson 10's three refits on the explorer's default data, timed against glmmTMB."""
    zi = "" if ziformula == "~0" else f", zi {ziformula}"
    return BenchCase(
        name=f"counts_{name}",
        title=f"lesson 10 explorer refit: count ~ 1 + (1 | group){zi}, 20 groups x 10 (glmmTMB, {family})",
        formula="count ~ 1 + (1 | group)",
        reml=False,
        load=load_counts_explorer_data,
        quick=True,
        repeats=15,
        statsmodels_skip=_NOT_LMER,
        targets=(Target("seconds", 0.15), Target("ratio", 0.2)),
        kind="glmmtmb", family=family, ziformula=ziformula, reference="glmmTMB", memory=False,
    )


CASES: tuple[BenchCase, ...] = (
    BenchCase(
        name="sleepstudy",
        title="sleepstudy, correlated random slope (REML)",
        formula="Reaction ~ Days + (Days | Subject)",
        reml=True,
        load=lambda: load_lme4_dataset("sleepstudy", "sleepstudy"),
        quick=True,
        repeats=15,
        statsmodels=StatsmodelsSpec("Reaction ~ Days", groups="Subject", re_formula="~Days"),
        peers=PeerSpec("Reaction ~ Days + (Days | Subject)"),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 1.5)),
    ),
    BenchCase(
        name="nested",
        title="tutorial nested: y ~ treatment + (1 + treatment | school) (REML)",
        formula="y ~ treatment + (1 + treatment | school)",
        reml=True,
        load=lambda: load_tutorial_simulation("nested"),
        quick=True,
        repeats=15,
        statsmodels=StatsmodelsSpec("y ~ treatment", groups="school", re_formula="~treatment"),
    ),
    BenchCase(
        name="crossed",
        title="tutorial crossed: score ~ treatment + (1 + treatment | rater) + (1 | student) (REML)",
        formula="score ~ treatment + (1 + treatment | rater) + (1 | student)",
        reml=True,
        load=lambda: load_tutorial_simulation("crossed"),
        quick=True,
        repeats=15,
        statsmodels_skip=(
            "not expressible: crossed terms need a single group with vc_formula, and "
            "variance components are independent, so the rater intercept-slope correlation is lost"
        ),
    ),
    BenchCase(
        name="penicillin",
        title="Penicillin: diameter ~ 1 + (1 | plate) + (1 | sample) (REML)",
        formula="diameter ~ 1 + (1 | plate) + (1 | sample)",
        reml=True,
        load=lambda: load_lme4_dataset("Penicillin", "penicillin"),
        quick=True,
        repeats=15,
        statsmodels=StatsmodelsSpec(
            "diameter ~ 1", groups=None, vc_formula={"plate": "0 + C(plate)", "sample": "0 + C(sample)"}
        ),
        peers=PeerSpec("diameter ~ 1 + (1 | plate) + (1 | sample)"),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 1.5)),
    ),
    BenchCase(
        name="pastes",
        title="Pastes: strength ~ 1 + (1 | batch/cask) (REML)",
        formula="strength ~ 1 + (1 | batch/cask)",
        reml=True,
        load=lambda: load_lme4_dataset("Pastes", "pastes"),
        quick=True,
        repeats=15,
        # batch is the group; cask within batch is a variance component inside each group.
        statsmodels=StatsmodelsSpec(
            "strength ~ 1", groups="batch", re_formula="1", vc_formula={"cask": "0 + C(cask)"}
        ),
        peers=PeerSpec("strength ~ 1 + (1 | batch/cask)"),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 1.5)),
    ),
    BenchCase(
        # issue 18: the evaluation count is the cost here (7 covariance parameters)
        name="factor_slope",
        title="factor slope: y ~ f + (f | g1) + (1 | g2), 3-level f, 30 x 20 crossed (REML, 600 rows)",
        formula="y ~ f + (f | g1) + (1 | g2)",
        reml=True,
        load=simulate_factor_slope,
        quick=True,
        repeats=11,
        statsmodels_skip=(
            "not expressible: crossed terms need a single group with vc_formula, whose "
            "components are independent, so the correlated (f | g1) block is lost"
        ),
        peers=PeerSpec("y ~ f + (f | g1) + (1 | g2)"),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 1.0)),
    ),
    BenchCase(
        # every slider move of lesson 4 simulates, refits this model and redraws; the refit is
        # nearly all of it (drawing the SVG takes about a millisecond), and the lesson's budget
        # for the whole move is 100 ms
        name="explorer",
        title="lesson 4 explorer refit: y ~ x + (1 + x | group), 20 groups x 10 (REML); 100 ms per slider move",
        formula="y ~ x + (1 + x | group)",
        reml=True,
        load=load_explorer_data,
        quick=True,
        repeats=15,
        statsmodels=StatsmodelsSpec("y ~ x", groups="group", re_formula="~x"),
        targets=(Target("seconds", 0.1),),
    ),
    BenchCase(
        name="insteval",
        title="InstEval: y ~ 1 + service + (1|s) + (1|d) + (1|dept:service) (ML, 73,421 rows)",
        formula="y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)",
        reml=False,
        load=lambda: load_lme4_dataset("InstEval", "insteval"),
        repeats=3,
        warmup=False,
        statsmodels_skip=(
            "not attempted: crossed s and d need one group with vc_formula, so MixedLM "
            "works with a dense 73,421 x 4,128 random-effects design; impractical"
        ),
        peers=PeerSpec("y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)"),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 1.0), Target("memory_mb", 1024.0)),
    ),
    BenchCase(
        # issue 18's loaded-machine row: the same fit while two busy loops compete for the two
        # cores, threads at the user's defaults; compare with the insteval row (quiet)
        name="insteval_loaded",
        title="InstEval as above, machine loaded: 2 CPU-bound busy loops running, default threading",
        formula="y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)",
        reml=False,
        load=lambda: load_lme4_dataset("InstEval", "insteval"),
        repeats=3,
        warmup=False,
        statsmodels_skip="not attempted (see insteval)",
        peers=PeerSpec("y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)"),
        memory=False,
        burners=2,
    ),
    BenchCase(
        name="large",
        title="simulated 1,000,000 rows: y ~ x + (1 + x | g1) + (1 | g2), 10,000 x 500 levels (REML)",
        formula="y ~ x + (1 + x | g1) + (1 | g2)",
        reml=True,
        load=simulate_large,
        repeats=3,
        r_repeats=1,
        warmup=False,
        big=True,
        statsmodels_skip="not attempted: crossed g1 and g2 need one group holding 1,000,000 rows; impractical",
        targets=(Target("seconds", 60.0),),
    ),
    BenchCase(
        name="tmb_zinb",
        title="Salamanders ZINB: count ~ spp + mined + (1 | site), zi ~spp + mined (glmmTMB, nbinom2)",
        formula="count ~ spp + mined + (1 | site)",
        reml=False,
        load=lambda: load_lme4_dataset("Salamanders", "salamanders"),
        quick=True,
        repeats=9,
        statsmodels_skip=_NOT_LMER,
        targets=(Target("ratio", 0.2),),
        kind="glmmtmb", family="nbinom2", ziformula="~spp + mined", reference="glmmTMB", memory=False,
    ),
    BenchCase(
        name="tmb_grouseticks",
        title="grouseticks NB2: TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION) (glmmTMB, nbinom2)",
        formula="TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)",
        reml=False,
        load=lambda: load_lme4_dataset("grouseticks", "grouseticks"),
        quick=True,
        repeats=9,
        statsmodels_skip=_NOT_LMER,
        targets=(Target("ratio", 0.2),),
        kind="glmmtmb", family="nbinom2", reference="glmmTMB", memory=False,
    ),
    BenchCase(
        name="tmb_beta",
        title="simulated beta GLMM: y ~ x + (1 | g), dispersion ~z (glmmTMB, beta_family)",
        formula="y ~ x + (1 | g)",
        reml=False,
        load=lambda: load_corpus_dataset("sim_beta"),
        quick=True,
        repeats=9,
        statsmodels_skip=_NOT_LMER,
        targets=(Target("ratio", 0.2),),
        kind="glmmtmb", family="beta_family()", dispformula="~z", reference="glmmTMB", memory=False,
    ),
    # every slider move of lesson 10 refits these three models (and simulates residuals of the one
    # in use): the refits are most of a redraw, whose budget is about half a second
    *(_counts_explorer_case(name, family, zi) for name, family, zi in
      (("poisson", "poisson", "~0"), ("nb2", "nbinom2", "~0"), ("zinb", "nbinom2", "~1"))),
    BenchCase(
        name="cbpp",
        title="cbpp: cbind(incidence, size - incidence) ~ period + (1 | herd), binomial GLMM (Laplace)",
        formula="cbind(incidence, size - incidence) ~ period + (1 | herd)",
        reml=False,
        load=lambda: load_lme4_dataset("cbpp", "cbpp"),
        quick=True,
        repeats=15,
        kind="glmer",
        family="binomial",
        statsmodels_skip=_NO_SM_GLMM,
        peers=PeerSpec("prop ~ period + (1 | herd)", "binomial", _cbpp_for_peers, weights="ntrials"),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 2.0)),
        memory=False,
    ),
    BenchCase(
        name="grouseticks",
        title="grouseticks: TICKS ~ YEAR + scale(HEIGHT) + (1|BROOD) + (1|INDEX) + (1|LOCATION), Poisson GLMM",
        formula="TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)",
        reml=False,
        load=lambda: load_lme4_dataset("grouseticks", "grouseticks"),
        repeats=5,
        kind="glmer",
        family="poisson",
        statsmodels_skip=_NO_SM_GLMM,
        peers=PeerSpec("TICKS ~ YEAR + sHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)", "poisson",
                       _grouseticks_for_peers),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 2.0)),
        memory=False,
    ),
    BenchCase(
        name="verbagg",
        title="VerbAgg: r2 ~ Anger + Gender + btype + situ + (1|id) + (1|item), binomial GLMM (7,584 rows)",
        formula="r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)",
        reml=False,
        load=lambda: load_lme4_dataset("VerbAgg", "verbagg"),
        repeats=3,
        kind="glmer",
        family="binomial",
        statsmodels_skip=_NO_SM_GLMM,
        peers=PeerSpec("y ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)", "binomial", _verbagg_for_peers),
        targets=(Target("ratio", 0.1), Target("peer_ratio", 2.0)),
        memory=False,
    ),
)


def select_cases(names: list[str] | None, quick: bool) -> list[BenchCase]:
    """Return the cases to run, in table order.

    Parameters
    ----------
    names
        Case names chosen with ``--models``; None selects the default set.
    quick
        Without ``names``, select only the cases marked ``quick``.

    Raises
    ------
    ValueError
        When a name is not a known case; the message lists the valid names.
    """
    known = {case.name: case for case in CASES}
    if names:
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(
                f"unknown benchmark model(s) {', '.join(unknown)}; choose from {', '.join(known)}"
            )
        return [case for case in CASES if case.name in names]
    return [case for case in CASES if case.quick or not quick]
