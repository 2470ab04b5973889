"""The fixed-effects term structure that lmerTest's contrasts are defined on.

lmerTest reads R's ``terms`` object and the model matrix: term labels and orders, the
``factors`` matrix (which variables each term contains, with R's ``TermCode`` 1 or 2),
the data classes (numeric or not), the ``assign`` attribute (which term each column of X
belongs to) and, for type III, the fully dummy-coded matrix of each term
(``model.matrix(~ 0 + term)``, lmerTest's ``get_rdX``). :func:`fixed_structure` rebuilds
all of it from mixedlab's parsed model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedlab.formula._evaluate import Factor
from mixedlab.formula._fixed import model_matrix, rank_keep
from mixedlab.formula._terms import Terms

__all__ = ["FixedStructure", "fixed_structure"]


@dataclass
class FixedStructure:
    """What lmerTest's contrast functions read from the model.

    Attributes
    ----------
    labels
        Term labels in R's order.
    intercept
        Whether the model has an intercept.
    order
        Degree of each term.
    vars
        Per term, the variables R's ``factors`` matrix marks with 1 (lmerTest's ``get_vars``).
    all_vars
        Per term, every variable in it.
    numeric
        Labels of the numeric variables (data class "numeric").
    assign
        Per column of X: 0 for the intercept, j ≥ 1 for term j.
    colnames
        X's column names.
    X
        The fixed-effects model matrix.
    rdx_blocks
        Per term, ``model.matrix(~ 0 + term)`` and its column names.
    treatment
        ``(X, colnames, assign)`` of the model matrix remade with treatment contrasts for
        every factor and made full rank (lmerTest's ``get_model_matrix(type = "remake",
        contrasts = "contr.treatment")`` + ``ensure_full_rank``), or ``None`` when X is
        already treatment-coded (no ordered factor).
    """

    labels: list[str]
    intercept: bool
    order: list[int]
    vars: list[list[str]]
    all_vars: list[list[str]]
    numeric: set[str]
    assign: np.ndarray
    colnames: list[str]
    X: np.ndarray
    rdx_blocks: list[tuple[np.ndarray, list[str]]]
    treatment: tuple[np.ndarray, list[str], np.ndarray] | None = None

    def term_columns(self, assign: np.ndarray | None = None) -> dict[str, list[int]]:
        """lmerTest's ``term2colX``: the X columns of every term (and "(Intercept)")."""
        assign = self.assign if assign is None else assign
        col_terms = [("(Intercept)" if a == 0 else self.labels[a - 1]) for a in assign]
        out: dict[str, list[int]] = {}
        for name in list(dict.fromkeys(col_terms)) + self.labels:
            out.setdefault(name, [])
        for j, name in enumerate(col_terms):
            out[name].append(j)
        return out

    def containment(self) -> dict[str, list[str]]:
        """lmerTest's ``containment``: for each term, the terms that contain it.

        F2 contains F1 when F1's variables are all in F2, F2 has more, and both have the
        same numeric variables (so a factor is not "contained" in its interaction with a
        covariate).
        """
        num = [set(v for v in vs if v in self.numeric) for vs in self.vars]
        sets = [set(vs) for vs in self.vars]
        out = {}
        for i, lab in enumerate(self.labels):
            out[lab] = [self.labels[j] for j in range(len(self.labels))
                        if sets[i] <= sets[j] and (sets[j] - sets[i]) and num[i] == num[j]]
        return out

    def rdx(self) -> tuple[np.ndarray, list[str]]:
        """lmerTest's ``get_rdX``: the terms' dummy-coded matrices side by side (intercept first)."""
        blocks = [b for b, _ in self.rdx_blocks]
        names = [n for _, ns in self.rdx_blocks for n in ns]
        n = self.X.shape[0]
        if self.intercept:
            blocks = [np.ones((n, 1))] + blocks
            names = ["(Intercept)"] + names
        M = np.hstack(blocks) if blocks else np.zeros((n, 0))
        return M, names


def _term_codes(terms: Terms) -> list[dict[int, int]]:
    """R's ``TermCode`` for every variable of every term (the ``factors`` matrix entries).

    1 when the term without that variable is empty or contained in a preceding term,
    otherwise 2 (R's models.c), numeric variables included.
    """
    out = []
    for j, term in enumerate(terms.terms):
        codes = {}
        for v in term:
            rest = set(term) - {v}
            codes[v] = 1 if (not rest or any(rest <= set(prev) for prev in terms.terms[:j])) else 2
        out.append(codes)
    return out


def fixed_structure(model: Any) -> FixedStructure:
    """Build :class:`FixedStructure` from a parsed model (``mixedlab.formula.build_model``)."""
    terms: Terms = model.spec.fixed.terms
    values = [model._frame_values[label] for label, _ in terms.variables]
    is_factor = [isinstance(v, Factor) for v in values]
    assign = _assign(terms, values, is_factor)
    labels = terms.labels
    keep = np.asarray(model.spec.keep, dtype=bool)
    assign_arr = np.asarray(assign, dtype=int)[keep] if keep.size == len(assign) else np.asarray(assign)
    treatment = None
    if any(f and getattr(v, "ordered", False) for v, f in zip(values, is_factor)):
        plain = [Factor(v.codes, v.levels, v.logical, False) if f else v for v, f in zip(values, is_factor)]
        Xt, names_t = model_matrix(terms, plain, model.X.shape[0])
        kt = rank_keep(Xt)
        treatment = (np.ascontiguousarray(Xt[:, kt]), [nm for nm, k in zip(names_t, kt) if k],
                     np.asarray(_assign(terms, plain, is_factor), dtype=int)[kt])
    codes = _term_codes(terms)
    vlabel = [label for label, _ in terms.variables]
    n = model.X.shape[0]
    rdx_blocks = []
    for term in terms.terms:
        single = Terms(variables=terms.variables, terms=(term,), intercept=False)
        rdx_blocks.append(model_matrix(single, values, n))
    return FixedStructure(
        labels=list(labels),
        intercept=bool(terms.intercept),
        order=[len(t) for t in terms.terms],
        vars=[[vlabel[v] for v in t if c[v] == 1] for t, c in zip(terms.terms, codes)],
        all_vars=[[vlabel[v] for v in t] for t in terms.terms],
        numeric={lab for lab, f in zip(vlabel, is_factor) if not f},
        assign=assign_arr,
        colnames=list(model.fixed_names),
        X=np.asarray(model.X, dtype=float),
        rdx_blocks=rdx_blocks,
        treatment=treatment,
    )


def _assign(terms: Terms, values: list, is_factor: list[bool]) -> list[int]:
    """R's ``assign`` attribute of the full model matrix: the term of each column."""
    codings = terms.codings(is_factor)
    out = [0] if terms.intercept else []
    for j, (term, coding) in enumerate(zip(terms.terms, codings)):
        ncol = 1
        for v in term:
            if is_factor[v]:
                L = len(values[v].levels)
                ncol *= (L - 1) if coding.get(v) == 1 else L
        out += [j + 1] * ncol
    return out
