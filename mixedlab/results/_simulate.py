"""Simulated responses from a fitted mixed model, draw for draw as lme4's ``simulate.merMod``.

lme4 1.1-31, ``R/predict.R`` (``.simulateFun``), for a fit to ``n`` observations:

1. ``re.form`` names the random-effect terms to *condition on*. The default ``NA``
   (also ``~0``) conditions on none; ``NULL`` on all of them.
2. ``etapred = predict(object, re.form = re.form, type = "link")``: ``X %*% beta``
   (reference BLAS ``dgemv``: columns accumulated left to right from 0) plus the offset,
   plus ``b %*% Zt`` over the conditioned terms.
3. For the other terms ("compReForm"), new random effects: ``U = t(Lambdat %*% Zt)``
   (``= Z Lambda``, CHOLMOD products accumulating in increasing row/column order) and
   ``u <- rnorm(ncol(U) * nsim)`` -- drawn *first* -- give ``U %*% matrix(u, ncol = nsim)``.
4. The response: an LMM adds ``sigma * (sim.reff + matrix(rnorm(n * nsim), ncol = nsim))``
   to ``etapred`` (prior weights are not used: lme4 1.1-31 ignores them for LMMs); a GLMM
   takes ``mu = linkinv(etapred + sim.reff)`` (random effects not scaled by sigma) and the
   family's sampler over all ``n * nsim`` values at once (``simfunList``).

The arithmetic is done in the same order as R's, element by element, so that with the
same parameter values the simulated values are R's to the last bit; a mixedlab fit's
parameters agree with lme4's to the parity tolerances, so its simulations do too, and
count responses (binomial, Poisson) are the same integers.
"""

from __future__ import annotations

import math
import numbers
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import ArgumentError, DataError, FitMessage
from mixedlab.formula import parse_formula, parse_re_form, re_form_terms
from mixedlab.formula._random import expand_bars, sort_order
from mixedlab.results._predict import _merged_ranef, reform_ranef
from mixedlab.results._rlinks import linkinv
from mixedlab.rng import RRandom
from mixedlab.rng import _libm as libm
from mixedlab.rng._normal import pnorm

__all__ = ["SimTerm", "SimModel", "ReSplit", "resolve_rng", "split_re_form", "simulate_lmm",
           "simulate_frame", "fixed_eta", "new_effects", "linear_predictor", "formula_order",
           "check_nsim", "lmer_sim_model", "simulate_lmer", "new_params",
           "lambda_times_u", "glmm_response", "simulate_glmm", "simulate_glmer",
           "simulate_tmb", "eigen33_gemv", "tmb_us_cholesky"]

@dataclass
class SimTerm:
    """One random-effects term as simulation needs it (lme4's sorted term order).

    Attributes
    ----------
    X : numpy.ndarray, shape (n, k)
        The term's model matrix (rows of ``Zt`` before the indicator expansion).
    codes : numpy.ndarray of int, shape (n,)
        Level of each observation.
    n_levels : int
        Number of levels.
    T : numpy.ndarray, shape (k, k)
        Lower-triangular relative covariance factor (the term's block of ``Lambda``).
    b : numpy.ndarray, shape (n_levels, k)
        Conditional modes (``ranef``), used when the term is conditioned on.
    text : str
        The term as lme4 deparses it (``"1 + Days | Subject"``), to match ``re_form``.
    """

    X: np.ndarray
    codes: np.ndarray
    n_levels: int
    T: np.ndarray
    b: np.ndarray
    text: str


#: ``reform_terms(bars)``: the fit's evaluation of ``re_form`` bars on the fitted rows,
#: one ``(X, codes, b)`` per bar, with ``b`` the fit's random effects for that bar's
#: columns (levels x columns), as lme4's ``mkNewReTrms`` matches them.
ReformTerms = Callable[[tuple], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]


@dataclass
class SimModel:
    """What ``simulate`` reads from a fitted model.

    Attributes
    ----------
    X : numpy.ndarray, shape (n, p)
    beta : numpy.ndarray, shape (p,)
    offset : numpy.ndarray or None
    terms : list of SimTerm
        In lme4's sorted order (the order of ``Zt``'s row blocks).
    formula_order : list of int
        ``terms`` indices in the order the formula writes them (lme4 re-sorts subsets).
    sigma : float
    index : pandas.Index
        Row labels of the observations used in the fit.
    reform_terms : callable
        See :data:`ReformTerms`; needed only for a formula ``re_form``.
    """

    X: np.ndarray
    beta: np.ndarray
    offset: np.ndarray | None
    terms: list[SimTerm]
    formula_order: list[int]
    sigma: float
    index: pd.Index
    reform_terms: ReformTerms | None = None


def resolve_rng(seed: Any) -> RRandom:
    """The stream to draw from: ``set.seed(seed)`` for an int, the given :class:`RRandom`
    itself (continuing it, like R's global stream), or a fresh seed for ``None``."""
    if seed is None:
        return RRandom(secrets.randbelow(2**31 - 1))
    if isinstance(seed, RRandom):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Real):
        raise ArgumentError(
            f"seed must be an integer (R's set.seed), an RRandom stream or None, got {seed!r}"
        )
    return RRandom(seed)


def formula_order(formula: str, texts: list[str]) -> list[int]:
    """Indices of the sorted terms (by deparsed text) in the formula's own order."""
    parsed = parse_formula(formula)
    written = [b.text for b in expand_bars(parsed.random, formula)]
    free = list(range(len(texts)))
    out = []
    for w in written:
        for j in free:
            if texts[j] == w:
                out.append(j)
                free.remove(j)
                break
    out.extend(free)  # never expected; keeps every term present
    return out


@dataclass
class ReSplit:
    """``re_form`` resolved: the conditioned contributions and the terms drawn anew.

    Attributes
    ----------
    conditioned : list of (X, codes, b)
        In the order lme4 builds ``Zt`` for ``re.form`` (its bars sorted by mkReTrms).
    drawn : list of int
        Indices into ``SimModel.terms`` of the terms of ``compReForm``, in its order.
    """

    conditioned: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    drawn: list[int]


def _sorted(items: list[Any], n_levels: list[int]) -> list[Any]:
    return [items[i] for i in sort_order(n_levels)]


def split_re_form(model: SimModel, re_form: Any) -> ReSplit:
    """lme4's ``simulate`` reading of ``re_form`` (``.simulateFun``).

    ``NULL`` -> ``reOnly(formula(object))``: condition on every term; ``NA``/``~0``: on
    none; a formula: condition on its bars (evaluated and matched as ``predict`` does)
    and draw new effects for the model's terms not among them (``update.formula(. ~ . -
    re.form)`` removes terms written identically).
    """
    bars = parse_re_form(re_form)
    every = list(model.formula_order)
    if bars is None:
        cond = [(model.terms[j].X, model.terms[j].codes, model.terms[j].b)
                for j in _sorted(every, [model.terms[j].n_levels for j in every])]
        return ReSplit(cond, [])
    if bars == ():
        return ReSplit([], _sorted(every, [model.terms[j].n_levels for j in every]))
    if model.reform_terms is None:
        raise ArgumentError("this fit cannot condition on a re_form formula; use None or '~0'")
    cond = model.reform_terms(bars)
    cond = _sorted(cond, [int(b.shape[0]) for _, _, b in cond])
    written = {bar.text for bar in bars}
    rest = [j for j in every if model.terms[j].text not in written]
    return ReSplit(cond, _sorted(rest, [model.terms[j].n_levels for j in rest]))


def fixed_eta(model: SimModel) -> np.ndarray:
    """``drop(X %*% beta) + offset`` in R's order (dgemv: column by column from 0)."""
    eta = np.zeros(model.X.shape[0])
    for j in range(model.X.shape[1]):
        eta = eta + model.X[:, j] * model.beta[j]
    if model.offset is not None:
        eta = eta + model.offset
    return eta


def linear_predictor(model: SimModel, split: ReSplit) -> np.ndarray:
    """``etapred``: fixed part plus ``b %*% Zt`` over the conditioned terms."""
    eta = fixed_eta(model)
    if not split.conditioned:
        return eta
    # b %*% Zt: for each observation, its nonzeros of Zt in increasing row order
    # (terms in order, then each term's columns), accumulated from 0
    re = np.zeros_like(eta)
    for X, codes, b in split.conditioned:
        codes = np.asarray(codes)
        bl = b[codes]
        for c in range(X.shape[1]):
            re = re + X[:, c] * bl[:, c]
    return eta + re


def new_effects(model: SimModel, drawn: list[int], nsim: int, rng: RRandom) -> np.ndarray | float:
    """``U %*% matrix(rnorm(ncol(U) * nsim), ncol = nsim)`` with ``U = Z Lambda`` of the
    drawn terms, or 0 when no term is drawn (lme4 draws nothing then)."""
    if not drawn:
        return 0.0
    sizes = [model.terms[j].n_levels * model.terms[j].X.shape[1] for j in drawn]
    q = int(sum(sizes))
    u = rng.rnorm(q * nsim).reshape(nsim, q)  # matrix(u, ncol = nsim), column s = row s here
    n = model.X.shape[0]
    reff = np.zeros((n, nsim))
    start = 0
    for j, size in zip(drawn, sizes):
        t = model.terms[j]
        k = t.X.shape[1]
        ut = u[:, start:start + size].reshape(nsim, t.n_levels, k)  # level-major blocks
        start += size
        for cp in range(k):
            # U[i, (l_i, c')] = sum over c >= c' of Lambdat[(l,c'), (l,c)] * Zt[(l,c), i],
            # i.e. T[c, c'] * X[i, c], accumulated from 0 in increasing c (cholmod_ssmult)
            Ucol = np.zeros(n)
            for c in range(cp, k):
                Ucol = Ucol + t.X[:, c] * t.T[c, cp]
            # cholmod_sdmult: Y[i, s] += U[i, r] * u[r, s], columns r in increasing order
            reff = reff + Ucol[:, None] * ut[:, t.codes, cp].T
    return reff


def simulate_lmm(model: SimModel, nsim: int, rng: RRandom, re_form: Any) -> np.ndarray:
    """Simulated responses of a linear mixed model, shape (n, nsim)."""
    split = split_re_form(model, re_form)
    eta = linear_predictor(model, split)
    reff = new_effects(model, split.drawn, nsim, rng)
    n = eta.shape[0]
    eps = rng.rnorm(n * nsim).reshape(nsim, n).T  # matrix(rnorm(n * nsim), ncol = nsim)
    return eta[:, None] + model.sigma * (reff + eps)


def simulate_frame(values: np.ndarray, index: pd.Index, seed: Any) -> pd.DataFrame:
    """lme4's result layout: one column ``sim_1 .. sim_nsim`` per simulation."""
    nsim = values.shape[1]
    out = pd.DataFrame(values, index=index, columns=[f"sim_{i + 1}" for i in range(nsim)])
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        out.attrs["seed"] = int(seed)
    return out


def check_nsim(nsim: Any) -> int:
    """``nsim`` as a positive int (lme4: ``stopifnot(nsim > 0)``)."""
    if isinstance(nsim, (bool, np.bool_)) or not isinstance(nsim, numbers.Integral) or nsim < 1:
        raise ArgumentError(f"nsim must be a positive integer, got {nsim!r}")
    return int(nsim)


# --- LmerFit ------------------------------------------------------------------------------

def new_params(newparams: Any, beta: np.ndarray, theta: np.ndarray,
               sigma: float) -> tuple[np.ndarray, np.ndarray, float]:
    """lme4's ``setParams``: replace any of beta, theta, sigma (lengths checked)."""
    if not isinstance(newparams, dict):
        raise ArgumentError(f"newparams must be a dict with keys beta, theta, sigma, got "
                            f"{type(newparams).__name__}")
    unknown = set(newparams) - {"beta", "theta", "sigma"}
    if unknown:
        raise ArgumentError(f"newparams has unknown key(s) {sorted(unknown)}; use beta, theta, sigma")
    out = []
    for key, cur in (("beta", beta), ("theta", theta)):
        if key in newparams:
            v = np.asarray(newparams[key], dtype=float).ravel()
            if v.shape != cur.shape:
                raise ArgumentError(f"newparams[{key!r}] must have length {cur.size}, got {v.size}")
            out.append(v)
        else:
            out.append(cur)
    s = float(newparams.get("sigma", sigma))
    if not s > 0:
        raise ArgumentError(f"newparams['sigma'] must be positive, got {s!r}")
    return out[0], out[1], s


def lambda_times_u(T: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``b = Lambda u`` for one term (levels x k): ``b[l, c] = sum_{c' <= c} T[c, c'] u[l, c']``
    accumulated from 0 in increasing ``c'`` (lme4's ``Lambdat.adjoint() * u``)."""
    b = np.zeros_like(u)
    k = T.shape[0]
    for c in range(k):
        for cp in range(c + 1):
            b[:, c] = b[:, c] + T[c, cp] * u[:, cp]
    return b


def _layout(fit: Any) -> Any:
    """The θ layout of an LmerFit (``_cp.layout``) or a GlmerFit (``_sys.layout``)."""
    return fit._cp.layout if hasattr(fit, "_cp") else fit._sys.layout


def lmer_sim_model(fit: Any, newparams: Any = None) -> SimModel:
    """The :class:`SimModel` of a fitted :class:`~mixedlab.LmerFit` or ``GlmerFit``."""
    m = fit._model
    beta, theta, sigma = fit._solution.beta, fit.theta, fit.sigma
    b_terms = fit._term_segments(fit._solution.b)
    factors = _layout(fit).factors(theta)
    if newparams is not None:
        beta, theta, sigma = new_params(newparams, beta, theta, sigma)
        if "theta" in newparams:  # setParams keeps u, so b = Lambda(theta) u
            factors = _layout(fit).factors(theta)
            b_terms = [lambda_times_u(T, u)
                       for T, u in zip(factors, fit._term_segments(fit._solution.u))]
    terms = [SimTerm(X=t.X, codes=np.asarray(t.codes), n_levels=len(t.levels), T=T, b=b,
                     text=t.text)
             for t, T, b in zip(m.terms, factors, b_terms)]

    def reform_terms(bars: tuple) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        merged = _merged_ranef(fit, [t.b for t in model.terms])  # the model's b, as set
        return [(term.X, term.codes, reform_ranef(merged, term))
                for term in re_form_terms(m, bars, None)]

    index = m._frame_index[m.rows] if m._frame_index is not None else pd.RangeIndex(fit.nobs)
    model = SimModel(X=m.X, beta=beta, offset=m.offset, terms=terms,
                     formula_order=formula_order(m.formula, [t.text for t in m.terms]),
                     sigma=sigma, index=index, reform_terms=reform_terms)
    return model


def simulate_lmer(fit: Any, nsim: Any, seed: Any, re_form: Any, newparams: Any) -> pd.DataFrame:
    """:meth:`mixedlab.LmerFit.simulate`."""
    nsim = check_nsim(nsim)
    model = lmer_sim_model(fit, newparams)
    rng = resolve_rng(seed)
    return simulate_frame(simulate_lmm(model, nsim, rng, re_form), model.index, seed)


# --- GlmerFit ---------------------------------------------------------------------------

def _ignoring_weights(wts: np.ndarray) -> None:
    if np.any(wts != 1):
        warnings.warn("ignoring prior weights (lme4's warning: the simulation does not use them)",
                      UserWarning, stacklevel=5)


def glmm_response(family: str, link: str, eta: np.ndarray, reff: np.ndarray | float, nsim: int,
                  rng: RRandom, wts: np.ndarray, sigma: float, nb_theta: float | None,
                  two_column: bool) -> np.ndarray:
    """The response draws of ``.simulateFun`` for a GLMM, shape (n, nsim).

    ``mu = linkinv(etapred + sim.reff)`` taken column after column (``rep_len(musim, n *
    nsim)``), then one call of the family's sampler over all n * nsim values (lme4's
    ``simfunList``): binomial ``rbinom(size = wts)`` (divided by ``wts`` unless the
    response is ``cbind``, whose successes are returned), poisson ``rpois``, Gamma
    ``rgamma(shape = sigma * wts, rate = shape / mu)``, negative binomial
    ``rnbinom(mu = mu, size = theta)``.
    """
    n = eta.shape[0]
    etasim = eta[:, None] + reff  # etapred + sim.reff (0 when nothing is drawn)
    mu = linkinv(link, etasim)
    ftd = np.resize(mu.T.ravel(), n * nsim)  # rep_len(musim, n * nsim), column-major
    total = n * nsim
    wrep = np.resize(wts, total)
    if family == "binomial":
        if np.any(wts % 1 != 0):
            raise DataError("cannot simulate from non-integer prior.weights (lme4's error): the "
                            "binomial weights must be whole numbers of trials")
        y = rng.rbinom(total, wts, ftd)
        if not two_column:
            with np.errstate(invalid="ignore"):
                y = y / wrep
    elif family == "poisson":
        _ignoring_weights(wts)
        y = rng.rpois(total, ftd)
    elif family == "negative.binomial":
        _ignoring_weights(wts)
        y = rng.rnbinom(total, nb_theta, mu=ftd)
    elif family == "Gamma":
        if np.any(wts != 1):
            warnings.warn("using weights to scale shape parameter (lme4's message)", FitMessage,
                          stacklevel=5)
        shape = sigma * wts
        rate = np.resize(shape, total) / ftd  # shape / ftd, recycled as R does
        with np.errstate(divide="ignore"):
            y = rng.rgamma(total, shape, scale=1.0 / rate)
    else:
        raise NotImplementedError(
            f"simulation from the {family} family is not available (lme4 needs the statmod "
            "package for inverse.gaussian)")
    return y.reshape(nsim, n).T


def simulate_glmm(model: SimModel, nsim: int, rng: RRandom, re_form: Any, family: str,
                  link: str, wts: np.ndarray, nb_theta: float | None,
                  two_column: bool) -> np.ndarray:
    """Simulated responses of a GLMM, shape (n, nsim) (see :func:`glmm_response`)."""
    split = split_re_form(model, re_form)
    eta = linear_predictor(model, split)
    reff = new_effects(model, split.drawn, nsim, rng)
    return glmm_response(family, link, eta, reff, nsim, rng, wts, model.sigma, nb_theta,
                         two_column)


def simulate_glmer(fit: Any, nsim: Any, seed: Any, re_form: Any, newparams: Any) -> pd.DataFrame:
    """:meth:`mixedlab.GlmerFit.simulate`."""
    nsim = check_nsim(nsim)
    model = lmer_sim_model(fit, newparams)
    rng = resolve_rng(seed)
    fam = fit.family
    values = simulate_glmm(model, nsim, rng, re_form, fam.name, fam.link.name,
                           np.asarray(fit._gm.resp.wt, dtype=float), fam.theta,
                           fit._model.y2 is not None)
    return simulate_frame(values, model.index, seed)


# --- TmbFit -------------------------------------------------------------------------------

def _tmb_linkinv(link: str, eta: np.ndarray) -> np.ndarray:
    """glmmTMB's ``inverse_linkfun`` (C++: std::exp; logit is ``1 / (1 + exp(-eta))``)."""
    if link == "log":
        return libm.exp(eta)
    if link == "logit":
        return 1.0 / (1.0 + libm.exp(-eta))
    if link == "identity":
        return eta.copy()
    if link == "inverse":
        return 1.0 / eta
    if link == "sqrt":
        return eta * eta
    if link == "probit":
        return pnorm(eta)
    if link == "cloglog":
        return 1.0 - libm.exp(-libm.exp(eta))
    raise NotImplementedError(f"simulation with the {link!r} link is not available")


def eigen33_gemv(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``X * beta`` summed as Eigen 3.3's dense column-major GEMV kernel sums it.

    TMB (RcppEigen 0.3.3.9, Eigen 3.3.9, SSE2 packets of two doubles) evaluates ``X * beta``
    with ``general_matrix_vector_product``: columns four at a time, the aligned rows (all
    but an odd last one; the result starts aligned) as ``res + ((c0 + c1) + (c2 + c3))``
    (``_EIGEN_ACCUMULATE_PACKETS``), the odd last row and the ``cols % 4`` remaining columns
    one product at a time. Verified bit for bit against glmmTMB's simulations.
    ``beta`` may be (p,) or (p, r): r right-hand sides at once (result (n, r)).
    """
    X = np.asarray(X, dtype=float)
    beta = np.asarray(beta, dtype=float)
    n, p = X.shape
    res = np.zeros((n,) + beta.shape[1:])
    m = n & ~1

    def col(j: int) -> np.ndarray:
        xj = X[:, j]
        return (xj * beta[j]) if beta.ndim == 1 else (xj[:, None] * beta[j][None, :])

    bound = (p // 4) * 4
    for j in range(0, bound, 4):
        c = [col(j + k) for k in range(4)]
        res[:m] = res[:m] + ((c[0][:m] + c[1][:m]) + (c[2][:m] + c[3][:m]))
        for k in range(4):
            res[m:] = res[m:] + c[k][m:]
    for j in range(bound, p):
        res = res + col(j)
    return res


def tmb_us_cholesky(theta_corr: np.ndarray, k: int) -> np.ndarray:
    """The lower Cholesky factor TMB's ``UNSTRUCTURED_CORR_t::simulate`` multiplies by.

    TMB (``density.hpp``): unit lower-triangular L filled row by row from ``theta_corr``,
    ``llt = L Lᵀ``, ``Sigma(i,j) = llt(i,j) / sqrt(llt(i,i) * llt(j,j))``, then Eigen's
    unblocked ``LLT`` of Sigma (``x = a_kk - |A10|²; l_kk = sqrt(x); A21 -= A20 A10ᵀ;
    A21 /= l_kk``; a one-row update is a dot product). Scalar arithmetic in Eigen's order;
    exact for k <= 4 (wider terms would meet GEMV's paired columns inside the update).
    """
    L = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    it = iter(float(v) for v in theta_corr)
    for i in range(k):
        for j in range(i):
            L[i][j] = next(it)

    def dot(a: list[float], b: list[float]) -> float:
        acc = a[0] * b[0]
        for x, y in zip(a[1:], b[1:]):
            acc = acc + x * y
        return acc

    llt = [[dot(L[i], L[j]) for j in range(k)] for i in range(k)]
    A = [[llt[i][j] / math.sqrt(llt[i][i] * llt[j][j]) for j in range(k)] for i in range(k)]
    for c in range(k):
        x = A[c][c]
        if c > 0:
            x = x - dot(A[c][:c], A[c][:c])
        x = math.sqrt(x)
        A[c][c] = x
        rs = k - c - 1
        if c > 0 and rs > 0:
            if rs == 1:  # Eigen 3.3 turns a one-row GEMV into a dot product
                A[c + 1][c] = A[c + 1][c] + (-1.0) * dot(A[c + 1][:c], A[c][:c])
            else:
                for j in range(c):  # GEMV column by column (fewer than 4 columns)
                    neg = -A[c][j]
                    for r in range(c + 1, k):
                        A[r][c] = A[r][c] + A[r][j] * neg
        for r in range(c + 1, k):
            A[r][c] = A[r][c] / x
    return np.array([[A[i][j] if j <= i else 0.0 for j in range(k)] for i in range(k)])


def _logspace_add0(y: float) -> float:
    """TMB's ``logspace_add(0, y)`` (robust_utils): the larger argument plus ``log1p(exp(.))``."""
    if 0.0 < y:
        return y + math.log1p(math.exp(0.0 - y))
    return 0.0 + math.log1p(math.exp(y - 0.0))


def _tmb_component(X: np.ndarray | None, beta: np.ndarray, offset: np.ndarray | None,
                   zb: np.ndarray | None, n: int) -> np.ndarray:
    """glmmTMB 1.1.5's ``eta = Z * b + offset; eta += X * beta`` in that order."""
    eta = np.zeros(n) if zb is None else zb.copy()
    if offset is not None:
        eta = eta + offset
    if X is not None and X.shape[1]:
        eta = eta + eigen33_gemv(X, np.asarray(beta, dtype=float))
    return eta


def _tmb_effects(fit: Any, rng: RRandom | None) -> list[np.ndarray]:
    """Per term (levels, k): the fitted modes, or -- drawing from ``rng`` -- new effects in
    glmmTMB's order (terms as listed, level by level: ``sd * (L %*% rnorm(k))``, TMB's
    ``U.col(i) = sd * nldens.simulate()`` for the ``us`` structure)."""
    lay = fit._obj.layout
    if rng is None:
        return list(fit._b)
    theta = np.asarray(fit._obj.split(fit.par)["theta"], dtype=float)
    out = []
    for t, sl in zip(lay.terms, lay.theta_slices):
        th = theta[sl]
        k = t.k
        sd = np.array([math.exp(v) for v in th[:k]])  # std::exp, not numpy's vector exp
        z = rng.rnorm(t.n_levels * k).reshape(t.n_levels, k)
        if k == 1:
            out.append(sd[None, :] * z)
        else:
            L = tmb_us_cholesky(th[k:], k)
            out.append(sd[None, :] * eigen33_gemv(L, z.T).T)
    return out


class _TmbParts:
    """The parts of a glmmTMB fit's predictors that do not change between simulations."""

    def __init__(self, fit: Any) -> None:
        data = fit._model.data
        self.fit = fit
        self.data = data
        self.lay = fit._obj.layout
        pp = fit._obj.split(fit.par)
        n = self.n = data.n
        self.xb = _tmb_component(data.X, pp["beta"], None, None, n)  # X * beta
        self.xbz = (None if data.Xzi is None
                    else _tmb_component(data.Xzi, pp["betazi"], None, None, n))
        fam = self.fam = data.family
        self.phi = None
        if fam.uses_dispersion:
            if data.fixed_betad is not None:
                etad = np.full(n, data.fixed_betad) + (0.0 if data.doffset is None else data.doffset)
            else:
                etad = _tmb_component(data.Xd, pp["betad"], data.doffset, None, n)
            self.phi = libm.exp(etad)

    def _eta_pz(self, b_terms: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """The conditional linear predictor and the zero-inflation probability."""
        data, n = self.data, self.n
        comps: dict[int, np.ndarray] = {}
        for t, b in zip(self.lay.terms, b_terms):
            contrib = np.zeros(n)
            bl = b[np.asarray(t.codes)]
            for c in range(t.k):
                contrib = contrib + t.X[:, c] * bl[:, c]
            comps[t.component] = comps.get(t.component, np.zeros(n)) + contrib
        # glmmTMB.cpp: eta = Z * b + offset; eta += X * beta
        eta = comps.get(0, np.zeros(n)) + data.offset + self.xb
        pz = None
        if self.xbz is not None:
            etazi = comps.get(1, np.zeros(n)) + data.zioffset + self.xbz
            pz = 1.0 / (1.0 + libm.exp(-etazi))  # invlogit
        return eta, pz

    def params(self, b_terms: list[np.ndarray]) -> tuple[str, np.ndarray, Any, Any]:
        """(family kind, a, b, pz) of the per-observation draws for these random effects."""
        data = self.data
        eta, pz = self._eta_pz(b_terms)
        mu = _tmb_linkinv(self.fam.link.name, eta)
        phi = self.phi
        name = self.fam.name
        if name == "gaussian":
            return "normal", mu, np.sqrt(phi), pz
        if name in ("poisson", "truncated_poisson"):
            return name, mu, None, pz
        if name == "binomial":
            return "binomial", data.size, mu, pz
        if name in ("nbinom2", "nbinom1"):
            var = mu * (1.0 + mu / phi) if name == "nbinom2" else mu * (1.0 + phi)
            # TMB's rnbinom2(mu, var): p = mu / var, n = mu * p / (1 - p), rnbinom(n, p)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = mu / var
                return "nbinom", mu * p / (1.0 - p), p, pz
        if name == "truncated_nbinom2":  # size phi (the untruncated draw made first)
            return name, phi, mu, pz
        if name == "truncated_nbinom1":  # size mu / phi
            return "truncated_nbinom", mu / phi, mu, pz
        if name == "Gamma":
            return "gamma", phi, mu / phi, pz
        if name in ("beta", "beta_family"):
            # glmmTMB.cpp: rbeta(mu * phi, (1 - mu) * phi) (Ferrari & Cribari-Neto)
            return "beta", mu * phi, (1.0 - mu) * phi, pz
        if name == "genpois":
            # theta = mu / sqrt(phi), lambda = 1 - 1 / sqrt(phi) (sqrt is exact everywhere)
            return "genpois", mu / np.sqrt(phi), 1.0 - 1.0 / np.sqrt(phi), pz
        raise NotImplementedError(
            f"simulation from glmmTMB's {name} family is not available in mixedlab")

    def params3(self, b_terms: list[np.ndarray]) -> tuple[str, np.ndarray, Any, Any, Any]:
        """(kind, a, b, pz, c): :meth:`params` with a third parameter (tweedie, betabinomial)."""
        name = self.fam.name
        if name not in ("tweedie", "betabinomial"):
            return (*self.params(b_terms), None)
        eta, pz = self._eta_pz(b_terms)
        phi = self.phi
        if name == "tweedie":
            # glmmTMB.cpp: p = invlogit(psi) + 1, TMB's invlogit 1 / (1 + exp(-x))
            psi = float(np.asarray(self.fit._obj.split(self.fit.par)["psi"], dtype=float)[0])
            power = 1.0 / (1.0 + math.exp(-psi)) + 1.0
            return "tweedie", _tmb_linkinv(self.fam.link.name, eta), phi, pz, np.full(self.n, power)
        # betabinomial: s3 = logit(p), s1 = log(mu phi), s2 = log((1 - mu) phi) as glmmTMB.cpp
        # forms them (log_inverse_linkfun for the logit link: -logspace_add(0, -s3))
        link = self.fam.link.name
        if link == "logit":
            s3 = eta
        else:
            mu = _tmb_linkinv(link, eta)
            s3 = libm.log(mu / (1.0 - mu))
        logphi = libm.log(phi)
        s1 = np.array([-_logspace_add0(-v) for v in s3.tolist()]) + logphi
        s2 = np.array([-_logspace_add0(v) for v in s3.tolist()]) + logphi
        return "betabinomial", self.data.size, libm.exp(s1), pz, libm.exp(s2)


def _draws(rng: RRandom, kind: str, a: Any, b: Any, pz: Any, c: Any) -> np.ndarray:
    """The family's draws; glmmTMB's own samplers' refusals as errors naming the family."""
    from mixedlab.rng._tmbdraw import SimulationError

    try:
        return rng.zero_inflated(kind, a, b, pz, c)
    except SimulationError as e:
        raise DataError(f"glmmTMB's {kind} simulation cannot run for these fitted values: {e} "
                        "(glmmTMB 1.1.5 stops with the same range error)") from None


def simulate_tmb(fit: Any, nsim: Any, seed: Any, re_form: Any) -> pd.DataFrame:
    """:meth:`mixedlab.TmbFit.simulate`."""
    nsim = check_nsim(nsim)
    bars = parse_re_form(re_form)
    if bars not in (None, ()):
        raise ArgumentError("glmmTMB simulates with every random effect drawn anew (re_form='NA') "
                            "or kept at the fitted modes (re_form=None); a subset is not available")
    parts = _TmbParts(fit)
    rng = resolve_rng(seed)
    n = parts.n
    if bars is None or not parts.lay.terms:
        # nothing drawn between simulations: one run over nsim copies of the observations
        kind, a, b, pz, c = parts.params3(_tmb_effects(fit, None))
        tile = (lambda v: None if v is None else np.tile(np.broadcast_to(v, (n,)), nsim))
        values = _draws(rng, kind, tile(a), tile(b), tile(pz), tile(c)).reshape(nsim, n).T
    else:
        cols = []
        for _ in range(nsim):  # replicate(nsim, obj$simulate()$yobs): effects, then responses
            kind, a, b, pz, c = parts.params3(_tmb_effects(fit, rng))
            cols.append(_draws(rng, kind, a, b, pz, c))
        values = np.column_stack(cols)
    m = fit._model.cond
    index = m._frame_index[m.rows] if m._frame_index is not None else pd.RangeIndex(n)
    return simulate_frame(values, index, seed)
