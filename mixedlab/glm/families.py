"""GLM families for :func:`mixedlab.glmer`, named as in R.

``binomial(link=)`` (logit, probit, cloglog, cauchit, log), ``poisson(link=)`` (log, sqrt,
identity), ``Gamma(link=)`` (inverse, log, identity), ``inverse_gaussian(link=)``,
``gaussian(link=)`` (non-identity links) and ``negative_binomial(theta)`` (MASS's
``negative.binomial``)::

    from mixedlab import glmer, families
    glmer("y ~ x + (1 | g)", df, family=families.binomial(link="probit"))
"""

from __future__ import annotations

from mixedlab.glm._families import (
    Family,
    Gamma,
    binomial,
    from_r,
    gaussian,
    inverse_gaussian,
    negative_binomial,
    poisson,
    resolve_family,
)

__all__ = ["Family", "binomial", "poisson", "Gamma", "inverse_gaussian", "gaussian", "negative_binomial",
           "resolve_family", "from_r"]


# ---------------------------------------------------------------------------------------
# glmmTMB's own families, for mixedlab.glmmtmb (glmer does not fit these)
# ---------------------------------------------------------------------------------------


class TmbFamilySpec:
    """A glmmTMB family and its link, as ``nbinom2(link = "log")`` names them in R.

    Only :func:`mixedlab.glmmtmb` fits these (it also takes :func:`binomial`, :func:`poisson`,
    :func:`Gamma` and :func:`gaussian` from this module). ``family`` is glmmTMB's spelling.
    """

    def __init__(self, family: str, link: str) -> None:
        self.family = family
        self.link = link

    def __repr__(self) -> str:
        return f"{self.family}(link={self.link!r})"


def nbinom1(link: str = "log") -> TmbFamilySpec:
    """glmmTMB's ``nbinom1``: variance μ(1 + φ)."""
    return TmbFamilySpec("nbinom1", link)


def nbinom2(link: str = "log") -> TmbFamilySpec:
    """glmmTMB's ``nbinom2``: variance μ(1 + μ/θ)."""
    return TmbFamilySpec("nbinom2", link)


def truncated_poisson(link: str = "log") -> TmbFamilySpec:
    """glmmTMB's zero-truncated Poisson (a hurdle model with a ziformula)."""
    return TmbFamilySpec("truncated_poisson", link)


def truncated_nbinom1(link: str = "log") -> TmbFamilySpec:
    """glmmTMB's zero-truncated nbinom1."""
    return TmbFamilySpec("truncated_nbinom1", link)


def truncated_nbinom2(link: str = "log") -> TmbFamilySpec:
    """glmmTMB's zero-truncated nbinom2."""
    return TmbFamilySpec("truncated_nbinom2", link)


def beta_family(link: str = "logit") -> TmbFamilySpec:
    """glmmTMB's ``beta_family``: mean μ, precision φ (Ferrari & Cribari-Neto)."""
    return TmbFamilySpec("beta_family", link)


def betabinomial(link: str = "logit") -> TmbFamilySpec:
    """glmmTMB's ``betabinomial``."""
    return TmbFamilySpec("betabinomial", link)


def tweedie(link: str = "log") -> TmbFamilySpec:
    """glmmTMB's ``tweedie``: variance φμ^p, 1 < p < 2 estimated."""
    return TmbFamilySpec("tweedie", link)


def genpois(link: str = "log") -> TmbFamilySpec:
    """glmmTMB's generalized Poisson: variance μφ."""
    return TmbFamilySpec("genpois", link)


__all__ += ["TmbFamilySpec", "nbinom1", "nbinom2", "truncated_poisson", "truncated_nbinom1",
            "truncated_nbinom2", "beta_family", "betabinomial", "tweedie", "genpois"]
