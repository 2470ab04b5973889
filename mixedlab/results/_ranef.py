"""Random-effect views shared by the lme4 fits (``LmerFit`` and ``GlmerFit``).

Both fits hold their conditional modes as one vector b ordered term by term (lme4's
``getME(m, "b")``) and their relative covariance factors Λ_θ by term; these views cut b
and the conditional variances into lme4's per-factor tables (``ranef``, ``condVar``,
``coef``, ``as.data.frame(ranef(m))``) and the θ factors into ``VarCorr``'s rows.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._errors import ModelSpecificationError

__all__ = ["RandomEffectViews", "term_segments", "varcorr_rows"]


def term_segments(vec: np.ndarray, shapes: list[Any]) -> list[np.ndarray]:
    """``vec`` (b or u, term by term) cut into one (levels, k) array per term's shape."""
    out, off = [], 0
    for shape in shapes:
        out.append(vec[off : off + shape.q].reshape(shape.n_levels, shape.k))
        off += shape.q
    return out


def varcorr_rows(factors: list[np.ndarray], terms: list[Any], s2: float) -> list[tuple]:
    """``as.data.frame(VarCorr(m))``'s rows of the random terms (no Residual row).

    Per term: S = σ² T Tᵀ (T the term's block of Λ_θ); first a (grp, var1, None, variance,
    SD) row per column, then a (grp, var1, var2, covariance, correlation) row per pair.
    """
    rows: list[tuple] = []
    for T, term in zip(factors, terms):
        S = s2 * (T @ T.T)
        sd = np.sqrt(np.diag(S))
        for i, c in enumerate(term.columns):
            rows.append((term.group, c, None, S[i, i], sd[i]))
        for i in range(term.k):
            for j in range(i + 1, term.k):
                with np.errstate(invalid="ignore", divide="ignore"):
                    cor = S[i, j] / (sd[i] * sd[j])
                rows.append((term.group, term.columns[i], term.columns[j], S[i, j], cor))
    return rows


class RandomEffectViews:
    """``ranef``, ``ranef_condvar``, ``ranef_frame`` and ``coef`` of an lme4 fit.

    The fit provides ``terms`` (:class:`ReTermInfo`), ``fixef``, ``sigma``,
    ``_solution.b``, ``_re_shapes`` (the terms' shapes, with ``q``, ``n_levels``, ``k``)
    and ``_condvar_blocks()`` (per term the unscaled conditional covariances,
    (levels, k, k)).
    """

    def _term_segments(self, vec: np.ndarray) -> list[np.ndarray]:
        return term_segments(vec, self._re_shapes)

    @cached_property
    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes b̂ per grouping factor (``ranef(m)``), one column per term column."""
        out: dict[str, pd.DataFrame] = {}
        for seg, term in zip(self._term_segments(self._solution.b), self.terms):
            df = pd.DataFrame(seg, index=pd.Index(term.levels, name=term.factor), columns=term.columns)
            out[term.factor] = pd.concat([out[term.factor], df], axis=1) if term.factor in out else df
        return out

    @cached_property
    def ranef_condvar(self) -> dict[str, np.ndarray]:
        """Conditional covariances of b per factor, (levels, k, k), scaled by σ² (lme4's postVar).

        Terms sharing a grouping factor are combined block-diagonally, as lme4 reports them.
        """
        s2 = self.sigma**2
        out: dict[str, np.ndarray] = {}
        for V, term in zip(self._condvar_blocks(), self.terms):
            V = s2 * V
            if term.factor in out:
                old = out[term.factor]
                L, a, _ = old.shape
                k = V.shape[1]
                new = np.zeros((L, a + k, a + k))
                new[:, :a, :a] = old
                new[:, a:, a:] = V
                out[term.factor] = new
            else:
                out[term.factor] = V
        return out

    def ranef_frame(self) -> pd.DataFrame:
        """``as.data.frame(ranef(m))``: grpvar, term, grp, condval, condsd (long format)."""
        frames = []
        for factor, df in self.ranef.items():
            V = self.ranef_condvar[factor]
            for j, col in enumerate(df.columns):
                frames.append(pd.DataFrame({"grpvar": factor, "term": col, "grp": df.index.astype(str),
                                            "condval": df[col].to_numpy(), "condsd": np.sqrt(V[:, j, j])}))
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def coef(self) -> dict[str, pd.DataFrame]:
        """Fixed plus random effects per level (``coef(m)``)."""
        out = {}
        for factor, re in self.ranef.items():
            missing = [c for c in re.columns if c not in self.fixef.index]
            if missing:
                raise ModelSpecificationError(
                    f"unable to align random and fixed effects: {missing} of group {factor!r} have no "
                    "fixed-effect counterpart, so coef() is undefined (use ranef and fixef)")
            base = pd.DataFrame(np.tile(self.fixef.to_numpy(), (len(re), 1)), index=re.index,
                                columns=self.fixef.index)
            for c in re.columns:
                base[c] = base[c] + re[c]
            out[factor] = base
        return out
