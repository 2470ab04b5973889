"""The GLM engine: glmer's families, PIRLS, Laplace and AGQ deviances, and its optimisers.

One concern per module, in pipeline order:

* :mod:`~mixedlab.glm._links` — link functions with lme4's clamping;
* :mod:`~mixedlab.glm._families` — variance, deviance residuals, aic, initialize (public as
  :mod:`mixedlab.glm.families`);
* :mod:`~mixedlab.glm._response` — the response module: μ, Fisher weights, working response;
* :mod:`~mixedlab.glm._pirls` — PIRLS on the linear engine's blocked factorization;
* :mod:`~mixedlab.glm._laplace` — the stage-1 and stage-2 Laplace deviance functions;
* :mod:`~mixedlab.glm._agq` — adaptive Gauss–Hermite quadrature (one scalar term);
* :mod:`~mixedlab.glm._bobyqa`, :mod:`~mixedlab.glm._nelder_mead` — glmer's two optimisers;
* :mod:`~mixedlab.glm._optimize` — the two stages, boundary check, deriv12 and checks;
* :mod:`~mixedlab.glm._nb` — glmer.nb's search over the negative binomial θ.
"""

from __future__ import annotations

from mixedlab.glm import families
from mixedlab.glm._families import Family, resolve_family
from mixedlab.glm._laplace import GlmerModel, Stage1Devfun, Stage2Devfun
from mixedlab.glm._optimize import GlmerOptResult, optimize_glmer
from mixedlab.glm._pirls import PIRLSError

__all__ = ["families", "Family", "resolve_family", "GlmerModel", "Stage1Devfun", "Stage2Devfun",
           "GlmerOptResult", "optimize_glmer", "PIRLSError"]
