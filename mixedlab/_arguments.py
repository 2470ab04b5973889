"""Type checks for the public API's arguments, with messages that name the argument.

Python's truthiness would take ``REML="FALSE"`` as true and ``REML=None`` as false;
R's ``lmer(REML = "FALSE")`` coerces the string, and both are far from what a user of
either language means. Every flag of the public API goes through :func:`check_flag`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from mixedlab._errors import ArgumentError

__all__ = ["check_flag", "check_choice", "check_optional_str", "check_int", "check_positive"]


def check_flag(value: Any, name: str) -> bool:
    """``value`` as a bool when it is ``True``/``False`` (or a numpy bool); an error otherwise.

    Raises
    ------
    ArgumentError
        For anything else (strings, None, numbers), naming the argument.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    hint = ""
    if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE", "T", "F"):
        word = "True" if value.strip().upper() in ("TRUE", "T") else "False"
        hint = f" (R's {value.strip()} is Python's {word}, without quotes)"
    raise ArgumentError(f"{name} must be True or False, not {type(value).__name__} "
                        f"{value!r}{hint}")


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """``value`` when it is one of ``choices`` (strings); an error naming the argument otherwise."""
    if isinstance(value, str) and value in choices:
        return value
    listed = ", ".join(repr(c) for c in choices)
    raise ArgumentError(f"{name} must be one of {listed}, not {type(value).__name__} {value!r}")


def check_optional_str(value: Any, name: str) -> str | None:
    """``value`` when it is a string or None; an error naming the argument otherwise."""
    if value is None or isinstance(value, str):
        return value
    raise ArgumentError(f"{name} must be a string or None, not {type(value).__name__} {value!r}")


def check_int(value: Any, name: str, minimum: int | None = None) -> int:
    """``value`` as an int when it is a whole number (not a bool; 2.0 counts) of at least
    ``minimum``."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_, numbers.Integral)) \
            and float(value).is_integer():
        value = int(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentError(f"{name} must be a whole number, not {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ArgumentError(f"{name} must be at least {minimum}, not {value!r}")
    return int(value)


def check_positive(value: Any, name: str) -> float:
    """``value`` as a float when it is a finite number above 0 (not a bool or a string)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not (0 < float(value) < float("inf")):
        raise ArgumentError(f"{name} must be a positive number, not {type(value).__name__} "
                            f"{value!r}")
    return float(value)
