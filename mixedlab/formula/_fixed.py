"""Model matrices with R's default contrasts and column names, and lme4's rank check.

``model_matrix`` reproduces ``stats::model.matrix`` under R's default
``options(contrasts = c("contr.treatment", "contr.poly"))``: an ``(Intercept)``
column, then one block per term in term order. A factor coded by contrasts
contributes indicators of its levels 2..L (the first level is the reference); an
ordered factor coded by contrasts contributes the L-1 orthogonal polynomial columns
of ``contr.poly`` (``.L``, ``.Q``, ``.C``, ``^4``, ...). Coded by indicators, any
factor contributes all L levels. Inside an interaction the columns of the first
variable vary fastest, and names join with ``:`` (``age:SexFemale``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from mixedlab._errors import DataError
from mixedlab.formula._evaluate import Basis, Factor, Numeric
from mixedlab.formula._terms import Terms

__all__ = ["model_matrix", "rank_keep", "indicator_matrix", "contr_poly"]

Value = Numeric | Factor | Basis


def indicator_matrix(f: Factor, first: int = 0) -> np.ndarray:
    """Indicator columns of levels ``first..L-1``; rows with a missing code are NaN."""
    n, L = f.codes.shape[0], len(f.levels)
    if L <= 64:
        # few levels: gather rows of a small table by code + 1 (row 0: NaN for missing)
        return _indicator_table(L, first).take(f.codes + 1, axis=0, mode="clip")
    out = np.zeros((n, L - first), dtype=np.float64)
    ok = f.codes >= first
    rows = np.flatnonzero(ok)
    out[rows, f.codes[rows] - first] = 1.0
    if (f.codes < 0).any():
        out[f.codes < 0] = np.nan
    return out


@lru_cache(maxsize=128)
def _indicator_table(L: int, first: int) -> np.ndarray:
    """(L+1) x (L-first) rows: NaN (missing code), then the indicators of codes 0..L-1.
    Read-only, as it is shared."""
    table = np.zeros((L + 1, L - first), dtype=np.float64)
    table[0] = np.nan
    table[1 + first:] = np.eye(L - first)
    table.flags.writeable = False
    return table


@lru_cache(maxsize=64)
def contr_poly(n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """R's ``contr.poly(n)``: orthonormal polynomial contrasts for ``n`` ordered levels.

    Column k is the degree-k polynomial in the scores 1..n orthogonal to all lower
    degrees, scaled to unit length, with R's sign (positive leading coefficient); the
    names are ``.L``, ``.Q``, ``.C`` then ``^4``, ``^5``, ... Read-only (shared).

    R computes them by a QR factorization of the centred scores' powers (``make.poly``),
    which is accurate to ~1e-15 for a few levels but loses digits as the degree grows
    (1e-10 at 22 levels; past ~24 levels the high-degree columns are rounding noise,
    though they still span the same space, so fits agree). Here the polynomials come
    from the exact three-term recurrence of the discrete Chebyshev (Gram) polynomials
    on centred unit-spaced points, ``p[k+1] = y p[k] - k^2 (n^2 - k^2) / (4 (4k^2 - 1)) p[k-1]``,
    in rational arithmetic, and each entry is rounded once: the correctly rounded value
    that R's computation approximates.

    Raises
    ------
    DataError
        For ``n > 95``, as R ("orthogonal polynomials cannot be represented accurately
        enough for n-1 degrees of freedom").
    """
    if n > 95:
        raise DataError(f"orthogonal polynomials cannot be represented accurately enough for "
                        f"{n - 1} degrees of freedom (R's contr.poly): an ordered factor with "
                        f"{n} levels is too many for polynomial contrasts; make it an unordered "
                        "factor (Categorical(..., ordered=False)) or a number")
    # centred scores y = i - (n + 1) / 2, doubled to stay in integers: t = 2 y
    t = [2 * i - (n + 1) for i in range(1, n + 1)]
    # monic polynomials in t: q[k+1] = t q[k] - k^2 (n^2 - k^2) / (4k^2 - 1) q[k-1]
    # (the recurrence in y, rescaled by 2^k; scaling does not change the normalised columns)
    prev = [Fraction(1)] * n
    cur = [Fraction(v) for v in t]
    out = np.empty((n, n - 1))
    for k in range(1, n):
        norm2 = sum(v * v for v in cur)
        out[:, k - 1] = [math.copysign(math.sqrt(v * v / norm2), v) if v else 0.0 for v in cur]
        beta = Fraction(k * k * (n * n - k * k), 4 * k * k - 1)
        prev, cur = cur, [ti * c - beta * p for ti, c, p in zip(t, cur, prev)]
    names = [f"^{k}" for k in range(n)]
    names[1:min(4, n)] = [".L", ".Q", ".C"][: min(3, n - 1)]
    out.flags.writeable = False
    return out, tuple(names[1:])


def _poly_block(f: Factor) -> np.ndarray:
    """The ``contr.poly`` columns of an ordered factor's rows (NaN rows where missing)."""
    C, _ = contr_poly(len(f.levels))
    table = np.vstack([np.full((1, C.shape[1]), np.nan), C])
    return table.take(f.codes + 1, axis=0, mode="clip")


def _variable_block(label: str, value: Value, coding: int | None) -> tuple[np.ndarray, list[str]]:
    if isinstance(value, Numeric):
        return value.values.reshape(-1, 1), [label]
    if isinstance(value, Basis):
        return value.values, [label + s for s in value.suffixes]
    if coding == 1:
        if len(value.levels) < 2:
            raise DataError(
                f"factor {label!r} has only one level ({value.levels[0]!r}) in the rows used, "
                "so it has no contrasts (R: 'contrasts can be applied only to factors with 2 or "
                "more levels'); remove it from the formula or check the data")
        if value.ordered:
            return _poly_block(value), [label + s for s in contr_poly(len(value.levels))[1]]
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
    blocks: list[np.ndarray | None] = []  # None: the intercept's column of ones
    names: list[str] = []
    if terms.intercept:
        blocks.append(None)
        names.append("(Intercept)")
    for term, coding in zip(terms.terms, codings):
        mat: np.ndarray | None = None  # None: the empty product (a column of ones)
        nm = [""]
        for v in term:
            label = terms.variables[v][0]
            cols, cnames = _variable_block(label, values[v], coding.get(v))
            # first variable fastest: new column index = i_prev + n_prev * i_new
            # (1 * x == x exactly, so the first factor is used as it is)
            mat = cols if mat is None else (cols[:, :, None] * mat[:, None, :]).reshape(n, -1)
            nm = [f"{p}:{q}" if p else q for q in cnames for p in nm]
        blocks.append(mat)
        names.extend(nm)
    # fill one C-ordered float64 array in place (no hstack + copy)
    X = np.empty((n, len(names)), dtype=np.float64)
    j = 0
    for b in blocks:
        if b is None:
            X[:, j] = 1.0
            j += 1
        else:
            X[:, j:j + b.shape[1]] = b
            j += b.shape[1]
    return X, names


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
    p = X.shape[1]
    # shortcut, valid for lme4's tolerance or any smaller one (see _clearly_full_rank)
    if p > 0 and tol <= 1e-7 and _clearly_full_rank(X):
        return np.ones(p, dtype=bool)
    return _rank_keep_full(X, tol)


def _rank_keep_full(X: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """The full column-by-column check behind :func:`rank_keep` (no shortcut)."""
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


def _clearly_full_rank(X: np.ndarray, min_eig: float = 1e-6) -> bool:
    """Cheap exact shortcut for :func:`rank_keep`: True only when every column is kept.

    Scale the columns to unit norm and let ``G`` be their Gram matrix. The squared
    norm of column j orthogonal to the other columns (the Schur complement of
    ``G``) is at least the smallest eigenvalue of ``G``, and the ratio that
    ``rank_keep`` compares with ``tol`` (orthogonal to the *preceding* columns
    only) is at least as large. Rounding in ``G`` moves its eigenvalues by at
    most its norm-wise error (Weyl), of order ``n p eps`` (1e-9 for a million
    rows and ten columns), so a
    computed smallest eigenvalue above 1e-6 means every true ratio exceeds
    ~1e-3, far above ``tol`` = 1e-7: the full check would keep every column.
    Anything else (a zero column, near-collinear columns) takes the full check.
    """
    n, p = X.shape
    if n < p:
        return False
    G = X.T @ X
    if p <= 2:  # closed form, in plain floats (numpy's per-call cost dominates here)
        g = G.tolist()
        g00 = g[0][0]
        if not (0.0 < g00 < math.inf):
            return False
        if p == 1:
            return True  # a nonzero column is always kept
        g11 = g[1][1]
        if not (0.0 < g11 < math.inf):
            return False
        c = g[0][1] / math.sqrt(g00) / math.sqrt(g11)
        return 1.0 - abs(c) > min_eig  # eigenvalues of [[1, c], [c, 1]]: 1 -+ c
    d = np.sqrt(np.diagonal(G))
    if not (d.min() > 0 and np.isfinite(d).all()):
        return False
    G = G / d[:, None] / d[None, :]
    return bool(np.linalg.eigvalsh(G)[0] > min_eig)
