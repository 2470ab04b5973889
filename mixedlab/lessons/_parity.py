"""The parity cell that ends lessons 1-3: mixedlab beside lme4 and glmmTMB.

The comparison itself is :func:`mixedlab.parity.run_case`; this module only shows it in a
notebook: a visible note saying whether R ran live or the stored reference outputs were read,
a table of the quantities a student has met in the lesson (criterion, fixed effects and their
standard errors, standard deviations and correlations of the random effects, the random
effects themselves), a line for the structural checks, and one machine-readable line that
``mixedlab lessons`` collects for its summary (:data:`mixedlab.lessons._runner.PARITY_LINE`).

When no reference can be had (R absent and no stored file), the cell says so in that one
line instead of raising.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["show_parity", "student_table", "TABLE_COLUMNS"]

#: The columns shown in a lesson.
TABLE_COLUMNS = ["quantity", "mixedlab", "lme4", "glmmTMB", "|Δ| to lme4", "within tolerance"]

# exact (structural) checks of the harness, said in one sentence under the table
_STRUCTURE = {
    "nobs": "number of observations",
    "fixef names": "names and order of the fixed effects",
    "VarCorr names and order": "names and order of the variance components",
    "ngroups": "number of groups",
    "isSingular": "whether the fit is singular",
}


def _fixed_scale(case: Any) -> bool:
    """A GLMM family whose scale is fixed at 1 (binomial, Poisson): no σ row to show."""
    family = (getattr(case, "family", None) or "").replace(" ", "")
    return getattr(case, "kind", "lmer") == "glmer" and family.startswith(("binomial", "poisson"))


def _labels(result: Any) -> dict[str, str]:
    """Harness row label -> the words of the lesson; rows missing here are not shown."""
    from mixedlab.parity._harness import _vc_label

    case = result.case
    names = {
        "objective": "REML criterion" if case.REML else "deviance (−2 log-likelihood)",
        "logLik": "log-likelihood",
        "sigma": "residual standard deviation",
    }
    if _fixed_scale(case):
        del names["sigma"]  # binomial and Poisson have no scale parameter: σ is 1 by definition
    for name in result.lme4["fixef"]:
        names[f"fixef {name}"] = f"fixed effect {name}"
        names[f"se {name}"] = f"standard error of {name}"
    for row in result.lme4["varcorr"]:
        label = _vc_label(row)
        if row["grp"] == "Residual":
            names[f"{label} var"] = "residual variance"
        elif row["var2"] is None:
            names[f"{label} sd"] = f"{row['grp']}: standard deviation of {row['var1']}"
            names[f"{label} var"] = f"{row['grp']}: variance of {row['var1']}"
        else:
            names[f"{label} corr"] = f"{row['grp']}: correlation of {row['var1']} and {row['var2']}"
    for grp, block in result.lme4["ranef"].items():
        n = len(block["levels"]) * len(block["columns"])
        names[f"ranef {grp} (worst of {n})"] = f"random effects of {grp} (largest of {n} differences)"
    return names


def _value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.7g}"
    return str(v)


def _verdict(ok: Any) -> str:
    return "yes" if ok is True else "NO" if ok is False else "not compared"


#: The columns shown for a glmmTMB case (glmmTMB is the only reference).
TMB_TABLE_COLUMNS = ["quantity", "mixedlab", "glmmTMB", "|Δ| to glmmTMB", "within tolerance"]

_TMB_PART = {"zi~": "zero-inflation model: ", "disp~": "dispersion model: "}


def _tmb_term(what: str, name: str) -> str:
    for prefix, words in _TMB_PART.items():
        if name.startswith(prefix):
            return f"{words}{what} {name[len(prefix):]}"
    return f"{what} {name}"


def _tmb_label(quantity: str) -> str | None:
    """Harness row label of a glmmTMB case -> the words of the lesson (None: not shown)."""
    if quantity == "objective":
        return "deviance (−2 log-likelihood)"
    if quantity == "logLik":
        return "log-likelihood"
    if quantity == "sigma":
        return "dispersion parameter (sigma())"
    if quantity.startswith("fixef ") and quantity != "fixef names":
        return _tmb_term("fixed effect", quantity[6:])
    if quantity.startswith("se "):
        return _tmb_term("standard error of", quantity[3:])
    if quantity.startswith("VarCorr ") and quantity.endswith((" sd", " var", " corr")):
        body, what = quantity[8:].rsplit(" ", 1)
        parts = body.split(" ", 1)
        words = {"sd": "standard deviation", "var": "variance", "corr": "correlation"}[what]
        return f"{parts[0]}: {words} of {parts[1]}" if len(parts) == 2 else None
    if quantity.startswith("ranef ") and "(worst of " in quantity:
        grp, n = quantity[6:].split(" (worst of ")
        return f"random effects of {grp} (largest of {n.rstrip(')')} differences)"
    return None


def _tmb_student_table(result: Any) -> tuple[pd.DataFrame, str]:
    rows, structure_ok, structure_bad = [], [], []
    for r in result.table.to_dict("records"):
        label = r["quantity"]
        if label in _STRUCTURE:
            (structure_ok if r["within tolerance"] is not False else structure_bad).append(_STRUCTURE[label])
            continue
        words = _tmb_label(label)
        if words is None:
            continue
        delta = r["|Δ|"]
        rows.append({
            "quantity": words,
            "mixedlab": _value(r["mixedlab"]),
            "glmmTMB": _value(r["glmmTMB"]),
            "|Δ| to glmmTMB": "" if delta is None or (isinstance(delta, float) and math.isnan(delta)) else f"{delta:.1e}",
            "within tolerance": _verdict(r["within tolerance"]),
        })
    sentence = ""
    if structure_ok:
        sentence = "Identical to glmmTMB's: " + ", ".join(structure_ok) + "."
    if structure_bad:
        sentence += (" " if sentence else "") + "DIFFERENT from glmmTMB's: " + ", ".join(structure_bad) + "."
    return pd.DataFrame(rows, columns=TMB_TABLE_COLUMNS), sentence


def student_table(result: Any) -> tuple[pd.DataFrame, str]:
    """The lesson's table for a :class:`~mixedlab.parity.CaseResult`, and the structure sentence.

    lme4 cases show mixedlab, lme4 and glmmTMB; glmmTMB cases (``kind`` ``"glmmtmb"``)
    mixedlab and glmmTMB, their reference.
    """
    if getattr(result.case, "kind", "lmer") == "glmmtmb":
        return _tmb_student_table(result)
    names = _labels(result)
    rows = []
    structure_ok, structure_bad = [], []
    for r in result.table.to_dict("records"):
        label = r["quantity"]
        if label in _STRUCTURE:
            ok = r["within tolerance"] is not False and r["glmmTMB ok"] is not False
            (structure_ok if ok else structure_bad).append(_STRUCTURE[label])
            continue
        if label not in names:
            continue
        ok = r["within tolerance"]
        if ok is not False and r["glmmTMB ok"] is False:
            ok = False
        delta = r["|Δ|"]
        rows.append({
            "quantity": names[label],
            "mixedlab": _value(r["mixedlab"]),
            "lme4": _value(r["lme4"]),
            "glmmTMB": _value(r["glmmTMB"]),
            "|Δ| to lme4": "" if delta is None or (isinstance(delta, float) and math.isnan(delta)) else f"{delta:.1e}",
            "within tolerance": _verdict(ok),
        })
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    sentence = ""
    if structure_ok:
        sentence = "Identical to lme4's: " + ", ".join(structure_ok) + "."
    if structure_bad:
        sentence += (" " if sentence else "") + "DIFFERENT from lme4's: " + ", ".join(structure_bad) + "."
    return table, sentence


def show_parity(case_name: str, live: bool | None = None) -> Any:
    """Fit a parity case with mixedlab, compare with lme4 and glmmTMB, and show the table.

    Parameters
    ----------
    case_name : str
        A case of :data:`mixedlab.parity.CASES`, e.g. ``"nested_reml"``.
    live : bool or None
        ``None``: fit in R now when R is available, else read
        ``reference_outputs/parity/<case>.json``; ``True``/``False`` force either.

    Returns
    -------
    mixedlab.parity.CaseResult or None
        The full result (``.table``, ``.ok``, ``.source``, ``.notes``); None when no R
        reference could be had (the printed line says why).
    """
    from mixedlab import parity
    from mixedlab.parity._reference import ReferenceOutputError, reference_path

    try:
        result = parity.run_case(case_name, live)
    except ReferenceOutputError:
        path = reference_path(case_name)
        problem = "no stored R reference" if not path.exists() else "the stored R reference does not fit this case"
        print(f"parity {case_name}: not checked ({problem} at {path}, and R was not run)")
        return None
    kind = "live R" if result.live else "stored reference outputs"
    status = "within tolerance" if result.ok else "OUTSIDE tolerance"
    print(f"Reference values: {result.source}")
    if not result.live:
        print("R is not available here, so lme4 and glmmTMB were not run now: their values are the "
              "stored reference outputs written by `mixedlab parity --regenerate`.")
    for note in result.notes:
        print(f"note: {note}")
    table, sentence = student_table(result)
    try:
        from IPython.display import display

        display(table.set_index("quantity"))
    except ImportError:  # pragma: no cover - outside IPython
        print(table.to_string(index=False))
    if sentence:
        print(sentence)
    print(f"parity {case_name}: {status} ({kind})")
    return result

