"""Data checks and missing-value handling for the model frame (R's ``model.frame`` + ``na.omit``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError
from mixedlab.formula._evaluate import Basis, Factor, Numeric

__all__ = ["as_data_frame", "check_data", "extra_vector", "rows_to_use", "frame_table"]


def as_data_frame(data: Any, what: str = "data") -> pd.DataFrame:
    """The data as a pandas DataFrame: a DataFrame as it is, a polars or pyarrow table through
    its own ``.to_pandas()`` (which keeps the column names and turns dictionary/categorical
    columns into Categoricals). The input is never modified.

    Raises
    ------
    DataError
        Anything else, a frame with no rows or with MultiIndex columns; the message says how
        to convert.
    """
    if not isinstance(data, pd.DataFrame):
        data = _converted(data, what)
    if isinstance(data.columns, pd.MultiIndex):
        raise DataError(
            f"{what} has MultiIndex (several-level) column names, which a formula cannot refer "
            f"to; flatten them first, e.g. {what}.columns = ['_'.join(map(str, c)) for c in "
            f"{what}.columns]")
    if len(data) == 0:
        raise DataError(f"the {what} has no rows")
    return data


def _converted(data: Any, what: str) -> pd.DataFrame:
    """A polars/pyarrow table converted with its ``.to_pandas()``; an error for anything else."""
    kind = type(data).__module__.split(".")[0]
    name = type(data).__name__
    if kind == "polars" and name == "LazyFrame":
        raise DataError(f"{what} is a polars LazyFrame; collect it first: {what}.collect()")
    if kind in ("polars", "pyarrow") and hasattr(data, "to_pandas"):
        try:
            out = data.to_pandas()
        except ModuleNotFoundError as exc:  # polars needs pyarrow for to_pandas()
            raise DataError(f"converting the {kind} {name} {what} to pandas needs the "
                            f"{exc.name} package: pip install {exc.name}") from None
        if isinstance(out, pd.DataFrame):
            return out
    if isinstance(data, pd.Series):
        raise DataError(f"{what} is a pandas Series; give a DataFrame whose columns the formula "
                        f"names, e.g. {what}.to_frame() or pandas.DataFrame({{...}})")
    raise DataError(f"{what} must be a pandas DataFrame (polars and pyarrow tables are "
                    f"converted with their .to_pandas()), not {kind}.{name}; build one with "
                    "named columns: pandas.DataFrame({'y': ..., 'x': ..., 'g': ...})")


def check_data(data: Any, what: str = "data") -> pd.DataFrame:
    """Alias of :func:`as_data_frame` (kept for callers of the parse stage)."""
    return as_data_frame(data, what)


def extra_vector(spec: Any, data: pd.DataFrame, what: str) -> np.ndarray | None:
    """Resolve ``weights=`` or ``offset=``: a column name, one value per row, or None.

    Values are taken by position (as R does). A one-column DataFrame or an ``(n, 1)``
    array is accepted as its column; booleans, text and other shapes are errors that say
    what was given. The result is a new float64 array (the input is never modified).
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in data.columns:
            raise DataError(f"{what} column {spec!r} is not in the data")
        col = data[spec]
        if isinstance(col, pd.DataFrame):
            raise DataError(f"the data has more than one column named {spec!r}")
        if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype) \
                or getattr(col.dtype, "kind", None) == "c":
            raise DataError(f"{what} column {spec!r} must be numeric (it has dtype {col.dtype})")
        vals = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        if isinstance(spec, pd.Series) and not spec.index.equals(data.index):
            raise DataError(f"{what} is a Series whose index differs from the data's; values are "
                            f"taken by position, so pass {what}.to_numpy() to use that order, or "
                            f"{what}.reindex(data.index) to align it by index first")
        vals = _vector_values(spec, what, len(data))
    if what == "weights" and np.any(vals[~np.isnan(vals)] < 0):
        k = int(np.sum(vals[~np.isnan(vals)] < 0))
        raise DataError(f"negative weights not allowed ({k} negative value{'s' if k > 1 else ''}); "
                        "weights are inverse variances and must be >= 0")
    return vals


def _vector_values(spec: Any, what: str, n: int) -> np.ndarray:
    """One float per row from an array-like ``weights=``/``offset=`` (see :func:`extra_vector`)."""
    if isinstance(spec, pd.DataFrame):
        if spec.shape[1] != 1:
            raise DataError(f"{what} is a DataFrame with {spec.shape[1]} columns; give one "
                            "column (a Series or a column name of the data)")
        spec = spec.iloc[:, 0]
    if isinstance(spec, pd.Series):
        dtype = spec.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype) \
                or getattr(dtype, "kind", None) == "c":
            raise DataError(f"{what} must be numeric, not a Series of dtype {dtype} "
                            f"(lme4: \"'{what}' must be a numeric vector\")")
        arr = spec.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raw = np.asarray(spec)
        if raw.dtype.kind not in "fiu" or raw.dtype == bool:
            if raw.dtype == object:
                try:
                    raw = raw.astype(np.float64)
                except (TypeError, ValueError):
                    raw = None
            else:
                raw = None
            if raw is None:
                raise DataError(f"{what} must be numeric, not {np.asarray(spec).dtype} values "
                                f"(lme4: \"'{what}' must be a numeric vector\")")
        arr = np.array(raw, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{what} must be one-dimensional, one value per row; got an array of "
                        f"shape {arr.shape}")
    if arr.shape[0] != n:
        raise DataError(f"{what} has {arr.shape[0]} values but the data has {n} rows; give one "
                        "value per row (or a column name)")
    return arr.copy()


def rows_to_use(named: dict[str, Numeric | Factor | np.ndarray], n: int) -> tuple[np.ndarray, int]:
    """Rows complete in every variable (``na.omit``), after the infinite-value check.

    Returns ``(rows, n_dropped)``.

    Raises
    ------
    DataError
        If some kept row has an infinite value, or no row is complete.
    """
    # numbers as arrays; a basis matrix (poly, ns, bs) as its rows' sums, which are NaN or
    # infinite exactly when some entry of the row is (entries are finite or NaN by design)
    arrays = {name: (v.values if isinstance(v, Numeric) else
                     v.values.sum(axis=1) if isinstance(v, Basis) else v)
              for name, v in named.items() if not isinstance(v, Factor)}
    # Common case first: nothing missing and nothing infinite (one pass per column).
    if all(np.isfinite(a).all() for a in arrays.values()) and \
            all(not (v.codes < 0).any() for v in named.values() if isinstance(v, Factor)):
        return np.arange(n), 0
    missing = np.zeros(n, dtype=bool)
    for name, v in named.items():
        if isinstance(v, Factor):
            missing |= v.codes < 0
        elif isinstance(v, Basis):
            missing |= v.missing
        else:
            missing |= np.isnan(arrays[name])
    rows = np.flatnonzero(~missing)
    inf_cols: list[str] = []
    inf_rows = np.zeros(rows.shape[0], dtype=bool)
    for name, v in named.items():
        if isinstance(v, Factor):
            continue
        vals = arrays[name][rows]
        bad = np.isinf(vals)
        if bad.any():
            inf_cols.append(name)
            inf_rows |= bad
    if inf_cols:
        k = int(inf_rows.sum())
        raise DataError(f"{k} row{'s have' if k > 1 else ' has'} infinite values (in "
                        f"{', '.join(repr(c) for c in inf_cols)}); remove those rows or "
                        "replace Inf with NaN to have them dropped as missing")
    if rows.size == 0:
        raise DataError(f"no rows left: every one of the {n} rows has a missing value in "
                        f"at least one of {', '.join(repr(c) for c in named)}")
    return rows, n - rows.size


def frame_table(values: dict[str, Numeric | Factor], index: pd.Index) -> pd.DataFrame:
    """The model frame as a DataFrame (R's ``model.frame``): evaluated variables by label."""
    cols: dict[str, Any] = {}
    for label, v in values.items():
        if isinstance(v, Numeric):
            cols[label] = v.values.copy()
        elif isinstance(v, Basis):  # R's model frame holds the matrix; here one column each
            for j, suffix in enumerate(v.suffixes):
                cols[label + suffix] = v.values[:, j].copy()
        elif v.logical:
            cols[label] = v.codes.astype(bool)
        else:
            cols[label] = pd.Categorical.from_codes(v.codes, categories=pd.Index(v.levels, dtype=object),
                                                    ordered=v.ordered)
    return pd.DataFrame(cols, index=index)
