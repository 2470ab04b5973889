"""Notes and messages that several displays print."""

from __future__ import annotations

__all__ = ["missingness_note"]


def missingness_note(n_dropped: int) -> str:
    """R's note for rows removed by na.omit, e.g. "(3 observations deleted due to missingness)"."""
    return f"({n_dropped} observation{'' if n_dropped == 1 else 's'} deleted due to missingness)"
