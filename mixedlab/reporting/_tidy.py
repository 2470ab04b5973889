"""broom.mixed's ``tidy()`` of a mixed model, as a pandas DataFrame.

One row per parameter with broom.mixed's columns, in its order (``reorder_cols``):
``effect, group, level, term, estimate, std.error, statistic, df, p.value, conf.low,
conf.high`` — those the request produces:

* ``effect == "fixed"``: the coefficients with their standard errors and test statistics;
  ``group`` is missing (NaN, as R's NA). With ``ddf`` ("Satterthwaite" or "Kenward-Roger", broom.mixed's
  ``ddf.method`` for an lmerTest fit) also ``df`` and ``p.value``, and t-based intervals;
* ``effect == "ran_pars"``: the random-effect standard deviations and correlations, named as
  broom.mixed names them (``sd__(Intercept)``, ``cor__(Intercept).Days``, ``sd__Observation``
  for the residual) in its order, ``as.data.frame(VarCorr(m), order = "lower.tri")``: within a
  group the lower triangle column by column (sd of the first term, its correlations with the
  later terms, sd of the second term, ...);
* ``effect == "ran_vals"``: the conditional modes with their conditional SDs, one row per
  (group, level, term), with a ``level`` column.

Intervals (``conf_int=True``): fixed effects from ``confint(m, method = conf_method)`` (Wald:
normal quantiles) or, with ``ddf``, ``estimate ± qt((1 + level)/2, df)·SE``; random-effect
parameters from ``confint`` too (missing for Wald); conditional modes ``± qnorm·SE``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as t_dist

from mixedlab._errors import ArgumentError
from mixedlab.reporting._varcorr import varcorr_groups

__all__ = ["tidy", "TIDY_COLUMNS", "ALL_TIDY_COLUMNS"]

TIDY_COLUMNS = ["effect", "group", "term", "estimate", "std.error", "statistic"]
#: broom.mixed's column order (``reorder_cols``)
ALL_TIDY_COLUMNS = ["effect", "group", "level", "term", "estimate", "std.error", "statistic", "df",
                    "p.value", "conf.low", "conf.high"]
_EFFECTS = ("fixed", "ran_pars", "ran_vals")
_TEXT = ("effect", "group", "level", "term")


def _fixed_rows(fit: Any, ddf: str | None) -> list[dict]:
    if ddf is not None or hasattr(fit, "coef_table"):
        tab = fit.coef_table(ddf=ddf)
        rows = []
        for name, r in tab.iterrows():
            row = {"effect": "fixed", "group": np.nan, "term": str(name), "estimate": float(r["Estimate"]),
                   "std.error": float(r["Std. Error"]), "statistic": float(r["t value"])}
            if ddf is not None:
                row["df"] = float(r["df"])
                row["p.value"] = float(r["Pr(>|t|)"])
            rows.append(row)
        return rows
    fixef = pd.Series(fit.fixef)
    se = pd.Series(fit.se).reindex(fixef.index)
    rows = []
    for name in fixef.index:
        est, s = float(fixef[name]), float(se[name])
        rows.append({"effect": "fixed", "group": np.nan, "term": str(name), "estimate": est, "std.error": s,
                     "statistic": est / s if s != 0 else np.nan})
    return rows


def _ran_par_rows(fit: Any) -> list[dict]:
    groups, sigma = varcorr_groups(fit.varcorr)
    rows = []

    def add(group: str, term: str, value: float) -> None:
        rows.append({"effect": "ran_pars", "group": group, "term": term, "estimate": value,
                     "std.error": np.nan, "statistic": np.nan})

    for g in groups:
        k = len(g.terms)
        for j in range(k):
            add(g.name, f"sd__{g.terms[j]}", float(g.sd[j]))
            for i in range(j + 1, k):
                add(g.name, f"cor__{g.terms[j]}.{g.terms[i]}", float(g.corr[i, j]))
    if sigma is not None:
        add("Residual", "sd__Observation", float(sigma))
    return rows


def _ran_val_rows(fit: Any) -> list[dict]:
    # as.data.frame(ranef(m, condVar = TRUE)): per grouping factor, term by term, level by level
    rows = []
    for factor, df in fit.ranef.items():
        V = np.asarray(fit.ranef_condvar[factor], dtype=float)
        for j, col in enumerate(df.columns):
            sd = np.sqrt(V[:, j, j])
            for lev, val, s in zip(df.index.astype(str), df[col].to_numpy(dtype=float), sd):
                rows.append({"effect": "ran_vals", "group": str(factor), "level": str(lev), "term": str(col),
                             "estimate": float(val), "std.error": float(s), "statistic": np.nan})
    return rows


def tidy(fit: Any, effects: Sequence[str] = ("fixed", "ran_pars"), conf_int: bool = False,
         conf_level: float = 0.95, conf_method: str = "Wald", ddf: str | None = None) -> pd.DataFrame:
    """The model's parameters in broom.mixed's long format (see the module docstring).

    Parameters
    ----------
    fit : LmerFit or GlmerFit
        A fitted model (read through ``fixef``, ``se``, ``varcorr``, ``ranef``,
        ``ranef_condvar``, ``confint`` and, for lmerTest's tables, ``coef_table``).
    effects : sequence of {"fixed", "ran_pars", "ran_vals"}
        Which parameters to list; they come in broom.mixed's order (fixed, ran_pars, ran_vals)
        whatever the order given.
    conf_int, conf_level
        Add ``conf.low`` and ``conf.high`` at this level.
    conf_method : {"Wald", "profile", "boot"}
        How fixed-effect and random-parameter intervals are computed (``confint``'s method);
        conditional modes only have Wald intervals.
    ddf : {None, "Satterthwaite", "Kenward-Roger"}
        ``None``: lme4's table (broom.mixed on an ``lmerMod``). Otherwise lmerTest's t tests
        (broom.mixed on an ``lmerModLmerTest``): ``df`` and ``p.value`` columns.
    """
    if isinstance(effects, str):
        effects = (effects,)
    if not isinstance(effects, (list, tuple)) or not all(isinstance(e, str) for e in effects):
        raise ArgumentError(f"effects must be a string or a list of strings from "
                            f"{list(_EFFECTS)}, not {type(effects).__name__} {effects!r}")
    unknown = [e for e in effects if e not in _EFFECTS]
    if unknown:
        raise ArgumentError(f"unknown effects {unknown}: choose from {list(_EFFECTS)}")
    if not isinstance(conf_int, bool):
        raise ArgumentError(f"conf_int must be True or False, not {conf_int!r}")
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float, np.integer, np.floating)) \
            or not 0.0 < float(conf_level) < 1.0:
        raise ArgumentError(f"conf_level must be a number between 0 and 1 (e.g. 0.95), not {conf_level!r}")
    conf_level = float(conf_level)
    if conf_method not in ("Wald", "profile", "boot"):
        raise ArgumentError(f"conf_method must be one of ['Wald', 'profile', 'boot'], not {conf_method!r}")
    if conf_int and "ran_vals" in effects and conf_method != "Wald":
        raise ArgumentError("only Wald intervals are available for conditional modes (ran_vals); "
                         "use conf_method=\"Wald\" or leave ran_vals out")
    blocks: list[list[dict]] = []
    if "fixed" in effects:
        rows = _fixed_rows(fit, ddf)
        if conf_int:
            if ddf is not None:
                mult = t_dist.ppf((1 + conf_level) / 2, [r["df"] for r in rows])
                for r, m in zip(rows, np.atleast_1d(mult)):
                    r["conf.low"], r["conf.high"] = r["estimate"] - m * r["std.error"], r["estimate"] + m * r["std.error"]
            else:
                ci = fit.confint(parm="beta_", level=conf_level, method=conf_method, quiet=True)
                for r, (lo, hi) in zip(rows, ci.to_numpy(dtype=float)):
                    r["conf.low"], r["conf.high"] = lo, hi
        if getattr(fit, "nAGQ", None) is not None:
            # a GLMM (glmerMod): broom.mixed adds summary()'s Wald p-value, 2·Φ(−|z|)
            for r in rows:
                r["p.value"] = float(2.0 * norm.cdf(-abs(r["statistic"])))
        blocks.append(rows)
    if "ran_pars" in effects:
        rows = _ran_par_rows(fit)
        if conf_int:
            ci = fit.confint(parm="theta_", level=conf_level, method=conf_method, quiet=True)
            for r, (lo, hi) in zip(rows, ci.to_numpy(dtype=float)):
                r["conf.low"], r["conf.high"] = lo, hi
        blocks.append(rows)
    if "ran_vals" in effects:
        rows = _ran_val_rows(fit)
        if conf_int:
            m = float(norm.ppf((1 + conf_level) / 2))
            for r in rows:
                r["conf.low"], r["conf.high"] = r["estimate"] - m * r["std.error"], r["estimate"] + m * r["std.error"]
        blocks.append(rows)
    rows = [r for b in blocks for r in b]
    present = set().union(*[r.keys() for r in rows]) if rows else set(TIDY_COLUMNS)
    if "ran_vals" in effects:
        present.add("level")
    cols = [c for c in ALL_TIDY_COLUMNS if c in present or c in TIDY_COLUMNS]
    # column by column with fixed dtypes: text columns are object columns whose missing
    # entries are NaN (R's NA), whatever pandas version infers for mixed lists
    data = {c: pd.Series([r.get(c, np.nan) for r in rows], dtype=object if c in _TEXT else float) for c in cols}
    return pd.DataFrame(data, columns=cols)
