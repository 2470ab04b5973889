"""glmer's deviance functions (lme4's ``mkGlmerDevfun``/``updateGlmerDevfun``/``mkdevfun``).

The Laplace deviance of a GLMM, as glmer defines it (``glmResp::Laplace``), is

    Laplace(θ, β) = log|L_θ|² + ‖ũ‖² + aic(y, n, μ̃, w, Σd)

at the PIRLS mode ũ, with L built from the Fisher weights and ``aic`` the family's −2 log f
with R's constants (log|R_X|² is not added: lme4's "FIXME: should 0. be pp$ldRX2?").

* :class:`Stage1Devfun` (nAGQ = 0): a function of θ alone, β solved inside PIRLS.
* :class:`Stage2Devfun` (nAGQ ≥ 1): a function of (θ, β), β entering the offset and PIRLS
  over u only; for nAGQ > 1 the adaptive Gauss–Hermite deviance of :mod:`~mixedlab.glm._agq`.

Every call restarts PIRLS from the same linear predictor ``lp0`` (saved after the initial
PIRLS, or after stage 1), so each is a deterministic function of its parameters. In stage 2
lme4 computes μ from ``lp0`` with the *base* offset and only then installs the offset with
Xβ, so the first working response is the linearisation at lp0 for the new offset; that order
is kept here.
"""

from __future__ import annotations

import numpy as np

from mixedlab.glm._agq import agq_deviance, gh_rule
from mixedlab.glm._families import Family
from mixedlab.glm._pirls import PirlsState, PirlsSystem, pwrss_update
from mixedlab.glm._response import GlmResponse

__all__ = ["GlmerModel", "Stage1Devfun", "Stage2Devfun"]


class GlmerModel:
    """The response module and the two PIRLS systems of one glmer fit, initialised as lme4 does.

    Parameters
    ----------
    model
        The parsed model (:func:`mixedlab.formula.build_model`).
    family
        The GLM family.
    y, weights, n, mustart, offset
        From the family's ``initialize``.
    """

    def __init__(self, model, family: Family, y, weights, n, mustart, offset, tol: float = 1e-7,
                 maxit: int = 100) -> None:
        self.model = model
        self.family = family
        self.tol, self.maxit = float(tol), int(maxit)
        self.resp = GlmResponse(family, y, weights, n, offset)
        self.base_offset = self.resp.offset.copy()
        self.joint = PirlsSystem(model.terms, model.X, u_only=False)
        self.uonly = PirlsSystem(model.terms, model.X, u_only=True)
        self.layout = self.joint.layout
        self.nth = self.layout.n_theta
        self.p = model.X.shape[1]
        self.lower = self.layout.lower.copy()
        self.theta = self.layout.start.copy()
        q = sum(s.q for s in self.joint.shapes)
        self.state = PirlsState(u=np.zeros(q), beta=np.zeros(self.p))
        # mkRespMod: η = offset + g(mustart); then the initial PIRLS with β in it
        self.resp.update_mu(family.link.linkfun(np.asarray(mustart, dtype=float)))
        pwrss_update(self.joint, self.theta, self.resp, self.state, self.tol, self.maxit)
        self.lp0 = self.joint.lin_pred(self.theta, self.state.u, self.state.beta)

    @classmethod
    def for_refit(cls, old: "GlmerModel", family: Family, y, weights, n, mustart) -> "GlmerModel":
        """The model ``refit.merMod`` sets up from a fitted one with a new family (glmer.nb's θ).

        The PIRLS structure is shared with ``old``; the response is made afresh (``mkRespMod``:
        η = offset + g(mustart)); then u-only PIRLS at ``old``'s θ with the base offset (lme4's
        ``glmerPwrssUpdate(pp, rr, ...)`` in ``refit``: β̂ is in neither the offset nor
        ``pp$delb``, which u-only PIRLS left at zero), whose ``linPred(1)`` becomes ``lp0``.
        """
        gm = cls.__new__(cls)
        gm.model, gm.family = old.model, family
        gm.tol, gm.maxit = old.tol, old.maxit
        gm.resp = GlmResponse(family, y, weights, n, old.base_offset)
        gm.base_offset = old.base_offset.copy()
        gm.joint, gm.uonly, gm.layout = old.joint, old.uonly, old.layout
        gm.nth, gm.p = old.nth, old.p
        gm.lower = old.lower.copy()
        gm.theta = old.theta.copy()
        gm.state = PirlsState(u=old.state.u.copy(), beta=np.zeros(old.p))
        gm.resp.update_mu(family.link.linkfun(np.asarray(mustart, dtype=float)))
        pwrss_update(gm.uonly, gm.theta, gm.resp, gm.state, gm.tol, gm.maxit)
        gm.state.beta = np.zeros(gm.p)
        gm.lp0 = gm.uonly.lin_pred(gm.theta, gm.state.u, gm.state.beta)
        return gm

    def laplace(self, ldL2: float) -> float:
        u = self.state.u
        return float(ldL2 + u @ u + self.resp.aic())


class Stage1Devfun:
    """The nAGQ = 0 deviance of θ: β and u both from PIRLS (lme4's stage-1 ``devfun``)."""

    def __init__(self, gm: GlmerModel) -> None:
        self.gm = gm
        self.lower = gm.lower
        self.count = 0

    def __call__(self, theta: np.ndarray) -> float:
        gm = self.gm
        self.count += 1
        theta = np.asarray(theta, dtype=float)
        gm.theta = theta.copy()
        gm.resp.restart(gm.lp0)
        st = pwrss_update(gm.joint, theta, gm.resp, gm.state, gm.tol, gm.maxit)
        return gm.laplace(st.factor.ldL2)


class Stage2Devfun:
    """The Laplace (nAGQ = 1) or AGQ (nAGQ > 1) deviance of (θ, β) (lme4's stage-2 ``devfun``)."""

    def __init__(self, gm: GlmerModel, nAGQ: int = 1) -> None:
        self.gm = gm
        self.nAGQ = int(nAGQ)
        gm.lp0 = gm.joint.lin_pred(gm.theta, gm.state.u, gm.state.beta)  # updateGlmerDevfun: lp0
        self.lower = np.concatenate([gm.lower, np.full(gm.p, -np.inf)])
        self.rule = gh_rule(self.nAGQ) if self.nAGQ > 1 else None
        self.count = 0

    def __call__(self, pars: np.ndarray) -> float:
        gm = self.gm
        self.count += 1
        pars = np.asarray(pars, dtype=float)
        theta, beta = pars[: gm.nth], pars[gm.nth:]
        gm.resp.offset = gm.base_offset
        gm.resp.restart(gm.lp0)
        gm.theta = theta.copy()
        gm.resp.offset = gm.base_offset + gm.model.X @ beta if beta.size else gm.base_offset
        gm.beta = beta.copy()
        st = pwrss_update(gm.uonly, theta, gm.resp, gm.state, gm.tol, gm.maxit)
        if self.rule is None:
            return gm.laplace(st.factor.ldL2)
        return agq_deviance(gm, theta, self.rule)
