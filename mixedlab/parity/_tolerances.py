"""The one tolerance table of the parity suite, each row with its reason.

Every comparison the harness makes goes through :func:`allowed` (how large may |Δ| be) and
:func:`within` (is this Δ acceptable). Nothing else in the package or the tests holds a
tolerance. Tolerances are never loosened to make a failing case pass: a failure is a finding
about the engine (or about R) and is reported as such.

Scales used by the rules (always taken from the *reference* fit, so the bar does not move
with the value under test): ``se`` = the reference standard error of that coefficient,
``sigma`` = the reference residual SD, ``sd`` = the reference SD of that random-effect
column, ``corr`` = the reference correlation.

Quantities
----------
objective, loglik        one-sided: a lower objective (higher logLik) for mixedlab is accepted
fixef, se, sigma         per coefficient / scalar
sd, var                  VarCorr variance rows: ``sdcor`` and ``vcov`` columns
corr, cov                VarCorr covariance rows: ``sdcor`` and ``vcov`` columns
ranef                    each conditional mode (group, level, column)
nobs, ngroups, names     exact (structure: names and order of VarCorr rows, fixef, ranef)
is_singular              exact (lme4 only)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

__all__ = [
    "Tolerance",
    "TOLERANCES",
    "SD_ZERO",
    "allowed",
    "within",
    "rule",
    "tolerance_table",
    "OBJECTIVE_ONLY",
    "inference_within",
    "TEXT_NUMBER_REL",
    "interval_within",
    "broom_within",
    "INFERENCE_REFERENCE",
    "printed_number_within",
]


@dataclass(frozen=True)
class Tolerance:
    """One row of the tolerance table.

    Attributes
    ----------
    reference : str
        ``"lme4"`` or ``"glmmTMB"``.
    quantity : str
        What is compared (see the module docstring).
    rule : str
        The bound in words, as shown in reports.
    reason : str
        Why this bound is right.
    bound : callable
        ``bound(ref_value, scales) -> float``, the largest acceptable |Δ| (``0`` = exact).
    one_sided : bool
        Only an excess in the "worse" direction counts (objective higher, logLik lower).
    kind : str
        The engine kind the row applies to (:mod:`mixedlab.parity._kinds`): ``"lmer"``,
        ``"glmer"``, ...
    """

    reference: str
    quantity: str
    rule: str
    reason: str
    bound: Callable[[float, Mapping[str, float]], float]
    one_sided: bool = False
    kind: str = "lmer"


def _sd_bound(rel: float, floor: float) -> Callable[[float, Mapping[str, float]], float]:
    return lambda ref, s: max(rel * abs(ref), floor * s["sigma"])


def _var_bound(rel: float, floor: float) -> Callable[[float, Mapping[str, float]], float]:
    # |a^2 - b^2| = |a - b| (a + b) <= t (2b + t), with t the SD bound at b = sd.
    def bound(ref: float, s: Mapping[str, float]) -> float:
        t = max(rel * s["sd"], floor * s["sigma"])
        return t * (2 * s["sd"] + t)

    return bound


def _log_p_bound(ref: float, s: Mapping[str, float]) -> float:
    # the p rule, |Δ log p| <= 1e-3·max(1, |log p|) (p is compared on the log scale);
    # a reference p of 0 must be matched exactly
    return 1e-3 * max(1.0, abs(math.log(ref))) if ref > 0 else 0.0


def _cov_bound(rel: float, floor: float, corr_abs: float) -> Callable[[float, Mapping[str, float]], float]:
    # cov = rho s1 s2: |Δcov| <= |Δrho| s1 s2 + |rho| (t1 s2 + t2 s1 + t1 t2).
    def bound(ref: float, s: Mapping[str, float]) -> float:
        t1 = max(rel * s["sd1"], floor * s["sigma"])
        t2 = max(rel * s["sd2"], floor * s["sigma"])
        return corr_abs * s["sd1"] * s["sd2"] + abs(s["corr"]) * (t1 * s["sd2"] + t2 * s["sd1"] + t1 * t2)

    return bound


#: An SD at or below ``SD_ZERO * sigma`` counts as zero: correlations with it are undefined
#: (lme4 reports NaN or an arbitrary value) and are not compared.
SD_ZERO = 1e-4

_EXACT = "exact"
_LME4_OPT = (
    "lme4's BOBYQA stops when θ moves by < 1e-4 relative (nloptr's default xtol_rel) or the "
    "objective by < 1e-8; near the optimum the objective is flat (quadratic), so objectives "
    "agree far better than parameters"
)

TOLERANCES: tuple[Tolerance, ...] = (
    # ---------------------------------------------------------------- mixedlab vs lme4
    Tolerance("lme4", "objective", "Δ ≤ 1e-4 (mixedlab lower: accepted, reported)",
              "the optimum of a smooth criterion is located to ~1e-8 in value; 1e-4 is the "
              "last printed digit of lme4's REML criterion/deviance with margin. A lower "
              "mixedlab value is a better optimum and never a failure",
              lambda ref, s: 1e-4, one_sided=True),
    Tolerance("lme4", "loglik", "Δ ≤ 5e-5 (mixedlab higher: accepted)",
              "logLik = -objective/2, so half the objective tolerance", lambda ref, s: 5e-5, one_sided=True),
    Tolerance("lme4", "fixef", "|Δ| ≤ max(1e-5·|β|, 1e-3·SE)",
              "β̂(θ) is a smooth function of θ; 1e-3 of its SE is far below statistical "
              "relevance and above the optimizer's θ precision; 1e-5·|β| covers tiny SEs",
              lambda ref, s: max(1e-5 * abs(ref), 1e-3 * s["se"])),
    Tolerance("lme4", "se", "|Δ| ≤ 1e-3·SE",
              "SE = σ·sqrt(diag((RXᵀRX)⁻¹)) depends on θ like the SDs do: same relative accuracy",
              lambda ref, s: 1e-3 * abs(ref)),
    Tolerance("lme4", "sigma", "|Δ| ≤ 1e-3·σ", "σ is a standard deviation: same rule as the SDs",
              lambda ref, s: 1e-3 * abs(ref)),
    Tolerance("lme4", "sd", "|Δ| ≤ max(1e-3·sd, 1e-4·σ)",
              "relative 1e-3 covers θ's stopping precision (" + _LME4_OPT + "); near zero an "
              "absolute 1e-4·σ, since a relative bound is meaningless at a boundary",
              _sd_bound(1e-3, 1e-4)),
    Tolerance("lme4", "var", "|Δ| ≤ t·(2·sd + t), t = max(1e-3·sd, 1e-4·σ)",
              "variance = sd²: the SD rule carried through the square", _var_bound(1e-3, 1e-4)),
    Tolerance("lme4", "corr", "|Δ| ≤ 2e-3 (not compared when an sd ≤ 1e-4·σ)",
              "correlations are functions of θ ratios and less well determined than SDs; "
              "undefined when an SD is zero", lambda ref, s: 2e-3),
    Tolerance("lme4", "cov", "|Δ| ≤ 2e-3·s1·s2 + |ρ|(t1·s2 + t2·s1 + t1·t2)",
              "covariance = ρ·s1·s2: the correlation and SD rules carried through the product",
              _cov_bound(1e-3, 1e-4, 2e-3)),
    Tolerance("lme4", "ranef", "|Δ| ≤ max(1e-3·|b|, 1e-3·sd, 1e-4·σ)",
              "b̂ = Λ(θ)û(θ) inherits θ's relative precision; scaled by |b| or, for modes near "
              "zero, by the term's SD; 1e-4·σ when the SD itself is zero",
              lambda ref, s: max(1e-3 * abs(ref), 1e-3 * s["sd"], 1e-4 * s["sigma"])),
    Tolerance("lme4", "nobs", _EXACT, "a count: rows used after NA removal", lambda ref, s: 0.0),
    Tolerance("lme4", "ngroups", _EXACT, "a count: levels present after NA removal", lambda ref, s: 0.0),
    Tolerance("lme4", "names", _EXACT,
              "users compare names and order with R's output (VarCorr rows, fixef, ranef)",
              lambda ref, s: 0.0),
    Tolerance("lme4", "is_singular", _EXACT, "isSingular(m): θ on the boundary (< 1e-4)", lambda ref, s: 0.0),
    # ---------------------------------------------------------------- mixedlab vs glmmTMB
    Tolerance("glmmTMB", "objective", "Δ ≤ 1e-3 (mixedlab lower: accepted, reported)",
              "glmmTMB minimises the same criterion with nlminb over log-SDs and Cholesky "
              "correlation parameters and its own stopping rules; on the corpus it agrees "
              "with lme4 to < 1e-7 except where it stops at a worse point",
              lambda ref, s: 1e-3, one_sided=True),
    Tolerance("glmmTMB", "loglik", "Δ ≤ 5e-4 (mixedlab higher: accepted)",
              "logLik = -objective/2, so half the objective tolerance", lambda ref, s: 5e-4, one_sided=True),
    Tolerance("glmmTMB", "fixef", "|Δ| ≤ max(1e-4·|β|, 1e-2·SE)",
              "glmmTMB's variance parameters differ from lme4's by up to ~1e-4 relative; "
              "β̂ follows them", lambda ref, s: max(1e-4 * abs(ref), 1e-2 * s["se"])),
    Tolerance("glmmTMB", "se", "|Δ| ≤ 1e-2·SE",
              "glmmTMB's SEs come from the inverse Hessian of all parameters (observed "
              "information, β–θ cross terms included; for REML the β are integrated out by "
              "Laplace); lme4's are σ²(RXᵀRX)⁻¹ given θ. They differ at O(1/n): up to 2.4e-3 "
              "relative on the corpus", lambda ref, s: 1e-2 * abs(ref)),
    Tolerance("glmmTMB", "sigma", "|Δ| ≤ 2e-3·σ", "an SD: same rule as the SDs",
              lambda ref, s: 2e-3 * abs(ref)),
    Tolerance("glmmTMB", "sd", "|Δ| ≤ max(2e-3·sd, 1e-3·σ)",
              "glmmTMB's SDs differ from lme4's by up to ~1e-4 relative at a shared optimum; "
              "the log-SD parameterisation cannot reach 0, so a wider absolute floor",
              _sd_bound(2e-3, 1e-3)),
    Tolerance("glmmTMB", "var", "|Δ| ≤ t·(2·sd + t), t = max(2e-3·sd, 1e-3·σ)",
              "variance = sd²: the glmmTMB SD rule carried through the square", _var_bound(2e-3, 1e-3)),
    Tolerance("glmmTMB", "corr", "|Δ| ≤ 5e-3 (not compared when an sd ≤ 1e-4·σ)",
              "correlations are the least well determined parameters", lambda ref, s: 5e-3),
    Tolerance("glmmTMB", "cov", "|Δ| ≤ 5e-3·s1·s2 + |ρ|(t1·s2 + t2·s1 + t1·t2)",
              "covariance = ρ·s1·s2: the glmmTMB correlation and SD rules carried through the product",
              _cov_bound(2e-3, 1e-3, 5e-3)),
    Tolerance("glmmTMB", "ranef", "|Δ| ≤ max(2e-3·|b|, 2e-3·sd, 1e-3·σ)",
              "the SD rule applied to the conditional modes",
              lambda ref, s: max(2e-3 * abs(ref), 2e-3 * s["sd"], 1e-3 * s["sigma"])),
    Tolerance("glmmTMB", "nobs", _EXACT, "a count: rows used after NA removal", lambda ref, s: 0.0),
    Tolerance("glmmTMB", "ngroups", _EXACT, "a count (glmmTMB keeps one group for a || term)",
              lambda ref, s: 0.0),
    Tolerance("glmmTMB", "printed number",
              "|Δ| ≤ max(2e-3·|R|, one unit of R's last printed digit); words and layout exact",
              "a lesson prints its glmmTMB model's summary in glmmTMB's layout; glmmTMB's nlminb "
              "stops with a largest gradient element of ~1e-4 to 1e-3 (Salamanders: 8.5e-5 to "
              "1.3e-3) where mixedlab's Newton steps reach ~1e-8 (its logLik is higher, by 1e-9 "
              "to 3e-8), so estimates, SEs, z values and p-values differ by ~1e-4 relative and "
              "p-values of large |z| by z·Δz: the last printed digit or two, never the layout",
              lambda ref, s: max(2e-3 * abs(ref), s["unit"])),
    # ---------------------------------------------------------------- inference (issue 14)
    *(row for ref_name, what in (("lmerTest", "Satterthwaite's"), ("pbkrtest", "Kenward-Roger's"))
      for row in (
        Tolerance(ref_name, "estimate", "|Δ| ≤ 1e-5·|ref| + 1e-7",
                  "a contrast of β̂, which follows θ̂; mixedlab's θ̂ agrees with lme4's to ≤ 2e-7 "
                  "relative on the corpus (the same BOBYQA path); the floor covers contrasts near 0",
                  lambda ref, s: 1e-5 * abs(ref) + 1e-7),
        Tolerance(ref_name, "se", "|Δ| ≤ 1e-5·|ref|",
                  "a standard error is a smooth function of θ̂ and σ̂ (for Kenward-Roger, of the "
                  "adjusted covariance too): θ's relative agreement with margin",
                  lambda ref, s: 1e-5 * abs(ref)),
        Tolerance(ref_name, "t", "|Δ| ≤ 1e-5·|ref| + 1e-7", "t = estimate / SE: the two rules combined",
                  lambda ref, s: 1e-5 * abs(ref) + 1e-7),
        Tolerance(ref_name, "df", "|Δ| ≤ 1e-4·ref",
                  f"{what} denominator df: the promise of issue 14 (1e-4 relative). Both sides use "
                  "the same algorithm at θ̂ agreeing to ~1e-9; Satterthwaite's derivatives are "
                  "numDeriv's Richardson differences in both, whose rounding noise (~1e-8) sets "
                  "the agreement actually seen",
                  lambda ref, s: 1e-4 * abs(ref)),
        Tolerance(ref_name, "p", "|Δ log p| ≤ 1e-3·max(1, |log p|)",
                  "p = P(T_df > |t|) (or the F tail) moves with t and df: with both within their "
                  "bounds, log p moves by at most a few times 1e-4·|log p| for the df of the corpus; "
                  "on the log scale so that tiny p-values (1e-17) are judged by their digits",
                  _log_p_bound),
        Tolerance(ref_name, "F", "|Δ| ≤ 1e-5·|ref| + 1e-8",
                  "a quadratic form in β̂ with vcov(β̂) (adjusted and scaled for Kenward-Roger): "
                  "the estimate and SE rules combined",
                  lambda ref, s: 1e-5 * abs(ref) + 1e-8),
        Tolerance(ref_name, "ss", "|Δ| ≤ 1e-5·|ref| + 1e-8",
                  "lmerTest's Sum Sq and Mean Sq are F·σ̂²·NumDF and F·σ̂²: the F rule",
                  lambda ref, s: 1e-5 * abs(ref) + 1e-8),
        Tolerance(ref_name, "numdf", _EXACT, "the rank of the contrast: a count", lambda ref, s: 0.0),
        Tolerance(ref_name, "text", "identical, except printed numbers within 1e-7 relative",
                  "the printed summary or table: users compare it character by character with R's. "
                  "Only digits below lmerTest's own numerical precision may differ: its "
                  "finite-difference df carry noise of ~1e-8 relative (it prints 222.000008 for a "
                  "df that is exactly 222), which shows when the table needs six decimals",
                  lambda ref, s: TEXT_NUMBER_REL),
    )),
    Tolerance("lmerTest.ranova", "loglik", "|Δ| ≤ 5e-5",
              "ranova refits each reduced model: logLik = −objective/2 of an lmer fit, so half the "
              "lme4 objective tolerance (both sides' optima agree far better)", lambda ref, s: 5e-5),
    Tolerance("lmerTest.ranova", "aic", "|Δ| ≤ 1e-4", "AIC = −2 logLik + 2 npar: twice the logLik rule",
              lambda ref, s: 1e-4),
    Tolerance("lmerTest.ranova", "lrt", "|Δ| ≤ 2e-4",
              "LRT = 2 (logLik₀ − logLik): the logLik rule for two fits, doubled", lambda ref, s: 2e-4),
    Tolerance("lmerTest.ranova", "npar", _EXACT, "a count of parameters (and their difference)",
              lambda ref, s: 0.0),
    Tolerance("lme4.confint", "wald", "|Δ| ≤ 1e-5·(upper − lower)",
              "Wald bounds are β̂ ± z·SE: β̂ and SE agree to ≤ 1e-5 relative (the estimate and se "
              "rules), so the bounds agree to that fraction of the interval", lambda ref, s: 1e-5 * s["width"]),
    Tolerance("lme4.confint", "profile", "|Δ| ≤ 1e-4·(upper − lower)",
              "lme4 places the profile points by its inner BOBYQA fits (xtol_rel 1e-4 on the other "
              "parameters) and its ML refit is minqa's BOBYQA (mixedlab: NLopt's); the bounds are read "
              "off a spline through ~20 points. Agreement seen: ≤ 3e-6 of the width",
              lambda ref, s: 1e-4 * s["width"]),
    Tolerance("lme4.confint", "boot", "|Δ| ≤ 2e-3·(upper − lower)",
              "the simulated responses are R's (set.seed, simulate: bit-identical for equal "
              "parameters) and each refit is lme4 1.1-31's (its criterion with resp$REML = 1, NLopt "
              "BOBYQA from θ̂ with xtol_rel = 1e-4); the BOBYQA paths agree point for point until the "
              "criteria's last-bit differences (~1e-13 relative) flip a trust-region step near lme4's "
              "loose stop, so single refits differ by lme4's own stopping error (seen: 35 of 200 "
              "sleepstudy refits beyond 1e-6, the largest 7.6e-4 relative in a SD, with criteria "
              "within 6e-5 and either side lower). Percentile bounds are order statistics of these: "
              "seen ≤ 4.5e-4 of the width (sleepstudy .sig02), 5e-9 for Penicillin",
              lambda ref, s: 2e-3 * s["width"]),
    Tolerance("lme4.confint", "boot_statistical", "|Δ| ≤ 0.3·(upper − lower) (nsim = 200)",
              "without R-identical simulation the two bootstraps draw different responses: the "
              "percentile bounds then differ by Monte Carlo error, about "
              "√(α(1−α)/nsim)/φ(z)·SD ≈ 0.05·width for nsim = 200; 0.3·width is ~4√2 of those "
              "standard errors, a check of scale and parameterisation, not of digits",
              lambda ref, s: 0.3 * s["width"]),
    Tolerance("broom.mixed", "value", "|Δ| ≤ 1e-5·max(|ref|, 1e-3·column scale)",
              "estimates, SEs, statistics, intervals, fitted values, residuals and leverages are "
              "smooth functions of θ̂ and β̂, which agree with lme4's to ≤ 2e-7 relative; the column "
              "scale keeps values near zero (residuals, correlations) from needing relative digits",
              lambda ref, s: 1e-5 * max(abs(ref), 1e-3 * s["scale"])),
    Tolerance("broom.mixed", "df", "|Δ| ≤ 1e-4·ref", "Satterthwaite's df: the lmerTest df rule",
              lambda ref, s: 1e-4 * abs(ref)),
    Tolerance("broom.mixed", "p", "|Δ log p| ≤ 1e-3·max(1, |log p|)", "p from t and Satterthwaite df: the lmerTest p rule",
              _log_p_bound),
    Tolerance("broom.mixed", "count", _EXACT, "nobs and df.residual are counts", lambda ref, s: 0.0),
    Tolerance("broom.mixed", "loglik", "|Δ| ≤ 5e-5", "logLik of the same fit: the lme4 logLik rule", lambda ref, s: 5e-5),
    Tolerance("broom.mixed", "ic", "|Δ| ≤ 1e-4", "AIC, BIC, REMLcrit, deviance: the lme4 objective rule",
              lambda ref, s: 1e-4),
    Tolerance("lmerTest.ranova", "p", "|Δ log p| ≤ 1e-3·max(1, |log p|)",
              "the χ² tail of the LRT: the p rule of the F tables", 
              _log_p_bound),
)

_GLMER_OPT = (
    "glmer stops loosely: Nelder-Mead ends when every simplex vertex is within xt = 1e-5 (θ) "
    "or 1e-4·SE (β) of the centroid, and each PIRLS stops at a relative change of 1e-7 in the "
    "penalized deviance. mixedlab runs the same two stages with the same optimisers and "
    "stopping rules (minqa's BOBYQA, lme4's Nelder_Mead), so it stops where glmer stops, up "
    "to the rounding of a different linear algebra"
)

_GLMER_ROWS: tuple[Tolerance, ...] = (
    # ------------------------------------------------------------- mixedlab vs lme4::glmer
    Tolerance("lme4", "objective", "Δ ≤ 1e-5 (mixedlab lower: accepted, reported)",
              "the Laplace (or AGQ) deviance at glmer's stopping point; " + _GLMER_OPT + ". 1e-5 is "
              "glmer's own FtolAbs. A lower mixedlab value is a better optimum, never a failure",
              lambda ref, s: 1e-5, one_sided=True, kind="glmer"),
    Tolerance("lme4", "loglik", "Δ ≤ 5e-6 (mixedlab higher: accepted)",
              "logLik = -objective/2, so half the objective tolerance", lambda ref, s: 5e-6, one_sided=True,
              kind="glmer"),
    Tolerance("lme4", "fixef", "|Δ| ≤ max(1e-5·|β|, 1e-3·SE)",
              "β is a Nelder-Mead parameter in stage 2; " + _GLMER_OPT, lambda ref, s: max(1e-5 * abs(ref),
              1e-3 * s["se"]), kind="glmer"),
    Tolerance("lme4", "se", "|Δ| ≤ 2e-3·SE",
              "glmer's SEs come from the central-difference Hessian (deriv12, δ = 1e-4) of a deviance "
              "evaluated by PIRLS stopped at 1e-7: each evaluation carries ~1e-10 of PIRLS error, "
              "magnified by 1/δ² in the Hessian; mixedlab evaluates the same points the same way",
              lambda ref, s: 2e-3 * abs(ref), kind="glmer"),
    Tolerance("lme4", "sigma", "|Δ| ≤ 1e-3·σ (σ = 1 without a scale parameter)",
              "σ = sqrt(pwrss/n) at the optimum (Gamma, inverse.gaussian, gaussian); a function of θ, β",
              lambda ref, s: 1e-3 * abs(ref), kind="glmer"),
    Tolerance("lme4", "sd", "|Δ| ≤ max(1e-3·sd, 1e-4·σ)",
              "θ is a Nelder-Mead parameter; " + _GLMER_OPT + "; near zero an absolute floor",
              _sd_bound(1e-3, 1e-4), kind="glmer"),
    Tolerance("lme4", "var", "|Δ| ≤ t·(2·sd + t), t = max(1e-3·sd, 1e-4·σ)",
              "variance = sd²: the SD rule carried through the square", _var_bound(1e-3, 1e-4), kind="glmer"),
    Tolerance("lme4", "corr", "|Δ| ≤ 2e-3 (not compared when an sd ≤ 1e-4·σ)",
              "correlations are ratios of θ elements", lambda ref, s: 2e-3, kind="glmer"),
    Tolerance("lme4", "cov", "|Δ| ≤ 2e-3·s1·s2 + |ρ|(t1·s2 + t2·s1 + t1·t2)",
              "covariance = ρ·s1·s2: the correlation and SD rules carried through the product",
              _cov_bound(1e-3, 1e-4, 2e-3), kind="glmer"),
    Tolerance("lme4", "ranef", "|Δ| ≤ max(1e-3·|b|, 1e-3·sd, 1e-4·σ)",
              "b̂ = Λ(θ)û(θ, β): the conditional modes follow θ and β", lambda ref, s: max(
                  1e-3 * abs(ref), 1e-3 * s["sd"], 1e-4 * s["sigma"]), kind="glmer"),
    Tolerance("lme4", "nobs", _EXACT, "a count: rows used after NA removal", lambda ref, s: 0.0, kind="glmer"),
    Tolerance("lme4", "ngroups", _EXACT, "a count: levels present after NA removal", lambda ref, s: 0.0,
              kind="glmer"),
    Tolerance("lme4", "names", _EXACT, "users compare names and order with R's output", lambda ref, s: 0.0,
              kind="glmer"),
    Tolerance("lme4", "is_singular", _EXACT, "isSingular(m): θ on the boundary (< 1e-4)", lambda ref, s: 0.0,
              kind="glmer"),
    # ------------------------------------------------------------- mixedlab vs glmmTMB (GLMM)
    Tolerance("glmmTMB", "objective", "Δ ≤ 2e-3 (mixedlab lower: accepted, reported)",
              "for canonical links glmmTMB's exact Laplace (observed Hessian) and glmer's (Fisher "
              "weights) coincide; glmmTMB stops by nlminb's rules and glmer loosely, so the optima "
              "differ by up to ~1e-3 (cbpp: 2.9e-4 higher in logLik for glmmTMB)",
              lambda ref, s: 2e-3, one_sided=True, kind="glmer"),
    Tolerance("glmmTMB", "loglik", "Δ ≤ 1e-3 (mixedlab higher: accepted)",
              "logLik = -objective/2, so half the objective tolerance", lambda ref, s: 1e-3, one_sided=True,
              kind="glmer"),
    Tolerance("glmmTMB", "fixef", "|Δ| ≤ max(1e-3·|β|, 2e-2·SE)",
              "two optimisers stopping at different points of a flat optimum (cbpp: 2e-4 of |β|, "
              "1e-3 of SE)", lambda ref, s: max(1e-3 * abs(ref), 2e-2 * s["se"]), kind="glmer"),
    Tolerance("glmmTMB", "se", "|Δ| ≤ 3e-2·SE",
              "glmmTMB inverts the Hessian of all parameters from its AD gradient (optimHess), glmer a "
              "finite-difference Hessian of the Laplace deviance: they differ at O(1/n) (cbpp: 1.3e-2)",
              lambda ref, s: 3e-2 * abs(ref), kind="glmer"),
    Tolerance("glmmTMB", "sigma", "|Δ| ≤ 1e-2·σ", "an SD: same rule as the SDs", lambda ref, s: 1e-2 * abs(ref),
              kind="glmer"),
    Tolerance("glmmTMB", "sd", "|Δ| ≤ max(1e-2·sd, 1e-3·σ)",
              "glmmTMB's log-SD parameter stops at its own point of a flat optimum (cbpp: 3e-4)",
              _sd_bound(1e-2, 1e-3), kind="glmer"),
    Tolerance("glmmTMB", "var", "|Δ| ≤ t·(2·sd + t), t = max(1e-2·sd, 1e-3·σ)",
              "variance = sd²: the glmmTMB SD rule carried through the square", _var_bound(1e-2, 1e-3),
              kind="glmer"),
    Tolerance("glmmTMB", "corr", "|Δ| ≤ 1e-2 (not compared when an sd ≤ 1e-4·σ)",
              "correlations are the least well determined parameters", lambda ref, s: 1e-2, kind="glmer"),
    Tolerance("glmmTMB", "cov", "|Δ| ≤ 1e-2·s1·s2 + |ρ|(t1·s2 + t2·s1 + t1·t2)",
              "covariance = ρ·s1·s2: the glmmTMB correlation and SD rules carried through the product",
              _cov_bound(1e-2, 1e-3, 1e-2), kind="glmer"),
    Tolerance("glmmTMB", "ranef", "|Δ| ≤ max(1e-2·|b|, 1e-2·sd, 1e-3·σ)",
              "the SD rule applied to the conditional modes",
              lambda ref, s: max(1e-2 * abs(ref), 1e-2 * s["sd"], 1e-3 * s["sigma"]), kind="glmer"),
    Tolerance("glmmTMB", "nobs", _EXACT, "a count: rows used after NA removal", lambda ref, s: 0.0, kind="glmer"),
    Tolerance("glmmTMB", "ngroups", _EXACT, "a count: levels present after NA removal", lambda ref, s: 0.0,
              kind="glmer"),
)

TOLERANCES = TOLERANCES + _GLMER_ROWS

# ------------------------------------------------------------- mixedlab.glmmtmb vs glmmTMB
_TMB_SAME = (
    "mixedlab evaluates glmmTMB's own objective (the exact Laplace approximation of TMB; the "
    "values and gradients of the two agree to ~1e-12 at the same parameters) and locates its "
    "optimum to |∇f| < 1e-8 by Newton steps, while glmmTMB's nlminb stops at a relative change "
    "of f below rel.tol = 1e-10 (≈1e-7 in f)"
)


def _tmb_rows(kind: str) -> tuple[Tolerance, ...]:
    return (
        Tolerance("glmmTMB", "objective", "Δ ≤ 1e-6 (mixedlab lower: accepted, reported)",
                  _TMB_SAME + "; so mixedlab's −2 logLik is never above glmmTMB's by more than "
                  "rounding, and is usually lower by 1e-9–1e-7 (a better optimum)",
                  lambda ref, s: 1e-6, one_sided=True, kind=kind),
        Tolerance("glmmTMB", "loglik", "Δ ≤ 5e-7 (mixedlab higher: accepted)",
                  "logLik = −objective/2, so half the objective tolerance", lambda ref, s: 5e-7,
                  one_sided=True, kind=kind),
        Tolerance("glmmTMB", "fixef", "|Δ| ≤ 1e-3·SE",
                  _TMB_SAME + ": a stop Δf short of the optimum leaves each coefficient off by "
                  "at most √(2Δf) ≈ 5e-4 of its SE (measured ≤ 1e-4·SE on the corpus)",
                  lambda ref, s: 1e-3 * s["se"], kind=kind),
        Tolerance("glmmTMB", "se", "|Δ| ≤ 1e-3·SE",
                  "both invert optimHess's central differences (step 1e-3) of the same gradient; "
                  "the Hessians differ only through the optima's distance (measured ≤ 4e-5·SE)",
                  lambda ref, s: 1e-3 * abs(ref), kind=kind),
        Tolerance("glmmTMB", "sigma", "|Δ| ≤ 1e-3·σ",
                  "σ = exp of the dispersion coefficient (family's scale), located like the "
                  "coefficients: 1e-3 relative ≥ 1e-3·SE(log σ) when that SE < 1",
                  lambda ref, s: 1e-3 * abs(ref), kind=kind),
        Tolerance("glmmTMB", "sd", "|Δ| ≤ 1e-3·sd",
                  "the log-SDs are outer parameters located like the coefficients (measured "
                  "≤ 3e-5 relative); glmmTMB's log-SD cannot reach 0, so no absolute floor",
                  lambda ref, s: 1e-3 * abs(ref), kind=kind),
        Tolerance("glmmTMB", "var", "|Δ| ≤ t·(2·sd + t), t = 1e-3·sd",
                  "variance = sd²: the SD rule carried through the square",
                  lambda ref, s: 1e-3 * s["sd"] * (2 * s["sd"] + 1e-3 * s["sd"]), kind=kind),
        Tolerance("glmmTMB", "corr", "|Δ| ≤ 1e-3",
                  "correlations are functions of the UNSTRUCTURED_CORR parameters, located like "
                  "the others", lambda ref, s: 1e-3, kind=kind),
        Tolerance("glmmTMB", "cov", "|Δ| ≤ 1e-3·s1·s2 + |ρ|(t1·s2 + t2·s1 + t1·t2)",
                  "covariance = ρ·s1·s2: the correlation and SD rules carried through the product",
                  lambda ref, s: 1e-3 * s["sd1"] * s["sd2"] + abs(s["corr"]) * 1e-3 * s["sd1"] * s["sd2"]
                  * (2.0 + 1e-3), kind=kind),
        Tolerance("glmmTMB", "ranef", "|Δ| ≤ max(1e-3·|b|, 1e-3·sd)",
                  "b̂ solves the inner problem to |∇| < 1e-10 at parameters within the rules above; "
                  "scaled by |b| or, for modes near zero, by the term's SD",
                  lambda ref, s: max(1e-3 * abs(ref), 1e-3 * s["sd"]), kind=kind),
        Tolerance("glmmTMB", "nobs", _EXACT, "a count: rows used after NA removal",
                  lambda ref, s: 0.0, kind=kind),
        Tolerance("glmmTMB", "ngroups", _EXACT, "a count: levels per grouping factor and component",
                  lambda ref, s: 0.0, kind=kind),
        Tolerance("glmmTMB", "names", _EXACT,
                  "users compare names and order with R's output (fixef of every component, "
                  "VarCorr rows, ranef)", lambda ref, s: 0.0, kind=kind),
        Tolerance("glmmTMB", "is_singular", _EXACT, "glmmTMB has no singular fits (log-SDs)",
                  lambda ref, s: 0.0, kind=kind),
    )


# the gaussian case beside lme4's ML fit: the lmer kind's glmmTMB-vs-lme4 comparison, reversed
_TMB_LMER_ROWS = tuple(
    Tolerance("lme4", t.quantity, t.rule,
              "mixedlab's glmmtmb is glmmTMB's computation; against lme4 the lmer kind's "
              "glmmTMB rule applies: " + t.reason, t.bound, t.one_sided, kind="glmmtmb_lmer")
    for t in TOLERANCES if t.kind == "lmer" and t.reference == "glmmTMB"
)

TOLERANCES = TOLERANCES + _tmb_rows("glmmtmb") + _tmb_rows("glmmtmb_lmer") + _TMB_LMER_ROWS

_BY_KEY = {(t.kind, t.reference, t.quantity): t for t in TOLERANCES}

#: Situations in which only the objective is compared, with the reason shown in reports.
OBJECTIVE_ONLY = {
    "lme4_convergence": "lme4 warned about convergence, so only the objective is compared",
    "mixedlab_lower": "mixedlab's optimum is lower than {ref}'s by {delta:.3g}: {ref} stopped early, "
                      "so only the objective is compared",
    "glmmtmb_singular": "lme4's fit is singular and glmmTMB's log-SD parameterisation cannot reach 0, "
                        "so only the objective is compared with glmmTMB",
    "glmmtmb_convergence": "glmmTMB reported a convergence problem, so only the objective is compared",
    "glmmtmb_differs": "glmmTMB optimises a different criterion here ({why}), so its values are reported, "
                       "not compared",
}


def rule(reference: str, quantity: str, kind: str = "lmer") -> Tolerance:
    """Return the table row for ``(kind, reference, quantity)``."""
    try:
        return _BY_KEY[(kind, reference, quantity)]
    except KeyError:
        raise KeyError(f"no tolerance for {quantity!r} against {reference!r} ({kind} kind)") from None


def allowed(reference: str, quantity: str, ref_value: float, scales: Mapping[str, float] | None = None,
            kind: str = "lmer") -> float:
    """Largest acceptable |Δ| for ``quantity`` against ``reference`` at ``ref_value``."""
    return float(rule(reference, quantity, kind).bound(ref_value, scales or {}))


def within(reference: str, quantity: str, ours: float, ref_value: float,
           scales: Mapping[str, float] | None = None, kind: str = "lmer") -> tuple[float, float, bool]:
    """Compare ``ours`` with ``ref_value``; return ``(|Δ|, bound, ok)``.

    For one-sided quantities (objective, loglik) only the "worse" direction counts: a lower
    objective or a higher logLik for mixedlab is always ``ok``.
    """
    row = rule(reference, quantity, kind)
    bound = float(row.bound(ref_value, scales or {}))
    delta = ours - ref_value
    if row.one_sided:
        worse = delta if quantity == "objective" else -delta
        ok = worse <= bound
    else:
        ok = abs(delta) <= bound
    return abs(delta), bound, bool(ok)


def tolerance_table(kind: str | None = None):
    """The table as a DataFrame (reference, quantity, rule, reason), for reports and lessons.

    ``kind`` (e.g. ``"glmer"``) keeps that kind's rows only; the default ``None`` shows the
    lmer rows, as before kinds existed (``"all"`` shows every row with a ``kind`` column).
    """
    import pandas as pd

    if kind == "all":
        return pd.DataFrame([(t.kind, t.reference, t.quantity, t.rule, t.reason) for t in TOLERANCES],
                            columns=["kind", "reference", "quantity", "rule", "reason"])
    want = kind or "lmer"
    return pd.DataFrame([(t.reference, t.quantity, t.rule, t.reason) for t in TOLERANCES if t.kind == want],
                        columns=["reference", "quantity", "rule", "reason"])


#: printed numbers in compared texts may differ by this much, relative (the "text" rows)
TEXT_NUMBER_REL = 1e-7

#: which R package is the reference for each denominator-df method
INFERENCE_REFERENCE = {"Satterthwaite": "lmerTest", "Kenward-Roger": "pbkrtest", "ranova": "lmerTest.ranova"}


def inference_within(method: str, quantity: str, ours: float, ref_value: float) -> tuple[float, float, bool]:
    """Compare an inference quantity (see the ``lmerTest``/``pbkrtest`` rows); ``(|Δ|, bound, ok)``.

    ``method`` ("Satterthwaite" or "Kenward-Roger") picks the reference package. p-values
    are compared on the log scale (``|Δ|`` is then |Δ log p|).
    """
    row = rule(INFERENCE_REFERENCE[method], quantity)
    bound = float(row.bound(ref_value, {}))
    if quantity == "p":
        if ours > 0 and ref_value > 0:
            delta = abs(math.log(ours) - math.log(ref_value))
        else:
            delta = 0.0 if ours == ref_value else math.inf
        return delta, bound, bool(delta <= bound)
    delta = abs(ours - ref_value)
    return delta, bound, bool(delta <= bound)


def interval_within(method: str, ours: float, ref_value: float, width: float) -> tuple[float, float, bool]:
    """Compare one confidence bound (``lme4.confint`` rows); ``width`` is R's interval width."""
    bound = float(rule("lme4.confint", method).bound(ref_value, {"width": width}))
    delta = abs(ours - ref_value)
    return delta, bound, bool(delta <= bound)


def broom_within(quantity: str, ours: float, ref_value: float, scale: float) -> tuple[float, float, bool]:
    """Compare one broom.mixed number; ``scale`` is the largest |value| of its column in R's result."""
    bound = float(rule("broom.mixed", quantity).bound(ref_value, {"scale": scale}))
    if quantity == "p":
        if ours > 0 and ref_value > 0:
            delta = abs(math.log(ours) - math.log(ref_value))
        else:
            delta = 0.0 if ours == ref_value else math.inf
    else:
        delta = abs(ours - ref_value)
    return delta, bound, bool(delta <= bound)


def _last_digit_unit(text: str) -> float | None:
    """One unit of the last printed digit of a number as R prints it (``0.0737`` → 1e-4,
    ``1.41e-11`` → 1e-13); None when ``text`` is not a plain number."""
    import re

    m = re.fullmatch(r"[-+]?\d+(?:\.(\d*))?(?:[eE]([-+]?\d+))?", text)
    if m is None:
        return None
    return 10.0 ** (int(m.group(2) or 0) - len(m.group(1) or ""))


def printed_number_within(ours: str, ref_text: str) -> tuple[float, float, bool]:
    """Compare two printed numbers by the ``glmmTMB`` "printed number" row; ``(|Δ|, bound, ok)``.

    Both are the texts as printed (R's on the right); a text that is not a number (``<``,
    ``2e-16``'s neighbour ``<``, a significance star) must be identical: ``(0, 0, ours == ref)``.
    """
    unit, unit_ours = _last_digit_unit(ref_text), _last_digit_unit(ours)
    if unit is None or unit_ours is None:
        return 0.0, 0.0, ours == ref_text
    ref_value = float(ref_text)
    bound = float(rule("glmmTMB", "printed number").bound(ref_value, {"unit": unit}))
    delta = abs(float(ours) - ref_value)
    return delta, bound, bool(delta <= bound)
