"""The R bridge: one embedded R session (through rpy2) that fits lme4 and glmmTMB models.

Used by the parity suite, the benchmark and the lessons. The API is deliberately small:

- :func:`available` — can R, rpy2, lme4 and glmmTMB be used in this process?
- :func:`require` — the same, but raises :class:`RUnavailableError` with install instructions.
- :func:`to_r` / :func:`from_r` — pandas ``DataFrame`` <-> R ``data.frame``; categoricals
  become factors with the *same level order* and missing values become ``NA``.
- :func:`fit_lmer`, :func:`fit_glmmtmb` — fit a model in R and return plain Python results
  (full-precision floats, lists and dicts; no rpy2 objects) in the layout of
  :data:`RESULT_KEYS`.
- :func:`r_dataset` — an R dataset (e.g. lme4's ``sleepstudy``) as a DataFrame.
- :func:`versions` — R, lme4, glmmTMB and rpy2 versions.

rpy2 is imported lazily, on first use: ``import mixedlab`` (and ``import mixedlab.parity``)
never starts R.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mixedlab._errors import MixedLabError

__all__ = [
    "INSTALL_HINT",
    "RESULT_KEYS",
    "RUnavailableError",
    "RFitError",
    "available",
    "unavailable_reason",
    "require",
    "to_r",
    "from_r",
    "fit_lmer",
    "fit_glmmtmb",
    "r_dataset",
    "versions",
]

INSTALL_HINT = (
    "Install R with lme4 and glmmTMB and the Python bridge rpy2:\n"
    "  Debian/Ubuntu: apt-get install --no-install-recommends r-base-core r-cran-lme4 r-cran-glmmtmb\n"
    "  then:          pip install rpy2==3.5.17   (or: pip install 'mixedlab[r]')\n"
    "  conda:         conda env create -f environment.yml\n"
    "rpy2 3.6 needs R >= 4.5; with R 4.2 (Debian 12) use rpy2 3.5.17."
)

#: Keys of the dict returned by :func:`fit_lmer` / :func:`fit_glmmtmb` (and produced for
#: mixedlab fits by the harness), so all three sides can be compared key by key.
RESULT_KEYS = (
    "objective",  # REML criterion (REML fits) or ML deviance (ML fits): -2 * logLik
    "loglik",
    "fixef",  # {name: value} in model-matrix column order
    "se",  # {name: standard error}
    "sigma",
    "varcorr",  # rows of as.data.frame(VarCorr(m)): {grp, var1, var2, vcov, sdcor}
    "ranef",  # {group: {"levels": [...], "columns": [...], "values": [[row], ...]}}
    "nobs",
    "ngroups",  # {group: number of levels}
    "is_singular",
    "theta",
    "conv_warnings",  # convergence-check warnings only (not the singular-fit message)
    "warnings",  # every R warning raised during the fit
    "messages",  # every R message raised during the fit
)


class RUnavailableError(MixedLabError, RuntimeError):
    """R, rpy2, lme4 or glmmTMB cannot be used; the message says how to install them."""


class RFitError(MixedLabError, RuntimeError):
    """R raised an error while fitting; the message carries R's own error text."""


# --------------------------------------------------------------------------------------
# Availability
# --------------------------------------------------------------------------------------

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}


def _probe() -> str | None:
    """Return ``None`` when R is usable, otherwise the reason it is not (cached)."""
    with _LOCK:
        if "reason" in _STATE:
            return _STATE["reason"]
        reason = _probe_uncached()
        _STATE["reason"] = reason
        return reason


def _probe_uncached() -> str | None:
    # Check the cheap, crash-free things first: embedding an R whose R_HOME is missing can
    # abort the whole process inside rpy2, so never try it when R plainly is not there.
    r_home = os.environ.get("R_HOME")
    if r_home and not os.path.isdir(r_home):
        return f"R_HOME={r_home!r} does not exist"
    if not r_home and shutil.which("R") is None and shutil.which("Rscript") is None:
        return "R is not installed (no R or Rscript on PATH and R_HOME is not set)"
    try:
        import rpy2  # noqa: F401
    except ImportError:
        return "the Python package rpy2 is not installed"
    try:
        import rpy2.robjects as ro
    except Exception as exc:  # rpy2 raises assorted errors when R cannot be embedded
        return f"rpy2 could not start R: {exc}"
    try:
        missing = list(
            ro.r(
                'c("lme4", "glmmTMB")[!vapply(c("lme4", "glmmTMB"), requireNamespace, '
                "logical(1), quietly = TRUE)]"
            )
        )
    except Exception as exc:
        return f"R started but failed to check for lme4/glmmTMB: {exc}"
    if missing:
        return "R packages not installed: " + ", ".join(missing)
    return None


def available() -> bool:
    """Return whether R (with lme4 and glmmTMB) can be used through rpy2 in this process."""
    return _probe() is None


def unavailable_reason() -> str | None:
    """Return why R cannot be used, or ``None`` when it can."""
    return _probe()


def require() -> None:
    """Raise :class:`RUnavailableError` with install instructions unless R can be used."""
    reason = _probe()
    if reason is not None:
        raise RUnavailableError(f"R is needed here but {reason}.\n{INSTALL_HINT}")


# --------------------------------------------------------------------------------------
# The R side: helper functions defined once in a private environment
# --------------------------------------------------------------------------------------

# Written for this project. Every helper returns plain lists/vectors so the Python side
# converts them without rpy2's pandas converters (whose behaviour varies by version).
_R_HELPERS = r"""
suppressPackageStartupMessages({ library(lme4); library(glmmTMB) })

capture <- function(expr) {
  warns <- character(0); msgs <- character(0)
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(list(msg = conditionMessage(e)), class = "mlerr")),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = value, warnings = warns, messages = msgs)
}

build_call <- function(fun, formula, data, REML, weights, offset) {
  args <- list(formula = as.formula(formula, env = globalenv()), data = data, REML = REML,
               na.action = quote(na.omit))
  if (!is.null(weights)) {
    if (fun == "glmmTMB") {
      # glmmTMB's `weights` multiply each log-density (frequency-weight style); lme4's prior
      # weights divide the residual variance instead. glmmTMB's Gaussian dispersion model is
      # log(sigma^2), so this offset gives sigma_i^2 = sigma^2 / w_i: lme4's model exactly.
      args$dispformula <- as.formula(paste0("~ offset(-log(", weights, "))"), env = globalenv())
    } else args$weights <- as.name(weights)
  }
  if (!is.null(offset)) args$offset <- as.name(offset)
  as.call(c(as.name(fun), args))
}

ranef_list <- function(re) {
  # by position: glmmTMB may repeat a group name (e.g. (1 | S) + (0 + x | S)); make.unique
  # then names the second one "S.1", lme4's own convention.
  out <- lapply(seq_along(re), function(k) {
    d <- re[[k]]
    list(levels = rownames(d), columns = colnames(d),
         values = lapply(seq_len(nrow(d)), function(i) as.numeric(d[i, , drop = TRUE])))
  })
  names(out) <- make.unique(names(re))
  out
}

vc_rows <- function(grp, var1, var2, vcov, sdcor) {
  list(grp = as.character(grp), var1 = as.character(var1), var2 = as.character(var2),
       vcov = as.numeric(vcov), sdcor = as.numeric(sdcor))
}

# fit with `fun` ("lmer" or "glmmTMB"), then `extract` the results; every R warning and
# message of both steps is kept, and a failed fit is returned as its error text
fit_and_extract <- function(fun, extract, formula, data, REML, weights, offset) {
  cap <- capture(eval(build_call(fun, formula, data, REML, weights, offset)))
  m <- cap$value
  if (inherits(m, "mlerr")) return(list(error = m$msg, warnings = cap$warnings, messages = cap$messages))
  ext <- capture(extract(m))
  c(ext$value, list(warnings = c(cap$warnings, ext$warnings), messages = c(cap$messages, ext$messages)))
}

fit_lmer <- function(formula, data, REML, weights, offset)
  fit_and_extract("lmer", lmer_extract, formula, data, REML, weights, offset)

lmer_extract <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  conv <- m@optinfo$conv$lme4$messages
  conv <- conv[!grepl("singular", conv)]
  ll <- logLik(m)
  list(
    objective = -2 * as.numeric(ll),
    loglik = as.numeric(ll),
    deviance = tryCatch(as.numeric(deviance(m, REML = FALSE)), error = function(e) NA_real_),
    aic = AIC(m), bic = BIC(m), df_resid = df.residual(m),
    fixef = as.list(fixef(m)),
    se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    sigma = sigma(m),
    theta = as.numeric(getME(m, "theta")),
    varcorr = vc_rows(vc$grp, vc$var1, vc$var2, vc$vcov, vc$sdcor),
    ranef = ranef_list(ranef(m)),
    nobs = nobs(m),
    ngroups = as.list(ngrps(m)),
    is_singular = isSingular(m),
    n_evals = m@optinfo$feval,
    conv_warnings = as.character(conv))
}

tmb_varcorr <- function(m) {
  vc <- VarCorr(m)$cond
  g <- character(0); v1 <- character(0); v2 <- character(0); cv <- numeric(0); sc <- numeric(0)
  for (k in seq_along(vc)) {
    grp <- names(vc)[k]; M <- vc[[k]]; sds <- attr(M, "stddev"); cr <- attr(M, "correlation"); nm <- colnames(M)
    for (i in seq_along(nm)) { g <- c(g, grp); v1 <- c(v1, nm[i]); v2 <- c(v2, NA); cv <- c(cv, M[i, i]); sc <- c(sc, sds[i]) }
    if (length(nm) > 1 && !identical(unname(attr(M, "blockCode")), 0)) {
      for (i in 1:(length(nm) - 1)) for (j in (i + 1):length(nm)) {
        g <- c(g, grp); v1 <- c(v1, nm[i]); v2 <- c(v2, nm[j]); cv <- c(cv, M[i, j]); sc <- c(sc, cr[i, j])
      }
    }
  }
  s <- sigma(m)
  vc_rows(c(g, "Residual"), c(v1, NA), c(v2, NA), c(cv, s^2), c(sc, s))
}

fit_glmmtmb <- function(formula, data, REML, weights, offset)
  fit_and_extract("glmmTMB", tmb_extract, formula, data, REML, weights, offset)

tmb_extract <- function(m) {
  ll <- logLik(m)
  V <- vcov(m)$cond
  conv <- character(0)
  if (!identical(m$fit$convergence, 0L) && !identical(m$fit$convergence, 0)) conv <- c(conv, m$fit$message)
  if (!isTRUE(m$sdr$pdHess)) conv <- c(conv, "non-positive-definite Hessian matrix")
  list(
    objective = -2 * as.numeric(ll),
    loglik = as.numeric(ll),
    fixef = as.list(fixef(m)$cond),
    se = as.list(sqrt(diag(as.matrix(V)))),
    sigma = sigma(m),
    varcorr = tmb_varcorr(m),
    ranef = ranef_list(ranef(m)$cond),
    nobs = nobs(m),
    ngroups = as.list(vapply(m$modelInfo$reTrms$cond$flist, nlevels, 1L)),
    n_evals = as.integer(m$fit$evaluations[["function"]]),
    conv_warnings = as.character(conv))
}

versions <- function() {
  list(R = R.version.string,
       lme4 = as.character(packageVersion("lme4")),
       glmmTMB = as.character(packageVersion("glmmTMB")),
       Matrix = as.character(packageVersion("Matrix")),
       TMB = as.character(packageVersion("TMB")))
}
"""


def _session():
    """Return ``(robjects, helper_env)``, starting R and defining the helpers once."""
    require()
    with _LOCK:
        if "env" not in _STATE:
            import rpy2.robjects as ro

            env = ro.r("new.env(parent = globalenv())")
            ro.r["eval"](ro.r["parse"](text=_R_HELPERS), envir=env)
            _STATE["ro"], _STATE["env"] = ro, env
        return _STATE["ro"], _STATE["env"]


def _session_with(key: str, code: str):
    """:func:`_session`, with the R definitions in ``code`` evaluated into the helper env once.

    ``key`` names the definitions in the session state, so each caller module (glmer,
    glmmTMB, simulate references) loads its R code on first use only.
    """
    ro, env = _session()
    with _LOCK:
        if key not in _STATE:
            ro.r["eval"](ro.r["parse"](text=code), envir=env)
            _STATE[key] = True
    return ro, env


# --------------------------------------------------------------------------------------
# pandas <-> R
# --------------------------------------------------------------------------------------


def _level_names(categories: pd.Index) -> list[str]:
    """Level labels as R sees them: ``str`` of each category, in the categorical's order."""
    return [str(c) for c in categories]


def _column_to_r(name: str, col: pd.Series):
    ro, _ = _session()
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        levels = _level_names(dtype.categories)
        codes = col.cat.codes.to_numpy()
        # R factors are 1-based integer codes with a "levels" attribute; NA for code -1.
        values = [ro.NA_Integer if c < 0 else int(c) + 1 for c in codes]
        vec = ro.IntVector(values)
        vec.do_slot_assign("levels", ro.StrVector(levels))
        vec.rclass = ro.StrVector(["ordered", "factor"] if dtype.ordered else ["factor"])
        return vec
    if pd.api.types.is_bool_dtype(dtype):
        return ro.BoolVector([ro.NA_Logical if pd.isna(v) else bool(v) for v in col.tolist()])
    if pd.api.types.is_integer_dtype(dtype):
        return ro.IntVector([ro.NA_Integer if pd.isna(v) else int(v) for v in col.tolist()])
    if pd.api.types.is_float_dtype(dtype):
        arr = col.to_numpy(dtype=float, na_value=np.nan)
        return ro.FloatVector([ro.NA_Real if np.isnan(v) else float(v) for v in arr])
    if pd.api.types.is_string_dtype(dtype) or dtype == object:
        # Plain text stays character: lme4 then makes factors exactly as an R user would get.
        # Give a pd.Categorical to fix the level order explicitly.
        vals = col.tolist()
        if not all(pd.isna(v) or isinstance(v, str) for v in vals):
            raise TypeError(
                f"column {name!r} mixes text and other objects; convert it to a pandas "
                "Categorical (df[col].astype('category')) or to numbers before sending it to R"
            )
        return ro.StrVector([ro.NA_Character if pd.isna(v) else v for v in vals])
    raise TypeError(
        f"column {name!r} has dtype {dtype} which the R bridge does not convert; "
        "use numbers, booleans, text or a pandas Categorical"
    )


def to_r(df: pd.DataFrame):
    """Convert a DataFrame to an R ``data.frame`` (an rpy2 object); ``df`` is not modified.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns of float, integer, boolean, text or categorical dtype. Categoricals become
        R factors with the *same level order* (ordered categoricals become ordered factors);
        level labels are ``str(category)``. NaN/None/pd.NA become ``NA``. Text columns stay
        character vectors (lme4 turns them into factors with R's sorting); pass a
        Categorical to control the order.

    Returns
    -------
    rpy2.robjects.vectors.DataFrame
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"to_r expects a pandas DataFrame, got {type(df).__name__}")
    ro, _ = _session()
    items = [(str(name), _column_to_r(str(name), df[name])) for name in df.columns]
    items.append(("stringsAsFactors", ro.BoolVector([False])))
    items.append(("check.names", ro.BoolVector([False])))
    return ro.vectors.DataFrame(ro.baseenv["data.frame"].rcall(items, ro.globalenv))


def from_r(rdf) -> pd.DataFrame:
    """Convert an R ``data.frame`` (rpy2 object) to a DataFrame; factors become Categoricals.

    Factor level order is kept; ordered factors become ordered Categoricals; ``NA`` becomes
    NaN (numbers), ``None`` (text) or a missing category code.
    """
    ro, _ = _session()
    is_factor = ro.baseenv["is.factor"]
    is_ordered = ro.baseenv["is.ordered"]
    out: dict[str, Any] = {}
    for name, col in zip(rdf.names, rdf):
        if is_factor(col)[0]:
            levels = list(ro.baseenv["levels"](col))
            codes = np.array(ro.baseenv["as.integer"](col), dtype=object)
            icodes = np.array([-1 if c is ro.NA_Integer or c == ro.NA_Integer else c - 1 for c in codes])
            out[name] = pd.Categorical.from_codes(icodes, categories=levels, ordered=bool(is_ordered(col)[0]))
        else:
            out[name] = _vector_to_py(col, keep_vector=True)
            if isinstance(out[name], list):
                if all(isinstance(v, (float, type(None))) for v in out[name]):
                    out[name] = np.array([np.nan if v is None else v for v in out[name]], dtype=float)
    frame = pd.DataFrame(out)
    return frame


# --------------------------------------------------------------------------------------
# R results -> plain Python
# --------------------------------------------------------------------------------------


def _vector_to_py(obj, keep_vector: bool = False) -> Any:
    """Recursively convert rpy2 objects to Python: named lists -> dict, vectors -> lists.

    Length-1 atomic vectors become scalars unless ``keep_vector``; ``NA`` becomes ``None``.
    Numbers are returned as Python floats, which hold R's doubles exactly.
    """
    import rpy2.rinterface as ri
    import rpy2.robjects as ro

    if obj is ri.NULL or obj is None:
        return None
    if isinstance(obj, (ro.vectors.ListVector, ri.ListSexpVector)):
        names = list(obj.names) if obj.names is not ri.NULL and obj.names is not None else None
        items = [_vector_to_py(v) for v in obj]
        if names:
            return dict(zip(names, items))
        return items
    if isinstance(obj, (ri.FloatSexpVector,)):
        # NA_real_ and NaN both become None (R's is.na is TRUE for both; JSON has no NaN).
        vals = [None if (v is ri.NA_Real or np.isnan(v)) else float(v) for v in obj]
    elif isinstance(obj, ri.IntSexpVector):
        vals = [None if (v is ri.NA_Integer or v == ri.NA_Integer) else int(v) for v in obj]
    elif isinstance(obj, ri.BoolSexpVector):
        vals = [None if v is ri.NA_Logical else bool(v) for v in obj]
    elif isinstance(obj, ri.StrSexpVector):
        vals = [None if v is ri.NA_Character else str(v) for v in obj]
    else:
        return obj
    if not keep_vector and len(vals) == 1:
        return vals[0]
    return vals


def _as_named(value: Any) -> dict[str, float]:
    """R named numeric list (possibly length 1) as an ordered ``{name: float}``."""
    if isinstance(value, dict):
        return {k: float(v) if v is not None else float("nan") for k, v in value.items()}
    raise TypeError(f"expected a named list from R, got {type(value).__name__}")


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Give scalars/lists a fixed shape whatever their length in R."""
    if "error" in raw:
        return {
            "error": raw["error"],
            "warnings": _as_list(raw.get("warnings")),
            "messages": _as_list(raw.get("messages")),
        }
    out = dict(raw)
    out["fixef"] = _as_named(raw["fixef"])
    out["se"] = _as_named(raw["se"])
    vc = raw["varcorr"]
    cols = {k: _as_list(vc[k]) for k in ("grp", "var1", "var2", "vcov", "sdcor")}
    out["varcorr"] = [
        {k: cols[k][i] for k in ("grp", "var1", "var2", "vcov", "sdcor")} for i in range(len(cols["grp"]))
    ]
    ranef = {}
    for g, block in (raw["ranef"] or {}).items():
        values = [_as_list(row) for row in _as_list(block["values"])]
        ranef[g] = {"levels": _as_list(block["levels"]), "columns": _as_list(block["columns"]), "values": values}
    out["ranef"] = ranef
    out["ngroups"] = {k: int(v) for k, v in (raw["ngroups"] or {}).items()}
    for key in ("conv_warnings", "warnings", "messages"):
        out[key] = [str(s) for s in _as_list(raw.get(key))]
    if "theta" in raw:
        out["theta"] = [float(v) for v in _as_list(raw["theta"])]
    out["nobs"] = int(raw["nobs"])
    return out


# --------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------

_HIDDEN = {"weights": ".mixedlab_weights", "offset": ".mixedlab_offset"}


def _prepare(df: pd.DataFrame, weights, offset) -> tuple[pd.DataFrame, str | None, str | None]:
    """Return the frame to send and the column names to use for weights/offset.

    ``weights``/``offset`` may be a column name of ``df`` or a full-length array; an array is
    added to a *copy* of the frame under a hidden name so R drops NA rows from it together
    with the data (as ``model.frame`` does for a weights column).
    """
    names: dict[str, str | None] = {}
    frame = df
    for kind, value in (("weights", weights), ("offset", offset)):
        if value is None:
            names[kind] = None
        elif isinstance(value, str):
            if value not in df.columns:
                raise KeyError(f"{kind}={value!r} is not a column of the data; columns: {list(df.columns)}")
            names[kind] = value
        else:
            arr = np.asarray(value, dtype=float)
            if arr.shape != (len(df),):
                raise ValueError(f"{kind} must have one value per row ({len(df)}), got shape {arr.shape}")
            if frame is df:
                frame = df.copy()
            frame[_HIDDEN[kind]] = arr
            names[kind] = _HIDDEN[kind]
    return frame, names["weights"], names["offset"]


def _fit(fun: str, formula: str, df: pd.DataFrame, REML: bool, weights, offset) -> dict[str, Any]:
    ro, env = _session()
    frame, wname, oname = _prepare(df, weights, offset)
    rdf = to_r(frame)
    null = ro.NULL
    with _LOCK:
        res = env[fun](
            ro.StrVector([formula]),
            rdf,
            ro.BoolVector([bool(REML)]),
            ro.StrVector([wname]) if wname else null,
            ro.StrVector([oname]) if oname else null,
        )
    out = _normalise(_vector_to_py(res))
    if "error" in out:
        raise RFitError(f"{'lme4::lmer' if fun == 'fit_lmer' else 'glmmTMB::glmmTMB'} failed on {formula!r}: {out['error']}")
    return out


def fit_lmer(
    formula: str,
    df: pd.DataFrame,
    REML: bool = True,
    weights: str | Sequence[float] | None = None,
    offset: str | Sequence[float] | None = None,
) -> dict[str, Any]:
    """Fit ``lme4::lmer(formula, data = df, REML = REML, ...)`` in R and return its results.

    Parameters
    ----------
    formula : str
        An lme4 formula, e.g. ``"Reaction ~ Days + (Days | Subject)"``.
    df : pandas.DataFrame
        The data (converted with :func:`to_r`; not modified). Rows with NA in a model
        variable are dropped by ``na.omit``, lme4's default.
    REML : bool
        REML (lme4's default) or maximum likelihood.
    weights, offset : str or array-like, optional
        A column name of ``df`` or one value per row.

    Returns
    -------
    dict
        Keys of :data:`RESULT_KEYS` plus ``deviance`` (``deviance(m, REML = FALSE)``),
        ``aic``, ``bic``, ``df_resid`` and ``n_evals``. ``objective`` is ``-2 * logLik(m)``:
        the REML criterion for REML fits, the deviance for ML fits. Floats are R's doubles
        exactly.

    Raises
    ------
    RUnavailableError
        R, rpy2 or the R packages are missing.
    RFitError
        lmer stopped with an error (its message is included).
    """
    return _fit("fit_lmer", formula, df, REML, weights, offset)


def fit_glmmtmb(
    formula: str,
    df: pd.DataFrame,
    REML: bool = True,
    weights: str | Sequence[float] | None = None,
    offset: str | Sequence[float] | None = None,
) -> dict[str, Any]:
    """Fit ``glmmTMB::glmmTMB(formula, data = df, REML = REML, ...)`` (Gaussian) in R.

    Same arguments and result layout as :func:`fit_lmer`. glmmTMB's ``VarCorr`` is
    converted to lme4's ``as.data.frame(VarCorr(m))`` rows, except that glmmTMB keeps the
    terms of a ``||`` expansion in one group (``Subject`` rather than ``Subject`` and
    ``Subject.1``) with no covariance rows, and lists groups in its own order; match rows by
    ``(grp, var1, var2)`` with any ``.N`` suffix of lme4's group name removed. Note glmmTMB
    defaults to ML; here ``REML`` is always passed explicitly. There is no ``theta``,
    ``is_singular`` or ``deviance`` entry.

    ``weights`` are lme4's prior weights (residual variance sigma^2 / w). glmmTMB's own
    ``weights=`` argument means something else for the Gaussian family (it multiplies each
    log-density), so they are passed as ``dispformula = ~ offset(-log(w))`` instead, which
    is the same model as lme4's (objectives agree to ~1e-9 on the corpus).
    """
    return _fit("fit_glmmtmb", formula, df, REML, weights, offset)


def r_dataset(name: str, package: str = "lme4") -> pd.DataFrame:
    """Return dataset ``name`` of R package ``package`` as a DataFrame (factors -> Categorical)."""
    ro, _ = _session()
    code = f'local({{ e <- new.env(); utils::data(list = "{name}", package = "{package}", envir = e); get("{name}", envir = e) }})'
    return from_r(ro.r(code))


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Return the versions of R, lme4, glmmTMB, Matrix, TMB and rpy2 in use."""
    ro, env = _session()
    import rpy2

    out = {k: str(v) for k, v in _vector_to_py(env["versions"]()).items()}
    out["rpy2"] = rpy2.__version__
    return out
