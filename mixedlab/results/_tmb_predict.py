"""Linear predictors of a glmmTMB fit for its own rows or for new data (``predict.glmmTMB``).

glmmTMB 1.1.5 accepts ``re.form = NULL`` (condition on every random effect) or
``re.form = NA`` / ``~0``. The latter sets the *conditional* model's random effects to 0
(``parameters$b[] <- 0`` with ``map``) and re-solves the inner problem for the
zero-inflation random effects given those zeros, which are then kept: its population-level
zero-inflation probabilities still vary by group. With ``allow.new.levels = TRUE`` an
unseen level gets a random effect of 0. As in lme4's ``predict``, only the offsets
written in a formula are applied to new data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError, ModelSpecificationError
from mixedlab.tmb._families import C, D, Z

__all__ = ["linear_predictors"]

_NO_RANDOM = {"~0", "~ 0", "NA", "na", "~-1", "0"}


def _use_random(re_form: Any) -> bool:
    if re_form is None:
        return True
    if isinstance(re_form, float) and np.isnan(re_form):
        return False
    text = str(re_form).strip()
    if text in _NO_RANDOM:
        return False
    raise ModelSpecificationError(
        f"re_form={re_form!r}: glmmTMB predicts with all random effects (re_form=None) or none "
        "(re_form='~0'); a subset of the terms is not available")


def linear_predictors(fit: Any, newdata: pd.DataFrame | None, re_form: Any,
                      allow_new_levels: bool) -> dict[int, np.ndarray]:
    """η_cond, η_zi (with a ziformula) and η_disp (families with dispersion), by variable."""
    use_re = _use_random(re_form)
    model = fit._model
    obj = fit._obj
    data = model.data
    pl = obj.params
    par = fit.par
    out: dict[int, np.ndarray] = {}
    parts = [(C, model.cond, data.X, par[pl.beta], data.offset)]
    if data.Xzi is not None:
        parts.append((Z, model.zi, data.Xzi, par[pl.betazi], data.zioffset))
    if data.Xd is not None and model.family.uses_dispersion:
        beta_d = par[pl.betad] if pl.pd else np.array([data.fixed_betad])
        parts.append((D, model.disp, data.Xd, beta_d, data.doffset))
    if newdata is not None and not isinstance(newdata, pd.DataFrame):
        raise DataError("newdata must be a pandas DataFrame with the model's predictor columns")
    bs = fit._b if use_re else fit._b_zi_given_no_cond
    for var, mf, X, beta, off in parts:
        with_re = var in (C, Z) and bool(fit.terms) and (use_re or var == Z)
        if newdata is None:
            eta = X @ beta + off
            if with_re:
                lay = obj.layout
                for t, b in zip(lay.terms, bs):
                    if t.component != var:
                        continue
                    eta = eta + np.einsum("ij,ij->i", t.X, b[t.codes])
            out[var] = eta
            continue
        spec = mf.spec
        eta = spec.fixed_matrix(newdata) @ beta
        o = spec.offset(newdata)
        if o is not None:
            eta = eta + o
        if with_re:
            mats = spec.term_matrices(newdata)
            comp_terms = [(t, b) for t, b in zip(obj.layout.terms, bs) if t.component == var]
            for t, b in comp_terms:
                Xt, codes = mats[t.spec_index]
                codes = np.asarray(codes)
                new = codes < 0
                if new.any() and not allow_new_levels:
                    raise DataError(
                        f"newdata has {int(new.sum())} row(s) with levels of {t.factor!r} not seen "
                        "in the fit; pass allow_new_levels=True to predict them with a random "
                        "effect of 0")
                contrib = np.einsum("ij,ij->i", np.asarray(Xt, dtype=float), b[np.where(new, 0, codes)])
                eta = eta + np.where(new, 0.0, contrib)
        out[var] = np.asarray(eta, dtype=float)
    return out
