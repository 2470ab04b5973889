"""The R side of glmmTMB parity: ``glmmTMB::glmmTMB`` with families, zero inflation and
dispersion formulas.

Fits run in the R session of :mod:`mixedlab.parity._rbridge` (its helpers ``capture``,
``ranef_list`` and ``vc_rows`` are reused) and return the bridge's result layout
(:data:`~mixedlab.parity._rbridge.RESULT_KEYS`) with every component in it:

* ``fixef``/``se``: the conditional coefficients under their names, then the
  zero-inflation ones as ``"zi~<name>"`` and the dispersion ones as ``"disp~<name>"``;
* ``varcorr``/``ranef``/``ngroups``: the conditional model's groups, then the zero-inflation
  model's as ``"zi~<group>"``; a ``Residual`` row for the gaussian family only (as
  glmmTMB's ``VarCorr`` prints it);

plus ``aic``, ``bic``, ``df_resid``, ``par`` (``m$fit$par``, names in ``par_names``), ``fn``
and ``gr`` (``m$obj$fn``/``m$obj$gr`` there), ``se_par`` (all parameters' standard errors),
``pd_hess``, ``nlminb`` (convergence code, message, iterations, evaluations), ``elapsed``
(the fit's ``system.time``) and ``summary``: ``print(summary(m))`` at ``options(width = 80)``,
with the data given to R under the case's data name so the ``Data:`` line reads as a
user's would.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from mixedlab.parity import _rbridge

__all__ = ["fit_glmmtmb_family", "tmb_objective_at", "last_fit_extras", "summary_at"]

_R_TMB = r"""
tmbf_call <- function(formula, dname, family, ziformula, dispformula, REML, weights, offset) {
  args <- list(formula = str2lang(formula), data = as.name(dname), family = str2lang(family),
               ziformula = str2lang(ziformula), dispformula = str2lang(dispformula),
               REML = REML, na.action = quote(na.omit))
  if (!is.null(weights)) args$weights <- as.name(weights)
  if (!is.null(offset)) args$offset <- as.name(offset)
  as.call(c(as.name("glmmTMB"), args))
}

tmbf_vc <- function(m, comp, prefix) {
  vc <- VarCorr(m)[[comp]]
  g <- character(0); v1 <- character(0); v2 <- character(0); cv <- numeric(0); sc <- numeric(0)
  for (k in seq_along(vc)) {
    grp <- paste0(prefix, names(vc)[k]); M <- vc[[k]]; sds <- attr(M, "stddev")
    cr <- attr(M, "correlation"); nm <- colnames(M)
    for (i in seq_along(nm)) { g <- c(g, grp); v1 <- c(v1, nm[i]); v2 <- c(v2, NA); cv <- c(cv, M[i, i]); sc <- c(sc, sds[i]) }
    if (length(nm) > 1) for (i in 1:(length(nm) - 1)) for (j in (i + 1):length(nm)) {
      g <- c(g, grp); v1 <- c(v1, nm[i]); v2 <- c(v2, nm[j]); cv <- c(cv, M[i, j]); sc <- c(sc, cr[i, j])
    }
  }
  list(g = g, v1 = v1, v2 = v2, cv = cv, sc = sc)
}

tmbf_extract <- function(m, elapsed) {
  old <- options(width = 80); on.exit(options(old))
  ll <- logLik(m)
  fe <- fixef(m)
  pn <- names(m$fit$par)
  sep <- sqrt(diag(m$sdr$cov.fixed))
  nm_all <- c(names(fe$cond), if (length(fe$zi)) paste0("zi~", names(fe$zi)),
              if (length(fe$disp)) paste0("disp~", names(fe$disp)))
  est <- c(fe$cond, fe$zi, fe$disp)
  reml <- isTRUE(m$modelInfo$REML)
  # under REML beta is random: its SEs are vcov()'s (sdreport's joint precision)
  se_beta <- if (reml) sqrt(diag(vcov(m)$cond)) else sep[pn == "beta"]
  se <- c(se_beta, sep[pn == "betazi"], sep[pn == "betad"])
  if (reml) sep <- sqrt(diag(vcov(m, full = TRUE)))
  names(est) <- nm_all; names(se) <- nm_all
  a <- list(g = character(0), v1 = character(0), v2 = character(0), cv = numeric(0), sc = numeric(0))
  if (!is.null(VarCorr(m)$cond)) a <- tmbf_vc(m, "cond", "")
  if (!is.null(VarCorr(m)$zi)) { z <- tmbf_vc(m, "zi", "zi~"); a <- Map(c, a, z) }
  s <- sigma(m)
  if (family(m)$family == "gaussian") a <- Map(c, a, list("Residual", NA, NA, s^2, s))
  re <- ranef(m)
  rl <- c(if (length(re$cond)) ranef_list(re$cond),
          if (length(re$zi)) { r <- ranef_list(re$zi); names(r) <- paste0("zi~", names(r)); r })
  ng <- c(vapply(m$modelInfo$reTrms$cond$flist, nlevels, 1L),
          { z <- vapply(m$modelInfo$reTrms$zi$flist, nlevels, 1L); if (length(z)) names(z) <- paste0("zi~", names(z)); z })
  conv <- character(0)
  if (!identical(m$fit$convergence, 0L) && !identical(m$fit$convergence, 0)) conv <- c(conv, m$fit$message)
  if (!isTRUE(m$sdr$pdHess)) conv <- c(conv, "non-positive-definite Hessian matrix")
  list(
    objective = -2 * as.numeric(ll), loglik = as.numeric(ll),
    aic = AIC(m), bic = BIC(m), df_resid = df.residual(m),
    fixef = as.list(est), se = as.list(se), sigma = s,
    varcorr = vc_rows(a$g, a$v1, a$v2, a$cv, a$sc),
    ranef = rl, nobs = nobs(m), ngroups = as.list(ng), is_singular = FALSE,
    theta = as.numeric(m$fit$par[names(m$fit$par) %in% c("theta", "thetazi")]),
    par = as.list(unname(m$fit$par)), par_names = names(m$fit$par), se_par = as.list(unname(sep)),
    fn = m$fit$objective, gr = as.list(as.numeric(m$obj$gr(m$fit$par))),
    pd_hess = isTRUE(m$sdr$pdHess),
    nlminb = list(convergence = m$fit$convergence, message = m$fit$message,
                  iterations = m$fit$iterations, evaluations = as.list(m$fit$evaluations)),
    n_evals = as.integer(m$fit$evaluations[["function"]]),
    elapsed = elapsed, family = family(m)$family, link = family(m)$link,
    conv_warnings = as.character(conv),
    summary = paste(capture.output(print(summary(m))), collapse = "\n"))
}

fit_tmbf <- function(formula, data, dname, family, ziformula, dispformula, REML, weights, offset) {
  env <- new.env(parent = globalenv()); assign(dname, data, envir = env)
  cl <- tmbf_call(formula, dname, family, ziformula, dispformula, REML, weights, offset)
  t0 <- proc.time()[["elapsed"]]
  cap <- capture(eval(cl, env))
  elapsed <- proc.time()[["elapsed"]] - t0
  m <- cap$value
  if (inherits(m, "mlerr")) return(list(error = m$msg, warnings = cap$warnings, messages = cap$messages))
  assign(".mixedlab_tmb_last", m, envir = globalenv())
  ext <- capture(tmbf_extract(m, elapsed))
  if (inherits(ext$value, "mlerr")) return(list(error = ext$value$msg, warnings = ext$warnings, messages = ext$messages))
  c(ext$value, list(warnings = c(cap$warnings, ext$warnings), messages = c(cap$messages, ext$messages)))
}

tmbf_extras <- function() {
  m <- get(".mixedlab_tmb_last", envir = globalenv())
  old <- options(width = 80); on.exit(options(old))
  res <- function(type) {
    r <- tryCatch(as.numeric(residuals(m, type = type)), error = function(e) conditionMessage(e))
    if (is.character(r)) list(error = r) else as.list(r)
  }
  list(print = paste(capture.output(print(m)), collapse = "\n"),
       response = res("response"), pearson = res("pearson"), working = res("working"),
       nobs = nobs(m), df_resid = df.residual(m))
}

tmbf_fn_gr <- function(par) {
  m <- get(".mixedlab_tmb_last", envir = globalenv())
  list(fn = m$obj$fn(par), gr = as.numeric(m$obj$gr(par)))
}
"""


def _env():
    return _rbridge._session_with("tmb_env", _R_TMB)


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    vc = raw.get("varcorr")
    if isinstance(vc, dict) and not isinstance(vc.get("grp"), list):
        raw = {**raw, "varcorr": {k: [v] for k, v in vc.items()}}
    if raw.get("ranef") is None:
        raw = {**raw, "ranef": {}}
    if raw.get("ngroups") is None or raw.get("ngroups") == []:
        raw = {**raw, "ngroups": {}}
    out = _rbridge._normalise(raw)
    if "error" in out:
        return out
    out["par"] = [float(v) for v in _rbridge._as_list(raw.get("par"))]
    out["par_names"] = [str(v) for v in _rbridge._as_list(raw.get("par_names"))]
    out["gr"] = [float(v) for v in _rbridge._as_list(raw.get("gr"))]
    out["se_par"] = [float(v) for v in _rbridge._as_list(raw.get("se_par"))]
    return out


def fit_glmmtmb_family(formula: str, df: pd.DataFrame, family: str = "gaussian",
                       ziformula: str = "~0", dispformula: str = "~1", REML: bool = False,
                       weights: str | Sequence[float] | None = None,
                       offset: str | Sequence[float] | None = None,
                       data_name: str = "data") -> dict[str, Any]:
    """Fit ``glmmTMB::glmmTMB`` in R and return its results (see the module docstring).

    ``family`` is an R expression: ``"nbinom2"``, ``"beta_family()"``,
    ``'binomial(link = "probit")'``. The fitted model stays in R for :func:`tmb_objective_at`.
    """
    ro, env = _env()
    frame, wname, oname = _rbridge._prepare(df, weights, offset)
    rdf = _rbridge.to_r(frame)
    null = ro.NULL
    with _rbridge._LOCK:
        res = env["fit_tmbf"](ro.StrVector([formula]), rdf, ro.StrVector([data_name]),
                              ro.StrVector([family]), ro.StrVector([ziformula]),
                              ro.StrVector([dispformula]), ro.BoolVector([bool(REML)]),
                              ro.StrVector([wname]) if wname else null,
                              ro.StrVector([oname]) if oname else null)
    out = _normalise(_rbridge._vector_to_py(res))
    if "error" in out:
        raise _rbridge.RFitError(f"glmmTMB::glmmTMB failed on {formula!r}: {out['error']}")
    return out


def tmb_objective_at(par: Sequence[float]) -> tuple[float, np.ndarray]:
    """glmmTMB's ``obj$fn(par)`` and ``obj$gr(par)`` of the last :func:`fit_glmmtmb_family` fit."""
    ro, env = _env()
    with _rbridge._LOCK:
        res = env["tmbf_fn_gr"](ro.FloatVector([float(v) for v in par]))
    got = _rbridge._vector_to_py(res)
    return float(got["fn"]), np.asarray(_rbridge._as_list(got["gr"]), dtype=float)


def last_fit_extras() -> dict[str, Any]:
    """Of the last :func:`fit_glmmtmb_family` fit: ``print(m)`` at width 80 (``"print"``),
    ``residuals(m, type)`` for ``"response"``, ``"pearson"`` and ``"working"`` (a list of
    numbers, or ``{"error": message}``), ``nobs`` and ``df_resid``."""
    ro, env = _env()
    with _rbridge._LOCK:
        res = env["tmbf_extras"]()
    got = _rbridge._vector_to_py(res)
    out: dict[str, Any] = {"print": str(got["print"]), "nobs": int(got["nobs"]),
                           "df_resid": float(got["df_resid"])}
    for k in ("response", "pearson", "working"):
        v = got[k]
        if isinstance(v, dict) and "error" in v:
            out[k] = {"error": str(v["error"])}
        else:
            out[k] = np.asarray(_rbridge._as_list(v), dtype=float)
    return out


def summary_at(result: dict[str, Any]) -> str:
    """The summary text stored in a result of :func:`fit_glmmtmb_family`."""
    return str(result["summary"])
