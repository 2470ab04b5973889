"""lmerTest's hypothesis matrices for type I, II and III F tests (``R/anova_contrasts.R``, 3.1-3).

Each term gets one matrix L (rows = the term's degrees of freedom, columns = the
coefficients), tested as a whole by ``L β = 0``:

* **type I** (sequential): rows of ``t(doolittle(XᵀX)$L)`` for the term's columns — the
  unit lower-triangular factor of Doolittle's LU decomposition, small entries (< 1e-6)
  set to zero as lmerTest does;
* **type II**: a term contained in no other gets the identity rows of its columns
  (``get_contrasts_marginal``); any other term is moved, with the terms containing it, to
  the end of X and gets its rows of the Doolittle factor of that reordered XᵀX;
* **type III**: each term's fully dummy-coded design (``model.matrix(~ 0 + term)``) is
  expressed in X's columns (``L = ginv(X) rdX``), then, from the highest-order terms down,
  each term's columns are made orthogonal to those of the terms containing it; the rows
  that belong to X's columns form the hypotheses. With treatment contrasts (the only coding
  mixedlab builds) this is lmerTest's ``extract_contrasts_type3`` on X itself.

Containment follows lmerTest: F2 contains F1 when F1's variables are all in F2, F2 has
more, and both have the same numeric variables.
"""

from __future__ import annotations

import numpy as np

from mixedlab.inference._terms import FixedStructure

__all__ = ["contrasts_type1", "contrasts_type2", "contrasts_type3", "contrasts_marginal",
           "doolittle", "zapsmall"]


def zapsmall(x: np.ndarray, digits: int = 7) -> np.ndarray:
    """R 4.2's ``zapsmall``: round to ``digits − log10(max|x|)`` decimals.

    It is applied to remove rounding noise (1e-17 → 0) from the contrasts, so numpy's
    rounding serves: it differs from R's ``round`` only on exact decimal ties at the
    seventh significant digit, which move a hypothesis by 1e-7 relative at most.
    """
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    if not ok.any():
        return x
    mx = float(np.max(np.abs(x[ok])))
    d = max(0.0, digits - np.log10(mx)) if mx > 0 else float(digits)
    return np.round(x, int(np.floor(d + 0.5)))


def doolittle(x: np.ndarray, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """lmerTest's ``doolittle``: LU without pivoting, entries below ``eps`` set to zero.

    The loops follow lmerTest's order of operations so that the sums round as R's do.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    L = np.zeros((n, n))
    U = np.zeros((n, n))
    np.fill_diagonal(L, 1.0)
    for i in range(n):
        for j in range(n):
            u = x[i, j]
            for k in range(i):
                u = u - L[i, k] * U[k, j]
            U[i, j] = u
        for j in range(i + 1, n):
            v = x[j, i]
            for k in range(i):
                v = v - L[j, k] * U[k, i]
            L[j, i] = 0.0 if abs(U[i, i]) < eps else v / U[i, i]
    L[np.abs(L) < eps] = 0.0
    U[np.abs(U) < eps] = 0.0
    return L, U


def _type1_all(st: FixedStructure) -> dict[str, np.ndarray] | list[np.ndarray]:
    """``get_contrasts_type1``: rows of t(doolittle(XᵀX)$L) per term."""
    X = st.X
    p = X.shape[1]
    if p == 0:
        return [np.zeros((0, 0))]
    if p == 1 and st.intercept:
        return [np.zeros((0, 1))]
    L = np.ones((1, 1)) if p == 1 else doolittle(X.T @ X)[0].T
    cols = st.term_columns()
    return {lab: L[cols[lab], :] for lab in st.labels}


def contrasts_type1(st: FixedStructure) -> dict[str, np.ndarray] | list[np.ndarray]:
    """Type I hypotheses, by term label (an unnamed list for an intercept-only model)."""
    return _type1_all(st)


def contrasts_marginal(st: FixedStructure, which: list[str] | None = None):
    """``get_contrasts_marginal``: the identity rows of each term's columns."""
    p = st.X.shape[1]
    if which is None:
        which = st.labels
        if p <= 1 or len(st.labels) <= 1:
            return _type1_all(st)
    cols = st.term_columns()
    eye = np.eye(p)
    return {lab: eye[cols[lab], :] for lab in which}


def _type2_contained(st: FixedStructure, which: list[str]) -> dict[str, np.ndarray]:
    """``get_contrasts_type2`` for terms that other terms contain."""
    X = st.X
    cont = st.containment()
    col_terms = [("(Intercept)" if a == 0 else st.labels[a - 1]) for a in st.assign]
    groups: dict[str, list[int]] = {}
    for j, t in enumerate(col_terms):
        groups.setdefault(t, []).append(j)
    out = {}
    for term in which:
        cols_term = [j for t in [term, *cont[term]] for j in groups.get(t, [])]
        rest = [j for j in range(X.shape[1]) if j not in cols_term]
        perm = rest + cols_term
        Lc = doolittle(X[:, perm].T @ X[:, perm])[0].T
        new_terms = [col_terms[j] for j in perm]
        rows = [i for i, t in enumerate(new_terms) if t == term]
        inv = np.argsort(perm)  # columns back to X's order
        out[term] = Lc[np.ix_(rows, inv)]
    return out


def contrasts_type2(st: FixedStructure) -> dict[str, np.ndarray] | list[np.ndarray]:
    """Type II hypotheses (lmerTest's ``get_contrasts_type2_unfolded``)."""
    p = st.X.shape[1]
    if p <= 1 or len(st.labels) <= 1:
        return _type1_all(st)
    cont = st.containment()
    marginal = [t for t in st.labels if not cont[t]]
    others = [t for t in st.labels if cont[t]]
    out = dict(contrasts_marginal(st, which=marginal)) if marginal else {}
    if others:
        out.update(_type2_contained(st, others))
    return {t: out[t] for t in st.labels}


def _resid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``resid(lm.fit(x, y))``: y minus its least-squares fit on x (rank-deficient x allowed)."""
    if x.shape[1] == 0:
        return y.copy()
    coef, *_ = np.linalg.lstsq(x, y, rcond=1e-7)
    return y - x @ coef


def _extract_type3(st: FixedStructure, X: np.ndarray, colnames: list[str], assign: np.ndarray) -> dict:
    """lmerTest's ``extract_contrasts_type3(model, X)`` for a treatment-coded X."""
    rdX, rd_names = st.rdx()
    # L = zapsmall(t(ginv(X) %*% rdX)): rdX's columns in X's coordinates
    coef, *_ = np.linalg.lstsq(X, rdX, rcond=None)
    L = zapsmall(coef.T)  # rows: rdX columns; columns: X columns
    cols = st.term_columns(assign)
    cont = st.containment()
    order = sorted(range(len(st.labels)), key=lambda i: -st.order[i])  # stable, decreasing
    for i in order:
        term = st.labels[i]
        if cont[term]:
            xc = [j for t in cont[term] for j in cols[t]]
            L[:, cols[term]] = zapsmall(_resid(L[:, xc], L[:, cols[term]]))
    pos = {n: k for k, n in enumerate(rd_names)}
    missing = [c for c in colnames if c not in pos]
    if missing:
        raise ValueError(f"type III contrasts: columns {missing} of X have no dummy-coded counterpart")
    Lsq = L[[pos[c] for c in colnames], :]  # p × p: rows = X columns
    out = {}
    for term in st.labels:
        Lt = Lsq[:, cols[term]].T
        out[term] = Lt[np.sum(np.abs(Lt), axis=1) > 1e-8, :]
    return out


def contrasts_type3(st: FixedStructure) -> dict[str, np.ndarray] | list[np.ndarray]:
    """Type III hypotheses (lmerTest's ``get_contrasts_type3``).

    With treatment contrasts only, ``extract_contrasts_type3`` on X itself; with ordered
    factors (polynomial contrasts), on X remade with treatment contrasts, then mapped to
    the model's coding by ``zapsmall(ginv(X_treatment) X)``.
    """
    p = st.X.shape[1]
    if p <= 1 or len(st.labels) <= 1:
        return _type1_all(st)
    if st.treatment is None:
        return _extract_type3(st, st.X, st.colnames, st.assign)
    Xt, names_t, assign_t = st.treatment
    ctr = _extract_type3(st, Xt, names_t, assign_t)
    coef, *_ = np.linalg.lstsq(Xt, st.X, rcond=None)
    mapping = zapsmall(coef)  # treatment columns × the model's columns
    return {t: L @ mapping for t, L in ctr.items()}
