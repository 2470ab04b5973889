"""R's inference for linear mixed models, through the R bridge: lmerTest, pbkrtest, lme4, broom.mixed.

:class:`RModel` fits one model in R with ``lmerTest::lmer`` (an ``lmerModLmerTest``, which is
also an lme4 ``lmerMod``) and answers the questions the parity suite asks of it:

- :meth:`RModel.coef_table` — ``coef(summary(m, ddf=))``;
- :meth:`RModel.anova` — ``anova(m, type=, ddf=)`` (a single-model F table);
- :meth:`RModel.ranova`, :meth:`RModel.drop1` — lmerTest's ``ranova`` and ``drop1``;
- :meth:`RModel.hypotheses` — the contrasts lmerTest's ``anova`` tests;
- :meth:`RModel.summary_text`, :meth:`RModel.print_text` — what R prints, at width 80;
- :meth:`RModel.satterthwaite` — lmerTest's ``vcov_varpar`` and ``Jac_list``;
- :meth:`RModel.vcov_adj` — ``pbkrtest::vcovAdj`` (Kenward–Roger's adjusted covariance);
- :meth:`RModel.confint` — lme4's ``confint(m, method=, level=)``, the bootstrap after
  ``set.seed(seed)``;
- :meth:`RModel.tidy`, :meth:`RModel.glance`, :meth:`RModel.augment` — broom.mixed;
- :meth:`RModel.time` — elapsed seconds of an R expression on the model (benchmarks).

Results are plain Python (pandas frames of floats, strings); R is started on first use, in
the session of :mod:`mixedlab.parity._rbridge`.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mixedlab.parity import _rbridge

__all__ = ["RModel", "available", "require", "versions", "doolittle"]

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}

# Written for this project. Models live in an environment that also holds the data under
# the name the user gave it, so that R's printed "Data:" line and lmerTest's update()
# (ranova refits) find it as they would in a user's session.
_R_CODE = r"""
# The packages are loaded, not attached: attaching lmerTest would mask lme4's lmer for every
# other user of this R session.
suppressPackageStartupMessages({ for (p in c("lme4", "lmerTest", "pbkrtest", "broom.mixed")) loadNamespace(p) })

inf_fit <- function(formula, data, dname, REML, weights, offset) {
  e <- new.env(parent = globalenv())
  assign(dname, data, envir = e)
  args <- list(formula = as.formula(formula, env = e), data = as.name(dname))
  if (!REML) args$REML <- FALSE
  if (!is.null(weights)) args$weights <- as.name(weights)
  if (!is.null(offset)) args$offset <- as.name(offset)
  cl <- as.call(c(list(quote(lmerTest::lmer)), args))
  m <- suppressMessages(eval(cl, e))
  assign(".model", m, envir = e)
  assign(".dname", dname, envir = e)
  e
}

# R's update() (ranova's refits) looks the data up in the formula's environment, then in the
# first frame of the call stack: inf_ranova's own frame, called from Python, where it puts the
# model's data under its name (never in the global environment, which other callers share)

mat_out <- function(x) {
  x <- as.data.frame(x, check.names = FALSE, stringsAsFactors = FALSE)
  list(rn = rownames(x), cn = colnames(x),
       v = lapply(x, function(col) if (is.factor(col)) as.character(col) else col))
}

text_of <- function(x, ...) { old <- options(width = 80); on.exit(options(old)); suppressMessages(capture.output(print(x, ...))) }

inf_coef <- function(e, ddf) mat_out(coef(summary(e$.model, ddf = ddf)))
inf_summary_text <- function(e, ddf) text_of(summary(e$.model, ddf = ddf))
inf_anova <- function(e, type, ddf) { a <- anova(e$.model, type = type, ddf = ddf); list(tab = mat_out(a), text = text_of(a)) }
inf_hyp <- function(e, type) {
  h <- attr(anova(e$.model, type = type), "hypotheses")
  lapply(h, function(L) list(v = as.numeric(L), nr = nrow(L), nc = ncol(L)))
}
inf_doolittle <- function(x) lmerTest:::doolittle(x)$L
inf_ranova <- function(e) { assign(e$.dname, get(e$.dname, envir = e)); a <- lmerTest::ranova(e$.model); list(tab = mat_out(a), text = text_of(a)) }
inf_drop1 <- function(e, ddf) { a <- drop1(e$.model, ddf = ddf); list(tab = mat_out(a), text = text_of(a)) }
inf_satt <- function(e) list(vcov_varpar = as.numeric(e$.model@vcov_varpar),
                             jac = lapply(e$.model@Jac_list, as.numeric),
                             varpar = c(e$.model@theta, e$.model@sigma))
inf_vcov_adj <- function(e) { V <- pbkrtest::vcovAdj(e$.model); list(phiA = as.numeric(as.matrix(V)), phi = as.numeric(as.matrix(vcov(e$.model)))) }
inf_confint <- function(e, method, level, nsim, seed) {
  m <- as(e$.model, "lmerMod")
  if (!is.null(seed)) set.seed(seed)
  ci <- suppressWarnings(suppressMessages(
    if (method == "boot") confint(m, method = "boot", level = level, nsim = nsim, quiet = TRUE)
    else confint(m, method = method, level = level, quiet = TRUE)))
  mat_out(ci)
}
inf_tidy <- function(e, lme4, effects, conf_int, conf_level) {
  m <- if (lme4) as(e$.model, "lmerMod") else e$.model
  as.data.frame(broom.mixed::tidy(m, effects = effects, conf.int = conf_int, conf.level = conf_level))
}
inf_glance <- function(e) as.data.frame(broom.mixed::glance(as(e$.model, "lmerMod")))
inf_augment <- function(e) as.data.frame(broom.mixed::augment(as(e$.model, "lmerMod")))
inf_time <- function(e, code, reps) {
  m <- e$.model; f <- parse(text = code)[[1]]
  t <- numeric(reps)
  for (i in seq_len(reps)) t[i] <- system.time(eval(f))[["elapsed"]]
  t
}
inf_versions <- function() list(R = R.version.string,
  lme4 = as.character(packageVersion("lme4")), lmerTest = as.character(packageVersion("lmerTest")),
  pbkrtest = as.character(packageVersion("pbkrtest")), broom.mixed = as.character(packageVersion("broom.mixed")),
  numDeriv = as.character(packageVersion("numDeriv")))
"""


def available() -> bool:
    """Whether R with lme4, lmerTest, pbkrtest and broom.mixed can be used."""
    if not _rbridge.available():
        return False
    try:
        _env()
    except Exception:
        return False
    return True


def require() -> None:
    """Raise :class:`mixedlab.parity._rbridge.RUnavailableError` unless R can be used."""
    _rbridge.require()
    _env()


def _env():
    with _LOCK:
        if "env" not in _STATE:
            ro, _ = _rbridge._session()
            try:
                env = ro.r("new.env(parent = globalenv())")
                ro.r["eval"](ro.r["parse"](text=_R_CODE), envir=env)
            except Exception as exc:
                raise _rbridge.RUnavailableError(
                    f"R is running but lmerTest, pbkrtest or broom.mixed failed to load ({exc}).\n"
                    "Install them: apt-get install r-cran-lmertest r-cran-pbkrtest r-cran-broom.mixed"
                ) from exc
            _STATE["ro"], _STATE["env"] = ro, env
        return _STATE["ro"], _STATE["env"]


def doolittle(x: np.ndarray) -> np.ndarray:
    """lmerTest's internal ``doolittle(x)$L``."""
    ro, env = _env()
    m = ro.r["matrix"](ro.FloatVector(np.asarray(x, dtype=float).ravel(order="F")), nrow=x.shape[0])
    return np.asarray(env["inf_doolittle"](m)).reshape(x.shape, order="F")


def versions() -> dict[str, str]:
    """R and the versions of the R packages this module calls."""
    ro, env = _env()
    return {k: str(v) for k, v in _rbridge._vector_to_py(env["inf_versions"]()).items()}


def _frame(raw: dict) -> pd.DataFrame:
    """A ``mat_out`` list as a DataFrame (row names as index; NA → NaN/None)."""
    cols = {}
    values = raw["v"]
    values = list(values.values()) if isinstance(values, dict) else _rbridge._as_list(values)
    names = _rbridge._as_list(raw["cn"])
    if len(names) == 1 and len(values) != 1:
        values = [values]  # one column: R's list of one vector came back as the vector
    for name, vals in zip(names, values):
        vals = _rbridge._as_list(vals)
        if all(v is None or isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            cols[name] = np.array([np.nan if v is None else float(v) for v in vals], dtype=float)
        else:
            cols[name] = vals
    rn = _rbridge._as_list(raw["rn"])
    return pd.DataFrame(cols, index=pd.Index([str(r) for r in rn]))


class RModel:
    """One model fitted in R by ``lmerTest::lmer`` (see the module docstring).

    Parameters
    ----------
    formula
        lme4 formula.
    data
        The data (sent with :func:`mixedlab.parity._rbridge.to_r`).
    data_name
        The name the data has in R (shown on the summary's "Data:" line).
    REML
        REML or ML.
    weights, offset
        Column names of ``data``.
    """

    def __init__(self, formula: str, data: pd.DataFrame, data_name: str = "data", REML: bool = True,
                 weights: str | None = None, offset: str | None = None) -> None:
        ro, env = _env()
        self._ro = ro
        self._fn = env
        rdf = _rbridge.to_r(data)
        null = ro.NULL
        with _LOCK:
            self._e = env["inf_fit"](ro.StrVector([formula]), rdf, ro.StrVector([data_name]),
                                     ro.BoolVector([bool(REML)]),
                                     ro.StrVector([weights]) if weights else null,
                                     ro.StrVector([offset]) if offset else null)
        self.formula = formula
        self.REML = REML

    def _call(self, name: str, *args) -> Any:
        with _LOCK:
            return self._fn[name](self._e, *args)

    def _py(self, obj) -> Any:
        return _rbridge._vector_to_py(obj)

    def coef_table(self, ddf: str = "Satterthwaite") -> pd.DataFrame:
        """``coef(summary(m, ddf = ddf))``; ``ddf="lme4"`` gives lme4's table."""
        return _frame(self._py(self._call("inf_coef", self._ro.StrVector([ddf]))))

    def summary_text(self, ddf: str = "Satterthwaite") -> str:
        """``print(summary(m, ddf = ddf))`` at width 80."""
        return "\n".join(_rbridge._as_list(self._py(self._call("inf_summary_text", self._ro.StrVector([ddf])))))

    def anova(self, type: int | str = 3, ddf: str = "Satterthwaite") -> tuple[pd.DataFrame, str]:
        """``anova(m, type=, ddf=)``: the table and its printed text."""
        out = self._py(self._call("inf_anova", self._ro.StrVector([str(type)]), self._ro.StrVector([ddf])))
        return _frame(out["tab"]), "\n".join(_rbridge._as_list(out["text"]))

    def hypotheses(self, type: int | str = 3) -> dict[str, np.ndarray]:
        """``attr(anova(m, type=), "hypotheses")``: the contrast matrix of each term."""
        out = self._py(self._call("inf_hyp", self._ro.StrVector([str(type)])))
        res = {}
        for name, h in out.items():
            v = np.asarray(_rbridge._as_list(h["v"]), dtype=float)
            res[name] = v.reshape((int(h["nr"]), int(h["nc"])), order="F")
        return res

    def ranova(self) -> tuple[pd.DataFrame, str]:
        """lmerTest's ``ranova(m)``: the table and its printed text."""
        out = self._py(self._call("inf_ranova"))
        return _frame(out["tab"]), "\n".join(_rbridge._as_list(out["text"]))

    def drop1(self, ddf: str = "Satterthwaite") -> tuple[pd.DataFrame, str]:
        """lmerTest's ``drop1(m, ddf=)``: the table and its printed text."""
        out = self._py(self._call("inf_drop1", self._ro.StrVector([ddf])))
        return _frame(out["tab"]), "\n".join(_rbridge._as_list(out["text"]))

    def satterthwaite(self) -> dict[str, Any]:
        """lmerTest's ``vcov_varpar`` (k × k) and ``Jac_list`` (k matrices p × p) and varpar."""
        out = self._py(self._call("inf_satt"))
        vp = np.asarray(_rbridge._as_list(out["varpar"]), dtype=float)
        k = vp.size
        V = np.asarray(_rbridge._as_list(out["vcov_varpar"]), dtype=float).reshape((k, k), order="F")
        jac = [np.asarray(_rbridge._as_list(j), dtype=float) for j in _rbridge._as_list(out["jac"])]
        p = int(round(np.sqrt(jac[0].size)))
        return {"varpar": vp, "vcov_varpar": V, "jac_list": [j.reshape((p, p), order="F") for j in jac]}

    def vcov_adj(self) -> tuple[np.ndarray, np.ndarray]:
        """``pbkrtest::vcovAdj(m)`` and ``vcov(m)``, as dense p × p arrays."""
        out = self._py(self._call("inf_vcov_adj"))
        a = np.asarray(_rbridge._as_list(out["phiA"]), dtype=float)
        b = np.asarray(_rbridge._as_list(out["phi"]), dtype=float)
        p = int(round(np.sqrt(a.size)))
        return a.reshape((p, p), order="F"), b.reshape((p, p), order="F")

    def confint(self, method: str = "profile", level: float = 0.95, nsim: int = 500,
                seed: int | None = None) -> pd.DataFrame:
        """lme4's ``confint(m, method=, level=)`` (``set.seed(seed)`` first when given)."""
        ro = self._ro
        out = self._call("inf_confint", ro.StrVector([method]), ro.FloatVector([level]),
                         ro.IntVector([int(nsim)]), ro.NULL if seed is None else ro.IntVector([int(seed)]))
        return _frame(self._py(out))

    def tidy(self, effects: Sequence[str] = ("fixed", "ran_pars"), conf_int: bool = False,
             conf_level: float = 0.95, lme4: bool = True) -> pd.DataFrame:
        """``broom.mixed::tidy`` of the lme4 fit (``lme4=False``: of the lmerTest fit)."""
        ro = self._ro
        with _LOCK:
            out = self._fn["inf_tidy"](self._e, ro.BoolVector([lme4]), ro.StrVector(list(effects)),
                                       ro.BoolVector([conf_int]), ro.FloatVector([conf_level]))
        return _rbridge.from_r(out)

    def glance(self) -> pd.DataFrame:
        """``broom.mixed::glance`` of the lme4 fit."""
        return _rbridge.from_r(self._call("inf_glance"))

    def augment(self) -> pd.DataFrame:
        """``broom.mixed::augment`` of the lme4 fit."""
        return _rbridge.from_r(self._call("inf_augment"))

    def time(self, code: str, reps: int = 3) -> list[float]:
        """Elapsed seconds of ``code`` (R, with the model as ``m``), ``reps`` times."""
        ro = self._ro
        out = self._call("inf_time", ro.StrVector([code]), ro.IntVector([int(reps)]))
        return [float(v) for v in _rbridge._as_list(self._py(out))]
