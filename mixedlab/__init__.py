"""mixedlab: lme4's linear mixed models in numpy/scipy, with lessons that print R's numbers.

The public surface is what ``__all__`` lists; every other module is private.
"""


from mixedlab._errors import (
    ArgumentError,
    ConvergenceWarning,
    DataError,
    FitMessage,
    FormulaError,
    MixedLabError,
    ModelSpecificationError,
    ScaleWarning,
)
from mixedlab.diagnostics import SimulatedResiduals, simulate_residuals
from mixedlab.fitting import anova, drop1, glmer, glmer_nb, glmmtmb, isSingular, ranova
from mixedlab.fitting import lmer as _lmer_in_memory
from mixedlab._callers import caller_names as _caller_names
from mixedlab.distributed import is_dask_frame as _is_dask_frame
from mixedlab.glm import families
from mixedlab.linear import LmerControl
from mixedlab.results import GlmerFit, LmerFit, TmbFit
from mixedlab.rng import RRandom
from mixedlab import datasets

__version__ = "0.1.0"


def lmer(formula, data, REML=True, weights=None, offset=None, na_action="omit", control=None,
         data_name=None):
    if data_name is None:
        data_name = _caller_names([data], 1)[0]
    if _is_dask_frame(data):
        # the row pass on the Dask scheduler (mixedlab.distributed); Dask is imported only here
        from mixedlab.distributed import lmer_dask

        if na_action not in ("omit", "na.omit"):
            raise ArgumentError("a Dask DataFrame is fitted with na_action='omit' (rows with missing "
                                f"values are counted and dropped), not {na_action!r}")
        return lmer_dask(formula, data, REML=REML, weights=weights, offset=offset, control=control,
                         data_name=data_name)
    _data = data
    del data  # so that the in-memory lmer does not take this frame's name for the data's
    return _lmer_in_memory(formula, _data, REML=REML, weights=weights, offset=offset,
                           na_action=na_action, control=control, data_name=data_name)


lmer.__doc__ = (_lmer_in_memory.__doc__ or "") + """
    A ``dask.dataframe.DataFrame`` is fitted by ``mixedlab.distributed``: the rows are read
    in two passes on the active ``distributed.Client`` (or Dask's default scheduler) and
    only the cross-product blocks reach the client; ``weights`` and ``offset`` are then
    column names, and ``fitted()``, ``residuals()`` and ``predict()`` return lazy Dask series.
"""
lmer.__wrapped__ = _lmer_in_memory

__all__ = [
    "__version__",
    "lmer",
    "glmer",
    "glmer_nb",
    "glmmtmb",
    "TmbFit",
    "anova",
    "isSingular",
    "ranova",
    "drop1",
    "LmerFit",
    "GlmerFit",
    "families",
    "LmerControl",
    "MixedLabError",
    "FormulaError",
    "DataError",
    "ModelSpecificationError",
    "ArgumentError",
    "FitMessage",
    "ScaleWarning",
    "ConvergenceWarning",
    "RRandom",
    "simulate_residuals",
    "SimulatedResiduals",
    "datasets",
]
