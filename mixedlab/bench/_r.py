"""lme4 and glmmTMB timed in-process through rpy2, and their peak memory in Rscript.

Timing: each case's frame is converted to an R data.frame once and kept in R's
global environment; one R function then fits and times *inside R*
(``Sys.time()`` before and after the ``lmer``/``glmmTMB`` call, microsecond
resolution on Linux) and returns the seconds with the objective. rpy2's argument
and result conversion therefore happens outside the timed region.

Memory: a separate ``Rscript`` process reads the same data.frame (saved with
``saveRDS``), loads the package, resets the kernel's peak-RSS counter
(``/proc/self/clear_refs`` ← 5), fits once, and reports

* ``peak_rss_growth_mb``: VmHWM after the fit minus VmRSS before it (every
  allocation: R heap, Eigen/TMB C++ buffers, BLAS workspace);
* ``r_heap_growth_mb``: ``gc()`` "max used" after minus "used" before, after
  ``gc(reset = TRUE)`` (the R heap only, i.e. R vectors and cons cells).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass

import pandas as pd

from mixedlab.bench._timing import FitRecord

__all__ = ["R_ENGINES", "R_GLMM_CALLS", "RSession", "r_session", "r_memory"]

#: Engine name -> (R package, fitting call with ``f``, ``data``, ``REML`` bound).
R_ENGINES: dict[str, tuple[str, str]] = {
    "lme4": ("lme4", "lme4::lmer(f, data = data, REML = REML)"),
    "glmmTMB": ("glmmTMB", "glmmTMB::glmmTMB(f, data = data, REML = REML)"),
}

def _timed_r_function(params: str, setup: str, call: str, results: str) -> str:
    """An R function that times ``call`` inside R, keeping its warnings and messages.

    ``setup`` runs before the clock starts; ``results`` follows with ``m`` (the fit),
    ``seconds`` and ``notes`` bound, and ends with the returned list.
    """
    return f"""
function({params}) {{
{setup}
  notes <- character()
  keep <- function(cond) notes <<- c(notes, conditionMessage(cond))
  t0 <- Sys.time()
  m <- withCallingHandlers(
    {call},
    warning = function(w) {{ keep(w); invokeRestart("muffleWarning") }},
    message = function(m) {{ keep(m); invokeRestart("muffleMessage") }}
  )
  seconds <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
{results}
}}
"""


_R_FIT = _timed_r_function(
    "engine, formula, data, REML",
    "  f <- stats::as.formula(formula)",
    "switch(engine, %s)",
    """  # -2 log-likelihood is the REML criterion for a REML fit and the deviance for ML.
  objective <- -2 * as.numeric(stats::logLik(m))
  theta <- if (engine == "lme4") as.numeric(lme4::getME(m, "theta")) else numeric()
  n_evals <- if (engine == "lme4") as.integer(m@optinfo$feval) else as.integer(NA)
  list(seconds = seconds, objective = objective, messages = notes, theta = theta, n_evals = n_evals)""",
)

#: GLMM cases: engine -> the fitting call with ``f``, ``data``, ``fam`` (an R family) and ``nAGQ``.
R_GLMM_CALLS: dict[str, str] = {
    "lme4": "lme4::glmer(f, data = data, family = fam, nAGQ = nAGQ)",
    "glmmTMB": "glmmTMB::glmmTMB(f, data = data, family = fam)",
}

_R_GLMM_FIT = _timed_r_function(
    "engine, formula, data, family, nAGQ",
    """  f <- stats::as.formula(formula)
  fam <- eval(parse(text = family))""",
    "switch(engine, %s)",
    """  objective <- -2 * as.numeric(stats::logLik(m))
  theta <- if (engine == "lme4") as.numeric(lme4::getME(m, "theta")) else numeric()
  fixef <- if (engine == "lme4") as.numeric(lme4::fixef(m)) else as.numeric(glmmTMB::fixef(m)$cond)
  n_evals <- if (engine == "lme4") as.integer(m@optinfo$feval) else as.integer(NA)
  list(seconds = seconds, objective = objective, messages = notes, theta = theta, fixef = fixef,
       n_evals = n_evals)""",
)

_R_MEMORY_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
rds <- args[1]; engine <- args[2]; formula <- args[3]; REML <- as.logical(args[4])
suppressMessages(library(engine, character.only = TRUE))
data <- readRDS(rds)
f <- stats::as.formula(formula)
status_bytes <- function(key) {
  line <- grep(paste0("^", key, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", line)) * 1024
}
invisible(gc(reset = TRUE))
heap_before <- sum(gc()[, 2])
rss_before <- status_bytes("VmRSS")
reset <- tryCatch({ writeLines("5", "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE)
m <- suppressWarnings(suppressMessages(switch(engine, %s)))
hwm_after <- status_bytes("VmHWM")
heap_max <- sum(gc()[, 6])
cat(sprintf('{"rss_before_mb": %%.3f, "hwm_after_mb": %%.3f, "peak_reset": %%s, "r_heap_growth_mb": %%.3f}\n',
            rss_before / 2^20, hwm_after / 2^20, tolower(as.character(reset)), heap_max - heap_before))
"""


_R_FIT_TMB = _timed_r_function(
    "formula, family, ziformula, dispformula, data",
    """  f <- stats::as.formula(formula)
  fam <- eval(str2lang(family), asNamespace("glmmTMB"))
  zi <- stats::as.formula(ziformula); disp <- stats::as.formula(dispformula)""",
    "glmmTMB::glmmTMB(f, data = data, family = fam, ziformula = zi, dispformula = disp)",
    """  objective <- -2 * as.numeric(stats::logLik(m))
  if (!is.finite(objective)) objective <- 2 * m$fit$objective  # logLik is NA without pdHess
  list(seconds = seconds, objective = objective, messages = notes,
       n_evals = as.integer(m$fit$evaluations[["function"]]))""",
)


def _switch_arms() -> str:
    """The ``switch(engine, ...)`` arms calling each R engine."""
    return ", ".join(f"{name} = {call}" for name, (_pkg, call) in R_ENGINES.items())


def _fit_record(out, *vectors: str) -> FitRecord:
    """The R timing function's result list as a :class:`FitRecord`; ``vectors`` name the
    numeric vectors it carries besides seconds, objective, messages and ``n_evals``."""
    result = dict(zip(out.names, out))
    n_evals = result["n_evals"][0]
    info: dict = {"messages": [str(m) for m in result["messages"]]}
    info.update({name: [float(v) for v in result[name]] for name in vectors})
    # R's NA_integer_ arrives as the most negative int
    info["n_evals"] = None if n_evals is None or n_evals < -2**30 else int(n_evals)
    return FitRecord(seconds=float(result["seconds"][0]), objective=float(result["objective"][0]), info=info)


@dataclass
class RSession:
    """The embedded R session: which engines are installed and how to time them."""

    versions: dict[str, str]

    @property
    def engines(self) -> list[str]:
        """Installed R engines, in :data:`R_ENGINES` order."""
        return [name for name, (pkg, _) in R_ENGINES.items() if pkg in self.versions]

    def put_data(self, frame: pd.DataFrame, name: str) -> str:
        """Convert ``frame`` to an R data.frame once and bind it in R as ``name``.

        Categoricals become factors with the same level order.
        """
        import rpy2.robjects as ro
        from rpy2.robjects import pandas2ri
        from rpy2.robjects.conversion import localconverter

        with localconverter(ro.default_converter + pandas2ri.converter) as cv:
            r_frame = cv.py2rpy(frame)
        ro.globalenv[name] = r_frame
        return name

    def drop_data(self, name: str) -> None:
        """Remove the R copy of a case's data and let R reclaim it."""
        import rpy2.robjects as ro

        ro.r(f"rm(list = {json.dumps(name)}, envir = globalenv()); invisible(gc())")

    def fit(self, engine: str, formula: str, reml: bool, data_name: str) -> FitRecord:
        """Fit once with ``engine`` on the R data bound to ``data_name``; time measured in R."""
        import rpy2.robjects as ro

        fit = ro.globalenv[".mixedlab_bench_fit"]
        out = fit(engine, formula, ro.globalenv[data_name], reml)
        return _fit_record(out, "theta")

    def fit_glmm(self, engine: str, formula: str, family: str, nAGQ: int, data_name: str) -> FitRecord:
        """Fit a GLMM once with ``engine`` (``family`` an R family expression); time measured in R."""
        import rpy2.robjects as ro

        fit = ro.globalenv[".mixedlab_bench_gfit"]
        out = fit(engine, formula, ro.globalenv[data_name], family, int(nAGQ))
        return _fit_record(out, "theta", "fixef")

    def fit_tmb(self, formula: str, family: str, ziformula: str, dispformula: str,
                data_name: str) -> FitRecord:
        """Fit once with ``glmmTMB::glmmTMB`` and a family, zero-inflation and dispersion."""
        import rpy2.robjects as ro

        fit = ro.globalenv[".mixedlab_bench_fit_tmb"]
        out = fit(formula, family, ziformula, dispformula, ro.globalenv[data_name])
        return _fit_record(out)

    def save_rds(self, data_name: str, path: str) -> None:
        """Write the R data bound to ``data_name`` to ``path`` with ``saveRDS``."""
        import rpy2.robjects as ro

        ro.r(f"saveRDS(get({json.dumps(data_name)}, envir = globalenv()), file = {json.dumps(path)})")


def r_session() -> tuple[RSession | None, str | None]:
    """Start embedded R; return the session, or None and the reason R is unavailable."""
    try:
        import rpy2.robjects as ro
    except Exception as exc:  # rpy2 missing, or R missing/incompatible
        return None, f"rpy2/R not usable: {type(exc).__name__}: {exc}"
    versions = {"R": str(ro.r("R.version.string")[0])}
    for _name, (pkg, _call) in R_ENGINES.items():
        if bool(ro.r(f"nzchar(system.file(package = '{pkg}'))")[0]):
            versions[pkg] = str(ro.r(f"as.character(utils::packageVersion('{pkg}'))")[0])
            ro.r(f"suppressMessages(requireNamespace('{pkg}'))")
    versions["BLAS"] = str(ro.r("extSoftVersion()[['BLAS']]")[0])
    ro.globalenv[".mixedlab_bench_fit"] = ro.r(_R_FIT % _switch_arms())
    ro.globalenv[".mixedlab_bench_gfit"] = ro.r(_R_GLMM_FIT % ", ".join(f"{k} = {v}" for k, v in R_GLMM_CALLS.items()))
    ro.globalenv[".mixedlab_bench_fit_tmb"] = ro.r(_R_FIT_TMB)
    return RSession(versions), None


def r_memory(session: RSession, engine: str, formula: str, reml: bool, data_name: str, timeout: float) -> dict:
    """Measure one fit's peak memory in a fresh ``Rscript`` process (see module docstring).

    Returns a dict with ``peak_rss_growth_mb``, ``r_heap_growth_mb`` and the raw
    figures, or ``{"error": ...}``.
    """
    with tempfile.TemporaryDirectory(prefix="mixedlab-bench-") as tmp:
        rds = os.path.join(tmp, "data.rds")
        script = os.path.join(tmp, "memory.R")
        session.save_rds(data_name, rds)
        with open(script, "w") as fh:
            fh.write(_R_MEMORY_SCRIPT % _switch_arms())
        try:
            proc = subprocess.run(
                ["Rscript", "--vanilla", script, rds, engine, formula, "TRUE" if reml else "FALSE"],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:g} s"}
        except OSError as exc:
            return {"error": f"cannot run Rscript: {exc}"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["Rscript failed"])[-1]}
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    raw["peak_rss_growth_mb"] = raw["hwm_after_mb"] - raw["rss_before_mb"]
    raw["method"] = "VmHWM after fit - VmRSS before (peak reset via clear_refs)" + (
        "" if raw["peak_reset"] else "; reset FAILED, peak may include earlier allocations"
    )
    return raw
