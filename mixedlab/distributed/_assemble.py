"""From the reduced blocks to the in-memory engine's objects: CrossProducts and the devfun.

The y-shift of :class:`~mixedlab.linear._crossprod.CrossProducts` (y − Xγ, γ the normal
equations' solution) is applied here as a column operation on the reduced blocks: it adds
multiples of X's columns to y's, which keeps every triangular factor triangular, so
F_y ← F_y − F_X γ and E ← Cᵀ E C with C = [[I, −γ], [0, 1]] give the blocks of the
shifted response exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dataclasses

import numpy as np
import scipy.sparse as sp

from mixedlab._errors import ModelSpecificationError, inform
from mixedlab.formula._fixed import rank_keep
from mixedlab.formula._random import ReTerm, check_terms
from mixedlab.linear._crossprod import CrossProducts
from mixedlab.linear._deviance import CentredCoordinates, LmerDevfun
from mixedlab.linear._theta import TermShape

__all__ = ["DaskModel", "assemble"]


@dataclass
class DaskModel:
    """The parsed model of a Dask fit: what results read, with no rows (``X``, ``y`` are ``None``)."""

    formula: str
    response_name: str
    fixed_names: list[str]
    dropped_fixed: list[str]
    terms: list[ReTerm]
    n_dropped_na: int
    n_zero_weight: int
    spec: Any
    parsed: Any
    messages: list[str]
    cp: CrossProducts
    start: np.ndarray
    theta_scale: np.ndarray
    reparam: Any
    n_obs: int
    X: Any = None
    y: Any = None
    y2: Any = None
    weights: Any = None
    offset: Any = None
    _frame_values: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.n_obs

    def prepared_devfun(self, REML: bool) -> LmerDevfun:
        """The deviance function on the reduced blocks (``make_devfun``'s hook)."""
        devfun = LmerDevfun(self.cp, REML)
        devfun.start = self.start.copy()
        devfun.theta_scale = self.theta_scale.copy()
        devfun.reparam = self.reparam
        return devfun


def _moment_start(terms, part, default: np.ndarray) -> np.ndarray:
    """lme4's method-of-moments start for intercept-only terms (``_deviance._moment_start``)."""
    factors = [t.factor for t in terms]
    if not all(list(t.columns) == ["(Intercept)"] for t in terms) or len(set(factors)) != len(terms):
        return default
    ym = part.y_moments
    n = float(ym.n[0])
    if n < 2:
        return default
    v = []
    for sums, counts in zip(part.level_y, part.level_n):
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts
        seen = counts > 0
        grand = float(np.sum(counts[seen] * means[seen])) / n
        v.append(float(np.sum(counts[seen] * (means[seen] - grand) ** 2)) / (n - 1))
    v_e = float(ym.m2[0]) / (n - 1) - sum(v)
    if not np.isfinite(v_e) or v_e <= 0:
        return default
    return np.sqrt(np.asarray(v) / v_e)


def _reparam(terms, part, layout) -> Any:
    """:meth:`CentredCoordinates.for_model` from the columns' moments."""
    K, far = [], False
    for t, mom in zip(terms, part.term_moments):
        k = len(t.columns)
        Kt = np.eye(k)
        if k >= 2 and mom.n[0] > 1:
            ones = (mom.lo == 1.0) & (mom.hi == 1.0)
            has_int = bool(ones.any())
            icol = int(np.flatnonzero(ones)[0]) if has_int else -1
            for j in range(k):
                if j == icol:
                    continue
                if has_int:
                    mu = float(mom.mean[j])
                    sd = float(np.sqrt(mom.m2[j] / mom.n[j]))
                    sd = sd if sd > 0 and np.isfinite(sd) else 1.0
                    Kt[icol, j] = -mu / sd
                    Kt[j, j] = 1.0 / sd
                else:
                    rms = float(np.sqrt(mom.ss[j] / mom.n[j]))
                    Kt[j, j] = 1.0 / rms if rms > 0 and np.isfinite(rms) else 1.0
            far = far or bool(np.max(np.abs(Kt - np.eye(k))) > 0.5)
        K.append(Kt)
    return CentredCoordinates(layout, K) if far else None


def _theta_scale(part, layout) -> np.ndarray:
    out = np.ones(layout.n_theta)
    for mom, sl, rows in zip(part.term_moments, layout.slices, layout.tri_rows):
        rms = np.sqrt(mom.ss / np.maximum(mom.n, 1.0))
        rms = np.where((rms > 0) & np.isfinite(rms), rms, 1.0)
        out[sl] = 1.0 / rms[rows]
    return out


def assemble(schema: Any, part: Any, shapes: list[TermShape]) -> DaskModel:
    """The model (with its CrossProducts) from the fully reduced part."""
    proto = schema.proto
    n = part.n
    # lme4's checks on the response and the random terms, on the whole data
    if part.r_lo == part.r_hi:
        raise ModelSpecificationError(
            f"the response {proto.response_name!r} is constant (every value is {part.r_lo:g}"
            f"{' after the offset' if schema.offset is not None or proto.spec.offsets else ''}), so there "
            "is no variation for a mixed model to partition; check that the right column is the response")
    terms = []
    for t, mom in zip(proto.terms, part.term_moments):
        nz = ((mom.lo != 0) | (mom.hi != 0)).astype(float)[None, :]
        terms.append(ReTerm(group=t.group, factor=t.factor, columns=list(t.columns), X=nz,
                            codes=np.zeros(0, dtype=np.int64), levels=list(t.levels), text=t.text))
    check_terms(terms, n)
    # the rank check of X (lme4's chkRank.drop.cols) on X's triangular factor
    names_full = schema.names_full
    keep = rank_keep(part.RX) if part.RX.shape[0] >= part.RX.shape[1] else \
        rank_keep(np.vstack([part.RX, np.zeros((part.RX.shape[1] - part.RX.shape[0], part.RX.shape[1]))]))
    dropped = [nm for nm, k in zip(names_full, keep) if not k]
    messages: list[str] = []
    if dropped:
        d = len(dropped)
        messages.append(f"fixed-effect model matrix is rank deficient so dropping {d} "
                        f"column{'s' if d > 1 else ''} / coefficient{'s' if d > 1 else ''}")
        inform(messages[-1], stacklevel=5)
    kx = np.flatnonzero(keep)
    p = kx.size
    cols = np.concatenate([kx, [len(names_full)]])
    XtWX = part.XtWX[np.ix_(kx, kx)]
    XtWy = part.XtWy[kx]
    if p:
        try:
            gamma = np.linalg.solve(XtWX, XtWy)
        except np.linalg.LinAlgError:
            gamma = np.linalg.lstsq(XtWX, XtWy, rcond=None)[0]
    else:
        gamma = np.zeros(0)
    C = np.eye(p + 1)
    C[:p, p] = -gamma
    FXy = part.FXy[:, :, cols] @ C
    EXyXy = C.T @ part.EXyXy[np.ix_(cols, cols)] @ C
    EZXy = part.EZXy[:, cols] @ C
    L1, k1 = shapes[0].n_levels, shapes[0].k
    # every level of term 1 has complete rows (levels come from them), in level order
    assert part.lev.size == L1 and np.array_equal(part.lev, np.arange(L1))
    q2 = sum(s.q for s in shapes[1:])
    m = q2 + p + 1
    FZ2 = part.FZ2
    E = np.empty((m, m))
    E[:q2, :q2] = part.G.toarray() - (FZ2.T @ FZ2).toarray()
    E[:q2, q2:] = EZXy
    E[q2:, :q2] = EZXy.T
    E[q2:, q2:] = EXyXy
    A21 = sp.hstack([FZ2, sp.csr_matrix(FXy.reshape(L1 * k1, p + 1))], format="csr").T.tocsc()
    nested = part.nest_lo is not None and bool(np.all(part.nest_lo == part.nest_hi))
    cp = CrossProducts.from_blocks(shapes=shapes, n=n, p=p, A11=part.A11, R1=part.R,
                                   A21=A21, E=E, beta_shift=gamma, log_det_W=part.log_w, nested=nested)
    start = _moment_start(terms, part, cp.layout.start)
    return DaskModel(
        formula=proto.formula, response_name=proto.response_name,
        fixed_names=[names_full[i] for i in kx], dropped_fixed=dropped, terms=terms,
        n_dropped_na=schema.n_na, n_zero_weight=schema.n_zero,
        spec=dataclasses.replace(proto.spec, keep=np.asarray(keep, dtype=bool)), parsed=proto.parsed,
        messages=messages, cp=cp, start=start, theta_scale=_theta_scale(part, cp.layout),
        reparam=_reparam(terms, part, cp.layout), n_obs=n)
