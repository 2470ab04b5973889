"""The pieces of the glmmTMB engine against independent computations (no R needed).

* jets: every kept derivative of each family's log-density (with zero inflation and
  truncation) against nested central differences of its value;
* the closed-form derivative tables against the generic jets (their oracle);
* ψ1, ψ2 against scipy's polygamma; the Tweedie series derivatives against differences;
* ∂Λ/∂θ of the UNSTRUCTURED_CORR parameterisation against differences;
* the blocked factorization (log-determinant, solves, selected inverse) against dense
  numpy on a crossed design;
* the analytic outer gradient against central differences of the Laplace objective.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import mixedlab
from mixedlab.tmb import build_tmb_model, get_family
from mixedlab.tmb._covstruct import TermCov
from mixedlab.tmb._families import C, D, P, Z, _CLOSED, _LOGLIK, _closed_jet, observation_loglik
from mixedlab.tmb._jet import JetSpace, tetragamma, trigamma
from mixedlab.tmb._laplace import LaplaceObjective
from mixedlab.tmb._tweedie import tweedie_logw

RNG = np.random.default_rng(2024)
N = 40


def _response(fam: str) -> tuple[np.ndarray, np.ndarray | None]:
    if fam in ("gaussian",):
        return RNG.normal(1, 2, N), None
    if fam in ("Gamma",):
        return RNG.gamma(2.0, 1.0, N), None
    if fam == "beta":
        return RNG.uniform(0.05, 0.95, N), None
    if fam in ("binomial", "betabinomial"):
        size = RNG.integers(1, 12, N).astype(float)
        return np.floor(size * RNG.uniform(0, 1, N)), size
    if fam == "tweedie":
        y = RNG.gamma(1.5, 1.0, N)
        y[::4] = 0.0
        return y, None
    y = RNG.poisson(2.0, N).astype(float)
    if fam.startswith("truncated"):
        y = np.maximum(y, 1.0)
    return y, None


FAMILIES = [("gaussian", None), ("gaussian", "log"), ("poisson", None), ("poisson", "sqrt"),
            ("binomial", None), ("binomial", "probit"), ("binomial", "cloglog"), ("nbinom2", None),
            ("nbinom1", None), ("Gamma", "log"), ("Gamma", None), ("beta_family", None),
            ("betabinomial", None), ("tweedie", None), ("genpois", None), ("truncated_poisson", None),
            ("truncated_nbinom2", None), ("truncated_nbinom1", None)]


def _etas(fam):
    c = RNG.normal(0.3, 0.4, N)
    if fam.link.name in ("identity", "sqrt", "inverse"):
        c = RNG.uniform(0.8, 2.0, N)
    if fam.name == "gaussian" and fam.link.name == "log":
        c = RNG.normal(0.0, 0.3, N)
    return c, RNG.normal(-1.0, 0.5, N), RNG.normal(0.2, 0.3, N), 0.3


def _value(fam, k, c, z, d, psi, zi):
    sp = JetSpace([()])
    return np.asarray(observation_loglik(fam, k, sp.const(c), sp.const(z) if zi else None,
                                         sp.const(d), sp.const(psi)).value, dtype=float) * np.ones(N)


def _fd(fam, k, c, z, d, psi, zi, key, h=1e-4):
    """Nested central differences of the value for the multi-index ``key``."""
    def f(shift):
        args = {C: c, Z: z, D: d, P: psi}
        for v, s in shift.items():
            args[v] = args[v] + s
        return _value(fam, k, args[C], args[Z], args[D], args[P], zi)

    def rec(key, shift):
        if not key:
            return f(shift)
        v, rest = key[0], key[1:]
        up = dict(shift); up[v] = up.get(v, 0.0) + h
        dn = dict(shift); dn[v] = dn.get(v, 0.0) - h
        return (rec(rest, up) - rec(rest, dn)) / (2 * h)

    return rec(key, {})


# zero inflation with every count and positive family (not with binomial or gaussian)
_JET_CASES = [(n, l, zi) for n, l in FAMILIES for zi in (False, True)
              if not (zi and n in ("binomial", "betabinomial", "gaussian"))]


@pytest.mark.parametrize("name,link,zi", _JET_CASES,
                         ids=[f"{n}-{l}-{'zi' if z else 'plain'}" for n, l, z in _JET_CASES])
def test_jet_derivatives_equal_differences(name, link, zi) -> None:
    fam = get_family(name, link)
    y, size = _response(fam.name)
    if zi and fam.name in ("Gamma", "beta"):
        y = y.copy(); y[::5] = 0.0
    if zi:
        y = y.copy(); y[::3] = 0.0
    k = fam.prepare(y, size)
    c, z, d, psi = _etas(fam)
    vars_t = [C, D] + ([Z] if zi else []) + ([P] if fam.n_psi else [])
    vars_s = [C, Z] if zi else [C]
    space = JetSpace.build(vars_s, vars_t, 3)
    J = observation_loglik(fam, k, space.var(C, c), space.var(Z, z) if zi else None,
                           space.var(D, d), space.var(P, psi) if fam.n_psi else space.const(psi))
    np.testing.assert_allclose(np.broadcast_to(J.value, (N,)), _value(fam, k, c, z, d, psi, zi), rtol=1e-13)
    for key in space.keys:
        if not key:
            continue
        h = 1e-4 if len(key) < 3 else 2e-3
        want = _fd(fam, k, c, z, d, psi, zi, key, h)
        got = np.broadcast_to(J[key], (N,))
        np.testing.assert_allclose(got, want, rtol=5e-5, atol=5e-5 * (1 + np.abs(want).max()),
                                   err_msg=f"{name} {link} zi={zi} key={key}")


@pytest.mark.parametrize("pair", sorted(_CLOSED), ids=lambda p: f"{p[0]}-{p[1]}")
def test_closed_forms_equal_generic_jets(pair) -> None:
    name, link = pair
    spelling = {"beta": "beta_family"}.get(name, name)
    fam = get_family(spelling, link)
    y, size = _response(fam.name)
    k = fam.prepare(y, size)
    c, _, d, _ = _etas(fam)
    space = JetSpace.build([C], [C, D], 3)
    fast = _closed_jet(space, _CLOSED[pair](k, c, d))
    slow = _LOGLIK[name](fam, k, space.var(C, c), space.var(D, d), None)
    for key in space.keys:
        np.testing.assert_allclose(np.broadcast_to(fast[key], (N,)), np.broadcast_to(slow[key], (N,)),
                                   rtol=1e-12, atol=1e-12, err_msg=str(key))


def test_polygamma_functions() -> None:
    x = np.logspace(-6, 6, 500)
    np.testing.assert_allclose(trigamma(x), special.polygamma(1, x), rtol=2e-15)
    np.testing.assert_allclose(tetragamma(x), special.polygamma(2, x), rtol=2e-15)


def test_tweedie_series_derivatives() -> None:
    y = np.array([0.01, 0.5, 1.0, 3.0, 12.0])
    phi = np.array([0.3, 1.0, 1.2, 2.0, 5.0])
    for p in (1.1, 1.5, 1.9):
        lw, dphi, dp = tweedie_logw(y, phi, p)
        h = 1e-5
        np.testing.assert_allclose(dphi, (tweedie_logw(y, phi * np.exp(h), p, 0)[0]
                                          - tweedie_logw(y, phi * np.exp(-h), p, 0)[0]) / (2 * h), rtol=1e-6)
        np.testing.assert_allclose(dp, (tweedie_logw(y, phi, p + h, 0)[0]
                                        - tweedie_logw(y, phi, p - h, 0)[0]) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_unstructured_corr_lambda_and_derivatives(k) -> None:
    cov = TermCov(k)
    theta = RNG.normal(0, 0.5, cov.n_theta)
    lam = cov.lam(theta)
    np.testing.assert_allclose(lam @ lam.T, cov.cov(theta), rtol=1e-12)
    assert np.allclose(np.triu(lam, 1), 0)
    np.testing.assert_allclose(np.diag(cov.corr(theta)), 1.0)
    for j, d in enumerate(cov.dlambda(theta)):
        e = np.zeros(cov.n_theta); e[j] = 1e-6
        np.testing.assert_allclose(d, (cov.lam(theta + e) - cov.lam(theta - e)) / 2e-6, atol=1e-8)


def _objective(formula, data, family, zi="~0", disp="~1"):
    model = build_tmb_model(formula, data, get_family(family), zi, disp)
    return LaplaceObjective(model.data)


def test_blocked_factorization_equals_dense() -> None:
    gt = mixedlab.datasets.grouseticks()
    obj = _objective("TICKS ~ YEAR + (1 | BROOD) + (1 | LOCATION) + (1 | INDEX)", gt, "poisson")
    lay = obj.layout
    assert lay.qB == 403 and lay.qR == 118 + 63  # INDEX in blocks, BROOD and LOCATION dense
    p = np.zeros(obj.params.size); p[obj.params.theta] = [-0.3, 0.1, -0.5]
    r = obj.inner(p)
    n, q = obj.data.n, lay.q
    A = np.zeros((n, q))
    for m, _ in enumerate(lay.entries[C]):
        A[np.arange(n), lay.entry_cols[C][m]] += r.vals[C][m]
    H = A.T @ (r.D[(C, C)][:, None] * A) + np.eye(q)
    assert r.factor.logdet() == pytest.approx(np.linalg.slogdet(H)[1], rel=1e-12)
    v = RNG.standard_normal(q)
    np.testing.assert_allclose(r.factor.solve(v), np.linalg.solve(H, v), rtol=1e-9, atol=1e-12)
    Pm, sel = r.factor.obs_inverse(r.vals, [C])
    np.testing.assert_allclose(Pm[(C, C)], np.einsum("ij,jk,ik->i", A, np.linalg.inv(H), A), rtol=1e-9)


@pytest.mark.parametrize("spec", [
    ("count ~ spp + mined + (1 | site)", "nbinom2", "~spp + (1 | site)", "~mined"),
    ("count ~ mined + (1 + cover | site)", "poisson", "~mined", "~1"),
    ("count ~ mined + (1 | site) + (1 | spp)", "tweedie", "~0", "~mined"),
], ids=["zi-re", "slope", "crossed-tweedie"])
def test_analytic_gradient_equals_differences(spec) -> None:
    formula, family, zi, disp = spec
    obj = _objective(formula, mixedlab.datasets.salamanders(), family, zi, disp)
    par = RNG.normal(0, 0.2, obj.params.size)
    g = obj.grad(par)
    h = 1e-5
    for j in range(par.size):
        e = np.zeros(par.size); e[j] = h
        fd = (obj.fn(par + e) - obj.fn(par - e)) / (2 * h)
        assert g[j] == pytest.approx(fd, rel=1e-5, abs=1e-5), j
