"""Kenward–Roger timing: mixedlab's Woodbury form against pbkrtest's dense n × n algebra.

``mixedlab bench --kr`` fits each model once (lme4 in R through lmerTest, mixedlab here), then
times, interleaved and repeated:

* ``vcovAdj``: pbkrtest's ``vcovAdj(m)`` against mixedlab's :func:`vcov_adjusted` (the
  adjusted covariance with its P and W matrices);
* ``KR t table``: lmerTest's ``coef(summary(m, ddf = "Kenward-Roger"))`` (which calls
  ``vcovAdj`` once per coefficient) against ``fit.coef_table("Kenward-Roger")`` on a fresh
  fit object (no cached adjustment).

It also checks that the two agree (largest relative difference of the adjusted SEs and df).
Timings on a shared machine vary; the report says how loaded it was.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["KR_CASES", "KRCase", "kr_data", "run_kr_bench", "render_kr"]


@dataclass(frozen=True)
class KRCase:
    """A model for the Kenward–Roger timing."""

    name: str
    formula: str
    description: str
    n_groups: int = 0
    n_per_group: int = 0


KR_CASES = (
    KRCase("sleepstudy", "Reaction ~ Days + (Days | Subject)", "lme4's sleepstudy: 180 rows, 18 subjects"),
    KRCase("slopes_4000", "y ~ x + (x | g)", "simulated: 4000 rows, 200 groups, random intercepts and slopes",
           n_groups=200, n_per_group=20),
    KRCase("crossed_3000", "y ~ x + (1 | g) + (1 | h)", "simulated: 3000 rows, 60 x 50 crossed intercepts",
           n_groups=60, n_per_group=50),
)


def kr_data(case: KRCase) -> pd.DataFrame:
    """The case's data (sleepstudy, or a seeded simulated design)."""
    if case.name == "sleepstudy":
        from mixedlab.datasets import sleepstudy

        return sleepstudy()
    rng = np.random.default_rng(20240601)
    G, m = case.n_groups, case.n_per_group
    if case.name.startswith("crossed"):
        gi, hi = (a.ravel() for a in np.meshgrid(np.arange(G), np.arange(m), indexing="ij"))
        x = rng.normal(size=gi.size)
        y = 1.0 + 0.5 * x + rng.normal(0, 1.0, G)[gi] + rng.normal(0, 0.7, m)[hi] + rng.normal(0, 1.0, gi.size)
        gl, hl = [f"g{i:02d}" for i in range(G)], [f"h{i:02d}" for i in range(m)]
        return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(np.array(gl)[gi], categories=gl),
                             "h": pd.Categorical(np.array(hl)[hi], categories=hl)})
    g = np.repeat(np.arange(G), m)
    x = rng.normal(size=G * m)
    b0, b1 = rng.normal(0, 1.0, G), rng.normal(0, 0.5, G)
    y = 2.0 + 0.7 * x + b0[g] + b1[g] * x + rng.normal(0, 1.0, G * m)
    labels = [f"g{i:03d}" for i in range(G)]
    return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(np.array(labels)[g], categories=labels)})


_R_KR = """
function(formula, data, what) {
  suppressPackageStartupMessages({ loadNamespace("lmerTest"); loadNamespace("pbkrtest") })
  m <- suppressMessages(lmerTest::lmer(stats::as.formula(formula), data = data))
  out <- list()
  t0 <- Sys.time()
  if (what == "vcovAdj") invisible(pbkrtest::vcovAdj(m)) else ct <- coef(summary(m, ddf = "Kenward-Roger"))
  out$seconds <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  if (what != "vcovAdj") { out$se <- unname(ct[, 2]); out$df <- unname(ct[, 3]) }
  out
}
"""


class _RKR:
    """lmerTest/pbkrtest timed inside R (the model refitted outside the timed region)."""

    def __init__(self, case: KRCase, data: pd.DataFrame) -> None:
        import rpy2.robjects as ro

        from mixedlab.bench._r import r_session

        session, reason = r_session()
        if session is None:
            raise RuntimeError(f"R is needed for the Kenward-Roger benchmark: {reason}")
        self.ro = ro
        self.name = session.put_data(data, f".mixedlab_kr_{case.name}")
        self.fn = ro.r(_R_KR)
        self.formula = case.formula

    def run(self, what: str) -> dict:
        out = self.fn(self.formula, self.ro.globalenv[self.name], what)
        return {k: [float(v) for v in val] for k, val in zip(out.names, out)}


def _time(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def run_kr_bench(cases=KR_CASES, repeats: int = 3) -> list[dict]:
    """Time both sides on each case; one result dict per case."""
    import mixedlab
    from mixedlab.inference import vcov_adjusted

    results = []
    for case in cases:
        data = kr_data(case)
        fit = mixedlab.lmer(case.formula, data)
        r = _RKR(case, data)
        phi = fit.vcov.to_numpy()

        def ours_adj():
            return vcov_adjusted(fit._cp, fit.theta, fit.sigma, phi)

        def ours_table():
            return _fresh(fit).coef_table("Kenward-Roger")

        t_ours_adj, t_ours_tab, t_r_adj, t_r_tab = [], [], [], []
        for _ in range(repeats):  # interleaved, so load changes hit both sides alike
            t_ours_adj += _time(ours_adj, 1)
            t_r_adj += r.run("vcovAdj")["seconds"]
            t_ours_tab += _time(ours_table, 1)
            rt = r.run("table")
            t_r_tab += rt["seconds"]
        kr_ours = fit.coef_table("Kenward-Roger")
        agree = {
            "se": float(np.max(np.abs(kr_ours["Std. Error"].to_numpy() / np.array(rt["se"]) - 1))),
            "df": float(np.max(np.abs(kr_ours["df"].to_numpy() / np.array(rt["df"]) - 1))),
        }
        q = sum(sh.q for sh in fit._cp.shapes)
        results.append({
            "case": case.name, "description": case.description, "n": int(fit.nobs), "q": int(q),
            "vcovAdj": {"mixedlab": t_ours_adj, "pbkrtest": t_r_adj},
            "KR t table": {"mixedlab": t_ours_tab, "lmerTest": t_r_tab},
            "agreement": agree,
        })
    return results


def _fresh(fit):
    """A copy of the fit without the cached adjustment (times the whole computation)."""
    import copy

    f2 = copy.copy(fit)
    f2.__dict__.pop("_kenward_roger", None)
    return f2


def render_kr(results: list[dict]) -> str:
    """A plain-text table of the timings (medians) and their ratios."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"Kenward-Roger timings (median of repeats, seconds; load average {load:.1f} on "
             f"{os.cpu_count()} CPUs)", ""]
    hdr = f"{'case':14s} {'n':>6s} {'q':>5s}  {'step':12s} {'mixedlab':>10s} {'R':>10s} {'R/mixedlab':>10s}"
    lines += [hdr, "-" * len(hdr)]
    for res in results:
        for step, other in (("vcovAdj", "pbkrtest"), ("KR t table", "lmerTest")):
            a = statistics.median(res[step]["mixedlab"])
            b = statistics.median(res[step][other])
            lines.append(f"{res['case']:14s} {res['n']:6d} {res['q']:5d}  {step:12s} {a:10.4f} {b:10.4f} "
                         f"{b / a:10.1f}")
        lines.append(f"{'':14s} agreement: max relative |Δ| SE {res['agreement']['se']:.1e}, "
                     f"df {res['agreement']['df']:.1e}")
    return "\n".join(lines)
