"""lme4's ``confint`` and ``profile`` for a GLMM fit, as a mixin of ``GlmerFit``.

* ``method="Wald"``: β̂ ± z·SE (glmer's Hessian-based SEs), missing for the variance
  parameters, rows ``.sig01, …`` (and ``.sigma`` for families with a scale), then the fixed
  effects;
* ``method="profile"``: lme4's profile of the Laplace/AGQ deviance in (SDs, correlations,
  β), every parameter re-optimised by lme4's Nelder–Mead at each point
  (:func:`mixedlab.inference._profile.profile_glmm`). As lme4, not for families with a scale
  parameter, nor for ``nAGQ = 0`` fits.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from mixedlab._errors import ArgumentError, ModelSpecificationError, inform
from mixedlab.inference._profile import profile_glmm, profile_names

__all__ = ["GlmerInference"]


class GlmerInference:
    """Mixin: lme4's Wald and profile intervals for :class:`~mixedlab.GlmerFit`."""

    def _profile_names(self) -> list[str]:
        vn = profile_names([t.k for t in self.terms])
        return vn if self.family.has_scale else vn[:-1]

    def confint(self, parm: Any = None, level: float = 0.95, method: str = "profile",
                quiet: bool = False) -> pd.DataFrame:
        """Confidence intervals, as lme4's ``confint(m, parm, level, method)`` for a glmer fit.

        Parameters
        ----------
        parm
            Names, 1-based positions, ``"theta_"`` or ``"beta_"``; default all.
        level
            Confidence level (columns "2.5 %", "97.5 %" for 0.95).
        method : {"profile", "Wald"}
            lme4's likelihood profile of the Laplace deviance, or Wald intervals for the fixed
            effects (missing for the variance parameters).
        quiet
            Do not announce the profile computation.
        """
        from mixedlab.results._lmer_confint import _check_level, _parm_rows, wald_intervals

        level = _check_level(level)
        if method == "boot":
            raise ModelSpecificationError(
                "bootstrap intervals (method=\"boot\") are available for lmer fits; for a glmer fit "
                "use method=\"profile\" or \"Wald\"")
        if method not in ("profile", "Wald"):
            raise ArgumentError(f"method must be one of ['profile', 'Wald', 'boot'], not {method!r}")
        vn = self._profile_names()
        fixed = [str(n) for n in self.fixef.index]
        names = vn + fixed
        rows = _parm_rows(names, len(vn), parm)
        if method == "Wald":
            return wald_intervals(self, names, level).loc[rows]
        if not quiet:
            inform("Computing profile confidence intervals ...")
        prof = self.profile(which=rows if parm is not None else None)
        return prof.confint(level).loc[rows]

    def profile(self, which: Any = None):
        """lme4's ``profile(m)`` of a GLMM (see the module docstring)."""
        from mixedlab.glm._laplace import Stage2Devfun
        from mixedlab.results._lmer_confint import LmerProfile, _parm_rows

        if self.family.has_scale:
            raise ModelSpecificationError("can't (yet) profile GLMMs with non-fixed scale parameters "
                                          "(as lme4); use confint(method=\"Wald\")")
        if self.nAGQ < 1:
            raise ModelSpecificationError("profiles need the Laplace or AGQ deviance: refit with nAGQ=1 "
                                          "(nAGQ=0 optimises θ only)")
        vn = self._profile_names()
        # names, 1-based positions, "theta_" or "beta_", as confint's parm; an unknown one is an error
        rows = None if which is None else _parm_rows(vn + [str(n) for n in self.fixef.index], len(vn), which)
        gm = copy.deepcopy(self._gm, memo={id(self._gm.model): self._gm.model})
        dev = Stage2Devfun(gm, self.nAGQ)
        res = profile_glmm(dev, self.theta, self.fixef.to_numpy(dtype=float), gm.lower,
                           [t.k for t in self.terms], [str(n) for n in self.fixef.index], self.objective,
                           which=rows)
        return LmerProfile(res)
