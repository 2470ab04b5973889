"""glmer's stage-1 optimiser: Powell's BOBYQA with minqa's settings.

lme4 calls ``minqa::bobyqa`` (Powell's 2009 Fortran) with ``npt = n + 2`` interpolation
points, ``rhobeg = min(0.95, 0.2·max|θ₀|)``, ``rhoend = 1e-6·rhobeg`` and ``maxfun = 10000``.
NLopt's ``LN_BOBYQA`` is a C translation of the same Fortran, but its public API fixes
``npt = 2n + 1``, which changes the path whenever θ has more than one element. NLopt's shared
library exports the translated routine itself, ``bobyqa(n, npt, x, lb, ub, dx, stop, minf, f,
data)``; this module calls it through :mod:`ctypes` with minqa's ``npt``. On a bounded
two-parameter test problem it reproduces minqa's sequence of evaluation points to 4e-15
(tests/glm). If the symbol or the stopping-struct layout of the installed NLopt is not the
known one (NLopt ≥ 2.7), the public ``LN_BOBYQA`` is used instead (identical for one θ).
"""

from __future__ import annotations

import ctypes as C
import math
import os
from dataclasses import dataclass
from typing import Callable

import nlopt
import numpy as np

__all__ = ["BobyqaResult", "bobyqa", "native_npt_available"]


@dataclass
class BobyqaResult:
    """Best point, its value, evaluations, NLopt's return code and which path ran."""

    par: np.ndarray
    fval: float
    feval: int
    code: int
    npt: int


class _Stop(C.Structure):
    # nlopt-util.h (NLopt 2.7 ... 2.11): nlopt_stopping
    _fields_ = [("n", C.c_uint), ("minf_max", C.c_double), ("ftol_rel", C.c_double), ("ftol_abs", C.c_double),
                ("xtol_rel", C.c_double), ("xtol_abs", C.POINTER(C.c_double)),
                ("x_weights", C.POINTER(C.c_double)), ("nevals_p", C.POINTER(C.c_int)), ("maxeval", C.c_int),
                ("maxtime", C.c_double), ("start", C.c_double), ("force_stop", C.POINTER(C.c_int)),
                ("stop_msg", C.POINTER(C.c_char_p))]


_FUNC = C.CFUNCTYPE(C.c_double, C.c_uint, C.POINTER(C.c_double), C.POINTER(C.c_double), C.c_void_p)
_LIB: list = []


def _native():
    if _LIB:
        return _LIB[0]
    lib = None
    try:
        ver = (nlopt.version_major(), nlopt.version_minor())
        if (2, 7) <= ver < (3, 0):
            cand = C.CDLL(os.path.join(os.path.dirname(nlopt.__file__), "_nlopt.so"))
            fn = cand.bobyqa
            fn.restype = C.c_int
            fn.argtypes = [C.c_int, C.c_int, C.POINTER(C.c_double), C.POINTER(C.c_double), C.POINTER(C.c_double),
                           C.POINTER(C.c_double), C.POINTER(_Stop), C.POINTER(C.c_double), _FUNC, C.c_void_p]
            lib = fn
    except (OSError, AttributeError):
        lib = None
    _LIB.append(lib)
    return lib


def native_npt_available() -> bool:
    """Whether NLopt's BOBYQA routine can be called with minqa's ``npt`` here."""
    return _native() is not None


def bobyqa(fn: Callable[[np.ndarray], float], par: np.ndarray, lower: np.ndarray,
           maxfun: int = 10000) -> BobyqaResult:
    """Minimise ``fn`` over ``par ≥ lower`` as ``minqa::bobyqa`` with its default control does."""
    par = np.asarray(par, dtype=float).copy()
    n = par.size
    rhobeg = min(0.95, 0.2 * float(np.max(np.abs(par))))
    rhoend = 1e-6 * rhobeg
    npt = n + 2
    count = [0]
    err: list = []

    def f(x: np.ndarray) -> float:
        count[0] += 1
        try:
            v = float(fn(x))
        except Exception as exc:  # noqa: BLE001 - re-raised after the C frame unwinds
            err.append(exc)
            return math.inf
        return v if not math.isnan(v) else math.inf

    native = _native()
    if native is not None:
        arr = lambda v: (C.c_double * n)(*[float(a) for a in v])  # noqa: E731
        x = arr(par)
        lo = arr(lower)
        hi = arr([math.inf] * n)
        dx = arr([rhobeg] * n)
        xt = arr([rhoend] * n)
        nev, force, msg = C.c_int(0), C.c_int(0), C.c_char_p(None)
        stop = _Stop(n, -math.inf, 0.0, 0.0, 0.0, xt, None, C.pointer(nev), int(maxfun), 0.0, 0.0,
                     C.pointer(force), C.pointer(msg))

        def cb(nn, xp, grad, data):
            if err:
                force.value = 1
                return math.inf
            return f(np.ctypeslib.as_array(xp, (nn,)).copy())

        cfun = _FUNC(cb)
        minf = C.c_double(0.0)
        code = native(n, npt, x, lo, hi, dx, C.byref(stop), C.byref(minf), cfun, None)
        if err:
            raise err[0]
        return BobyqaResult(np.array(x[:]), float(minf.value), count[0], int(code), npt)
    opt = nlopt.opt(nlopt.LN_BOBYQA, n)
    opt.set_min_objective(lambda x, g: f(np.array(x)))
    opt.set_lower_bounds(np.asarray(lower, float))
    opt.set_upper_bounds(np.full(n, np.inf))
    opt.set_initial_step(np.full(n, rhobeg))
    opt.set_xtol_abs(np.full(n, rhoend))
    opt.set_maxeval(int(maxfun))
    try:
        xo = opt.optimize(par)
        code = opt.last_optimize_result()
        fval = opt.last_optimum_value()
    except nlopt.RoundoffLimited:
        xo, code, fval = par, -4, f(par)
    if err:
        raise err[0]
    return BobyqaResult(np.asarray(xo, float), float(fval), count[0], int(code), 2 * n + 1)
