"""Exceptions and message categories shared by every layer of mixedlab.

Errors subclass :class:`ValueError` so that code written against generic
validation errors keeps working; messages that lme4 prints with ``message()``
(singular fits, dropped columns, refits) are Python warnings of the category
:class:`FitMessage`, so users can filter them like any other warning.
"""

from __future__ import annotations

import warnings

__all__ = [
    "MixedLabError",
    "FormulaError",
    "DataError",
    "ModelSpecificationError",
    "ControlError",
    "ArgumentError",
    "FitMessage",
    "ScaleWarning",
    "ConvergenceWarning",
    "inform",
    "with_python_help",
    "PYTHON_HELP",
]


class MixedLabError(ValueError):
    """Base class of every error mixedlab raises on purpose."""


class FormulaError(MixedLabError):
    """The formula cannot be parsed; the message shows it with a caret under the fault."""


class DataError(MixedLabError):
    """The data cannot be used as given (unknown column, non-numeric response, Inf, no rows)."""


class ModelSpecificationError(MixedLabError):
    """The model is well formed but cannot be fitted (no random term, unidentifiable term)."""


class ControlError(MixedLabError):
    """An optimiser setting or starting value (``LmerControl``, ``control=``) cannot be used."""
class ArgumentError(MixedLabError, TypeError):
    """An argument has the wrong type or an unknown value (``REML="FALSE"``); the message names
    the argument. Also a :class:`TypeError`, so ``except TypeError`` catches it too."""


class FitMessage(UserWarning):
    """An informational message of the kind lme4 prints with ``message()``."""


class ScaleWarning(UserWarning):
    """lme4's ``check.scaleX`` warning: predictors on very different scales."""


class ConvergenceWarning(UserWarning):
    """The optimiser stopped at a point that fails lme4's convergence checks."""


#: lme4's messages point into R's help, which Python's ``help()`` cannot find. The emitted
#: message keeps lme4's words (fit.messages and summaries compare them with R's) and adds
#: where the same explanation is in Python.
PYTHON_HELP = {"help('isSingular')": "help(mixedlab.isSingular)"}


def with_python_help(text: str) -> str:
    """``text`` plus the Python counterpart of an R help pointer it ends with, if any."""
    for r_help, py_help in PYTHON_HELP.items():
        if text.endswith(r_help):
            return f"{text} (in Python: {py_help})"
    return text


def inform(text: str, *, stacklevel: int = 3) -> None:
    """Emit ``text`` as a :class:`FitMessage` warning (lme4's ``message()``), R help pointers translated."""
    warnings.warn(with_python_help(text), FitMessage, stacklevel=stacklevel)
