"""Second pass: each partition's share of the cross-products, merged by tree reduction.

:class:`mixedlab.linear._crossprod.CrossProducts` keeps term 1 in an orthonormal basis per
level, W½Z₁_g = Q_g R_g, with F_g = Q_gᵀW½[Z₂ X y]_g and E the cross-product of the
trailing columns' residuals after projecting out each level's Q_g.  R_g and F_g depend on
all rows of a level, which may lie in many partitions, so they are merged as in TSQR
(Demmel et al. 2012): a partition reduces its rows of each level to k₁ *pseudo-rows*
[R_g | F_g] (a triangular factor and the rest's coordinates in that basis), and a merge
stacks the pseudo-rows of two parts and reduces them again with the same per-level
Gram–Schmidt.  Since [R_g F_g] has the rows' Gram matrix over the level, every merge gives
the factor of the union of the rows; the residual parts a merge removes (the pseudo-rows'
own residuals) are added to E's X/y blocks, so E is exact as well.  Z₂ enters sparse (its
F rows touch only the levels of term 2 met within the level), and its own E block is
formed classically at the end, as the in-memory path forms it for sparse designs.

Everything summed (A₁₁, Z₂ᵀWZ₂, XᵀWX, XᵀWy, column statistics) is exact up to the order
of additions; the blocks of one partition are never denser than the in-memory blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from mixedlab.formula._fixed import model_matrix
from mixedlab.linear._crossprod import _level_orthonormal, level_crossproducts, random_effects_matrix
from mixedlab.linear._theta import TermShape

__all__ = ["Context", "Part", "partition_part", "merge_parts"]


@dataclass
class Context:
    """What every partition needs to build its rows' design (sent once per task)."""

    spec: Any  # the prototype's DesignSpec
    cols: list[str]
    weights: str | None
    offset: str | None
    shapes: list[TermShape]
    p_full: int


@dataclass
class _Moments:
    """Count, mean and centred sum of squares (Chan et al.'s pairwise update) and sum of squares."""

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    ss: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray) -> "_Moments":
        n = X.shape[0]
        if n == 0:
            k = X.shape[1]
            return cls(np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.full(k, np.inf), np.full(k, -np.inf))
        mean = X.mean(axis=0)
        return cls(np.full(X.shape[1], float(n)), mean, ((X - mean) ** 2).sum(axis=0), (X * X).sum(axis=0),
                   X.min(axis=0), X.max(axis=0))

    def __add__(self, o: "_Moments") -> "_Moments":
        n = self.n + o.n
        with np.errstate(invalid="ignore", divide="ignore"):
            d = o.mean - self.mean
            frac = np.where(n > 0, o.n / n, 0.0)
            mean = self.mean + d * frac
            m2 = self.m2 + o.m2 + d * d * self.n * frac
        return _Moments(n, mean, m2, self.ss + o.ss, np.minimum(self.lo, o.lo), np.maximum(self.hi, o.hi))


@dataclass
class Part:
    """One partition's (or a merged group's) share of the blocks."""

    n: int
    log_w: float
    A11: np.ndarray  # (L1, k1, k1)
    XtWX: np.ndarray
    XtWy: np.ndarray
    RX: np.ndarray  # triangular factor of the unweighted X (lme4's rank check)
    G: sp.csr_matrix  # Z2ᵀWZ2
    term_moments: list[_Moments]
    y_moments: _Moments  # of y as given (lme4's start uses it)
    r_lo: float  # range of y − offset (the constant-response check)
    r_hi: float
    level_y: list[np.ndarray]  # per term: Σ y per level
    level_n: list[np.ndarray]  # per term: rows per level
    nest_lo: np.ndarray | None  # per level of term 1: smallest and largest term-2 level met
    nest_hi: np.ndarray | None
    # the pseudo-rows, for the levels present
    lev: np.ndarray
    R: np.ndarray  # (Lp, k1, k1)
    FZ2: sp.csr_matrix  # (Lp·k1) × q2
    FXy: np.ndarray  # (Lp, k1, p+1)
    EZXy: np.ndarray  # q2 × (p+1)
    EXyXy: np.ndarray  # (p+1) × (p+1)


def _reduce(codes: np.ndarray, Z1: np.ndarray, Z2: sp.csr_matrix, Xy: np.ndarray):
    """Per-level Gram–Schmidt of rows (or pseudo-rows): the level's [R | F] and the residual blocks."""
    k1 = Z1.shape[1]
    lev, local = np.unique(codes, return_inverse=True)
    local = local.ravel()
    Lp, N = lev.size, codes.size
    Q, R = _level_orthonormal(Z1, local, Lp)
    Qt = sp.csr_matrix((Q.ravel(), ((local * k1)[:, None] + np.arange(k1)[None, :]).ravel(),
                        np.arange(N + 1) * k1), shape=(N, Lp * k1)).T.tocsr()
    FXy = np.asarray(Qt @ Xy)
    FZ2 = sp.csr_matrix(Qt @ Z2)
    perp = Xy - np.asarray(Qt.T @ FXy)
    EZXy = np.asarray(Z2.T @ perp)
    EXyXy = perp.T @ perp
    return lev, R, FZ2, FXy.reshape(Lp, k1, Xy.shape[1]), EZXy, EXyXy


def partition_part(pdf: Any, ctx: Context) -> Part | None:
    """Pass 2 on one partition (``None`` when it has no complete rows)."""
    from mixedlab.distributed._schema import complete_rows

    ok, zero = complete_rows(pdf, ctx.cols, ctx.weights)
    use = ok & ~zero
    if not use.any():
        return None
    sub = pdf.loc[use] if not use.all() else pdf
    n = int(use.sum())
    spec = ctx.spec
    ev = spec._evaluator(sub)
    X, _ = model_matrix(spec.fixed.terms, spec.fixed.evaluate(ev, "data"), n)
    X = np.ascontiguousarray(X, dtype=float)
    mats = spec.term_matrices(sub)
    term_X = [np.asarray(Xt, dtype=float) for Xt, _ in mats]
    term_codes = [np.asarray(c, dtype=np.int64) for _, c in mats]
    y_raw = np.asarray(spec.response(sub), dtype=float)
    off = spec.offset(sub)
    if ctx.offset is not None:
        extra = sub[ctx.offset].to_numpy(dtype=float)
        off = extra if off is None else off + extra
    y = y_raw if off is None else y_raw - off
    w = None if ctx.weights is None else sub[ctx.weights].to_numpy(dtype=float)
    shapes = ctx.shapes
    L1 = shapes[0].n_levels
    sw = np.ones(n) if w is None else np.sqrt(w)
    wv = np.ones(n) if w is None else w
    X1, c1 = term_X[0], term_codes[0]
    A11 = level_crossproducts(c1, X1, wv, L1)
    Xw = X * wv[:, None]
    Z2 = random_effects_matrix(term_X[1:], term_codes[1:], shapes[1:], n)
    Z2 = sp.csr_matrix(Z2.multiply(sw[:, None])) if w is not None else sp.csr_matrix(Z2)
    Xy = np.hstack([X, y[:, None]]) * sw[:, None]
    lev, R, FZ2, FXy, EZXy, EXyXy = _reduce(c1, X1 * sw[:, None], Z2, Xy)
    nest_lo = nest_hi = None
    if len(shapes) >= 2:
        nest_lo = np.full(L1, np.iinfo(np.int64).max)
        nest_hi = np.full(L1, -1)
        np.minimum.at(nest_lo, c1, term_codes[1])
        np.maximum.at(nest_hi, c1, term_codes[1])
    return Part(
        n=n, log_w=float(np.sum(np.log(w))) if w is not None else 0.0, A11=A11,
        XtWX=Xw.T @ X, XtWy=Xw.T @ y, RX=np.linalg.qr(X, mode="r"), G=sp.csr_matrix(Z2.T @ Z2),
        term_moments=[_Moments.of(Xt) for Xt in term_X], y_moments=_Moments.of(y_raw[:, None]),
        r_lo=float(y.min()), r_hi=float(y.max()),
        level_y=[np.bincount(c, weights=y_raw, minlength=s.n_levels) for c, s in zip(term_codes, shapes)],
        level_n=[np.bincount(c, minlength=s.n_levels).astype(float) for c, s in zip(term_codes, shapes)],
        nest_lo=nest_lo, nest_hi=nest_hi,
        lev=lev, R=R, FZ2=FZ2, FXy=FXy, EZXy=EZXy, EXyXy=EXyXy)


def merge_parts(parts: list[Part | None]) -> Part | None:
    """Merge parts: sums for the summable blocks, a per-level reduction for the pseudo-rows."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    k1 = parts[0].R.shape[1]
    codes = np.concatenate([np.repeat(p.lev, k1) for p in parts])
    Z1 = np.vstack([p.R.reshape(-1, k1) for p in parts])
    Z2 = sp.vstack([p.FZ2 for p in parts], format="csr")
    Xy = np.vstack([p.FXy.reshape(-1, p.FXy.shape[2]) for p in parts])
    lev, R, FZ2, FXy, EZXy, EXyXy = _reduce(codes, Z1, Z2, Xy)
    first = parts[0]
    tm = first.term_moments
    ym = first.y_moments
    for p in parts[1:]:
        tm = [a + b for a, b in zip(tm, p.term_moments)]
        ym = ym + p.y_moments
    RX = np.linalg.qr(np.vstack([p.RX for p in parts]), mode="r")
    return Part(
        n=sum(p.n for p in parts), log_w=sum(p.log_w for p in parts),
        A11=sum(p.A11 for p in parts), XtWX=sum(p.XtWX for p in parts), XtWy=sum(p.XtWy for p in parts),
        RX=RX, G=sp.csr_matrix(sum(p.G for p in parts)), term_moments=tm, y_moments=ym,
        r_lo=min(p.r_lo for p in parts), r_hi=max(p.r_hi for p in parts),
        level_y=[sum(v) for v in zip(*(p.level_y for p in parts))],
        level_n=[sum(v) for v in zip(*(p.level_n for p in parts))],
        nest_lo=None if first.nest_lo is None else np.minimum.reduce([p.nest_lo for p in parts]),
        nest_hi=None if first.nest_hi is None else np.maximum.reduce([p.nest_hi for p in parts]),
        lev=lev, R=R, FZ2=FZ2, FXy=FXy,
        EZXy=sum(p.EZXy for p in parts) + EZXy, EXyXy=sum(p.EXyXy for p in parts) + EXyXy)
