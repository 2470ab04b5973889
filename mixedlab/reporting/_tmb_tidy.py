"""broom.mixed's ``tidy()`` of a glmmTMB fit, as a pandas DataFrame.

broom.mixed 0.2.9's ``tidy.glmmTMB(effects = c("ran_pars", "fixed"), component =
c("cond", "zi"))`` lists the fixed effects first (conditional, then zero-inflation, with
their z statistics and two-sided normal p-values), then the random-effect standard
deviations and correlations (``sd__(Intercept)``, ``cor__(Intercept).x``; a gaussian
model's residual SD as ``sd__Observation`` in group ``Residual``).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import special

from mixedlab.reporting._varcorr import varcorr_groups

__all__ = ["tidy_tmb", "TMB_TIDY_COLUMNS"]

TMB_TIDY_COLUMNS = ["effect", "component", "group", "term", "estimate", "std.error",
                    "statistic", "p.value"]
_EFFECTS = ("fixed", "ran_pars")
_COMPONENTS = ("cond", "zi", "disp")


def tidy_tmb(fit: Any, effects: Sequence[str] = _EFFECTS,
             component: Sequence[str] = ("cond", "zi")) -> pd.DataFrame:
    """The parameters of a :class:`~mixedlab.TmbFit` in broom.mixed's long format."""
    if isinstance(effects, str):
        effects = (effects,)
    if isinstance(component, str):
        component = (component,)
    bad = [e for e in effects if e not in _EFFECTS] + [c for c in component if c not in _COMPONENTS]
    if bad:
        raise ValueError(f"unknown effects/component {bad}: effects are {list(_EFFECTS)}, "
                         f"components {list(_COMPONENTS)}")
    rows: list[dict] = []
    if "fixed" in effects:
        for comp, fe, se in (("cond", fit.fixef, fit.se), ("zi", fit.fixef_zi, fit.se_zi),
                             ("disp", fit.fixef_disp, fit.se_disp)):
            if comp not in component:
                continue
            for name in fe.index:
                est, s = float(fe[name]), float(se[name])
                z = est / s if s else np.nan
                rows.append({"effect": "fixed", "component": comp, "group": None, "term": str(name),
                             "estimate": est, "std.error": s, "statistic": z,
                             "p.value": float(2.0 * special.ndtr(-abs(z)))})
    if "ran_pars" in effects:
        for comp, vc in (("cond", fit.varcorr), ("zi", fit.varcorr_zi)):
            if comp not in component or vc is None or len(vc) == 0:
                continue
            groups, sigma = varcorr_groups(vc)
            for g in groups:
                k = len(g.terms)
                for j in range(k):
                    rows.append(_ran(comp, g.name, f"sd__{g.terms[j]}", float(g.sd[j])))
                    for i in range(j + 1, k):
                        rows.append(_ran(comp, g.name, f"cor__{g.terms[j]}.{g.terms[i]}",
                                         float(g.corr[i, j])))
            if sigma is not None:
                rows.append(_ran(comp, "Residual", "sd__Observation", float(sigma)))
    data = {c: pd.Series([r[c] for r in rows],
                         dtype=object if c in ("effect", "component", "group", "term") else float)
            for c in TMB_TIDY_COLUMNS}
    return pd.DataFrame(data, columns=TMB_TIDY_COLUMNS)


def _ran(comp: str, group: str, term: str, value: float) -> dict:
    return {"effect": "ran_pars", "component": comp, "group": group, "term": term,
            "estimate": value, "std.error": np.nan, "statistic": np.nan, "p.value": np.nan}
