"""The parity harness: fit a case three ways and build the side-by-side table.

``run_case(name, live)`` fits the case with :func:`mixedlab.lmer` and takes lme4's and
glmmTMB's results either from a live R (through :mod:`mixedlab.parity._rbridge`) or from the
stored reference file; :func:`parity_table` returns just the table, for lessons and reports.

Table columns: ``case, quantity, mixedlab, lme4, glmmTMB, |Δ|, tolerance, within tolerance,
|Δ| glmmTMB, tolerance glmmTMB, glmmTMB ok, note, source``. ``|Δ|`` is mixedlab − lme4;
``within tolerance`` is ``True``/``False``, or ``None`` when the quantity is reported but not
compared (the note says why). Tolerances come only from
:mod:`mixedlab.parity._tolerances`. ``table.attrs["source"]`` says whether R was live or
which stored file (with its R/lme4/glmmTMB versions and date) was used.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

from mixedlab.parity import _tolerances as tol
from mixedlab.parity._corpus import Case, get_case, load_case_data
from mixedlab.parity._reference import ReferenceOutputError, fingerprint, read_reference

__all__ = ["CaseResult", "run_case", "parity_table", "fit_mixedlab", "results_from_fit", "regenerate",
           "TABLE_COLUMNS"]

TABLE_COLUMNS = ["case", "quantity", "mixedlab", "lme4", "glmmTMB", "|Δ|", "tolerance", "within tolerance",
                 "|Δ| glmmTMB", "tolerance glmmTMB", "glmmTMB ok", "note", "source"]


from mixedlab.parity._fits import fit_mixedlab, fit_mixedlab_glmer, results_from_fit  # noqa: E402,F401


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------

_SUFFIX = re.compile(r"\.\d+$")


def _base(grp: str) -> str:
    """lme4 names the second term on one factor ``Subject.1``; glmmTMB keeps ``Subject``."""
    return _SUFFIX.sub("", grp)


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


@dataclass
class _Check:
    label: str
    ours: Any
    ref: Any
    delta: float | None
    bound: float | None
    ok: bool | None
    note: str = ""
    detail: dict | None = None  # ranef rows: every element's check, by "level/column"


@dataclass
class _Side:
    """The comparison of mixedlab with one reference (lme4 or glmmTMB)."""

    name: str
    checks: dict[str, _Check] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, check: _Check) -> None:
        self.checks[check.label] = check


def _numeric_check(side: str, quantity: str, label: str, ours: Any, ref: Any, scales: dict,
                   kind: str = "lmer") -> _Check:
    if ref is None or (isinstance(ref, float) and math.isnan(ref)):
        return _Check(label, ours, ref, None, None, None, "no reference value")
    if ours is None or (isinstance(ours, float) and math.isnan(ours)):
        return _Check(label, ours, ref, None, None, False, "mixedlab gave no value")
    delta, bound, ok = tol.within(side, quantity, float(ours), float(ref), scales, kind=kind)
    return _Check(label, ours, ref, delta, bound, ok)


def _exact_check(label: str, ours: Any, ref: Any, note: str = "") -> _Check:
    ok = ours == ref
    return _Check(label, ours, ref, 0.0 if ok else float("nan"), 0.0, ok, note if not ok else "")


def _vc_label(row: dict) -> str:
    if row["grp"] == "Residual":
        return "VarCorr Residual"
    if row["var2"] is None:
        return f"VarCorr {row['grp']} {row['var1']}"
    return f"VarCorr {row['grp']} {row['var1']}:{row['var2']}"


def _ranef_lookup(ranef: dict, grp: str, column: str, base: bool) -> dict[str, float] | None:
    """{level: value} of one random-effect column, matching the group name (or its base)."""
    names = [grp] if grp in ranef else []
    if base and not names:
        names = [g for g in ranef if _base(g) == _base(grp) and column in ranef[g]["columns"]]
    for g in names:
        block = ranef[g]
        if column in block["columns"]:
            j = block["columns"].index(column)
            return {lvl: row[j] for lvl, row in zip(block["levels"], block["values"])}
    return None


def _compare(side: str, ours: dict, ref: dict, template: dict, objective_only: str | None,
             kind: str = "lmer", primary: str = "lme4") -> _Side:
    """Compare mixedlab's results with ``ref`` (the primary reference's or the secondary's), row by row.

    ``template`` is the primary reference's result (lme4's for the lmer and glmer kinds): it
    fixes the labels, order and scales of the rows so both comparisons line up in one table.
    Tolerances are the rows of ``kind`` in :mod:`mixedlab.parity._tolerances`.
    """
    return _compare_rows(side, ours, ref, template, objective_only, kind, primary)


def _compare_rows(side: str, ours: dict, ref: dict, template: dict, objective_only: str | None,
                  kind: str, primary: str) -> _Side:
    out = _Side(side)
    check = functools.partial(_numeric_check, kind=kind)
    base = side != primary
    # objective and logLik: one-sided
    out.add(check(side, "objective", "objective", ours["objective"], ref["objective"], {}))
    obj = out.checks["objective"]
    bound = tol.allowed(side, "objective", ref["objective"], kind=kind)
    if objective_only is None and ours["objective"] < ref["objective"] - bound:
        objective_only = tol.OBJECTIVE_ONLY["mixedlab_lower"].format(
            ref=side, delta=ref["objective"] - ours["objective"])
    if ours["objective"] < ref["objective"] - bound:
        obj.note = f"mixedlab lower by {ref['objective'] - ours['objective']:.3g} (better optimum)"
    out.add(check(side, "loglik", "logLik", ours["loglik"], ref["loglik"], {}))
    out.add(_exact_check("nobs", ours["nobs"], ref["nobs"], "rows used differ"))

    sigma_t = _num(template["sigma"])  # NaN where R has none (glmmTMB with a dispersion model)
    se_t = template["se"]
    # fixed effects
    if not base:
        out.add(_exact_check("fixef names", list(ours["fixef"]), list(ref["fixef"]), "names or order differ"))
    for name in template["fixef"]:
        out.add(check(side, "fixef", f"fixef {name}", ours["fixef"].get(name), ref["fixef"].get(name),
                               {"se": se_t[name]}))
    for name in template["fixef"]:
        out.add(check(side, "se", f"se {name}", ours["se"].get(name), ref["se"].get(name), {}))
    out.add(check(side, "sigma", "sigma", ours["sigma"], ref["sigma"], {}))

    # VarCorr rows
    key = (lambda r: (_base(r["grp"]), r["var1"], r["var2"])) if base else (lambda r: (r["grp"], r["var1"], r["var2"]))
    ours_rows = {key(r): r for r in ours["varcorr"]}
    ref_rows = {key(r): r for r in ref["varcorr"]}
    if not base:
        layout = lambda rows: [(r["grp"], r["var1"], r["var2"]) for r in rows]  # noqa: E731
        out.add(_exact_check("VarCorr names and order", layout(ours["varcorr"]), layout(ref["varcorr"]),
                             "VarCorr rows differ in names or order"))
    sds = {(r["grp"], r["var1"]): r["sdcor"] for r in template["varcorr"] if r["var2"] is None}
    for row in template["varcorr"]:
        label = _vc_label(row)
        mine, theirs = ours_rows.get(key(row)), ref_rows.get(key(row))
        if theirs is None:
            continue  # e.g. glmmTMB has no covariance rows for a || term
        mv = (lambda k: None if mine is None else mine[k])
        if row["var2"] is None:
            sd = row["sdcor"] or 0.0
            scales = {"sigma": sigma_t, "sd": sd}
            out.add(check(side, "sd", f"{label} sd", mv("sdcor"), theirs["sdcor"], scales))
            out.add(check(side, "var", f"{label} var", mv("vcov"), theirs["vcov"], scales))
        else:
            s1, s2 = sds.get((row["grp"], row["var1"])) or 0.0, sds.get((row["grp"], row["var2"])) or 0.0
            scales = {"sigma": sigma_t, "sd1": s1, "sd2": s2, "corr": _num(row["sdcor"]) if row["sdcor"] is not None else 0.0}
            if min(s1, s2) <= tol.SD_ZERO * sigma_t:
                for what in ("corr", "cov"):
                    out.add(_Check(f"{label} {what}", mv("sdcor" if what == "corr" else "vcov"),
                                   theirs["sdcor" if what == "corr" else "vcov"], None, None, None,
                                   "undefined: an SD is 0"))
                continue
            out.add(check(side, "corr", f"{label} corr", mv("sdcor"), theirs["sdcor"], scales))
            out.add(check(side, "cov", f"{label} cov", mv("vcov"), theirs["vcov"], scales))

    # conditional modes: one summary row per group (the worst element), all elements checked
    for grp, block in template["ranef"].items():
        worst: _Check | None = None
        worst_ratio = -1.0
        all_ok: bool | None = True
        problems = []
        detail: dict[str, _Check] = {}
        if not base:
            mine_b, ref_b = ours["ranef"].get(grp), ref["ranef"].get(grp)
            if mine_b is None or ref_b is None or mine_b["levels"] != ref_b["levels"] or mine_b["columns"] != ref_b["columns"]:
                problems.append(f"levels or columns differ from {primary}'s")
        for col in block["columns"]:
            mine_c = _ranef_lookup(ours["ranef"], grp, col, base=False)
            ref_c = _ranef_lookup(ref["ranef"], grp, col, base=base)
            if ref_c is None:
                continue
            if mine_c is None:
                problems.append(f"mixedlab has no column {col!r}")
                continue
            scales = {"sigma": sigma_t, "sd": sds.get((grp, col)) or 0.0}
            for lvl, rv in ref_c.items():
                c = check(side, "ranef", f"{lvl}/{col}", mine_c.get(lvl), rv, scales)
                detail[c.label] = c
                if c.ok is False:
                    all_ok = False
                # rank elements by |Δ| relative to their own bound
                ratio = (c.delta / c.bound) if (c.delta is not None and c.bound) else (math.inf if c.ok is False else 0.0)
                if ratio > worst_ratio:
                    worst, worst_ratio = c, ratio
        label = f"ranef {grp} (worst of {len(detail)})"
        if problems:
            out.add(_Check(label, None, None, None, None, False, "; ".join(problems), detail))
        elif worst is not None:
            out.add(_Check(label, worst.ours, worst.ref, worst.delta, worst.bound, all_ok,
                           f"worst at {worst.label}", detail))

    # group counts
    if not base:
        out.add(_exact_check("ngroups", ours["ngroups"], ref["ngroups"], "group sizes differ"))
        out.add(_exact_check("isSingular", ours["is_singular"], ref["is_singular"]))
    else:
        ob = {_base(k): v for k, v in ours["ngroups"].items()}
        rb = {_base(k): v for k, v in ref["ngroups"].items()}
        out.add(_exact_check("ngroups", ob, rb, "group sizes differ"))

    if objective_only:
        out.notes.append(objective_only)
        for label, c in out.checks.items():
            if label not in ("objective", "logLik") and c.ok is not None:
                c.ok = None
                c.note = (c.note + "; " if c.note else "") + "not compared (objective only)"
    return out


# --------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------


@dataclass
class CaseResult:
    """Outcome of one parity case.

    Attributes
    ----------
    case : Case
    source : str
        ``"live R ..."`` or ``"stored <file> ..."``.
    live : bool
    table : pandas.DataFrame
        The side-by-side table (:data:`TABLE_COLUMNS`).
    mixedlab, lme4, glmmtmb : dict
        The three result dicts: mixedlab's, the kind's primary reference's and its secondary's
        (lme4 and glmmTMB for the lmer and glmer kinds; the secondary may hold only ``error``).
    references : dict
        Every reference's result by package name.
    notes : list of str
        Why some quantities are reported but not compared, better optima, glmmTMB errors.
    """

    case: Case
    source: str
    live: bool
    table: pd.DataFrame
    mixedlab: dict
    lme4: dict
    glmmtmb: dict
    notes: list[str]
    references: dict = field(default_factory=dict)

    @property
    def failures(self) -> pd.DataFrame:
        """Rows outside tolerance against either reference."""
        t = self.table
        bad = t["within tolerance"] == False  # noqa: E712
        sec = t.columns[10]  # "<secondary> ok"
        return t[bad | (t[sec] == False)]  # noqa: E712

    @property
    def ok(self) -> bool:
        """True when no compared quantity is outside its tolerance."""
        return self.failures.empty


def table_columns(primary: str = "lme4", secondary: str | None = "glmmTMB") -> list[str]:
    """The table's columns for a kind with these references (:data:`TABLE_COLUMNS` for lmer/glmer)."""
    sec = secondary or "second reference"
    return ["case", "quantity", "mixedlab", primary, sec, "|Δ|", "tolerance", "within tolerance",
            f"|Δ| {sec}", f"tolerance {sec}", f"{sec} ok", "note", "source"]


def _table(case: Case, lme: _Side, tmb: _Side | None, source: str, primary: str = "lme4",
           secondary: str | None = "glmmTMB") -> pd.DataFrame:
    cols = table_columns(primary, secondary)
    sec = cols[4]
    rows = []
    for label, c in lme.checks.items():
        t = tmb.checks.get(label) if tmb else None
        tmb_value = None if t is None else t.ref
        if t is not None and c.detail is not None and t.detail is not None and c.note.startswith("worst at "):
            # show the secondary's value for the same element as the primary's worst; ok/|Δ| stay over all
            same = t.detail.get(c.note[len("worst at "):])
            tmb_value = None if same is None else same.ref
        tnote = t.note if t is not None else ""
        notes = [n for n in (c.note, f"{sec}: {tnote}" if tnote and not tnote.startswith("worst at") else "") if n]
        rows.append({
            "case": case.name, "quantity": label, "mixedlab": c.ours, primary: c.ref,
            sec: tmb_value,
            "|Δ|": c.delta, "tolerance": c.bound, "within tolerance": c.ok,
            f"|Δ| {sec}": None if t is None else t.delta,
            f"tolerance {sec}": None if t is None else t.bound,
            f"{sec} ok": None if t is None else t.ok,
            "note": "; ".join(notes), "source": source,
        })
    table = pd.DataFrame(rows, columns=cols).astype(object)
    table.attrs["source"] = source
    table.attrs["case"] = case.name
    return table


def _versions_text(v: dict) -> str:
    return f"{v.get('R', 'R ?')}, lme4 {v.get('lme4', '?')}, glmmTMB {v.get('glmmTMB', '?')}"


def _resolve_live(live: bool | None) -> bool:
    from mixedlab.parity import _rbridge

    if live is None:
        return _rbridge.available()
    if live:
        _rbridge.require()
    return bool(live)


def run_case(case: Case | str, live: bool | None = None) -> CaseResult:
    """Fit ``case`` with mixedlab and compare with its kind's references (lme4 and glmmTMB).

    Parameters
    ----------
    case : Case or str
    live : bool or None
        ``True``: fit the references now in R (error with install instructions if R is
        missing). ``False``: use the stored reference file. ``None``: live when R is
        available, else stored.
    """
    from mixedlab.parity import _rbridge
    from mixedlab.parity._kinds import get_kind

    case = get_case(case) if isinstance(case, str) else case
    kind = get_kind(case.kind)
    primary, secondary = kind.primary, kind.secondary
    live = _resolve_live(live)
    data, data_source = load_case_data(case)
    notes: list[str] = []
    if live:
        refs = _fit_references(kind, case, data)
        source = f"live R ({_versions_text(_rbridge.versions())})"
    else:
        ref = read_reference(case.name, case)
        fp = fingerprint(data)
        if fp != ref["data"]["fingerprint"]:
            raise ReferenceOutputError(
                f"case {case.name!r}: the data ({data_source}) differ from the data the stored "
                f"reference was generated with ({ref['data']['source']}); regenerate with "
                f"`mixedlab parity --regenerate {case.name}` or fix the dataset"
            )
        refs = {name: ref[name] for name in kind.references if name in ref}
        gen = ref["generated"]
        source = f"stored reference_outputs/parity/{case.name}.json ({_versions_text(gen['versions'])}; {gen['date']})"
    ours = kind.fit_mixedlab(case, data)
    lme4 = refs[primary]
    tmb = refs.get(secondary, {"error": "no secondary reference"}) if secondary else {"error": "none"}

    lme_only = tol.OBJECTIVE_ONLY["lme4_convergence"] if lme4.get("conv_warnings") else None
    if lme_only:
        notes.append(lme_only + ": " + " | ".join(lme4["conv_warnings"]))
    lme_side = _compare(primary, ours, lme4, lme4, lme_only, kind=kind.name, primary=primary)
    tmb_side = None
    if secondary is None:
        pass
    elif "error" in tmb:
        notes.append(f"{secondary} failed: {tmb['error']}")
    else:
        tmb_only = None
        if case.glmmtmb_differs:
            tmb_only = tol.OBJECTIVE_ONLY["glmmtmb_differs"].format(why=case.glmmtmb_differs)
        elif lme4.get("is_singular"):
            tmb_only = tol.OBJECTIVE_ONLY["glmmtmb_singular"]
        elif tmb.get("conv_warnings"):
            tmb_only = tol.OBJECTIVE_ONLY["glmmtmb_convergence"] + ": " + " | ".join(tmb["conv_warnings"])
        tmb_side = _compare(secondary, ours, tmb, lme4, tmb_only, kind=kind.name, primary=primary)
        if case.glmmtmb_differs:
            for c in tmb_side.checks.values():
                if c.ok is not None:
                    c.ok = None
                    c.note = (c.note + "; " if c.note else "") + "reported, not compared"
        notes.extend(f"{secondary}: {n}" for n in tmb_side.notes)
    notes[:0] = lme_side.notes if not lme_only else []
    table = _table(case, lme_side, tmb_side, source, primary, secondary)
    table.attrs["notes"] = notes
    result = CaseResult(case, source, live, table, ours, lme4, tmb, notes)
    result.references = refs
    return result


def _fit_references(kind, case: Case, data: pd.DataFrame) -> dict[str, dict]:
    """Fit every reference of ``kind`` live; optional ones record their R error instead."""
    from mixedlab.parity import _rbridge

    out = {}
    for name in kind.references:
        try:
            out[name] = kind.fit_reference(name, case, data)
        except _rbridge.RFitError as exc:
            if name not in kind.optional:
                raise
            out[name] = {"error": str(exc)}
    return out


def parity_table(case_name: str, live: bool | None = None) -> pd.DataFrame:
    """The side-by-side table of one case (see the module docstring).

    Uses live R when ``live`` is ``None`` and R is available, else the stored reference
    outputs; ``table.attrs["source"]`` (and the ``source`` column) says which.
    """
    return run_case(case_name, live).table


def regenerate(case_names: Iterable[str] | None = None) -> list:
    """Fit the cases in R and (re)write their reference files; return the paths written."""
    from mixedlab.parity import _rbridge
    from mixedlab.parity._corpus import CASES
    from mixedlab.parity._kinds import get_kind
    from mixedlab.parity._reference import write_reference

    _rbridge.require()
    cases = [get_case(n) for n in case_names] if case_names else list(CASES)
    versions = _rbridge.versions()
    paths = []
    for case in cases:
        data, source = load_case_data(case)
        refs = _fit_references(get_kind(case.kind), case, data)
        paths.append(write_reference(case, source, fingerprint(data), refs, versions))
    return paths
