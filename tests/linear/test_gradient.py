"""The analytic gradient of the profiled criterion, and the optimiser route that uses it.

The gradient is checked against central differences of the criterion on every block
route (dense and pair operator; first terms with 1, 2 and 3 columns; REML and ML; prior
weights; a singular factor).  The L-BFGS-B route must reach lme4's optimum or a better one
(live lme4) and keep lme4's convergence and singularity messages.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab._errors import ControlError
from mixedlab.bench._data import simulate_large
from mixedlab.datasets import pastes, penicillin, sleepstudy
from mixedlab.formula import build_model
from mixedlab.linear import _optimize
from mixedlab.linear._deviance import make_devfun
from mixedlab.linear._gradient import criterion_and_gradient, spherical_modes
from mixedlab.linear._pls import criterion, factorize, solve
from mixedlab.parity._fuzz import compare_with_lme4


def _crossed(n: int, n_g: int, n_h: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g, h = rng.integers(0, n_g, n), rng.integers(0, n_h, n)
    d = pd.DataFrame({"g": g.astype(str), "h": h.astype(str), "x": rng.normal(size=n), "z": rng.normal(size=n),
                      "f": rng.choice(list("abc"), n), "w": rng.uniform(0.5, 2.0, n)})
    d["y"] = (d.x + rng.normal(size=n) + rng.normal(size=n_g)[g] * (1 + 0.5 * d.x)
              + rng.normal(size=n_h)[h] * (1 + 0.3 * d.z))
    return d


SMALL = _crossed(600, 30, 20, 1)
PAIRS = _crossed(40_000, 3_000, 400, 2)

CASES = [
    ("Reaction ~ Days + (Days | Subject)", sleepstudy(), None, "dense"),
    ("diameter ~ 1 + (1 | plate) + (1 | sample)", penicillin(), None, "dense"),
    ("strength ~ 1 + (1 | batch/cask)", pastes(), None, "dense"),
    ("y ~ x + (x + z | g) + (1 | h)", SMALL, None, "dense"),
    ("y ~ x + (f | g) + (z | h)", SMALL, "w", "dense"),
    ("y ~ x + (1 | g) + (x + z | h)", SMALL, None, "dense"),
    ("y ~ x + (1 | g) + (1 | h)", PAIRS, None, "pairs"),
    ("y ~ x + (x | g) + (z | h)", PAIRS, "w", "pairs"),
    ("y ~ x + (x + z | g) + (1 | h)", PAIRS, None, "pairs"),
]


def _central_differences(cp, theta: np.ndarray, REML: bool, h: float) -> np.ndarray:
    out = np.empty(theta.size)
    for i in range(theta.size):
        a, b = theta.copy(), theta.copy()
        a[i] += h
        b[i] -= h
        out[i] = (criterion(cp, a, REML) - criterion(cp, b, REML)) / (2.0 * h)
    return out


@pytest.mark.parametrize("formula,data,weights,mode", CASES, ids=[c[0] + ":" + c[3] for c in CASES])
@pytest.mark.parametrize("REML", [True, False], ids=["REML", "ML"])
def test_gradient_matches_central_differences(formula, data, weights, mode, REML):
    dev = make_devfun(build_model(formula, data, weights=weights), REML)
    assert dev.cp.mode == mode
    rng = np.random.default_rng(zlib.crc32(f"{formula}{REML}".encode()))
    theta = dev.start + rng.uniform(-0.3, 0.3, dev.start.size) * (dev.start + 0.5)
    f, g = criterion_and_gradient(dev.cp, theta, REML)
    # the factor route and the criterion's fast route add in other orders: last bits only
    assert f == pytest.approx(criterion(dev.cp, theta, REML), rel=1e-13)
    fd = _central_differences(dev.cp, theta, REML, 1e-5)
    np.testing.assert_allclose(g, fd, rtol=0, atol=2e-6 * max(1.0, np.abs(fd).max()))


def test_gradient_at_a_singular_factor_uses_differences_of_the_criterion():
    dev = make_devfun(build_model("y ~ x + (x | g) + (1 | h)", SMALL), True)
    theta = np.array([0.8, 0.3, 0.0, 0.5])  # the slope's diagonal on its bound: T₁ singular
    _, g = criterion_and_gradient(dev.cp, theta, True)
    np.testing.assert_allclose(g, _central_differences(dev.cp, theta, True, 1e-6), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("formula,data,weights,mode", CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_spherical_modes_equal_the_back_substitution(formula, data, weights, mode):
    dev = make_devfun(build_model(formula, data, weights=weights), True)
    f = factorize(dev.cp, dev.start * 0.7 + 0.1)
    np.testing.assert_allclose(spherical_modes(dev.cp, f), solve(dev.cp, f).u, rtol=1e-9, atol=1e-11)


def test_optimizer_control_is_checked():
    with pytest.raises(ControlError, match="optimizer='bobyqa'.*nloptwrap"):
        mixedlab.LmerControl(optimizer="bobyqa")


def test_auto_keeps_lme4s_bobyqa_on_small_designs():
    fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy())
    assert fit.optinfo["optimizer"].startswith("nloptwrap")


def test_gradient_route_on_a_small_model_reaches_lme4s_optimum():
    ours = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy(),
                         control=mixedlab.LmerControl(optimizer="L-BFGS-B"))
    ref = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy())
    assert ours.optinfo["optimizer"].startswith("L-BFGS-B")
    assert ours.objective <= ref.objective + 1e-8
    np.testing.assert_allclose(ours.theta, ref.theta, rtol=2e-3)
    assert ours.optinfo["conv_warnings"] == []
    assert np.max(np.abs(ours.optinfo["gradient"])) < 1e-3


def test_gradient_route_keeps_a_singular_fit_singular():
    d = SMALL.copy()
    rng = np.random.default_rng(5)
    d["y"] = d.x + rng.normal(size=len(d))  # no group variation at all
    fit = mixedlab.lmer("y ~ x + (1 | g) + (1 | h)", d, control=mixedlab.LmerControl(optimizer="L-BFGS-B"))
    ref = mixedlab.lmer("y ~ x + (1 | g) + (1 | h)", d, control=mixedlab.LmerControl(optimizer="nloptwrap"))
    assert fit.objective <= ref.objective + 1e-8
    assert fit.is_singular == ref.is_singular


LARGE = simulate_large(n=60_000, n_g1=3_000, n_g2=600, seed=23).frame


def test_auto_takes_the_gradient_route_on_a_large_trailing_block():
    dev = make_devfun(build_model("y ~ x + (1 + x | g1) + (1 | g2)", LARGE), True)
    assert dev.trailing_rows >= _optimize.GRADIENT_FROM_ROWS


@pytest.mark.parametrize("REML", [True, False], ids=["REML", "ML"])
def test_gradient_route_agrees_with_live_lme4_on_a_large_crossed_design(rbridge, REML):
    outcome = compare_with_lme4("y ~ x + (1 + x | g1) + (1 | g2)", LARGE, REML=REML)
    assert outcome.status in ("agree", "better"), f"{outcome.status}: {outcome.detail} {outcome.objective}"
