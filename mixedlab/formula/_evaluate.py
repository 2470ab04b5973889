"""Evaluate formula variables (``x``, ``g``, ``log(x)``, ``I(x^2)``, ``factor(g)``) on data.

Every variable becomes either a :class:`Numeric` (float64 vector, NaN = missing)
or a :class:`Factor` (int64 codes, -1 = missing, and level names in R's order).
Evaluation is vectorised over whole columns.

Level order follows R's ``factor()``: a pandas Categorical keeps its category
order; text sorts as R's ``sort()`` does; numbers sort numerically and are
named as ``as.character`` names them; logicals are ``FALSE``/``TRUE``.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError, FormulaError
from mixedlab.formula._parser import BinOp, Call, Name, Node, Num, Paren, Str, UnaryOp, deparse
from mixedlab.formula._rtext import collate_key, format_double

__all__ = ["Numeric", "Factor", "Evaluator", "as_factor", "referenced_columns"]


@dataclass
class Numeric:
    """A numeric variable; ``values`` is float64 with NaN for missing."""

    values: np.ndarray
    integer: bool = False  # came from an integer column (names levels "1", not "1")

    @property
    def missing(self) -> np.ndarray:
        return np.isnan(self.values)

    def take(self, rows: np.ndarray) -> "Numeric":
        return Numeric(self.values[rows], self.integer)


@dataclass
class Factor:
    """A categorical variable: ``codes`` index ``levels`` (-1 = missing)."""

    codes: np.ndarray
    levels: list[str]
    logical: bool = False  # an R logical: levels are always FALSE, TRUE
    ordered: bool = False  # an R ordered factor: coded by polynomial contrasts (contr.poly)
    # known to use every level (so drop_unused has nothing to do); a cache, not data
    compact: bool = field(default=False, repr=False, compare=False)

    @property
    def missing(self) -> np.ndarray:
        return self.codes < 0

    def take(self, rows: np.ndarray) -> "Factor":
        return Factor(self.codes[rows], self.levels, self.logical, self.ordered)

    def drop_unused(self) -> "Factor":
        """Drop levels that no observation uses (R's ``droplevels``); logicals keep both."""
        if self.logical or self.compact:
            return self
        # counts per level in one O(n) pass (bincount, not a sort)
        used = np.bincount(self.codes + 1, minlength=len(self.levels) + 1)[1:] > 0
        if used.all():
            self.compact = True
            return self
        remap = np.cumsum(used) - 1
        codes = np.where(self.codes >= 0, remap[np.maximum(self.codes, 0)], -1)
        return Factor(codes.astype(np.int64), [lv for lv, u in zip(self.levels, used) if u],
                      ordered=self.ordered, compact=True)

    def recode(self, levels: list[str]) -> "Factor":
        """Re-express on the given level list; unknown levels get code -2."""
        index = {lv: i for i, lv in enumerate(levels)}
        table = np.array([index.get(lv, -2) for lv in self.levels] + [-1], dtype=np.int64)
        return Factor(table[self.codes], list(levels), self.logical, self.ordered)


Value = Numeric | Factor


def _level_name(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return format_double(float(v))
    return str(v)


def _level_names(values: pd.Index) -> list[str]:
    """:func:`_level_name` of every value, without a Python call per value when the
    type is uniform (text, integers, logicals); floats keep R's number formatting."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.tolist()  # plain Python str; categories are never missing
    if values.dtype.kind in "OSUT":
        items = values.tolist()
        # exact-type test: a str subclass or a number stored as object takes the slow path
        if all(type(v) is str for v in items):
            return items
        return [_level_name(v) for v in items]
    if values.dtype.kind in "iu":
        return [str(v) for v in values.tolist()]  # tolist gives Python ints
    if values.dtype.kind == "b":
        return ["TRUE" if v else "FALSE" for v in values.tolist()]
    return [_level_name(v) for v in values]


def _factor_from_categorical(cat: pd.Categorical) -> Factor:
    """A pandas Categorical keeps its category order (R's ``factor`` with given levels);
    an ordered Categorical is R's ordered factor."""
    return Factor(cat.codes.astype(np.int64), _level_names(cat.categories),
                  ordered=bool(cat.ordered))


def _numeric_from_array(arr: np.ndarray) -> Numeric:
    """A numpy number column as float64 (never writable when it is the caller's memory)."""
    if arr.dtype == np.float64:
        vals = arr.view()
        vals.flags.writeable = False  # as Series.to_numpy() gives it: a read-only view
        return Numeric(vals, False)
    return Numeric(arr.astype(np.float64), arr.dtype.kind != "f")


def _factor_from_series(s: pd.Series) -> Factor:
    """Turn a pandas column into a Factor with R's level order."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return _factor_from_categorical(s.array)  # the Categorical itself: no .cat Series
    if pd.api.types.is_bool_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        codes = np.where(np.isnan(vals), -1, vals).astype(np.int64)
        return Factor(codes, ["FALSE", "TRUE"], logical=True)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return as_factor(_numeric_from_series(s, "?"))
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    names = [_level_name(u) for u in uniques]
    # R sorts the distinct values; numbers stored as objects sort numerically.
    if all(isinstance(u, (int, float, np.integer, np.floating)) and not isinstance(u, bool)
           for u in uniques):
        order = sorted(range(len(uniques)), key=lambda i: float(uniques[i]))
    else:
        order = sorted(range(len(names)), key=lambda i: collate_key(names[i]))
    # Different objects may print the same (1 and "1"): merge them.
    levels: list[str] = []
    pos: dict[str, int] = {}
    for i in order:
        if names[i] not in pos:
            pos[names[i]] = len(levels)
            levels.append(names[i])
    table = np.array([pos[names[i]] for i in range(len(names))] + [-1], dtype=np.int64)
    return Factor(table[codes], levels)


def _numeric_from_series(s: pd.Series, label: str) -> Numeric:
    dt = s.dtype
    if type(dt) is np.dtype and dt.kind in "fiu":
        # numpy numbers cannot hold NA other than NaN, so to_numpy(float64, na_value=nan)
        # is the plain array (a read-only view for float64, a converted copy otherwise)
        vals = s.to_numpy()
        return Numeric(vals if dt == np.float64 else vals.astype(np.float64), dt.kind != "f")
    integer = pd.api.types.is_integer_dtype(s.dtype)
    try:
        vals = s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(f"column {label!r} is not numeric") from None
    return Numeric(vals, integer)


def as_factor(value: Value) -> Factor:
    """R's ``factor(x)``: numbers become levels in numeric order, named like ``as.character``."""
    if isinstance(value, Factor):
        return value
    vals = value.values
    # hash the values (O(n)), then order the few distinct ones numerically
    raw, uniq0 = pd.factorize(vals, use_na_sentinel=True)
    order = np.argsort(uniq0, kind="stable")
    uniq = uniq0[order]
    rank = np.empty(order.size + 1, dtype=np.int64)
    rank[order] = np.arange(order.size)
    rank[-1] = -1
    codes = rank[raw]
    if value.integer:
        names = [str(int(u)) for u in uniq]
    else:
        names = [format_double(float(u)) for u in uniq]
    return Factor(codes, names, compact=True)  # levels are the values present


def _r_log(x, base=None):
    out = np.log(x)
    return out if base is None else out / np.log(base)


# Functions allowed in formula variables, with R's meaning.
_FUNCS: dict[str, Any] = {
    "log": _r_log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "exp": np.exp, "expm1": np.expm1, "sqrt": np.sqrt, "abs": np.abs,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "floor": np.floor, "ceiling": np.ceil,
    "trunc": np.trunc, "sign": np.sign, "plogis": lambda x: 1 / (1 + np.exp(-x)),
    "qlogis": lambda p: np.log(p / (1 - p)), "pmin": np.minimum, "pmax": np.maximum,
    "as.numeric": lambda x: np.asarray(x, dtype=float), "c": lambda x: x,
}
_ARITH = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
    "%%": lambda a, b: a - np.floor(a / b) * b, "%/%": lambda a, b: np.floor(a / b),
    "==": np.equal, "!=": np.not_equal, "<": np.less, ">": np.greater,
    "<=": np.less_equal, ">=": np.greater_equal,
    "&": np.logical_and, "&&": np.logical_and, "|": np.logical_or, "||": np.logical_or,
}
_CONSTANTS = {"TRUE": True, "FALSE": False, "T": True, "F": False, "pi": np.pi}
_FACTOR_FUNCS = {"factor", "as.factor", "ordered", "as.ordered"}


def referenced_columns(node: Node) -> list[str]:
    """Data column names used by an expression, in order of appearance."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Name):
            if n.id not in _CONSTANTS and n.id not in out:
                out.append(n.id)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)
            for _, v in n.kwargs:
                walk(v)
        elif isinstance(n, BinOp):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, UnaryOp):
            walk(n.operand)
        elif isinstance(n, Paren):
            walk(n.inner)

    walk(node)
    return out


class Evaluator:
    """Evaluates variable expressions on one DataFrame.

    Parameters
    ----------
    data : pandas.DataFrame
        Never modified.
    formula : str
        For error messages.
    state : dict
        Parameters of data-dependent transforms (``scale``'s centre and scale),
        filled while fitting and reused when evaluating new data, as R's
        ``makepredictcall`` does.
    fitting : bool
        True while building the model (``state`` is written), False for new data.
    """

    def __init__(self, data: pd.DataFrame, formula: str, state: dict, fitting: bool) -> None:
        self.data = data
        self.formula = formula
        self.state = state
        self.fitting = fitting
        self.n = len(data)
        self._columns: dict[str, pd.Series] = {}  # each column is looked up once

    # -- columns -------------------------------------------------------------
    def _stored(self, name: str) -> Any:
        """The column's stored array (numpy array or pandas extension array) without
        building a Series, or None when that is not possible (then use :meth:`column`).

        Uses pandas' internal ``DataFrame._get_column_array`` when it exists; a Series
        costs ~15 us, a large share of building a small model. Read-only use only.
        """
        getter = getattr(self.data, "_get_column_array", None)
        cols = self.data.columns
        if getter is None or name not in cols:
            return None
        loc = cols.get_loc(name)
        return getter(loc) if isinstance(loc, int) else None  # duplicates: column() says so

    def column(self, name: str) -> pd.Series:
        col = self._columns.get(name)
        if col is not None:
            return col
        if name in self.data.columns:
            col = self.data[name]
            if isinstance(col, pd.DataFrame):
                raise DataError(f"the data has more than one column named {name!r}")
            self._columns[name] = col
            return col
        cols = [str(c) for c in self.data.columns]
        close = difflib.get_close_matches(name, cols, n=3, cutoff=0.6)
        low = [c for c in cols if c.lower() == name.lower() and c not in close]
        close = low + close
        hint = (f" Did you mean {', '.join(repr(c) for c in close)}?" if close
                else f" The data has columns: {', '.join(cols[:20])}{' ...' if len(cols) > 20 else ''}.")
        raise DataError(f"formula {self.formula!r} uses {name!r}, which is not a column "
                        f"of the data.{hint}")

    # -- variables -----------------------------------------------------------
    def variable(self, node: Node) -> Value:
        """Evaluate a whole formula variable to a Numeric or Factor."""
        if isinstance(node, Paren):
            return self.variable(node.inner)
        if isinstance(node, Name) and node.id not in _CONSTANTS:
            arr = self._stored(node.id)
            if isinstance(arr, np.ndarray) and arr.dtype.kind in "fiu":
                return _numeric_from_array(arr)
            if isinstance(arr, pd.Categorical):
                return _factor_from_categorical(arr)
            s = self.column(node.id)
            dt = s.dtype
            if type(dt) is np.dtype and dt.kind in "fiu":
                # plain numpy numbers (the common case): skip the generic dtype tests
                return _numeric_from_series(s, node.id)
            if isinstance(dt, pd.CategoricalDtype):
                return _factor_from_series(s)  # (a categorical is never a datetime dtype)
            if (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s.dtype)
                    or not pd.api.types.is_numeric_dtype(s.dtype)):
                if pd.api.types.is_datetime64_any_dtype(s.dtype):
                    raise DataError(f"column {node.id!r} holds dates; convert it to a number "
                                    "(e.g. days since the start) or to text first")
                return _factor_from_series(s)
            return _numeric_from_series(s, node.id)
        label = deparse(node)
        if isinstance(node, Call) and node.fn in _FACTOR_FUNCS:
            return self._factor_call(node, label)
        if isinstance(node, Call) and node.fn == "scale":
            return self._scale(node, label)
        return self._to_value(self.array(node), label)

    def _factor_call(self, node: Call, label: str) -> Factor:
        """``factor(x)``, ``as.factor(x)``, ``ordered(x)``, ``as.ordered(x)``.

        As in R, ``factor(x)`` and ``as.factor(x)`` keep an ordered factor ordered
        (``factor``'s default ``ordered = is.ordered(x)``); ``ordered()`` and
        ``as.ordered()`` make an ordered factor, coded by polynomial contrasts.
        ``factor(x, ordered = TRUE)`` is accepted too.
        """
        opts = dict(node.kwargs)
        if len(node.args) != 1 or set(opts) - ({"ordered"} if node.fn == "factor" else set()):
            raise FormulaError(f"{label}: only {node.fn}(x) with one variable is supported"
                               + (" (and ordered = TRUE/FALSE)" if node.fn == "factor" else "")
                               + "; to choose the levels or their order, make the column a "
                               "pandas Categorical with those categories")
        inner = node.args[0]
        value = self.variable(inner) if isinstance(inner, (Name, Paren)) else \
            self._to_value(self.array(inner), label)
        f = as_factor(value)
        if f.logical:  # factor(TRUE/FALSE) is an ordinary factor with levels FALSE, TRUE
            f = Factor(f.codes, f.levels)
        ordered = f.ordered
        if node.fn in ("ordered", "as.ordered"):
            ordered = True
        elif "ordered" in opts:
            ordered = _flag(opts["ordered"], False, f"{node.fn}(ordered = ...)")
        if ordered == f.ordered:
            return f
        return Factor(f.codes, f.levels, ordered=ordered, compact=f.compact)

    def _to_value(self, arr: Any, label: str) -> Value:
        arr = np.asarray(arr)
        if arr.ndim == 0:
            arr = np.full(self.n, arr.item())
        if arr.shape != (self.n,):
            raise FormulaError(f"variable {label!r} does not give one value per row")
        if arr.dtype == bool:
            return Factor(arr.astype(np.int64), ["FALSE", "TRUE"], logical=True)
        if arr.dtype == object:
            return _factor_from_series(pd.Series(arr))
        return Numeric(arr.astype(np.float64))

    def _scale(self, node: Call, label: str) -> Numeric:
        """R's ``scale(x, center = TRUE, scale = TRUE)`` with the fitted centre/scale kept."""
        if len(node.args) != 1:
            raise FormulaError(f"{label}: scale() takes one variable")
        opts = dict(node.kwargs)
        x = np.asarray(self.array(node.args[0]), dtype=np.float64)
        if self.fitting:
            ok = x[~np.isnan(x)]
            do_c = _flag(opts.get("center"), True, "scale(center = ...)")
            do_s = _flag(opts.get("scale"), True, "scale(scale = ...)")
            center = float(ok.mean()) if do_c else 0.0
            if do_s:
                # R divides by the root mean square sqrt(sum(x^2)/(n-1)) of the centred values
                scale = float(np.sqrt(np.sum((ok - center) ** 2) / max(ok.size - 1, 1)))
            else:
                scale = 1.0
            self.state[label] = (center, scale)
        center, scale = self.state[label]
        return Numeric((x - center) / scale)

    # -- arithmetic ----------------------------------------------------------
    def array(self, node: Node) -> Any:
        """Evaluate an R expression to a numpy array (inside I(), log(), ...)."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._array(node)

    def _array(self, node: Node) -> Any:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Name):
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            s = self.column(node.id)
            if pd.api.types.is_bool_dtype(s.dtype):
                return s.to_numpy(dtype=float, na_value=np.nan) if s.hasnans else s.to_numpy(dtype=bool)
            if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
                return s.to_numpy(dtype=np.float64, na_value=np.nan)
            return s.astype(object).to_numpy()
        if isinstance(node, Paren):
            return self._array(node.inner)
        if isinstance(node, UnaryOp):
            v = self._array(node.operand)
            if node.op == "!":
                return np.logical_not(v)
            return -np.asarray(v, dtype=float) if node.op == "-" else v
        if isinstance(node, BinOp):
            fn = _ARITH.get(node.op)
            if fn is None:
                raise FormulaError(f"operator {node.op!r} cannot be evaluated in "
                                   f"{deparse(node)!r}")
            left, right = self._array(node.left), self._array(node.right)
            if node.op in ("+", "-", "*", "/", "^", "%%", "%/%"):
                left = np.asarray(left, dtype=float) if not isinstance(left, float) else left
                right = np.asarray(right, dtype=float) if not isinstance(right, float) else right
            return fn(left, right)
        if isinstance(node, Call):
            if node.fn == "I":
                if len(node.args) != 1:
                    raise FormulaError("I() takes exactly one expression")
                return self._array(node.args[0])
            fn = _FUNCS.get(node.fn)
            if fn is None:
                raise FormulaError(
                    f"function {node.fn}() is not supported in formulas (supported: I, "
                    f"factor, scale, {', '.join(sorted(_FUNCS))}); compute the column "
                    "in the DataFrame first")
            args = [self._array(a) for a in node.args]
            kwargs = {("base" if k == "base" else k): self._array(v) for k, v in node.kwargs}
            return fn(*args, **kwargs)
        raise FormulaError(f"cannot evaluate {deparse(node)!r}")


def _flag(node: Node | None, default: bool, what: str = "scale()") -> bool:
    """A TRUE/FALSE argument written in the formula (``T``/``F`` as R's shorthands)."""
    if node is None:
        return default
    if isinstance(node, Name) and node.id in ("TRUE", "T"):
        return True
    if isinstance(node, Name) and node.id in ("FALSE", "F"):
        return False
    raise FormulaError(f"{what}: the argument must be TRUE or FALSE, not {deparse(node)!r}")
