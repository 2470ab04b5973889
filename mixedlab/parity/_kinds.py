"""Engine kinds of the parity corpus: how a case is fitted by mixedlab and by each R reference.

A :class:`~mixedlab.parity._corpus.Case` names its ``kind`` ("lmer", "glmer", ...). The
kind says which R packages are the references (the first is the primary one, the second,
if any, is shown beside it), how mixedlab fits the case, how R fits it live, and which
tolerance rows apply (:mod:`mixedlab.parity._tolerances` keys rows by kind). Adding an
engine to the parity suite means registering one :class:`Kind`::

    register_kind(Kind("mykind", ("pkgA", "pkgB"), fit_mixedlab=..., fit_reference=...))

Every kind's result dicts use the layout of :data:`mixedlab.parity._rbridge.RESULT_KEYS`,
so the comparison code is shared; a kind may add keys of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

__all__ = ["Kind", "register_kind", "get_kind", "kind_names"]


@dataclass(frozen=True)
class Kind:
    """One engine kind of the parity corpus.

    Attributes
    ----------
    name : str
        The value of ``Case.kind``.
    references : tuple of str
        R packages compared with, primary first (e.g. ``("lme4", "glmmTMB")``); they name the
        reference file's sections and the table's columns.
    fit_mixedlab : callable
        ``fit_mixedlab(case, data) -> dict`` (the result layout).
    fit_reference : callable
        ``fit_reference(reference, case, data) -> dict``: fit ``case`` live in R with package
        ``reference``; raise :class:`mixedlab.parity._rbridge.RFitError` when R fails.
    optional : tuple of str
        References whose failure is recorded (``{"error": ...}``) rather than raised.
    """

    name: str
    references: tuple[str, ...]
    fit_mixedlab: Callable[[Any, pd.DataFrame], dict]
    fit_reference: Callable[[str, Any, pd.DataFrame], dict]
    optional: tuple[str, ...] = ()

    @property
    def primary(self) -> str:
        """The reference the "within tolerance" column compares with."""
        return self.references[0]

    @property
    def secondary(self) -> str | None:
        """The reference shown beside the primary one, if any."""
        return self.references[1] if len(self.references) > 1 else None


_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    """Add (or replace) a kind."""
    _KINDS[kind.name] = kind


def get_kind(name: str) -> Kind:
    """The registered kind called ``name`` (the built-in ones are registered on import)."""
    _builtins()
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"no parity kind {name!r}; kinds are: {', '.join(sorted(_KINDS))}") from None


def kind_names() -> list[str]:
    """Names of the registered kinds."""
    _builtins()
    return sorted(_KINDS)


# --------------------------------------------------------------------------------------
# the built-in kinds
# --------------------------------------------------------------------------------------


def _lmer_mixedlab(case, data: pd.DataFrame) -> dict:
    from mixedlab.parity._fits import fit_mixedlab

    return fit_mixedlab(case, data)


def _lmer_reference(reference: str, case, data: pd.DataFrame) -> dict:
    from mixedlab.parity import _rbridge

    fit = {"lme4": _rbridge.fit_lmer, "glmmTMB": _rbridge.fit_glmmtmb}[reference]
    return fit(case.formula, data, case.REML, case.weights, case.offset)


def _glmer_mixedlab(case, data: pd.DataFrame) -> dict:
    from mixedlab.parity._fits import fit_mixedlab_glmer

    return fit_mixedlab_glmer(case, data)


def _glmer_reference(reference: str, case, data: pd.DataFrame) -> dict:
    from mixedlab.parity import _rglmer

    if reference == "lme4":
        return _rglmer.fit_glmer(case.formula, data, case.family, case.nAGQ, case.weights, case.offset,
                                 nb=case.family == "negative.binomial", data_name=case.data_name)
    return _rglmer.fit_glmmtmb_glmm(case.formula, data, case.family, case.weights, case.offset,
                                    data_name=case.data_name)


def _tmb_mixedlab(case, data: pd.DataFrame) -> dict:
    from mixedlab.parity._fits import fit_mixedlab_tmb

    return fit_mixedlab_tmb(case, data)


def _tmb_reference(reference: str, case, data: pd.DataFrame) -> dict:
    from mixedlab.parity import _rbridge, _rtmb

    if reference == "lme4":
        return _rbridge.fit_lmer(case.formula, data, case.REML, case.weights, case.offset)
    return _rtmb.fit_glmmtmb_family(case.formula, data, case.family or "gaussian", case.ziformula,
                                    case.dispformula, case.REML, case.weights, case.offset,
                                    data_name=case.data_name)


def _builtins() -> None:
    if "lmer" not in _KINDS:
        register_kind(Kind("lmer", ("lme4", "glmmTMB"), _lmer_mixedlab, _lmer_reference, optional=("glmmTMB",)))
    if "glmmtmb" not in _KINDS:
        register_kind(Kind("glmmtmb", ("glmmTMB",), _tmb_mixedlab, _tmb_reference))
        # gaussian glmmTMB models have lme4's ML fit beside them
        register_kind(Kind("glmmtmb_lmer", ("glmmTMB", "lme4"), _tmb_mixedlab, _tmb_reference))
    if "glmer" not in _KINDS:
        register_kind(Kind("glmer", ("lme4", "glmmTMB"), _glmer_mixedlab, _glmer_reference,
                           optional=("glmmTMB",)))
