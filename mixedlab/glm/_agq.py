"""Adaptive Gauss–Hermite quadrature for one scalar random-effects term (lme4's ``glmerAGQ``).

With ũ the PIRLS mode and σ_j = 1/L_jj the conditional SD of u_j (L is diagonal for a single
scalar term), lme4 1.1-31 computes

    devc0_j = ũ_j² + Σ_{i∈j} d_i(ũ)
    mult_j  = Σ_k w_k exp(−½(devc_j(ũ_j + z_k σ_j) − devc0_j) − log φ(z_k)) / √(2π)
    deviance = Σ_j devc0_j + log|L|² − 2 Σ_j log mult_j

on the deviance-residual scale, without the family's saturated-model constants — the scale
that makes cbpp's nAGQ = 9 deviance 100.01 where the Laplace one is 184.05 (lme4 #161/#567;
fixed only in lme4 ≥ 2.0). The rule is lme4's ``GHrule``: Gauss–Hermite nodes z = √2 x and
weights normalised to sum 1 (fastGHQuad's rules), here from numpy's ``hermgauss``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["gh_rule", "agq_deviance", "AGQ_SCOPE_ERROR"]

AGQ_SCOPE_ERROR = "nAGQ > 1 is only available for models with a single, scalar random-effects term"


def gh_rule(order: int) -> np.ndarray:
    """lme4's ``GHrule(order)``: columns z, w, log φ(z)."""
    if not 1 <= order <= 100:
        raise ValueError("the number of quadrature points must be between 1 and 100")
    x, w = np.polynomial.hermite.hermgauss(int(order))
    z = x * math.sqrt(2.0)
    w = w / w.sum()
    ldnorm = -0.5 * z * z - 0.5 * math.log(2.0 * math.pi)
    return np.column_stack([z, w, ldnorm])


def _devc(codes: np.ndarray, L: int, u: np.ndarray, devres: np.ndarray) -> np.ndarray:
    return u * u + np.bincount(codes, weights=devres, minlength=L)


def agq_deviance(gm, theta: np.ndarray, rule: np.ndarray) -> float:
    """The AGQ deviance at the PIRLS mode just computed in ``gm`` (its state is restored)."""
    sys = gm.uonly
    codes, L = sys.codes1, sys.L1
    u = gm.state.u
    f = gm.state.factor
    devc0 = _devc(codes, L, u, gm.resp.dev_resid())
    sd = 1.0 / f.L11[:, 0, 0]
    mult = np.zeros(L)
    sqrt2pi = math.sqrt(2.0 * math.pi)
    for z, w, ldn in rule:
        if z == 0:
            mult += w
            continue
        uz = u + z * sd
        gm.resp.update_mu(sys.lin_pred(theta, uz, gm.state.beta))
        mult += np.exp(-0.5 * (_devc(codes, L, uz, gm.resp.dev_resid()) - devc0) - ldn) * w / sqrt2pi
    gm.resp.update_mu(sys.lin_pred(theta, u, gm.state.beta))
    return float(devc0.sum() + f.ldL2 - 2.0 * math.log(np.prod(mult)))
