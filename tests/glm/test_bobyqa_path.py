"""Stage 1's BOBYQA walks minqa's path: the same evaluation points as minqa::bobyqa in R."""

from __future__ import annotations

import math

import numpy as np

from mixedlab.glm._bobyqa import bobyqa, native_npt_available


def _f(x) -> float:
    return (x[0] - 0.3) ** 2 + 2 * (x[1] - 0.5) ** 2 + x[0] * x[1] + 0.1 * math.sin(3 * x[0]) + 0.05 * x[1] ** 4


def test_bobyqa_reproduces_minqa_evaluations(r_session) -> None:
    ro = r_session
    r = ro.r("""local({ suppressPackageStartupMessages(library(minqa)); xs <- list()
      f <- function(x) { xs[[length(xs)+1]] <<- x
        (x[1]-0.3)^2 + 2*(x[2]-0.5)^2 + x[1]*x[2] + 0.1*sin(3*x[1]) + 0.05*x[2]^4 }
      r <- bobyqa(c(1, 1), f, lower = c(0, 0), upper = c(Inf, Inf)); unlist(xs) })""")
    ref = np.asarray(r).reshape(-1, 2)[1:]  # minqa evaluates the start once before bobyqa itself
    seen = []
    res = bobyqa(lambda x: (seen.append(x.copy()), _f(x))[1], np.array([1.0, 1.0]), np.zeros(2))
    assert native_npt_available() and res.npt == 4
    pts = np.array(seen)
    # minqa also evaluates the returned point once more at the end
    assert len(pts) == len(ref) - 1
    np.testing.assert_allclose(pts, ref[:-1], rtol=0, atol=1e-12)
