"""Recognise a Dask DataFrame without importing Dask (it is an optional extra)."""

from __future__ import annotations

from typing import Any

__all__ = ["is_dask_frame", "require_dask"]


def is_dask_frame(data: Any) -> bool:
    """True for a ``dask.dataframe.DataFrame`` (classic or dask-expr), judged by its type's module."""
    for cls in type(data).__mro__:
        if cls.__name__ == "DataFrame" and cls.__module__.split(".")[0] in ("dask", "dask_expr"):
            return True
    return False


def require_dask() -> Any:
    """Import ``dask`` with the extra's install hint when it is missing."""
    try:
        import dask
        import dask.dataframe  # noqa: F401
    except ImportError as err:  # pragma: no cover - the extra is installed in CI
        raise ImportError("fitting from a Dask DataFrame needs the dask extra: "
                          "pip install 'mixedlab[dask]'") from err
    return dask
