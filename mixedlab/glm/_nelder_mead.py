"""lme4's own Nelder–Mead (``src/optimizer.cpp``, itself NLopt 2.2.4's ``nldrmd``), ported.

glmer's second stage minimises the Laplace deviance over (θ, β) with this optimiser, and its
stopping point decides the printed digits, so the port keeps lme4's exact logic:

* the initial simplex x₀ + xstᵢ eᵢ, stepping the other way (or to the bound) when a bound is
  too close, and "cannot generate feasible simplex" when a vertex would coincide with x₀;
* reflection (α = 1), expansion (γ = 2) tried only when the reflected point beats the best,
  and *accepted whenever it beats the worst* (not the second worst); an unsuccessful
  expansion keeps the reflected point; otherwise an inside contraction (β = ½), then a shrink
  (δ = ½) towards the best vertex, after which all n + 1 vertices are evaluated again;
* points are pinned to the bounds, and a move onto the centroid or the old point counts as
  convergence;
* convergence only on the parameters: every coordinate of every vertex within ``xt`` of the
  centroid (``XtolRel`` 1e-7). lme4's ``FtolAbs``/``FtolRel`` are set but never tested (and
  ``setFtolAbs`` writes ``ftol_rel``), so they change nothing; ``maxfun`` stops with code 4.

Return codes as ``lme4::Nelder_Mead``: 3 (x converged), 4 (evaluation limit), −2/−1 (bad start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["NelderMeadResult", "nelder_mead"]


@dataclass
class NelderMeadResult:
    """``Nelder_Mead``'s answer: best point, its value, evaluations and status."""

    par: np.ndarray
    fval: float
    feval: int
    code: int
    message: str


_MESSAGES = {-3: "nm_forced", -2: "cannot generate a feasible simplex", -1: "initial x is not feasible",
             1: "objective function went below allowed minimum",
             2: "objective function values converged to within tolerance",
             3: "parameter values converged to within tolerance", 4: "reached max evaluations"}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-13 * (abs(a) + abs(b))


def _relstop(vold: float, vnew: float, reltol: float, abstol: float) -> bool:
    if abs(vold) == np.inf:
        return False
    d = abs(vnew - vold)
    return d < abstol or d < reltol * (abs(vnew) + abs(vold)) * 0.5 or (reltol > 0 and vnew == vold)


class _NM:
    def __init__(self, lb, ub, xstep, x, xtol, maxeval):
        self.lb, self.ub, self.xstep = lb, ub, xstep
        self.n = n = x.size
        self.x = x.copy()
        self.xtol = xtol
        self.maxeval = maxeval
        self.nevals = 0
        self.minf = np.inf
        self.pts = np.repeat(x[:, None], n + 1, axis=1)
        self.vals = np.full(n + 1, np.finfo(float).tiny)
        self.init_pos = 0
        self.stage = "restart"
        self.xeval = x.copy()
        if np.any(x - lb < 0) or np.any(ub - x < 0):
            raise ValueError("initial x is not a feasible point")
        for i in range(n):
            j = i + 1
            p = self.pts[i, j] + xstep[i]
            if p > ub[i]:
                p = ub[i] if ub[i] - x[i] > abs(xstep[i]) * 0.1 else x[i] - abs(xstep[i])
            if p < lb[i]:
                if x[i] - lb[i] > abs(xstep[i]) * 0.1:
                    p = lb[i]
                else:
                    p = x[i] + abs(xstep[i])
                    if p > ub[i]:
                        p = 0.5 * ((ub[i] if ub[i] - x[i] > x[i] - lb[i] else lb[i]) + x[i])
            self.pts[i, j] = p
            if _close(p, x[i]):
                raise RuntimeError("cannot generate feasible simplex")

    def _reflect(self, c, scale, xold):
        xnew = c + scale * (c - xold)
        xnew = np.minimum(np.maximum(xnew, self.lb), self.ub)
        equalc = all(_close(a, b) for a, b in zip(xnew, c))
        equalold = all(_close(a, b) for a, b in zip(xnew, xold))
        return xnew, not (equalc or equalold)

    def newf(self, f: float) -> int:
        self.nevals += 1
        if f < self.minf:
            self.minf = f
            self.x = self.xeval.copy()
        if self.maxeval > 0 and self.nevals > self.maxeval:
            return 4
        if self.init_pos <= self.n:
            self.vals[self.init_pos] = f
            self.init_pos += 1
            if self.init_pos > self.n:
                return self._restart()
            self.xeval = self.pts[:, self.init_pos].copy()
            return 0
        return getattr(self, "_" + self.stage)(f)

    def _restart(self, f=None) -> int:
        self.il = int(np.argmin(self.vals))
        self.ih = int(np.argmax(self.vals))
        self.fl, self.fh = self.vals[self.il], self.vals[self.ih]
        self.c = (self.pts.sum(axis=1) - self.pts[:, self.ih]) / self.n
        dev = np.abs(self.pts - self.c[:, None]).max(axis=1)
        if all(_relstop(dev[i], 0.0, 1e-7, self.xtol[i]) for i in range(self.n)):
            return 3
        self.xcur, ok = self._reflect(self.c, 1.0, self.pts[:, self.ih])
        if not ok:
            return 3
        self.xeval = self.xcur.copy()
        self.stage = "postreflect"
        return 0

    def _postreflect(self, f) -> int:
        if f < self.fl:
            self.xeval, ok = self._reflect(self.c, 2.0, self.pts[:, self.ih])
            if not ok:
                return 3
            self.stage = "postexpand"
            self.f_old = f
            return 0
        if f < self.fh:
            self.vals[self.ih] = f
            self.pts[:, self.ih] = self.xeval
            return self._restart()
        self.xcur, ok = self._reflect(self.c, -0.5 if self.fh <= f else 0.5, self.pts[:, self.ih])
        if not ok:
            return 3
        self.f_old = f
        self.xeval = self.xcur.copy()
        self.stage = "postcontract"
        return 0

    def _postexpand(self, f) -> int:
        if f < self.vals[self.ih]:
            self.pts[:, self.ih] = self.xeval
            self.vals[self.ih] = f
        else:
            self.pts[:, self.ih] = self.xcur
            self.vals[self.ih] = self.f_old
        return self._restart()

    def _postcontract(self, f) -> int:
        if f < self.f_old and f < self.fh:
            self.pts[:, self.ih] = self.xeval
            self.vals[self.ih] = f
            return self._restart()
        for i in range(self.n + 1):
            if i != self.il:
                xe, ok = self._reflect(self.pts[:, self.il], -0.5, self.pts[:, i])
                if not ok:
                    return 3
                self.pts[:, i] = xe
        self.init_pos = 0
        self.xeval = self.pts[:, 0].copy()
        return 0


def nelder_mead(fn: Callable[[np.ndarray], float], par: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                xst: np.ndarray, xt: np.ndarray, maxfun: int = 10000) -> NelderMeadResult:
    """Minimise ``fn`` from ``par`` as ``lme4::Nelder_Mead(fn, par, lower, upper, control)`` does.

    Parameters
    ----------
    xst, xt
        Initial simplex steps and the per-coordinate convergence tolerances.
    maxfun
        Evaluation limit (code 4 beyond it, with lme4's warning text in ``message``).
    """
    par = np.asarray(par, dtype=float)
    try:
        nm = _NM(np.asarray(lower, float), np.asarray(upper, float), np.asarray(xst, float), par,
                 np.asarray(xt, float), int(maxfun))
    except ValueError:
        return NelderMeadResult(par, float("nan"), 0, -1, _MESSAGES[-1])
    except RuntimeError:
        return NelderMeadResult(par, float("nan"), 0, -2, _MESSAGES[-2])
    it = 0
    while True:
        it += 1
        code = nm.newf(float(fn(nm.xeval.copy())))
        if code != 0:
            break
    msg = _MESSAGES.get(code, "")
    if code == 4:
        msg = f"failure to converge in {maxfun} evaluations"
    return NelderMeadResult(nm.x.copy(), float(nm.minf), it, code, msg)
