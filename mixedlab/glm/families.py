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
