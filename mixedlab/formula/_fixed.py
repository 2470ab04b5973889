"""Model matrices with R's treatment contrasts and column names, and lme4's rank check.

``model_matrix`` reproduces ``stats::model.matrix`` for treatment contrasts:
an ``(Intercept)`` column, then one block per term in term order. A factor coded
by contrasts contributes indicators of its levels 2..L (the first level is the
reference); coded by indicators, all L levels. Inside an interaction the columns
of the first variable vary fastest, and names join with ``:`` (``age:SexFemale``).
"""

from __future__ import annotations

import numpy as np

from mixedlab._errors import DataError
from mixedlab.formula._evaluate import Factor, Numeric
from mixedlab.formula._terms import Terms

__all__ = ["model_matrix", "rank_keep", "indicator_matrix"]

Value = Numeric | Factor


def indicator_matrix(f: Factor, first: int = 0) -> np.ndarray:
    """Indicator columns of levels ``first..L-1``; rows with a missing code are NaN."""
    n, L = f.codes.shape[0], len(f.levels)
    out = np.zeros((n, L - first), dtype=np.float64)
    ok = f.codes >= first
    rows = np.flatnonzero(ok)
    out[rows, f.codes[rows] - first] = 1.0
    if (f.codes < 0).any():
        out[f.codes < 0] = np.nan
    return out


def _variable_block(label: str, value: Value, coding: int | None) -> tuple[np.ndarray, list[str]]:
    if isinstance(value, Numeric):
        return value.values[:, None], [label]
    if coding == 1:
        if len(value.levels) < 2:
            raise DataError(
                f"factor {label!r} has only one level ({value.levels[0]!r}) in the rows used, "
                "so it has no contrasts (R: 'contrasts can be applied only to factors with 2 or "
                "more levels'); remove it from the formula or check the data")
        return indicator_matrix(value, 1), [label + lv for lv in value.levels[1:]]
    return indicator_matrix(value, 0), [label + lv for lv in value.levels]


def model_matrix(terms: Terms, values: list[Value], n: int) -> tuple[np.ndarray, list[str]]:
    """Build the model matrix of ``terms`` from evaluated ``values``.

    Parameters
    ----------
    terms : Terms
        The expanded formula side.
    values : list of Numeric or Factor
        One per ``terms.variables`` entry, all of length ``n``.
    n : int
        Number of rows.

    Returns
    -------
    X : numpy.ndarray, shape (n, p)
    names : list of str
        R's column names.
    """
    codings = terms.codings([isinstance(v, Factor) for v in values])
    blocks: list[np.ndarray] = []
    names: list[str] = []
    if terms.intercept:
        blocks.append(np.ones((n, 1)))
        names.append("(Intercept)")
    for term, coding in zip(terms.terms, codings):
        mat = np.ones((n, 1))
        nm = [""]
        for v in term:
            label = terms.variables[v][0]
            cols, cnames = _variable_block(label, values[v], coding.get(v))
            # first variable fastest: new column index = i_prev + n_prev * i_new
            mat = (cols[:, :, None] * mat[:, None, :]).reshape(n, -1)
            nm = [f"{p}:{q}" if p else q for q in cnames for p in nm]
        blocks.append(mat)
        names.extend(nm)
    X = np.hstack(blocks) if blocks else np.empty((n, 0))
    return np.ascontiguousarray(X, dtype=np.float64), names


def rank_keep(X: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Columns kept by lme4's rank check (``chkRank.drop.cols``).

    R's LINPACK QR (``dqrdc2``) moves a column to the end when its norm, after
    removing its projection on the columns before it, falls below ``tol`` times
    its original norm; lme4 keeps the other columns in their original order.
    Here: a column is kept when its component orthogonal to the kept columns
    before it is larger than ``tol`` times its norm (Gram-Schmidt, applied twice
    for stability).

    Returns
    -------
    numpy.ndarray of bool, shape (p,)
    """
    n, p = X.shape
    keep = np.zeros(p, dtype=bool)
    if p == 0:
        return keep
    # Work on a well-conditioned small problem: R of a QR (same column geometry as X).
    R = np.linalg.qr(X, mode="r") if n > p else X
    basis = np.empty((R.shape[0], 0))
    for j in range(p):
        x = R[:, j]
        norm0 = np.linalg.norm(x)
        if norm0 == 0:
            continue
        r = x - basis @ (basis.T @ x)
        r = r - basis @ (basis.T @ r)
        nr = np.linalg.norm(r)
        if nr > tol * norm0:
            keep[j] = True
            basis = np.column_stack([basis, r / nr])
    return keep
