"""``mixedlab bench --residuals``: simulated residuals (n = 250) timed against R.

For each case the model is fitted once (untimed) by mixedlab and by R; then, round by
round, mixedlab's ``simulate_residuals(fit, n=250, seed=123)`` and R's equivalent of
DHARMa's ``simulateResiduals`` (DHARMa is not installed here, so its steps are written
out: ``set.seed(123); simulate(m, 250, re.form = NULL)`` and the PIT of DHARMa 0.5's
``getQuantile``) are timed, R's inside R. R's ``simulate()`` alone is timed too, since
that is the part of DHARMa a user waits for. The scaled residuals of the two sides are
compared: equal means the same simulations and the same randomisation.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from mixedlab.bench._timing import summarize

__all__ = ["ResidualCase", "RESIDUAL_CASES", "run_residual_benchmark", "render_residuals"]


@dataclass(frozen=True)
class ResidualCase:
    """One model whose simulated residuals are timed.

    ``fit`` fits it with mixedlab; ``r_fit`` is the R call (data bound as ``data``);
    ``r_sims`` turns ``simulate()``'s data frame into the successes/counts matrix;
    ``simulate_re`` is what DHARMa does for this model class (glmmTMB 1.1.5 cannot
    simulate conditionally, so DHARMa falls back to unconditional simulations there).
    """

    name: str
    title: str
    load: Callable[[], pd.DataFrame]
    fit: Callable[[pd.DataFrame], Any]
    r_fit: str
    r_sims: str
    r_observed: str
    simulate_re: str = "conditional"


def _cbpp_fit(d: pd.DataFrame) -> Any:
    import mixedlab

    return mixedlab.glmer("cbind(incidence, size - incidence) ~ period + (1 | herd)", d,
                          family="binomial")


def _cbpp() -> pd.DataFrame:
    from mixedlab import datasets

    return datasets.cbpp()


def _salamanders_fit(d: pd.DataFrame) -> Any:
    import mixedlab

    return mixedlab.glmmtmb("count ~ spp + mined + (1 | site)", d, family="nbinom2",
                            ziformula="~spp + mined")


def _salamanders() -> pd.DataFrame:
    from mixedlab import datasets

    return datasets.load_dataset("Salamanders")


RESIDUAL_CASES: tuple[ResidualCase, ...] = (
    ResidualCase(
        name="cbpp",
        title="cbpp: binomial glmer, cbind(incidence, size - incidence) ~ period + (1 | herd)",
        load=_cbpp, fit=_cbpp_fit,
        r_fit='lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data, '
              'family = binomial)',
        r_sims="sapply(s, function(x) x[, 1])",
        r_observed="stats::model.frame(m)[, 1][, 1]",
    ),
    ResidualCase(
        name="salamanders_zinb",
        title="Salamanders: glmmTMB nbinom2, count ~ spp + mined + (1 | site), zi = ~spp + mined",
        load=_salamanders, fit=_salamanders_fit,
        r_fit="glmmTMB::glmmTMB(count ~ spp + mined + (1 | site), zi = ~spp + mined, "
              "family = glmmTMB::nbinom2, data = data)",
        r_sims="as.matrix(s)",
        r_observed="stats::model.frame(m)[, 1]",
        simulate_re="unconditional",
    ),
)

_R_TIMER = r"""
function(fit_call, data, nsim, repeats, sims_expr, obs_expr, conditional) {
  m <- suppressMessages(suppressWarnings(eval(str2lang(fit_call))))
  to_sims <- function(s) eval(str2lang(sims_expr))
  obs <- eval(str2lang(obs_expr))
  sim_t <- numeric(); all_t <- numeric(); res <- NULL
  for (i in seq_len(repeats)) {
    t0 <- Sys.time(); set.seed(123)
    s <- if (conditional) stats::simulate(m, nsim = nsim, re.form = NULL)
         else stats::simulate(m, nsim = nsim)
    t1 <- Sys.time()
    sims <- to_sims(s)
    lower <- unname(rowMeans(sims < obs)); le <- unname(rowMeans(sims <= obs))
    need <- lower != le
    res <- if (any(need)) ifelse(need, runif(length(lower), lower, le), lower) else lower
    t2 <- Sys.time()
    sim_t[i] <- as.numeric(difftime(t1, t0, units = "secs"))
    all_t[i] <- as.numeric(difftime(t2, t0, units = "secs"))
  }
  list(simulate = sim_t, residuals = all_t, scaled = res)
}
"""


def run_residual_benchmark(repeats: int = 5, with_r: bool = True,
                           log: Callable[[str], None] = lambda m: None) -> list[dict]:
    """Time every case; returns JSON-ready records (times in seconds)."""
    import mixedlab

    r_timer = None
    if with_r:
        try:
            import rpy2.robjects as ro
            from rpy2.robjects import pandas2ri
            from rpy2.robjects.conversion import localconverter

            r_timer = ro.r(_R_TIMER)
        except Exception as exc:  # R missing: mixedlab's times alone
            log(f"R not usable for the residual benchmark: {exc}")
    out = []
    for case in RESIDUAL_CASES:
        frame = case.load()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = case.fit(frame)
            mixedlab.simulate_residuals(fit, n=250, simulate_re=case.simulate_re)  # warm-up
        times, res = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = mixedlab.simulate_residuals(fit, n=250, seed=123,
                                                  simulate_re=case.simulate_re)
            times.append(time.perf_counter() - t0)
        log(f"residuals {case.name}: mixedlab {np.median(times):.3f} s")
        rec: dict[str, Any] = {"name": case.name, "title": case.title, "nobs": int(res.n_obs),
                               "n_sim": 250, "simulate_re": case.simulate_re,
                               "mixedlab": summarize(times), "times": times,
                               "R_simulate": None, "R_residuals": None, "identical": None}
        if r_timer is not None:
            with localconverter(ro.default_converter + pandas2ri.converter) as cv:
                r_frame = cv.py2rpy(frame)
            r_out = r_timer(case.r_fit, r_frame, 250, repeats, case.r_sims, case.r_observed,
                            case.simulate_re == "conditional")
            got = dict(zip(r_out.names, r_out))
            rec["R_simulate"] = summarize([float(v) for v in got["simulate"]])
            rec["R_residuals"] = summarize([float(v) for v in got["residuals"]])
            r_scaled = np.asarray(got["scaled"], dtype=float)
            rec["identical"] = bool(np.array_equal(r_scaled, res.scaled))
            rec["max_difference"] = float(np.max(np.abs(r_scaled - res.scaled)))
            log(f"residuals {case.name}: R simulate {rec['R_simulate']['median']:.3f} s")
        out.append(rec)
    return out


def _fmt(s: dict | None) -> str:
    if not s:
        return "n/a"
    return f"{s['median']:.3f} s"


def render_residuals(records: list[dict]) -> str:
    """The report's table: mixedlab vs R (simulate alone, and with DHARMa's PIT)."""
    head = ["model", "rows", "mixedlab simulate_residuals", "R simulate()", "R simulate + PIT",
            "same residuals as R"]
    rows = [[r["name"], f"{r['nobs']:,}", _fmt(r["mixedlab"]), _fmt(r["R_simulate"]),
             _fmt(r["R_residuals"]),
             "n/a" if r["identical"] is None else ("yes" if r["identical"] else
                                                    f"no (max |d| {r['max_difference']:.2g})")]
            for r in records]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join(["Simulated residuals, n = 250 (median over repeats)", line(head)]
                     + [line(r) for r in rows])
