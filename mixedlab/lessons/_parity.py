"""The parity cell that ends lessons 1-3: mixedlab beside lme4 and glmmTMB.

The comparison itself is :func:`mixedlab.parity.run_case`; this module only
shows it in a notebook: a visible note saying whether R ran live or the stored
reference outputs were read, the table, and one machine-readable line that
``mixedlab lessons`` collects for its summary (:data:`PARITY_LINE`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["show_parity", "TABLE_COLUMNS"]

#: The columns shown in a lesson (the harness's full table has more).
TABLE_COLUMNS = ["quantity", "mixedlab", "lme4", "glmmTMB", "|Δ|", "tolerance", "within tolerance",
                 "glmmTMB ok", "note"]


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
    mixedlab.parity.CaseResult
        The full result (``.table``, ``.ok``, ``.source``, ``.notes``).
    """
    from mixedlab import parity

    result = parity.run_case(case_name, live)
    kind = "live R" if result.live else "stored reference outputs"
    status = "within tolerance" if result.ok else "OUTSIDE tolerance"
    print(f"Reference values: {result.source}")
    if not result.live:
        print("R is not available here, so lme4 and glmmTMB were not run now: their values are the "
              "stored reference outputs written by `mixedlab parity --regenerate`.")
    for note in result.notes:
        print(f"note: {note}")
    table = result.table[TABLE_COLUMNS]
    try:
        from IPython.display import display

        display(table)
    except ImportError:  # pragma: no cover - outside IPython
        print(table.to_string())
    print(f"parity {case_name}: {status} ({kind})")
    return result
