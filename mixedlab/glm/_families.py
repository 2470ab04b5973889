"""GLM families as glmer uses them: R's ``variance``, ``dev.resids``, ``aic`` and ``initialize``.

The formulas are lme4's C++ ones (``src/glmFamily.cpp``), which glmer evaluates instead of
the R family's functions:

===================  ==========================  =============================================
family               variance V(μ)               deviance residual d_i
===================  ==========================  =============================================
binomial             max(ε, μ(1−μ))              2w[y log(y/μ) + (1−y) log((1−y)/(1−μ))]
poisson              μ                           2w[y log(y/μ) − (y−μ)]
Gamma                μ²                          −2w[log(y/μ) − (y−μ)/μ]
gaussian             1                           w(y−μ)²
inverse.gaussian     μ³                          w(y−μ)²/(yμ²)
Negative Binomial    μ + μ²/θ                    2w[y log(y/μ) − (y+θ) log((y+θ)/(μ+θ))]
===================  ==========================  =============================================

(0·log 0 = 0.) ``aic`` is −2 Σ log f(y|μ) with the constants R's families use; for Gamma
and inverse.gaussian the dispersion is plugged in as Σd/Σw (not maximised over), which is
what makes glmer's Gamma logLik differ from glmmTMB's (GLMM.md §1.8). ``initialize`` is the
R family's: the starting μ, and for binomial the conversion of the response forms.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import special

from mixedlab._errors import DataError, ModelSpecificationError
from mixedlab.glm._links import EPS, Link, make_link

__all__ = ["Family", "binomial", "poisson", "Gamma", "inverse_gaussian", "gaussian", "negative_binomial",
           "resolve_family", "from_r"]

_LOG_2PI = float(np.log(2.0 * np.pi))


def _ylogy(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """y·log(y/μ) with 0·log 0 = 0 (lme4's ``Y_log_Y``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = y / mu
        return np.where(r != 0, y * np.log(np.where(r != 0, r, 1.0)), 0.0)


def _ylogy_masked(y: np.ndarray, mu: np.ndarray, nonzero: np.ndarray) -> np.ndarray:
    """:func:`_ylogy` with the y ≠ 0 mask known (μ > 0: y/μ ≠ 0 exactly where y ≠ 0)."""
    return np.where(nonzero, y * np.log(np.where(nonzero, y / mu, 1.0)), 0.0)


def _xlogy_nonzero(y: np.ndarray, mu: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``special.xlogy(y, μ)`` for finite μ, evaluated only at ``idx`` (y ≠ 0; it is 0 elsewhere)."""
    out = np.zeros_like(mu)
    out[idx] = special.xlogy(y[idx], mu[idx])
    return out


@dataclass(frozen=True)
class Family:
    """A GLM family with its link (R's ``family`` object, as glmer evaluates it).

    Attributes
    ----------
    family : str
        R's name: "binomial", "poisson", "Gamma", "inverse.gaussian", "gaussian" or
        "Negative Binomial(θ)".
    link : Link
    theta : float or None
        The negative binomial θ.
    """

    family: str
    link: Link
    links: tuple[str, ...] = field(default=(), repr=False)
    theta: float | None = None

    @cached_property
    def name(self) -> str:
        """Short kind: "binomial", "poisson", "Gamma", "inverse.gaussian", "gaussian", "negative.binomial"."""
        return "negative.binomial" if self.family.startswith("Negative Binomial") else self.family

    @cached_property
    def has_scale(self) -> bool:
        """Whether the family has a dispersion σ (lme4's ``!hasNoScale``)."""
        return self.name not in ("binomial", "poisson", "negative.binomial")

    def __str__(self) -> str:
        return f"{self.family}({self.link.name})"

    # ---------------------------------------------------------------- variance and deviance
    def variance(self, mu: np.ndarray) -> np.ndarray:
        n = self.name
        if n == "binomial":
            return np.maximum(mu * (1.0 - mu), EPS)
        if n == "poisson":
            return mu
        if n == "Gamma":
            return mu * mu
        if n == "gaussian":
            return np.ones_like(mu)
        if n == "inverse.gaussian":
            return mu * mu * mu
        return mu + mu * mu / self.theta

    def dev_resids(self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray, fixed: dict | None = None) -> np.ndarray:
        """Deviance residuals d_i. ``fixed`` (from :meth:`fixed_parts`) holds the y-only parts
        of a fit, computed once: the same values, fewer array passes per PIRLS step."""
        n = self.name
        if fixed is not None and n in ("binomial", "poisson", "negative.binomial"):
            with np.errstate(divide="ignore", invalid="ignore"):
                if n == "binomial" and fixed["bernoulli"]:
                    # y ∈ {0, 1}: one of the two y·log(y/μ) terms is 0, the other log(1/μ) or
                    # log(1/(1−μ)) — one log per observation, the same numbers
                    return 2.0 * wt * np.log(np.where(fixed["y_nz"], 1.0 / mu, 1.0 / (1.0 - mu)))
                a = _ylogy_masked(y, mu, fixed["y_nz"])
                if n == "binomial":
                    return 2.0 * wt * (a + _ylogy_masked(fixed["1-y"], 1.0 - mu, fixed["1-y_nz"]))
                if n == "poisson":
                    return 2.0 * wt * (a - (y - mu))
                th = self.theta
                return 2.0 * wt * (a - fixed["y+th"] * np.log(fixed["y+th"] / (mu + th)))
        if n == "binomial":
            return 2.0 * wt * (_ylogy(y, mu) + _ylogy(1.0 - y, 1.0 - mu))
        if n == "poisson":
            return 2.0 * wt * (_ylogy(y, mu) - (y - mu))
        if n == "Gamma":
            with np.errstate(divide="ignore"):
                r = y / mu
                lr = np.where(r != 0, np.log(np.where(r != 0, r, 1.0)), 0.0)
            return -2.0 * wt * (lr - (y - mu) / mu)
        if n == "gaussian":
            return wt * (y - mu) ** 2
        if n == "inverse.gaussian":
            return wt * (y - mu) ** 2 / (y * mu * mu)
        th = self.theta
        return 2.0 * wt * (_ylogy(y, mu) - (y + th) * np.log((y + th) / (mu + th)))

    def fixed_parts(self, y: np.ndarray, n: np.ndarray, wt: np.ndarray) -> dict:
        """The parts of ``dev_resids`` and ``aic`` that depend on y, n and the weights only.

        Computed once per fit; the per-step formulas then combine them in the same order as
        the full expressions, so the results are the same numbers.
        """
        kind = self.name
        out: dict = {"y_nz": y != 0}
        out["y_idx"] = np.flatnonzero(out["y_nz"])
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "binomial":
                out["bernoulli"] = bool(np.all((y == 0) | (y == 1)))
                out["1-y"] = 1.0 - y
                out["1-y_nz"] = out["1-y"] != 0
                m = n if np.any(n > 1) else wt
                yy = np.rint(m * y)
                m = np.rint(m)
                out["yy"], out["m-yy"] = yy, m - yy
                out["yy_idx"], out["m-yy_idx"] = np.flatnonzero(yy != 0), np.flatnonzero(m - yy != 0)
                out["lchoose"] = special.gammaln(m + 1.0) - special.gammaln(yy + 1.0) - special.gammaln(m - yy + 1.0)
                fac = np.where(m <= 0, 0.0, wt / np.where(m <= 0, 1.0, m))
                out["fac"], out["fac0"] = fac, fac == 0
            elif kind == "poisson":
                out["lgamma(y+1)"] = special.gammaln(y + 1.0)
            elif kind == "negative.binomial":
                th = self.theta
                out["y+th"] = y + th
                out["lgamma(y+1)"] = special.gammaln(y + 1.0)
                out["th*log(th)"] = th * np.log(th)
                out["lgamma(th)"] = special.gammaln(th)
                out["lgamma(th+y)"] = special.gammaln(th + y)
        return out

    def aic(self, y: np.ndarray, n: np.ndarray, mu: np.ndarray, wt: np.ndarray, dev: float,
            fixed: dict | None = None) -> float:
        """−2 log-likelihood with R's constants (lme4's ``glmFamily::aic``); ``fixed`` as in
        :meth:`dev_resids`."""
        kind = self.name
        if fixed is not None and kind in ("binomial", "poisson", "negative.binomial"):
            with np.errstate(divide="ignore", invalid="ignore"):
                if kind == "binomial":
                    # lchoose + yy log μ + (m − yy) log(1 − μ), each term evaluated only where its
                    # count is non-zero (elsewhere it is exactly 0): the same sums, in the same order
                    ld = fixed["lchoose"].copy()
                    i, j = fixed["yy_idx"], fixed["m-yy_idx"]
                    ld[i] += special.xlogy(fixed["yy"][i], mu[i])
                    ld[j] += special.xlog1py(fixed["m-yy"][j], -mu[j])
                    return float(-2.0 * np.sum(np.where(fixed["fac0"], 0.0, fixed["fac"] * ld)))
                if kind == "poisson":
                    ld = _xlogy_nonzero(y, mu, fixed["y_idx"]) - mu - fixed["lgamma(y+1)"]
                    return float(-2.0 * np.sum(ld * wt))
                th = self.theta
                return float(2.0 * np.sum(wt * fixed["y+th"] * np.log(mu + th) - _xlogy_nonzero(y, mu, fixed["y_idx"])
                                          + fixed["lgamma(y+1)"] - fixed["th*log(th)"] + fixed["lgamma(th)"]
                                          - fixed["lgamma(th+y)"]))
        if kind == "binomial":
            m = n if np.any(n > 1) else wt
            yy = np.rint(m * y)
            m = np.rint(m)
            with np.errstate(divide="ignore", invalid="ignore"):
                ld = (special.gammaln(m + 1.0) - special.gammaln(yy + 1.0) - special.gammaln(m - yy + 1.0)
                      + special.xlogy(yy, mu) + special.xlog1py(m - yy, -mu))
                fac = np.where(m <= 0, 0.0, wt / np.where(m <= 0, 1.0, m))
            return float(-2.0 * np.sum(np.where(fac == 0, 0.0, fac * ld)))
        if kind == "poisson":
            ld = special.xlogy(y, mu) - mu - special.gammaln(y + 1.0)
            return float(-2.0 * np.sum(ld * wt))
        if kind == "Gamma":
            disp = dev / float(np.sum(wt))
            shape = 1.0 / disp
            scale = mu * disp
            ld = (shape - 1.0) * np.log(y) - y / scale - special.gammaln(shape) - shape * np.log(scale)
            return float(-2.0 * np.sum(wt * ld) + 2.0)
        if kind == "gaussian":
            nn = mu.size
            return float(nn * (np.log(2.0 * np.pi * dev / nn) + 1.0) + 2.0 - np.sum(np.log(wt)))
        if kind == "inverse.gaussian":
            ws = float(np.sum(wt))
            return float(ws * (np.log(dev / ws * 2.0 * np.pi) + 1.0) + 3.0 * np.sum(np.log(y) * wt) + 2.0)
        th = self.theta
        # as lme4's C++ writes it: only the first term carries the weights
        return float(2.0 * np.sum(wt * (y + th) * np.log(mu + th) - special.xlogy(y, mu)
                                  + special.gammaln(y + 1.0) - th * np.log(th) + special.gammaln(th)
                                  - special.gammaln(th + y)))

    # ---------------------------------------------------------------- starting values
    def initialize(self, y: np.ndarray, weights: np.ndarray, two_column: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """R's ``family$initialize``: returns ``(y, weights, n, mustart)``.

        ``two_column`` is the (successes, failures) matrix of a ``cbind()`` response.
        """
        kind = self.name
        nobs = y.size
        n = np.ones(nobs)
        if kind == "binomial":
            if two_column is not None:
                s, f = two_column[:, 0], two_column[:, 1]
                if np.any(s < 0) or np.any(f < 0):
                    raise DataError("cbind(successes, failures) has negative counts; both columns must be "
                                    "counts >= 0")
                if np.any(np.abs(two_column - np.rint(two_column)) > 1e-3):
                    warnings.warn("non-integer counts in a binomial glm!", RuntimeWarning, stacklevel=4)
                n = s + f
                with np.errstate(invalid="ignore", divide="ignore"):
                    y = np.where(n == 0, 0.0, s / np.where(n == 0, 1.0, n))
                weights = weights * n
                mustart = (n * y + 0.5) / (n + 1.0)
                return y, weights, n, mustart
            y = np.where(weights == 0, 0.0, y)
            if np.any((y < 0) | (y > 1)):
                raise DataError("y values must be 0 <= y <= 1 for the binomial family: give a 0/1 (or two-level "
                                "factor) response, a proportion with weights = number of trials, or "
                                "cbind(successes, failures)")
            m = weights * y
            if np.any(np.abs(m - np.rint(m)) > 1e-3):
                msg = "non-integer #successes in a binomial glm!"
                if np.all(weights == 1.0):
                    # R's warning alone; without weights a proportion counts as one trial, which
                    # is almost never what was meant
                    msg += (" The response holds proportions but no weights were given, so each row "
                            "counts as a single trial: give weights= the number of trials, or write "
                            "the response as cbind(successes, failures)")
                warnings.warn(msg, RuntimeWarning, stacklevel=4)
            return y, weights, n, (weights * y + 0.5) / (weights + 1.0)
        if kind in ("poisson", "negative.binomial"):
            if np.any(y < 0):
                what = "'Poisson'" if kind == "poisson" else "negative binomial"
                raise DataError(f"negative values not allowed for the {what} family: the response must be counts "
                                ">= 0")
            if np.any(np.abs(y - np.rint(y)) > 1e-7 * np.maximum(1.0, np.abs(y))):
                bad = y[np.abs(y - np.rint(y)) > 1e-7 * np.maximum(1.0, np.abs(y))][0]
                warnings.warn(f"non-integer x = {bad:g}: the {kind} family is for counts, and its likelihood "
                              "is not defined for non-integer values (R warns the same)", RuntimeWarning,
                              stacklevel=4)
            mustart = y + 0.1 if kind == "poisson" else y + (y == 0) / 6.0
            return y, weights, n, mustart
        if kind == "Gamma":
            if np.any(y <= 0):
                raise DataError("non-positive values not allowed for the 'Gamma' family: the response must be > 0")
            return y, weights, n, y.copy()
        if kind == "inverse.gaussian":
            if np.any(y <= 0):
                raise DataError("positive values only are allowed for the 'inverse.gaussian' family")
            return y, weights, n, y.copy()
        if (self.link.name == "inverse" and np.any(y == 0)) or (self.link.name == "log" and np.any(y <= 0)):
            raise DataError("cannot find valid starting values: the gaussian family with a "
                            f"{self.link.name} link needs y {'!= 0' if self.link.name == 'inverse' else '> 0'}")
        return y, weights, n, y.copy()


def _make(family: str, link: str, allowed: tuple[str, ...], theta: float | None = None) -> Family:
    if link not in allowed:
        raise ModelSpecificationError(f"link {link!r} not available for the {family} family; available links are "
                                      + ", ".join(repr(a) for a in allowed))
    return Family(family, make_link(link), allowed, theta)


def binomial(link: str = "logit") -> Family:
    """The binomial family (links: logit, probit, cauchit, log, cloglog)."""
    return _make("binomial", link, ("logit", "probit", "cauchit", "log", "cloglog"))


def poisson(link: str = "log") -> Family:
    """The Poisson family (links: log, identity, sqrt)."""
    return _make("poisson", link, ("log", "identity", "sqrt"))


def Gamma(link: str = "inverse") -> Family:  # noqa: N802 (R's name)
    """The Gamma family (links: inverse, identity, log)."""
    return _make("Gamma", link, ("inverse", "identity", "log"))


def inverse_gaussian(link: str = "1/mu^2") -> Family:
    """The inverse Gaussian family (links: 1/mu^2, inverse, identity, log)."""
    return _make("inverse.gaussian", link, ("1/mu^2", "inverse", "identity", "log"))


def gaussian(link: str = "identity") -> Family:
    """The Gaussian family; glmer needs a non-identity link (identity is :func:`mixedlab.lmer`)."""
    return _make("gaussian", link, ("identity", "log", "inverse"))


def negative_binomial(theta: float, link: str = "log") -> Family:
    """MASS's ``negative.binomial(theta)``: variance μ + μ²/θ (links: log, sqrt, identity)."""
    theta = float(theta)
    if not np.isfinite(theta) or theta <= 0:
        raise ModelSpecificationError(f"negative binomial theta must be a positive number, not {theta!r}")
    return _make(f"Negative Binomial({_r_format4(theta)})", link, ("log", "sqrt", "identity"), theta)


def _r_format4(x: float) -> str:
    """``format(round(x, 4))`` with R's 7 significant digits (MASS's family name)."""
    r = round(x, 4)
    s = f"{r:.7g}"
    return s


_CONSTRUCTORS = {"binomial": binomial, "poisson": poisson, "Gamma": Gamma, "inverse.gaussian": inverse_gaussian,
                 "gaussian": gaussian, "inverse_gaussian": inverse_gaussian}


def resolve_family(family: "str | Family") -> Family:
    """A :class:`Family` from an R-style name ("binomial", "Gamma", ...) or a Family itself."""
    if isinstance(family, Family):
        return family
    if isinstance(family, str):
        if "(" in family:
            return from_r(family)
        try:
            return _CONSTRUCTORS[family]()
        except KeyError:
            if family.lower().startswith("quasi"):
                raise ModelSpecificationError(
                    f"family {family!r}: quasi-families have no likelihood, so glmer cannot fit them (as in "
                    "lme4); use binomial or poisson, or glmmTMB-style families for overdispersion") from None
            raise ModelSpecificationError(
                f"unknown family {family!r}; use one of {', '.join(repr(k) for k in _CONSTRUCTORS if '_' not in k)} "
                "or an object from mixedlab.families (e.g. families.binomial(link='probit'))") from None
    raise TypeError(f"family must be a string or a mixedlab.families object, not {type(family).__name__}")


_R_FAMILY = re.compile(r"^\s*([A-Za-z_.]+)\s*(?:\(\s*(?:link\s*=\s*)?(?:[\"']([^\"']+)[\"'])?\s*\))?\s*$")


def from_r(text: str) -> Family:
    """The family an R expression names: ``'binomial(link = "probit")'``, ``"poisson"``, ``'Gamma(link = "log")'``."""
    m = _R_FAMILY.match(text)
    if not m or m.group(1) not in _CONSTRUCTORS:
        raise ModelSpecificationError(f"cannot read the R family expression {text!r}")
    ctor = _CONSTRUCTORS[m.group(1)]
    return ctor(m.group(2)) if m.group(2) else ctor()
