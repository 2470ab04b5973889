"""glmmTMB's models natively: families with dispersion, zero inflation, hurdles.

Stages, each a module (glmmTMB 1.1.5 / TMB 1.9.2):

* :mod:`~mixedlab.tmb._jet` — exact derivatives of per-observation log-densities
  (truncated Taylor arithmetic, orders 2 and 3);
* :mod:`~mixedlab.tmb._links`, :mod:`~mixedlab.tmb._families` — glmmTMB's families and
  robust log-densities, zero inflation and truncation;
* :mod:`~mixedlab.tmb._covstruct`, :mod:`~mixedlab.tmb._random` — the random-effect terms
  (log-SD and UNSTRUCTURED_CORR parameters; u = Λ⁻¹b) and A = ZΛ;
* :mod:`~mixedlab.tmb._hessian` — the Laplace Hessian, its blocked Cholesky factor and
  selected inverse;
* :mod:`~mixedlab.tmb._laplace` — the Laplace objective, its inner Newton solve and
  analytic gradient;
* :mod:`~mixedlab.tmb._optimize` — the outer optimiser, ``optimHess`` and glmmTMB's checks;
* :mod:`~mixedlab.tmb._model` — formulas and data to arrays (``mkTMBStruc``).
"""

from __future__ import annotations

from mixedlab.tmb._families import FAMILIES, TmbFamily, get_family
from mixedlab.tmb._laplace import LaplaceObjective, TmbData
from mixedlab.tmb._model import TmbModel, build_tmb_model
from mixedlab.tmb._optimize import TmbControl, TmbOptResult, optimize_tmb

__all__ = ["FAMILIES", "TmbFamily", "get_family", "LaplaceObjective", "TmbData", "TmbModel",
           "build_tmb_model", "TmbControl", "TmbOptResult", "optimize_tmb"]
