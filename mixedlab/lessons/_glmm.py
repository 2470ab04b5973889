"""Calculations the GLMM lessons show that lme4 has no function for.

* :func:`population_average`: the probability (or mean) averaged over the groups, the
  *marginal* or population-averaged curve, beside lme4's conditional one for a typical group
  (``re.form = NA``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["population_average"]


def population_average(fit: Any, newdata: pd.DataFrame, order: int = 25) -> np.ndarray:
    """The mean response averaged over the distribution of a random intercept.

    For a model with one scalar random-intercept term of standard deviation σ,

    .. math:: \\bar\\mu(x) = \\int g^{-1}(x^\\top\\beta + \\sigma z)\\,\\phi(z)\\,dz
              \\approx \\sum_k w_k\\, g^{-1}(x^\\top\\beta + \\sigma z_k),

    with lme4's Gauss–Hermite rule ``GHrule(order)`` (nodes z_k and weights w_k for the
    standard normal). The R code ``sum(GHrule(25)[, "w"] * plogis(eta + s * GHrule(25)[, "z"]))``
    computes the same number.

    Parameters
    ----------
    fit : GlmerFit
        A GLMM with exactly one random-effects term, a scalar intercept.
    newdata : pandas.DataFrame
        Rows to predict for (the fixed-effect covariates).
    order : int
        Number of quadrature nodes.

    Returns
    -------
    numpy.ndarray
        One averaged mean per row of ``newdata``.
    """
    from mixedlab.glm._agq import gh_rule

    vc = fit.varcorr
    rows = vc[vc["grp"] != "Residual"]
    if len(rows) != 1 or rows["var1"].iloc[0] != "(Intercept)":
        raise ValueError("population_average needs a model with a single random intercept, e.g. (1 | school)")
    sd = float(rows["sdcor"].iloc[0])
    eta = np.asarray(fit.predict(newdata, re_form="NA", type="link"), dtype=float)
    rule = gh_rule(order)
    z, w = rule[:, 0], rule[:, 1]
    linkinv = fit.family.link.linkinv
    return np.array([float(np.sum(w * linkinv(e + sd * z))) for e in eta])
