"""From glmmTMB's formulas and data to the arrays of the objective (glmmTMB's ``mkTMBStruc``).

glmmTMB 1.1.5 builds one model frame from all its formulas (conditional, ``ziformula``,
``dispformula``, weights, offset) and drops the rows missing in any of them; each part's
design is then built on those rows (``getXReTrms``). Here each part is built by
:func:`mixedlab.formula.build_model` on a derived two-sided formula, and the parts are
rebuilt with the union of their missing rows excluded, so all share one set of rows.

* ``ziformula = "~0"`` (default): no zero inflation; ``"~."``: the conditional right-hand
  side (random terms included); random terms are allowed.
* ``dispformula = "~1"`` (default): one dispersion parameter; fixed effects only (1.1.5);
  ignored for families without dispersion; ``"~0"`` (gaussian only) fixes σ² at
  ``exp(log(sqrt(.Machine$double.eps)))``, glmmTMB's ``zerodisp_val``.
* Binomial responses as glmmTMB reads them (``mkTMBStruc``): ``cbind(successes,
  failures)``; a factor (first level = failure); 0/1; or proportions, which with
  ``weights`` become counts of successes out of ``weights`` trials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import DataError, FormulaError, ModelSpecificationError
from mixedlab.formula import ModelFrame, build_model, deparse, parse_formula
from mixedlab.formula._parser import Call
from mixedlab.formula._random import expand_bars
from mixedlab.formula._rtext import make_unique
from mixedlab.tmb._families import TmbFamily, get_family
from mixedlab.tmb._laplace import TmbData
from mixedlab.tmb._random import TmbTerm

__all__ = ["TmbModel", "build_tmb_model", "ZERODISP_VAL"]

#: glmmTMBControl()$zerodisp_val: log(sqrt(.Machine$double.eps)), log σ² for dispformula ~0
ZERODISP_VAL = math.log(math.sqrt(float(np.finfo(float).eps)))


@dataclass
class TmbModel:
    """A parsed glmmTMB model: the objective's data plus names for the results."""

    data: TmbData
    family: TmbFamily
    formula: str
    ziformula: str
    dispformula: str
    cond: ModelFrame
    zi: ModelFrame | None
    disp: ModelFrame | None
    fixed_names: list[str]
    zi_names: list[str]
    disp_names: list[str]
    response_name: str
    n_dropped_na: int
    binomial_size: np.ndarray | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def terms(self) -> list[TmbTerm]:
        return self.data.terms


def _rhs_text(f: str, what: str) -> str | None:
    """The right-hand side of a one-sided formula ("~ x + z"), or None for ~0."""
    if not isinstance(f, str):
        raise ModelSpecificationError(f"{what} must be a formula string such as \"~1\", not "
                                      f"{type(f).__name__}")
    text = f.strip()
    if "~" not in text:
        text = "~" + text
    lhs, _, rhs = text.partition("~")
    if lhs.strip():
        raise FormulaError(f"{what} {f!r} must be one-sided (no response): write it as "
                           f"\"~ {rhs.strip()}\"")
    rhs = rhs.strip()
    if rhs in ("0", "-1", "0 + 0", ""):
        return None
    return rhs


def _response_node(formula: str):
    parsed = parse_formula(formula)
    if parsed.response is None:
        raise ModelSpecificationError(f"formula {formula!r} has no response; write it as 'y ~ ...'")
    return parsed


def _build(formula: str, data, weights, offset, binomial: bool, exclude) -> ModelFrame:
    # glmmTMB keeps zero-weight rows: they add 0 to the likelihood and count in nobs
    return build_model(formula, data, weights=weights, offset=offset,
                       response="glm" if binomial else "numeric", random_required=False,
                       lme4_checks=False, exclude=exclude, keep_zero_weights=True)


def _cbind_args(parsed) -> tuple[str, str] | None:
    """``(successes, failures)`` texts of a ``cbind(a, b)`` response, else None."""
    r = parsed.response
    if isinstance(r, Call) and r.fn == "cbind":
        if len(r.args) != 2 or r.kwargs:
            raise FormulaError("cbind() on the left of ~ takes two columns: cbind(successes, "
                               "failures)")
        return deparse(r.args[0]), deparse(r.args[1])
    return None


def _terms(mf: ModelFrame, component: int) -> list[TmbTerm]:
    """The random terms in glmmTMB's order: as written (``mkReTrms(reorder.terms = FALSE)``),
    not lme4's decreasing number of levels; group names made unique in that order."""
    written = [b.text for b in expand_bars(mf.parsed.random, mf.formula)]
    pos: dict[str, list[int]] = {}
    for i, text in enumerate(written):
        pos.setdefault(text, []).append(i)
    order = []
    for t in mf.terms:
        order.append(pos[t.text].pop(0) if pos.get(t.text) else len(written) + len(order))
    ranked = sorted(zip(order, range(len(mf.terms))), key=lambda z: z[0])
    terms = [(k, mf.terms[k]) for _, k in ranked]
    groups = make_unique([t.factor for _, t in terms])
    return [TmbTerm(component, g, t.factor, list(t.columns), list(t.levels), t.X, t.codes, k)
            for g, (k, t) in zip(groups, terms)]


def build_tmb_model(formula: str, data: pd.DataFrame, family: Any = "gaussian",
                    ziformula: str = "~0", dispformula: str = "~1", weights: Any = None,
                    offset: Any = None, link: str | None = None) -> TmbModel:
    """Parse the three formulas on one set of rows and check the response for the family.

    Raises
    ------
    FormulaError, DataError, ModelSpecificationError
        With the problem and the fix in the message.
    """
    fam = get_family(family, link)
    parsed = _response_node(formula)
    resp_text = deparse(parsed.response)
    zi_rhs = _rhs_text(ziformula, "ziformula")
    if zi_rhs == ".":
        zi_rhs = deparse(parsed.rhs)
    disp_rhs = _rhs_text(dispformula, "dispformula")
    fixed_betad = None
    if not fam.uses_dispersion:
        disp_rhs = None
    elif disp_rhs is None:
        if fam.name != "gaussian":
            raise ModelSpecificationError(
                f"dispformula ~0 (a fixed, near-zero dispersion) is only available for the "
                f"gaussian family, not {fam.spelling}; use the default \"~1\"")
        fixed_betad = ZERODISP_VAL
        disp_rhs = "1"
    if disp_rhs is not None:
        dparsed = parse_formula(f"{resp_text} ~ {disp_rhs}")
        if dparsed.random:
            raise ModelSpecificationError(
                f"dispformula {dispformula!r} has random-effect terms "
                f"({', '.join(deparse(b) for b in dparsed.random)}); glmmTMB 1.1.5's dispersion "
                "model has fixed effects only: drop the (... | ...) terms")
    binomial = fam.binomial_type
    cb = _cbind_args(parsed)
    if cb is not None and not binomial:
        raise ModelSpecificationError(
            f"a cbind(successes, failures) response needs a binomial-type family (binomial, "
            f"betabinomial), not {fam.spelling}")

    def build_all(exclude):
        c = _build(formula, data, weights, offset, binomial, exclude)
        z = (_build(f"{resp_text} ~ {zi_rhs}", data, None, None, binomial, exclude)
             if zi_rhs is not None else None)
        d = (_build(f"{resp_text} ~ {disp_rhs}", data, None, None, binomial, exclude)
             if disp_rhs is not None else None)
        return c, z, d

    cond, zi, disp = build_all(None)
    parts = [m for m in (cond, zi, disp) if m is not None]
    if any(m.n != cond.n or not np.array_equal(m.rows, cond.rows) for m in parts):
        n_all = len(data)
        keep = np.ones(n_all, dtype=bool)
        for m in parts:
            mask = np.zeros(n_all, dtype=bool)
            mask[m.rows] = True
            keep &= mask
        cond, zi, disp = build_all(~keep)
    n = cond.n
    y = np.asarray(cond.y, dtype=float)
    w = None if cond.weights is None else np.asarray(cond.weights, dtype=float)
    if w is not None and n and np.all(w == 0):
        raise DataError(f"every weight of the {n} rows used is 0, so the likelihood is 0 for "
                        "any parameters and nothing can be estimated: give positive weights")
    size = None
    if binomial:
        y2 = getattr(cond, "y2", None)
        if y2 is not None:
            size = y + np.asarray(y2, dtype=float)
        elif np.all((y == 0) | (y == 1)):
            size = np.ones(n)
        else:
            if w is None:
                raise DataError(
                    f"the {fam.spelling} response {resp_text!r} has values other than 0 and 1: "
                    "give proportions with weights = number of trials, or "
                    "cbind(successes, failures)")
            y = w * y
            size = w
            w = None
        fam.check_response(y, size, zi is not None)
        if np.any(np.abs(y - np.round(y)) > 1e-8):
            raise DataError(f"the {fam.spelling} response gives non-integer numbers of "
                            "successes (proportion × weights); check the weights")
    else:
        fam.check_response(y, None, zi is not None)
    if w is not None and np.all(w == 1.0):
        w = None
    if zi is not None and not np.any(y == 0):
        raise ModelSpecificationError(
            f"ziformula {ziformula!r} models extra zeros, but the response {resp_text!r} has no "
            "zeros: the zero-inflation probability would go to 0 (its logit to -Inf) and cannot "
            "be estimated; drop ziformula")
    zero = np.zeros(n)
    data_ = TmbData(
        family=fam, y=y, size=size, weights=w,
        X=np.ascontiguousarray(cond.X), offset=zero if cond.offset is None else cond.offset,
        Xzi=None if zi is None else np.ascontiguousarray(zi.X),
        zioffset=None if zi is None else (zero if zi.offset is None else zi.offset),
        Xd=None if disp is None else np.ascontiguousarray(disp.X),
        doffset=None if disp is None else (zero if disp.offset is None else disp.offset),
        terms=_terms(cond, 0) + ([] if zi is None else _terms(zi, 1)),
        fixed_betad=fixed_betad,
    )
    return TmbModel(
        data=data_, family=fam, formula=formula,
        ziformula=ziformula, dispformula=dispformula, cond=cond, zi=zi, disp=disp,
        fixed_names=list(cond.fixed_names),
        zi_names=[] if zi is None else list(zi.fixed_names),
        disp_names=[] if (disp is None or fixed_betad is not None) else list(disp.fixed_names),
        response_name=resp_text, n_dropped_na=int(cond.n_dropped_na),
        binomial_size=size,
    )
