"""Render a benchmark result: plain-text tables for the terminal, Markdown, JSON.

Times are shown as median with the interquartile range in brackets, ratios as
the median of the pairwise (same-round) ratios mixedlab/lme4 with their IQR,
memory as each engine's peak resident-set growth during one fit.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["render_text", "render_markdown", "write_json", "verdict_line", "ENGINE_LABELS"]

ENGINE_LABELS = {"mixedlab": "mixedlab", "lme4": "lme4", "glmmTMB": "glmmTMB", "statsmodels": "statsmodels",
                 "glmm": "glmm", "mixedlm": "mixedlm"}
_ENGINES = tuple(ENGINE_LABELS)


def _fmt_peer_ratio(case: dict) -> str:
    """Median pairwise ratio mixedlab/(fastest peer), naming the peer."""
    peer = case.get("fastest_peer")
    if not peer:
        return "-"
    s = case["peers"][peer]["ratio_mixedlab_peer"]["summary"]
    if s is None:
        return "-"
    return f"{s['median']:.2f} ({peer})"


def _fmt_peer_agreement(case: dict) -> str:
    """Each peer's objective against lme4's."""
    parts = []
    for peer, rec in (case.get("peers") or {}).items():
        a = rec["agreement"]
        parts.append(f"{peer} {a['status']}" + ("" if a["difference"] is None else f" ({a['difference']:+.1e})"))
    return "; ".join(parts) or "-"


def _fmt_load(case: dict) -> str:
    """The 1-minute load average before and after the case's timed rounds, with its busy loops."""
    la = case.get("load_average") or {}
    b, a = la.get("before"), la.get("after")
    if not b or not a:
        return "-"
    extra = f", {case['burners']} busy loops" if case.get("burners") else ""
    return f"{b[0]:.1f}-{a[0]:.1f}{extra}"


def _fmt_seconds(value: float | None) -> str:
    """Seconds with a unit chosen for readability (ms below one second)."""
    if value is None or not math.isfinite(value):
        return "-"
    if value < 1.0:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def _fmt_time(case: dict, engine: str) -> str:
    """``median [q1–q3]`` for an engine on a case, or why it has no time."""
    rec = case["engines"].get(engine)
    if rec is None:
        reason = case["skipped"].get(engine, "")
        return "n/a" if reason.startswith("not expressible") else "skipped"
    if rec["summary"] is None:
        return "ERROR"
    s = rec["summary"]
    if s["n"] == 1:
        return _fmt_seconds(s["median"]) + " (n=1)"
    return f"{_fmt_seconds(s['median'])} [{_fmt_seconds(s['q1'])}-{_fmt_seconds(s['q3'])}]"


def _fmt_ratio(case: dict) -> str:
    """Median pairwise ratio mixedlab/lme4 with its IQR."""
    s = case["ratio_mixedlab_lme4"]["summary"]
    if s is None:
        return "-"
    vs = "" if case.get("ratio_reference", "lme4") == "lme4" else f" vs {case['ratio_reference']}"
    if s["n"] == 1:
        return f"{s['median']:.3f} (n=1){vs}"
    return f"{s['median']:.3f} [{s['q1']:.3f}-{s['q3']:.3f}]{vs}"


def _fmt_memory(case: dict, engine: str) -> str:
    """Peak resident-set growth in MB for one engine."""
    mem = case["memory"].get(engine)
    if mem is None:
        return "-"
    if "error" in mem:
        return "error"
    return f"{mem['peak_rss_growth_mb']:.0f}"


def _fmt_agreement(case: dict) -> str:
    """``ok``/``lower``/``FAIL``/``unchecked`` with the objective difference."""
    a = case["agreement"]
    if a["difference"] is None:
        return a["status"]
    return f"{a['status']} ({a['difference']:+.1e} vs {a['reference']})"


def _fmt_targets(case: dict) -> str:
    """Each target with ``met``/``MISSED``/``n/a``."""
    parts = []
    for t in case["targets"]:
        verdict = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        if t.get("void"):
            verdict = "MISSED (wrong answer)"
        parts.append(f"{t['label']}: {verdict}")
    return "; ".join(parts) or "-"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """Left-aligned fixed-width table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def render_text(result: dict) -> str:
    """The terminal report: a timing table, a checks table, skip reasons, machine line."""
    cases = result["cases"]
    engines = [e for e in _ENGINES if any(e in c["engines"] for c in cases)] or ["mixedlab", "lme4"]
    timing = _table(
        ["model", "rows"] + [ENGINE_LABELS[e] for e in engines],
        [[c["name"], f"{c['nobs']:,}"] + [_fmt_time(c, e) for e in engines] for c in cases],
    )
    checks = _table(
        ["model", "mixedlab/lme4", "mixedlab/fastest peer", "mem MB mixedlab", "mem MB lme4",
         "agreement (objective)", "peers vs lme4", "targets", "load"],
        [
            [c["name"], _fmt_ratio(c), _fmt_peer_ratio(c), _fmt_memory(c, "mixedlab"), _fmt_memory(c, "lme4"),
             _fmt_agreement(c), _fmt_peer_agreement(c), _fmt_targets(c), _fmt_load(c)]
            for c in cases
        ],
    )
    notes = []
    for c in cases:
        for engine, reason in c["skipped"].items():
            if reason != "not selected":
                notes.append(f"  {c['name']}/{engine}: {reason}")
        for engine, rec in c["engines"].items():
            if rec["error"]:
                notes.append(f"  {c['name']}/{engine}: ERROR {rec['error']}")
        if c["agreement"]["note"]:
            notes.append(f"  {c['name']}: {c['agreement']['note']}")
    m = result["machine"]
    machine = (
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, numpy {m['numpy']} ({m['numpy_blas']}); "
        f"{m['R'] or 'R n/a'}, lme4 {m['lme4'] or 'n/a'}, glmmTMB {m['glmmTMB'] or 'n/a'}; "
        f"statsmodels {m['statsmodels'] or 'n/a'}; "
        + "".join(f"{k} {v or 'n/a'}; " for k, v in (m.get("peers") or {}).items())
        + f"load average {m.get('load_average')}; {m['date']}"
    )
    parts = [
        "Fit time: median [IQR] over repeats",
        timing,
        "",
        "Pairwise ratio mixedlab/lme4 (median [IQR]), peak RSS growth of one fit, agreement, targets",
        checks,
    ]
    if notes:
        parts += ["", "Notes:"] + notes
    parts += ["", machine]
    parts.append(verdict_line(result))
    return "\n".join(parts)


def verdict_line(result: dict) -> str:
    """The closing line: never claims agreement for answers that were not compared."""
    cases = result["cases"]
    failed = [c["name"] for c in cases if c["agreement"]["status"] == "FAIL"]
    unchecked = [c["name"] for c in cases if c["agreement"]["status"] == "unchecked"]
    if failed:
        return "FAILED: a mixedlab answer disagrees with lme4 (" + ", ".join(failed) + ")"
    if unchecked and len(unchecked) == len(cases):
        return ("NOTHING COMPARED: no reference engine (lme4 or glmmTMB) ran, so no mixedlab answer was "
                "checked; these are timings only. Install R with lme4 and glmmTMB and the r extra to compare.")
    if unchecked:
        return (f"{len(cases) - len(unchecked)} of {len(cases)} answers agree with lme4; not compared "
                f"(no reference engine ran): {', '.join(unchecked)}")
    return "all answers agree"


def render_markdown(result: dict) -> str:
    """A Markdown table suitable for the README's Performance section."""
    header = (
        "| model | rows | mixedlab | lme4 | glmmTMB | statsmodels | glmm | mixedlm | mixedlab/lme4 | "
        "mixedlab/fastest peer | target | peak memory mixedlab / lme4 (MB) | agrees with lme4 | peers vs lme4 | "
        "load (1 min) |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | --- |"
    )
    rows = []
    for c in result["cases"]:
        targets = ", ".join(
            f"{t['label']} {'✓' if t['met'] else ('✗' if t['met'] is False else '?')}{' (wrong answer)' if t.get('void') else ''}"
            for t in c["targets"]
        )
        a = c["agreement"]
        agrees = a["status"] if a["difference"] is None else f"{a['status']} ({a['difference']:+.1e})"
        rows.append(
            f"| {c['name']} | {c['nobs']:,} | "
            + " | ".join(_fmt_time(c, e) for e in _ENGINES)
            + f" | {_fmt_ratio(c)} | {_fmt_peer_ratio(c)} | {targets or '-'} | {_fmt_memory(c, 'mixedlab')} / {_fmt_memory(c, 'lme4')} | {agrees} | {_fmt_peer_agreement(c)} | {_fmt_load(c)} |"
        )
    m = result["machine"]
    foot = (
        f"\n\n{m['cpu']}, {m['cores']} cores; Python {m['python']}, numpy {m['numpy']} ({m['numpy_blas']}); "
        f"{m['R']}, lme4 {m['lme4']}, glmmTMB {m['glmmTMB']} (R BLAS: {m['R_BLAS']}); statsmodels {m['statsmodels']}; "
        + "".join(f"{k} {v}; " for k, v in (m.get("peers") or {}).items())
        + f"load average {m.get('load_average')}; "
        f"{m['date'][:10]}. Times: median [IQR]; ratio: median of same-round pairs."
    )
    return header + "\n" + "\n".join(rows) + foot


def _json_default(value: Any) -> Any:
    """Make numpy scalars and other stragglers JSON-serialisable."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def write_json(result: dict, path: str) -> None:
    """Write ``result`` to ``path`` as indented JSON."""
    with open(path, "w") as fh:
        json.dump(result, fh, indent=2, default=_json_default)
        fh.write("\n")
