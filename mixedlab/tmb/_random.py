"""The random effects of a glmmTMB model: terms, their layout in u, and A = ZΛ by entries.

Both the conditional and the zero-inflation predictor may carry random-effect terms. With
the spherical effects u (b = Λu per term and level), each linear predictor is
``η_s = X_s β_s + A_s u + offset_s``, where row i of A_s has, for every term t of
component s, the k_t values ``X_t[i] Λ_t`` at the columns of observation i's level.

The columns of u are ordered for the factorization of the Laplace Hessian (:mod:`._hessian`):
first the **block part** — every term, of either component, whose grouping factor is the
one with the most levels, level by level (kB = Σ k_t columns per level): its Hessian block
is block-diagonal because each observation has one level of that factor — then the
**rest**, term by term, level-major. glmmTMB's own order (conditional terms, then zi terms,
each level-major, lme4's term order) is kept in :attr:`ReLayout.natural`.

Each observation's non-zero entries of A are held as an ``(m, n)`` array of column
indices and one of values (``m`` = entries per row), per component, so that ``A_s u``,
``A_sᵀ v`` and the Hessian entries are gathers and ``bincount`` sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mixedlab.tmb._covstruct import TermCov

__all__ = ["TmbTerm", "ReLayout"]


@dataclass(eq=False)
class TmbTerm:
    """One random-effects term of the conditional (``component = 0``) or zi (``1``) model."""

    component: int
    group: str
    factor: str
    columns: list[str]
    levels: list[str]
    X: np.ndarray  # (n, k)
    codes: np.ndarray  # (n,) level of each observation
    spec_index: int = -1  # position in the model frame's (lme4-sorted) terms, for new data
    cov: TermCov = field(init=False)

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=float)
        self.codes = np.ascontiguousarray(self.codes, dtype=np.int64)
        self.cov = TermCov(self.X.shape[1])

    @property
    def k(self) -> int:
        return self.X.shape[1]

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def q(self) -> int:
        return self.k * self.n_levels


class ReLayout:
    """Where every term's effects sit in u and how A's entries are built from θ.

    Parameters
    ----------
    terms : list of TmbTerm
        Conditional terms first, then zi terms, each in lme4's order (glmmTMB's order).
    n : int
        Number of observations.
    """

    def __init__(self, terms: list[TmbTerm], n: int) -> None:
        self.terms = list(terms)
        self.n = n
        self.components = sorted({t.component for t in terms})
        # theta slices in glmmTMB's order: conditional terms, then zi terms
        self.theta_slices: list[slice] = []
        off = 0
        for t in self.terms:
            self.theta_slices.append(slice(off, off + t.cov.n_theta))
            off += t.cov.n_theta
        self.n_theta = off
        # the block factor: the grouping factor with most levels (first on ties)
        self.block_terms: list[int] = []
        self.rest_terms: list[int] = []
        if terms:
            sizes = {}
            for t in terms:
                sizes.setdefault(t.factor, t.n_levels)
            f0 = max(sizes, key=lambda f: sizes[f])
            self.block_factor = f0
            for i, t in enumerate(terms):
                (self.block_terms if t.factor == f0 else self.rest_terms).append(i)
        else:
            self.block_factor = None
        self.n_block_levels = terms[self.block_terms[0]].n_levels if self.block_terms else 0
        self.kB = sum(terms[i].k for i in self.block_terms)
        self.qB = self.kB * self.n_block_levels
        self.block_offsets: dict[int, int] = {}
        o = 0
        for i in self.block_terms:
            self.block_offsets[i] = o
            o += terms[i].k
        self.rest_offsets: dict[int, int] = {}
        o = 0
        for i in self.rest_terms:
            self.rest_offsets[i] = o
            o += terms[i].q
        self.qR = o
        self.q = self.qB + self.qR
        # codes of the block factor (identical for all block terms)
        self.block_codes = terms[self.block_terms[0]].codes if self.block_terms else None
        # index of each term's effects in u: (L_t, k_t) array of positions
        self.term_index: list[np.ndarray] = []
        for i, t in enumerate(terms):
            lv = np.arange(t.n_levels)[:, None]
            jj = np.arange(t.k)[None, :]
            if i in self.block_offsets:
                idx = lv * self.kB + self.block_offsets[i] + jj
            else:
                idx = self.qB + self.rest_offsets[i] + lv * t.k + jj
            self.term_index.append(idx)
        # glmmTMB's order of u (b): conditional terms then zi, each level-major
        self.natural = np.concatenate([ix.ravel() for ix in self.term_index]) if terms else \
            np.zeros(0, dtype=np.int64)
        # per component: per entry the term, its column j and the u position per observation
        self.entries: dict[int, list[tuple[int, int]]] = {}
        self.entry_cols: dict[int, np.ndarray] = {}
        for s in self.components:
            ents = [(i, j) for i, t in enumerate(terms) if t.component == s for j in range(t.k)]
            self.entries[s] = ents
            self.entry_cols[s] = np.stack(
                [self.term_index[i][terms[i].codes, j] for i, j in ents])

    # ----------------------------------------------------------------- θ-dependent parts
    def lambdas(self, theta: np.ndarray) -> list[np.ndarray]:
        """Λ_t for each term."""
        return [t.cov.lam(theta[sl]) for t, sl in zip(self.terms, self.theta_slices)]

    def entry_values(self, lams: list[np.ndarray]) -> dict[int, np.ndarray]:
        """Per component the (m_s, n) values of A's entries: (X_t Λ_t)[i, j]."""
        out = {}
        cache: dict[int, np.ndarray] = {}
        for s in self.components:
            rows = []
            for i, j in self.entries[s]:
                if i not in cache:
                    t = self.terms[i]
                    cache[i] = t.X @ lams[i] if t.k > 1 else t.X * lams[i][0, 0]
                rows.append(cache[i][:, j])
            out[s] = np.stack(rows)
        return out

    # ----------------------------------------------------------------- products
    def times(self, vals: dict[int, np.ndarray], u: np.ndarray, s: int) -> np.ndarray:
        """A_s u (length n)."""
        return np.einsum("mi,mi->i", vals[s], u[self.entry_cols[s]])

    def times_t(self, vals: dict[int, np.ndarray], v: dict[int, np.ndarray]) -> np.ndarray:
        """Σ_s A_sᵀ v_s (length q)."""
        out = np.zeros(self.q)
        for s, vs in v.items():
            if s not in vals:
                continue
            out += np.bincount(self.entry_cols[s].ravel(), (vals[s] * vs).ravel(),
                               minlength=self.q)
        return out

    def term_values(self, u: np.ndarray) -> list[np.ndarray]:
        """u split per term as (L_t, k_t) arrays."""
        return [u[ix] for ix in self.term_index]
