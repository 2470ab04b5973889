"""``glmmtmb``: glmmTMB's models — parse → Laplace objective → optimise → result.

The four steps of ``glmmTMB()`` (``mkTMBStruc`` → ``MakeADFun`` → ``nlminb`` →
``sdreport`` and the checks of ``fitTMB``), each a module of :mod:`mixedlab.tmb`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._arguments import check_flag, check_optional_str
from mixedlab._callers import caller_names
from mixedlab._errors import ConvergenceWarning, ModelSpecificationError
from mixedlab.tmb._laplace import LaplaceObjective
from mixedlab.tmb._model import build_tmb_model
from mixedlab.tmb._optimize import CONVERGENCE_HELP, TmbControl, optimize_tmb
from mixedlab.tmb._reml import RemlObjective, reml_result
from mixedlab.results._tmb_fit import TmbFit

__all__ = ["glmmtmb", "start_values"]


def start_values(objective: LaplaceObjective, start: Any = None) -> np.ndarray:
    """glmmTMB 1.1.5's starting values (``mkTMBStruc``), overridden by ``start``.

    β = 0 (1 for the identity, inverse and sqrt links, "safer initialization"), zero-
    inflation and dispersion coefficients 0, θ = 0 (standard deviations 1, correlations 0),
    ψ = 0.
    """
    pl = objective.params
    fam = objective.fam
    x = np.zeros(pl.size)
    if fam.link.name in ("identity", "inverse", "sqrt"):
        x[pl.beta] = 1.0
    if start is not None and not isinstance(start, dict):
        v = np.asarray(start, dtype=float).ravel()
        if v.size != pl.size:
            raise ModelSpecificationError(
                f"start has {v.size} values but the model has {pl.size} parameters (glmmTMB's "
                "order: beta, betazi, betad, theta, thetazi, psi)")
        return v.copy()
    if start:
        for name, sl in (("beta", pl.beta), ("betazi", pl.betazi), ("betad", pl.betad),
                         ("theta", pl.theta), ("psi", pl.psi)):
            if name in start:
                v = np.atleast_1d(np.asarray(start[name], dtype=float))
                if v.size != sl.stop - sl.start:
                    raise ModelSpecificationError(
                        f"start[{name!r}] has {v.size} values but the model has "
                        f"{sl.stop - sl.start}")
                x[sl] = v
        unknown = set(start) - {"beta", "betazi", "betad", "theta", "psi"}
        if unknown:
            raise ModelSpecificationError(f"unknown start components {sorted(unknown)}; use "
                                          "beta, betazi, betad, theta, psi")
    return x


def _name_of(value: Any, depth: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return caller_names([value], depth)[0]


def glmmtmb(
    formula: str,
    data: pd.DataFrame,
    family: Any = "gaussian",
    ziformula: str = "~0",
    dispformula: str = "~1",
    weights: Any = None,
    offset: Any = None,
    REML: bool = False,
    control: TmbControl | None = None,
    data_name: str | None = None,
) -> TmbFit:
    """Fit a generalized linear mixed model as ``glmmTMB::glmmTMB`` (1.1.5) does.

    Parameters
    ----------
    formula
        The conditional model, lme4's syntax, e.g. ``"count ~ spp + mined + (1 | site)"``;
        random terms are optional.
    data
        The data; never modified.
    family
        A glmmTMB family name — ``"gaussian"``, ``"poisson"``, ``"binomial"``,
        ``"nbinom1"``, ``"nbinom2"``, ``"truncated_poisson"``, ``"truncated_nbinom1"``,
        ``"truncated_nbinom2"``, ``"Gamma"``, ``"beta_family"``, ``"betabinomial"``,
        ``"tweedie"``, ``"genpois"`` — or a family object with ``family`` and ``link``
        attributes (e.g. from :mod:`mixedlab.families`).
    ziformula
        The zero-inflation model (logit link), e.g. ``"~1"``, ``"~ x + (1 | g)"``, ``"~."``
        (the conditional right-hand side); ``"~0"`` for none. With a truncated family it
        makes a hurdle model.
    dispformula
        The dispersion model (log link, fixed effects only), ``"~1"`` by default.
    weights
        Prior weights (a column name or array): each observation's log-likelihood is
        multiplied by its weight; for a binomial proportion, the numbers of trials.
    offset
        An offset of the conditional model (column name or array).
    REML
        Restricted maximum likelihood as glmmTMB's ``REML = TRUE``: the conditional fixed
        effects are integrated out with the random effects (for a gaussian model, lmer's
        REML fit); their standard errors are glmmTMB's (:mod:`mixedlab.tmb._reml`).
    control
        Optimiser settings (:class:`mixedlab.tmb.TmbControl`), including ``start``.
    data_name
        Name shown on the summary's "Data:" line; by default the caller's variable name.

    Returns
    -------
    TmbFit

    Examples
    --------
    >>> import mixedlab
    >>> sal = mixedlab.datasets.salamanders()
    >>> m = mixedlab.glmmtmb("count ~ spp + mined + (1 | site)", sal, family="nbinom2",
    ...                      ziformula="~ spp + mined")  # doctest: +SKIP
    >>> round(m.loglik, 1)  # doctest: +SKIP
    -817.1
    """
    REML = check_flag(REML, "REML")
    check_optional_str(data_name, "data_name")
    if control is not None and not isinstance(control, TmbControl):
        raise ModelSpecificationError(
            f"control must be a mixedlab.tmb.TmbControl, not {type(control).__name__}")
    if data_name is None:
        data_name = caller_names([data], 1)[0]
    ctl = control or TmbControl()
    # 1. parse (mkTMBStruc)
    model = build_tmb_model(formula, data, family, ziformula, dispformula, weights, offset)
    # 2. the objective (MakeADFun with random = c("b", "bzi"), plus "beta" under REML)
    obj = LaplaceObjective(model.data)
    start = ctl.start
    if REML and start is not None and not isinstance(start, dict):
        v = np.asarray(start, dtype=float).ravel()
        if v.size == obj.params.size - obj.params.p:  # m$fit$par of a REML fit: no beta
            full = np.zeros(obj.params.size)
            full[np.setdiff1d(np.arange(full.size), np.arange(obj.params.p))] = v
            start = full
    x0 = start_values(obj, start)
    if REML:
        # β starts the inner Newton on β; the outer vector is the rest
        outer = RemlObjective(obj, x0[obj.params.beta])
        x0 = x0[outer.keep]
    else:
        outer = obj
    # 3. optimise (nlminb), Hessian and checks (sdreport, fitTMB)
    with np.errstate(all="ignore"):
        try:
            opt = optimize_tmb(outer, x0, ctl)
        except FloatingPointError as exc:
            raise ModelSpecificationError(
                f"{exc} (glmmTMB: 'negative log-likelihood is NaN at starting parameter "
                "values'); check the response against the family, or give start values") from None
        if REML:
            opt = reml_result(outer, opt)
    # 4. the result
    fit = TmbFit(model=model, objective=obj, opt=opt, REML=REML, data_name=data_name,
                 weights_name=_name_of(weights, 2), offset_name=_name_of(offset, 2))
    for w in opt.warnings:
        warnings.warn(f"Model convergence problem; {w}. {CONVERGENCE_HELP.get(w, '')}",
                      ConvergenceWarning, stacklevel=2)
    return fit
