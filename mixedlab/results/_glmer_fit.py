"""The fitted generalized linear mixed model (lme4's ``glmerMod``), assembled at the optimum."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mixedlab.glm._pls_blocks import conditional_variances
from mixedlab.reporting import tidy
from mixedlab.inference._influence import glmm_hat_values
from mixedlab.reporting._broom import augment_glmm, glance
from mixedlab.reporting._glmer_print import glmer_print_lines
from mixedlab.reporting._glmer_summary import GlmerSummary
from mixedlab.results._glmer_inference import GlmerInference
from mixedlab.results._lmer_fit import ReTermInfo
from mixedlab.results._predict import predict as _predict
from mixedlab.results._ranef import RandomEffectViews, varcorr_rows
from mixedlab.results._simulate import simulate_glmer

__all__ = ["GlmerFit"]

_RESID_TYPES = ("deviance", "pearson", "response", "working")


class _Solution:
    def __init__(self, beta: np.ndarray, b: np.ndarray, u: np.ndarray) -> None:
        self.beta, self.b, self.u = beta, b, u


class GlmerFit(RandomEffectViews, GlmerInference):
    """A GLMM fitted by :func:`mixedlab.glmer` (lme4's ``glmerMod``), with LmerFit's names.

    Estimates ``fixef``, ``se``, ``vcov`` (from the finite-difference Hessian, as glmer's
    default), ``theta``, ``varcorr``, ``ranef``, ``ranef_condvar``, ``coef``; fit statistics
    ``objective`` (−2 logLik: the "deviance" column of the summary's AIC table), ``loglik``,
    ``aic``, ``bic``, ``deviance`` (Σ squared deviance residuals, lme4's ``deviance(m)``),
    ``df_resid``, ``nobs``, ``ngroups``, ``is_singular``, ``sigma`` (1 without a scale
    parameter), ``family``, ``nAGQ``, ``optinfo``. Build it with :func:`mixedlab.glmer`.
    """

    REML = False
    method = "ML"

    def __init__(self, *, model: Any, gm: Any, opt: Any, data_name: str | None, theta_names: list[str],
                 control_given: bool = False, family_label: str | None = None) -> None:
        self._model = model
        self._gm = gm
        self._opt = opt
        self.family = gm.family
        self.family_label = family_label or gm.family.family
        self.link = gm.family.link.name
        self.nAGQ = int(opt.nAGQ)
        self.formula: str = model.formula
        self.data_name = data_name
        self.control_given = bool(control_given)
        self.terms = [ReTermInfo(t.group, t.factor, t.columns, t.levels) for t in model.terms]
        self.n_dropped_na = int(model.n_dropped_na)
        self.dropped_fixed = list(getattr(model, "dropped_fixed", []))
        self.weights_name = getattr(model, "_glmer_weights_name", None)
        self.offset_name = getattr(model, "_glmer_offset_name", None)
        resp = gm.resp
        n, p = resp.y.size, model.X.shape[1]
        self.nobs = n
        self.theta = np.array(opt.theta, dtype=float)
        self.theta_names = theta_names
        self.objective = float(opt.fval)
        self.loglik = -0.5 * self.objective
        use_sc = gm.family.has_scale
        # npar.merMod: a negative binomial family counts its θ (glmer.nb estimated it), whether or
        # not it was estimated, without being a scale parameter
        self.npar = p + self.theta.size + int(use_sc) + int(gm.family.name == "negative.binomial")
        self.aic = self.objective + 2.0 * self.npar
        self.bic = self.objective + np.log(n) * self.npar
        self.df_resid = n - self.npar
        sys = gm.uonly if self.nAGQ > 0 else gm.joint
        u = gm.state.u.copy()
        self._u = u
        b = sys.lam_u(self.theta, u)
        self._solution = _Solution(np.array(opt.beta, dtype=float), b, u)
        self._factor = gm.state.factor
        self._sys = sys
        # lme4's getME(m, "lower") for θ (0 on the diagonals), as LmerFit has it; isSingular reads it
        self.lower = np.asarray(sys.layout.lower, dtype=float).copy()
        self._mu = resp.mu.copy()
        last_w = getattr(sys, "last_weights", None)
        self._pirls_weights = None if last_w is None else np.array(last_w, dtype=float)
        self._eta_base = model.X @ self._solution.beta + sys.Zb(b) + gm.base_offset
        self.deviance = float(np.sum(resp.dev_resid()))
        wrss = resp.pearson_wrss()
        self._pwrss = wrss + float(u @ u)
        self.sigma = float(np.sqrt(self._pwrss / n)) if use_sc else 1.0
        self.fixef = pd.Series(self._solution.beta, index=list(model.fixed_names), name="Estimate")
        self.is_singular = bool(opt.is_singular)
        self.messages: list[str] = list(getattr(model, "messages", [])) + list(opt.messages)
        self.optinfo: dict[str, Any] = {
            "optimizer": opt.optimizer, "n_evals": opt.feval, "n_evals_stage1": opt.feval_stage1,
            "converged": opt.code >= 0 and not opt.conv_warnings,
            "return_code": 0 if opt.code == 3 else opt.code, "message": opt.message, "theta": self.theta.copy(),
            "gradient": opt.gradient, "hessian": opt.hessian, "conv_warnings": list(opt.conv_warnings),
            "bobyqa_npt": opt.npt,
        }
        self.ngroups: dict[str, int] = {}
        for t in self.terms:
            self.ngroups.setdefault(t.factor, len(t.levels))

    # ------------------------------------------------------------------ estimates
    @cached_property
    def vcov(self) -> pd.DataFrame:
        """Covariance of β̂: 2·H⁻¹[β, β] from the deriv12 Hessian (glmer's default), else σ²(R_XᵀR_X)⁻¹."""
        names = list(self.fixef.index)
        nth = self.theta.size
        H = self._opt.hessian
        V = None
        if H is not None and H.shape[0] > nth:
            try:
                h = np.linalg.solve(H, np.eye(H.shape[0]))[nth:, nth:]
                V = h + h.T
                if np.min(np.linalg.eigvalsh(V)) <= 0:
                    V = None
            except np.linalg.LinAlgError:
                V = None
        if V is None:
            V = self.sigma ** 2 * self._opt.unsc
        return pd.DataFrame(V, index=names, columns=names)

    @cached_property
    def se(self) -> pd.Series:
        """Standard errors of the fixed effects (square roots of ``vcov``'s diagonal)."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.fixef.index, name="Std. Error")

    @cached_property
    def varcorr(self) -> pd.DataFrame:
        """``as.data.frame(VarCorr(m))``; a Residual row only for families with a scale."""
        s2 = self.sigma ** 2
        rows = varcorr_rows(self._sys.layout.factors(self.theta), self.terms, s2)
        if self.family.has_scale:
            rows.append(("Residual", None, None, s2, self.sigma))
        out = pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])
        for k, col in enumerate(("grp", "var1", "var2")):
            out[col] = pd.Series([r[k] for r in rows], dtype=object)
        return out

    @property
    def _re_shapes(self) -> list:
        return self._sys.shapes

    def _condvar_blocks(self) -> list[np.ndarray]:
        return conditional_variances(self._sys.cp, self._factor)

    # ------------------------------------------------------------------ fitted values, residuals
    def fitted(self) -> np.ndarray:
        """Fitted means μ̂ (on the response scale; proportions for binomial), as ``fitted(m)``."""
        return self._mu.copy()

    def hat_values(self) -> np.ndarray:
        """lme4's ``hatvalues(m)``: leverages of the final PIRLS system, scaled by the prior weights.

        As in lme4, the system's weights are those of PIRLS's last solve (one μ-update before
        the fitted μ); lme4 warns that the hat matrix may not make sense for GLMMs.
        """
        resp, sys = self._gm.resp, self._sys
        W = self._pirls_weights
        if W is None:
            W = resp.working()[0]
        return glmm_hat_values(sys.Z, sys.layout.factors(self.theta), sys.shapes, self._model.X, W, resp.wt)

    def augment(self) -> pd.DataFrame:
        """broom.mixed's ``augment(m)``: the model frame with ``.fitted`` (η), ``.resid`` (deviance
        residuals), ``.hat``, ``.cooksd``, ``.fixed``, ``.mu``, ``.offset``, ``.sqrtXwt``,
        ``.sqrtrwt``, ``.weights``, ``.wtres`` and ``.eta``."""
        resp = self._gm.resp
        mu = self._mu
        sqrtrwt = np.sqrt(resp.wt / self.family.variance(mu))
        eta = self._eta_base
        # the model's own offset (resp.offset also carries Xβ in the u-only PIRLS system)
        offset = np.broadcast_to(np.asarray(self._gm.base_offset, dtype=float), mu.shape).copy()
        response = {"mu": mu.copy(), "offset": offset,
                    "sqrtXwt": sqrtrwt * self.family.link.mu_eta(eta), "sqrtrwt": sqrtrwt,
                    "weights": resp.wt.copy(), "wtres": sqrtrwt * (resp.y - mu), "eta": eta.copy()}
        return augment_glmm(self, response)

    def residuals(self, type: str = "deviance", scaled: bool = False) -> np.ndarray:
        """Residuals as ``residuals(m, type)``: deviance (default), pearson, response or working."""
        if type not in _RESID_TYPES:
            raise ValueError(f"type must be one of {', '.join(_RESID_TYPES)}, not {type!r}")
        resp = self._gm.resp
        y, mu, wt = resp.y, self._mu, resp.wt
        r = y - mu
        if type == "response":
            out = r
        elif type == "pearson":
            out = r * np.sqrt(wt) / np.sqrt(self.family.variance(mu))
        elif type == "working":
            out = r / self.family.link.mu_eta(self._eta_base)
        else:
            out = np.sign(r) * np.sqrt(np.maximum(self.family.dev_resids(y, mu, wt), 0.0))
        return out / self.sigma if scaled else out

    def predict(self, newdata: pd.DataFrame | None = None, re_form: str | None = None, type: str = "link",
                allow_new_levels: bool = False) -> np.ndarray:
        """Predictions as ``predict.merMod``: ``type="link"`` (η) or ``"response"`` (μ)."""
        if type not in ("link", "response"):
            raise ValueError(f"type must be 'link' or 'response', not {type!r}")
        eta = _predict(self, newdata=newdata, re_form=re_form, allow_new_levels=allow_new_levels)
        return self.family.link.linkinv(eta) if type == "response" else eta

    # ------------------------------------------------------------------ simulation
    def simulate(self, nsim: int = 1, seed: Any = None, re_form: Any = "NA",
                 newparams: dict | None = None) -> pd.DataFrame:
        """Responses simulated from the fitted model, as lme4's ``simulate(m, nsim, seed)``.

        Draw for draw as lme4 1.1-31: new random effects ``u ~ rnorm(q * nsim)`` first
        (unless conditioned on), ``mu = linkinv(eta)`` with R's exact inverse links, then
        one call of R's sampler over all ``n * nsim`` values (``rbinom``, ``rpois``,
        ``rgamma``, ``rnbinom``), so equal parameters give R's values; this fit's
        parameters agree with lme4's to the parity tolerances, which leaves counts equal
        unless a uniform falls within that distance of a cumulative probability.

        Parameters
        ----------
        nsim : int
            Number of simulated responses.
        seed : int, RRandom or None
            An int is R's ``set.seed(seed)``; an :class:`~mixedlab.RRandom` continues that
            stream; ``None`` starts from a fresh random seed.
        re_form : str or None
            lme4's ``simulate`` meaning (not ``predict``'s): ``"NA"`` (default) or
            ``"~0"`` draws new random effects for every simulation; ``None`` keeps the
            fitted conditional modes; a formula keeps the terms it lists.
        newparams : dict, optional
            Any of ``beta``, ``theta`` (and ``sigma``) to simulate with instead of the
            estimates, as lme4's ``newparams``.

        Returns
        -------
        pandas.DataFrame
            Columns ``sim_1 .. sim_nsim``: for a ``cbind(successes, failures)`` response
            the simulated successes (failures are the trials minus them); for a
            proportion with ``weights`` the proportions; for a 0/1 or two-level factor
            response 0/1 (lme4 returns the factor's levels there).
        """
        return simulate_glmer(self, nsim, seed, re_form, newparams)

    # ------------------------------------------------------------------ displays
    def summary(self) -> GlmerSummary:
        """lme4's summary: ``print(fit.summary())`` shows ``print(summary(m))`` digit for digit."""
        return GlmerSummary(self)

    def tidy(self, effects: tuple[str, ...] = ("fixed", "ran_pars"), conf_int: bool = False,
             conf_level: float = 0.95, conf_method: str = "Wald") -> pd.DataFrame:
        """broom.mixed's ``tidy(m)`` of a ``glmerMod``: estimates, SEs, z and Wald p-values.

        ``conf_int`` adds ``conf.low``/``conf.high`` from ``confint(method=conf_method)``
        (broom.mixed's default "Wald" leaves the random-effect parameters' bounds NA).
        """
        return tidy(self, effects=effects, conf_int=conf_int, conf_level=conf_level, conf_method=conf_method)

    def glance(self) -> pd.DataFrame:
        """broom.mixed's ``glance(m)``: nobs, sigma, logLik, AIC, BIC, deviance (Σ squared deviance
        residuals, lme4's ``deviance(m)`` of a GLMM) and df.residual."""
        return glance(self)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def __repr__(self) -> str:
        """lme4's ``print(m)``: family, formula, criterion, random-effect SDs, fixed effects."""
        try:
            return "\n".join(glmer_print_lines(self))
        except Exception:  # the display layer must never hide the fit itself
            return f"<GlmerFit {self.family_label} {self.formula!r}: objective {self.objective:.4f}>"
