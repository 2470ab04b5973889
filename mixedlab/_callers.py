"""The caller's variable names for objects, as R deparses a function's arguments.

lme4 prints "Data: df_nested" and anova labels its rows by the argument expressions;
Python has no such expressions, so mixedlab looks the objects up among the calling
frame's variables instead.
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence

__all__ = ["caller_names"]


def caller_names(objects: Sequence[Any], depth: int) -> list[str | None]:
    """For each object, a public variable of the frame ``depth`` calls up bound to it, or None."""
    frame = inspect.currentframe()
    try:
        for _ in range(depth + 1):  # +1: this function's own frame
            frame = frame.f_back if frame is not None else None
        if frame is None:
            return [None] * len(objects)
        scopes = (frame.f_locals, frame.f_globals)
        out: list[str | None] = []
        for obj in objects:
            out.append(next((name for scope in scopes for name, value in scope.items()
                             if value is obj and not name.startswith("_")), None))
        return out
    finally:
        del frame
