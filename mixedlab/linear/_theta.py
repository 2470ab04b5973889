"""The θ vector: lme4's packing of the relative covariance factors Λ_t.

For each random-effects term (in lme4's sorted term order) θ holds the lower
triangle of that term's k×k factor T_t in column-major order, so a 2×2 term
contributes (λ11, λ21, λ22).  The relative covariance of the term is T_t T_tᵀ
(times σ²), and Λ_θ repeats T_t once per level of the grouping factor
(Bates et al. 2015, eqn. 4 and section 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ThetaLayout", "TermShape"]


@dataclass(frozen=True)
class TermShape:
    """Size of one random-effects term: ``k`` columns repeated over ``n_levels`` levels."""

    k: int
    n_levels: int

    @property
    def q(self) -> int:
        """Number of random effects of the term (levels × columns)."""
        return self.k * self.n_levels


class ThetaLayout:
    """Where each term's factor lives in θ, with lme4's start values and bounds.

    Parameters
    ----------
    shapes
        The terms in lme4's sorted order.
    """

    def __init__(self, shapes: list[TermShape]) -> None:
        self.shapes = list(shapes)
        self.slices: list[slice] = []
        self.tri_rows: list[np.ndarray] = []
        self.tri_cols: list[np.ndarray] = []
        lower: list[float] = []
        start: list[float] = []
        pos = 0
        for shape in self.shapes:
            # column-major lower triangle: (0,0), (1,0), ..., (k-1,0), (1,1), ...
            rows, cols = [], []
            for j in range(shape.k):
                for i in range(j, shape.k):
                    rows.append(i)
                    cols.append(j)
            n = len(rows)
            self.slices.append(slice(pos, pos + n))
            self.tri_rows.append(np.asarray(rows, dtype=np.intp))
            self.tri_cols.append(np.asarray(cols, dtype=np.intp))
            for i, j in zip(rows, cols):
                # lme4: diagonal elements bounded below by 0, start at 1; others free, start at 0
                lower.append(0.0 if i == j else -np.inf)
                start.append(1.0 if i == j else 0.0)
            pos += n
        self.n_theta = pos
        self.lower = np.asarray(lower)
        self.start = np.asarray(start)

    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        """Return the lower-triangular factor T_t of every term for this θ.

        The factors of the last θ are kept (read-only): a PIRLS run asks for them several
        times per iteration at one θ.
        """
        key = np.asarray(theta, dtype=float).tobytes()
        cached = self.__dict__.get("_factors_cache")
        if cached is not None and cached[0] == key:
            return list(cached[1])
        out = []
        for shape, sl, r, c in zip(self.shapes, self.slices, self.tri_rows, self.tri_cols):
            T = np.zeros((shape.k, shape.k))
            T[r, c] = theta[sl]
            T.flags.writeable = False
            out.append(T)
        self._factors_cache = (key, out)
        return list(out)

    def positive_diagonals(self, theta: np.ndarray) -> np.ndarray:
        """θ with every factor's columns signed so that its diagonal is ≥ 0 (lme4's form).

        T and T·diag(±1) give the same relative covariance T Tᵀ (and the same criterion).
        """
        out = np.array(theta, dtype=float, copy=True)
        for sl, rows, cols in zip(self.slices, self.tri_rows, self.tri_cols):
            seg = out[sl]
            for j in np.flatnonzero(rows == cols):
                if seg[j] < 0:
                    seg[cols == cols[j]] *= -1.0
        out[out == 0.0] = 0.0  # no negative zeros in the reported θ
        return out

    def theta_names(self, groups: list[str], columns: list[list[str]]) -> list[str]:
        """lme4's θ names: ``group.col`` on the diagonal, ``group.col_i.col_j`` below it."""
        names = []
        for g, cols, r, c in zip(groups, columns, self.tri_rows, self.tri_cols):
            for i, j in zip(r, c):
                names.append(f"{g}.{cols[i]}" if i == j else f"{g}.{cols[i]}.{cols[j]}")
        return names
