"""The fitted glmmTMB model: estimates at the optimum, glmmTMB's accessors, predictions."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from mixedlab._arguments import check_choice, check_flag
from mixedlab._errors import ModelSpecificationError
from mixedlab.reporting._tmb_print import tmb_print_lines
from mixedlab.reporting._tmb_summary import TmbSummary
from mixedlab.reporting._tmb_tidy import TMB_TIDY_COLUMNS, tidy_tmb
from mixedlab.results._lmer_fit import ReTermInfo
from mixedlab.results._simulate import simulate_tmb
from mixedlab.results._tmb_residuals import mu_eta, pearson_variance
from mixedlab.tmb._families import C, D, Z
from mixedlab.tmb._laplace import LaplaceObjective
from mixedlab.tmb._model import TmbModel
from mixedlab.tmb._optimize import CONVERGENCE_HELP, TmbOptResult

__all__ = ["TmbFit", "TMB_TIDY_COLUMNS"]


def _empty() -> pd.Series:
    return pd.Series([], dtype=float)


class TmbTermInfo(ReTermInfo):
    """One random-effects term as the results show it, with its model component."""

    def __init__(self, component: str, group: str, factor: str, columns: list[str],
                 levels: list[str]) -> None:
        super().__init__(group, factor, columns, levels)
        self.component = component

    def __repr__(self) -> str:
        return (f"TmbTermInfo({self.component}: group={self.group!r}, columns={self.columns!r}, "
                f"levels={len(self.levels)})")


class TmbFit:
    """A model fitted by :func:`mixedlab.glmmtmb`, with glmmTMB's content under Python names.

    Attributes
    ----------
    fixef, fixef_zi, fixef_disp : pandas.Series
        ``fixef(m)$cond``, ``$zi``, ``$disp`` (the dispersion model on its log scale); empty
        when the component is absent.
    se, se_zi, se_disp : pandas.Series
        Standard errors from the inverse Hessian of the Laplace objective (``sdreport``).
    vcov : dict of pandas.DataFrame
        ``vcov(m)``: ``"cond"``, ``"zi"``, ``"disp"``; ``vcov_full`` all parameters.
    sigma : float
        glmmTMB 1.1.5's ``sigma(m)`` for the family (NaN with a dispersion model).
    varcorr, varcorr_zi : pandas.DataFrame
        The random-effect variances and correlations, as lme4's ``as.data.frame(VarCorr(m))``
        (``Residual`` row for the gaussian family only).
    ranef, ranef_zi : dict of pandas.DataFrame
        Conditional modes b̂ per group (``ranef(m)$cond``, ``$zi``).
    objective, loglik, aic, bic, deviance, df_resid, nobs, npar
        ``objective`` = ``deviance`` = −2 logLik (glmmTMB 1.1.5's summary ``deviance``).
    optinfo : dict
        The optimiser's account: iterations, evaluations, gradient, convergence, warnings.
    """

    def __init__(self, *, model: TmbModel, objective: LaplaceObjective, opt: TmbOptResult,
                 REML: bool, data_name: str | None, weights_name: str | None = None,
                 offset_name: str | None = None) -> None:
        self._model = model
        self._obj = objective
        self._opt = opt
        fam = model.family
        self.family = fam
        self.family_name = fam.name
        self.link = fam.link.name
        self.uses_dispersion = fam.uses_dispersion
        self.formula = model.formula
        self.ziformula = model.ziformula
        self.dispformula = model.dispformula
        self.response_name = model.response_name
        self.REML = bool(REML)
        self.data_name = data_name
        self.weights_name = weights_name
        self.offset_name = offset_name
        self.n_dropped_na = model.n_dropped_na
        pl = objective.params
        par = opt.par
        self.par = par.copy()
        self.fixef = pd.Series(par[pl.beta], index=model.fixed_names, dtype=float)
        self.fixef_zi = (pd.Series(par[pl.betazi], index=model.zi_names, dtype=float)
                         if pl.pz else _empty())
        self.fixef_disp = (pd.Series(par[pl.betad], index=model.disp_names, dtype=float)
                           if pl.pd else _empty())
        self.theta = par[pl.theta].copy()
        self.psi = par[pl.psi].copy()
        names = self._par_names()
        self.par_names = names
        cov = opt.cov if opt.cov is not None else np.full((pl.size, pl.size), np.nan)
        self.vcov_full = pd.DataFrame(cov, index=names, columns=names)
        self.vcov = {
            "cond": pd.DataFrame(cov[pl.beta, pl.beta], index=model.fixed_names,
                                 columns=model.fixed_names),
            "zi": pd.DataFrame(cov[pl.betazi, pl.betazi], index=model.zi_names,
                               columns=model.zi_names),
            "disp": pd.DataFrame(cov[pl.betad, pl.betad], index=model.disp_names,
                                 columns=model.disp_names),
        }
        sd = np.sqrt(np.diag(cov))
        self.se = pd.Series(sd[pl.beta], index=model.fixed_names, dtype=float)
        self.se_zi = pd.Series(sd[pl.betazi], index=model.zi_names, dtype=float) if pl.pz else _empty()
        self.se_disp = pd.Series(sd[pl.betad], index=model.disp_names, dtype=float) if pl.pd else _empty()
        # sigma(): exp(...) of the single dispersion coefficient, NA with a dispersion model
        if not fam.uses_dispersion:
            self.sigma = 1.0
        elif model.data.fixed_betad is not None:
            self.sigma = fam.sigma(model.data.fixed_betad)
        elif pl.pd == 1:
            self.sigma = fam.sigma(float(par[pl.betad][0]))
        else:
            self.sigma = float("nan")
        self.trivial_dispersion = model.dispformula.replace(" ", "") in ("~1",) and \
            model.data.fixed_betad is None
        self.objective = float(opt.objective) * 2.0
        self.loglik = -float(opt.objective)
        self.npar = int(pl.size)
        self.nobs = int(model.data.n)
        self.deviance = self.objective
        self.aic = self.objective + 2.0 * self.npar
        self.bic = self.objective + math.log(self.nobs) * self.npar
        # glmmTMB: df.residual = nobs − length(m$fit$par), and under REML β is not in par
        self.df_resid = self.nobs - (self.npar - (pl.p if self.REML else 0))
        self.pd_hess = bool(opt.pd_hess)
        self.fit_warnings = [f"Model convergence problem; {w}." for w in opt.warnings]
        self.optinfo: dict[str, Any] = {
            "optimizer": "BFGS + Newton (analytic gradient), optimHess Hessian",
            "iterations": opt.iterations,
            "n_fn": opt.n_fn,
            "n_gr": opt.n_gr,
            "converged": opt.converged,
            "message": opt.message,
            "gradient": opt.gradient.copy(),
            "pd_hess": opt.pd_hess,
            "conv_warnings": list(opt.warnings),
            "conv_help": {w: CONVERGENCE_HELP.get(w, "") for w in opt.warnings},
        }
        self.messages: list[str] = list(model.messages)
        lay = objective.layout
        comp_name = {C: "cond", Z: "zi"}
        self.terms = [TmbTermInfo(comp_name[t.component], t.group, t.factor, t.columns, t.levels)
                      for t in lay.terms]
        self.ngroups = self._ngroups("cond")
        self.ngroups_zi = self._ngroups("zi")

    # ------------------------------------------------------------------ naming
    def _par_names(self) -> list[str]:
        m = self._model
        pl = self._obj.params
        names = [f"cond~{n}" for n in m.fixed_names] + [f"zi~{n}" for n in m.zi_names]
        names += [f"disp~{n}" for n in m.disp_names]
        lay = self._obj.layout
        for t, sl in zip(lay.terms, lay.theta_slices):
            comp = "cond" if t.component == C else "zi"
            k = t.k
            for j in range(sl.stop - sl.start):
                if j < k:
                    names.append(f"{comp}~theta log sd {t.columns[j]}|{t.group}")
                else:
                    names.append(f"{comp}~theta corr {j - k + 1}|{t.group}")
        names += [f"psi{i + 1}" for i in range(pl.npsi)]
        return names

    def _ngroups(self, comp: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.terms:
            if t.component == comp:
                out.setdefault(t.factor, len(t.levels))
        return out

    # ------------------------------------------------------------------ variance components
    def _theta_of(self, index: int) -> np.ndarray:
        lay = self._obj.layout
        return self.theta[lay.theta_slices[index]]

    def _varcorr(self, comp: str) -> pd.DataFrame:
        lay = self._obj.layout
        rows: list[tuple] = []
        for i, (t, info) in enumerate(zip(lay.terms, self.terms)):
            if info.component != comp:
                continue
            th = self._theta_of(i)
            S = t.cov.cov(th)
            sd = t.cov.sd(th)
            Cm = t.cov.corr(th)
            for j, c in enumerate(info.columns):
                rows.append((info.group, c, None, S[j, j], sd[j]))
            for a in range(t.k):
                for b in range(a + 1, t.k):
                    rows.append((info.group, info.columns[a], info.columns[b], S[a, b], Cm[a, b]))
        if comp == "cond" and self.family_name == "gaussian" and \
                self._model.data.fixed_betad is None and rows is not None and \
                not math.isnan(self.sigma):
            rows.append(("Residual", None, None, self.sigma ** 2, self.sigma))
        out = pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])
        for k, col in enumerate(("grp", "var1", "var2")):
            out[col] = pd.Series([r[k] for r in rows], dtype=object)
        return out

    @cached_property
    def varcorr(self) -> pd.DataFrame:
        """``VarCorr(m)$cond`` as lme4's ``as.data.frame(VarCorr(m))`` rows."""
        if not any(t.component == "cond" for t in self.terms):
            return self._varcorr("none")
        return self._varcorr("cond")

    @cached_property
    def varcorr_zi(self) -> pd.DataFrame:
        """``VarCorr(m)$zi`` in the same layout (no Residual row)."""
        return self._varcorr("zi")

    def varcorr_matrices(self, component: str = "cond") -> dict[str, pd.DataFrame]:
        """Per group the covariance matrix of its random effects (``VarCorr(m)[[component]]``)."""
        lay = self._obj.layout
        out = {}
        for i, (t, info) in enumerate(zip(lay.terms, self.terms)):
            if info.component == component:
                out[info.group] = pd.DataFrame(t.cov.cov(self._theta_of(i)), index=info.columns,
                                               columns=info.columns)
        return out

    # ------------------------------------------------------------------ random effects
    @cached_property
    def _b(self) -> list[np.ndarray]:
        """b̂ = Λ û per term, (levels, k)."""
        res = self._obj.inner(self.par)
        lay = self._obj.layout
        U = lay.term_values(res.u)
        lams = lay.lambdas(self.theta)
        return [u @ lam.T for u, lam in zip(U, lams)]

    @cached_property
    def _b_zi_given_no_cond(self) -> list[np.ndarray]:
        """b̂ with the conditional random effects fixed at 0 and the zero-inflation modes
        re-solved given them (glmmTMB's population-level prediction); conditional terms 0."""
        lay = self._obj.layout
        if not any(t.component == Z for t in lay.terms):
            return [np.zeros((t.n_levels, t.k)) for t in lay.terms]
        if not any(t.component == C for t in lay.terms):
            return self._b
        from dataclasses import replace as _replace

        zi_terms = [t for t in lay.terms if t.component == Z]
        data = _replace(self._model.data, terms=zi_terms)
        sub = LaplaceObjective(data)
        keep = np.ones(self.par.size, dtype=bool)
        pl = self._obj.params
        for t, sl in zip(lay.terms, lay.theta_slices):
            if t.component == C:
                keep[pl.theta.start + sl.start:pl.theta.start + sl.stop] = False
        par = self.par[keep]
        res = sub.inner(par)
        U = sub.layout.term_values(res.u)
        lams = sub.layout.lambdas(par[sub.params.theta])
        zi_b = iter([u @ lam.T for u, lam in zip(U, lams)])
        return [next(zi_b) if t.component == Z else np.zeros((t.n_levels, t.k)) for t in lay.terms]

    def _ranef(self, comp: str) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for b, info in zip(self._b, self.terms):
            if info.component != comp:
                continue
            df = pd.DataFrame(b, index=pd.Index(info.levels, name=info.factor), columns=info.columns)
            key = info.group
            out[key] = df
        return out

    @cached_property
    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes of the conditional model's random effects (``ranef(m)$cond``)."""
        return self._ranef("cond")

    @cached_property
    def ranef_zi(self) -> dict[str, pd.DataFrame]:
        """Conditional modes of the zero-inflation model's random effects."""
        return self._ranef("zi")

    # ------------------------------------------------------------------ predictions
    def _etas(self, newdata: pd.DataFrame | None, re_form: str | None,
              allow_new_levels: bool) -> dict[int, np.ndarray]:
        from mixedlab.results._tmb_predict import linear_predictors

        return linear_predictors(self, newdata, re_form, allow_new_levels)

    def predict(self, newdata: pd.DataFrame | None = None, type: str = "link",
                re_form: str | None = None, allow_new_levels: bool = False) -> np.ndarray:
        """Predictions, as glmmTMB's ``predict.glmmTMB``.

        Parameters
        ----------
        newdata
            Rows to predict for; ``None``: the fitted observations.
        type
            ``"link"`` (η of the conditional model), ``"response"`` (the mean, zero
            inflation and truncation included), ``"conditional"`` (the mean of the
            conditional distribution, without zero inflation), ``"zprob"`` (the
            zero-inflation probability), ``"zlink"`` (its logit), ``"disp"`` (the
            dispersion as ``sigma()`` gives it).
        re_form
            ``None`` conditions on all random effects; ``"~0"`` or ``"NA"`` sets them to 0.
        allow_new_levels
            Levels not seen in the fit get random effects of 0 when true; otherwise error.
        """
        types = ("link", "response", "conditional", "zprob", "zlink", "disp")
        check_choice(type, "type", types)
        allow_new_levels = check_flag(allow_new_levels, "allow_new_levels")
        eta = self._etas(newdata, re_form, allow_new_levels)
        fam = self.family
        n = eta[C].shape[0]
        pz = special.expit(eta[Z]) if Z in eta else np.zeros(n)
        if type == "link":
            return eta[C]
        if type == "zlink":
            if Z not in eta:
                raise ModelSpecificationError("type='zlink' needs a ziformula")
            return eta[Z]
        if type == "zprob":
            return pz
        phi = np.exp(eta[D]) if D in eta else np.ones(n)
        if type == "disp":
            if fam.name == "gaussian":
                return np.sqrt(phi)
            if fam.name == "Gamma":
                return 1.0 / np.sqrt(phi)
            return phi
        mu = fam.link.inverse(eta[C])
        if fam.truncated:
            mu = mu / np.exp(_log_nzprob(fam, mu, eta[C], eta.get(D), phi))
        if type == "conditional":
            return mu
        return mu * (1.0 - pz)

    def fitted(self) -> np.ndarray:
        """The fitted means (``fitted(m)`` = ``predict(type = "response")``)."""
        return self.predict(type="response")

    def residuals(self, type: str = "response") -> np.ndarray:
        """Residuals as glmmTMB 1.1.5's ``residuals(m, type)`` (:mod:`._tmb_residuals`).

        Parameters
        ----------
        type : {"response", "pearson", "working"}
            ``"response"``: y − fitted (a binomial response as a proportion);
            ``"pearson"``: divided by the square root of glmmTMB's variance function, times
            √weights (the trials of a binomial response); ``"working"``: divided by dμ/dη.
        """
        check_choice(type, "type", ("response", "pearson", "working"))
        d = self._model.data
        y = d.y
        wts = d.weights
        if self._model.family.binomial_type:
            y = y / d.size
            # glmmTMB: a cbind response's weights are its trials (prior weights ignored);
            # otherwise model.weights (for proportions, the trials)
            if str(self.response_name).replace(" ", "").startswith("cbind(") or wts is None:
                wts = d.size
        r = y - self.fitted()
        if type == "response":
            return r
        if type == "working":
            return r / mu_eta(self.link, self.predict(type="link"))
        mu = self.predict(type="conditional")
        disp = self.predict(type="disp")
        power = 1.0 + float(special.expit(self.psi[0])) if self.psi.size else None
        vv, of_mu = pearson_variance(self.family_name, mu, disp, power)
        if self.fixef_zi.size:
            if of_mu:
                vv = vv * disp ** 2
            pz = self.predict(type="zprob")
            vv = vv * (1.0 - pz) + mu ** 2 * pz * (1.0 - pz)
        elif of_mu:
            vv = vv * (disp / self.sigma) ** 2
        r = r / np.sqrt(vv)
        if wts is not None:
            r = r * np.sqrt(wts)
        return r

    # ------------------------------------------------------------------ displays
    def simulate(self, nsim: int = 1, seed: Any = None, re_form: Any = "NA") -> pd.DataFrame:
        """Responses simulated from the fit, in the order glmmTMB 1.1.5's ``simulate`` draws.

        Per simulation (``replicate(nsim, obj$simulate()$yobs)``): new random effects for
        every term (conditional model, then zero inflation; level by level), then each
        observation's response followed by its zero-inflation draw, all from R's stream
        (:class:`~mixedlab.RRandom`). Every family :func:`mixedlab.glmmtmb` fits, each with or
        without zero inflation: gaussian, poisson, binomial, nbinom1, nbinom2, Gamma, beta,
        and, with glmmTMB's own samplers (:mod:`mixedlab.rng._tmbdraw`), truncated_poisson,
        truncated_nbinom1, truncated_nbinom2, genpois, tweedie and betabinomial.
        glmmTMB 1.1.5 only simulates unconditionally; with
        ``re_form=None`` the fitted modes are kept instead (glmmTMB >= 1.1.10's
        ``set_simcodes(obj, "fix")``). With R's parameters the draws are glmmTMB 1.1.5's
        ``set.seed(seed); simulate(m, nsim)`` bit for bit (TMB's sums, Eigen 3.3's GEMV order
        and TMB's correlation factor are reproduced); a mixedlab fit's own draws differ
        only where its optimum does (the parity tolerances).

        Parameters
        ----------
        nsim : int
        seed : int, RRandom or None
            As :meth:`mixedlab.LmerFit.simulate`.
        re_form : {"NA", "~0", None}
            ``"NA"`` (default) draws new random effects; ``None`` keeps the fitted ones.

        Returns
        -------
        pandas.DataFrame
            ``sim_1 .. sim_nsim``; binomial responses as counts of successes (glmmTMB
            returns successes and failures).
        """
        return simulate_tmb(self, nsim, seed, re_form)

    def summary(self) -> TmbSummary:
        """glmmTMB's summary: ``print(fit.summary())`` shows glmmTMB's layout digit for digit."""
        return TmbSummary(self)

    def tidy(self, effects: tuple[str, ...] = ("fixed", "ran_pars"),
             component: tuple[str, ...] = ("cond", "zi")) -> pd.DataFrame:
        """broom.mixed's ``tidy(m)``: one row per parameter (see :data:`TMB_TIDY_COLUMNS`)."""
        return tidy_tmb(self, effects, component)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def __repr__(self) -> str:
        """glmmTMB's ``print(m)`` (the short form; :meth:`summary` is the long one)."""
        try:
            return "\n".join(tmb_print_lines(self))
        except Exception:  # the display must never hide the fit itself
            return f"<TmbFit {self.family_name} {self.formula!r}: -2 logLik {self.objective:.4f}>"


def _log_nzprob(fam, mu: np.ndarray, eta_c: np.ndarray, eta_d, phi: np.ndarray) -> np.ndarray:
    """log P(y > 0) of the untruncated distribution, on arrays (``calc_log_nzprob``)."""
    if fam.name == "truncated_poisson":
        return np.log(-np.expm1(-mu))
    if fam.name == "truncated_nbinom2":
        s3 = np.logaddexp(0.0, np.log(mu) - eta_d)
        return np.log(-np.expm1(-phi * s3))
    if fam.name == "truncated_nbinom1":
        s3 = np.logaddexp(0.0, eta_d)
        return np.log(-np.expm1(-mu / phi * s3))
    raise AssertionError(fam.name)
