"""The PLS engine against a direct dense computation of the marginal likelihood.

For y = Xβ + Zb + ε with b ~ N(0, σ²ΛΛᵀ) and ε ~ N(0, σ²W⁻¹) the marginal law is
y ~ N(Xβ, σ²V₀), V₀ = ZΛΛᵀZᵀ + W⁻¹.  Profiling β (GLS) and σ² out of −2 log L gives

    ML:    d(θ)   = n (1 + log(2π r²/n))         + log|V₀|
    REML:  d_R(θ) = (n−p)(1 + log(2π r²/(n−p))) + log|V₀| + log|XᵀV₀⁻¹X|

with r² = (y − Xβ̂)ᵀV₀⁻¹(y − Xβ̂), the GLS residual quadratic form.  These are computed
here with dense numpy linear algebra, independently of the blocked factor, and compared
with ``make_devfun(model, REML)(θ)`` at several θ.  The same dense quantities give β̂,
vcov(β̂) = σ̂²(XᵀV₀⁻¹X)⁻¹, the BLUPs b̂ = ΛΛᵀZᵀV₀⁻¹(y − Xβ̂) and the conditional
covariance σ̂²Λ(ΛᵀZᵀWZΛ + I)⁻¹Λᵀ that lme4 reports as ``postVar``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab import datasets
from mixedlab.linear._deviance import make_devfun
from mixedlab.linear._pls import conditional_variances, solve
from mixedlab.formula import build_model


# ----------------------------------------------------------------------------- dense reference
def dense_Z(model) -> np.ndarray:
    """Z (n × q) in lme4's layout, built directly from the terms' matrices and codes."""
    blocks = []
    for t in model.terms:
        n, k = t.X.shape
        Z = np.zeros((n, t.n_levels * k))
        for j in range(k):
            Z[np.arange(n), t.codes * k + j] = t.X[:, j]
        blocks.append(Z)
    return np.hstack(blocks)


def dense_Lambda(model, theta: np.ndarray) -> np.ndarray:
    """Λ_θ (q × q): per term, the lower triangle of T filled column-major from θ, repeated per level."""
    blocks = []
    pos = 0
    for t in model.terms:
        k = t.X.shape[1]
        T = np.zeros((k, k))
        for j in range(k):
            for i in range(j, k):
                T[i, j] = theta[pos]
                pos += 1
        blocks.append(np.kron(np.eye(t.n_levels), T))
    assert pos == theta.size
    q = sum(b.shape[0] for b in blocks)
    Lam = np.zeros((q, q))
    off = 0
    for b in blocks:
        Lam[off : off + b.shape[0], off : off + b.shape[0]] = b
        off += b.shape[0]
    return Lam


def dense_criteria(model, theta: np.ndarray) -> dict[str, object]:
    """Profiled ML deviance and REML criterion, β̂, b̂ and friends, by dense algebra."""
    y = model.y if model.offset is None else model.y - model.offset
    X = model.X
    n, p = X.shape
    w = np.ones(n) if model.weights is None else model.weights
    Z = dense_Z(model)
    Lam = dense_Lambda(model, theta)
    G = Lam @ Lam.T
    V0 = Z @ G @ Z.T + np.diag(1.0 / w)
    V0inv = np.linalg.inv(V0)
    XtVX = X.T @ V0inv @ X
    beta = np.linalg.solve(XtVX, X.T @ V0inv @ y)
    r = y - X @ beta
    r2 = float(r @ V0inv @ r)
    logdetV = np.linalg.slogdet(V0)[1]
    logdetXVX = np.linalg.slogdet(XtVX)[1]
    ml = n * (1.0 + np.log(2.0 * np.pi * r2 / n)) + logdetV
    reml = (n - p) * (1.0 + np.log(2.0 * np.pi * r2 / (n - p))) + logdetV + logdetXVX
    b = G @ Z.T @ V0inv @ r
    M = Lam.T @ Z.T @ np.diag(w) @ Z @ Lam + np.eye(Lam.shape[0])
    condvar = Lam @ np.linalg.inv(M) @ Lam.T  # unscaled by σ²
    return {"ML": ml, "REML": reml, "beta": beta, "b": b, "r2": r2, "XtVX": XtVX, "condvar": condvar}


# ----------------------------------------------------------------------------- cases
def _sparse_design() -> pd.DataFrame:
    """Two crossed factors with many levels, so the engine takes its sparse A₂₁ path."""
    rng = np.random.default_rng(11)
    n = 1000
    g1 = rng.integers(0, 250, n)
    g2 = rng.integers(0, 150, n)
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * x + rng.normal(size=250)[g1] + 0.7 * rng.normal(size=150)[g2] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "g1": [f"a{v}" for v in g1], "g2": [f"b{v}" for v in g2]})


def _weighted_sleep() -> tuple[pd.DataFrame, np.ndarray]:
    d = datasets.sleepstudy()
    w = np.random.default_rng(3).uniform(0.3, 3.0, len(d))
    return d, w


CASES = {
    "sleep_slope": ("Reaction ~ Days + (Days | Subject)", datasets.sleepstudy, {}),
    "sleep_uncorrelated": ("Reaction ~ Days + (Days || Subject)", datasets.sleepstudy, {}),
    "sleep_k3": ("Reaction ~ Days + (1 + Days + I(Days^2) | Subject)", datasets.sleepstudy, {}),
    "penicillin_crossed": ("diameter ~ 1 + (1 | plate) + (1 | sample)", datasets.penicillin, {}),
    "pastes_nested": ("strength ~ 1 + (1 | batch/cask)", datasets.pastes, {}),
    "dyestuff": ("Yield ~ 1 + (1 | Batch)", datasets.dyestuff, {}),
    "crossed_vector_trailing": (
        "score ~ treatment + (1 + treatment | rater) + (1 | student)", datasets.simulate_crossed, {}),
    "nested_tutorial": ("y ~ treatment + (1 + treatment | school)", datasets.simulate_nested, {}),
}


def _thetas(devfun, seed: int) -> list[np.ndarray]:
    """Start, a boundary point, and random points (negative off-diagonals allowed)."""
    rng = np.random.default_rng(seed)
    lower = devfun.lower
    out = [devfun.start.copy()]
    zero = devfun.start.copy()
    zero[lower == 0] = 0.0
    zero[np.flatnonzero(lower == 0)[-1]] = 0.7  # one term off the boundary keeps r² finite
    out.append(zero)
    for _ in range(3):
        th = np.where(lower == 0, rng.uniform(0.05, 2.5, lower.size), rng.uniform(-1.0, 1.0, lower.size))
        out.append(th)
    return out


def _model(name: str):
    formula, loader, kw = CASES[name]
    return build_model(formula, loader(), **kw)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("REML", [True, False])
def test_criterion_matches_dense_marginal_likelihood(name, REML):
    model = _model(name)
    devfun = make_devfun(model, REML=REML)
    for i, theta in enumerate(_thetas(devfun, seed=len(name))):
        ref = dense_criteria(model, theta)
        got = devfun(theta)
        np.testing.assert_allclose(got, ref["REML" if REML else "ML"], rtol=1e-10, atol=1e-8,
                                   err_msg=f"{name} θ #{i} = {theta}")


@pytest.mark.parametrize("REML", [True, False])
def test_criterion_with_weights_matches_dense(REML):
    d, w = _weighted_sleep()
    for formula in ["Reaction ~ Days + (Days | Subject)", "Reaction ~ Days + (1 | Subject)"]:
        model = build_model(formula, d, weights=w)
        devfun = make_devfun(model, REML=REML)
        for theta in _thetas(devfun, seed=5):
            ref = dense_criteria(model, theta)
            np.testing.assert_allclose(devfun(theta), ref["REML" if REML else "ML"], rtol=1e-10)


def test_criterion_with_weights_and_offset_crossed():
    d = datasets.penicillin()
    rng = np.random.default_rng(9)
    w = rng.uniform(0.5, 2.0, len(d))
    off = rng.normal(size=len(d))
    model = build_model("diameter ~ 1 + (1 | plate) + (1 | sample)", d, weights=w, offset=off)
    for REML in (True, False):
        devfun = make_devfun(model, REML=REML)
        for theta in _thetas(devfun, seed=1):
            ref = dense_criteria(model, theta)
            np.testing.assert_allclose(devfun(theta), ref["REML" if REML else "ML"], rtol=1e-10)


def test_sparse_path_matches_dense():
    model = build_model("y ~ x + (1 | g1) + (1 | g2)", _sparse_design())
    devfun = make_devfun(model, REML=True)
    assert devfun.cp.mode == "pairs", "this design should exercise the sparse (pairs) A21 path"
    for theta in [np.array([1.0, 1.0]), np.array([0.4, 1.7]), np.array([1.2, 0.0])]:
        ref = dense_criteria(model, theta)
        np.testing.assert_allclose(devfun(theta), ref["REML"], rtol=1e-10)
        f = devfun.factor(theta)
        sol = solve(devfun.cp, f)
        np.testing.assert_allclose(sol.beta, ref["beta"], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(sol.b, ref["b"], rtol=1e-7, atol=1e-9)


def _slope_crossed_design(n: int, levels1: int, levels2: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g1, g2 = rng.integers(0, levels1, n), rng.integers(0, levels2, n)
    x = rng.normal(size=n)
    y = (1 + 0.5 * x + rng.normal(0, 1, levels1)[g1] + rng.normal(0, 0.5, levels1)[g1] * x
         + rng.normal(0, 0.7, levels2)[g2] + rng.normal(size=n))
    return pd.DataFrame({"y": y, "x": x, "g1": pd.Categorical(g1), "g2": pd.Categorical(g2)})


@pytest.mark.parametrize("n", [600, 6000])
def test_schur_strategies_agree(monkeypatch, n):
    """Dense (matmul or BLAS syrk) and pair-operator Schur updates give one criterion.

    n = 6000 takes the large-design route (sparse cross-products, syrk returning a
    Fortran-ordered lower triangle); n = 600 the small dense one.
    """
    from mixedlab.linear._pls import CrossProducts

    model = build_model("y ~ x + (1 + x | g1) + (1 | g2)", _slope_crossed_design(n, 300, 200))
    thetas = [np.array([1.0, 0.0, 1.0, 1.0]), np.array([0.9, 0.05, 0.4, 0.7]), np.array([0.3, -0.2, 0.1, 0.0])]
    values = {}
    for advantage, mode in ((1e9, "dense"), (1e-9, "pairs")):
        monkeypatch.setattr(CrossProducts, "_DENSE_ADVANTAGE", advantage)
        devfun = make_devfun(model, REML=False)
        assert devfun.cp.mode == mode
        values[mode] = [devfun(t) for t in thetas]
    np.testing.assert_allclose(values["dense"], values["pairs"], rtol=1e-12)
    if n == 600:
        ref = [dense_criteria(model, t)["ML"] for t in thetas]
        np.testing.assert_allclose(values["dense"], ref, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_solution_and_conditional_variances_match_dense(name):
    model = _model(name)
    devfun = make_devfun(model, REML=True)
    for theta in _thetas(devfun, seed=2)[2:]:
        ref = dense_criteria(model, theta)
        f = devfun.factor(theta)
        sol = solve(devfun.cp, f)
        np.testing.assert_allclose(sol.beta, ref["beta"], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(sol.b, ref["b"], rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(f.pwrss, ref["r2"], rtol=1e-10)
        # vcov: (R_X R_Xᵀ)⁻¹ = (XᵀV₀⁻¹X)⁻¹ up to σ²
        np.testing.assert_allclose(sol.RX @ sol.RX.T, ref["XtVX"], rtol=1e-9)
        # conditional covariance blocks of b, per term and level
        blocks = conditional_variances(devfun.cp, f)
        C = ref["condvar"]
        off = 0
        for t, blk in zip(model.terms, blocks):
            k = t.X.shape[1]
            assert blk.shape == (t.n_levels, k, k)
            for lev in range(t.n_levels):
                s = slice(off + lev * k, off + (lev + 1) * k)
                np.testing.assert_allclose(blk[lev], C[s, s], rtol=1e-8, atol=1e-12)
            off += t.n_levels * k

