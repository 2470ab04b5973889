"""``build_model``: formula + data -> response, fixed and random design (lme4's ``lFormula``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import (
    ArgumentError, DataError, FormulaError, ModelSpecificationError, ScaleWarning, inform,
)
from mixedlab.formula._evaluate import Basis, Evaluator, Factor, Numeric, as_factor
from mixedlab.formula._fixed import model_matrix, rank_keep
from mixedlab.formula._frame import check_data, extra_vector, frame_table, rows_to_use
from mixedlab.formula._parser import (
    BinOp, Call, Formula, Node, Num, Paren, _left_spine, deparse, parse_formula, too_deep,
)
from mixedlab.formula._random import (
    BarSpec, ReTerm, check_terms, expand_bars, group_names, grouping_atoms, grouping_factor,
    sort_order,
)
from mixedlab.formula._scale import SCALE_MESSAGE, scale_problem
from mixedlab.formula._terms import Terms, expand_terms

__all__ = ["build_model", "ModelFrame", "DesignSpec"]

Value = Numeric | Factor | Basis


def coded_like(v: Value, kind: Factor, label: str, what: str) -> Factor:
    """``v`` as a factor on the fitted levels of ``kind``, coded as when fitting.

    R's ``predict`` passes the fit's levels (``xlev``) and contrasts to ``model.frame`` and
    ``model.matrix``, so an ordered factor keeps its polynomial contrasts even when the
    new data hold plain text.

    Raises
    ------
    DataError
        ``v`` has a level the fit did not see.
    """
    f = as_factor(v)
    coded = f.recode(kind.levels)
    unseen = coded.codes == -2
    if unseen.any():
        new = sorted(set(np.asarray(f.levels)[f.codes[unseen]]))
        raise DataError(f"{what}: {label!r} has level(s) {', '.join(map(repr, new[:10]))} "
                        f"not seen when fitting (known levels: "
                        f"{', '.join(map(repr, kind.levels[:10]))})")
    return Factor(coded.codes, kind.levels, kind.logical, kind.ordered)


@dataclass
class _SideSpec:
    """How to rebuild one model matrix (fixed part or a term's left-hand side)."""

    terms: Terms
    kinds: list[Factor | None]  # training Factor (its levels) for factors, None for numerics

    def evaluate(self, ev: Evaluator, what: str) -> list[Value]:
        out: list[Value] = []
        for (label, node), kind in zip(self.terms.variables, self.kinds):
            v = ev.variable(node)
            if kind is None:
                if isinstance(v, Factor):
                    raise DataError(f"{label!r} was numeric when the model was fitted but is "
                                    "categorical in the new data")
                out.append(v)
                continue
            out.append(coded_like(v, kind, label, what))
        return out


@dataclass
class _GroupSpec:
    atoms: list[Node]
    atom_levels: list[list[str]]
    keys: np.ndarray
    radices: np.ndarray


@dataclass
class DesignSpec:
    """What ``predict()`` needs to rebuild the design for new data.

    Methods
    -------
    fixed_matrix(newdata)
        Fixed-effects matrix with the fitted columns (dropped ones removed).
    term_matrices(newdata)
        Per random term (sorted order): ``(X_t, codes)``; codes are -1 for a level
        not seen when fitting or a missing grouping value.
    response(newdata)
        The response evaluated on new data.
    """

    formula: str
    fixed: _SideSpec
    keep: np.ndarray
    response_node: Node
    state: dict = field(default_factory=dict)
    lhs: list[_SideSpec] = field(default_factory=list)
    groups: list[_GroupSpec] = field(default_factory=list)
    offsets: tuple[Node, ...] = ()

    def offset(self, newdata: pd.DataFrame) -> np.ndarray | None:
        """The formula's ``offset()`` terms on ``newdata`` (``None`` without any).

        As lme4's ``predict``, only offsets written in the formula are applied to new
        data; an ``offset=`` argument belongs to the fitted rows.
        """
        if not self.offsets:
            return None
        return _offset_values(self._evaluator(newdata), self.offsets)

    def _evaluator(self, newdata: pd.DataFrame) -> Evaluator:
        return Evaluator(check_data(newdata, "newdata"), self.formula, self.state, fitting=False)

    def fixed_matrix(self, newdata: pd.DataFrame) -> np.ndarray:
        """Fixed-effects model matrix for ``newdata`` (missing values give NaN rows)."""
        ev = self._evaluator(newdata)
        vals = self.fixed.evaluate(ev, "newdata")
        X, _ = model_matrix(self.fixed.terms, vals, len(newdata))
        return X[:, self.keep]

    def term_matrices(self, newdata: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
        """Random-term matrices and level codes for ``newdata``, in the fitted term order.

        Codes are -1 for a level not seen when fitting, -2 for a missing grouping value.
        """
        ev = self._evaluator(newdata)
        m = len(newdata)
        out = []
        for i, side in enumerate(self.lhs):
            X, _ = model_matrix(side.terms, side.evaluate(ev, "newdata"), m)
            out.append((X, self.group_codes(ev, i)))
        return out

    def group_codes(self, ev: Evaluator, i: int) -> np.ndarray:
        """Level index of each row of ``ev``'s data in term ``i``'s fitted grouping factor
        (-1: a level not seen when fitting, -2: a missing value)."""
        grp = self.groups[i]
        m = ev.n
        key = np.zeros(m, dtype=np.int64)
        missing = np.zeros(m, dtype=bool)
        unseen = np.zeros(m, dtype=bool)
        for node, levels, r in zip(grp.atoms, grp.atom_levels, grp.radices):
            f = as_factor(ev.variable(node)).recode(levels)
            missing |= f.codes == -1
            unseen |= f.codes == -2
            key = key * r + np.maximum(f.codes, 0)
        pos = np.searchsorted(grp.keys, key)
        pos = np.minimum(pos, len(grp.keys) - 1)
        found = (grp.keys[pos] == key) & ~missing & ~unseen
        return np.where(found, pos, np.where(missing, -2, -1)).astype(np.int64)

    def group_labels(self, ev: Evaluator, i: int) -> np.ndarray:
        """The grouping value of each row as text (``a:b`` for an interaction), for messages."""
        grp = self.groups[i]
        parts = []
        for node in grp.atoms:
            f = as_factor(ev.variable(node))
            parts.append(np.asarray(f.levels + ["NA"], dtype=object)[f.codes])
        out = parts[0]
        for p in parts[1:]:
            out = out + ":" + p
        return out

    def response(self, newdata: pd.DataFrame) -> np.ndarray:
        """The response evaluated on ``newdata``."""
        v = self._evaluator(newdata).variable(self.response_node)
        if not isinstance(v, Numeric):
            raise DataError("the response is not numeric in the new data")
        return v.values


@dataclass
class ModelFrame:
    """The parsed model: response, fixed design, random terms (see :func:`build_model`)."""

    formula: str
    response_name: str
    y: np.ndarray
    X: np.ndarray
    fixed_names: list[str]
    dropped_fixed: list[str]
    terms: list[ReTerm]
    weights: np.ndarray | None
    offset: np.ndarray | None
    n_dropped_na: int
    rows: np.ndarray
    spec: DesignSpec
    parsed: Formula
    # rows left out because their weight is 0 (they carry no information)
    n_zero_weight: int = 0
    # lme4's messages about X (rank drop, scales), shown under "fit warnings:" by summary
    messages: list[str] = field(default_factory=list)
    # what ``frame`` is built from, on first access (the engine never needs it)
    _frame_values: dict = field(default_factory=dict, repr=False, compare=False)
    _frame_index: pd.Index | None = field(default=None, repr=False, compare=False)
    # the failures column of a cbind(successes, failures) response (build_model(response="glm"))
    y2: np.ndarray | None = None

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The model frame (R's ``model.frame``): evaluated variables by label, used rows
        only, indexed like the data. Built on first access; a copy of the model's arrays."""
        index = self._frame_index[self.rows] if self._frame_index is not None else None
        return frame_table(self._frame_values, index)

    @property
    def n(self) -> int:
        """Number of observations used."""
        return self.y.shape[0]

    def __repr__(self) -> str:
        grp = ", ".join(f"{t.group}[{t.n_levels}]x{t.columns}" for t in self.terms)
        return (f"ModelFrame({self.formula!r}: n={self.n}, fixed={self.fixed_names}, "
                f"random={grp})")


def _group_leaves(node: Node) -> list[Node]:
    """Variables of a grouping expression with ``/`` and ``:`` in written order."""
    while isinstance(node, Paren):
        node = node.inner
    if isinstance(node, BinOp) and node.op in ("/", ":"):
        return _group_leaves(node.left) + _group_leaves(node.right)
    return [node]


@dataclass(frozen=True)
class _Plan:
    """Everything about a formula that does not depend on the data (cached per text)."""

    parsed: Formula
    fixed_terms: Terms
    bars: tuple[BarSpec, ...]
    lhs_terms: tuple[Terms, ...]
    response_label: str
    # grouping variables of each written bar, ``/`` and ``:`` split, in written order
    leaves: tuple[tuple[str, Node], ...]
    # per expanded bar: its display factor and its atoms (None: grouping_atoms raises)
    factors: tuple[str, ...]
    atoms: tuple[tuple[tuple[str, Node], ...] | None, ...]
    # arguments of offset(...) terms of the fixed part (added to η, not to X)
    offsets: tuple[Node, ...] = ()
    # the response was also written as a term, and dropped (as R does, with a warning)
    response_dropped: bool = False


def _atoms_or_none(group: Node) -> tuple[tuple[str, Node], ...] | None:
    try:
        return tuple((deparse(a), a) for a in grouping_atoms(group))
    except ModelSpecificationError:
        return None  # raised afresh, at the same point as before, by build_model


@lru_cache(maxsize=256)
def _plan(formula: str) -> _Plan:
    """Expand the formula's terms once per distinct text.

    Every part is immutable (frozen AST nodes, tuples, frozen ``Terms``), so the
    plan can be shared by all models built from the same text. Expansion errors
    are not cached: they are raised again on the next call.
    """
    parsed = parse_formula(formula)
    fixed_node, offsets = _split_offsets(parsed.fixed)
    fixed_terms, response_dropped = _without_response(
        expand_terms(fixed_node, formula), deparse(parsed.response), formula)
    bars = tuple(expand_bars(parsed.random, formula))
    lhs_terms = tuple(expand_terms(b.lhs, formula) for b in bars)
    leaves = tuple((deparse(node), node) for bar in parsed.random
                   for node in _group_leaves(bar.right))
    return _Plan(parsed, fixed_terms, bars, lhs_terms, deparse(parsed.response), leaves,
                 tuple(b.factor for b in bars), tuple(_atoms_or_none(b.group) for b in bars),
                 offsets, response_dropped)


def _without_response(terms: Terms, response: str, formula: str) -> tuple[Terms, bool]:
    """R's model.matrix drops the response when it is also a term ("the response appeared
    on the right-hand side and was dropped"); an interaction with it is an error here."""
    labels = [lab for lab, _ in terms.variables]
    if response not in labels:
        return terms, False
    v = labels.index(response)
    if any(v in t and len(t) > 1 for t in terms.terms):
        raise FormulaError(f"formula {formula!r} uses the response {response!r} in an "
                           "interaction on the right-hand side; a response cannot be a predictor")
    kept = tuple(t for t in terms.terms if t != (v,))
    return Terms(variables=terms.variables, terms=kept, intercept=terms.intercept), True


def _offset_values(ev: Evaluator, nodes: tuple[Node, ...]) -> np.ndarray | None:
    """Sum of the evaluated ``offset()`` expressions, or None when there are none."""
    total = None
    for node in nodes:
        v = ev.variable(node)
        if not isinstance(v, Numeric):
            kind = "categorical" if isinstance(v, Factor) else "a matrix of several columns"
            raise DataError(f"offset({deparse(node)}) must be one number per row, but it is {kind}")
        vals = np.asarray(v.values, dtype=float)
        total = vals.copy() if total is None else total + vals
    return total


def _split_offsets(node: Node) -> tuple[Node, tuple[Node, ...]]:
    """Take ``offset(expr)`` summands out of the fixed part, as R's terms() does.

    An offset is added to the linear predictor with coefficient 1 and is not a column
    of X; the intercept stays implied when only offsets are left.
    """
    rest, offsets = _strip_offsets(node)
    # an offset written twice is one variable of R's terms(), so it is added once
    unique = tuple({deparse(o): o for o in offsets}.values())
    return (Num("1", pos=node.pos) if rest is None else rest), unique


def _strip_offsets(node: Node) -> tuple[Node | None, tuple[Node, ...]]:
    if isinstance(node, Call) and node.fn == "offset":
        if len(node.args) != 1 or node.kwargs:
            raise FormulaError("offset() takes one expression, e.g. offset(log(exposure))")
        return None, (node.args[0],)
    if isinstance(node, BinOp) and node.op == "+":
        # a long sum: its left spine in a loop, not by recursion
        first, chain = _left_spine(node, ("+",))
        kept, offsets = _strip_offsets(first)
        for link in chain:
            right, off = _strip_offsets(link.right)
            offsets += off
            if kept is None:
                kept = right
            elif right is not None:
                kept = link if (right is link.right and kept is link.left) else \
                    BinOp("+", kept, right, pos=link.pos)
        return kept, offsets
    return node, ()


def _drop_zero_weights(w: np.ndarray | None, rows: np.ndarray) -> tuple[np.ndarray, int]:
    """Leave out the rows whose weight is 0, with a message; all zero is an error.

    A weight of 0 is an infinite residual variance: the row carries no information, but
    lme4 1.1-31 keeps it and adds log(0) to the criterion, which it then reports as
    ``Inf`` with estimates from a run that never moved off its start. Leaving the rows
    out gives the model the weights describe (the same fit as dropping them by hand).
    """
    if w is None:
        return rows, 0
    zero = w[rows] == 0
    if not zero.any():
        return rows, 0
    if zero.all():
        raise DataError(f"every weight of the {rows.size} rows used is 0, so no row carries "
                        "information; weights are inverse variances: give positive weights")
    k = int(zero.sum())
    inform(f"{k} row{'s have' if k > 1 else ' has'} weight 0 and {'are' if k > 1 else 'is'} left "
           "out of the fit (a weight of 0 means no information; lme4 would report an infinite "
           "criterion)", stacklevel=4)
    return rows[~zero], k


def build_model(formula: str, data: pd.DataFrame, weights: Any = None, offset: Any = None,
                na_action: str = "omit", response: str = "numeric", *,
                random_required: bool = True, lme4_checks: bool = True,
                exclude: np.ndarray | None = None, keep_zero_weights: bool = False) -> ModelFrame:
    """Parse ``formula`` and build the model frame and design matrices, as lme4's ``lFormula``.

    Parameters
    ----------
    formula : str
        lme4 formula, e.g. ``"Reaction ~ Days + (1 + Days | Subject)"``.
    data : pandas.DataFrame
        Never modified.
    weights, offset : str or array-like, optional
        A column name or one value per row of ``data``.
    na_action : {"omit", "fail"}
        ``"omit"`` drops incomplete rows (R's ``na.omit``); ``"fail"`` raises.
    response : {"numeric", "glm"}
        ``"glm"`` also accepts what R's binomial family accepts: ``cbind(successes, failures)``
        (``y`` = successes, ``y2`` = failures) and a factor or logical response (``y`` = 1 for
        every level but the first).
    random_required : bool
        lmer's rule that the formula has a random term; glmmTMB's formulas (its
        conditional, zero-inflation and dispersion parts) may have none.
    lme4_checks : bool
        lme4's ``checkNlevels``/``checkZdims`` on the random terms; glmmTMB applies none
        (an observation-level random effect is a common glmmTMB model).
    exclude : boolean array of ``len(data)``, optional
        Rows to drop as well, e.g. rows where another part of a model is missing (glmmTMB's
        one model frame for all its formulas); variables are still evaluated on all rows.
    keep_zero_weights : bool
        Keep rows whose weight is 0 (glmmTMB keeps them: they add 0 to the log-likelihood
        and count in ``nobs``); by default a numeric response's zero-weight rows are left out.

    Returns
    -------
    ModelFrame

    Raises
    ------
    FormulaError, DataError, ModelSpecificationError
    """
    na_action = {"na.omit": "omit", "na.fail": "fail"}.get(na_action, na_action) \
        if isinstance(na_action, str) else na_action
    if na_action not in ("omit", "fail"):
        raise ArgumentError(f"na_action must be 'omit' (drop incomplete rows, R's na.omit) or "
                            f"'fail' (R's na.fail), not {type(na_action).__name__} {na_action!r}")
    parsed = parse_formula(formula)
    if parsed.response is None:
        raise ModelSpecificationError(
            f"formula {formula!r} has no response; write it as 'y ~ ...'")
    if not parsed.random and random_required:
        raise ModelSpecificationError(
            "No random effects terms specified in formula: add a term such as '(1 | group)', "
            "or, for a model without random effects, use ordinary regression "
            "(e.g. statsmodels OLS or numpy.linalg.lstsq)")
    data = check_data(data)
    n_all = len(data)

    try:
        plan = _plan(formula)
    except RecursionError:
        raise too_deep(formula) from None
    fixed_terms = plan.fixed_terms
    if plan.response_dropped:
        warnings.warn("the response appeared on the right-hand side and was dropped (R's "
                      "warning)", UserWarning, stacklevel=3)
    bars = plan.bars
    lhs_terms = plan.lhs_terms

    # Evaluate every variable on the whole data first, then drop incomplete rows
    # (R's model.frame then na.omit): stateful transforms see the full column.
    # A label already evaluated is the same expression, so it is not evaluated again.
    state: dict = {}
    ev = Evaluator(data, formula, state, fitting=True)
    values: dict[str, Value] = {}
    resp_label = plan.response_label
    y2_val = None
    if response == "glm" and isinstance(parsed.response, Call) and parsed.response.fn == "cbind":
        if len(parsed.response.args) != 2 or parsed.response.kwargs:
            raise FormulaError("cbind() on the left of ~ takes two columns: cbind(successes, failures)")
        y_val, y2_val = (ev.variable(a) for a in parsed.response.args)
        if not (isinstance(y_val, Numeric) and isinstance(y2_val, Numeric)):
            raise DataError(f"both columns of {resp_label} must be numeric counts")
    else:
        y_val = ev.variable(parsed.response)
    if response == "glm" and isinstance(y_val, Factor):
        # R's binomial family: the first level is failure, every other level success
        y_val = Numeric(np.where(y_val.codes < 0, np.nan, (y_val.codes > 0).astype(float)))
    if isinstance(y_val, Basis):
        raise DataError(f"the response {resp_label!r} must be one number per row, not a matrix "
                        "of several columns")
    if not isinstance(y_val, Numeric):
        raise DataError(f"the response {resp_label!r} must be numeric, but it is categorical "
                        f"(levels {', '.join(map(repr, y_val.levels[:5]))}); lmer fits a numeric "
                        "outcome (convert it, or use a GLMM for a binary outcome)")
    values[resp_label] = y_val
    if y2_val is not None:
        values["(cbind failures)"] = y2_val
    for lab, node in fixed_terms.variables:
        if lab not in values:
            values[lab] = ev.variable(node)
    for t in lhs_terms:
        for lab, node in t.variables:
            if lab not in values:
                values[lab] = ev.variable(node)
    # Grouping variables in written order (as in R's model frame), then any left over.
    for lab, node in plan.leaves:
        if lab not in values:
            values[lab] = as_factor(ev.variable(node))
    for b, atoms in zip(bars, plan.atoms):
        if atoms is None:
            grouping_atoms(b.group)  # raises the ModelSpecificationError
            raise AssertionError("unreachable")
        for lab, node in atoms:
            if lab not in values:
                values[lab] = as_factor(ev.variable(node))
    for note in ev.notes:  # what was decided about column types (object, timedelta)
        inform(note, stacklevel=4)
    named: dict[str, Any] = dict(values)
    w = extra_vector(weights, data, "weights")
    off = extra_vector(offset, data, "offset")
    formula_offset = _offset_values(ev, plan.offsets)
    if formula_offset is not None:
        off = formula_offset if off is None else off + formula_offset
    if w is not None:
        named["(weights)"] = w
    if off is not None:
        named["(offset)"] = off
    if exclude is not None:
        named["(excluded)"] = np.where(np.asarray(exclude, dtype=bool), np.nan, 0.0)
    rows, n_dropped = rows_to_use(named, n_all)
    if n_dropped and na_action == "fail":
        raise DataError(f"{n_dropped} rows have missing values and na_action='fail'")
    # (a GLMM's zero prior weights add nothing to its likelihood and R counts the rows: kept)
    rows, n_zero_weight = _drop_zero_weights(
        w if (response == "numeric" and not keep_zero_weights) else None, rows)
    subset = rows.size < n_all

    # Subset and drop unused factor levels (model.frame's drop.unused.levels = TRUE).
    # Numeric values are copied (they may be views of the user's columns); factor
    # codes are always arrays of our own, so with every row used they are kept as is.
    sub: dict[str, Value] = {}
    for lab, v in values.items():
        if isinstance(v, Factor):
            sub[lab] = (v if not subset else v.take(rows)).drop_unused()
        elif isinstance(v, Basis):
            sub[lab] = Basis(v.values.copy(), v.suffixes) if not subset else v.take(rows)
        else:
            sub[lab] = Numeric(v.values.copy(), v.integer) if not subset else v.take(rows)
    n = rows.size

    # Fixed effects.
    fvals = [sub[lab] for lab, _ in fixed_terms.variables]
    X_full, names_full = model_matrix(fixed_terms, fvals, n)
    keep = rank_keep(X_full)
    dropped = [nm for nm, k in zip(names_full, keep) if not k]
    messages: list[str] = []  # lme4's X attributes msgRankdrop, msgScaleX ("fit warnings:")
    if dropped:
        d = len(dropped)
        messages.append(f"fixed-effect model matrix is rank deficient so dropping {d} "
                        f"column{'s' if d > 1 else ''} / coefficient{'s' if d > 1 else ''}")
        inform(messages[-1])
    X = X_full if keep.all() else np.ascontiguousarray(X_full[:, keep])
    fixed_names = [nm for nm, k in zip(names_full, keep) if k]
    off_scale = scale_problem(X, fixed_names)
    if off_scale is not None:
        messages.append(SCALE_MESSAGE)
        warnings.warn(f"{SCALE_MESSAGE} (lme4's check.scaleX; {off_scale}): e.g. divide the "
                      "column by a power of ten or write scale(x) in the formula",
                      ScaleWarning, stacklevel=3)
    fixed_spec = _SideSpec(fixed_terms, [v if isinstance(v, Factor) else None for v in fvals])

    # Random effects, in formula order, then sorted as mkReTrms does.
    raw: list[tuple[tuple, _SideSpec, _GroupSpec]] = []
    for b, lt, atoms, factor in zip(bars, lhs_terms, plan.atoms, plan.factors):
        lv = [sub[lab] for lab, _ in lt.variables]
        Xt, cn = model_matrix(lt, lv, n)
        f, keys, atom_levels, radices = grouping_factor([sub[lab] for lab, _ in atoms])
        raw.append(((factor, cn, Xt, f, b.text),
                    _SideSpec(lt, [v if isinstance(v, Factor) else None for v in lv]),
                    _GroupSpec([a for _, a in atoms], atom_levels, keys, radices)))
    order = sort_order([len(r[0][3].levels) for r in raw])
    raw = [raw[i] for i in order]
    names = group_names([r[0][0] for r in raw])
    terms = [ReTerm(group=nm, factor=factor, columns=cn, X=Xt, codes=f.codes, levels=f.levels,
                    text=text) for nm, ((factor, cn, Xt, f, text), _, _) in zip(names, raw)]
    for t in terms:
        if t.k == 0:
            raise ModelSpecificationError(f"random-effect term ({t.text}) has no columns")
    if lme4_checks:
        check_terms(terms, n, allow_n=response == "glm")

    spec = DesignSpec(formula=formula, fixed=fixed_spec, keep=keep,
                      response_node=parsed.response, state=state,
                      lhs=[r[1] for r in raw], groups=[r[2] for r in raw],
                      offsets=plan.offsets)
    return ModelFrame(
        formula=formula,
        response_name=resp_label,
        y=np.ascontiguousarray(sub[resp_label].values, dtype=np.float64),  # type: ignore[union-attr]
        X=X,
        fixed_names=fixed_names,
        dropped_fixed=dropped,
        terms=terms,
        weights=None if w is None else w[rows],
        offset=None if off is None else off[rows],
        n_dropped_na=int(n_dropped),
        n_zero_weight=n_zero_weight,
        rows=rows,
        spec=spec,
        parsed=parsed,
        messages=messages,
        _frame_values=sub,
        _frame_index=data.index,
        y2=None if y2_val is None else np.ascontiguousarray(sub["(cbind failures)"].values, dtype=np.float64),
    )
