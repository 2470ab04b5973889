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

__all__ = ["glance", "augment", "augment_glmm", "AUGMENT_COLUMNS", "GLMM_AUGMENT_COLUMNS"]

AUGMENT_COLUMNS = [".fitted", ".resid", ".hat", ".cooksd", ".fixed", ".mu", ".offset", ".sqrtXwt",
                   ".sqrtrwt", ".weights", ".wtres"]
#: a GLMM's response module (``glmResp``) also has ``eta``
GLMM_AUGMENT_COLUMNS = AUGMENT_COLUMNS + [".eta"]


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


def augment_glmm(fit: Any, response: dict[str, np.ndarray]) -> pd.DataFrame:
    """broom.mixed's ``augment(m)`` of a GLMM: the model frame, then per observation

    ``.fitted`` (η, ``predict(m)``), ``.resid`` (deviance residuals, ``residuals(m)``), ``.hat``,
    ``.cooksd`` (``cooks.distance``: Pearson residuals, σ² the dispersion), ``.fixed``
    (``predict(m, re.form = NA)``) and the response module's ``mu, offset, sqrtXwt, sqrtrwt,
    weights, wtres, eta``, given in ``response`` by the fit.
    """
    frame = fit._model.frame.reset_index(drop=True).copy()
    # a cbind(successes, failures) response is one matrix column in R's model frame; here the
    # response column holds the successes and the failures' helper column is left out
    frame = frame.drop(columns=[c for c in ("(cbind failures)",) if c in frame.columns])
    # weights= and offset= given as arguments are model-frame columns in R
    if getattr(fit, "weights_name", None) and "(weights)" not in frame.columns:
        frame["(weights)"] = response["weights"]
    if getattr(fit, "offset_name", None) and "(offset)" not in frame.columns:
        frame["(offset)"] = response["offset"]
    hat = np.asarray(fit.hat_values(), dtype=float)
    X = np.asarray(fit._model.X, dtype=float)
    rank = int(np.linalg.matrix_rank(X)) if X.shape[1] else 0
    pearson = np.asarray(fit.residuals("pearson"), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cooks = (pearson / (1.0 - hat)) ** 2 * hat / (float(fit.sigma) ** 2 * rank)
    cooks[np.isinf(cooks)] = np.nan
    cols = {".fitted": response["eta"], ".resid": np.asarray(fit.residuals(), dtype=float), ".hat": hat,
            ".cooksd": cooks, ".fixed": X @ fit.fixef.to_numpy(dtype=float) + response["offset"]}
    cols.update({f".{k}": v for k, v in response.items()})
    for k in GLMM_AUGMENT_COLUMNS:
        frame[k] = cols[k]
    return frame
