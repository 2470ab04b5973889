"""R's interpSpline, backSpline and predict.polySpline, replicated: against the splines package."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.inference._splines import SplineError, back_spline, interp_spline

X = [-2.6, -1.9, -1.1, -0.45, 0.0, 0.52, 1.2, 1.95, 2.8]
Z = [-2.9, -2.1, -1.2, -0.5, 0.0, 0.6, 1.3, 2.0, 3.1]


def test_forward_and_backward_splines_equal_r(r_session) -> None:
    ro = r_session
    ro.r("suppressPackageStartupMessages(library(splines))")
    f = ro.r("""function(x, z, at, zat) {
      sp <- interpSpline(x, z); bs <- backSpline(sp)
      list(fk = splineKnots(polySpline(sp)), fc = as.numeric(coef(polySpline(sp))[, 1:2]),
           fy = predict(sp, at)$y, bk = splineKnots(bs), bc = as.numeric(coef(bs)),
           by = predict(bs, zat)$y)
    }""")
    at = [-2.5, -1.0, 0.3, 2.7]
    zat = [-3.5, -1.959964, 0.25, 1.959964, 2.0, 3.5]
    res = f(ro.FloatVector(X), ro.FloatVector(Z), ro.FloatVector(at), ro.FloatVector(zat))
    out = {k: np.array(res.rx2(k)) for k in ("fk", "fc", "fy", "bk", "bc", "by")}
    sp = interp_spline(X, Z)
    np.testing.assert_allclose(sp.knots, out["fk"])
    np.testing.assert_allclose(sp.coef[:, :2].ravel(order="F"), out["fc"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sp.predict(at), out["fy"], rtol=1e-10)
    bs = back_spline(sp)
    np.testing.assert_allclose(bs.knots, out["bk"])
    ok = ~np.isnan(out["bc"])
    np.testing.assert_allclose(bs.coef.ravel(order="F")[ok], out["bc"][ok], rtol=1e-9, atol=1e-12)
    by = bs.predict(zat)
    np.testing.assert_array_equal(np.isnan(by), np.isnan(out["by"]))  # NA outside the knots
    np.testing.assert_allclose(by[~np.isnan(by)], out["by"][~np.isnan(out["by"])], rtol=1e-10)


def test_refusals_are_rs() -> None:
    with pytest.raises(SplineError, match="at least 'ord'=4 points"):
        interp_spline([0, 1, 2], [0, 1, 2])
    with pytest.raises(SplineError, match="must be distinct"):
        interp_spline([0, 1, 1, 2], [0, 1, 2, 3])
    with pytest.raises(SplineError, match="monotone"):
        back_spline(interp_spline([0, 1, 2, 3, 4], [0, 1, 0.5, 2, 3]))
