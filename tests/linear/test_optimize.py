"""The optimisation stage: θ̂ is a local minimum within the bounds, never worse than lme4's.

Also checks the finite-difference derivatives (lme4's ``deriv12``) against functions
with known derivatives and the convergence checks on clear-cut inputs.
"""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest

import mixedlab
from mixedlab import datasets
from mixedlab.linear._deviance import make_devfun
from mixedlab.linear._optimize import LmerControl, check_convergence, deriv12, optimize_lmer

CASES = {
    "sleepstudy": ("Reaction ~ Days + (1 + Days | Subject)", datasets.sleepstudy, True),
    "sleep_ml": ("Reaction ~ Days + (1 + Days | Subject)", datasets.sleepstudy, False),
    "nested": ("y ~ treatment + (1 + treatment | school)", datasets.simulate_nested, True),
    "crossed": ("score ~ treatment + (1 + treatment | rater) + (1 | student)", datasets.simulate_crossed, True),
    "penicillin": ("diameter ~ 1 + (1 | plate) + (1 | sample)", datasets.penicillin, True),
    "pastes": ("strength ~ 1 + (1 | batch/cask)", datasets.pastes, True),
    "dyestuff2_singular": ("Yield ~ 1 + (1 | Batch)", datasets.dyestuff2, True),
}

# a genuine minimum may be beaten by at most rounding in the criterion (about 1e-12
# relative on values of order 1e3) — far below anything an optimiser step would give
TINY = 1e-7


def _fit(name: str):
    formula, loader, REML = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mixedlab.FitMessage)
        return mixedlab.lmer(formula, loader(), REML=REML)


@pytest.mark.parametrize("name", list(CASES))
def test_theta_is_a_local_minimum_within_bounds(name):
    fit = _fit(name)
    devfun = make_devfun(fit._model, REML=fit.REML)
    theta = fit.theta
    f0 = devfun(theta)
    np.testing.assert_allclose(f0, fit.objective, rtol=1e-12)
    for i in range(theta.size):
        for h in (1e-2, 1e-3, 1e-4):
            for sign in (1.0, -1.0):
                t = theta.copy()
                t[i] += sign * h
                if t[i] < devfun.lower[i]:
                    continue  # outside the feasible set
                assert devfun(t) >= f0 - TINY, f"θ[{i}] {sign * h:+g}: {devfun(t)} < {f0}"
    # and along a few random feasible directions
    rng = np.random.default_rng(0)
    for _ in range(20):
        d = rng.normal(size=theta.size)
        t = np.maximum(theta + 1e-3 * d, devfun.lower)
        assert devfun(t) >= f0 - TINY


def test_singular_fit_sits_on_the_bound_and_the_slope_points_outward():
    fit = _fit("dyestuff2_singular")
    devfun = make_devfun(fit._model, REML=True)
    assert fit.theta[0] == 0.0
    assert devfun(np.array([1e-5])) > devfun(fit.theta)


def test_restart_from_optimum_stays_there():
    fit = _fit("sleepstudy")
    devfun = make_devfun(fit._model, REML=True)
    opt = optimize_lmer(devfun, devfun.lower, devfun.start, LmerControl(start=tuple(fit.theta)))
    assert opt.fval <= fit.objective + 1e-8
    np.testing.assert_allclose(opt.theta, fit.theta, atol=1e-3)


def test_deriv12_on_a_quadratic_is_exact_to_rounding():
    A = np.array([[3.0, 1.0, 0.5], [1.0, 2.0, -0.3], [0.5, -0.3, 1.5]])
    b = np.array([1.0, -2.0, 0.5])

    def f(x):
        return 0.5 * x @ A @ x + b @ x

    x = np.array([0.3, -0.7, 1.1])
    g, H = deriv12(f, x, f(x))
    np.testing.assert_allclose(g, A @ x + b, atol=1e-8)
    np.testing.assert_allclose(H, A, atol=1e-5)


def test_check_convergence_flags_large_gradient_and_indefinite_hessian():
    ctrl = LmerControl()
    good = check_convergence(np.array([1e-6, -1e-6]), np.array([[2.0, 0.1], [0.1, 1.0]]), ctrl)
    assert good == []
    big = check_convergence(np.array([0.5, 0.0]), np.array([[2.0, 0.0], [0.0, 1.0]]), ctrl)
    assert any("Model failed to converge with max|grad|" in w for w in big)
    neg = check_convergence(np.array([0.0, 0.0]), np.array([[1.0, 0.0], [0.0, -1.0]]), ctrl)
    assert any("negative eigenvalues" in w for w in neg)


def test_fits_report_convergence():
    for name in ("sleepstudy", "nested", "crossed", "penicillin"):
        fit = _fit(name)
        assert fit.optinfo["converged"], (name, fit.optinfo)
        assert fit.optinfo["conv_warnings"] == []
        assert fit.optinfo["return_code"] > 0


_R_THETA = r"""
function(formula, data, REML) {
  suppressMessages(library(lme4))
  m <- suppressMessages(lmer(as.formula(formula), data = data, REML = REML))
  list(theta = unname(getME(m, "theta")),
       objective = if (REML) REMLcrit(m) else deviance(m), feval = m@optinfo$feval)
}
"""


@pytest.mark.parametrize("name", list(CASES))
def test_never_worse_than_lme4(r_session: ModuleType, name):
    from mixedlab.parity._rbridge import to_r

    formula, loader, REML = CASES[name]
    res = r_session.r(_R_THETA)(formula, to_r(loader()), REML)
    r = dict(zip(res.names, res))
    r_theta = np.array(list(r["theta"]), dtype=float)
    r_obj = float(r["objective"][0])
    fit = _fit(name)
    devfun = make_devfun(fit._model, REML=REML)
    # our criterion at lme4's θ reproduces lme4's objective (same function of θ)...
    np.testing.assert_allclose(devfun(r_theta), r_obj, atol=1e-6)
    # ...and our optimum is no higher than lme4's
    assert fit.objective <= r_obj + 1e-6, (fit.objective, r_obj)


# ----------------------------------------------------------------------------- control validation
# Issue 9 §10: a NaN start reached NLopt, which aborted the process ("double free or corruption").
# Every setting is checked before the optimiser runs, with lme4's/nloptr's meanings.
_SLEEP = "Reaction ~ Days + (Days | Subject)"


@pytest.mark.parametrize("kwargs, needle", [
    ({"start": (float("nan"), 0.0, 1.0)}, "x0 contains NA"),
    ({"start": (1.0, None, 1.0)}, "not a number"),
    ({"start": (float("inf"), 0.0, 1.0)}, "infinite"),
    ({"start": "1, 0, 1"}, "sequence of numbers"),
    ({"maxeval": "10"}, "positive whole number"),
    ({"maxeval": 0}, "positive whole number"),
    ({"maxeval": 2.5}, "positive whole number"),
    ({"xtol_rel": -1e-4}, "finite number ≥ 0"),
    ({"ftol_abs": float("nan")}, "finite number ≥ 0"),
    ({"boundary_tol": "1e-5"}, "finite number ≥ 0"),
    ({"restart_edge": "FALSE"}, "True or False"),
    ({"calc_derivs": 0}, "True or False"),
])
def test_bad_settings_raise_naming_the_argument(kwargs, needle):
    name = next(iter(kwargs))
    with pytest.raises(mixedlab.MixedLabError, match=needle) as info:
        mixedlab.LmerControl(**kwargs)
    assert f"{name}=" in str(info.value) or "start" in str(info.value)


@pytest.mark.parametrize("start, needle", [
    ((1.0, 0.0), r"incorrect number of theta components \(!=3\)"),
    ((1.0, 0.0, 1.0, 1.0), r"incorrect number of theta components \(!=3\)"),
    ((-0.5, 0.0, 1.0), "x0 < lb"),
    ((1.0, 0.3, -1e-9), "x0 < lb"),
])
def test_start_checked_against_the_model_before_optimising(start, needle):
    with pytest.raises(mixedlab.MixedLabError, match=needle):
        mixedlab.lmer(_SLEEP, datasets.sleepstudy(), control=mixedlab.LmerControl(start=start))


@pytest.mark.parametrize("control", [{"maxeval": 10}, "nloptwrap", 5])
def test_control_must_be_an_lmercontrol(control):
    with pytest.raises(mixedlab.MixedLabError, match="control must be a mixedlab.LmerControl") as info:
        mixedlab.lmer(_SLEEP, datasets.sleepstudy(), control=control)
    if isinstance(control, dict):
        assert "LmerControl(**" in str(info.value)


def test_valid_start_forms_are_accepted():
    """A numpy θ (e.g. a previous fit's) and numpy integers are fine, and give lme4's optimum."""
    d = datasets.sleepstudy()
    ref = mixedlab.lmer(_SLEEP, d)
    fit = mixedlab.lmer(_SLEEP, d, control=mixedlab.LmerControl(start=ref.theta, maxeval=np.int64(5000)))
    assert fit.objective <= ref.objective + 1e-8


def test_nan_start_does_not_kill_the_process():
    """The issue's crash, in a child process: it must end with a Python error, not an abort."""
    import subprocess
    import sys

    code = ("import mixedlab\n"
            "try:\n"
            "    mixedlab.lmer('Reaction ~ Days + (Days | Subject)', mixedlab.datasets.sleepstudy(),\n"
            "                  control=mixedlab.LmerControl(start=(float('nan'), 0, 1)))\n"
            "except mixedlab.MixedLabError as e:\n"
            "    print('caught:', e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "caught:" in proc.stdout and "x0 contains NA" in proc.stdout
