"""lme4's example data sets, shipped as files exported from R.

Each data set is a CSV file in ``mixedlab/data`` (``.csv.gz`` for InstEval); the
column types and every factor's level order live in ``mixedlab/data/datasets.json``,
because a CSV cannot record that ``dept`` has R's levels "15", "5", "10", ... or that
``temperature`` is an ordered factor. Factors become :class:`pandas.Categorical`
with exactly R's levels (ordered factors become ordered Categoricals), R doubles
become float64 and R integers int64. The files are written by
``python -m mixedlab.datasets._export``; never edit them by hand.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import pandas as pd

__all__ = [
    "DATASET_NAMES",
    "load_dataset",
    "sleepstudy",
    "penicillin",
    "pastes",
    "dyestuff",
    "dyestuff2",
    "cake",
    "insteval",
    "cbpp",
    "verbagg",
    "grouseticks",
    "salamanders",
    "DATASET_PACKAGES",
]

#: lme4's names of the shipped data sets, in R's spelling.
DATASET_NAMES: tuple[str, ...] = (
    "sleepstudy", "Penicillin", "Pastes", "Dyestuff", "Dyestuff2", "cake", "InstEval",
    "cbpp", "VerbAgg", "grouseticks", "Salamanders",
)
#: The R package of each data set that is not lme4's.
DATASET_PACKAGES: dict[str, str] = {"Salamanders": "glmmTMB"}
_BY_LOWER = {name.lower(): name for name in DATASET_NAMES}


@functools.lru_cache(maxsize=1)
def _metadata() -> dict[str, Any]:
    """The column types and factor levels recorded by the export script."""
    text = resources.files("mixedlab").joinpath("data", "datasets.json").read_text("utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    """Read one data set from its file and restore R's column types (cached)."""
    meta = _metadata()["datasets"][name]
    columns = meta["columns"]
    dtypes = {col["name"]: (str if col["type"] in ("factor", "ordered") else
                            "int64" if col["type"] == "integer" else "float64")
              for col in columns}
    with resources.as_file(resources.files("mixedlab").joinpath("data", meta["file"])) as path:
        raw = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[])
    frame = {}
    for col in columns:
        values = raw[col["name"]]
        if col["type"] in ("factor", "ordered"):
            values = pd.Categorical(
                values.to_numpy(dtype=object),
                categories=col["levels"],
                ordered=col["type"] == "ordered",
            )
        frame[col["name"]] = values
    df = pd.DataFrame(frame)
    if len(df) != meta["nrow"]:
        raise RuntimeError(
            f"shipped file for {name} has {len(df)} rows, expected {meta['nrow']}; "
            "reinstall mixedlab or rerun python -m mixedlab.datasets._export"
        )
    return df


def load_dataset(name: str) -> pd.DataFrame:
    """Load one of lme4's data sets by its R name.

    Parameters
    ----------
    name : str
        lme4's name, e.g. ``"sleepstudy"``, ``"Penicillin"``, ``"InstEval"``; matching
        ignores case, so ``"penicillin"`` works too.

    Returns
    -------
    pandas.DataFrame
        A fresh copy (safe to modify), with R's column order, factors as Categoricals
        in R's level order, and a 0-based RangeIndex (R's row names 1..n).

    Raises
    ------
    KeyError
        If ``name`` is not one of :data:`DATASET_NAMES`.
    """
    if not isinstance(name, str) or name.lower() not in _BY_LOWER:
        raise KeyError(
            f"unknown data set {name!r}; available: {', '.join(DATASET_NAMES)}"
        )
    return _read(_BY_LOWER[name.lower()]).copy()


def sleepstudy() -> pd.DataFrame:
    """lme4's ``sleepstudy``: reaction times (ms) over 10 days of sleep deprivation.

    180 rows: ``Reaction`` (float), ``Days`` (float, 0-9), ``Subject`` (18 levels,
    "308", "309", ..., "372" in R's order).
    """
    return load_dataset("sleepstudy")


def penicillin() -> pd.DataFrame:
    """lme4's ``Penicillin``: inhibition-zone diameters, crossed ``plate`` (24) × ``sample`` (6)."""
    return load_dataset("Penicillin")


def pastes() -> pd.DataFrame:
    """lme4's ``Pastes``: paste ``strength`` with ``cask`` nested in ``batch`` (``sample`` = "A:a", ...)."""
    return load_dataset("Pastes")


def dyestuff() -> pd.DataFrame:
    """lme4's ``Dyestuff``: ``Yield`` of dyestuff in 6 ``Batch`` es of 5 preparations."""
    return load_dataset("Dyestuff")


def dyestuff2() -> pd.DataFrame:
    """lme4's ``Dyestuff2``: simulated ``Yield`` whose batch variance estimate is zero."""
    return load_dataset("Dyestuff2")


def cake() -> pd.DataFrame:
    """lme4's ``cake``: breakage ``angle``; ``temperature`` is an ordered factor, ``temp`` numeric."""
    return load_dataset("cake")


def insteval() -> pd.DataFrame:
    """lme4's ``InstEval``: 73,421 lecture ratings ``y`` by students ``s`` of lecturers ``d``.

    ``studage`` and ``lectage`` are ordered factors; ``dept`` keeps R's level order
    ("15", "5", "10", ...), which is not sorted.
    """
    return load_dataset("InstEval")


def cbpp() -> pd.DataFrame:
    """lme4's ``cbpp``: contagious bovine pleuropneumonia ``incidence`` out of ``size`` cattle.

    56 rows: ``herd`` (15 levels), ``incidence`` and ``size`` (integers), ``period`` (4 levels),
    the binomial GLMM example ``cbind(incidence, size - incidence) ~ period + (1 | herd)``.
    """
    return load_dataset("cbpp")


def verbagg() -> pd.DataFrame:
    """lme4's ``VerbAgg``: 7,584 verbal-aggression item responses of 316 people (``id``) on 24 ``item`` s.

    ``r2`` is the binary response (levels "N", "Y"); ``resp`` an ordered factor (no < perhaps < yes);
    ``Anger`` an integer trait score; ``Gender``, ``btype``, ``situ``, ``mode`` factors.
    """
    return load_dataset("VerbAgg")


def grouseticks() -> pd.DataFrame:
    """lme4's ``grouseticks``: ``TICKS`` counted on 403 red grouse chicks (``INDEX``) in ``BROOD`` s
    at ``LOCATION`` s over three ``YEAR`` s, with ``HEIGHT`` above sea level (and centred ``cHEIGHT``)."""
    return load_dataset("grouseticks")


def salamanders() -> pd.DataFrame:
    """glmmTMB's ``Salamanders``: salamander ``count`` s at 23 ``site`` s, mined or not.

    644 rows: ``site`` (23 levels), ``mined`` ("yes", "no"), ``cover``, ``sample`` (integer),
    ``DOP``, ``Wtemp``, ``DOY``, ``spp`` (7 species: "GP", "PR", "DM", "EC-A", "EC-L", "DES-L",
    "DF") and ``count`` (integer); glmmTMB's zero-inflation example (Price et al. 2016).
    """
    return load_dataset("Salamanders")
