"""The inference parity corpus: mixedlab's tests and intervals against lmerTest, pbkrtest and lme4.

Each :class:`InferenceCase` is a model (data set, formula, rows dropped) and the comparisons
made on it (``checks``):

``coef``      ``coef(summary(m, ddf=))`` for Satterthwaite and Kenward–Roger (lmerTest/pbkrtest)
``summary``   ``print(summary(m, ddf=))``, the text, for both methods
``anova``     lmerTest's ``anova(m, type=, ddf=)`` tables and text, types 1, 2, 3, both methods
``drop1``     lmerTest's ``drop1(m, ddf=)``, both methods
``ranova``    lmerTest's ``ranova(m)`` (refits without each random term, or with it reduced)
``wald``      lme4's ``confint(m, method = "Wald")``
``profile``   lme4's ``confint(m, method = "profile")`` (the likelihood profile, some cases)
``boot``      ``set.seed(s); confint(m, method = "boot", nsim = n)`` (some cases; exact only when
              mixedlab's simulation is R's, otherwise judged statistically)
``broom``     broom.mixed's ``tidy`` (all effects, intervals; and of the lmerTest fit), ``glance``,
              ``augment``

Both sides produce one plain-data result (:func:`mixedlab_results`, :func:`r_results`);
:func:`compare` sets them side by side with the tolerances of
:mod:`mixedlab.parity._tolerances` (reference ``"lmerTest"``). The R results are stored in
``reference_outputs/inference/<case>.json`` by :func:`regenerate` (the only writer; command
``mixedlab parity --regenerate-inference``), with the R and package versions.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from mixedlab.parity import _tolerances as tol
from mixedlab.parity._reference import ReferenceOutputError, fingerprint, json_safe

__all__ = ["InferenceCase", "INFERENCE_CASES", "get_inference_case", "load_inference_data",
           "fit_inference_case", "mixedlab_results", "r_results", "compare", "run_inference_case", "regenerate",
           "reference_path", "DDFS", "ANOVA_TYPES"]

DDFS = ("Satterthwaite", "Kenward-Roger")
ANOVA_TYPES = (1, 2, 3)
_SLEEP_DROPPED = tuple(range(0, 5)) + tuple(range(49, 60)) + tuple(range(99, 103))  # R rows 1:5, 50:60, 100:103
_BASE = ("coef", "summary", "anova", "drop1", "ranova", "wald", "broom")
BOOT_NSIM, BOOT_SEED = 200, 101


@dataclass(frozen=True)
class InferenceCase:
    """One model of the inference corpus.

    Attributes
    ----------
    name
        Identifier and reference file name.
    dataset
        ``"lme4:<name>"`` or ``"corpus:<name>"`` (as :mod:`mixedlab.parity._corpus`).
    formula
        lme4 formula, given verbatim to both sides.
    data_name
        The data's name on the summary's "Data:" line (R: the variable name).
    REML
        REML (Kenward–Roger needs it) or ML.
    drop_rows
        0-based row positions removed from the data set first.
    unordered
        Columns turned into unordered factors first (R's default treatment contrasts).
    checks
        Which comparisons (see the module docstring).
    description
        One line for reports.
    """

    name: str
    dataset: str
    formula: str
    data_name: str
    REML: bool = True
    drop_rows: tuple[int, ...] = ()
    unordered: tuple[str, ...] = ()
    checks: tuple[str, ...] = ("coef", "summary", "anova", "drop1", "ranova", "wald", "broom")
    description: str = ""

    def spec(self) -> dict:
        return {"name": self.name, "dataset": self.dataset, "formula": self.formula,
                "data_name": self.data_name, "REML": self.REML, "drop_rows": list(self.drop_rows),
                "unordered": list(self.unordered), "checks": list(self.checks)}


INFERENCE_CASES: tuple[InferenceCase, ...] = (
    InferenceCase("sleepstudy", "lme4:sleepstudy", "Reaction ~ Days + (Days | Subject)", "sleepstudy",
                  checks=_BASE + ("profile", "boot"), description="balanced sleepstudy, correlated intercept and slope (df = 17 exactly in theory)"),
    InferenceCase("sleepstudy_unbalanced", "lme4:sleepstudy", "Reaction ~ Days + (Days | Subject)", "ss",
                  drop_rows=_SLEEP_DROPPED, checks=_BASE + ("profile",),
                  description="sleepstudy without R rows 1:5, 50:60, 100:103 (GLMM.md 5.1): KR df 15.53/15.88"),
    InferenceCase("sleepstudy_unbalanced_intercept", "lme4:sleepstudy", "Reaction ~ Days + (1 | Subject)", "ss",
                  drop_rows=_SLEEP_DROPPED, description="unbalanced sleepstudy, random intercept only"),
    InferenceCase("sleepstudy_ml", "lme4:sleepstudy", "Reaction ~ Days + (Days | Subject)", "sleepstudy",
                  REML=False, description="ML fit: Satterthwaite only (lmerTest refuses KR for ML fits)"),
    InferenceCase("nested", "corpus:nested", "y ~ treatment + (1 + treatment | school)", "df_nested",
                  checks=_BASE + ("profile",), description="the tutorial's nested model"),
    InferenceCase("crossed", "corpus:crossed", "score ~ treatment + (1 + treatment | rater) + (1 | student)",
                  "df_crossed", description="the tutorial's crossed model"),
    InferenceCase("penicillin", "lme4:Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin",
                  checks=_BASE + ("profile", "boot"), description="crossed intercepts, intercept-only fixed part"),
    InferenceCase("slope3", "corpus:slope3", "y ~ cond + (1 + cond | subject)", "slope3",
                  description="3-level factor with a 3x3 random-effects covariance"),
    InferenceCase("cake_numeric", "lme4:cake", "angle ~ recipe * temp + (1 | recipe:replicate)", "cake",
                  description="3-level factor times a numeric covariate"),
    InferenceCase("cake_factorial_unbalanced", "lme4:cake", "angle ~ recipe * temperature + (1 | recipe:replicate)",
                  "cake", unordered=("temperature",), drop_rows=(0, 7, 20, 33, 61, 100, 151, 200, 211, 250),
                  description="3 x 6 factorial with interaction, 10 rows dropped: types 1, 2, 3 differ"),
    InferenceCase("cake_ordered_unbalanced", "lme4:cake", "angle ~ recipe * temperature + (1 | recipe:replicate)",
                  "cake", drop_rows=(0, 7, 20, 33, 61, 100, 151, 200, 211, 250),
                  description="the same with temperature ordered (contr.poly): type III through the "
                              "treatment-coded remake"),
)

_BY_NAME = {c.name: c for c in INFERENCE_CASES}


def get_inference_case(name: str) -> InferenceCase:
    """The case called ``name`` (a clear error lists the names)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no inference case {name!r}; cases are: {', '.join(_BY_NAME)}") from None


def load_inference_data(case: InferenceCase) -> tuple[pd.DataFrame, str]:
    """The case's data (rows dropped, factors unordered) and where it came from."""
    from mixedlab.parity._corpus import Case, load_case_data

    base = Case(case.name, case.dataset, case.formula, case.REML)
    data, source = load_case_data(base)
    if case.drop_rows:
        data = data.drop(index=data.index[list(case.drop_rows)]).reset_index(drop=True)
        source += f" without rows {list(case.drop_rows)} (0-based)"
    for col in case.unordered:
        data[col] = pd.Categorical(data[col], categories=list(data[col].cat.categories), ordered=False)
        source += f"; {col} unordered"
    return data, source


# --------------------------------------------------------------------------------------
# plain-data tables
# --------------------------------------------------------------------------------------


def _table(df: pd.DataFrame) -> dict:
    return {"index": [str(i) for i in df.index], "columns": [str(c) for c in df.columns],
            "data": [[None if (isinstance(v, float) and math.isnan(v)) else float(v) for v in row]
                     for row in df.to_numpy(dtype=float)]}


def _frame(t: dict) -> pd.DataFrame:
    data = np.array([[np.nan if v is None else v for v in row] for row in t["data"]], dtype=float)
    return pd.DataFrame(data.reshape(len(t["index"]), len(t["columns"])), index=t["index"], columns=t["columns"])


# --------------------------------------------------------------------------------------
# the two sides
# --------------------------------------------------------------------------------------


def fit_inference_case(case: InferenceCase, data: pd.DataFrame):
    """mixedlab's lmer fit of ``case`` on ``data``, its warnings silenced."""
    from mixedlab import lmer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(case.formula, data, REML=case.REML, data_name=case.data_name)


def _ddfs(case: InferenceCase) -> tuple[str, ...]:
    return DDFS if case.REML else ("Satterthwaite",)


def mixedlab_results(case: InferenceCase, data: pd.DataFrame | None = None) -> dict[str, Any]:
    """mixedlab's side of the case: the same layout as :func:`r_results`."""
    from mixedlab import anova, drop1, ranova

    if data is None:
        data, _ = load_inference_data(case)
    fit = fit_inference_case(case, data)
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "coef" in case.checks:
            out["coef"] = {d: _table(fit.coef_table(ddf=d)) for d in _ddfs(case)}
        if "summary" in case.checks:
            out["summary"] = {d: str(fit.summary(ddf=d)) for d in _ddfs(case)}
        if "anova" in case.checks:
            out["anova"] = {}
            for d in _ddfs(case):
                for t in ANOVA_TYPES:
                    tab = anova(fit, type=t, ddf=d)
                    out["anova"][f"{t}/{d}"] = {"table": _table(tab), "text": str(tab)}
        if "drop1" in case.checks:
            out["drop1"] = {}
            for d in _ddfs(case):
                tab = drop1(fit, ddf=d)
                out["drop1"][d] = {"table": _table(tab), "text": str(tab)}
        if "ranova" in case.checks:
            tab = ranova(fit)
            out["ranova"] = {"table": _table(tab), "text": str(tab)}
        out.update(_mixedlab_intervals(case, fit))
    return out


def _broom_frame(df: pd.DataFrame) -> dict:
    """A broom.mixed result as plain data: columns, text columns, numeric table."""
    text = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype) in ("category", "str", "string")]
    num = [c for c in df.columns if c not in text]
    texts = {c: [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
                 for v in df[c].tolist()] for c in text}
    numbers = df[num].astype(float)
    numbers.index = [str(i) for i in range(len(df))]
    return {"columns": [str(c) for c in df.columns], "text": texts, "numbers": _table(numbers)}


def _mixedlab_intervals(case: InferenceCase, fit) -> dict:
    out: dict[str, Any] = {}
    if "wald" in case.checks:
        out["wald"] = _table(fit.confint(method="Wald", quiet=True))
    if "profile" in case.checks:
        out["profile"] = _table(fit.confint(method="profile", quiet=True))
    if "boot" in case.checks:
        out["boot"] = _table(fit.confint(method="boot", nsim=BOOT_NSIM, seed=BOOT_SEED, quiet=True, progress=False))
        out["boot_r_identical"] = callable(getattr(fit, "simulate", None))
    if "broom" in case.checks:
        out["broom"] = {
            "tidy": _broom_frame(fit.tidy(effects=("fixed", "ran_pars", "ran_vals"), conf_int=True)),
            "tidy_lmerTest": _broom_frame(fit.tidy(conf_int=True, ddf="Satterthwaite")),
            "glance": _broom_frame(fit.glance()),
            "augment": _broom_frame(fit.augment()),
        }
    return out


def r_results(case: InferenceCase, data: pd.DataFrame | None = None) -> dict[str, Any]:
    """R's side of the case (lmerTest, pbkrtest, lme4), computed now."""
    from mixedlab.parity._rinference import RModel

    if data is None:
        data, _ = load_inference_data(case)
    m = RModel(case.formula, data, case.data_name, REML=case.REML)
    out: dict[str, Any] = {}
    if "coef" in case.checks:
        out["coef"] = {d: _table(m.coef_table(d)) for d in _ddfs(case)}
    if "summary" in case.checks:
        out["summary"] = {d: m.summary_text(d) for d in _ddfs(case)}
    if "anova" in case.checks:
        out["anova"] = {}
        for d in _ddfs(case):
            for t in ANOVA_TYPES:
                tab, text = m.anova(t, d)
                out["anova"][f"{t}/{d}"] = {"table": _table(tab), "text": text}
    if "drop1" in case.checks:
        out["drop1"] = {}
        for d in _ddfs(case):
            tab, text = m.drop1(d)
            out["drop1"][d] = {"table": _table(tab), "text": text}
    if "ranova" in case.checks:
        tab, text = m.ranova()
        out["ranova"] = {"table": _table(tab), "text": text}
    if "wald" in case.checks:
        out["wald"] = _table(m.confint("Wald"))
    if "profile" in case.checks:
        out["profile"] = _table(m.confint("profile"))
    if "boot" in case.checks:
        out["boot"] = _table(m.confint("boot", nsim=BOOT_NSIM, seed=BOOT_SEED))
    if "broom" in case.checks:
        out["broom"] = {
            "tidy": _broom_frame(m.tidy(effects=("fixed", "ran_pars", "ran_vals"), conf_int=True)),
            "tidy_lmerTest": _broom_frame(m.tidy(conf_int=True, lme4=False)),
            "glance": _broom_frame(m.glance()),
            "augment": _broom_frame(m.augment()),
        }
    return out


# --------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------


@dataclass
class InferenceResult:
    """The comparison of one case: a table of checks and the failures among them."""

    case: InferenceCase
    source: str
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> pd.DataFrame:
        return self.table[self.table["ok"] == False]  # noqa: E712

    @property
    def ok(self) -> bool:
        return self.failures.empty

    def max_rel(self) -> dict[str, float]:
        """Largest |Δ| / |reference| per quantity (compared numeric rows only)."""
        out: dict[str, float] = {}
        for r in self.table.itertuples(index=False):
            if r.ok is None or r.kind != "number":
                continue
            ref = abs(r.reference) if r.reference else 0.0
            rel = r.delta if r.quantity == "p" else (r.delta / ref if ref > 0 else r.delta)
            out[r.quantity] = max(out.get(r.quantity, 0.0), rel)
        return out


_COLUMN_QUANTITY = {
    "Estimate": "estimate", "Std. Error": "se", "df": "df", "t value": "t", "Pr(>|t|)": "p",
    "Sum Sq": "ss", "Mean Sq": "ss", "NumDF": "numdf", "DenDF": "df", "F value": "F", "Pr(>F)": "p",
}


_RANOVA_QUANTITY = {"npar": "npar", "logLik": "loglik", "AIC": "aic", "LRT": "lrt", "Df": "npar",
                    "Pr(>Chisq)": "p"}


def _method_tag(section: str, key: str) -> str:
    return "Kenward-Roger" if "Kenward" in key else "Satterthwaite"


def _compare_table(rows: list, section: str, key: str, ours: dict, ref: dict, method: str | None = None) -> None:
    a, b = _frame(ours), _frame(ref)
    label = f"{section} {key}"
    if list(a.index) != list(b.index) or list(a.columns) != list(b.columns):
        rows.append((label, "names", "layout", f"{list(a.index)} x {list(a.columns)}",
                     f"{list(b.index)} x {list(b.columns)}", None, None, False))
        return
    rows.append((label, "names", "layout", "same", "same", 0.0, 0.0, True))
    method = method or _method_tag(section, key)
    for r in b.index:
        for c in b.columns:
            q = (_RANOVA_QUANTITY if method == "ranova" else _COLUMN_QUANTITY).get(c, "estimate")
            mv, rv = float(a.loc[r, c]), float(b.loc[r, c])
            if math.isnan(rv) and math.isnan(mv):
                continue
            delta, bound, ok = tol.inference_within(method, q, mv, rv)
            rows.append((f"{label} [{r}, {c}]", q, "number", mv, rv, delta, bound, ok))


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?")


def text_match(ours: str, ref: str) -> tuple[bool, float | None]:
    """Printed texts agree: identical, or differing only in numbers within the text rule.

    Returns ``(ok, largest relative difference of a differing number)`` (0.0 when identical,
    ``None`` when the texts differ in anything but numbers).
    """
    if ours == ref:
        return True, 0.0
    a, b = ours.splitlines(), ref.splitlines()
    if len(a) != len(b):
        return False, None
    worst = 0.0
    for la, lb in zip(a, b):
        if la == lb:
            continue
        if _NUMBER.sub("#", la) != _NUMBER.sub("#", lb):
            return False, None
        for x, y in zip(_NUMBER.findall(la), _NUMBER.findall(lb)):
            if x != y:
                fx, fy = float(x), float(y)
                rel = abs(fx - fy) / abs(fy) if fy else math.inf
                worst = max(worst, rel)
    return worst <= tol.TEXT_NUMBER_REL, worst


def _text_row(rows: list, label: str, ours: str, ref: str) -> None:
    ok, worst = text_match(ours, ref)
    rows.append((label, "text", "text", ours, ref, worst, tol.TEXT_NUMBER_REL, ok))


def compare(case: InferenceCase, ours: dict, ref: dict) -> pd.DataFrame:
    """Side-by-side table: ``check, quantity, kind, mixedlab, reference, delta, tolerance, ok``."""
    rows: list = []
    for d, t in ref.get("coef", {}).items():
        _compare_table(rows, "coef", d, ours["coef"][d], t)
    for d, text in ref.get("summary", {}).items():
        _text_row(rows, f"summary {d}", ours["summary"][d], text)
    for key, val in ref.get("anova", {}).items():
        _compare_table(rows, "anova", key, ours["anova"][key]["table"], val["table"])
        _text_row(rows, f"anova {key} text", ours["anova"][key]["text"], val["text"])
    for key, val in ref.get("drop1", {}).items():
        _compare_table(rows, "drop1", key, ours["drop1"][key]["table"], val["table"])
        _text_row(rows, f"drop1 {key} text", ours["drop1"][key]["text"], val["text"])
    if "ranova" in ref:
        _compare_table(rows, "ranova", "LRT", ours["ranova"]["table"], ref["ranova"]["table"], "ranova")
        _text_row(rows, "ranova text", ours["ranova"]["text"], ref["ranova"]["text"])
    for method in ("wald", "profile", "boot"):
        if method in ref:
            exact = method != "boot" or bool(ours.get("boot_r_identical"))
            _compare_interval(rows, method if exact else "boot_statistical", ours[method], ref[method])
    for key, val in ref.get("broom", {}).items():
        _compare_broom(rows, key, ours["broom"][key], val)
    return pd.DataFrame(rows, columns=["check", "quantity", "kind", "mixedlab", "reference", "delta",
                                       "tolerance", "ok"]).astype(object)


def _compare_interval(rows: list, method: str, ours: dict, ref: dict) -> None:
    a, b = _frame(ours), _frame(ref)
    label = f"confint {method}"
    same = list(a.index) == list(b.index) and list(a.columns) == list(b.columns)
    rows.append((label, "names", "layout", f"{list(a.index)} x {list(a.columns)}",
                 f"{list(b.index)} x {list(b.columns)}", 0.0 if same else None, 0.0, same))
    if not same:
        return
    for r in b.index:
        lo, hi = b.loc[r].to_numpy(dtype=float)
        width = hi - lo if np.isfinite(hi - lo) else 0.0
        for c in b.columns:
            mv, rv = float(a.loc[r, c]), float(b.loc[r, c])
            if math.isnan(rv) and math.isnan(mv):
                continue
            delta, bound, ok = tol.interval_within(method, mv, rv, width)
            rows.append((f"{label} [{r}, {c}]", method, "number", mv, rv, delta, bound, ok))


_BROOM_QUANTITY = {"estimate": "value", "std.error": "value", "statistic": "value", "df": "df",
                   "p.value": "p", "conf.low": "value", "conf.high": "value", "nobs": "count",
                   "df.residual": "count", "logLik": "loglik", "AIC": "ic", "BIC": "ic", "REMLcrit": "ic",
                   "deviance": "ic"}


def _compare_broom(rows: list, key: str, ours: dict, ref: dict) -> None:
    label = f"broom {key}"
    same = ours["columns"] == ref["columns"] and ours["text"] == ref["text"] \
        and len(ours["numbers"]["index"]) == len(ref["numbers"]["index"])
    rows.append((label, "names", "layout", str(ours["columns"]), str(ref["columns"]), 0.0 if same else None,
                 0.0, same))
    if not same:
        return
    a, b = _frame(ours["numbers"]), _frame(ref["numbers"])
    for c in b.columns:
        col = b[c].to_numpy(dtype=float)
        fin = col[np.isfinite(col)]
        scale = float(np.max(np.abs(fin))) if fin.size else 0.0
        q = _BROOM_QUANTITY.get(c, "value")
        worst = None
        for r in b.index:
            mv, rv = float(a.loc[r, c]), float(b.loc[r, c])
            if math.isnan(rv) and math.isnan(mv):
                continue
            delta, bound, ok = tol.broom_within(q, mv, rv, scale)
            if worst is None or not ok or (bound and delta / bound > worst[5] / max(worst[6], 1e-300)):
                worst = (f"{label} [{c}] (worst of {len(b)})", q, "number", mv, rv, delta, bound, ok)
            if not ok:
                break
        if worst is not None:
            rows.append(worst)


# --------------------------------------------------------------------------------------
# stored references
# --------------------------------------------------------------------------------------


def reference_path(name: str) -> Path:
    """``reference_outputs/inference/<name>.json`` (``MIXEDLAB_REFERENCE_DIR`` moves the root)."""
    from mixedlab.parity._reference import reference_dir

    return reference_dir().parent / "inference" / f"{name}.json"


def regenerate(names: Iterable[str] | None = None) -> list[Path]:
    """Compute R's side of the cases and (re)write their reference files; return the paths."""
    from mixedlab.parity import _rinference

    _rinference.require()
    versions = _rinference.versions()
    cases = [get_inference_case(n) for n in names] if names else list(INFERENCE_CASES)
    paths = []
    for case in cases:
        data, source = load_inference_data(case)
        payload = {
            "case": case.spec(), "description": case.description,
            "generated": {"by": "mixedlab parity --regenerate-inference",
                          "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
                          "versions": versions, "python": platform.python_version(),
                          "platform": platform.platform()},
            "data": {"source": source, "fingerprint": fingerprint(data)},
            "R": r_results(case, data),
        }
        path = reference_path(case.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json_safe(payload), indent=1, ensure_ascii=False, allow_nan=False) + "\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


def read_inference_reference(case: InferenceCase) -> dict:
    """The stored reference of ``case``; a clear error when missing or made for another spec."""
    path = reference_path(case.name)
    if not path.exists():
        raise ReferenceOutputError(f"no stored inference reference for {case.name!r} at {path}; generate it "
                                   f"with `mixedlab parity --regenerate-inference {case.name}`")
    ref = json.loads(path.read_text(encoding="utf-8"))
    if ref["case"] != case.spec():
        raise ReferenceOutputError(f"{path} was made for {ref['case']}, the case is now {case.spec()}; "
                                   f"regenerate with `mixedlab parity --regenerate-inference {case.name}`")
    return ref


def run_inference_case(name: str | InferenceCase, live: bool) -> InferenceResult:
    """Compare mixedlab with R on one case: live (R now) or stored (the reference file)."""
    case = get_inference_case(name) if isinstance(name, str) else name
    data, source = load_inference_data(case)
    if live:
        from mixedlab.parity import _rinference

        _rinference.require()
        ref = r_results(case, data)
        v = _rinference.versions()
        src = f"live R ({v['R']}, lmerTest {v['lmerTest']}, pbkrtest {v['pbkrtest']}, lme4 {v['lme4']})"
    else:
        stored = read_inference_reference(case)
        if stored["data"]["fingerprint"] != fingerprint(data):
            raise ReferenceOutputError(f"case {case.name!r}: the data ({source}) differ from those the stored "
                                       "reference was made with; regenerate it")
        ref = stored["R"]
        v = stored["generated"]["versions"]
        src = (f"stored {reference_path(case.name).name} ({v['R']}, lmerTest {v['lmerTest']}, "
               f"{stored['generated']['date']})")
    ours = mixedlab_results(case, data)
    return InferenceResult(case, src, compare(case, ours, ref))
