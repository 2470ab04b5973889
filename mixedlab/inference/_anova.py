"""lmerTest's single-model F tables: ``anova(m, type=, ddf=)`` and ``drop1(m, ddf=)``.

lmerTest 3.1-3 (``single_anova``, ``drop1.lmerModLmerTest``) builds one hypothesis matrix per
term (:mod:`~mixedlab.inference._contrasts`) and tests each with ``contestMD``: Satterthwaite's
F (:func:`~mixedlab.inference._satterthwaite.contest_md`) or Kenward–Roger's through
pbkrtest's ``KRmodcomp`` (the unscaled F gives ``Sum Sq = F·σ̂²·NumDF``; the F value shown is
scaled by pbkrtest's F.scaling). Terms whose hypothesis is empty get a row of missing values
at the end of the table, as lmerTest adds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mixedlab._errors import ArgumentError
from mixedlab.inference._contrasts import (
    contrasts_marginal,
    contrasts_type1,
    contrasts_type2,
    contrasts_type3,
)
from mixedlab.inference._kenward_roger import KRAdjusted, kr_ftest
from mixedlab.inference._satterthwaite import FTest, SatterthwaiteDerivs, contest_md, f_row
from mixedlab.inference._terms import FixedStructure

__all__ = ["ANOVA_COLUMNS", "anova_table", "drop1_table", "hypotheses", "marginal_terms", "TYPE_NAMES"]

ANOVA_COLUMNS = ["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"]
TYPE_NAMES = {1: "Type I", 2: "Type II", 3: "Type III"}
_METHOD = {"Satterthwaite": "Satterthwaite's", "Kenward-Roger": "Kenward-Roger's"}


def normalise_type(type: int | str) -> int:
    """lmerTest accepts 1/2/3, "1"/"2"/"3" and "I"/"II"/"III"."""
    key = str(type).strip().upper()
    table = {"1": 1, "2": 2, "3": 3, "I": 1, "II": 2, "III": 3}
    if key not in table:
        raise ArgumentError(f"type must be 1, 2 or 3 (or 'I', 'II', 'III'), not {type!r}")
    return table[key]


def hypotheses(st: FixedStructure, type: int) -> dict[str, np.ndarray] | list[np.ndarray]:
    """The hypothesis matrices of a type I, II or III table."""
    return {1: contrasts_type1, 2: contrasts_type2, 3: contrasts_type3}[type](st)


def _test(L: np.ndarray, beta: np.ndarray, sigma: float, ddf: str,
          satt: SatterthwaiteDerivs | None, kr: KRAdjusted | None) -> FTest | None:
    if L.shape[0] == 0:
        return None
    if np.any(np.isnan(L)):
        nan = float("nan")
        return FTest(nan, nan, nan, nan, nan, nan)
    if ddf == "Kenward-Roger":
        r = kr_ftest(L, beta, kr)
        return f_row(r.f_unscaled, float(r.ndf), r.ddf, sigma, Fscale=r.scaling)
    return contest_md(beta, L, satt, sigma)


def _table(L_list, beta, sigma, ddf, satt, kr, na_rows: bool = True) -> pd.DataFrame:
    named = isinstance(L_list, dict)
    items = list(L_list.items()) if named else [(None, L) for L in L_list]
    rows, index = [], []
    for name, L in items:
        r = _test(np.atleast_2d(L), beta, sigma, ddf, satt, kr)
        if r is None:
            continue
        rows.append([r.sum_sq, r.mean_sq, r.num_df, r.den_df, r.f, r.p])
        index.append(name)
    if named and na_rows:
        for name in L_list:
            if name not in index:  # an empty hypothesis: NA row at the end (single_anova)
                rows.append([np.nan] * 6)
                index.append(name)
    return pd.DataFrame(rows, index=pd.Index([str(i) for i in index], dtype=object),
                        columns=ANOVA_COLUMNS, dtype=float)


def anova_table(st: FixedStructure, beta: np.ndarray, sigma: float, type: int, ddf: str,
                satt: SatterthwaiteDerivs | None = None, kr: KRAdjusted | None = None
                ) -> tuple[pd.DataFrame, str, dict | list]:
    """lmerTest's ``single_anova``: the table, its heading and the hypotheses tested."""
    L_list = hypotheses(st, type)
    tab = _table(L_list, np.asarray(beta, dtype=float), sigma, ddf, satt, kr)
    heading = f"{TYPE_NAMES[type]} Analysis of Variance Table with {_METHOD[ddf]} method"
    return tab, heading, L_list


def marginal_terms(st: FixedStructure) -> list[str]:
    """R's ``drop.scope(terms)``: the terms no other term contains (by variables)."""
    sets = [set(v) for v in st.all_vars]
    out = []
    for i, lab in enumerate(st.labels):
        if not any(j != i and sets[i] <= sets[j] for j in range(len(sets))):
            out.append(lab)
    return out


def drop1_table(st: FixedStructure, beta: np.ndarray, sigma: float, ddf: str,
                satt: SatterthwaiteDerivs | None = None, kr: KRAdjusted | None = None,
                scope: list[str] | None = None) -> tuple[pd.DataFrame, dict | list]:
    """lmerTest's ``drop1``: marginal F tests of the terms that can be dropped."""
    marg = marginal_terms(st)
    if scope is None:
        scope = marg
    else:
        bad = [s for s in scope if s not in marg]
        if bad:
            raise ValueError(f"only marginal terms can be dropped from the model; {bad} are not "
                             f"(droppable terms: {marg})")
    L_list = contrasts_marginal(st)
    if isinstance(L_list, dict):
        L_list = {k: L_list[k] for k in scope}
    tab = _table(L_list, np.asarray(beta, dtype=float), sigma, ddf, satt, kr, na_rows=False)
    return tab, L_list
