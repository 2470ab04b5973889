"""The parity report of ``mixedlab parity``: a compact table, or the detail with ``--verbose``.

The compact table has one row per case and quantity group (objective, fixed effects, their
standard errors, variance components, correlations, random effects, structure), at most 100
characters wide: the number of quantities compared, the largest |Δ| against lme4 and against
glmmTMB in scientific notation, how much of its tolerance the worst row used, and a verdict.
The detailed table (``--verbose``) lists every row of the harness's table.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["GROUPS", "group_of", "compact_rows", "render_compact", "render_verbose", "render_summary", "WIDTH"]

WIDTH = 100

#: Quantity groups in report order, each with its label.
GROUPS = {
    "objective": "objective/logLik",
    "fixef": "fixed effects",
    "se": "std. errors",
    "vc": "SDs, variances",
    "corr": "correlations",
    "ranef": "random effects",
    "structure": "names, counts",
}

_STRUCTURE = {"nobs", "fixef names", "VarCorr names and order", "ngroups", "isSingular"}


def group_of(label: str) -> str:
    """The quantity group of a harness row label."""
    if label in _STRUCTURE:
        return "structure"
    if label in ("objective", "logLik"):
        return "objective"
    if label.startswith("fixef "):
        return "fixef"
    if label.startswith("se "):
        return "se"
    if label == "sigma" or (label.startswith("VarCorr") and label.endswith((" sd", " var"))):
        return "vc"
    if label.startswith("VarCorr") and label.endswith((" corr", " cov")):
        return "corr"
    if label.startswith("ranef "):
        return "ranef"
    return "structure"


def _finite(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass
class _Side:
    n: int = 0              # rows compared (ok is True/False)
    max_delta: float | None = None
    max_ratio: float | None = None
    failed: bool = False

    def add(self, delta: Any, bound: Any, ok: Any) -> None:
        if ok is None:
            return
        self.n += 1
        self.failed |= ok is False
        d, b = _finite(delta), _finite(bound)
        if d is not None and b:  # exact checks (bound 0) have no |Δ| worth showing
            self.max_delta = d if self.max_delta is None else max(self.max_delta, d)
            r = d / b
            self.max_ratio = r if self.max_ratio is None else max(self.max_ratio, r)

    def verdict(self, exact: bool) -> str:
        if self.n == 0:
            return "—"
        if self.failed:
            return "FAIL"
        if exact:
            return "same"
        # a one-sided row (objective, logLik) past its bound yet accepted: mixedlab's optimum is better
        return "lower" if self.max_ratio is not None and self.max_ratio > 1 else "ok"


def compact_rows(result: Any) -> list[dict[str, Any]]:
    """One row per quantity group of a :class:`~mixedlab.parity.CaseResult`."""
    groups: dict[str, tuple[list[str], _Side, _Side]] = {}
    # the table's columns: case, quantity, mixedlab, <primary reference>, <second reference>, …
    # (lme4 then glmmTMB for lmer/glmer cases; glmmTMB first for the glmmTMB cases)
    cols = list(result.table.columns)
    first, second = (cols[3], cols[4]) if len(cols) > 4 else ("lme4", "glmmTMB")
    keys = {first: ("|Δ|", "tolerance", "within tolerance"),
            second: (f"|Δ| {second}", f"tolerance {second}", f"{second} ok")}
    for r in result.table.to_dict("records"):
        g = group_of(r["quantity"])
        labels, lme, tmb = groups.setdefault(g, ([], _Side(), _Side()))
        labels.append(r["quantity"])
        for side, name in ((lme, "lme4"), (tmb, "glmmTMB")):
            if name in keys:
                d, b, ok = keys[name]
                side.add(r.get(d), r.get(b), r.get(ok))
    rows = []
    for g in GROUPS:
        if g not in groups:
            continue
        labels, lme, tmb = groups[g]
        rows.append({"group": g, "label": GROUPS[g], "rows": len(labels), "lme4": lme, "glmmTMB": tmb})
    return rows


def _sci(v: float | None) -> str:
    return "—" if v is None else f"{v:.1e}"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.0f}%" if v < 9.995 else ">999%"


_HEAD = ["case", "quantities", "n", "max|Δ|", "of tol", "lme4", "max|Δ|", "of tol", "glmmTMB"]
_RIGHT = {2, 3, 4, 6, 7}


def _layout(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if j in _RIGHT else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def render_compact(results: Iterable[Any]) -> list[str]:
    """The compact table (header, rule, one row per case and group), each line ≤ 100 characters."""
    body: list[list[str]] = []
    for res in results:
        name = res.case.name
        for k, row in enumerate(compact_rows(res)):
            exact = row["group"] == "structure"
            lme, tmb = row["lme4"], row["glmmTMB"]
            body.append([
                name if k == 0 else "", row["label"], str(row["rows"]),
                "" if exact else _sci(lme.max_delta), "" if exact else _pct(lme.max_ratio), lme.verdict(exact),
                "" if exact else _sci(tmb.max_delta), "" if exact else _pct(tmb.max_ratio), tmb.verdict(exact),
            ])
    if not body:
        return []
    lines = _layout([_HEAD, ["-" * len(h) for h in _HEAD]] + body)
    # a line above the two comparisons says which engine each one is
    w = [max(len(r[j]) for r in [_HEAD] + body) for j in range(len(_HEAD))]
    start_lme = sum(w[:3]) + 2 * 3
    width_lme = sum(w[3:6]) + 2 * 2
    width_tmb = sum(w[6:9]) + 2 * 2
    over = " " * start_lme + " vs lme4 ".center(width_lme, "-") + "  " + " vs glmmTMB ".center(width_tmb, "-")
    return [over] + lines


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.9g}"
    if isinstance(v, (list, dict)):
        text = str(v)
        return text if len(text) <= 30 else text[:29] + "…"
    return str(v)


def render_verbose(res: Any) -> list[str]:
    """Every row of one case: value in each engine, |Δ| and tolerance (scientific), verdicts."""
    head = ["quantity", "mixedlab", "lme4", "glmmTMB", "|Δ|", "tol", "ok", "glmmTMB ok"]
    rows = [head, ["-" * len(h) for h in head]]
    for r in res.table.to_dict("records"):
        d, b = _finite(r["|Δ|"]), _finite(r["tolerance"])
        rows.append([r["quantity"], _cell(r["mixedlab"]), _cell(r["lme4"]), _cell(r["glmmTMB"]),
                     "" if d is None else f"{d:.1e}", "" if b is None else f"{b:.1e}",
                     {True: "yes", False: "NO", None: "—"}[r["within tolerance"]],
                     {True: "yes", False: "NO", None: "—"}[r["glmmTMB ok"]]])
    widths = [max(len(x[j]) for x in rows) for j in range(len(head))]
    out = []
    for x in rows:
        out.append("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(x, widths))).rstrip())
    notes = [f"{r['quantity']}: {r['note']}" for r in res.table.to_dict("records") if r["note"]]
    for n in notes:
        out += textwrap.wrap(n, WIDTH, initial_indent="  note: ", subsequent_indent="        ")
    return out


def render_summary(results: list[Any]) -> list[str]:
    """Closing lines: cases within tolerance, the sources, largest |Δ| per group, the notes."""
    failed = [r.case.name for r in results if not r.ok]
    sources = sorted({"live R" if r.live else "stored reference outputs" for r in results})
    out = [f"{len(results) - len(failed)}/{len(results)} cases within tolerance ({' + '.join(sources)})"]
    if failed:
        out += textwrap.wrap("outside tolerance: " + ", ".join(failed), WIDTH)
    worst: dict[str, float] = {}
    for res in results:
        for row in compact_rows(res):
            d = row["lme4"].max_delta
            if d is not None:
                worst[row["group"]] = max(worst.get(row["group"], 0.0), d)
    if worst:
        text = "largest |Δ| against lme4 over all cases: " + "; ".join(f"{GROUPS[g]} {worst[g]:.1e}" for g in GROUPS if g in worst)
        out += textwrap.wrap(text, WIDTH, subsequent_indent="  ")
    out.append("of tol: the worst row's |Δ| as a share of its tolerance; lower: mixedlab's optimum is better")
    for res in results:
        for note in res.notes:
            out += textwrap.wrap(f"{res.case.name}: {note}", WIDTH, initial_indent="note: ",
                                 subsequent_indent="      ")
    return out
