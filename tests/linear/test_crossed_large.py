"""Issue 19's crossed shape, small: (x | u) with 2,000 levels, (1 | i) with 500, 50,000 rows.

The large benchmark case (20,000 x 2,000, 1M-4M rows) runs through the sparse pair operator
built without a loop over levels (``_crossprod._pair_operator``); this design takes the same
route (asserted) and is fitted by mixedlab and by live lme4, whose objective, fixed effects,
standard errors, σ, VarCorr and conditional modes must agree within the parity tolerances.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mixedlab.bench._data import simulate_large
from mixedlab.formula import build_model
from mixedlab.linear import _crossprod
from mixedlab.linear._deviance import make_devfun
from mixedlab.parity._fuzz import compare_with_lme4

FORMULA = "y ~ x + (1 + x | g1) + (1 | g2)"


def _design():
    return simulate_large(n=50_000, n_g1=2_000, n_g2=500, seed=19).frame


def test_small_crossed_slope_design_takes_the_pair_route():
    cp = make_devfun(build_model(FORMULA, _design()), REML=True).cp
    assert cp.mode == "pairs"
    assert sp.isspmatrix_csr(cp.P) or cp.P.format == "csr"


def test_pair_operator_matches_the_dense_weighted_product():
    """tril(A₂₁ W A₁₂) at the stored positions equals P @ w, for k = 2 and k = 3."""
    rng = np.random.default_rng(7)
    for k, L, m in ((2, 150, 40), (3, 80, 30)):
        A = sp.random(m, L * k, density=0.15, random_state=int(rng.integers(1e6)), format="csc")
        A.sort_indices()
        P, rows = _crossprod._pair_operator(A, L, k, m)
        G = rng.normal(size=(L, k, k))
        W = np.swapaxes(G, 1, 2) @ G  # symmetric per level
        ia, ib = np.triu_indices(k)
        w = W[:, ia, ib].T.ravel()
        Ad = A.toarray()
        full = sum(Ad[:, g * k:(g + 1) * k] @ W[g] @ Ad[:, g * k:(g + 1) * k].T for g in range(L))
        np.testing.assert_allclose(P @ w, np.tril(full).ravel()[rows], rtol=1e-12, atol=1e-12)
        # every non-zero of the lower triangle is a stored position
        assert np.all(np.delete(np.tril(full).ravel(), rows) == 0.0)


def test_crossed_slope_design_agrees_with_live_lme4(rbridge):
    outcome = compare_with_lme4(FORMULA, _design(), REML=True)
    assert outcome.status in ("agree", "better"), f"{outcome.status}: {outcome.detail} {outcome.objective}"


def test_chunked_dense_schur_update_matches_the_single_product(monkeypatch):
    """The dense route's Σ_g F_gᵀ Ω_g F_g accumulated over chunks of levels (large designs)."""
    from mixedlab.linear import _pls

    cp = make_devfun(build_model(FORMULA, _design()), REML=True).cp
    cp.mode = "dense"  # this design takes the pair route; its F as dense rows for the check
    cp.Ft = np.ascontiguousarray(cp.F_sparse.T.toarray()).reshape(cp.L1, cp.k1, cp.m)
    fb = _pls._first_block(cp, np.array([0.8, 0.1, 0.4, 0.6]))
    whole = np.tril(_pls._schur_update(cp, fb))
    monkeypatch.setattr(_pls, "_CHUNKED_FROM", 0)
    monkeypatch.setattr(_pls, "_CHUNK_ENTRIES", 50_000)  # many chunks
    chunked = np.tril(_pls._schur_update(cp, fb))
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-12 * np.abs(whole).max())
