"""One data column as a formula variable: which pandas dtypes are numbers and which are factors.

The rules, and the R column each pandas column stands for:

* numpy, nullable (``Int64``, ``Float64``) and Arrow numbers: numeric (R's numeric);
  ``pd.NA`` and NaN are missing.
* booleans (numpy, nullable ``boolean``, Arrow): R's logical, a factor FALSE/TRUE.
* text (object of str, ``string``/``str`` with the Python or Arrow storage, Arrow
  strings) and Categoricals (ordered ones are R's ordered factors; Arrow dictionaries
  become Categoricals): factors.
* time differences (``timedelta64``, Arrow durations): numeric, as lme4 uses a
  ``difftime``: in days when every value is a whole number of days (what subtracting
  R ``Date``\\ s gives), otherwise in the unit R's ``difftime(units = "auto")`` picks
  (secs below a minute, then mins, hours, days, by the smallest absolute value). The
  unit is kept for new data and stated in a message.
* object columns are judged by their values, as the equivalent R vector would be: only
  numbers is R's numeric; only True/False is R's logical; only text is a factor; numbers
  mixed with text is R's character (``c(1, "a")``), a factor, with a message that says
  how to convert. Lists, arrays, complex numbers and other objects in cells are errors.
* complex numbers and dates are errors that say how to convert (lme4 has no complex
  response; a date's number depends on its unit, so the choice is left to the user).
"""

from __future__ import annotations

import numbers
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError

__all__ = ["classify_object", "timedelta_unit", "DIFFTIME_SECONDS", "is_timedelta",
           "is_complex", "is_datetime"]

#: seconds per unit of R's difftime
DIFFTIME_SECONDS = {"secs": 1.0, "mins": 60.0, "hours": 3600.0, "days": 86400.0}

_NUMBER_TYPES = (int, float, np.integer, np.floating, Decimal, Fraction)


def is_timedelta(dtype: Any) -> bool:
    """True for numpy timedelta64 and Arrow duration dtypes."""
    if getattr(dtype, "kind", None) == "m":
        return True
    pa_type = getattr(dtype, "pyarrow_dtype", None)
    return pa_type is not None and str(pa_type).startswith("duration")


def is_datetime(dtype: Any) -> bool:
    """True for datetime64 (with or without time zone), Arrow timestamps and dates."""
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return True
    pa_type = getattr(dtype, "pyarrow_dtype", None)
    return pa_type is not None and str(pa_type).startswith(("timestamp", "date"))


def is_complex(dtype: Any) -> bool:
    """True for complex numpy dtypes."""
    return getattr(dtype, "kind", None) == "c"


def timedelta_unit(seconds: np.ndarray) -> str:
    """The difftime unit for these durations (in seconds, NaN = missing); see the module doc."""
    ok = seconds[~np.isnan(seconds)]
    if ok.size and np.all(np.mod(ok, 86400.0) == 0.0):
        return "days"
    zz = float(np.min(np.abs(ok))) if ok.size else float("nan")
    if not np.isfinite(zz) or zz < 60:
        return "secs"
    if zz < 3600:
        return "mins"
    if zz < 86400:
        return "hours"
    return "days"


def classify_object(values: np.ndarray, label: str) -> str:
    """What an object column holds: ``"number"``, ``"bool"``, ``"text"`` or ``"mixed"``.

    Missing values (None, NaN, pd.NA, NaT) are ignored.

    Raises
    ------
    DataError
        Cells that are lists, arrays, dicts, sets, complex numbers or other objects.
    """
    kinds: set[str] = set()
    for v in values:
        if v is None or v is pd.NA or v is pd.NaT:
            continue
        if isinstance(v, (bool, np.bool_)):
            kinds.add("bool")
        elif isinstance(v, str):
            kinds.add("text")
        elif isinstance(v, _NUMBER_TYPES):
            if isinstance(v, (float, np.floating)) and v != v:
                continue  # NaN
            kinds.add("number")
        elif isinstance(v, (complex, np.complexfloating)):
            raise DataError(f"column {label!r} holds complex numbers; a mixed model needs real "
                            f"values: use the real part (df[{label!r}].apply(lambda z: z.real)) "
                            "or the modulus, as the question requires")
        elif isinstance(v, (list, tuple, dict, set, np.ndarray, pd.Series)):
            raise DataError(f"column {label!r} holds {type(v).__name__} values in its cells; "
                            "each cell must be a single number or text (use df.explode("
                            f"{label!r}) to give each element its own row)")
        elif isinstance(v, numbers.Real):
            kinds.add("number")
        else:
            raise DataError(f"column {label!r} holds Python objects of type {type(v).__name__}; "
                            "convert the column to numbers, text or a pandas Categorical first")
    if kinds == {"number"}:
        return "number"
    if kinds == {"bool"}:
        return "bool"
    if kinds <= {"text"}:
        return "text"
    if "text" in kinds:
        return "mixed"
    return "number"  # numbers and booleans: R's c(1, TRUE) is numeric
