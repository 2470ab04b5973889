"""lmerTest's single-model tables: ``anova(m, type=, ddf=)`` and ``drop1(m, ddf=)``.

The F tests are computed by :mod:`mixedlab.inference` from the fit; here they become
:class:`~mixedlab.reporting.RAnovaFrame` tables that print as R prints them.
"""

from __future__ import annotations

from typing import Sequence

from mixedlab._errors import ModelSpecificationError
from mixedlab.reporting import RAnovaFrame
from mixedlab.reporting.rformat import deparse_formula
from mixedlab.results._lmer_fit import LmerFit

__all__ = ["single_anova", "drop1"]

_METHOD = {"Satterthwaite": "Satterthwaite's", "Kenward-Roger": "Kenward-Roger's"}


def _check_fit(fit, what: str) -> None:
    if not isinstance(fit, LmerFit):
        raise ModelSpecificationError(f"{what} needs a fit from mixedlab.lmer, not a {type(fit).__name__}")


def single_anova(fit: LmerFit, type: int | str = 3, ddf: str = "Satterthwaite") -> RAnovaFrame:
    """lmerTest's ``anova(m, type = type, ddf = ddf)``: one F test per fixed-effect term.

    Parameters
    ----------
    fit
        A fit from :func:`mixedlab.lmer`.
    type
        1 (sequential), 2 or 3 (lmerTest's default), or "I", "II", "III". The hypotheses
        are lmerTest's (see :mod:`mixedlab.inference._contrasts`): a factor is tested as a
        whole, and type III does not depend on the contrast coding.
    ddf
        ``"Satterthwaite"`` or ``"Kenward-Roger"`` (REML fits only).

    Returns
    -------
    RAnovaFrame
        Indexed by term label; columns ``Sum Sq, Mean Sq, NumDF, DenDF, F value, Pr(>F)``.
        ``Sum Sq`` and ``Mean Sq`` are lmerTest's F·σ̂²·NumDF and F·σ̂². Printing it shows R's
        table; ``.hypotheses`` holds the contrast matrix of each term (lmerTest's
        ``show_tests``).

    Examples
    --------
    >>> import mixedlab
    >>> fit = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", mixedlab.datasets.sleepstudy())
    >>> round(mixedlab.anova(fit).loc["Days", "F value"], 3)
    45.853
    """
    _check_fit(fit, "anova")
    tab, heading, hyps = fit._single_anova(type=type, ddf=ddf)
    out = RAnovaFrame(tab)
    out.heading = [heading]
    out.hypotheses = hyps
    return out


def drop1(fit: LmerFit, scope: Sequence[str] | None = None, ddf: str = "Satterthwaite") -> RAnovaFrame:
    """lmerTest's ``drop1(m, ddf = ddf)``: F tests of dropping each marginal term.

    A term can be dropped when no other term contains it (R's ``drop.scope``); its test is
    the marginal test of all its coefficients (no refitting).

    Parameters
    ----------
    fit
        A fit from :func:`mixedlab.lmer`.
    scope
        Terms to test (default: all that can be dropped).
    ddf
        ``"Satterthwaite"`` or ``"Kenward-Roger"``.

    Returns
    -------
    RAnovaFrame
        Columns ``Sum Sq, Mean Sq, NumDF, DenDF, F value, Pr(>F)``; prints as R does.
    """
    _check_fit(fit, "drop1")
    if scope is not None:
        if isinstance(scope, str) or not all(isinstance(s, str) for s in scope) or not len(scope):
            raise ModelSpecificationError("scope should be a list of term labels to drop, e.g. ['Days']")
        scope = list(scope)
    try:
        tab, hyps = fit._drop1(ddf=ddf, scope=scope)
    except ValueError as exc:
        raise ModelSpecificationError(str(exc)) from None
    out = RAnovaFrame(tab)
    formula = " ".join(line.strip() for line in deparse_formula(str(fit.formula)))
    out.heading = [f"Single term deletions using {_METHOD[ddf]} method:", "\nModel:", formula]
    out.hypotheses = hyps
    return out
