"""Predictions from a fitted model, as lme4's ``predict.merMod``.

η = Xβ̂ (+ offset) + the conditional modes of the random terms asked for:

* ``re_form=None`` (R's ``NULL``): every random term of the fit;
* ``re_form="~0"`` or ``"NA"`` (R's ``~0``/``NA``): none, the population level;
* ``re_form="~(1 | Subject)"``: the terms of that formula, built on the prediction rows
  and matched with the fit's random effects *by column name within the grouping
  factor*, as lme4's ``mkNewReTrms`` does: on a ``(Days | Subject)`` fit it uses the
  Subject intercepts only.

Rows of ``newdata`` whose grouping value was not seen when fitting (or is missing) are
an error unless ``allow_new_levels=True``, which gives them random effects of 0;
messages follow lme4's ("new levels detected in newdata: ...").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixedlab._arguments import check_flag
from mixedlab._errors import DataError
from mixedlab.formula import as_data_frame, collate_key, parse_re_form, re_form_terms

__all__ = ["predict"]

_MAX_ERR_LEN = 60  # lme4's levelfun: the list of new levels is cut at 60 characters


def predict(
    fit: Any, newdata: Any = None, re_form: str | None = None, allow_new_levels: bool = False
) -> np.ndarray:
    """Predictions Xβ̂ + Zb̂ (+ offset) for the fitted rows or for ``newdata``.

    See :meth:`mixedlab.LmerFit.predict`.
    """
    check_flag(allow_new_levels, "allow_new_levels")
    bars = parse_re_form(re_form)
    model = fit._model
    beta = fit._solution.beta
    if newdata is None:
        eta = model.X @ beta
        if model.offset is not None:
            eta = eta + model.offset
    else:
        newdata = as_data_frame(newdata, "newdata")
        eta = model.spec.fixed_matrix(newdata) @ beta
        off = model.spec.offset(newdata)
        if off is not None:
            eta = eta + off
    eta = np.array(eta, dtype=float)
    if bars == ():
        return eta
    b_terms = fit._term_segments(fit._solution.b)
    if bars is None:
        mats = ([(t.X, t.codes) for t in model.terms] if newdata is None
                else model.spec.term_matrices(newdata))
        for i, ((Xt, codes), b) in enumerate(zip(mats, b_terms)):
            codes = _checked_codes(model, newdata, i, np.asarray(codes), allow_new_levels)
            eta += _contribution(Xt, b, codes)
        return eta
    # a re_form formula: its own terms, matched by name within each grouping factor
    merged = _merged_ranef(fit, b_terms)
    for term in re_form_terms(model, bars, newdata):
        B = reform_ranef(merged, term)
        i = [t.factor for t in model.terms].index(term.factor)
        codes = _checked_codes(model, newdata, i, term.codes, allow_new_levels)
        eta += _contribution(term.X, B, codes)
    return eta


def reform_ranef(merged: dict[str, tuple[list[str], np.ndarray]], term: Any) -> np.ndarray:
    """The fitted random effects (levels x columns) of a ``re_form`` term, matched by column name
    within its grouping factor (``merged`` from :func:`_merged_ranef`), as lme4's ``mkNewReTrms``."""
    cols, B = merged[term.factor]
    missing = [c for c in term.columns if c not in cols]
    if missing:
        raise DataError(
            "random effects specified in re.form that were not present in original model "
            f"(lme4's error): {', '.join(missing)} in ({term.text}); the model's random "
            f"effects of {term.factor!r} are {', '.join(cols)}")
    return B[:, [cols.index(c) for c in term.columns]]  # lme4 takes the first of a repeated name


def _contribution(Xt: np.ndarray, b: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Row-wise z_iᵀ b_{level(i)}; rows with a negative code (new or missing) get 0."""
    new = codes < 0
    contrib = np.einsum("ij,ij->i", np.asarray(Xt, dtype=float), b[np.where(new, 0, codes)])
    return np.where(new, 0.0, contrib)


def _merged_ranef(fit: Any, b_terms: list[np.ndarray]) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per grouping factor, its random effects' column names and values (levels x columns),
    terms sharing the factor side by side, as ``ranef(fit)`` shows them."""
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    for term, b in zip(fit.terms, b_terms):
        if term.factor in out:
            cols, B = out[term.factor]
            out[term.factor] = (cols + list(term.columns), np.hstack([B, b]))
        else:
            out[term.factor] = (list(term.columns), b)
    return out


def _checked_codes(model: Any, newdata: pd.DataFrame | None, i: int, codes: np.ndarray,
                   allow_new_levels: bool) -> np.ndarray:
    """The codes of term ``i``, refusing missing or unseen levels unless allowed (lme4's checks)."""
    if allow_new_levels or newdata is None or not (codes < 0).any():
        return codes
    factor = model.terms[i].factor
    if (codes == -2).any():
        k = int((codes == -2).sum())
        raise DataError(
            "NAs are not allowed in prediction data for grouping variables unless "
            f"allow.new.levels is TRUE (lme4's error): {k} row{'s' if k > 1 else ''} of newdata "
            f"{'have' if k > 1 else 'has'} no value of {factor!r}; pass allow_new_levels=True "
            "to predict them at the population level (random effect 0), or drop those rows")
    ev = model.spec._evaluator(newdata)
    labels = model.spec.group_labels(ev, i)[codes == -1]
    new = list(dict.fromkeys(sorted(labels.tolist(), key=_level_order(labels))))
    text = ", ".join(new)
    if len(text) > _MAX_ERR_LEN:
        text = text[:_MAX_ERR_LEN].rsplit(",", 1)[0] + ", ..."
    k = int((codes == -1).sum())
    raise DataError(
        f"new levels detected in newdata: {text} (lme4's error; {k} row{'s' if k > 1 else ''}, "
        f"grouping factor {factor!r}); pass allow_new_levels=True to predict them at the "
        "population level (random effect 0)")


def _level_order(labels: np.ndarray):
    """Sort key giving R's level order of the new levels (numbers numerically, text as R sorts)."""

    def key(s: str):
        try:
            return (0, float(s), "")
        except ValueError:
            return (1, 0.0, collate_key(s))

    return key
