"""The fitted linear mixed model (lme4's ``merMod``), assembled once at the optimum."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._arguments import check_flag
from mixedlab._errors import ArgumentError
from mixedlab.linear._optimize import OptimResult
from mixedlab.linear._pls import (
    CrossProducts,
    PLSFactor,
    PLSSolution,
    conditional_variances,
    profiled_deviance,
    random_effects_matrix,
    solve_triangular,
)
from mixedlab.reporting import LmerSummary, LmerTestSummary, format_varcorr, print_lines, tidy
from mixedlab.results._lmer_inference import LmerInference
from mixedlab.results._predict import predict
from mixedlab.results._ranef import RandomEffectViews, varcorr_rows
from mixedlab.results._simulate import simulate_lmer

__all__ = ["LmerFit", "ReTermInfo"]

_LOG_2PI = np.log(2.0 * np.pi)


class ReTermInfo:
    """One random-effects term as the results show it (lme4's ``cnms`` and ``flist``)."""

    def __init__(self, group: str, factor: str, columns: list[str], levels: list[str]) -> None:
        self.group = group
        self.factor = factor
        self.columns = list(columns)
        self.levels = list(levels)

    @property
    def k(self) -> int:
        """Number of columns (random effects per level)."""
        return len(self.columns)

    def __repr__(self) -> str:
        return f"ReTermInfo(group={self.group!r}, columns={self.columns!r}, levels={len(self.levels)})"


class LmerFit(RandomEffectViews, LmerInference):
    """A linear mixed model fitted by :func:`mixedlab.lmer`.

    The attributes carry lme4's content under Python names: ``fixef``, ``vcov``,
    ``se``, ``theta``, ``sigma``, ``varcorr`` (``as.data.frame(VarCorr(m))``),
    ``ranef``, ``coef``, ``objective``, ``loglik``, ``aic``, ``bic``, ``deviance``,
    ``df_resid``, ``nobs``, ``ngroups``, ``is_singular``, ``optinfo``.
    Build it with :func:`mixedlab.lmer`, not directly.
    """

    def __init__(
        self,
        *,
        model: Any,
        cp: CrossProducts,
        factor: PLSFactor,
        solution: PLSSolution,
        opt: OptimResult,
        REML: bool,
        data_name: str | None,
        theta_names: list[str],
    ) -> None:
        self._model = model
        self._cp = cp
        self._factor = factor
        self._solution = solution
        self.REML = bool(REML)
        self.method = "REML" if REML else "ML"
        self.formula: str = model.formula
        self.data_name = data_name
        self.terms = [ReTermInfo(t.group, t.factor, t.columns, t.levels) for t in model.terms]
        self.n_dropped_na: int = int(model.n_dropped_na)
        self.dropped_fixed: list[str] = list(getattr(model, "dropped_fixed", []))

        n, p = cp.n, cp.p
        self.nobs = n
        self.theta = np.array(opt.theta, dtype=float)
        self.theta_names = theta_names
        # lme4's getME(m, "lower"): 0 for the diagonal of each relative covariance factor
        self.lower = np.asarray(cp.layout.lower, dtype=float).copy()
        self.objective = float(profiled_deviance(cp, factor, REML))
        denom = n - p if REML else n
        self.sigma = float(np.sqrt(factor.pwrss / denom))
        self._fixed_names = list(model.fixed_names)
        self.npar = p + self.theta.size + 1
        self.loglik = -0.5 * self.objective
        self.aic = self.objective + 2.0 * self.npar
        self.bic = self.objective + np.log(n) * self.npar
        # lme4's devcomp "dev": the profiled ML deviance at the fitted θ
        self.deviance = float(profiled_deviance(cp, factor, False)) if REML else self.objective
        self.df_resid = n - self.npar
        self.is_singular = bool(opt.is_singular)
        self.messages: list[str] = list(getattr(model, "messages", [])) + list(opt.messages)
        self.optinfo: dict[str, Any] = {
            "optimizer": opt.optimizer,
            "n_evals": opt.n_evals,
            "converged": opt.converged,
            "return_code": opt.return_code,
            "message": opt.message,
            "theta": self.theta.copy(),
            "gradient": opt.gradient,
            "hessian": opt.hessian,
            "conv_warnings": list(opt.conv_warnings),
        }
        self.ngroups: dict[str, int] = {}
        for t in self.terms:
            self.ngroups.setdefault(t.factor, len(t.levels))

    @cached_property
    def fixef(self) -> pd.Series:
        """The fixed effects β̂, named by the model matrix's columns (lme4's ``fixef``).

        Built on first use: a pandas Series with a text index costs about 50 µs (pandas
        3's string inference), most of what building the result object cost (issue 18).
        """
        return pd.Series(self._solution.beta, index=self._fixed_names, name="Estimate")

    @cached_property
    def vcov(self) -> pd.DataFrame:
        """Covariance of β̂: σ̂² (R_Xᵀ R_X)⁻¹ (lme4's ``vcov``)."""
        names = list(self.fixef.index)
        p = len(names)
        RXinv = solve_triangular(self._solution.RX, np.eye(p), lower=True) if p else np.zeros((0, 0))
        return pd.DataFrame(self.sigma**2 * (RXinv.T @ RXinv), index=names, columns=names)

    @cached_property
    def se(self) -> pd.Series:
        """Standard errors of the fixed effects."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.fixef.index, name="Std. Error")

    # ------------------------------------------------------------------ variance components
    @cached_property
    def varcorr(self) -> pd.DataFrame:
        """``as.data.frame(VarCorr(m))``: grp, var1, var2, vcov, sdcor in lme4's row order.

        Where R has NA (``var2`` of a variance row, ``var1``/``var2`` of the residual) the
        frame holds NaN, pandas' missing value.
        """
        s2 = self.sigma**2
        rows = varcorr_rows(self._cp.layout.factors(self.theta), self.terms, s2)
        rows.append(("Residual", None, None, s2, self.sigma))
        out = pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])
        # R's NA in the name columns is pandas' missing value, NaN (as pandas' own text
        # columns hold it), so .isna()/.notna() find it and the frame displays it as NaN
        for col in ("grp", "var1", "var2"):
            out[col] = out[col].astype(object).where(out[col].notna(), np.nan)
        return out

    def format_varcorr(self, digits: int = 5, comp: tuple[str, ...] = ("Std.Dev.",)) -> str:
        """``print(VarCorr(m))`` as lme4 prints it; ``comp=("Variance", "Std.Dev.")`` adds variances."""
        return format_varcorr(self, digits=digits, comp=comp)

    def varcorr_matrices(self) -> dict[str, pd.DataFrame]:
        """Per group the covariance matrix of its random effects (``VarCorr(m)[[g]]``)."""
        out = {}
        s2 = self.sigma**2
        for T, term in zip(self._cp.layout.factors(self.theta), self.terms):
            out[term.group] = pd.DataFrame(s2 * (T @ T.T), index=term.columns, columns=term.columns)
        return out

    # ------------------------------------------------------------------ random effects
    @property
    def _re_shapes(self) -> list:
        return self._cp.shapes

    def _condvar_blocks(self) -> list[np.ndarray]:
        return conditional_variances(self._cp, self._factor)

    # ------------------------------------------------------------------ predictions
    @cached_property
    def _Z(self):
        m = self._model
        return random_effects_matrix(
            [t.X for t in m.terms], [t.codes for t in m.terms], self._cp.shapes, self.nobs
        )

    def fitted(self) -> np.ndarray:
        """Fitted values Xβ̂ + Zb̂ (+ offset), one per observation used in the fit."""
        m = self._model
        eta = m.X @ self._solution.beta + self._Z @ self._solution.b
        if m.offset is not None:
            eta = eta + m.offset
        return eta

    def residuals(self, type: str = "response", scaled: bool = False) -> np.ndarray:
        """Residuals: ``"response"`` (y − fitted) or ``"pearson"`` (× √weights); ``scaled`` divides by σ."""
        if type not in ("response", "pearson"):
            raise ArgumentError(f"type must be 'response' or 'pearson', not {type!r}")
        scaled = check_flag(scaled, "scaled")
        r = self._model.y - self.fitted()
        if type == "pearson" and self._model.weights is not None:
            r = r * np.sqrt(self._model.weights)
        if scaled:
            r = r / self.sigma
        return r

    def predict(
        self, newdata: pd.DataFrame | None = None, re_form: str | None = None, allow_new_levels: bool = False
    ) -> np.ndarray:
        """Predictions, as lme4's ``predict.merMod``.

        Parameters
        ----------
        newdata
            Rows to predict for; ``None`` predicts the fitted observations.
        re_form
            ``None`` includes every random term; ``"~0"`` (or ``"NA"``) gives the
            population-level prediction Xβ̂; a formula such as ``"~(1 | Subject)"`` includes
            those terms only, matched with the fit's random effects by column name within
            the grouping factor, as lme4 does.
        allow_new_levels
            Levels not seen in the fit get random effects of 0 when true; otherwise they
            are an error.
        """
        return predict(self, newdata=newdata, re_form=re_form, allow_new_levels=allow_new_levels)

    # ------------------------------------------------------------------ simulation
    def simulate(self, nsim: int = 1, seed: Any = None, re_form: Any = "NA",
                 newparams: dict | None = None) -> pd.DataFrame:
        """Responses simulated from the fitted model, as lme4's ``simulate(m, nsim, seed)``.

        With the same seed the draws are R's: ``fit.simulate(3, seed=42)`` matches
        ``set.seed(42); simulate(m, 3)`` in the same order of random numbers (new random
        effects ``u ~ rnorm(q * nsim)`` first, then the residuals), with lme4's arithmetic,
        so equal parameters give equal values to the last bit; this fit's parameters agree
        with lme4's to the parity tolerances (``newparams`` can set R's exactly).

        Parameters
        ----------
        nsim : int
            Number of simulated responses.
        seed : int, RRandom or None
            An int is R's ``set.seed(seed)``; an :class:`~mixedlab.RRandom` continues that
            stream (like R's session stream when ``seed = NULL``); ``None`` starts from a
            fresh random seed.
        re_form : str or None
            The random-effect terms to *condition on*, with lme4's ``simulate`` meaning,
            which differs from ``predict``'s:

            * ``"NA"`` (the default, lme4 1.1-31's ``re.form = NA``) or ``"~0"``: none --
              every simulation draws new random effects, i.e. new groups;
            * ``None``: all -- the fitted conditional modes are kept and only the
              residuals are new;
            * a formula such as ``"~(1 | Subject)"``: its terms are kept (matched to the
              fitted random effects as in ``predict``) and the model's other terms, as
              written, get new draws.

            In :meth:`predict`, ``None`` likewise includes every random effect, but
            ``"~0"`` means the population-level prediction with no random variation,
            while here it means new random effects.
        newparams : dict, optional
            lme4's ``newparams``: any of ``beta``, ``theta``, ``sigma`` to simulate with
            instead of the estimates (the spherical modes u are kept, as ``setParams``).

        Returns
        -------
        pandas.DataFrame
            Columns ``sim_1 .. sim_nsim``, one row per observation used in the fit
            (indexed like the data).

        Notes
        -----
        As lme4 1.1-31, prior weights are not used when simulating an LMM (every
        residual has SD sigma); offsets are included.
        """
        return simulate_lmer(self, nsim, seed, re_form, newparams)

    # ------------------------------------------------------------------ displays
    def summary(self, ddf: str | None = None):
        """The model summary: ``print(fit.summary())`` shows R's layout digit for digit.

        Parameters
        ----------
        ddf : {None, "Satterthwaite", "Kenward-Roger"}
            ``None``: lme4's ``summary(m)``. Otherwise lmerTest's ``summary(m, ddf = ddf)``,
            whose fixed-effects table adds ``df`` and ``Pr(>|t|)`` (see :meth:`coef_table`).
        """
        if ddf is None or ddf == "lme4":
            return LmerSummary(self)
        return LmerTestSummary(self, ddf=ddf)

    def tidy(self, effects: tuple[str, ...] = ("fixed", "ran_pars"), conf_int: bool = False,
             conf_level: float = 0.95, conf_method: str = "Wald", ddf: str | None = None) -> pd.DataFrame:
        """broom.mixed's ``tidy(m)``: one row per parameter (see :func:`mixedlab.reporting.tidy`).

        ``effects`` from "fixed", "ran_pars", "ran_vals"; ``conf_int`` adds ``conf.low`` and
        ``conf.high`` (``conf_method`` "Wald", "profile" or "boot"); ``ddf`` ("Satterthwaite",
        "Kenward-Roger") adds ``df`` and ``p.value`` as broom.mixed does for an lmerTest fit.
        """
        return tidy(self, effects=effects, conf_int=conf_int, conf_level=conf_level,
                    conf_method=conf_method, ddf=ddf)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def __repr__(self) -> str:
        """lme4's ``print(m)``: formula, criterion, random-effect SDs, fixed effects (``summary()`` has the rest)."""
        try:
            return "\n".join(print_lines(self))
        except Exception:  # the display layer must never hide the fit itself
            return f"<LmerFit {self.method} {self.formula!r}: objective {self.objective:.4f}>"
