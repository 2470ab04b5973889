"""mixedlab's side of a parity case: fit it and convert the fit to the R bridge's result layout."""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

__all__ = ["results_from_fit", "fit_mixedlab", "glmer_case", "fit_mixedlab_glmer", "results_from_tmb_fit",
           "glmmtmb_case", "fit_mixedlab_tmb"]


def _case_kwargs(case) -> dict[str, Any]:
    """The case's ``weights`` and ``offset`` as keyword arguments (only those it sets)."""
    return {k: v for k, v in (("weights", case.weights), ("offset", case.offset)) if v is not None}


def _none_if_missing(v: Any) -> Any:
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def _ranef_layout(frame: pd.DataFrame) -> dict[str, list]:
    """One grouping factor's conditional modes in the bridge's layout (levels, columns, values)."""
    return {"levels": [str(i) for i in frame.index],
            "columns": [str(c) for c in frame.columns],
            "values": frame.to_numpy(dtype=float).tolist()}


def _recording(call: Callable[[], Any]) -> tuple[Any, list[warnings.WarningMessage]]:
    """``(call(), caught)``: the fit with every warning it raised recorded, none shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = call()
    return fit, caught


def results_from_fit(fit: Any, caught: Iterable[warnings.WarningMessage] = ()) -> dict[str, Any]:
    """Convert a fitted :class:`mixedlab.LmerFit` to the bridge's result layout.

    Reads only the attributes of the contract in ``docs/ARCHITECTURE.md``.
    """
    vc = fit.varcorr
    varcorr = [
        {
            "grp": str(r.grp),
            "var1": _none_if_missing(r.var1),
            "var2": _none_if_missing(r.var2),
            "vcov": float(r.vcov) if _none_if_missing(r.vcov) is not None else None,
            "sdcor": float(r.sdcor) if _none_if_missing(r.sdcor) is not None else None,
        }
        for r in vc.itertuples(index=False)
    ]
    ranef = {str(g): _ranef_layout(frame) for g, frame in fit.ranef.items()}
    optinfo = getattr(fit, "optinfo", {}) or {}
    return {
        "objective": float(fit.objective),
        "loglik": float(fit.loglik),
        "deviance": float(getattr(fit, "deviance", float("nan"))),
        "fixef": {str(k): float(v) for k, v in fit.fixef.items()},
        "se": {str(k): float(v) for k, v in fit.se.items()},
        "sigma": float(fit.sigma),
        "theta": [float(t) for t in np.asarray(fit.theta, dtype=float)],
        "varcorr": varcorr,
        "ranef": ranef,
        "nobs": int(fit.nobs),
        "ngroups": {str(k): int(v) for k, v in fit.ngroups.items()},
        "is_singular": bool(fit.is_singular),
        "n_evals": optinfo.get("n_evals"),
        "conv_warnings": [str(w) for w in optinfo.get("conv_warnings", []) or []],
        "messages": [str(m) for m in getattr(fit, "messages", []) or []],
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    }


def fit_mixedlab(case, data: pd.DataFrame) -> dict[str, Any]:
    """Fit ``case`` with :func:`mixedlab.lmer`; warnings are recorded, not shown."""
    from mixedlab import lmer  # the engine; imported here so the harness loads without it

    fit, caught = _recording(lambda: lmer(case.formula, data, REML=case.REML, **_case_kwargs(case)))
    return results_from_fit(fit, caught)


def glmer_case(case, data: pd.DataFrame) -> Any:
    """Fit a glmer-kind ``case`` with :func:`mixedlab.glmer` (or :func:`mixedlab.glmer_nb`)."""
    from mixedlab import families, glmer, glmer_nb

    kwargs: dict[str, Any] = {"data_name": case.data_name, **_case_kwargs(case)}
    if case.family == "negative.binomial":
        return glmer_nb(case.formula, data, **kwargs)
    return glmer(case.formula, data, family=families.from_r(case.family), nAGQ=case.nAGQ, **kwargs)


def fit_mixedlab_glmer(case, data: pd.DataFrame) -> dict[str, Any]:
    """Fit a glmer-kind ``case`` with :func:`glmer_case`; warnings are recorded, not shown."""
    fit, caught = _recording(lambda: glmer_case(case, data))
    out = results_from_fit(fit, caught)
    out["summary"] = str(fit.summary())
    out["deviance"] = float(fit.deviance)
    out["nb_theta"] = getattr(fit.family, "theta", None)
    return out


def _r_family(expr: str) -> tuple[str, str | None]:
    """``(name, link)`` of an R family expression: "beta_family()", 'binomial(link = "probit")'."""
    import re

    m = re.fullmatch(r"\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*(?:\((.*)\))?\s*", expr)
    if not m:
        raise ValueError(f"cannot read the R family expression {expr!r}")
    link = None
    if m.group(2):
        lk = re.search(r"""link\s*=\s*["']([^"']+)["']""", m.group(2)) or \
            re.fullmatch(r"""\s*["']([^"']+)["']\s*""", m.group(2))
        link = lk.group(1) if lk else None
    return m.group(1), link


def results_from_tmb_fit(fit: Any, caught: Iterable[warnings.WarningMessage] = ()) -> dict[str, Any]:
    """A :class:`mixedlab.TmbFit` in the layout of :mod:`mixedlab.parity._rtmb` (zi~/disp~ names)."""
    fixef = {str(k): float(v) for k, v in fit.fixef.items()}
    se = {str(k): float(v) for k, v in fit.se.items()}
    for pre, fe, s in (("zi~", fit.fixef_zi, fit.se_zi), ("disp~", fit.fixef_disp, fit.se_disp)):
        fixef.update({f"{pre}{k}": float(v) for k, v in fe.items()})
        se.update({f"{pre}{k}": float(v) for k, v in s.items()})
    rows = []
    for pre, vc in (("", fit.varcorr), ("zi~", fit.varcorr_zi)):
        for r in vc.itertuples(index=False):
            grp = str(r.grp) if str(r.grp) == "Residual" else pre + str(r.grp)
            rows.append({"grp": grp, "var1": _none_if_missing(r.var1), "var2": _none_if_missing(r.var2),
                         "vcov": float(r.vcov), "sdcor": float(r.sdcor)})
    # glmmTMB lists the Residual row last
    rows.sort(key=lambda r: r["grp"] == "Residual")
    ranef = {}
    for pre, re_ in (("", fit.ranef), ("zi~", fit.ranef_zi)):
        for g, frame in re_.items():
            ranef[pre + str(g)] = _ranef_layout(frame)
    ngroups = {str(k): int(v) for k, v in fit.ngroups.items()}
    ngroups.update({f"zi~{k}": int(v) for k, v in fit.ngroups_zi.items()})
    return {
        "objective": float(fit.objective), "loglik": float(fit.loglik),
        "aic": float(fit.aic), "bic": float(fit.bic), "df_resid": int(fit.df_resid),
        "fixef": fixef, "se": se, "sigma": float(fit.sigma),
        "theta": [float(t) for t in fit.theta],
        "varcorr": rows, "ranef": ranef, "nobs": int(fit.nobs), "ngroups": ngroups,
        "is_singular": False,
        "par": [float(v) for v in fit.par],
        "pd_hess": bool(fit.pd_hess),
        "n_evals": fit.optinfo.get("n_fn"),
        "conv_warnings": [str(w) for w in fit.optinfo.get("conv_warnings", [])],
        "messages": [str(m) for m in getattr(fit, "messages", []) or []],
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "summary": str(fit.summary()),
    }


def glmmtmb_case(case, data: pd.DataFrame, at: Any = None) -> Any:
    """Fit a glmmtmb-kind ``case`` with :func:`mixedlab.glmmtmb` (its R family expression read).

    ``at``: parameters (glmmTMB's ``m$fit$par``) to evaluate the model at without optimising.
    """
    from mixedlab import glmmtmb
    from mixedlab.tmb import TmbControl, get_family

    name, link = _r_family(case.family or "gaussian")
    control = None if at is None else TmbControl(start=np.asarray(at), optimize=False)
    return glmmtmb(case.formula, data, family=get_family(name, link), ziformula=case.ziformula,
                   dispformula=case.dispformula, REML=case.REML, control=control,
                   data_name=case.data_name, **_case_kwargs(case))


def fit_mixedlab_tmb(case, data: pd.DataFrame) -> dict[str, Any]:
    """Fit a glmmtmb-kind ``case`` with :func:`mixedlab.glmmtmb`."""
    fit, caught = _recording(lambda: glmmtmb_case(case, data))
    return results_from_tmb_fit(fit, caught)
