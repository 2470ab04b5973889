"""``mixedlab bench --crossed``: issue 19's large crossed design with a random slope.

``y ~ x + (1 + x | g1) + (1 | g2)`` on :func:`mixedlab.bench._data.simulate_large` data,
g1 with 20,000 levels (a correlated random slope) and g2 with 2,000:

* full fits at 1M and 4M rows: mixedlab's time, evaluations, seconds per evaluation and
  peak memory (resident-set growth of one fit in a fresh process,
  :func:`mixedlab.bench._memory.python_memory`); lme4 at 1M rows in the same run, with the
  two objectives compared (mixedlab must not be worse by more than the parity tolerance);
* the cost per criterion evaluation (and per evaluation with the analytic gradient, the
  L-BFGS-B route's unit of work) as g2's levels grow (500, 1,000, 2,000, 5,000), with
  the route the engine chose for the Schur update (``pairs``: the sparse pair operator;
  ``dense``: BLAS on the dense A₂₁ rows) and the one-off cross-product time.

Never run by the tests (timings are not asserted anywhere).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mixedlab.bench._data import simulate_large

__all__ = ["run_crossed_bench", "render_crossed", "FORMULA"]

FORMULA = "y ~ x + (1 + x | g1) + (1 | g2)"
N_G1 = 20_000


def _fit_mixedlab(frame) -> dict[str, Any]:
    from mixedlab import lmer

    t0 = time.perf_counter()
    fit = lmer(FORMULA, frame, REML=True)
    seconds = time.perf_counter() - t0
    n_evals = int(fit.optinfo["n_evals"])
    return {"seconds": seconds, "objective": float(fit.objective), "n_evals": n_evals,
            "seconds_per_eval": seconds / max(n_evals, 1), "route": fit._cp.mode,
            "optimizer": fit.optinfo["optimizer"], "theta": [float(v) for v in fit.theta]}


def _per_eval(frame, evals: int = 3) -> dict[str, Any]:
    """One-off cross-product time and the median time of ``evals`` criterion evaluations."""
    from mixedlab.formula import build_model
    from mixedlab.linear._deviance import make_devfun
    from mixedlab.linear._threads import blas_threads_for

    model = build_model(FORMULA, frame)
    t0 = time.perf_counter()
    devfun = make_devfun(model, REML=True)
    setup = time.perf_counter() - t0
    rng = np.random.default_rng(19)
    times, grad_times = [], []
    with blas_threads_for(devfun.cp.m):
        for _ in range(evals):
            theta = np.abs(devfun.start * (1.0 + 0.2 * rng.standard_normal(devfun.start.size)))
            theta[1] = 0.1 * rng.standard_normal()  # the correlation element is free
            t = time.perf_counter()
            devfun(theta)
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            devfun.value_and_gradient(theta)
            grad_times.append(time.perf_counter() - t)
    return {"setup_seconds": setup, "seconds_per_eval": float(np.median(times)), "evals": times,
            "seconds_per_gradient": float(np.median(grad_times)), "gradients": grad_times,
            "route": devfun.cp.mode, "m": devfun.cp.m}


def run_crossed_bench(rows: tuple[int, ...] = (1_000_000, 4_000_000),
                      levels2: tuple[int, ...] = (500, 1_000, 2_000, 5_000),
                      curve_rows: int = 1_000_000, r_rows: int = 1_000_000,
                      memory: bool = True, lme4: bool = True, log=print) -> dict[str, Any]:
    """Run the fits and the scaling curve; return a JSON-ready record."""
    from mixedlab.bench._machine import machine_info
    from mixedlab.bench._memory import python_memory

    out: dict[str, Any] = {"formula": FORMULA, "n_g1": N_G1, "fits": [], "curve": []}
    r = None
    if lme4:
        from mixedlab.bench._r import r_session

        r, why = r_session()
        if r is None:
            out["lme4_unavailable"] = why
    out["machine"] = machine_info(r.versions if r is not None else None, None)
    for n in rows:
        frame = simulate_large(n=n, n_g1=N_G1, n_g2=2_000).frame
        log(f"crossed {n:,} rows: mixedlab fit ...")
        rec: dict[str, Any] = {"rows": n, "n_g2": 2_000, "mixedlab": _fit_mixedlab(frame)}
        if memory:
            log(f"crossed {n:,} rows: mixedlab peak memory (fresh process) ...")
            rec["mixedlab"]["memory"] = python_memory("mixedlab", frame, FORMULA, True)
        if r is not None and n <= r_rows:
            log(f"crossed {n:,} rows: lme4 fit ...")
            name = r.put_data(frame, "crossed_bench")
            fr = r.fit("lme4", FORMULA, True, name)
            r.drop_data(name)
            rec["lme4"] = {"seconds": fr.seconds, "objective": fr.objective, **fr.info}
            rec["objective_diff"] = rec["mixedlab"]["objective"] - fr.objective
            rec["ratio"] = rec["mixedlab"]["seconds"] / fr.seconds
        out["fits"].append(rec)
        log(f"  {rec}")
    for n2 in levels2:
        frame = simulate_large(n=curve_rows, n_g1=N_G1, n_g2=n2).frame
        log(f"curve: {curve_rows:,} rows, g2 {n2:,} levels ...")
        point = {"rows": curve_rows, "n_g2": n2, **_per_eval(frame)}
        out["curve"].append(point)
        log(f"  {point}")
    return out


def _fmt_s(s: float | None) -> str:
    return "-" if s is None else (f"{s:.3g} s" if s < 100 else f"{s:.0f} s")


def render_crossed(result: dict[str, Any]) -> str:
    """The record as plain-text tables."""
    lines = [f"{result['formula']}  (g1: {result['n_g1']:,} levels)", "",
             "rows        g2   mixedlab   evals  s/eval   route   peak MB   lme4       ratio   Δobjective   optimizer"]
    for f in result["fits"]:
        ml = f["mixedlab"]
        mem = ml.get("memory", {}).get("peak_rss_growth_mb")
        lm = f.get("lme4")
        lines.append(f"{f['rows']:>9,} {f['n_g2']:>5,}  {_fmt_s(ml['seconds']):>9}  {ml['n_evals']:>5}  "
                     f"{ml['seconds_per_eval']:6.3f}  {ml['route']:>6}  {mem if mem is None else round(mem):>7}   "
                     f"{_fmt_s(lm['seconds']) if lm else '-':>8}  {f.get('ratio', float('nan')):6.2f}   "
                     f"{f.get('objective_diff', float('nan')):.3g}   {ml.get('optimizer', '')}")
    lines += ["", "cost per evaluation as g2 grows:", "rows        g2      m   route   setup     s/eval   s/(eval+gradient)"]
    for p in result["curve"]:
        lines.append(f"{p['rows']:>9,} {p['n_g2']:>5,}  {p['m']:>5}  {p['route']:>6}  {_fmt_s(p['setup_seconds']):>8}  "
                     f"{p['seconds_per_eval']:.3f}    {p.get('seconds_per_gradient', float('nan')):.3f}")
    return "\n".join(lines)
