"""glmmTMB's covariance parameterisation of one random-effects term (``us``, 1.1.5).

A term with k columns has k + k(k−1)/2 parameters θ (``termwise_nll`` in
``src/glmmTMB.cpp``): the first k are log standard deviations, the rest fill, row by row,
the strict lower triangle of a unit lower-triangular L (TMB's ``UNSTRUCTURED_CORR``):
``L[1,0], L[2,0], L[2,1], ...``; the correlation matrix is
``C = N L Lᵀ N`` with ``N = diag(LLᵀ)^{-1/2}``, and Σ = S C S with S = diag(sd).

The engine works with the spherical random effects u, b = Λu, where Λ is the lower
Cholesky factor of Σ: ``Λ = S N L``. The Laplace approximation is unchanged by this
linear change of variables (the Jacobian cancels between the prior and the Hessian), so
the objective is glmmTMB's. :meth:`TermCov.dlambda` gives ∂Λ/∂θ_j for the gradient, and
:meth:`TermCov.m_matrices` the matrices ``M_j = Λ⁻¹ ∂Σ/∂θ_j Λ⁻ᵀ`` it uses.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

__all__ = ["TermCov"]


class TermCov:
    """The covariance of one term: θ ↔ Λ, standard deviations, correlations."""

    def __init__(self, k: int) -> None:
        self.k = int(k)
        self.n_theta = self.k + self.k * (self.k - 1) // 2
        self._rows, self._cols = np.tril_indices(self.k, -1)
        # tril_indices walks the strict lower triangle row by row, as UNSTRUCTURED_CORR does

    def _unit_l(self, theta: np.ndarray) -> np.ndarray:
        L = np.eye(self.k)
        L[self._rows, self._cols] = theta[self.k:]
        return L

    def lam(self, theta: np.ndarray) -> np.ndarray:
        """Λ = S N L, the lower Cholesky factor of Σ(θ)."""
        theta = np.asarray(theta, dtype=float)
        sd = np.exp(theta[: self.k])
        if self.k == 1:
            return sd.reshape(1, 1)
        L = self._unit_l(theta)
        n = 1.0 / np.sqrt(np.einsum("ij,ij->i", L, L))
        return (sd * n)[:, None] * L

    def dlambda(self, theta: np.ndarray) -> list[np.ndarray]:
        """∂Λ/∂θ_j for every parameter j (k×k each)."""
        theta = np.asarray(theta, dtype=float)
        k = self.k
        lam = self.lam(theta)
        out = []
        for i in range(k):  # log sd_i scales row i
            d = np.zeros((k, k))
            d[i] = lam[i]
            out.append(d)
        if k > 1:
            sd = np.exp(theta[:k])
            L = self._unit_l(theta)
            rn = np.einsum("ij,ij->i", L, L)
            n = 1.0 / np.sqrt(rn)
            for a, b in zip(self._rows, self._cols):
                # row a of Λ = sd_a n_a L[a]; ∂n_a/∂L_ab = −n_a³ L_ab
                d = np.zeros((k, k))
                dn = -n[a] ** 3 * L[a, b]
                d[a] = sd[a] * dn * L[a]
                d[a, b] += sd[a] * n[a]
                out.append(d)
        return out

    def m_matrices(self, theta: np.ndarray) -> np.ndarray:
        """``M_j = Λ⁻¹ ∂Σ/∂θ_j Λ⁻ᵀ = Λ⁻¹∂Λ_j + (Λ⁻¹∂Λ_j)ᵀ``, shape (n_theta, k, k)."""
        lam = self.lam(theta)
        out = np.empty((self.n_theta, self.k, self.k))
        for j, d in enumerate(self.dlambda(theta)):
            g = solve_triangular(lam, d, lower=True)
            out[j] = g + g.T
        return out

    def sd(self, theta: np.ndarray) -> np.ndarray:
        """Standard deviations exp(θ[:k])."""
        return np.exp(np.asarray(theta, dtype=float)[: self.k])

    def corr(self, theta: np.ndarray) -> np.ndarray:
        """The correlation matrix C(θ)."""
        if self.k == 1:
            return np.ones((1, 1))
        L = self._unit_l(np.asarray(theta, dtype=float))
        llt = L @ L.T
        s = 1.0 / np.sqrt(np.diag(llt))
        return s[:, None] * llt * s[None, :]

    def cov(self, theta: np.ndarray) -> np.ndarray:
        """Σ(θ) = S C S."""
        sd = self.sd(theta)
        return sd[:, None] * self.corr(theta) * sd[None, :]
