"""Satterthwaite's degrees of freedom for contrasts of β, as lmerTest 3.1-3 computes them.

lmerTest (``R/lmer.R: as_lmerModLT``; ``R/contest.R: contest1D.lmerModLmerTest``,
``contestMD.lmerModLmerTest``, ``get_Fstat_ddf``) needs, at the estimates
``varpar = (θ̂, σ̂)``:

* ``A = vcov(varpar) = 2 H⁺``, H the Hessian of the deviance in varpar
  (numDeriv's Richardson differences), H⁺ its pseudo-inverse over the eigenvalues
  above ``tol = 1e-8`` (warnings for negative and near-zero eigenvalues, with
  lmerTest's texts);
* ``J_k = ∂ vcov(β)/∂ varpar_k`` (numDeriv's Richardson Jacobian), p × p each.

A one-row contrast L has ``var = LᵀVL``, ``g_k = LᵀJ_kL`` and
``ν = 2 var² / (gᵀAg)`` (Satterthwaite 1946; Kuznetsova et al. 2017, JSS 82(13),
eqn. 8). A q-row contrast is rotated to the eigenvectors of LVLᵀ and the
one-dimensional ν_m are combined (Fai & Cornelius 1996): ``F = Σ t_m²/q`` on
``2E/(E − q)`` denominator df, ``E = Σ ν_m/(ν_m − 2)``.

The derivatives are numDeriv's, not analytic: lmerTest's df are defined by its
finite differences, and near a boundary of the parameter space (a variance close
to zero, a nearly singular Hessian) exact derivatives can differ from them by
more than the 1e-4 the parity suite promises, while the replica agrees to ~1e-8.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import f as f_dist
from scipy.stats import t as t_dist

from mixedlab.inference._numderiv import hessian, jacobian
from mixedlab.inference._varpar import VarparFunctions
from mixedlab.linear._pls import CrossProducts

__all__ = [
    "SatterthwaiteDerivs",
    "satterthwaite_derivs",
    "contest_1d",
    "contest_md",
    "fstat_ddf",
    "ContrastTest",
    "FTest",
]

_TOL = 1e-8  # as_lmerModLT's default tol
_EPS_MD = math.sqrt(np.finfo(float).eps)  # contestMD's eps


@dataclass
class SatterthwaiteDerivs:
    """What lmerTest stores in an ``lmerModLmerTest``: the derivatives at the estimates.

    Attributes
    ----------
    varpar
        ``(θ̂, σ̂)``.
    hessian
        Hessian of the deviance in varpar.
    vcov_varpar
        ``2 H⁺`` (lmerTest's ``vcov_varpar``).
    jac_list
        ``∂ vcov(β) / ∂ varpar_k`` for each k (lmerTest's ``Jac_list``).
    vcov_beta
        vcov(β̂) (lmerTest's ``vcov_beta``, lme4's ``vcov``).
    warnings
        lmerTest's messages about the Hessian's eigenvalues (also emitted).
    """

    varpar: np.ndarray
    hessian: np.ndarray
    vcov_varpar: np.ndarray
    jac_list: list[np.ndarray]
    vcov_beta: np.ndarray
    warnings: list[str] = field(default_factory=list)


def satterthwaite_derivs(
    cp: CrossProducts, theta: np.ndarray, sigma: float, REML: bool, vcov_beta: np.ndarray,
    warn: bool = True,
) -> SatterthwaiteDerivs:
    """Compute lmerTest's ``vcov_varpar`` and ``Jac_list`` for a fitted model.

    Parameters
    ----------
    cp
        The model's cross-products.
    theta, sigma
        The estimates.
    REML
        Whether the fit is REML (the deviance differentiated is the fit's criterion).
    vcov_beta
        vcov(β̂) of the fit.
    warn
        Emit lmerTest's eigenvalue warnings (as ``UserWarning``).
    """
    fns = VarparFunctions(cp, REML)
    varpar = np.concatenate([np.asarray(theta, dtype=float), [float(sigma)]])
    H = hessian(fns.deviance, varpar)
    evals, evecs = np.linalg.eigh(H)
    order = np.argsort(evals)[::-1]  # R's eigen(): decreasing
    evals, evecs = evals[order], evecs[:, order]
    msgs = []
    neg = evals < -_TOL
    zero = (evals > -_TOL) & (evals < _TOL)
    if neg.any():
        word = "eigenvalues" if neg.sum() > 1 else "eigenvalue"
        msgs.append(f"Model failed to converge with {int(neg.sum())} negative {word}: "
                    + " ".join(_sprintf_1e(v) for v in evals[neg]))
    if zero.any():
        word = "eigenvalues" if zero.sum() > 1 else "eigenvalue"
        msgs.append(f"Model may not have converged with {int(zero.sum())} {word} close to zero: "
                    + " ".join(_sprintf_1e(v) for v in evals[zero]))
    if warn:
        for m in msgs:
            warnings.warn(m, UserWarning, stacklevel=3)
    pos = evals > _TOL
    V = evecs[:, pos]
    h_inv = (V / evals[pos]) @ V.T
    p = cp.p
    jac = jacobian(lambda vp: fns.covbeta(vp).ravel(order="F"), varpar)
    jac_list = [jac[:, k].reshape((p, p), order="F") for k in range(varpar.size)]
    return SatterthwaiteDerivs(varpar=varpar, hessian=H, vcov_varpar=2.0 * h_inv, jac_list=jac_list,
                               vcov_beta=np.asarray(vcov_beta, dtype=float), warnings=msgs)


def _sprintf_1e(v: float) -> str:
    """C's ``%1.1e`` (two-digit exponent at least), as R's sprintf."""
    return f"{v:.1e}"


def _qform(x: np.ndarray, A: np.ndarray) -> float:
    """lmerTest's ``qform``: ``sum(x * (A %*% x))``."""
    return float(np.sum(x * (A @ x)))


@dataclass
class ContrastTest:
    """One row of lmerTest's t table: estimate, SE, df, t and two-sided p."""

    estimate: float
    se: float
    df: float
    t: float
    p: float


@dataclass
class FTest:
    """One row of lmerTest's F table (``mk_Ftable``)."""

    sum_sq: float
    mean_sq: float
    num_df: float
    den_df: float
    f: float
    p: float


def t_row(estimate: float, se: float, df: float, rhs: float = 0.0) -> ContrastTest:
    """``mk_ttable``: t = (estimate − rhs)/se, p = 2 P(T_df > |t|)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (estimate - rhs) / se
    p = float(2.0 * t_dist.sf(abs(t), df)) if np.isfinite(t) and df > 0 else float("nan")
    return ContrastTest(float(estimate), float(se), float(df), float(t), p)


def f_row(F: float, ndf: float, ddf: float, sigma: float, Fscale: float = 1.0) -> FTest:
    """``mk_Ftable``: Mean Sq = F·σ², Sum Sq = Mean Sq·NumDF, F scaled by ``Fscale`` (KR)."""
    ms = F * sigma**2
    Fv = F * Fscale
    p = float(f_dist.sf(Fv, ndf, ddf)) if ddf > 0 else float("nan")
    return FTest(ms * ndf, ms, float(ndf), float(ddf), float(Fv), p)


def contest_1d(beta: np.ndarray, L: np.ndarray, d: SatterthwaiteDerivs, rhs: float = 0.0) -> ContrastTest:
    """``contest1D.lmerModLmerTest`` with Satterthwaite's df for one contrast row ``L``."""
    L = np.asarray(L, dtype=float).ravel()
    if np.any(np.isnan(L)):
        return ContrastTest(*(float("nan"),) * 5)
    estimate = float(np.sum(L * beta))
    var_con = _qform(L, d.vcov_beta)
    grad = np.array([_qform(L, J) for J in d.jac_list])
    denom = _qform(grad, d.vcov_varpar)
    ddf = 2.0 * var_con**2 / denom
    return t_row(estimate, math.sqrt(var_con), ddf, rhs)


def fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    """lmerTest's ``get_Fstat_ddf``: combine the one-dimensional df of a q-df test."""
    nu = np.asarray(nu, dtype=float)
    if nu.size == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    E = float(np.sum(nu / (nu - 2.0)))
    return 2.0 * E / (E - nu.size)


def contest_md(beta: np.ndarray, L: np.ndarray, d: SatterthwaiteDerivs, sigma: float) -> FTest | None:
    """``contestMD.lmerModLmerTest`` (Satterthwaite): the F test of ``L β = 0``.

    Returns ``None`` for an empty contrast (lmerTest returns a table without rows).
    """
    L = np.atleast_2d(np.asarray(L, dtype=float))
    if L.shape[0] == 0:
        return None
    if np.any(np.isnan(L)):
        nan = float("nan")
        return FTest(nan, nan, nan, nan, nan, nan)
    if L.shape[0] == 1:
        r = contest_1d(beta, L[0], d)
        return f_row(r.t**2, 1.0, r.df, sigma)
    VL = L @ d.vcov_beta @ L.T
    evals, P = np.linalg.eigh(VL)
    order = np.argsort(evals)[::-1]
    evals, P = evals[order], P[:, order]
    tol = max(_EPS_MD * evals[0], 0.0)
    pos = evals > tol
    q = int(pos.sum())
    if q <= 0:
        return None
    PtL = (P.T @ L)[:q]
    if q == 1:
        r = contest_1d(beta, PtL[0], d)
        return f_row(r.t**2, 1.0, r.df, sigma)
    t2 = (PtL @ beta) ** 2 / evals[:q]
    F = float(np.sum(t2) / q)
    nu = np.empty(q)
    for m in range(q):
        grad = np.array([_qform(PtL[m], J) for J in d.jac_list])
        nu[m] = 2.0 * evals[m] ** 2 / _qform(grad, d.vcov_varpar)
    return f_row(F, float(q), fstat_ddf(nu), sigma)
