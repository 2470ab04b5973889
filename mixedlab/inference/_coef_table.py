"""lmerTest's ``coef(summary(m, ddf=))``: one t test per fixed effect (``get_coefmat``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mixedlab._errors import ArgumentError
from mixedlab.inference._kenward_roger import KRAdjusted, kr_ddf_1d
from mixedlab.inference._satterthwaite import SatterthwaiteDerivs, contest_1d, t_row

__all__ = ["coef_table", "COEF_COLUMNS", "DDF_CHOICES", "check_ddf"]

COEF_COLUMNS = ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]
#: the values of ``ddf`` (``None`` = lme4's table without df and p-values)
DDF_CHOICES = ("Satterthwaite", "Kenward-Roger", None)


def check_ddf(ddf: str | None, allow_none: bool = True) -> str | None:
    """Validate ``ddf`` (lmerTest's spelling; "lme4" is accepted for None)."""
    if ddf == "lme4" and allow_none:
        return None
    if ddf is None and allow_none:
        return None
    if ddf not in ("Satterthwaite", "Kenward-Roger"):
        choices = '"Satterthwaite", "Kenward-Roger"' + (" or None" if allow_none else "")
        raise ArgumentError(f"ddf must be {choices}, not {ddf!r}")
    return ddf


def coef_table(beta: pd.Series, se: pd.Series, ddf: str | None,
               satt: SatterthwaiteDerivs | None = None, kr: KRAdjusted | None = None) -> pd.DataFrame:
    """The coefficient table for ``ddf``.

    Parameters
    ----------
    beta, se
        Estimates and lme4's standard errors, by coefficient name.
    ddf
        ``"Satterthwaite"`` (needs ``satt``), ``"Kenward-Roger"`` (needs ``kr``: the standard
        errors are those of the adjusted covariance Φ_A) or ``None`` (lme4's table: Estimate,
        Std. Error, t value).
    """
    names = list(beta.index)
    b = beta.to_numpy(dtype=float)
    if ddf is None:
        s = se.reindex(beta.index).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = b / s
        return pd.DataFrame({"Estimate": b, "Std. Error": s, "t value": t}, index=names)
    rows = []
    p = len(names)
    for i in range(p):
        L = np.zeros(p)
        L[i] = 1.0
        if ddf == "Satterthwaite":
            r = contest_1d(b, L, satt)
        else:
            r = t_row(float(b[i]), float(np.sqrt(kr.phi_adj[i, i])), kr_ddf_1d(L, kr))
        rows.append([r.estimate, r.se, r.df, r.t, r.p])
    return pd.DataFrame(rows, index=names, columns=COEF_COLUMNS, dtype=float)
