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
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError, FormulaError
from mixedlab.formula._columns import (
    DIFFTIME_SECONDS, classify_object, is_complex, is_datetime, is_timedelta, timedelta_unit,
)
from mixedlab.formula._parser import BinOp, Call, Name, Node, Num, Paren, Str, UnaryOp, deparse
from mixedlab.formula._poly import poly_basis
from mixedlab.formula._rtext import collate_key, format_double
from mixedlab.formula._splines import bs_basis, ns_basis

__all__ = ["Numeric", "Factor", "Basis", "Evaluator", "as_factor", "referenced_columns"]


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


@dataclass
class Basis:
    """A matrix-valued variable (``poly(x, 2)``, ``ns(x, 3)``): one column per basis function.

    Model-matrix columns are named ``label + suffix`` (``poly(x, 2)1``), as R names the
    columns of a matrix in a model frame.
    """

    values: np.ndarray  # (n, k) float64, NaN rows are missing
    suffixes: list[str]

    @property
    def missing(self) -> np.ndarray:
        return np.isnan(self.values).any(axis=1)

    def take(self, rows: np.ndarray) -> "Basis":
        return Basis(self.values[rows], self.suffixes)


Value = Numeric | Factor | Basis


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
    if isinstance(value, Basis):
        raise FormulaError("a matrix of basis columns (poly(), ns(), bs()) cannot be a factor "
                           "or a grouping variable")
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


def _libm(np_fn: Any, math_fn: Any) -> Any:
    """``math_fn`` (the C library's, as R uses) on every regular element; ``np_fn`` gives the
    special values (0, negatives, infinities, NaN), where the two agree. numpy's vectorised
    transcendental functions differ from libm by an ulp now and then (AVX-512)."""
    def fn(x):
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = np.array(np_fn(x), dtype=np.float64)
        flat = out.reshape(-1)
        src = x.reshape(-1)
        ok = np.flatnonzero(np.isfinite(flat) & np.isfinite(src))
        if ok.size:
            flat[ok] = np.fromiter(map(math_fn, src[ok].tolist()), dtype=np.float64, count=ok.size)
        return out
    return fn


_log = _libm(np.log, math.log)
_exp = _libm(np.exp, math.exp)


def _r_log(x, base=None):
    out = _log(x)
    return out if base is None else out / _log(base)


# Functions allowed in formula variables, with R's meaning.
_FUNCS: dict[str, Any] = {
    "log": _r_log, "log2": _libm(np.log2, math.log2), "log10": _libm(np.log10, math.log10),
    "log1p": _libm(np.log1p, math.log1p), "exp": _exp, "expm1": _libm(np.expm1, math.expm1),
    "sqrt": np.sqrt, "abs": np.abs, "sin": _libm(np.sin, math.sin),
    "cos": _libm(np.cos, math.cos), "tan": _libm(np.tan, math.tan), "floor": np.floor,
    "ceiling": np.ceil, "trunc": np.trunc, "sign": np.sign,
    "plogis": lambda x: 1 / (1 + _exp(-np.asarray(x, dtype=float))),
    "qlogis": lambda p: _log(np.asarray(p, dtype=float) / (1 - np.asarray(p, dtype=float))), "pmin": np.minimum, "pmax": np.maximum,
    "as.numeric": lambda x: np.asarray(x, dtype=float),
    "c": lambda *xs: np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)) for v in xs]),
}
_ARITH = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
    "%%": lambda a, b: a - np.floor(a / b) * b, "%/%": lambda a, b: np.floor(a / b),
    "==": np.equal, "!=": np.not_equal, "<": np.less, ">": np.greater,
    "<=": np.less_equal, ">=": np.greater_equal,
    "&": np.logical_and, "&&": np.logical_and, "|": np.logical_or, "||": np.logical_or,
}
_CONSTANTS = {"TRUE": True, "FALSE": False, "T": True, "F": False, "pi": np.pi}
# T, F and pi are variables of R's base package: a data column of that name masks them
_MASKABLE = {"T", "F", "pi"}
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
        # what was decided about a column's type while fitting (said once, by build_model)
        self.notes: list[str] = []

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
        key: Any = name
        if name not in self.data.columns:
            # a column named by a number (0, 1, ... from a numpy array) written `0`
            alike = [c for c in self.data.columns if not isinstance(c, str) and str(c) == name]
            if len(alike) != 1:
                raise self._unknown_column(name)
            key = alike[0]
        col = self.data[key]
        if isinstance(col, pd.DataFrame):
            raise DataError(f"the data has more than one column named {name!r}")
        self._columns[name] = col
        return col

    def _unknown_column(self, name: str) -> DataError:
        """The error for a name that is not a column, with the likely meant ones."""
        text = [c for c in self.data.columns if isinstance(c, str)]
        other = [c for c in self.data.columns if not isinstance(c, str)]
        close = difflib.get_close_matches(name, text, n=3, cutoff=0.6)
        low = [c for c in text if c.lower() == name.lower() and c not in close]
        close = low + close
        if close:
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?"
        elif text:
            hint = (f" The data has columns: {', '.join(text[:20])}"
                    f"{' ...' if len(text) > 20 else ''}.")
        else:
            hint = ""
        if other:
            shown = ", ".join(repr(c) for c in other[:5]) + (" ..." if len(other) > 5 else "")
            hint += (f" Some column names are not text ({shown}); a formula names columns by "
                     "text: give the columns names (df.columns = ['y', 'x', ...]) or write a "
                     "number name in backquotes, e.g. `0`.")
        return DataError(f"formula {self.formula!r} uses {name!r}, which is not a column "
                         f"of the data.{hint}")

    def _is_constant(self, name: str) -> bool:
        """R's constants; T, F and pi are ordinary names in R, so a data column wins."""
        if name not in _CONSTANTS:
            return False
        return not (name in _MASKABLE and name in self.data.columns)

    def _column_value(self, name: str) -> Value:
        """A data column as a Numeric or Factor (the dtype rules of :mod:`._columns`)."""
        arr = self._stored(name)
        if isinstance(arr, np.ndarray) and arr.dtype.kind in "fiu":
            return _numeric_from_array(arr)
        if isinstance(arr, pd.Categorical):
            return _factor_from_categorical(arr)
        s = self.column(name)
        dt = s.dtype
        if type(dt) is np.dtype and dt.kind in "fiu":
            # plain numpy numbers (the common case): skip the generic dtype tests
            return _numeric_from_series(s, name)
        if isinstance(dt, pd.CategoricalDtype):
            return _factor_from_series(s)
        if is_complex(dt):
            raise DataError(f"column {name!r} holds complex numbers; a mixed model needs real "
                            f"values: use df[{name!r}].to_numpy().real (or the modulus) as the "
                            "question requires")
        if is_timedelta(dt):
            return self._difftime(s, name)
        if isinstance(dt, (pd.PeriodDtype, pd.IntervalDtype)):
            kind = "periods" if isinstance(dt, pd.PeriodDtype) else "intervals"
            raise DataError(f"column {name!r} holds pandas {kind}; convert it to numbers (e.g. "
                            "the interval midpoints or period ordinals) or to text first")
        if is_datetime(dt):
            raise DataError(f"column {name!r} holds dates; convert it to a number (e.g. days "
                            f"since the start: (df[{name!r}] - df[{name!r}].min()) / "
                            "pandas.Timedelta(days=1)) or to text first")
        if pd.api.types.is_bool_dtype(dt):
            return _factor_from_series(s)
        if dt == object:
            return self._object_column(s, name)
        if pd.api.types.is_numeric_dtype(dt):
            return _numeric_from_series(s, name)
        return _factor_from_series(s)

    def _difftime(self, s: pd.Series, name: str) -> Numeric:
        """A time difference as lme4 uses a difftime: a number in one unit (see ._columns)."""
        secs = s.astype("timedelta64[ns]").dt.total_seconds().to_numpy(dtype=float,
                                                                          na_value=np.nan)
        key = ("difftime", name)
        unit = self.state.get(key) if not self.fitting else None
        if unit is None:
            unit = timedelta_unit(secs)
            if self.fitting:
                self.state[key] = unit
                self.notes.append(
                    f"column {name!r} holds time differences; it is used as a number of {unit} "
                    "(as lme4 uses a difftime); to choose the unit, convert it first, e.g. "
                    f"df[{name!r}] / pandas.Timedelta(hours=1)")
        return Numeric(secs / DIFFTIME_SECONDS[unit])

    def _object_column(self, s: pd.Series, name: str) -> Value:
        """An object column, judged by its values as the equivalent R vector would be."""
        values = s.to_numpy()
        kind = classify_object(values, name)
        if kind == "text":
            return _factor_from_series(s)
        if kind == "bool":
            codes = np.array([-1 if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                              else int(bool(v)) for v in values], dtype=np.int64)
            return Factor(codes, ["FALSE", "TRUE"], logical=True)
        if kind == "mixed":
            if self.fitting:
                self.notes.append(
                    f"column {name!r} mixes numbers and text, so it is used as a factor (as R "
                    "does with a character vector); if it should be numeric, convert it first: "
                    f"pandas.to_numeric(df[{name!r}], errors='coerce') makes the text missing")
            return _factor_from_series(s)
        vals = np.array([np.nan if v is None or v is pd.NA else float(v) for v in values],
                        dtype=np.float64)
        if self.fitting:
            self.notes.append(
                f"column {name!r} has dtype object but holds only numbers, so it is used as a "
                "numeric variable (as R does with a numeric vector); convert it to silence this: "
                f"df[{name!r}] = pandas.to_numeric(df[{name!r}]), or make it a Categorical to "
                "use it as a factor")
        integer = all(isinstance(v, (int, np.integer)) for v in values
                      if v is not None and v is not pd.NA and not isinstance(v, float))
        return Numeric(vals, integer)

    # -- variables -----------------------------------------------------------
    def variable(self, node: Node) -> Value:
        """Evaluate a whole formula variable to a Numeric or Factor."""
        if isinstance(node, Paren):
            return self.variable(node.inner)
        if isinstance(node, Name) and not self._is_constant(node.id):
            return self._column_value(node.id)
        label = deparse(node)
        node = _plain_call(node)
        if isinstance(node, Call) and node.fn in _FACTOR_FUNCS:
            return self._factor_call(node, label)
        if isinstance(node, Call) and node.fn == "scale":
            return self._scale(node, label)
        if isinstance(node, Call) and node.fn in _BASIS_FUNCS:
            return self._basis(node, label)
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

    def _basis(self, node: Call, label: str) -> Basis:
        """``poly()``, ``ns()``, ``bs()`` with R's arguments; on new data (``predict``) with
        the fit's coefficients and knots, as R's ``makepredictcall`` arranges."""
        args = _match_args(node, _BASIS_FUNCS[node.fn], label)
        if "x" not in args:
            raise FormulaError(f"{label}: the variable is missing")
        extra = set(args) - {"x"} - set(_BASIS_OPTIONS[node.fn])
        if extra:
            raise FormulaError(f"{label}: argument {sorted(extra)[0]!r} of {node.fn}() is not "
                               f"supported (supported: {', '.join(_BASIS_OPTIONS[node.fn])})")
        x = self._to_value(self.array(args["x"]), label)
        if not isinstance(x, Numeric):
            raise DataError(f"{label}: {node.fn}() needs a numeric variable, but "
                            f"{deparse(args['x'])!r} is categorical")
        opts = {k: v for k, v in args.items() if k != "x"}
        key = ("basis", label)
        if node.fn == "poly":
            degree = _whole(self._option(opts.get("degree"), 1.0), label, "degree")
            raw = _flag(opts.get("raw"), False, f"{label}: raw")
            coefs = None if self.fitting else self.state.get(key)
            if not self.fitting and coefs is None and not raw:
                raise FormulaError(f"{label}: no fitted coefficients to evaluate it on new data")
            values, coefs = poly_basis(x.values, degree, raw=raw, coefs=coefs)
            if self.fitting and coefs is not None:
                self.state[key] = coefs
        else:
            params = None if self.fitting else self.state.get(key)
            if params is None:
                df = opts.get("df")
                knots = opts.get("knots")
                bk = opts.get("Boundary.knots")
                kw = dict(df=None if _is_null(df) else _whole(self._option(df), label, "df"),
                          knots=None if _is_null(knots) else self._numbers(knots, label),
                          boundary=None if _is_null(bk) else self._numbers(bk, label),
                          intercept=_flag(opts.get("intercept"), False, f"{label}: intercept"))
                if kw["boundary"] is not None and np.asarray(kw["boundary"]).size != 2:
                    raise FormulaError(f"{label}: Boundary.knots must be two numbers")
                if node.fn == "bs":
                    kw["degree"] = _whole(self._option(opts.get("degree"), 3.0), label, "degree")
            else:
                kw = dict(knots=params["knots"], boundary=params["boundary"],
                          intercept=params["intercept"])
                if node.fn == "bs":
                    kw["degree"] = params["degree"]
            fn = bs_basis if node.fn == "bs" else ns_basis
            values, params = fn(x.values, **kw)
            if self.fitting:
                self.state[key] = params
        return Basis(values, [str(j) for j in range(1, values.shape[1] + 1)])

    def _option(self, node: Node | None, default: float | None = None) -> float | None:
        """A numeric option written in the formula (``2``, ``df = 3``, ``degree = 1 + 1``)."""
        if node is None:
            return default
        v = np.asarray(self.array(node), dtype=float)
        if v.size != 1:
            raise FormulaError(f"expected one number, not {deparse(node)!r}")
        return float(v.ravel()[0])

    def _numbers(self, node: Node, label: str) -> np.ndarray:
        used = [c for c in referenced_columns(node) if not self._is_constant(c)]
        if used:
            raise FormulaError(f"{label}: knots must be numbers written in the formula, such as "
                               f"c(2, 5), not data columns ({', '.join(map(repr, used))}); "
                               "compute them first and write the values")
        try:
            v = np.atleast_1d(np.asarray(self.array(node), dtype=float))
        except (TypeError, ValueError):
            raise FormulaError(f"{label}: {deparse(node)!r} is not a vector of numbers") from None
        if v.ndim != 1 or not np.isfinite(v).all():
            raise FormulaError(f"{label}: {deparse(node)!r} must be finite numbers")
        return v

    def _to_value(self, arr: Any, label: str) -> Value:
        arr = np.asarray(arr)
        if arr.ndim == 0 or (arr.ndim == 1 and arr.size == 1 and self.n != 1):
            # R: model.frame needs one value per row ("T" and "pi" are R's constants unless
            # the data have such a column)
            raise FormulaError(f"variable lengths differ (found for '{label}') (R's error): "
                               f"{label!r} is a single value, not one per row; a constant "
                               "cannot be a term (the intercept is written 1)")
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
            return np.asarray(node.value, dtype=object)
        if isinstance(node, Name):
            if self._is_constant(node.id):
                return _CONSTANTS[node.id]
            v = self._column_value(node.id)
            if isinstance(v, Numeric):
                return np.asarray(v.values, dtype=np.float64)
            if v.logical:
                return (np.where(v.codes < 0, np.nan, v.codes.astype(float)) if v.missing.any()
                        else v.codes.astype(bool))
            labels = np.asarray(list(v.levels) + [None], dtype=object)
            return labels[v.codes]
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
            node = _plain_call(node)
            if node.fn == "I":
                if len(node.args) != 1:
                    raise FormulaError("I() takes exactly one expression")
                return self._array(node.args[0])
            fn = _FUNCS.get(node.fn)
            if fn is None:
                if node.fn in _BASIS_FUNCS or node.fn in _FACTOR_FUNCS or node.fn == "scale":
                    raise FormulaError(
                        f"{node.fn}() can only be a term (or a variable of an interaction) of "
                        f"its own, not part of an expression such as {deparse(node)!r} inside "
                        "I() or arithmetic")
                raise FormulaError(
                    f"function {node.fn}() is not supported in formulas (supported: I, factor, "
                    f"ordered, scale, poly, ns, bs, {', '.join(sorted(_FUNCS))}); compute the "
                    "column in the DataFrame first")
            args = [self._array(a) for a in node.args]
            kwargs = {k: self._array(v) for k, v in node.kwargs}
            try:
                return fn(*args, **kwargs)
            except TypeError:
                raise FormulaError(f"wrong arguments in {deparse(node)!r}: {node.fn}() takes "
                                   + ("x and base" if node.fn == "log" else
                                      "two vectors" if node.fn in ("pmin", "pmax") else
                                      "numbers" if node.fn == "c" else "one variable")) from None
        raise FormulaError(f"cannot evaluate {deparse(node)!r}")


# formals of the basis functions, in R's order (for positional and partial matching)
_BASIS_FUNCS = {
    "poly": ("x", "...", "degree", "coefs", "raw", "simple"),
    "bs": ("x", "df", "knots", "degree", "intercept", "Boundary.knots"),
    "ns": ("x", "df", "knots", "intercept", "Boundary.knots"),
}
_BASIS_OPTIONS = {
    "poly": ("degree", "raw"),
    "bs": ("df", "knots", "degree", "intercept", "Boundary.knots"),
    "ns": ("df", "knots", "intercept", "Boundary.knots"),
}


def _match_args(node: Call, formals: tuple[str, ...], label: str) -> dict[str, Node]:
    """R's argument matching: exact names, then unique partial names (only for formals
    before ``...``), then positions; ``poly``'s one unnamed argument after x is its degree."""
    out: dict[str, Node] = {}
    dots = formals.index("...") if "..." in formals else len(formals)
    for key, value in node.kwargs:
        if key in formals and key != "...":
            name = key
        else:
            cands = [f for f in formals[:dots] if f.startswith(key)]
            if len(cands) != 1:
                raise FormulaError(f"{label}: unused argument {key} = {deparse(value)}")
            name = cands[0]
        if name in out:
            raise FormulaError(f"{label}: formal argument {name!r} matched by multiple arguments")
        out[name] = value
    free = [f for f in formals if f not in out]
    for value in node.args:
        if not free:
            raise FormulaError(f"{label}: too many arguments")
        name = free.pop(0)
        if name == "...":  # poly(x, 2): the dots' single number is the degree
            if "degree" in out:
                raise FormulaError(f"{label}: several variables in poly() are not supported")
            name = "degree"
            free = [f for f in free if f != "degree"]
        out[name] = value
    return out


# packages whose functions are R's own: base::log, stats::poly, splines::ns
_R_PACKAGES = {"base", "stats", "splines"}


def _plain_call(node: Node) -> Node:
    """``splines::ns(x, 3)`` as ``ns(x, 3)`` (the label keeps the prefix, as R's does)."""
    if isinstance(node, Call) and "::" in node.fn:
        pkg, _, fn = node.fn.replace(":::", "::").partition("::")
        if pkg in _R_PACKAGES:
            return Call(fn, node.args, node.kwargs, pos=node.pos)
    return node


def _is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, Name) and node.id == "NULL")


def _whole(value: float | None, label: str, what: str) -> int:
    if value is None or not float(value).is_integer():
        raise FormulaError(f"{label}: {what} must be a whole number, not {value!r}")
    return int(value)


def _flag(node: Node | None, default: bool, what: str = "scale()") -> bool:
    """A TRUE/FALSE argument written in the formula (``T``/``F`` as R's shorthands)."""
    if node is None:
        return default
    if isinstance(node, Name) and node.id in ("TRUE", "T"):
        return True
    if isinstance(node, Name) and node.id in ("FALSE", "F"):
        return False
    raise FormulaError(f"{what}: the argument must be TRUE or FALSE, not {deparse(node)!r}")
