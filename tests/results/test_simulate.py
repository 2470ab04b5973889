"""``LmerFit.simulate`` against lme4's ``simulate.merMod`` (1.1-31).

Two claims, each tested live and against stored R output (``reference_outputs/simulate``):

* the simulation itself is R's to the last bit: fed lme4's parameters (fixef, theta,
  sigma, the conditional modes b), mixedlab's engine returns exactly R's matrix, for
  unconditional (``re.form = NA``), conditional (``NULL``) and partial ``re.form``;
* a mixedlab fit's own simulations equal R's to the precision of the fit (the parity
  tolerances), and exactly when ``newparams`` hands it R's parameters.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import RRandom
from mixedlab.parity._rsimulate import REF_DIR, SIM_CASES, SimCase, case_data, r_simulate
from mixedlab.results._simulate import lmer_sim_model, simulate_glmm, simulate_lmm

STORED = sorted(REF_DIR.glob("*.json"))
CASES = list(SIM_CASES.values())


def _fit(case: SimCase):
    data = case_data(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.fun == "lmer":
            return mixedlab.lmer(case.formula, data, weights=case.weights, offset=case.offset)
        if case.fun == "glmer.nb":
            return mixedlab.glmer_nb(case.formula, data)
        family = {'binomial(link = "probit")': mixedlab.families.binomial("probit"),
                  'Gamma(link = "log")': mixedlab.families.Gamma("log")}.get(case.family, case.family)
        return mixedlab.glmer(case.formula, data, family=family, weights=case.weights)


def _r_re_form(text: str):
    return None if text == "NULL" else text


def _engine_with_r_params(fit, case: SimCase, ref: dict, re_form: str, seed: int) -> np.ndarray:
    """mixedlab's simulation engine run on R's parameter values (fixef, theta, sigma, b)."""
    model = lmer_sim_model(fit, {"beta": ref["beta"], "theta": ref["theta"],
                                 "sigma": ref["sigma"]})
    b = np.asarray(ref["b"])
    start = 0
    for t in model.terms:  # R's conditional modes, level-major per term as in getME(m, "b")
        size = t.b.size
        t.b = b[start:start + size].reshape(t.b.shape)
        start += size
    assert start == b.size
    rng = RRandom(seed)
    if case.fun == "lmer":
        return simulate_lmm(model, case.nsim, rng, _r_re_form(re_form))
    fam = fit.family
    nb_theta = ref["nb_theta"] if case.fun == "glmer.nb" else fam.theta
    return simulate_glmm(model, case.nsim, rng, _r_re_form(re_form), fam.name, fam.link.name,
                         np.asarray(fit._gm.resp.wt, dtype=float), nb_theta,
                         fit._model.y2 is not None)


#: fits whose own simulations are R's integers exactly (the rest: see _check_case)
_EXACT_OWN = {"cbpp_cbind", "cbpp_proportion", "cbpp_probit", "cbpp_binary", "cbpp_factor",
              "grouseticks_poisson"}


def _check_case(case: SimCase, ref: dict) -> None:
    fit = _fit(case)
    assert len(ref["sims"]) == len(case.seeds) * len(case.re_forms)
    for sim in ref["sims"]:
        want = np.asarray(sim["values"]).T  # (n, nsim)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = _engine_with_r_params(fit, case, ref, sim["re_form"], sim["seed"])
        assert got.shape == want.shape
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        assert same.all(), (f"{case.name} re.form={sim['re_form']} seed={sim['seed']}: "
                            f"{int((~same).sum())} of {same.size} values differ, max "
                            f"{np.nanmax(np.abs(got - want)):.3g}")
        # the fit's own parameters
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            own = fit.simulate(case.nsim, seed=sim["seed"],
                               re_form=_r_re_form(sim["re_form"])).to_numpy()
        if case.fun == "lmer":  # R's values to the fit's precision
            scale = float(np.std(fit._model.y))
            assert np.abs(own - want).max() <= 1e-6 * scale
        elif case.name in _EXACT_OWN:  # counts: the same integers
            assert np.array_equal(own, want), f"{case.name}: own fit's counts differ from R's"


# --- stored R output --------------------------------------------------------------------

def test_stored_references_cover_the_cases() -> None:
    assert {p.stem for p in STORED} == set(SIM_CASES)


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.stem)
def test_engine_matches_stored_r_simulations_bit_for_bit(path: Path) -> None:
    ref = json.loads(path.read_text())
    case = SIM_CASES[ref["case"]]
    assert ref["formula"] == case.formula and ref["nsim"] == case.nsim, "rerun the generator"
    assert ref["lme4_version"] == "1.1.31"
    _check_case(case, ref)


# --- live R -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_engine_matches_live_r_simulations_bit_for_bit(r_session, case: SimCase) -> None:
    _check_case(case, r_simulate(case))


def test_newparams_gives_rs_simulation_exactly(rbridge) -> None:
    case = SIM_CASES["sleepstudy_slope"]
    ref = r_simulate(case)
    fit = _fit(case)
    params = {"beta": ref["beta"], "theta": ref["theta"], "sigma": ref["sigma"]}
    for sim in ref["sims"]:
        if sim["re_form"] != "NA":
            continue  # conditional simulation also needs R's u, which newparams keeps
        got = fit.simulate(case.nsim, seed=sim["seed"], newparams=params)
        assert np.array_equal(got.to_numpy(), np.asarray(sim["values"]).T)


def test_a_continued_stream_is_rs_session_stream(r_session) -> None:
    """seed=RRandom(s) twice == R's set.seed(s); simulate(m); simulate(m)."""
    r_session.r('suppressPackageStartupMessages(library(lme4))')
    want = np.asarray(r_session.r(
        "m <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy); set.seed(9); "
        "a <- simulate(m, 2); b <- simulate(m, 1, re.form = NULL); cbind(as.matrix(a), as.matrix(b))"))
    fit = _fit(SIM_CASES["sleepstudy_int"])
    rng = RRandom(9)
    got = np.column_stack([fit.simulate(2, seed=rng).to_numpy(),
                           fit.simulate(1, seed=rng, re_form=None).to_numpy()])
    assert np.abs(got - want).max() < 1e-6


# --- behaviour --------------------------------------------------------------------------

def test_layout_index_and_columns_follow_lme4() -> None:
    df = mixedlab.datasets.sleepstudy()
    df.index = [f"r{i}" for i in range(len(df))]
    df.loc["r3", "Reaction"] = np.nan  # dropped by na.omit: no row for it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixedlab.lmer("Reaction ~ Days + (1 | Subject)", df)
    out = fit.simulate(4, seed=1)
    assert list(out.columns) == ["sim_1", "sim_2", "sim_3", "sim_4"]
    assert list(out.index) == [i for i in df.index if i != "r3"]
    assert out.attrs["seed"] == 1


def test_re_form_meanings() -> None:
    fit = _fit(SIM_CASES["sleepstudy_int"])
    uncond = fit.simulate(400, seed=3)  # new Subject effects each time
    cond = fit.simulate(400, seed=3, re_form=None)  # fitted Subject effects kept
    fitted = fit.fitted()
    # conditional sims scatter around the fitted values; unconditional around X beta
    assert np.abs(cond.mean(axis=1) - fitted).max() < 4 * fit.sigma / np.sqrt(400) * 1.5
    pop = fit.predict(re_form="~0")
    assert np.abs(uncond.mean(axis=1) - pop).max() < 0.35 * np.std(fitted - pop) + 10
    # per subject, unconditional sims vary more across simulations than conditional ones
    assert uncond.to_numpy().std(axis=1).mean() > cond.to_numpy().std(axis=1).mean() * 1.3
    assert np.array_equal(fit.simulate(2, seed=5, re_form="~0").to_numpy(),
                          fit.simulate(2, seed=5).to_numpy())


def test_bad_arguments_are_rejected() -> None:
    fit = _fit(SIM_CASES["sleepstudy_int"])
    with pytest.raises(mixedlab.ArgumentError if hasattr(mixedlab, "ArgumentError") else TypeError,
                       match="nsim must be a positive integer"):
        fit.simulate(0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        fit.simulate(1, seed="abc")
    with pytest.raises(Exception, match="re_form"):
        fit.simulate(1, seed=1, re_form=3)
    with pytest.raises(TypeError, match="newparams.*length 2"):
        fit.simulate(1, seed=1, newparams={"beta": [1.0]})
    with pytest.raises(TypeError, match="unknown key"):
        fit.simulate(1, seed=1, newparams={"Beta": [1.0, 2.0]})


def test_simulate_does_not_touch_the_fit() -> None:
    fit = _fit(SIM_CASES["sleepstudy_slope"])
    before = (fit.fixef.copy(), fit.theta.copy(), fit.sigma, fit.fitted().copy())
    fit.simulate(3, seed=1, newparams={"theta": [1.0, 0.0, 0.5]}, re_form=None)
    assert fit.fixef.equals(before[0]) and np.array_equal(fit.theta, before[1])
    assert fit.sigma == before[2] and np.array_equal(fit.fitted(), before[3])
    assert isinstance(fit.simulate(1, seed=1), pd.DataFrame)


def test_gamma_design_rebuilt_with_rrandom_is_rs(r_session) -> None:
    """The parity corpus' Gamma data, simulated by R, is rebuilt exactly with RRandom.rgamma."""
    from mixedlab.parity._corpus_data import _R_GAMMA
    from mixedlab.parity._rsimulate import gamma_data

    want = r_session.r(_R_GAMMA)
    got = gamma_data()
    for col in ("y", "x"):
        assert np.array_equal(got[col].to_numpy(), np.asarray(want.rx2(col)))


def test_glmm_weights_follow_lme4s_rules() -> None:
    """Binomial weights are trials (whole numbers or lme4's error); Poisson ignores them
    with lme4's warning."""
    d = mixedlab.datasets.cbpp()
    d["w"] = d["size"] + 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frac = mixedlab.glmer("incidence / size ~ period + (1 | herd)", d, family="binomial",
                              weights="w")
    with pytest.raises(mixedlab.DataError, match="cannot simulate from non-integer prior.weights"):
        frac.simulate(1, seed=1)
    d["pw"] = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = mixedlab.glmer("incidence ~ period + (1 | herd)", d, family="poisson", weights="pw")
    with pytest.warns(UserWarning, match="ignoring prior weights"):
        pois.simulate(1, seed=1)
