"""Data for the benchmark cases: one pandas frame per case, shared by every engine.

Every engine fits the *same* frame: lme4 and glmmTMB receive it converted to an R
data.frame once (see :mod:`mixedlab.bench._r`), statsmodels and mixedlab receive
it as is. Where the data come from does not change the comparison, only the
provenance recorded in the JSON report:

* lme4's datasets (sleepstudy, Penicillin, Pastes, InstEval) come from
  :mod:`mixedlab.datasets` when that module provides them, else from R through rpy2;
* the tutorial's nested and crossed simulations come from
  ``mixedlab.datasets.simulate_nested()/simulate_crossed()`` when available, else
  from the tutorial's own R code run with ``set.seed(123)``;
* the one-million-row crossed model is generated here with numpy
  (:func:`simulate_large`), deterministically from a fixed seed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from mixedlab.datasets._tutorial_r import tutorial_r_code

__all__ = ["LoadedData", "load_lme4_dataset", "load_tutorial_simulation", "load_explorer_data", "load_counts_explorer_data",
           "load_corpus_dataset", "simulate_large", "simulate_factor_slope", "LARGE_SEED", "FACTOR_SLOPE_SEED"]

#: Seed of :func:`simulate_large` (numpy PCG64); changing it changes the benchmark.
LARGE_SEED = 20240611
#: Seed of :func:`simulate_factor_slope`.
FACTOR_SLOPE_SEED = 1


@dataclass(frozen=True)
class LoadedData:
    """A benchmark data frame and a note saying where it came from."""

    frame: pd.DataFrame
    source: str


def _from_mixedlab(function: str) -> pd.DataFrame | None:
    """Return ``mixedlab.datasets.<function>()``, or None when it is missing or fails.

    The datasets module is optional to the benchmark (it is developed alongside);
    any failure there means falling back to R, never aborting the benchmark.
    """
    try:
        module = importlib.import_module("mixedlab.datasets")
        loader: Callable[[], pd.DataFrame] | None = getattr(module, function, None)
        return None if loader is None else loader()
    except Exception:  # a half-written datasets module must not stop the benchmark
        return None


def _r_to_pandas(r_code: str) -> pd.DataFrame:
    """Evaluate ``r_code`` in R (it must return a data.frame) and convert it to pandas.

    R factors become pandas Categoricals with R's level order, so the fixed-effect
    and random-effect level order is the one lme4 sees.
    """
    import rpy2.robjects as ro
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    frame = ro.r(r_code)
    with localconverter(ro.default_converter + pandas2ri.converter) as cv:
        df = cv.rpy2py(frame)
    df = pd.DataFrame(df).reset_index(drop=True)
    return df


def load_lme4_dataset(name: str, mixedlab_function: str) -> LoadedData:
    """Load one of lme4's example datasets.

    Parameters
    ----------
    name
        The dataset's name in lme4 (``"sleepstudy"``, ``"Penicillin"``, ...).
    mixedlab_function
        The name of the equivalent loader in :mod:`mixedlab.datasets`, preferred when present.
    """
    df = _from_mixedlab(mixedlab_function)
    if df is not None:
        return LoadedData(df, f"mixedlab.datasets.{mixedlab_function}()")
    pkg = "glmmTMB" if name == "Salamanders" else "lme4"
    return LoadedData(_r_to_pandas(f"as.data.frame({pkg}::{name})"), f"R {pkg}::{name} via rpy2")


def load_corpus_dataset(name: str) -> LoadedData:
    """A simulated dataset of the parity corpus (``mixedlab/data/corpus/<name>.csv``).

    The JSON beside the CSV gives each factor's level order.
    """
    import json
    from importlib import resources

    base = resources.files("mixedlab").joinpath("data", "corpus")
    meta = json.loads(base.joinpath(f"{name}.json").read_text("utf-8"))
    factors = [c for c, m in meta["columns"].items() if m["type"] == "factor"]
    with resources.as_file(base.joinpath(f"{name}.csv")) as path:
        df = pd.read_csv(path, dtype={c: str for c in factors})
    for c in factors:
        df[c] = pd.Categorical(df[c], categories=meta["columns"][c]["levels"])
    return LoadedData(df, f"mixedlab/data/corpus/{name}.csv")


def load_tutorial_simulation(which: str) -> LoadedData:
    """Load the tutorial's simulated ``"nested"`` or ``"crossed"`` data (set.seed(123))."""
    if which not in ("nested", "crossed"):
        raise ValueError(f"unknown tutorial simulation {which!r}; use 'nested' or 'crossed'")
    df = _from_mixedlab(f"simulate_{which}")
    if df is not None:
        return LoadedData(df, f"mixedlab.datasets.simulate_{which}()")
    code = f"local({{\n{tutorial_r_code(which)}df_{which}\n}})"
    return LoadedData(_r_to_pandas(code), f"tutorial R code, set.seed(123), via rpy2 ({which})")


def load_explorer_data() -> LoadedData:
    """Lesson 4's explorer data at its starting settings (20 groups x 10, seed 123)."""
    from mixedlab.datasets import simulate_pooling

    data, _truth = simulate_pooling()
    return LoadedData(data, "mixedlab.datasets.simulate_pooling() (lesson 4's explorer, default sliders)")


def load_counts_explorer_data() -> LoadedData:
    """Lesson 10's counts explorer data at its starting settings (20 groups x 10, seed 2024)."""
    from mixedlab.datasets import simulate_counts

    return LoadedData(simulate_counts(), "mixedlab.datasets.simulate_counts() (lesson 10's explorer, default sliders)")


def simulate_large(
    n: int = 1_000_000, n_g1: int = 10_000, n_g2: int = 500, seed: int = LARGE_SEED
) -> LoadedData:
    """Simulate the large crossed model ``y ~ x + (1 + x | g1) + (1 | g2)``.

    Generator (numpy ``default_rng(seed)``, PCG64), in this order:

    1. ``g1`` uniform on ``n_g1`` levels and ``g2`` uniform on ``n_g2`` levels, per row;
    2. ``x ~ N(0, 1)`` per row;
    3. per ``g1`` level, ``(b0, b1)`` bivariate normal with sds 1.0 and 0.5 and
       correlation 0.3; per ``g2`` level, ``c ~ N(0, 0.7²)``;
    4. ``y = 1 + 0.5 x + b0[g1] + b1[g1] x + c[g2] + ε``, ``ε ~ N(0, 1)``.

    Levels are zero-padded strings (``"g1_00042"``) in a pandas Categorical, so their
    sorted order is the same in pandas and R.
    """
    rng = np.random.default_rng(seed)
    g1 = rng.integers(0, n_g1, size=n)
    g2 = rng.integers(0, n_g2, size=n)
    x = rng.standard_normal(n)
    sd0, sd1, rho = 1.0, 0.5, 0.3
    cov = np.array([[sd0**2, rho * sd0 * sd1], [rho * sd0 * sd1, sd1**2]])
    b = rng.multivariate_normal(np.zeros(2), cov, size=n_g1)
    c = rng.normal(0.0, 0.7, size=n_g2)
    y = 1.0 + 0.5 * x + b[g1, 0] + b[g1, 1] * x + c[g2] + rng.standard_normal(n)
    w1, w2 = len(str(n_g1 - 1)), len(str(n_g2 - 1))
    levels1 = [f"g1_{i:0{w1}d}" for i in range(n_g1)]
    levels2 = [f"g2_{i:0{w2}d}" for i in range(n_g2)]
    frame = pd.DataFrame(
        {
            "y": y,
            "x": x,
            "g1": pd.Categorical.from_codes(g1, categories=levels1),
            "g2": pd.Categorical.from_codes(g2, categories=levels2),
        }
    )
    return LoadedData(frame, f"mixedlab.bench simulate_large(n={n}, n_g1={n_g1}, n_g2={n_g2}, seed={seed})")


def simulate_factor_slope(seed: int = FACTOR_SLOPE_SEED) -> LoadedData:
    """Simulate ``y ~ f + (f | g1) + (1 | g2)``: a 3-level factor slope, 30 x 20 crossed (issue 18).

    Every (g1, g2) cell holds one row (600 rows); ``f`` is level ``(i + j) mod 3`` of cell
    (i, j), so each g1 level sees every f level 6-7 times. Generator (numpy
    ``default_rng(seed)``), in this order: per g1 level the three coefficients (intercept,
    f1, f2 in treatment coding) normal with covariance [[1, .3, -.2], [.3, .64, .1],
    [-.2, .1, .36]]; per g2 level ``c ~ N(0, 0.7²)``; ``y = 1 + (0, .5, -.3)[f] + b·[1, f1, f2]
    + c[g2] + N(0, 1)``. The fit is not singular (θ well inside its bounds).
    """
    rng = np.random.default_rng(seed)
    g1, g2 = np.meshgrid(np.arange(30), np.arange(20), indexing="ij")
    g1, g2 = g1.ravel(), g2.ravel()
    f = (g1 + g2) % 3
    cov = np.array([[1.0, 0.3, -0.2], [0.3, 0.64, 0.1], [-0.2, 0.1, 0.36]])
    b = rng.multivariate_normal(np.zeros(3), cov, size=30)
    c = rng.normal(0.0, 0.7, 20)
    slope = np.where(f > 0, b[g1, np.maximum(f, 1)], 0.0)
    y = 1.0 + np.array([0.0, 0.5, -0.3])[f] + b[g1, 0] + slope + c[g2] + rng.normal(0.0, 1.0, g1.size)
    frame = pd.DataFrame({
        "y": y,
        "f": pd.Categorical.from_codes(f, categories=["f0", "f1", "f2"]),
        "g1": pd.Categorical.from_codes(g1, categories=[f"a{i:02d}" for i in range(30)]),
        "g2": pd.Categorical.from_codes(g2, categories=[f"b{i:02d}" for i in range(20)]),
    })
    return LoadedData(frame, f"mixedlab.bench simulate_factor_slope(seed={seed})")
