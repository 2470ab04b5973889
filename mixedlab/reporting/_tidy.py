"""broom.mixed's ``tidy()`` of a linear mixed model, as a pandas DataFrame.

One row per parameter with broom.mixed's columns ``effect, group, term,
estimate, std.error, statistic``:

* ``effect == "fixed"``: the coefficients with their standard errors and
  t values; ``group`` is missing;
* ``effect == "ran_pars"``: the random-effect standard deviations and
  correlations, named as broom.mixed names them (``sd__(Intercept)``,
  ``cor__(Intercept).Days``, ``sd__Observation`` for the residual) in its
  order, ``as.data.frame(VarCorr(m), order = "lower.tri")``: within a group
  the lower triangle column by column (sd of the first term, its
  correlations with the later terms, sd of the second term, ...).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from mixedlab._errors import ArgumentError

from mixedlab.reporting._varcorr import varcorr_groups

__all__ = ["tidy", "TIDY_COLUMNS"]

TIDY_COLUMNS = ["effect", "group", "term", "estimate", "std.error", "statistic"]
_EFFECTS = ("fixed", "ran_pars")


def _fixed_rows(fit: Any) -> list[dict]:
    fixef = pd.Series(fit.fixef)
    se = pd.Series(fit.se).reindex(fixef.index)
    rows = []
    for name in fixef.index:
        est, s = float(fixef[name]), float(se[name])
        rows.append(
            {
                "effect": "fixed",
                "group": np.nan,
                "term": str(name),
                "estimate": est,
                "std.error": s,
                "statistic": est / s if s != 0 else np.nan,
            }
        )
    return rows


def _ran_par_rows(fit: Any) -> list[dict]:
    groups, sigma = varcorr_groups(fit.varcorr)
    rows = []

    def add(group: str, term: str, value: float) -> None:
        rows.append(
            {"effect": "ran_pars", "group": group, "term": term, "estimate": value,
             "std.error": np.nan, "statistic": np.nan}
        )

    for g in groups:
        k = len(g.terms)
        for j in range(k):
            add(g.name, f"sd__{g.terms[j]}", float(g.sd[j]))
            for i in range(j + 1, k):
                add(g.name, f"cor__{g.terms[j]}.{g.terms[i]}", float(g.corr[i, j]))
    if sigma is not None:
        add("Residual", "sd__Observation", float(sigma))
    return rows


def tidy(fit: Any, effects: Sequence[str] = _EFFECTS) -> pd.DataFrame:
    """The model's parameters in broom.mixed's long format.

    Parameters
    ----------
    fit : LmerFit
        A fitted model.
    effects : sequence of {"fixed", "ran_pars"}
        Which parameters to list; fixed effects come first, as in broom.mixed.

    Returns
    -------
    pandas.DataFrame
        Columns ``effect, group, term, estimate, std.error, statistic``;
        ``group`` is missing (NaN, pandas' missing value, where R has NA) for fixed
        effects; ``std.error`` and ``statistic`` are NaN for random-effect parameters.
    """
    if isinstance(effects, str):
        effects = (effects,)
    if not isinstance(effects, (list, tuple)) or not all(isinstance(e, str) for e in effects):
        raise ArgumentError(f"effects must be a string or a list of strings from "
                            f"{list(_EFFECTS)}, not {type(effects).__name__} {effects!r}")
    unknown = [e for e in effects if e not in _EFFECTS]
    if unknown:
        raise ArgumentError(
            f"unknown effects {unknown}: choose from {list(_EFFECTS)} "
            "(ran_vals is not available yet; use fit.ranef)"
        )
    rows: list[dict] = []
    if "fixed" in effects:
        rows += _fixed_rows(fit)
    if "ran_pars" in effects:
        rows += _ran_par_rows(fit)
    # Built column by column with fixed dtypes: text columns are object columns whose
    # missing entries are NaN, whatever pandas version infers for mixed lists.
    data = {c: pd.Series([r[c] for r in rows], dtype=object if c in ("effect", "group", "term") else float)
            for c in TIDY_COLUMNS}
    return pd.DataFrame(data, columns=TIDY_COLUMNS)
