"""First pass over the partitions: columns, NA counts, n, and the levels in R's order.

The design of the in-memory fit is rebuilt from a small *prototype* frame that holds every
value a categorical column takes on the complete rows (and each numeric column's range),
with the columns' own dtypes: :func:`mixedlab.formula.build_model` then finds the levels
exactly as it does on the whole data (R's rules: a categorical's categories in order, text
sorted, numbers numerically; unused levels dropped), and raises the same errors for a
non-numeric response or a bad formula.  The prototype's :class:`DesignSpec` then builds
each partition's model matrices on those levels (``predict``'s path).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError, ModelSpecificationError
from mixedlab.formula import build_model
from mixedlab.formula._build import _plan
from mixedlab.formula._frame import extra_vector
from mixedlab.formula._parser import Name, Node

__all__ = ["Schema", "scan_partition", "combine_scans", "formula_columns", "complete_rows"]


def _names(node: Any, out: set[str]) -> None:
    if isinstance(node, Name):
        out.add(node.id)
    if isinstance(node, Node) or dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            _names(getattr(node, f.name), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _names(x, out)


def formula_columns(formula: str, columns: list[str]) -> tuple[list[str], set[str]]:
    """The data columns the formula uses (in the frame's order) and those in grouping factors."""
    plan = _plan(formula)
    used: set[str] = set()
    _names(plan.parsed, used)
    grouping: set[str] = set()
    for atoms in plan.atoms:
        for _, node in atoms or ():
            _names(node, grouping)
    return [c for c in columns if c in used], {c for c in grouping if c in columns}


def _categorical(dtype: Any) -> bool:
    return not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def complete_rows(pdf: pd.DataFrame, cols: list[str], weights: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows complete in every used column (R's na.omit) and, of those, the rows of weight 0."""
    ok = np.ones(len(pdf), dtype=bool)
    for c in cols:
        ok &= pdf[c].notna().to_numpy()
    zero = np.zeros(len(pdf), dtype=bool)
    if weights is not None:
        zero = ok & (pdf[weights].to_numpy(dtype=float, na_value=np.nan) == 0)
    return ok, zero


def scan_partition(pdf: pd.DataFrame, index: int, cols: list[str], grouping: set[str],
                   weights: str | None) -> dict:
    """Pass 1 on one partition: what :func:`combine_scans` needs, never the rows."""
    missing = [c for c in cols if c not in pdf.columns]
    if missing:
        raise DataError(
            f"partition {index} of the Dask DataFrame has no column {', '.join(map(repr, missing))}, "
            f"which the model uses (the other partitions have it): every partition must hold "
            f"the same columns; check the files the frame was read from (e.g. with "
            f"ddf.map_partitions(lambda d: pd.Series([list(d.columns)])).compute())")
    ok, zero = complete_rows(pdf, cols, weights)
    use = ok & ~zero
    out: dict[str, Any] = {"n_rows": len(pdf), "n_na": int((~ok).sum()), "n_zero": int(zero.sum()),
                           "n": int(use.sum()), "values": {}, "ranges": {}, "categories": {}}
    for c in cols:
        s = pdf[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out["categories"][c] = list(s.cat.categories)
        if _categorical(s.dtype) or c in grouping:
            out["values"][c] = pd.unique(s[use].to_numpy())
        else:
            v = s.to_numpy(dtype=float, na_value=np.nan)[use]
            fin = v[np.isfinite(v)]
            out["ranges"][c] = (float(fin.min()), float(fin.max())) if fin.size else None
    if weights is not None:
        w = pdf[weights].to_numpy(dtype=float, na_value=np.nan)
        out["neg_weights"] = int(np.sum(w[~np.isnan(w)] < 0))
    return out


@dataclass
class Schema:
    """The combined first pass: counts, the prototype model and what the partitions need."""

    cols: list[str]
    weights: str | None
    offset: str | None
    n: int
    n_na: int
    n_zero: int
    proto: Any  # the prototype's ModelFrame (its spec, terms' levels, fixed names)
    names_full: list[str] = field(default_factory=list)


def _prototype(meta: pd.DataFrame, cols: list[str], scans: list[dict], weights: str | None,
               offset: str | None) -> pd.DataFrame:
    values: dict[str, list] = {}
    cats: dict[str, list] = {}
    cats_seen: dict[str, set] = {}  # membership beside the ordered list: O(levels), not O(levels²)
    ranges: dict[str, tuple[float, float] | None] = {}
    for sc in scans:
        for c, v in sc["values"].items():
            values.setdefault(c, []).append(v)
        for c, cat in sc["categories"].items():
            order, seen = cats.setdefault(c, []), cats_seen.setdefault(c, set())
            for x in cat:
                if x not in seen:
                    seen.add(x)
                    order.append(x)
        for c, r in sc["ranges"].items():
            if r is None:
                continue
            old = ranges.get(c)
            ranges[c] = r if old is None else (min(old[0], r[0]), max(old[1], r[1]))
    uniq = {c: pd.unique(np.concatenate(v)) if v else np.array([]) for c, v in values.items()}
    rows = max([2] + [len(u) for u in uniq.values()])
    proto: dict[str, Any] = {}
    for c in cols:
        dtype = meta[c].dtype
        if c in uniq:
            u = uniq[c]
            vals = np.resize(u, rows) if len(u) else np.full(rows, None, dtype=object)
            if isinstance(dtype, pd.CategoricalDtype):
                known = [x for x in dtype.categories if x != "__UNKNOWN_CATEGORIES__"]
                order = known if known else cats.get(c, list(u))
                proto[c] = pd.Categorical(vals, categories=order, ordered=dtype.ordered)
            else:
                proto[c] = pd.Series(vals).astype(dtype) if len(u) else pd.Series(vals)
        else:
            lo, hi = ranges.get(c) or (0.0, 1.0)
            proto[c] = pd.Series(np.resize(np.array([lo, hi]), rows)).astype(dtype)
    # the other columns too (empty), so that messages listing the data's columns list them all
    for c in meta.columns:
        if c not in proto:
            proto[c] = pd.Series(np.full(rows, np.nan)).astype(meta[c].dtype, errors="ignore") \
                if pd.api.types.is_numeric_dtype(meta[c].dtype) else np.full(rows, None, dtype=object)
    frame = pd.DataFrame({c: proto[c] for c in meta.columns if c in proto})
    for extra, value in ((weights, 1.0), (offset, 0.0)):
        if extra is not None:
            frame[extra] = value
    return frame


def combine_scans(formula: str, meta: pd.DataFrame, scans: list[dict], cols: list[str],
                  weights: str | None, offset: str | None) -> Schema:
    """Levels in R's order and the prototype model, from the partitions' scans."""
    for what, spec in (("weights", weights), ("offset", offset)):
        if spec is not None:
            extra_vector(spec, meta, what)  # the in-memory checks: column present, numeric
    neg = sum(sc.get("neg_weights", 0) for sc in scans)
    if neg:
        raise DataError(f"negative weights not allowed ({neg} negative value{'s' if neg > 1 else ''}); "
                        "weights are inverse variances and must be >= 0")
    n = sum(sc["n"] for sc in scans)
    n_na = sum(sc["n_na"] for sc in scans)
    n_zero = sum(sc["n_zero"] for sc in scans)
    n_rows = sum(sc["n_rows"] for sc in scans)
    plan = _plan(formula)
    for b, atoms in zip(plan.bars, plan.atoms):
        if atoms is not None and len(atoms) > 1:
            raise ModelSpecificationError(
                f"the grouping factor of ({b.text}) is an interaction of several variables; on a "
                "Dask DataFrame the levels of each grouping factor must be one column: add the "
                "combined column first (e.g. ddf['a_b'] = ddf.a.astype(str) + ':' + ddf.b.astype(str)) "
                "and group by it")
    frame = _prototype(meta, cols, scans, weights, offset)
    with warnings.catch_warnings():
        # the prototype's messages (rank, scale) describe the prototype, not the data
        warnings.simplefilter("ignore")
        proto = build_model(formula, frame, weights=weights, offset=offset, lme4_checks=False)
    if proto.spec.state:
        raise ModelSpecificationError(
            f"the formula {formula!r} uses a transform that learns from the whole column "
            f"({', '.join(map(str, proto.spec.state))}: scale(), poly(), ns() or bs()); on a Dask "
            "DataFrame add the transformed column first (e.g. with dask's own mean and std) and "
            "use it in the formula")
    if n == 0:
        raise DataError(f"no rows left: every one of the {n_rows} rows has a missing value in "
                        f"at least one of {', '.join(repr(c) for c in cols)}")
    from mixedlab.formula._fixed import model_matrix

    ev = proto.spec._evaluator(frame)
    _, names_full = model_matrix(proto.spec.fixed.terms, proto.spec.fixed.evaluate(ev, "data"), len(frame))
    return Schema(cols=cols, weights=weights, offset=offset, n=n, n_na=n_na, n_zero=n_zero,
                  proto=proto, names_full=list(names_full))
