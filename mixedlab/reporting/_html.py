"""Jupyter display of a fitted model: lme4's summary as HTML tables.

The cells are the very strings of the text summary (R's number formatting
from :mod:`mixedlab.reporting.rformat`), so notebook and console show the same digits;
only the layout differs: header lines, then one table per block (residual
quantiles, random effects, fixed effects, their correlation), then messages.
"""

from __future__ import annotations

from html import escape
from typing import Any, Sequence

from mixedlab.reporting._messages import missingness_note

__all__ = ["summary_html"]

_STYLE = (
    "<style>"
    ".mixedlab-summary table{border-collapse:collapse;margin:0.2em 0 0.8em 0;}"
    ".mixedlab-summary th,.mixedlab-summary td{padding:0.1em 0.7em;"
    "font-family:monospace;white-space:pre;}"
    ".mixedlab-summary td.num{text-align:right;}"
    ".mixedlab-summary th{text-align:left;border-bottom:1px solid #999;}"
    ".mixedlab-summary caption{text-align:left;font-weight:bold;padding:0.2em 0;}"
    ".mixedlab-summary .msg{color:#a15c00;font-family:monospace;}"
    "</style>"
)


def _table(
    caption: str,
    colnames: Sequence[str],
    rows: Sequence[Sequence[str]],
    rownames: Sequence[str] | None = None,
    numeric_from: int = 0,
) -> str:
    """One HTML table; columns from ``numeric_from`` on are right-aligned numbers."""
    head = ("<th></th>" if rownames is not None else "") + "".join(
        f"<th>{escape(c)}</th>" for c in colnames
    )
    body = []
    for i, row in enumerate(rows):
        cells = f"<th>{escape(rownames[i])}</th>" if rownames is not None else ""
        for j, cell in enumerate(row):
            cls = ' class="num"' if j >= numeric_from else ""
            cells += f"<td{cls}>{escape(cell.strip())}</td>"
        body.append(f"<tr>{cells}</tr>")
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def summary_html(summary: Any) -> str:
    """Render an :class:`~mixedlab.reporting._summary.LmerSummary` as HTML.

    Parameters
    ----------
    summary : LmerSummary
        The summary whose precomputed parts are shown.

    Returns
    -------
    str
        A self-contained ``<div>`` with a small style block.
    """
    p = summary.parts
    out = [_STYLE, '<div class="mixedlab-summary">', f"<p><b>{escape(p.title)}</b><br>"]
    out.append(f"Formula: <code>{escape(' '.join(s.strip() for s in p.formula_lines))}</code>")
    if p.data_name:
        out.append(f"<br>Data: <code>{escape(str(p.data_name))}</code>")
    for label, value in getattr(p, "header", ()):
        out.append(f"<br>{escape(label)}: <code>{escape(value)}</code>")
    out.append("</p>")
    if p.criterion is not None:
        out.append(f"<p>{escape(p.criterion[0])} {escape(p.criterion[1])}</p>")
    else:
        out.append(_table("Model fit", p.aic_names, [p.aic_cells]))
    if p.resid_cells:
        out.append(_table("Scaled residuals", p.resid_names, [p.resid_cells]))
    # Random effects: Groups and Name are text, the rest numbers.
    out.append(_table("Random effects", p.vc_colnames, p.vc_cells, numeric_from=2))
    grps = "; ".join(f"{escape(n)}, {k}" for n, k in p.ngrps)
    out.append(f"<p>Number of obs: {p.nobs}, groups: {grps}</p>")
    if p.n_dropped:
        out.append(f"<p>{missingness_note(p.n_dropped)}</p>")
    if p.coef_cells:
        out.append(_table("Fixed effects", p.coef_colnames, p.coef_cells, rownames=p.coef_rownames))
        if p.cor is not None:
            rn, cn, cells = p.cor
            out.append(_table("Correlation of Fixed Effects", cn, cells, rownames=rn))
        elif p.cor_suppressed:
            out.append(
                f"<p class='msg'>Correlation matrix not shown by default, as p = "
                f"{len(p.coef_rownames)} &gt; 12.</p>"
            )
    msgs = []
    if p.fit_msgs:
        msgs += ["fit warnings:"] + p.fit_msgs
    msgs += [m for m in p.conv_lines if m]
    if msgs:
        out.append("<p class='msg'>" + "<br>".join(escape(m) for m in msgs) + "</p>")
    out.append("</div>")
    return "".join(out)
