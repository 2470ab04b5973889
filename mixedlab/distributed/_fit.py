"""The fit of a Dask DataFrame: an :class:`LmerFit` whose row-wise outputs are lazy Dask series."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from mixedlab._arguments import check_flag
from mixedlab._errors import ArgumentError
from mixedlab.results._lmer_fit import LmerFit
from mixedlab.results._predict import predict as _predict
from mixedlab.results._ranef import term_segments

__all__ = ["DaskLmerFit"]


class _Predictor:
    """What :func:`mixedlab.results._predict.predict` reads from a fit, small enough to ship to workers."""

    def __init__(self, fit: LmerFit) -> None:
        m = fit._model
        self._model = SimpleNamespace(spec=m.spec, terms=m.terms, X=None, offset=None)
        self._solution = SimpleNamespace(beta=np.asarray(fit._solution.beta), b=np.asarray(fit._solution.b))
        self._shapes = list(fit._cp.shapes)
        self.terms = fit.terms

    def _term_segments(self, vec: np.ndarray) -> list[np.ndarray]:
        return term_segments(vec, self._shapes)


def _fitted_rows(pdf: pd.DataFrame, pred: _Predictor, cols: list[str], weights: str | None,
                 offset: str | None, what: str, sigma: float, pearson: bool) -> pd.Series:
    from mixedlab.distributed._schema import complete_rows

    ok, zero = complete_rows(pdf, cols, weights)
    sub = pdf.loc[ok & ~zero]
    if len(sub) == 0:
        return pd.Series(np.zeros(0), index=sub.index, name=what)
    eta = _predict(pred, newdata=sub, re_form=None)
    if offset is not None:
        eta = eta + sub[offset].to_numpy(dtype=float)
    if what == "fitted":
        return pd.Series(eta, index=sub.index, name=what)
    r = np.asarray(pred._model.spec.response(sub), dtype=float) - eta
    if pearson and weights is not None:
        r = r * np.sqrt(sub[weights].to_numpy(dtype=float))
    if sigma != 1.0:
        r = r / sigma
    return pd.Series(r, index=sub.index, name=what)


def _predict_rows(pdf: pd.DataFrame, pred: _Predictor, re_form: Any, allow_new_levels: bool) -> pd.Series:
    if len(pdf) == 0:
        return pd.Series(np.zeros(0), index=pdf.index, name="predict")
    return pd.Series(_predict(pred, newdata=pdf, re_form=re_form, allow_new_levels=allow_new_levels),
                     index=pdf.index, name="predict")


class DaskLmerFit(LmerFit):
    """An :class:`LmerFit` of a Dask DataFrame's rows (from ``mixedlab.lmer(formula, ddf)``).

    Every estimate is in memory; ``fitted()``, ``residuals()`` and ``predict()`` return lazy
    Dask series over the frame's partitions (one value per row used, indexed like the data).
    """

    _ddf: Any
    _row_args: dict

    def _rows(self, what: str, sigma: float = 1.0, pearson: bool = False):
        a = self._row_args
        return self._ddf.map_partitions(_fitted_rows, _Predictor(self), a["cols"], a["weights"],
                                        a["offset"], what, sigma, pearson, meta=(what, "f8"))

    def fitted(self):
        """Fitted values Xβ̂ + Zb̂ (+ offset) as a lazy Dask series (rows used in the fit)."""
        return self._rows("fitted")

    def residuals(self, type: str = "response", scaled: bool = False):
        """Residuals as a lazy Dask series: ``"response"`` or ``"pearson"``; ``scaled`` divides by σ."""
        if type not in ("response", "pearson"):
            raise ArgumentError(f"type must be 'response' or 'pearson', not {type!r}")
        scaled = check_flag(scaled, "scaled")
        return self._rows("residuals", self.sigma if scaled else 1.0, type == "pearson")

    def predict(self, newdata: Any = None, re_form: str | None = None, allow_new_levels: bool = False):
        """Predictions as lme4's ``predict.merMod``; a lazy Dask series for the fitted rows or a
        Dask ``newdata`` (a pandas ``newdata`` gives an array, as for an in-memory fit)."""
        from mixedlab.distributed._frames import is_dask_frame

        check_flag(allow_new_levels, "allow_new_levels")
        if newdata is None:
            if re_form is None:
                return self.fitted()
            newdata = self._ddf
        if not is_dask_frame(newdata):
            return _predict(_Predictor(self), newdata=newdata, re_form=re_form,
                            allow_new_levels=allow_new_levels)
        return newdata.map_partitions(_predict_rows, _Predictor(self), re_form, allow_new_levels,
                                      meta=("predict", "f8"))

    def _residual_quantiles(self) -> np.ndarray:
        """Min, quartiles and max of the scaled residuals, exactly (R's type 7), for the summary."""
        from mixedlab.distributed._quantiles import exact_quantiles

        if getattr(self, "_rq", None) is None:
            self._rq = exact_quantiles(self.residuals(type="pearson", scaled=True), self.nobs,
                                       [0.0, 0.25, 0.5, 0.75, 1.0])
        return self._rq
