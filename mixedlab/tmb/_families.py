"""glmmTMB 1.1.5's families: names, links, dispersion, support, and log-densities as jets.

Each family's conditional log-density ℓ(y | η_cond, η_disp, ψ) is written in the jet
arithmetic of :mod:`._jet` following ``src/glmmTMB.cpp``'s observation loop (the robust
forms: ``dbinom_robust`` on the logit scale, ``dnbinom_robust`` from log μ and
log(var − μ), ``logspace_add``/``logspace_sub``). Zero inflation and truncation are added
by :func:`observation_loglik`, as the same loop does:

* truncated families subtract ``log_nzprob`` = log P(y > 0) (``calc_log_nzprob``);
* with a zero-inflation predictor η_zi (p = plogis(η_zi)) a zero has log-likelihood
  ``logspace_add(log p, log(1 − p) + ℓ)`` and a positive count ``ℓ + log(1 − p)``;
  for truncated families (hurdle models) ``ℓ`` is −∞ at y < 0.001, for Gamma and beta
  at y = 0, so such zeros come from p alone.

Variables of the jets: :data:`C` (η_cond), :data:`Z` (η_zi), :data:`D` (η_disp = log φ),
:data:`P` (ψ, the Tweedie power parameter, p = 1 + plogis(ψ)).

Dispersion parameterisations (1.1.5, ``R/VarCorr.R: sigma.glmmTMB``): gaussian
φ = σ² (``sigma = exp(betad/2)``); Gamma φ = shape (``sigma = exp(−betad/2)``, the CV);
nbinom2 φ = θ (var = μ(1 + μ/θ)); nbinom1 φ (var = μ(1 + φ)); beta and betabinomial φ
the precision; tweedie var = φ μ^p; genpois var = μ φ.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy import special

from mixedlab._errors import DataError, ModelSpecificationError
from mixedlab.tmb._jet import Jet
from mixedlab.tmb._links import Link, get_link
from mixedlab.tmb._tweedie import tweedie_logw

__all__ = ["C", "Z", "D", "P", "TmbFamily", "FAMILIES", "get_family", "observation_loglik"]

C, Z, D, P = 0, 1, 2, 3
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class TmbFamily:
    """One glmmTMB family with its link.

    Attributes
    ----------
    name : str
        glmmTMB's ``family$family`` (``"beta"`` for ``beta_family()``), shown in summaries.
    spelling : str
        How the family is called in glmmTMB (``"beta_family"``).
    link : Link
    code : int
        glmmTMB's ``.valid_family`` code.
    uses_dispersion : bool
        Has a dispersion parameter (``usesDispersion``): a ``dispformula`` applies.
    n_psi : int
        Extra family parameters ψ (1 for tweedie's power).
    truncated : bool
        Zero-truncated count family (hurdle with a ziformula).
    """

    name: str
    spelling: str
    link: Link
    code: int
    uses_dispersion: bool
    n_psi: int = 0
    truncated: bool = False
    binomial_type: bool = False

    # ---------------------------------------------------------------- labels
    def sigma(self, betad: float) -> float:
        """glmmTMB 1.1.5's ``sigma()`` from the dispersion intercept on its log scale."""
        if not self.uses_dispersion:
            return 1.0
        if self.name == "gaussian":
            return math.exp(0.5 * betad)
        if self.name == "Gamma":
            return math.exp(-0.5 * betad)
        return math.exp(betad)

    def dispersion_line(self, sigma: float) -> str:
        """The summary's dispersion line (``printDispersion``, 3 significant digits)."""
        from_r = _formatc3
        if self.name in ("gaussian", "Gamma", "t"):
            return (f"Dispersion estimate for {self.name} family (sigma^2): "
                    f"{from_r(sigma ** 2)} ")
        return f"Dispersion parameter for {self.name} family (): {from_r(sigma)} "

    # ---------------------------------------------------------------- data checks
    def check_response(self, y: np.ndarray, size: np.ndarray | None, zi: bool) -> None:
        """glmmTMB's ``family$initialize`` checks, with the fix in the message."""
        nm = self.spelling
        if self.binomial_type:
            if np.any(y < 0) or (size is not None and np.any(y > size)):
                raise DataError(
                    f"the response of the {nm} family must be counts of successes between 0 "
                    "and the number of trials (cbind(successes, failures)), proportions "
                    "between 0 and 1 with weights = trials, or 0/1 values")
            return
        if self.name in ("poisson", "nbinom1", "nbinom2", "genpois", "truncated_poisson",
                         "truncated_nbinom1", "truncated_nbinom2"):
            if np.any(y < 0):
                k = int(np.sum(y < 0))
                raise DataError(
                    f"negative values not allowed for the {nm} family ({k} negative "
                    f"response value{'s' if k > 1 else ''}): counts must be >= 0")
            if np.any(y != np.floor(y)):
                k = int(np.sum(y != np.floor(y)))
                raise DataError(
                    f"the {nm} family models counts, but {k} response value"
                    f"{'s are' if k > 1 else ' is'} not a whole number")
            if self.truncated and not zi and np.any(y < 1):
                k = int(np.sum(y < 1))
                raise DataError(
                    f"the zero-truncated family {nm} cannot fit zeros, but the response has "
                    f"{k} zero{'s' if k > 1 else ''}: add ziformula=\"~1\" for a hurdle model, "
                    f"or use the untruncated family")
            return
        if self.name == "beta":
            if zi:
                if np.any((y < 0) | (y >= 1)):
                    raise DataError("y values must be 0 <= y < 1 for beta_family with "
                                    "zero-inflation: rescale the response into [0, 1)")
            elif np.any((y <= 0) | (y >= 1)):
                raise DataError(
                    "y values must be 0 < y < 1 for beta_family: exact 0s or 1s have zero "
                    "density (transform the response, e.g. (y*(n-1)+0.5)/n, or model the zeros "
                    "with ziformula)")
            return
        if self.name == "Gamma":
            if zi:
                if np.any(y < 0):
                    raise DataError("negative values not allowed for the Gamma family with "
                                    "zero-inflation")
            elif np.any(y <= 0):
                raise DataError(
                    "non-positive values not allowed for the Gamma family: the response must "
                    "be > 0 (model exact zeros with ziformula)")
            return
        if self.name == "tweedie":
            if np.any(y < 0):
                raise DataError("negative values not allowed for the tweedie family: the "
                                "response must be >= 0")
            return

    # ---------------------------------------------------------------- log-density
    def prepare(self, y: np.ndarray, size: np.ndarray | None) -> dict[str, Any]:
        """Constants of the log-density that do not depend on the parameters."""
        k: dict[str, Any] = {"y": y, "zero": y == 0}
        # zt_lik_nearzero (counts) and zt_lik_zero (Gamma, beta): the family part is −∞
        k["struct_zero"] = (y < 0.001) if self.truncated else (y == 0)
        nm = self.name
        if nm in ("poisson", "truncated_poisson", "nbinom1", "nbinom2", "truncated_nbinom1",
                  "truncated_nbinom2", "genpois"):
            k["lgy1"] = special.gammaln(y + 1.0)
        if self.binomial_type:
            k["size"] = size
            k["lchoose"] = np.where(
                size > 1, special.gammaln(size + 1.0) - special.gammaln(y + 1.0)
                - special.gammaln(size - y + 1.0), 0.0)
            if nm == "betabinomial":
                k["lchoose"] = (special.gammaln(size + 1.0) - special.gammaln(y + 1.0)
                                - special.gammaln(size - y + 1.0))
        if nm in ("Gamma", "beta"):
            with np.errstate(divide="ignore"):
                k["logy"] = np.log(y)
        if nm == "beta":
            with np.errstate(divide="ignore"):
                k["log1my"] = np.log1p(-y)
        if nm == "tweedie":
            k["pos"] = y > 0
            with np.errstate(divide="ignore"):
                k["logy"] = np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), 0.0)
        return k

    def loglik(self, k: dict, c: Jet, d: Jet | None, psi: Jet | None) -> Jet:
        """The conditional log-density ℓ(y | η_cond, η_disp, ψ) (no zero inflation)."""
        fast = _CLOSED.get((self.name, self.link.name))
        if fast is not None and _plain_vars(c, d):
            return _closed_jet(c.space, fast(k, c.value, None if d is None else d.value))
        return _LOGLIK[self.name](self, k, c, d, psi)

    def log_nzprob(self, k: dict, c: Jet, d: Jet | None) -> Jet:
        """log P(y > 0) of the untruncated distribution (``calc_log_nzprob``)."""
        lm = self.link.log_mu(c)
        if self.name == "truncated_poisson":
            return lm.exp().log1mexp()
        if self.name == "truncated_nbinom2":
            s3 = (lm - d).softplus()  # log(1 + μ/θ)
            return (d.exp() * s3).log1mexp()
        if self.name == "truncated_nbinom1":
            s3 = d.softplus()  # log(1 + φ)
            return ((lm - d).exp() * s3).log1mexp()
        raise AssertionError(self.name)

    def positive_support(self) -> bool:
        """Gamma and beta: an exact zero has density 0 (``zt_lik_zero``)."""
        return self.name in ("Gamma", "beta")


def _formatc3(x: float) -> str:
    """R's ``formatC(x, digits = 3)``: C's ``%4.3g`` (R pads to digits + 1 characters:
    ``formatC(655, digits = 3)`` is " 655", ``formatC(0.1, digits = 3)`` " 0.1")."""
    return f"{x:4.3g}"


# ------------------------------------------------------------------------ log-densities


def _gaussian(f: TmbFamily, k, c, d, psi):
    mu = f.link.mu(c)
    r = mu - k["y"]
    return -_LOG_SQRT_2PI - 0.5 * d - 0.5 * (r * r) * (-d).exp()


def _poisson(f: TmbFamily, k, c, d, psi):
    lm = f.link.log_mu(c)
    return k["y"] * lm - lm.exp() - k["lgy1"]


def _binomial(f: TmbFamily, k, c, d, psi):
    # dbinom_robust(y, size, logit p): y log p + (n − y) log(1 − p) + lchoose if n > 1
    y, n = k["y"], k["size"]
    return y * f.link.log_mu(c) + (n - y) * f.link.log1m_mu(c) + k["lchoose"]


def _dnbinom_robust(k, lm: Jet, lv: Jet, n: Jet) -> Jet:
    """TMB's ``dnbinom_robust(y, log μ, log(var − μ))``; ``n`` = exp(2 log μ − log(var − μ)),
    passed in so that its structure (θ alone for nbinom2) is known to the jets."""
    y = k["y"]
    lvar = lm + (lv - lm).softplus()
    logp = lm - lvar
    log1mp = lv - lvar
    return (y + n).lgamma() - n.lgamma() - k["lgy1"] + n * logp + y * log1mp


def _nbinom2(f: TmbFamily, k, c, d, psi):
    lm = f.link.log_mu(c)
    return _dnbinom_robust(k, lm, 2.0 * lm - d, d.exp())


def _nbinom1(f: TmbFamily, k, c, d, psi):
    lm = f.link.log_mu(c)
    return _dnbinom_robust(k, lm, lm + d, (lm - d).exp())


def _gamma(f: TmbFamily, k, c, d, psi):
    # dgamma(y, shape = φ, scale = μ/φ)
    shape = d.exp()
    lm = f.link.log_mu(c)
    y, logy = k["y"], k["logy"]
    return -shape.lgamma() + (shape - 1.0) * logy - y * shape * (-lm).exp() - shape * (lm - d)


def _beta(f: TmbFamily, k, c, d, psi):
    # dbeta(y, μφ, (1 − μ)φ) (Ferrari & Cribari-Neto)
    s1 = (f.link.log_mu(c) + d).exp()
    s2 = (f.link.log1m_mu(c) + d).exp()
    return (d.exp().lgamma() - s1.lgamma() - s2.lgamma()
            + (s1 - 1.0) * k["logy"] + (s2 - 1.0) * k["log1my"])


def _betabinomial(f: TmbFamily, k, c, d, psi):
    # dbetabinom_robust(y, log(μφ), log((1 − μ)φ), n), μ through logit μ
    s3 = f.link.logit_mu(c)
    a = (d - (-s3).softplus()).exp()
    b = (d - s3.softplus()).exp()
    y, n = k["y"], k["size"]
    return (k["lchoose"] + (y + a).lgamma() - a.lgamma() + (n - y + b).lgamma() - b.lgamma()
            - (n + d.exp()).lgamma() + d.exp().lgamma())


def _tweedie(f: TmbFamily, k, c, d, psi):
    # dtweedie(y, μ, φ, p), p = 1 + plogis(ψ): log P(0) = −μ^{2−p}/(φ(2−p)); for y > 0 add
    # log W(y, φ, p) − y/(φ (p−1) μ^{p−1}) − log y
    lm = f.link.log_mu(c)
    sig = (-(-psi).softplus()).exp()  # plogis(ψ) = p − 1
    p2 = 1.0 - sig  # 2 − p
    ans = -(p2 * lm - d).exp() / p2
    pos = k["pos"]
    y = k["y"]
    ypos = y[pos]
    dval = np.broadcast_to(d.value, y.shape)
    pval = 1.0 + float(np.asarray(sig.value))
    logw, dlw_dlogphi, dlw_dp = tweedie_logw(ypos, np.exp(dval[pos]), pval,
                                             order=1 if len(d.d) > 1 or len(psi.d) > 1 else 0)
    lw = np.zeros(y.shape)
    lw[pos] = logw
    wd = {(): lw}
    if (D,) in d.space.splits:
        g = np.zeros(y.shape)
        g[pos] = dlw_dlogphi
        wd[(D,)] = g
    if (P,) in d.space.splits:
        sv = float(np.asarray(sig.value))
        g = np.zeros(y.shape)
        g[pos] = dlw_dp * sv * (1.0 - sv)
        wd[(P,)] = g
    logw_jet = Jet(d.space, wd)
    tail = -(y * (-(d + (1.0 - p2) * lm)).exp()) / (1.0 - p2) - k["logy"]
    return ans + logw_jet + _mask(tail, pos)


def _mask(jet: Jet, mask: np.ndarray) -> Jet:
    """The jet where ``mask``, zero elsewhere."""
    return Jet(jet.space, {key: np.where(mask, v, 0.0) for key, v in jet.d.items()})


def _genpois(f: TmbFamily, k, c, d, psi):
    # dgenpois(y, θ = μ/√φ, λ = 1 − 1/√φ)
    lm = f.link.log_mu(c)
    log_theta = lm - 0.5 * d
    theta = log_theta.exp()
    lam = 1.0 - (-0.5 * d).exp()
    y = k["y"]
    return log_theta + (y - 1.0) * (theta + lam * y).log() - theta - lam * y - k["lgy1"]


_LOGLIK: dict[str, Callable] = {
    "gaussian": _gaussian,
    "poisson": _poisson,
    "truncated_poisson": _poisson,
    "binomial": _binomial,
    "nbinom2": _nbinom2,
    "truncated_nbinom2": _nbinom2,
    "nbinom1": _nbinom1,
    "truncated_nbinom1": _nbinom1,
    "Gamma": _gamma,
    "beta": _beta,
    "betabinomial": _betabinomial,
    "tweedie": _tweedie,
    "genpois": _genpois,
}


# ------------------------------------------------------------------------ closed forms
# For the commonest family/link pairs the derivatives of ℓ in (η_cond, η_disp) are written
# out (their jets are the test oracle): value, C, D, CC, CD, CCC, CCD. Each function
# returns a callable ``need(key) -> array`` so only the entries the space keeps are built.


def _plain_vars(c: Jet, d: Jet | None) -> bool:
    """η_cond (and η_disp) are bare variables or constants, as the engine passes them."""
    ok = set(c.d) <= {(), (C,)} and all(isinstance(v, float) for k_, v in c.d.items() if k_)
    if d is not None:
        ok = ok and set(d.d) <= {(), (D,)}
    return ok


def _closed_jet(space, table: dict) -> Jet:
    out = {}
    for key in space.keys:
        fn = table.get(key)
        if fn is not None:
            out[key] = fn()
    return Jet(space, out)


def _closed_poisson_log(k, c, d):
    y = k["y"]
    mu = np.exp(c)
    return {(): lambda: y * c - mu - k["lgy1"], (C,): lambda: y - mu,
            (C, C): lambda: -mu, (C, C, C): lambda: -mu}


def _dcached(k: dict, name: str, d: np.ndarray, make):
    """A quantity of η_disp alone, kept while the same η_disp array is passed (the inner
    Newton steps change only η_cond)."""
    hit = k.get(name)
    if hit is not None and hit[0] is d:
        return hit[1]
    val = make()
    k[name] = (d, val)
    return val


def _closed_nbinom2_log(k, c, d):
    y = k["y"]
    th = np.exp(d)
    x = c - d
    q = special.expit(x)  # μ/(μ + θ)
    sp = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))  # softplus(c − d)
    yth = y + th
    q1 = q * (1.0 - q)

    def value():
        # lgamma(y+θ) − lgamma(θ) − lgamma(y+1) − θ log(1 + μ/θ) − y log(1 + θ/μ)
        lg = _dcached(k, "_nb2_lgamma", d,
                      lambda: special.gammaln(yth) - special.gammaln(th) - k["lgy1"])
        return lg - th * sp - y * (sp - x)

    return {(): value, (C,): lambda: y - yth * q, (C, C): lambda: -yth * q1,
            (C, C, C): lambda: -yth * q1 * (1.0 - 2.0 * q),
            (D,): lambda: th * (special.psi(yth) - special.psi(th) - sp + q) - y * (1.0 - q),
            (C, D): lambda: -th * q + yth * q1,
            (C, C, D): lambda: -th * q1 + yth * q1 * (1.0 - 2.0 * q)}


def _closed_nbinom1_log(k, c, d):
    y = k["y"]
    m = np.exp(c - d)  # size μ/φ
    spd = np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))  # log(1 + φ)
    sgd = special.expit(d)
    ym = y + m
    cache: dict = {}

    def a(i):
        if i not in cache:
            if i == 1:
                cache[i] = special.psi(ym) - special.psi(m)
            elif i == 2:
                from mixedlab.tmb._jet import trigamma
                cache[i] = trigamma(ym) - trigamma(m)
            else:
                from mixedlab.tmb._jet import tetragamma
                cache[i] = tetragamma(ym) - tetragamma(m)
        return cache[i]

    return {(): lambda: (special.gammaln(ym) - special.gammaln(m) - k["lgy1"] - m * spd
                         + y * (d - spd)),
            (C,): lambda: m * a(1) - m * spd,
            (C, C): lambda: m * a(1) + m * m * a(2) - m * spd,
            (C, C, C): lambda: m * a(1) + 3.0 * m * m * a(2) + m ** 3 * a(3) - m * spd,
            (D,): lambda: -m * a(1) + m * spd - m * sgd + y * (1.0 - sgd),
            (C, D): lambda: -m * a(1) - m * m * a(2) + m * spd - m * sgd,
            (C, C, D): lambda: (-m * a(1) - 3.0 * m * m * a(2) - m ** 3 * a(3) + m * spd
                                - m * sgd)}


def _closed_binomial_logit(k, c, d):
    y, n = k["y"], k["size"]
    p = special.expit(c)
    p1 = p * (1.0 - p)

    def value():
        spn = np.maximum(-c, 0.0) + np.log1p(np.exp(-np.abs(c)))  # softplus(−c)
        return -y * spn - (n - y) * (spn + c) + k["lchoose"]

    return {(): value, (C,): lambda: y - n * p, (C, C): lambda: -n * p1,
            (C, C, C): lambda: -n * p1 * (1.0 - 2.0 * p)}


def _closed_gaussian_identity(k, c, d):
    r = k["y"] - c
    ed = np.exp(-d)
    return {(): lambda: -_LOG_SQRT_2PI - 0.5 * d - 0.5 * r * r * ed, (C,): lambda: r * ed,
            (C, C): lambda: -ed, (D,): lambda: -0.5 + 0.5 * r * r * ed,
            (C, D): lambda: -r * ed, (C, C, D): lambda: ed}


def _closed_gamma_log(k, c, d):
    y, logy = k["y"], k["logy"]
    a = np.exp(d)
    t = y * a * np.exp(-c)  # y·shape/μ
    return {(): lambda: -special.gammaln(a) + (a - 1.0) * logy - t - a * (c - d),
            (C,): lambda: t - a, (C, C): lambda: -t, (C, C, C): lambda: t,
            (D,): lambda: a * (-special.psi(a) + logy - y * np.exp(-c) - c + d + 1.0),
            (C, D): lambda: t - a, (C, C, D): lambda: -t}


def _closed_beta_logit(k, c, d):
    # μ = plogis(c), q = μ(1 − μ), φ = e^d, a = μφ, b = (1 − μ)φ, T = ψ(b) − ψ(a) + logit y
    from mixedlab.tmb._jet import tetragamma, trigamma

    Ly, L1y = k["logy"], k["log1my"]
    mu = special.expit(c)
    q = mu * (1.0 - mu)
    phi = np.exp(d)
    a = mu * phi
    b = (1.0 - mu) * phi
    m = 1.0 - 2.0 * mu
    fq = phi * q
    cache: dict = {}

    def get(name, fn):
        if name not in cache:
            cache[name] = fn()
        return cache[name]

    pa = lambda: get("pa", lambda: special.psi(a))  # noqa: E731
    pb = lambda: get("pb", lambda: special.psi(b))  # noqa: E731
    t1a = lambda: get("t1a", lambda: trigamma(a))  # noqa: E731
    t1b = lambda: get("t1b", lambda: trigamma(b))  # noqa: E731
    T = lambda: get("T", lambda: pb() - pa() + Ly - L1y)  # noqa: E731
    S1 = lambda: get("S1", lambda: t1a() + t1b())  # noqa: E731
    dT = lambda: get("dT", lambda: b * t1b() - a * t1a())  # noqa: E731
    return {
        (): lambda: (special.gammaln(phi) - special.gammaln(a) - special.gammaln(b)
                     + (a - 1.0) * Ly + (b - 1.0) * L1y),
        (C,): lambda: fq * T(),
        (D,): lambda: phi * special.psi(phi) - a * pa() - b * pb() + a * Ly + b * L1y,
        (C, C): lambda: fq * m * T() - fq * fq * S1(),
        (C, D): lambda: fq * (T() + dT()),
        (C, C, C): lambda: (fq * (m * m - 2.0 * q) * T() - 3.0 * fq * fq * m * S1()
                            - fq ** 3 * (tetragamma(a) - tetragamma(b))),
        (C, C, D): lambda: (fq * m * (T() + dT()) - 2.0 * fq * fq * S1()
                            - fq * fq * (tetragamma(a) * a + tetragamma(b) * b)),
    }


_CLOSED = {
    ("poisson", "log"): _closed_poisson_log,
    ("truncated_poisson", "log"): _closed_poisson_log,
    ("nbinom2", "log"): _closed_nbinom2_log,
    ("truncated_nbinom2", "log"): _closed_nbinom2_log,
    ("nbinom1", "log"): _closed_nbinom1_log,
    ("truncated_nbinom1", "log"): _closed_nbinom1_log,
    ("binomial", "logit"): _closed_binomial_logit,
    ("gaussian", "identity"): _closed_gaussian_identity,
    ("Gamma", "log"): _closed_gamma_log,
    ("beta", "logit"): _closed_beta_logit,
}


def where(mask: np.ndarray, a: Jet, b: Jet) -> Jet:
    """Element-wise choice between two jets (absent derivatives are 0)."""
    out = {}
    for key in set(a.d) | set(b.d):
        out[key] = np.where(mask, a.d.get(key, 0.0), b.d.get(key, 0.0))
    return Jet(a.space, out)


def observation_loglik(fam: TmbFamily, k: dict, c: Jet, z: Jet | None, d: Jet | None,
                       psi: Jet | None) -> Jet:
    """ℓ_i with truncation and zero inflation as ``src/glmmTMB.cpp`` adds them."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        base = fam.loglik(k, c, d, psi)
        if fam.truncated:
            base = base - fam.log_nzprob(k, c, d)
        if z is None:
            return base
        log1mp = -z.softplus()
        zero = k["zero"]
        if fam.truncated or fam.positive_support():
            # the family part is −∞ at these zeros: ℓ = log p
            struct = k["struct_zero"]
            logp = -(-z).softplus()
            at_zero = logp
            pos = base + log1mp
            out = where(struct, at_zero, pos)
            return out
        # logspace_add(log p, log(1 − p) + ℓ) = log p + softplus(ℓ − η_zi)
        logp = -(-z).softplus()
        at_zero = logp + (base - z).softplus()
        return where(zero, at_zero, base + log1mp)


# ------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class _Spec:
    name: str
    code: int
    default_link: str
    uses_dispersion: bool
    n_psi: int = 0
    truncated: bool = False
    binomial_type: bool = False


_SPECS = {
    "gaussian": _Spec("gaussian", 0, "identity", True),
    "binomial": _Spec("binomial", 100, "logit", False, binomial_type=True),
    "betabinomial": _Spec("betabinomial", 101, "logit", True, binomial_type=True),
    "beta_family": _Spec("beta", 200, "logit", True),
    "Gamma": _Spec("Gamma", 300, "inverse", True),
    "poisson": _Spec("poisson", 400, "log", False),
    "truncated_poisson": _Spec("truncated_poisson", 401, "log", False, truncated=True),
    "genpois": _Spec("genpois", 402, "log", True),
    "nbinom1": _Spec("nbinom1", 500, "log", True),
    "nbinom2": _Spec("nbinom2", 501, "log", True),
    "truncated_nbinom1": _Spec("truncated_nbinom1", 502, "log", True, truncated=True),
    "truncated_nbinom2": _Spec("truncated_nbinom2", 503, "log", True, truncated=True),
    "tweedie": _Spec("tweedie", 700, "log", True, n_psi=1),
}

#: glmmTMB spellings of the supported families.
FAMILIES = tuple(_SPECS)

_NOT_YET = {"compois", "truncated_compois", "truncated_genpois", "t_family", "ordbeta",
            "ziGamma"}


def get_family(family: Any, link: str | None = None) -> TmbFamily:
    """Resolve ``family`` (a glmmTMB name, or an object with ``family``/``link``).

    Raises
    ------
    ModelSpecificationError
        Unknown names (with the closest valid spellings) and families glmmTMB has but
        mixedlab does not fit yet.
    """
    name = family
    if not isinstance(family, str):
        name = getattr(family, "family", None) or getattr(family, "name", None)
        if link is None:
            lk = getattr(family, "link", None)
            link = getattr(lk, "name", lk)
        if not isinstance(name, str):
            raise ModelSpecificationError(
                f"family must be a name such as 'nbinom2' or a family object, not "
                f"{type(family).__name__}")
    # glmmTMB's family$family strings map back to the spelling ("beta" -> beta_family)
    aliases = {"beta": "beta_family", "Negative Binomial": "nbinom2"}
    key = aliases.get(name, name)
    if key not in _SPECS:
        if key in _NOT_YET:
            raise ModelSpecificationError(
                f"family {name!r} exists in glmmTMB but is not implemented in mixedlab yet; "
                f"available: {', '.join(FAMILIES)}")
        close = difflib.get_close_matches(key, list(_SPECS) + ["gamma"], n=3, cutoff=0.5)
        close = ["Gamma" if c == "gamma" else c for c in close]
        hint = f" Did you mean {' or '.join(repr(c) for c in dict.fromkeys(close))}?" if close else ""
        raise ModelSpecificationError(
            f"unknown family {name!r}.{hint} glmmTMB's families here are: {', '.join(FAMILIES)}")
    spec = _SPECS[key]
    lk = get_link(link or spec.default_link)
    return TmbFamily(spec.name, key, lk, spec.code, spec.uses_dispersion, spec.n_psi,
                     spec.truncated, spec.binomial_type)


# ------------------------------------------------------------------------ inner fast path
# The inner Newton steps need only ℓ, ∂ℓ/∂η_cond and ∂²ℓ/∂η_cond² (random effects in the
# conditional model only). For the closed-form families (and beta with the logit link) these
# are built directly, zero inflation composed in closed form: at a zero
# ℓ = log p + softplus(ℓ₀ − η_zi), so with s = plogis(ℓ₀ − η_zi), ℓ' = s ℓ₀',
# ℓ'' = s ℓ₀'' + s(1 − s) ℓ₀'²; elsewhere ℓ = ℓ₀ + log(1 − p).


def inner_derivatives(fam: TmbFamily, k: dict, c: np.ndarray, z: np.ndarray | None,
                      d: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(ℓ, ∂ℓ/∂η_cond, ∂²ℓ/∂η_cond²) by closed forms, or None when there is none."""
    if fam.truncated or fam.positive_support() and z is not None:
        return None
    table = _CLOSED.get((fam.name, fam.link.name))
    if table is None:
        return None
    t = table(k, c, d)
    v, lc, lcc = t[()](), t[(C,)](), t[(C, C)]()
    if z is None:
        return v, lc, lcc
    zero = k["zero"]
    x = v - z
    sp_neg = np.maximum(-z, 0.0) + np.log1p(np.exp(-np.abs(z)))  # softplus(−z) = −log p
    sp_pos = sp_neg + z  # softplus(z) = −log(1 − p)
    spx = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    s = special.expit(x)
    v = np.where(zero, -sp_neg + spx, v - sp_pos)
    lcc = np.where(zero, s * lcc + s * (1.0 - s) * lc * lc, lcc)
    lc = np.where(zero, s * lc, lc)
    return v, lc, lcc
