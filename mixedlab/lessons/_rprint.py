"""R's console layouts for the small tables the lessons print.

The lessons promise the R course's numbers character for character, so the tables
they show are printed the way R's ``print.data.frame`` and ``print`` of a numeric
vector print them, built on :mod:`mixedlab.reporting.rformat` (R's ``formatReal``):

* every numeric column is formatted as one vector with 7 significant digits
  (``format(x, digits = 7)``: one common number of decimals for the column),
* columns and their labels are right-justified, row names left-justified, one
  space between columns (``print.default`` of the formatted character matrix).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from mixedlab.reporting.rformat import format_num, print_matrix

__all__ = ["r_data_frame", "r_vector", "r_named_vector", "r_structure"]


def _format_column(col: pd.Series, digits: int) -> list[str]:
    """``format()`` of one data-frame column as R's ``format.data.frame`` does it."""
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or pd.api.types.is_string_dtype(col):
        return ["<NA>" if pd.isna(v) else str(v) for v in col]
    if pd.api.types.is_bool_dtype(col):
        return ["TRUE" if v else "FALSE" for v in col]
    if pd.api.types.is_integer_dtype(col):
        return [str(int(v)) for v in col]
    return [s.strip() for s in format_num(col.to_numpy(dtype=float), digits=digits, na="NA")]


def r_data_frame(
    df: pd.DataFrame,
    row_names: Sequence[str] | None = None,
    digits: int = 7,
) -> str:
    """The text ``print(df)`` shows in R for a data frame of numbers and factors.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; it is not modified.
    row_names : sequence of str, optional
        R's row names; ``1, 2, ...`` (R's automatic row names) when omitted, so a
        pandas index is ignored unless passed here explicitly.
    digits : int
        Significant digits for numeric columns (R's ``getOption("digits")``, 7).

    Returns
    -------
    str
        The printed lines joined by newlines.

    Examples
    --------
    >>> print(r_data_frame(pd.DataFrame({"a": [1.5, 10.25]})))
          a
    1  1.50
    2 10.25
    """
    names = [str(i + 1) for i in range(len(df))] if row_names is None else [str(r) for r in row_names]
    if len(names) != len(df):
        raise ValueError(f"row_names has {len(names)} entries but the data frame has {len(df)} rows")
    columns = [_format_column(df[c], digits) for c in df.columns]
    cells = [[columns[j][i] for j in range(len(columns))] for i in range(len(df))]
    return "\n".join(print_matrix(cells, names, [str(c) for c in df.columns], right=True))


def r_vector(x: float | Sequence[float], digits: int = 7) -> str:
    """``print(x)`` for a short unnamed numeric vector: ``[1] -0.8417701``.

    Only vectors that fit on one 80-character line are supported, which is all the
    lessons need.
    """
    cells = format_num(np.atleast_1d(np.asarray(x, dtype=float)), digits=digits, na="NA")
    line = "[1] " + " ".join(cells)
    if len(line) > 80:
        raise ValueError("r_vector prints one line only; the vector is too long")
    return line


def r_named_vector(x: pd.Series, digits: int = 7, width: int = 80) -> str:
    """``print(x)`` for a named numeric vector, e.g. ``exp(fixef(m))``.

    As R's ``printNamedVector`` (src/main/printvector.c): the values are formatted together
    (one number of decimals), every name and value is right-justified to the widest of
    them and followed by one space (so each line ends with a space), and as many entries go
    on a line as fit in ``width`` (R's ``getOption("width")``, 80).

    Parameters
    ----------
    x : pandas.Series
        Values, with the names as index.
    digits, width : int
        R's ``digits`` and ``width`` options.
    """
    cells = [c.strip() for c in format_num(x.to_numpy(dtype=float), digits=digits, na="NA")]
    names = [str(n) for n in x.index]
    w = max([len(c) for c in cells] + [len(n) for n in names] + [0])
    per_line = max(1, width // (w + 1))
    lines = []
    for start in range(0, len(cells), per_line):
        lines.append("".join(f"{n:>{w}} " for n in names[start:start + per_line]))
        lines.append("".join(f"{c:>{w}} " for c in cells[start:start + per_line]))
    return "\n".join(lines)


def r_structure(df: pd.DataFrame) -> pd.DataFrame:
    """A column-by-column view of a data frame's structure (the role of R's ``str()``).

    Returns one row per column with its pandas dtype, R's class (``factor`` or
    ``numeric``), the number of levels of a categorical column and its first levels.
    """
    rows = []
    for name in df.columns:
        col = df[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels = [str(v) for v in col.cat.categories]
            shown = ", ".join(repr(v) for v in levels[:4]) + (", ..." if len(levels) > 4 else "")
            rows.append((name, str(col.dtype), "factor", len(levels), shown))
        else:
            rows.append((name, str(col.dtype), "numeric", None, ""))
    out = pd.DataFrame(rows, columns=["column", "dtype", "R class", "levels", "first levels"])
    out["levels"] = out["levels"].astype("Int64")
    return out.set_index("column")
