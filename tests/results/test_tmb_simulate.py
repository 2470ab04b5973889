"""``TmbFit.simulate`` against glmmTMB 1.1.5's ``simulate.glmmTMB``, and the zero-inflated
sampler it draws with against R's own loop.

Given R's parameters (``m$fit$parfull``, random effects included), mixedlab's simulation must
return R's matrices bit for bit: that checks the draw order (new effects per term and level,
then each observation's response and its zero-inflation draw), TMB's sums for the linear
predictors and the exact samplers. Live against R and against the stored references
(``python -m mixedlab.parity._rtmbsim``).
"""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab import RRandom
from mixedlab._errors import ArgumentError
from mixedlab.parity._rtmbsim import (REF_DIR, TMB_SIM_CASES, ZI_STREAMS, TmbSimCase,
                                      py_family, r_tmb_simulate, r_zero_inflated, tmb_case_data,
                                      zi_stream_params)
from mixedlab.results._simulate import eigen33_gemv, tmb_us_cholesky

CASES = list(TMB_SIM_CASES.values())
_FITS: dict[str, object] = {}


def _fit(case: TmbSimCase):
    if case.name not in _FITS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _FITS[case.name] = mixedlab.glmmtmb(
                case.formula, tmb_case_data(case), family=py_family(case),
                ziformula=case.ziformula, dispformula=case.dispformula, offset=case.offset)
    return _FITS[case.name]


def _with_r_params(fit, par: list[float], names: list[str]):
    """A copy of ``fit`` holding R's parameters: fixed ones in ``par``, R's b/bzi as modes."""
    par = np.asarray(par, dtype=float)
    is_b = np.array([n in ("b", "bzi") for n in names])
    out = copy.copy(fit)
    out.par = par[~is_b]
    assert out.par.size == fit.par.size
    b, blocks, o = par[is_b], [], 0
    for t in fit._obj.layout.terms:  # glmmTMB's b: conditional terms then zi, level-major
        blocks.append(b[o:o + t.n_levels * t.k].reshape(t.n_levels, t.k))
        o += t.n_levels * t.k
    assert o == b.size
    out.__dict__["_b"] = blocks
    return out


def _check(case: TmbSimCase, ref: dict) -> None:
    fit = _with_r_params(_fit(case), ref["par"], ref["par_names"])
    assert len(ref["sims"]) == len(case.seeds)
    for sim in ref["sims"]:
        want = np.asarray(sim["values"]).T
        got = fit.simulate(case.nsim, seed=sim["seed"]).to_numpy()
        assert got.shape == want.shape
        bad = np.flatnonzero(got.ravel() != want.ravel())
        assert bad.size == 0, (f"{case.name} seed {sim['seed']}: {bad.size} of {want.size} "
                               f"draws differ, first at {bad[:5]}")


def test_stored_references_cover_the_cases() -> None:
    stored = {p.stem for p in REF_DIR.glob("*.json")}
    assert stored == set(TMB_SIM_CASES) | {"zi_streams"}
    meta = json.loads((REF_DIR / "zi_streams.json").read_text())
    assert meta["glmmTMB_version"] == "1.1.5"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_simulate_matches_stored_glmmtmb_bit_for_bit(case: TmbSimCase) -> None:
    _check(case, json.loads((REF_DIR / f"{case.name}.json").read_text()))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_simulate_matches_live_glmmtmb_bit_for_bit(r_session, case: TmbSimCase) -> None:
    _check(case, r_tmb_simulate(case))


def test_own_fit_gives_rs_counts_almost_everywhere() -> None:
    """The fit's own parameters agree with R's to the parity tolerances, so its count draws
    are R's except where a mean sits on a sampler's decision boundary."""
    case = TMB_SIM_CASES["salamanders_zinb2"]
    ref = json.loads((REF_DIR / f"{case.name}.json").read_text())
    got = _fit(case).simulate(case.nsim, seed=ref["sims"][0]["seed"]).to_numpy()
    want = np.asarray(ref["sims"][0]["values"]).T
    assert np.mean(got == want) > 0.99


def _stream_expected(family: str, seed: int, n: int, live: bool) -> np.ndarray:
    if live:
        return np.asarray(r_zero_inflated(family, seed, n), dtype=float)
    doc = json.loads((REF_DIR / "zi_streams.json").read_text())["streams"][f"{family}_{seed}_{n}"]
    return np.array([np.nan if v is None else v for v in doc], dtype=float)


def _check_stream(family: str, seed: int, n: int, live: bool) -> None:
    want = _stream_expected(family, seed, n, live)
    want, next_unif = want[:-1], want[-1]
    kind, a, b, pz = zi_stream_params(family, seed, n)
    rng = RRandom(seed)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = rng.zero_inflated(kind, a, b, pz)
    assert np.array_equal(got, want, equal_nan=True)
    if np.isnan(want).any():
        assert any("NAs produced" in str(x.message) for x in w)
    # the stream continues where R's does: the next uniform is R's next runif(1)
    assert rng.runif(1)[0] == next_unif


@pytest.mark.parametrize("family,seed,n", ZI_STREAMS)
def test_zero_inflated_matches_stored_r_loop(family: str, seed: int, n: int) -> None:
    _check_stream(family, seed, n, live=False)


@pytest.mark.parametrize("family,seed,n", ZI_STREAMS)
def test_zero_inflated_matches_live_r_loop(r_session, family: str, seed: int, n: int) -> None:
    _check_stream(family, seed, n, live=True)


def test_eigen_gemv_pairs_columns_as_eigen() -> None:
    """Four columns at a time, (c0 + c1) + (c2 + c3) on aligned rows, an odd last row and
    the remaining columns one at a time -- different from a plain left-to-right sum."""
    X = np.array([[1.0, 1e16, -1e16, 1.0, 3.0], [1.0, 1e16, -1e16, 1.0, 3.0],
                  [1.0, 1e16, -1e16, 1.0, 3.0]])
    beta = np.ones(5)
    got = eigen33_gemv(X, beta)
    # rows 0-1: ((1 + 1e16) + (-1e16 + 1)) + 3 = (1e16 - 1e16) + 3 = 3 (1 lost twice)
    # row 2 (odd last): (((1 + 1e16) - 1e16) + 1) + 3 = 0 + 1 + 3 = 4
    assert got.tolist() == [3.0, 3.0, 4.0]


def test_us_factor_is_a_cholesky_of_tmbs_correlation() -> None:
    th = np.array([0.3, -1.2, 0.8])
    L = tmb_us_cholesky(th, 3)
    Lu = np.array([[1, 0, 0], [0.3, 1, 0], [-1.2, 0.8, 1]])
    llt = Lu @ Lu.T
    s = 1 / np.sqrt(np.diag(llt))
    assert np.allclose(L @ L.T, s[:, None] * llt * s[None, :], rtol=0, atol=1e-15)
    assert np.all(np.triu(L, 1) == 0)


def test_re_form_meanings_and_bad_values() -> None:
    case = TMB_SIM_CASES["salamanders_zinb2_zi_re"]
    fit = _fit(case)
    a = fit.simulate(2, seed=5)
    assert a.equals(fit.simulate(2, seed=5, re_form="~0"))
    assert list(a.columns) == ["sim_1", "sim_2"] and len(a) == fit.nobs
    # re_form=None keeps the fitted modes: no normal draws, so a different stream
    cond = fit.simulate(2, seed=5, re_form=None)
    assert not cond.equals(a)
    with pytest.raises(ArgumentError, match="re_form"):
        fit.simulate(1, seed=1, re_form="~(1 | site)")
