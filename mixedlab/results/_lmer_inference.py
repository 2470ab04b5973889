"""The inference methods of a linear mixed fit (lmerTest's and lme4's), as a mixin of ``LmerFit``.

The computations live in :mod:`mixedlab.inference`; this class only hands them the fit's
engine objects (cross-products, θ, σ, vcov(β)) and keeps what is expensive:

* ``_satterthwaite`` — lmerTest's derivatives (computed on first use; its warnings about the
  Hessian's eigenvalues are emitted then, as ``lmerTest::lmer`` emits them at fit time);
* ``_kenward_roger`` — pbkrtest's adjusted covariance (REML fits only, as lmerTest).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import ModelSpecificationError
from mixedlab.inference._influence import hat_values
from mixedlab.inference import (
    FixedStructure,
    KRAdjusted,
    SatterthwaiteDerivs,
    check_ddf,
    anova_table,
    coef_table,
    drop1_table,
    fixed_structure,
    normalise_type,
    satterthwaite_derivs,
    vcov_adjusted,
)

__all__ = ["LmerInference"]

KR_REML_ONLY = (
    "Kenward-Roger's method is only available for REML model fits (as in lmerTest); refit with "
    "REML=True, or use ddf=\"Satterthwaite\""
)


class LmerInference:
    """Mixin: t tests, F tests and intervals for :class:`~mixedlab.LmerFit`."""

    # provided by LmerFit
    _cp: Any
    theta: Any
    sigma: float
    REML: bool
    fixef: pd.Series
    se: pd.Series
    vcov: pd.DataFrame

    @cached_property
    def _satterthwaite(self) -> SatterthwaiteDerivs:
        return satterthwaite_derivs(self._cp, self.theta, self.sigma, self.REML, self.vcov.to_numpy(),
                                    warn=True)

    @cached_property
    def _kenward_roger(self) -> KRAdjusted:
        if not self.REML:
            raise ModelSpecificationError(KR_REML_ONLY)
        return vcov_adjusted(self._cp, self.theta, self.sigma, self.vcov.to_numpy())

    @cached_property
    def _fixed_structure(self) -> FixedStructure:
        return fixed_structure(self._model)

    def _f_tests(self, ddf: str | None):
        """The derivatives ``ddf`` needs: ``(satt, kr)``, one of them None."""
        ddf = check_ddf(ddf, allow_none=False)
        if ddf == "Kenward-Roger":
            return None, self._kenward_roger
        return self._satterthwaite, None

    def _single_anova(self, type: int | str = 3, ddf: str = "Satterthwaite"):
        """lmerTest's ``anova(m, type=, ddf=)``: ``(table, heading, hypotheses)``."""
        t = normalise_type(type)
        satt, kr = self._f_tests(ddf)
        return anova_table(self._fixed_structure, self.fixef.to_numpy(), self.sigma, t, ddf, satt, kr)

    def _drop1(self, ddf: str = "Satterthwaite", scope: list[str] | None = None):
        """lmerTest's ``drop1(m, ddf=)``: ``(table, hypotheses)``."""
        satt, kr = self._f_tests(ddf)
        return drop1_table(self._fixed_structure, self.fixef.to_numpy(), self.sigma, ddf, satt, kr, scope)

    # ------------------------------------------------------------------ intervals (lme4)
    def confint(self, parm: Any = None, level: float = 0.95, method: str = "profile", nsim: int = 500,
                seed: Any = None, n_jobs: int = 1, progress: bool | None = None,
                quiet: bool = False) -> pd.DataFrame:
        """Confidence intervals, as lme4's ``confint(m, parm, level, method, nsim)``.

        Parameters
        ----------
        parm
            Parameters to report: names, 1-based positions, ``"theta_"`` (the variance
            parameters) or ``"beta_"`` (the fixed effects); default all.
        level
            Confidence level; the columns are named for it ("2.5 %", "97.5 %").
        method : {"profile", "Wald", "boot"}
            ``"profile"``: lme4's likelihood profile (ML, SD/correlation scale) read through its
            splines (see :meth:`profile`). ``"Wald"``: β̂ ± z·SE for the fixed effects, missing
            for the variance parameters. ``"boot"``: parametric bootstrap percentile intervals
            (``bootMer``), ``nsim`` refits.
        nsim, seed
            Bootstrap replicates and seed. The responses are :meth:`simulate`'s, R's random
            numbers: ``seed=s`` draws what R's ``set.seed(s); confint(m, method = "boot")``
            draws, and each is refitted as lme4 1.1-31's ``refit`` does (including its REML
            criterion with ``resp$REML = 1``, see :mod:`mixedlab.inference._bootstrap`), so
            the intervals are R's to lme4's optimizer precision. ``seed=None`` starts from a
            fresh random seed.
        n_jobs
            Bootstrap refits in this many worker processes (the results do not depend on it).
        progress
            Show a progress bar (tqdm) during the bootstrap; default when ``nsim >= 50``.
        quiet
            Do not announce the profile/bootstrap computation (lme4's message).

        Returns
        -------
        pandas.DataFrame
            Rows ``.sig01, .sig02, …, .sigma`` (per term its SDs and correlations in θ's
            order, then σ), then the fixed effects; columns the lower and upper bounds.
        """
        from mixedlab.results._lmer_confint import confint_lmer

        return confint_lmer(self, parm=parm, level=level, method=method, nsim=nsim, seed=seed,
                            n_jobs=n_jobs, progress=progress, quiet=quiet)

    def profile(self, which: Any = None):
        """lme4's likelihood profile (``profile(m)``): points, splines, ``confint()``, ``plot()``.

        A REML fit is profiled on the ML deviance, as lme4 does (``refitML``).

        Parameters
        ----------
        which
            Names of the parameters to profile (``.sig01``, …, ``.sigma``, fixed-effect names);
            default all.
        """
        from mixedlab.results._lmer_confint import profile_fit

        return profile_fit(self, which=which)

    def _bootstrap(self, nsim: int = 500, seed: Any = None, n_jobs: int = 1, progress: bool | None = None):
        from mixedlab.results._lmer_confint import bootstrap_fit

        return bootstrap_fit(self, nsim=nsim, seed=seed, n_jobs=n_jobs, progress=progress)

    # ------------------------------------------------------------------ broom.mixed
    def hat_values(self) -> np.ndarray:
        """lme4's ``hatvalues(m)``: the leverage of each observation used in the fit."""
        return hat_values(self._cp, self._model, self.theta)

    def glance(self) -> pd.DataFrame:
        """broom.mixed's ``glance(m)``: nobs, sigma, logLik, AIC, BIC, REMLcrit/deviance, df.residual."""
        from mixedlab.reporting._broom import glance

        return glance(self)

    def augment(self) -> pd.DataFrame:
        """broom.mixed's ``augment(m)``: the model frame with ``.fitted``, ``.resid``, ``.hat``,
        ``.cooksd``, ``.fixed``, ``.mu``, ``.offset``, ``.sqrtXwt``, ``.sqrtrwt``, ``.weights``,
        ``.wtres``."""
        from mixedlab.reporting._broom import augment

        return augment(self)

    def vcov_adjusted(self) -> pd.DataFrame:
        """Kenward–Roger's adjusted covariance of the fixed effects (pbkrtest's ``vcovAdj``).

        Raises
        ------
        ModelSpecificationError
            For a fit by maximum likelihood (Kenward–Roger needs REML).
        """
        names = list(self.fixef.index)
        return pd.DataFrame(self._kenward_roger.phi_adj, index=names, columns=names)

    def coef_table(self, ddf: str | None = "Satterthwaite") -> pd.DataFrame:
        """The fixed effects with t tests: lmerTest's ``coef(summary(m, ddf = ddf))``.

        Parameters
        ----------
        ddf : {"Satterthwaite", "Kenward-Roger", None}
            The denominator degrees of freedom. ``"Kenward-Roger"`` also adjusts the standard
            errors (pbkrtest's adjusted covariance) and needs a REML fit; ``None`` gives lme4's
            table (no df, no p-values).

        Returns
        -------
        pandas.DataFrame
            Indexed by the fixed-effect names, columns ``Estimate, Std. Error, df, t value,
            Pr(>|t|)`` (``None``: ``Estimate, Std. Error, t value``).

        Examples
        --------
        >>> import mixedlab
        >>> fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy())
        >>> round(fit.coef_table().loc["Days", "df"], 3)
        17.0
        """
        ddf = check_ddf(ddf)
        if ddf == "Satterthwaite":
            return coef_table(self.fixef, self.se, ddf, satt=self._satterthwaite)
        if ddf == "Kenward-Roger":
            return coef_table(self.fixef, self.se, ddf, kr=self._kenward_roger)
        return coef_table(self.fixef, self.se, None)
