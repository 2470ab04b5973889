"""broom.mixed's ``glance`` and ``augment`` of a linear mixed model (broom.mixed 0.2.9).

* ``glance``: one row, ``nobs, sigma, logLik, AIC, BIC``, then ``REMLcrit`` (REML fits) or
  ``deviance`` (ML fits; for a GLMM lme4's ``deviance(m)``, the sum of squared deviance
  residuals), and ``df.residual`` (``finish_glance``);
* ``augment``: the model frame with, per observation, ``.fitted`` (prediction with the random
  effects), ``.resid`` (response residual), ``.hat`` (lme4's ``hatvalues``), ``.cooksd``
  (``cooks.distance``), ``.fixed`` (prediction without the random effects), and the response
  module's ``.mu``, ``.offset``, ``.sqrtXwt``, ``.sqrtrwt``, ``.weights``, ``.wtres``.

The fit is read through its attributes (``nobs``, ``sigma``, ``loglik``, ``fitted()``, …);
leverages come from the fit's ``hat_values()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["glance", "augment", "AUGMENT_COLUMNS"]

AUGMENT_COLUMNS = [".fitted", ".resid", ".hat", ".cooksd", ".fixed", ".mu", ".offset", ".sqrtXwt",
                   ".sqrtrwt", ".weights", ".wtres"]


def glance(fit: Any) -> pd.DataFrame:
    """broom.mixed's ``glance(m)``: the model's one-row summary."""
    row = {"nobs": int(fit.nobs), "sigma": float(fit.sigma), "logLik": float(fit.loglik),
           "AIC": float(fit.aic), "BIC": float(fit.bic)}
    if getattr(fit, "REML", False):  # a GLMM (no REML attribute) reports deviance(m)
        row["REMLcrit"] = float(fit.objective)
    else:
        row["deviance"] = float(fit.deviance)
    row["df.residual"] = int(fit.df_resid)
    return pd.DataFrame([row])


def augment(fit: Any) -> pd.DataFrame:
    """broom.mixed's ``augment(m)``: the model frame with fitted values and diagnostics."""
    frame = fit._model.frame.reset_index(drop=True).copy()
    model = fit._model
    n = int(fit.nobs)
    fitted = np.asarray(fit.fitted(), dtype=float)
    y = np.asarray(model.y, dtype=float)
    w = np.ones(n) if model.weights is None else np.asarray(model.weights, dtype=float)
    off = np.zeros(n) if model.offset is None else np.asarray(model.offset, dtype=float)
    hat = np.asarray(fit.hat_values(), dtype=float)
    pearson = (y - fitted) * np.sqrt(w)
    rank = int(np.linalg.matrix_rank(model.X)) if model.X.shape[1] else 0
    with np.errstate(divide="ignore", invalid="ignore"):
        cooks = (pearson / (1.0 - hat)) ** 2 * hat / (fit.sigma**2 * rank)
    cooks[np.isinf(cooks)] = np.nan
    fixed = np.asarray(model.X, dtype=float) @ fit.fixef.to_numpy(dtype=float) + off
    sw = np.sqrt(w)
    cols = {".fitted": fitted, ".resid": y - fitted, ".hat": hat, ".cooksd": cooks, ".fixed": fixed,
            ".mu": fitted, ".offset": off, ".sqrtXwt": sw, ".sqrtrwt": sw, ".weights": w,
            ".wtres": sw * (y - fitted)}
    for k in AUGMENT_COLUMNS:
        frame[k] = cols[k]
    return frame
