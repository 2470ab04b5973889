"""The R side of GLMM parity: ``lme4::glmer``, ``lme4::glmer.nb`` and glmmTMB's GLMMs.

Fits run in the R session of :mod:`mixedlab.parity._rbridge` (its helper functions
``capture``, ``ranef_list``, ``vc_rows`` and ``tmb_extract`` are reused) and return the
bridge's result layout (:data:`~mixedlab.parity._rbridge.RESULT_KEYS`) plus what a GLMM adds:

* ``deviance`` (``deviance(m)``: the sum of squared deviance residuals, not −2 logLik),
  ``aic``, ``bic``, ``df_resid``, ``cmp`` (``m@devcomp$cmp``), ``family``, ``link``,
  ``nb_theta`` (glmer.nb's θ), ``nAGQ``;
* ``summary``: ``print(summary(m))`` at ``options(width = 80)``, with the data given to R
  under the case's data name so the ``Data:`` line reads as a user's would;
* ``head``: the first 20 fitted values and residuals of each type, for the methods' tests.

``family`` is an R expression (``"binomial"``, ``'binomial(link = "probit")'``,
``'Gamma(link = "log")'``); ``"negative.binomial"`` means ``glmer.nb`` (glmmTMB: ``nbinom2``).
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from mixedlab.parity import _rbridge

__all__ = ["eval_on_glmer", "fit_glmer", "fit_glmmtmb_glmm", "glmer_summary_text"]

_R_GLMER = r"""
glmer_call <- function(fun, formula, dname, family, nAGQ, weights, offset) {
  args <- list(formula = as.formula(formula, env = globalenv()), data = as.name(dname),
               na.action = quote(na.omit))
  if (fun == "glmer") { args$family <- str2lang(family); args$nAGQ <- as.integer(nAGQ) }
  if (fun == "glmmTMB") args$family <- str2lang(family)
  if (!is.null(weights)) args$weights <- as.name(weights)
  if (!is.null(offset)) args$offset <- as.name(offset)
  as.call(c(as.name(fun), args))
}

glmer_extract <- function(m) {
  old <- options(width = 80); on.exit(options(old))
  vc <- as.data.frame(VarCorr(m))
  conv <- m@optinfo$conv$lme4$messages
  conv <- conv[!grepl("singular", conv)]
  ll <- logLik(m)
  fam <- family(m)
  n20 <- seq_len(min(20L, nobs(m)))
  list(
    objective = -2 * as.numeric(ll), loglik = as.numeric(ll),
    deviance = as.numeric(deviance(m)), aic = AIC(m), bic = BIC(m), df_resid = df.residual(m),
    fixef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    vcov = lapply(seq_len(ncol(vcov(m))), function(j) as.numeric(as.matrix(vcov(m))[, j])),
    sigma = sigma(m), theta = as.numeric(getME(m, "theta")),
    varcorr = vc_rows(vc$grp, vc$var1, vc$var2, vc$vcov, vc$sdcor),
    ranef = ranef_list(ranef(m)), nobs = nobs(m), ngroups = as.list(ngrps(m)),
    is_singular = isSingular(m), n_evals = m@optinfo$feval,
    conv_warnings = as.character(conv),
    cmp = as.list(m@devcomp$cmp), family = fam$family, link = fam$link,
    nb_theta = if (grepl("^Negative ?Binomial", fam$family)) getME(m, "glmer.nb.theta") else NULL,
    nAGQ = m@devcomp$dims[["nAGQ"]],
    summary = paste(capture.output(print(summary(m))), collapse = "\n"),
    head = list(fitted = as.numeric(fitted(m))[n20],
                deviance = as.numeric(residuals(m, type = "deviance"))[n20],
                pearson = as.numeric(residuals(m, type = "pearson"))[n20],
                response = as.numeric(residuals(m, type = "response"))[n20],
                working = as.numeric(residuals(m, type = "working"))[n20],
                link = as.numeric(predict(m))[n20],
                population = as.numeric(predict(m, re.form = NA, type = "response"))[n20]))
}

fit_glmer <- function(formula, data, dname, family, nAGQ, weights, offset, nb) {
  env <- new.env(parent = globalenv()); assign(dname, data, envir = env)
  cap <- capture(eval(glmer_call(if (nb) "glmer.nb" else "glmer", formula, dname, family, nAGQ,
                                 weights, offset), env))
  m <- cap$value
  if (inherits(m, "mlerr")) return(list(error = m$msg, warnings = cap$warnings, messages = cap$messages))
  ext <- capture(glmer_extract(m))
  c(ext$value, list(warnings = c(cap$warnings, ext$warnings), messages = c(cap$messages, ext$messages)))
}

glmer_eval <- function(formula, data, dname, family, nAGQ, weights, offset, nb, exprs, newdata) {
  env <- new.env(parent = globalenv()); assign(dname, data, envir = env)
  m <- suppressWarnings(suppressMessages(eval(glmer_call(if (nb) "glmer.nb" else "glmer", formula, dname,
                                                         family, nAGQ, weights, offset), env)))
  old <- options(width = 80); on.exit(options(old))
  ev <- new.env(parent = env); assign("m", m, envir = ev); assign("newdata", newdata, envir = ev)
  out <- lapply(as.character(exprs), function(x) eval(parse(text = x), envir = ev))
  names(out) <- names(exprs)
  out
}

fit_glmmtmb_glmm <- function(formula, data, dname, family, weights, offset) {
  env <- new.env(parent = globalenv()); assign(dname, data, envir = env)
  if (family == "negative.binomial") family <- "nbinom2"
  cap <- capture(eval(glmer_call("glmmTMB", formula, dname, family, 1L, weights, offset), env))
  m <- cap$value
  if (inherits(m, "mlerr")) return(list(error = m$msg, warnings = cap$warnings, messages = cap$messages))
  ext <- capture(tmb_extract(m))
  c(ext$value, list(warnings = c(cap$warnings, ext$warnings), messages = c(cap$messages, ext$messages)))
}
"""


def _env():
    return _rbridge._session_with("glmer_env", _R_GLMER)


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    vc = raw.get("varcorr")
    if isinstance(vc, dict) and not isinstance(vc.get("grp"), list):
        # one row (a single term and no Residual row): R's length-1 vectors came back as scalars
        raw = {**raw, "varcorr": {k: [v] for k, v in vc.items()}}
    out = _rbridge._normalise(raw)
    if "error" in out:
        return out
    for key in ("cmp", "head"):
        if isinstance(raw.get(key), dict):
            out[key] = {k: (v if not isinstance(v, list) else [float(x) if x is not None else None for x in v])
                        for k, v in raw[key].items()}
    if isinstance(out.get("head"), dict):
        out["head"] = {k: _rbridge._as_list(v) for k, v in out["head"].items()}
    if "vcov" in raw:
        out["vcov"] = [_rbridge._as_list(c) for c in _rbridge._as_list(raw["vcov"])]
    return out


def _call(fun: str, formula: str, df: pd.DataFrame, data_name: str, *args) -> dict[str, Any]:
    ro, env = _env()
    frame, wname, oname = _rbridge._prepare(df, args[-2], args[-1])
    rdf = _rbridge.to_r(frame)
    conv = [ro.StrVector([a]) if isinstance(a, str) else ro.IntVector([a]) if isinstance(a, int) and not
            isinstance(a, bool) else ro.BoolVector([a]) for a in args[:-2]]
    null = ro.NULL
    with _rbridge._LOCK:
        if fun == "fit_glmer":
            res = env[fun](ro.StrVector([formula]), rdf, ro.StrVector([data_name]), conv[0], conv[1],
                           ro.StrVector([wname]) if wname else null, ro.StrVector([oname]) if oname else null,
                           conv[2])
        else:
            res = env[fun](ro.StrVector([formula]), rdf, ro.StrVector([data_name]), conv[0],
                           ro.StrVector([wname]) if wname else null, ro.StrVector([oname]) if oname else null)
    out = _normalise(_rbridge._vector_to_py(res))
    if "error" in out:
        who = "lme4::glmer" if fun == "fit_glmer" else "glmmTMB::glmmTMB"
        raise _rbridge.RFitError(f"{who} failed on {formula!r}: {out['error']}")
    return out


def fit_glmer(formula: str, df: pd.DataFrame, family: str = "binomial", nAGQ: int = 1,
              weights: str | Sequence[float] | None = None, offset: str | Sequence[float] | None = None,
              nb: bool = False, data_name: str = "data") -> dict[str, Any]:
    """Fit ``lme4::glmer`` (or ``glmer.nb`` when ``nb``) in R and return its results.

    Parameters
    ----------
    formula : str
        An lme4 formula; the response may be ``cbind(successes, failures)``.
    df : pandas.DataFrame
        The data (not modified); given to R under the name ``data_name``.
    family : str
        An R family expression, e.g. ``'binomial(link = "probit")'`` (ignored when ``nb``).
    nAGQ : int
        Laplace (1), adaptive Gauss–Hermite points (> 1), or 0.
    weights, offset : str or array-like, optional
        Column names of ``df`` or one value per row.

    Returns
    -------
    dict
        The bridge's result layout plus the GLMM keys listed in the module docstring.
    """
    return _call("fit_glmer", formula, df, data_name, family, int(nAGQ), bool(nb), weights, offset)


def fit_glmmtmb_glmm(formula: str, df: pd.DataFrame, family: str = "binomial",
                     weights: str | Sequence[float] | None = None,
                     offset: str | Sequence[float] | None = None, data_name: str = "data") -> dict[str, Any]:
    """Fit ``glmmTMB::glmmTMB(formula, family = family)`` in R (``nbinom2`` for glmer.nb cases)."""
    return _call("fit_glmmtmb_glmm", formula, df, data_name, family, weights, offset)


def eval_on_glmer(formula: str, df: pd.DataFrame, exprs: dict[str, str], family: str = "binomial",
                  nAGQ: int = 1, weights: str | None = None, offset: str | None = None, nb: bool = False,
                  data_name: str = "data", newdata: pd.DataFrame | None = None) -> dict[str, Any]:
    """Fit ``glmer`` (``glmer.nb`` when ``nb``) in R and evaluate R expressions on the fit.

    Each expression of ``exprs`` sees the fit as ``m`` and ``newdata`` (``NULL`` unless given),
    at ``options(width = 80)``: ``{"print": "capture.output(print(m))"}``.

    Returns
    -------
    dict
        The value of each expression under its key, converted as the bridge converts results.
    """
    ro, env = _env()
    frame, wname, oname = _rbridge._prepare(df, weights, offset)
    null = ro.NULL
    with _rbridge._LOCK:
        res = env["glmer_eval"](ro.StrVector([formula]), _rbridge.to_r(frame), ro.StrVector([data_name]),
                                ro.StrVector([family]), ro.IntVector([int(nAGQ)]),
                                ro.StrVector([wname]) if wname else null, ro.StrVector([oname]) if oname else null,
                                ro.BoolVector([bool(nb)]), _named_strings(ro, exprs),
                                _rbridge.to_r(newdata) if newdata is not None else null)
    return _rbridge._vector_to_py(res)


def _named_strings(ro, exprs: dict[str, str]):
    v = ro.StrVector(list(exprs.values()))
    v.names = ro.StrVector(list(exprs.keys()))
    return v


def glmer_summary_text(formula: str, df: pd.DataFrame, family: str = "binomial", nAGQ: int = 1,
                       data_name: str = "data", **kwargs: Any) -> str:
    """``print(summary(glmer(...)))`` at width 80, as R prints it."""
    return fit_glmer(formula, df, family, nAGQ, data_name=data_name, **kwargs)["summary"]
