"""lme4's ``confint`` and ``profile`` of a linear mixed fit: the result objects users see.

The computations are in :mod:`mixedlab.inference` (``_profile``, ``_bootstrap``); here they
are given the fit's engine objects and the results are labelled as lme4 labels them: rows
``.sig01``, ``.sig02``, …, ``.sigma`` (SDs and correlations per term in θ's order, then σ),
then the fixed effects; columns named for the level as ``format.perc`` does ("2.5 %").
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from mixedlab._errors import ArgumentError, inform
from mixedlab.inference._bootstrap import (
    BootModel,
    bootstrap_intervals,
    parametric_bootstrap,
    simulate_responses,
)
from mixedlab.inference._profile import ProfileResult, profile_lmer, profile_names

__all__ = ["LmerProfile", "confint_lmer", "profile_fit", "bootstrap_fit", "bootstrap_responses", "level_names", "wald_intervals",
           "CONFINT_METHODS"]

CONFINT_METHODS = ("profile", "Wald", "boot")


def level_names(level: float) -> list[str]:
    """lme4's ``format.perc(c(a, 1 - a), 3)``: ``paste(format(100 * p, digits = 3), "%")``."""
    a = (1.0 - level) / 2.0
    vals = 100.0 * np.array([a, 1.0 - a])
    # scientific = FALSE: fixed notation with the decimals the 3-significant-digit forms need
    dec = 0
    for v in vals:
        mant, exp = f"{v:.2e}".split("e")
        nsig = len(mant.replace("-", "").replace(".", "").rstrip("0")) or 1
        dec = max(dec, nsig - 1 - int(exp))
    return [f"{v:.{dec}f} %" for v in vals]


def _check_level(level: float) -> float:
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise ArgumentError(f"level must be a number between 0 and 1, not {level!r}") from None
    if not 0.0 < level < 1.0:
        raise ArgumentError(f"level must be between 0 and 1 (e.g. 0.95), not {level}")
    return level


class LmerProfile:
    """lme4's ``profile(m)``: the profile points (``frame``), ``confint()`` and ``plot()``.

    Attributes
    ----------
    frame : pandas.DataFrame
        As ``as.data.frame(profile(m))``: ``.zeta``, the value of every parameter at each
        point, and ``.par``, the parameter profiled there.
    names : list of str
        The parameters profiled, in lme4's order.
    """

    def __init__(self, result: ProfileResult) -> None:
        self._result = result
        self.frame = result.frame
        self.names = list(result.names)

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """``confint(profile(m), level = level)``."""
        level = _check_level(level)
        return pd.DataFrame(self._result.confint(level), index=self.names, columns=level_names(level))

    def plot(self, levels: Sequence[float] = (0.5, 0.8, 0.9, 0.95, 0.99), absolute: bool = False, ax=None):
        """ζ against each parameter, one panel each, as lme4's ``xyplot(profile(m))``.

        Needs matplotlib (``pip install "mixedlab[inference]"``). Returns the figure.
        """
        from mixedlab.reporting._profile_plot import plot_profile

        return plot_profile(self, levels=levels, absolute=absolute, ax=ax)

    def spline(self, name: str):
        """The interpolating spline ζ(x) of parameter ``name`` (None if it could not be built)."""
        s = self._result.forward.get(name)
        return None if isinstance(s, Exception) else s

    def __repr__(self) -> str:
        return f"<LmerProfile of {len(self.names)} parameters, {len(self.frame)} points>"


def _parm_rows(names: list[str], nvp: int, parm: Any) -> list[str]:
    """lme4's ``get.which``/``confint`` ``parm``: names, positions, "theta_" or "beta_"."""
    if parm is None:
        return list(names)
    if isinstance(parm, str):
        if parm == "theta_":
            return names[:nvp]
        if parm == "beta_":
            return names[nvp:]
        parm = [parm]
    out = []
    for p in parm:
        if isinstance(p, (int, np.integer)) and not isinstance(p, bool):
            if not 1 <= p <= len(names):
                raise ArgumentError(f"parm position {p} is out of range 1..{len(names)} (R's positions are 1-based)")
            out.append(names[p - 1])
        elif p in names:
            out.append(p)
        else:
            raise ArgumentError(f"unknown parameter {p!r}; parameters are {names}")
    return out


def wald_intervals(fit: Any, names: list[str], level: float) -> pd.DataFrame:
    """lme4's ``method = "Wald"``: β̂ ± z·SE on the fixed-effect rows, NA on the others.

    ``names`` are all the rows (variance parameters first, then ``fit.fixef``'s names).
    """
    a = (1.0 - level) / 2.0
    z = norm.ppf([a, 1.0 - a])
    out = pd.DataFrame(np.nan, index=names, columns=level_names(level))
    est, se = fit.fixef.to_numpy(dtype=float), fit.se.to_numpy(dtype=float)
    out.loc[[str(n) for n in fit.fixef.index], :] = est[:, None] + se[:, None] * z[None, :]
    return out


def confint_lmer(fit: Any, parm: Any = None, level: float = 0.95, method: str = "profile", nsim: int = 500,
                 seed: Any = None, n_jobs: int = 1, progress: bool | None = None,
                 quiet: bool = False) -> pd.DataFrame:
    """lme4's ``confint.merMod`` for :meth:`mixedlab.LmerFit.confint` (see its docstring)."""
    level = _check_level(level)
    if method not in CONFINT_METHODS:
        raise ArgumentError(f"method must be one of {list(CONFINT_METHODS)}, not {method!r}")
    ks = [t.k for t in fit.terms]
    vn = profile_names(ks)
    fixed = [str(n) for n in fit.fixef.index]
    names = vn + fixed
    rows = _parm_rows(names, len(vn), parm)
    cols = level_names(level)
    if method == "Wald":
        return wald_intervals(fit, names, level).loc[rows]
    if not quiet:
        inform(f"Computing {'profile' if method == 'profile' else 'bootstrap'} confidence intervals ...")
    if method == "profile":
        prof = fit.profile(which=rows if parm is not None else None)
        return prof.confint(level).loc[rows]
    stats = fit._bootstrap(nsim=nsim, seed=seed, n_jobs=n_jobs, progress=progress)
    ci = bootstrap_intervals(stats, level)
    return pd.DataFrame(ci, index=names, columns=cols).loc[rows]


def profile_fit(fit: Any, which: Sequence[str] | None = None) -> LmerProfile:
    """lme4's ``profile(m)`` for a fit (``signames = TRUE``)."""
    ks = [t.k for t in fit.terms]
    fixed = [str(n) for n in fit.fixef.index]
    vn = profile_names(ks)
    # names, 1-based positions, "theta_" or "beta_", as confint's parm; an unknown one is an error
    rows = None if which is None else _parm_rows(vn + fixed, len(vn), which)
    res = profile_lmer(fit._cp, fit._model, fit.theta, fit.REML, fixed, ks, which=rows)
    return LmerProfile(res)


def _check_nsim(nsim: Any) -> int:
    if isinstance(nsim, (bool, np.bool_)):
        raise ArgumentError(f"nsim must be a positive whole number, not {nsim!r}")
    try:
        nsim_i = int(nsim)
    except (TypeError, ValueError):
        raise ArgumentError(f"nsim must be a positive whole number, not {nsim!r}") from None
    if nsim_i < 1 or nsim_i != nsim:
        raise ArgumentError(f"nsim must be a positive whole number, not {nsim}")
    return nsim_i


def bootstrap_responses(fit: Any, nsim: int, seed: Any = None, newparams: dict | None = None) -> np.ndarray:
    """The responses ``bootMer`` refits: ``simulate(m, nsim, use.u = FALSE)``, n × nsim.

    From the fit's R-identical ``simulate`` when it has one (``seed`` is R's ``set.seed``;
    ``newparams`` as in ``simulate``), otherwise numpy's generator seeded with ``seed``
    (statistically equivalent, not R's numbers).
    """
    nsim = _check_nsim(nsim)
    sim = getattr(fit, "simulate", None)
    if callable(sim):
        return np.asarray(sim(nsim=nsim, seed=seed, newparams=newparams), dtype=float)
    bm = BootModel.from_fit(fit._model, fit._cp, fit.theta, fit.REML)
    return simulate_responses(bm, fit.fixef.to_numpy(dtype=float), fit.sigma, nsim, np.random.default_rng(seed))


def check_n_jobs(n_jobs: Any) -> int:
    """``n_jobs``: a whole number of worker processes, at least 1."""
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise ArgumentError(f"n_jobs must be a whole number of worker processes, at least 1 (1: refit in "
                            f"this process), not {n_jobs!r}")
    return int(n_jobs)


def bootstrap_fit(fit: Any, nsim: int = 500, seed: Any = None, n_jobs: int = 1,
                  progress: bool | None = None) -> np.ndarray:
    """``bootMer(m, bootFun, nsim)$t``: one row per replicate (SDs/cors, σ, fixed effects).

    The responses are :func:`bootstrap_responses` (R's with an integer ``seed``); each is
    refitted as lme4 1.1-31's ``refit`` does (:mod:`mixedlab.inference._bootstrap`).
    """
    nsim = _check_nsim(nsim)
    n_jobs = check_n_jobs(n_jobs)
    Y = bootstrap_responses(fit, nsim, seed)
    bm = BootModel.from_fit(fit._model, fit._cp, fit.theta, fit.REML)
    if progress is None:
        progress = nsim >= 50
    return parametric_bootstrap(bm, Y, n_jobs=n_jobs, progress=progress)
