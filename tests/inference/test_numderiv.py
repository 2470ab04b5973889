"""numDeriv's Richardson Hessian and Jacobian, replicated: against R's numDeriv itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mixedlab.inference._numderiv import hessian, jacobian, richardson_steps


def _f(x: np.ndarray) -> float:
    return math.exp(0.3 * x[0]) * math.sin(x[1]) + x[0] ** 2 * x[2] ** 3 + math.log(1.0 + x[1] ** 2)


def _g(x: np.ndarray) -> np.ndarray:
    return np.array([x[0] * x[1], math.sin(x[0]) + x[2] ** 2, math.exp(x[1] - x[2])])


_R_F = "function(x) exp(0.3 * x[1]) * sin(x[2]) + x[1]^2 * x[3]^3 + log(1 + x[2]^2)"
_R_G = "function(x) c(x[1] * x[2], sin(x[1]) + x[3]^2, exp(x[2] - x[3]))"


@pytest.mark.parametrize("x", [[0.5, -1.25, 2.0], [0.0, 1e-6, 3.0]])
def test_hessian_and_jacobian_equal_numderiv(x, r_session) -> None:
    ro = r_session
    ro.r("suppressPackageStartupMessages(library(numDeriv))")
    rx = ro.FloatVector(x)
    H_r = np.array(ro.r(f"function(x) numDeriv::hessian({_R_F}, x)")(rx)).reshape(3, 3, order="F")
    J_r = np.array(ro.r(f"function(x) numDeriv::jacobian({_R_G}, x)")(rx)).reshape(3, 3, order="F")
    H = hessian(_f, np.array(x))
    J = jacobian(_g, np.array(x))
    np.testing.assert_allclose(H, H_r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(J, J_r, rtol=1e-12, atol=1e-12)


def test_steps_follow_numderiv_defaults() -> None:
    # h0 = |d x| + eps (|x| < zero.tol): zero.tol = sqrt(.Machine$double.eps / 7e-7) ~ 1.78e-5
    h = richardson_steps(np.array([2.0, 0.0, 1e-6]), 0.1)
    assert h[0] == pytest.approx(0.2) and h[1] == pytest.approx(1e-4) and h[2] == pytest.approx(1e-4 + 1e-7)


def test_hessian_of_a_quadratic_is_exact() -> None:
    A = np.array([[2.0, 0.5], [0.5, 3.0]])
    H = hessian(lambda v: float(v @ A @ v), np.array([1.0, -2.0]))
    np.testing.assert_allclose(H, 2 * A, rtol=1e-9)
