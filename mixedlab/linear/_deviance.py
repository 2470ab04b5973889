"""The deviance function of θ (lme4's ``mkLmerDevfun``): parse output → callable."""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedlab.linear._gradient import criterion_and_gradient
from mixedlab.linear._pls import CrossProducts, PLSFactor, criterion, factorize
from mixedlab.linear._theta import TermShape
from mixedlab.linear._threads import blas_threads_for

__all__ = ["LmerDevfun", "make_devfun", "CentredCoordinates", "qr_r"]


class LmerDevfun:
    """The profiled REML criterion or ML deviance as a function of θ alone.

    Calling it factors Ã(θ) and returns the criterion (Bates et al. 2015, eqns. 34
    and 41); the last factor is kept, so the optimum's β̂ and b̂ come for free.

    Attributes
    ----------
    cp
        The θ-independent cross-products.
    lower, start
        lme4's bounds and starting values of θ.
    REML
        Which criterion.
    """

    def __init__(self, cp: CrossProducts, REML: bool) -> None:
        self.cp = cp
        self.REML = bool(REML)
        self.lower = cp.layout.lower
        self.start = cp.layout.start
        self.theta_scale = np.ones(cp.layout.n_theta)
        self.reparam: Any = None
        self.last: PLSFactor | None = None

    def factor(self, theta: np.ndarray) -> PLSFactor:
        """Factor Ã(θ) and remember it."""
        self.last = factorize(self.cp, np.asarray(theta, dtype=float))
        return self.last

    @property
    def trailing_rows(self) -> int:
        """Rows of the dense trailing block (later terms' effects, X and y): the size of each
        evaluation's Cholesky factorisation, by which ``optimizer="auto"`` chooses its route."""
        return int(self.cp.m)

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The criterion and its analytic gradient at θ (:mod:`mixedlab.linear._gradient`)."""
        try:
            return criterion_and_gradient(self.cp, np.asarray(theta, dtype=float), self.REML)
        except np.linalg.LinAlgError:
            return float("inf"), np.full(np.size(theta), np.nan)

    def __call__(self, theta: np.ndarray) -> float:
        try:
            return float(criterion(self.cp, np.asarray(theta, dtype=float), self.REML))
        except np.linalg.LinAlgError:
            # an indefinite system is infeasible, not an answer; the optimiser steps back
            return float("inf")


def make_devfun(model: Any, REML: bool = True) -> LmerDevfun:
    """Build the deviance function of θ from a parsed model (``mixedlab.formula.build_model``)."""
    prepared = getattr(model, "prepared_devfun", None)
    if prepared is not None:  # a model whose rows live elsewhere (mixedlab.distributed)
        return prepared(REML)
    shapes = [TermShape(t.X.shape[1], len(t.levels)) for t in model.terms]
    y = model.y if model.offset is None else model.y - model.offset
    m = sum(s.q for s in shapes[1:]) + model.X.shape[1] + 1
    # the cross-products under the same BLAS setting as the optimisation: their last
    # bits, and so the optimum, must not depend on the machine's thread count
    with blas_threads_for(m):
        cp = CrossProducts(
            [t.X for t in model.terms], [t.codes for t in model.terms], shapes, model.X, y, model.weights
        )
    devfun = LmerDevfun(cp, REML)
    devfun.start = _moment_start(model, devfun.start)
    devfun.theta_scale = _theta_scale(model, cp.layout)
    devfun.reparam = CentredCoordinates.for_model(model, cp.layout)
    return devfun


class CentredCoordinates:
    """θ of the model whose slope columns are centred and scaled: a second view of the fit.

    lme4's θ describes each term's covariance in the columns as given: an intercept and
    a slope on x = 2000 + …, or on a predictor in thousands.  There the optimum can lie at
    the end of a long curved valley in θ (the intercept at x = 0 is an extrapolation),
    and BOBYQA may stop at another local minimum: one random design stopped at 266.27
    where lme4 reached 266.10.  With Z_t' = Z_t K_t (slopes centred on their mean and
    divided by their SD when the term has an intercept, divided by their RMS otherwise),
    a factor T' for Z_t' gives the same model as the lower-triangular T with
    T Tᵀ = K_t T' T'ᵀ K_tᵀ, T = the L of an LQ decomposition of K_t T'.
    """

    def __init__(self, layout: Any, K: list[np.ndarray]) -> None:
        self.layout = layout
        self.K = K

    @classmethod
    def for_model(cls, model: Any, layout: Any) -> "CentredCoordinates | None":
        K = []
        far = False
        for t in model.terms:
            Xt = np.asarray(t.X, dtype=float)
            k = Xt.shape[1]
            Kt = np.eye(k)
            if k >= 2 and Xt.shape[0] > 1:
                ones = np.all(Xt == 1.0, axis=0)
                has_int = bool(ones.any())
                icol = int(np.flatnonzero(ones)[0]) if has_int else -1
                for j in range(k):
                    if j == icol:
                        continue
                    col = Xt[:, j]
                    if has_int:
                        mu = float(col.mean())
                        sd = float(col.std())
                        sd = sd if sd > 0 and np.isfinite(sd) else 1.0
                        Kt[icol, j] = -mu / sd
                        Kt[j, j] = 1.0 / sd
                    else:
                        rms = float(np.sqrt(np.mean(col * col)))
                        Kt[j, j] = 1.0 / rms if rms > 0 and np.isfinite(rms) else 1.0
                far = far or bool(np.max(np.abs(Kt - np.eye(k))) > 0.5)
            K.append(Kt)
        return cls(layout, K) if far else None

    def to_theta(self, theta_prime: np.ndarray) -> np.ndarray:
        """lme4's θ for the centred coordinates' θ′."""
        out = np.empty_like(theta_prime)
        for Kt, Tp, sl, r, c in zip(self.K, self.layout.factors(theta_prime), self.layout.slices,
                                   self.layout.tri_rows, self.layout.tri_cols):
            A = Kt @ Tp
            if A.shape[0] == 1:
                T = np.abs(A)
            else:
                T = qr_r(A.T).T  # A = T Q with T lower triangular (T is our own copy)
                neg = np.diagonal(T) < 0
                if neg.any():  # a positive diagonal: flip those columns (exactly T·(±1))
                    T[:, neg] = -T[:, neg]
            out[sl] = T[r, c]
        return out


# numpy's own LAPACK QR gufunc (dgeqrf), called without np.linalg.qr's per-call checks and
# conversions: the second opinion converts θ′ once per criterion evaluation (53 times in
# sleepstudy's fit), and np.linalg.qr's overhead cost more than the criterion itself
# (issue 18).  None on a numpy without it: np.linalg.qr is then used.
_QR_R_RAW = getattr(getattr(np.linalg, "_umath_linalg", None), "qr_r_raw", None)
_BELOW_DIAGONAL: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _raise_qr(err: str, flag: int) -> None:
    raise np.linalg.LinAlgError("Incorrect argument found while performing QR factorization")


def qr_r(a: np.ndarray) -> np.ndarray:
    """``np.linalg.qr(a, mode="r")`` of a square float64 matrix, bit for bit, with less overhead.

    The same steps as numpy's: a copy in the same memory order, the same gufunc under the
    same floating-point error handling, then the strictly lower triangle set to zero.
    """
    k = a.shape[0]
    if _QR_R_RAW is None or a.ndim != 2 or a.shape[1] != k or a.dtype != np.float64:
        return np.linalg.qr(a, mode="r")
    r = a.astype(np.float64, copy=True)
    with np.errstate(call=_raise_qr, invalid="call", over="ignore", divide="ignore", under="ignore"):
        _QR_R_RAW(r, signature="d->d")
    r = np.ascontiguousarray(r)  # np.triu's result is C-ordered
    below = _BELOW_DIAGONAL.get(k)
    if below is None:
        below = _BELOW_DIAGONAL[k] = np.tril_indices(k, -1)
    r[below] = 0.0
    return r


def _theta_scale(model: Any, layout: Any) -> np.ndarray:
    """A typical size of each θ element: 1 / (root mean square of its row's column).

    θ's element (i, j) of term t carries the random effect of column i (b = T u), whose
    contribution to the response is b_i · z_i: on the response's scale it is of size
    |T_ij| · rms(z_i).  A slope on a predictor measured in thousands has θ elements of
    1e-3 or less beside an intercept's θ near 1, which BOBYQA, whose trust region is a
    ball, crosses slowly (see :func:`mixedlab.linear._optimize.optimize_lmer`).
    """
    out = np.ones(layout.n_theta)
    for t, sl, rows in zip(model.terms, layout.slices, layout.tri_rows):
        Xt = np.asarray(t.X, dtype=float)
        if Xt.shape[1] == 1 and Xt.shape[0] and bool((Xt == 1.0).all()):
            continue  # an intercept (1 | f): its RMS is exactly 1 (n ones sum exactly to n)
        rms = np.sqrt(np.mean(Xt * Xt, axis=0)) if Xt.shape[0] else np.ones(Xt.shape[1])
        rms = np.where((rms > 0) & np.isfinite(rms), rms, 1.0)
        out[sl] = 1.0 / rms[rows]
    return out


def _moment_start(model: Any, default: np.ndarray) -> np.ndarray:
    """lme4's starting θ for models made only of scalar intercept terms (``mkLmerDevfun``).

    When every term is ``(1 | f)`` with its own factor, lme4 starts from the
    method-of-moments ratios θ_t = √(v_t / v_e), v_t the variance of the response's
    group means over observations and v_e = var(y) − Σ v_t, if v_e > 0.  Starting
    where lme4 starts keeps the optimiser on lme4's path.
    """
    terms = model.terms
    factors = [t.factor for t in terms]
    if not all(list(t.columns) == ["(Intercept)"] for t in terms) or len(set(factors)) != len(terms):
        return default
    y = np.asarray(model.y, dtype=float)
    if y.size < 2:
        return default
    v = []
    for t in terms:
        sums = np.bincount(t.codes, weights=y, minlength=len(t.levels))
        counts = np.bincount(t.codes, minlength=len(t.levels))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts
        v.append(float(np.var(means[t.codes], ddof=1)))  # var(ave(y, f)) in R
    v_e = float(np.var(y, ddof=1)) - sum(v)
    if not np.isfinite(v_e) or v_e <= 0:
        return default
    return np.sqrt(np.asarray(v) / v_e)
