"""``lmer`` on a Dask DataFrame: two passes over the partitions, then the in-memory fit."""

from __future__ import annotations

from typing import Any


from mixedlab._arguments import check_flag
from mixedlab._errors import ArgumentError, inform
from mixedlab.distributed._assemble import assemble
from mixedlab.distributed._blocks import Context, merge_parts, partition_part
from mixedlab.distributed._fit import DaskLmerFit
from mixedlab.distributed._frames import require_dask
from mixedlab.distributed._schema import combine_scans, formula_columns, scan_partition
from mixedlab.fitting._lmer import fit_devfun
from mixedlab.formula._frame import extra_vector
from mixedlab.linear._deviance import make_devfun
from mixedlab.linear._optimize import LmerControl, as_control
from mixedlab.linear._theta import TermShape

__all__ = ["lmer_dask", "SPLIT_EVERY"]

# partitions' parts merged per task of the tree reduction (dask's split_every)
SPLIT_EVERY = 8


def _column_arg(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ArgumentError(f"{what} must be a column name of the Dask DataFrame (or None) when the data "
                        f"is a Dask DataFrame, not {type(value).__name__}: rows of a distributed frame "
                        f"have no positions to align an array with; add it as a column first")


def _tree_reduce(dask: Any, leaves: list, split_every: int):
    level = leaves
    while len(level) > 1:
        level = [dask.delayed(merge_parts, pure=True)(level[i: i + split_every])
                 for i in range(0, len(level), split_every)]
    return level[0]


def row_pass(formula: str, ddf: Any, weights: str | None, offset: str | None,
             split_every: int = SPLIT_EVERY) -> tuple[Any, Any, list[TermShape]]:
    """Both passes: the schema (levels, counts) and the fully reduced blocks."""
    dask = require_dask()
    meta = ddf._meta
    cols, grouping = formula_columns(formula, list(meta.columns))
    extra = [c for c in (weights, offset) if c is not None and c not in cols]
    for what, name in (("weights", weights), ("offset", offset)):
        if name is not None:
            extra_vector(name, meta, what)  # the in-memory checks (present, numeric), before any pass
    parts = ddf.to_delayed()
    scans = dask.compute(*[dask.delayed(scan_partition, pure=True)(p, i, cols + extra, grouping, weights)
                           for i, p in enumerate(parts)])
    schema = combine_scans(formula, meta, list(scans), cols + extra, weights, offset)
    shapes = [TermShape(len(t.columns), len(t.levels)) for t in schema.proto.terms]
    ctx = Context(spec=schema.proto.spec, cols=cols + extra, weights=weights, offset=offset,
                  shapes=shapes, p_full=len(schema.names_full))
    ctx_d = dask.delayed(ctx, pure=True)
    leaves = [dask.delayed(partition_part, pure=True)(p, ctx_d) for p in parts]
    (part,) = dask.compute(_tree_reduce(dask, leaves, split_every))
    return schema, part, shapes


def lmer_dask(formula: str, data: Any, REML: bool = True, weights: Any = None, offset: Any = None,
              control: LmerControl | None = None, data_name: str | None = None) -> DaskLmerFit:
    """Fit ``lmer`` to the rows of a Dask DataFrame (see :func:`mixedlab.lmer`).

    The rows are read in two passes on the active ``distributed.Client`` (or Dask's
    default scheduler); the client receives only the reduced cross-product blocks.
    """
    REML = check_flag(REML, "REML")
    weights = _column_arg(weights, "weights")
    offset = _column_arg(offset, "offset")
    ctrl = as_control(control)
    schema, part, shapes = row_pass(formula, data, weights, offset)
    if schema.n_zero:
        k = schema.n_zero
        inform(f"{k} row{'s have' if k > 1 else ' has'} weight 0 and {'are' if k > 1 else 'is'} left "
               "out of the fit (a weight of 0 means no information; lme4 would report an infinite "
               "criterion)", stacklevel=3)
    model = assemble(schema, part, shapes)
    devfun = make_devfun(model, REML=REML)
    fit = fit_devfun(model, devfun, ctrl, data_name=data_name)
    fit.__class__ = DaskLmerFit  # the same estimates; row-wise outputs become lazy series
    fit._ddf = data
    fit._row_args = {"cols": list(schema.cols), "weights": weights, "offset": offset}
    fit._lmer_args = {"data": data, "weights": weights, "offset": offset, "na_action": "omit",
                      "control": control}
    return fit
