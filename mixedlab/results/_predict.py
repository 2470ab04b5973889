"""Predictions from a fitted model, as lme4's ``predict.merMod``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError
from mixedlab.formula import deparse, parse_formula

__all__ = ["predict"]

_NO_RANDOM = {"~0", "~ 0", "NA", "na", "~-1"}


def _wanted_terms(fit: Any, re_form: str | None) -> list[bool]:
    """Which random terms the prediction conditions on."""
    if re_form is None:
        return [True] * len(fit.terms)
    text = str(re_form).strip()
    if text in _NO_RANDOM:
        return [False] * len(fit.terms)
    # a random-effects formula such as "~(1|Subject)": keep the terms of the grouping
    # factors it names (lme4 matches re.form's terms against the model's)
    probe = parse_formula(text if text.startswith("~") else "~" + text)
    factors = {deparse(bar.right) for bar in probe.random}
    unknown = factors - {t.factor for t in fit.terms}
    if unknown:
        raise DataError(
            f"re_form names grouping factor(s) {sorted(unknown)} that the model does not have; "
            f"the model's are {sorted({t.factor for t in fit.terms})}"
        )
    return [t.factor in factors for t in fit.terms]


def predict(
    fit: Any, newdata: pd.DataFrame | None = None, re_form: str | None = None, allow_new_levels: bool = False
) -> np.ndarray:
    """Predictions Xβ̂ + Zb̂ (+ offset) for the fitted rows or for ``newdata``."""
    use = _wanted_terms(fit, re_form)
    model = fit._model
    beta = fit._solution.beta
    if newdata is None:
        eta = model.X @ beta
        if model.offset is not None:
            eta = eta + model.offset
        mats = [(t.X, t.codes) for t in model.terms]
    else:
        if not isinstance(newdata, pd.DataFrame):
            raise DataError("newdata must be a pandas DataFrame with the model's predictor columns")
        eta = model.spec.fixed_matrix(newdata) @ beta
        off = model.spec.offset(newdata) if hasattr(model.spec, "offset") else None
        if off is not None:
            eta = eta + off
        mats = model.spec.term_matrices(newdata) if any(use) else []
    if not any(use):
        return np.asarray(eta, dtype=float)
    b_terms = fit._term_segments(fit._solution.b)
    eta = np.array(eta, dtype=float)
    for keep, (Xt, codes), b, term in zip(use, mats, b_terms, fit.terms):
        if not keep:
            continue
        codes = np.asarray(codes)
        new = codes < 0
        if new.any() and not allow_new_levels:
            raise DataError(
                f"newdata has {int(new.sum())} row(s) with levels of {term.factor!r} not seen in the fit; "
                "pass allow_new_levels=True to predict them at the population level (random effect 0)"
            )
        contrib = np.einsum("ij,ij->i", np.asarray(Xt, dtype=float), b[np.where(new, 0, codes)])
        eta += np.where(new, 0.0, contrib)
    return eta
