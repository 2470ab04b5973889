"""``re.form`` of ``predict``: which random effects to condition on, matched by term as lme4 does.

lme4's ``predict.merMod`` (``mkNewReTrms``, lme4 1.1-31) builds the random-effects
design of the ``re.form`` formula itself, on the new data (or the model frame), and
takes from ``ranef(fit)`` the columns of each of its terms by name:
``re.form = ~(1 | Subject)`` on a ``(Days | Subject)`` fit uses the intercepts only.
This module does the parse-stage half of that: it turns ``re_form`` into its expanded
bar terms (``||`` and ``/`` as in the formula) and evaluates each one's model matrix and
grouping codes with the fit's levels and contrasts.

Accepted values (R's meanings): ``None`` (every random term, R's ``NULL``);
``"~0"``, ``"NA"`` or a float NaN (none, R's ``NA`` and ``~0``); a one-sided formula
with bar terms, e.g. ``"~(1 | Subject)"``. Anything else is an error that names
``re_form``: lme4 stops too, for a formula with no bar ("No random effects terms
specified in formula").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import ArgumentError, DataError, FormulaError, ModelSpecificationError
from mixedlab.formula._build import coded_like
from mixedlab.formula._evaluate import Evaluator, Factor
from mixedlab.formula._fixed import model_matrix
from mixedlab.formula._parser import Num, parse_formula
from mixedlab.formula._random import expand_bars, grouping_atoms
from mixedlab.formula._terms import expand_terms

__all__ = ["ReFormTerm", "parse_re_form", "re_form_terms"]

_HELP = ("use re_form=None for every random effect, re_form='~0' (or 'NA') for none, or a "
         "one-sided formula of random-effect terms such as '~(1 | Subject)'")


@dataclass(frozen=True)
class ReFormTerm:
    """One expanded bar of ``re_form`` evaluated on the prediction rows.

    Attributes
    ----------
    factor : str
        The grouping factor's name, as in ``ranef`` ("Subject", "Subject:half").
    columns : list of str
        The term's column names, to be found among the fit's random effects of ``factor``.
    X : numpy.ndarray, shape (m, k)
    codes : numpy.ndarray of int64, shape (m,)
        Index into the fit's levels of ``factor``; -1 for a level not seen when fitting,
        -2 for a missing grouping value.
    text : str
        The term as written after expansion ("1 | Subject").
    """

    factor: str
    columns: list[str]
    X: np.ndarray
    codes: np.ndarray
    text: str


def parse_re_form(re_form: Any) -> tuple | None:
    """``None`` for every random term, ``()`` for none, or the expanded bars of a formula.

    Raises
    ------
    ArgumentError
        ``re_form`` is neither None, a string nor NaN.
    FormulaError
        A string that is not a one-sided formula, or one with no random-effect term.
    """
    if re_form is None:
        return None
    if isinstance(re_form, float) and math.isnan(re_form) or re_form is pd.NA:
        return ()  # R's NA
    if not isinstance(re_form, str):
        raise ArgumentError(f"re_form must be None or a formula string, not {type(re_form).__name__} "
                        f"({re_form!r}); {_HELP}")
    text = re_form.strip()
    if text == "NA":
        return ()
    if not text.startswith("~"):
        raise FormulaError(f"re_form={re_form!r} is not a one-sided formula (it must start with "
                           f"'~'); {_HELP}")
    parsed = parse_formula(text)
    rhs = parsed.rhs
    if isinstance(rhs, Num) and rhs.text == "0":
        return ()  # R's ~0
    if not parsed.random:
        raise FormulaError(f"No random effects terms specified in formula (lme4's error for "
                           f"re.form = {text}); {_HELP}")
    return tuple(expand_bars(parsed.random, text))


def re_form_terms(model: Any, bars: tuple, newdata: pd.DataFrame | None) -> list[ReFormTerm]:
    """Evaluate the ``re_form`` bars on ``newdata`` (or, when None, on the fitted rows).

    Variables are coded with the fit's levels and contrasts; a variable of ``re_form``
    that the model does not use is an error (lme4: "model frame and formula mismatch"),
    as is a grouping factor the fit does not have.
    """
    spec = model.spec
    known_factors = [t.factor for t in model.terms]
    kinds: dict[str, Any] = {}
    for side in [*spec.lhs, spec.fixed]:
        for (label, _), kind in zip(side.terms.variables, side.kinds):
            kinds.setdefault(label, kind)
    if newdata is None:
        ev = None
        m = model.n
    else:
        ev = Evaluator(newdata, spec.formula, spec.state, fitting=False)
        m = len(newdata)
    out: list[ReFormTerm] = []
    for bar in bars:
        factor = bar.factor
        if factor not in known_factors:
            raise ModelSpecificationError(
                f"grouping factors specified in re.form that were not present in original model "
                f"(lme4's error): re_form names {factor!r}; the model's grouping factors are "
                f"{', '.join(repr(f) for f in dict.fromkeys(known_factors))}")
        i = known_factors.index(factor)
        terms = expand_terms(bar.lhs, bar.text)
        values = []
        for label, node in terms.variables:
            if label not in kinds:
                raise ModelSpecificationError(
                    f"re_form term ({bar.text}) uses {label!r}, which is not a variable of the "
                    "model (lme4: 'model frame and formula mismatch in model.matrix()'); "
                    f"{_HELP}")
            values.append(_value(model, ev, label, node, kinds[label]))
        X, names = model_matrix(terms, values, m)
        if newdata is None:
            codes = model.terms[i].codes
        else:
            grouping_atoms(bar.group)  # a grouping that is not a:b raises here
            codes = spec.group_codes(ev, i)
        out.append(ReFormTerm(factor, names, X, codes, bar.text))
    return out


def _value(model: Any, ev: Evaluator | None, label: str, node: Any, kind: Factor | None):
    """One re_form variable: from the model frame (fitted rows) or evaluated on new data."""
    if ev is None:
        v = model._frame_values[label]
    else:
        v = ev.variable(node)
    if kind is None:
        if isinstance(v, Factor):
            raise DataError(f"{label!r} was numeric when the model was fitted but is "
                            "categorical in the new data")
        return v
    return coded_like(v, kind, label, "newdata")
