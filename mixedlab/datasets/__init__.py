"""Data for lessons and tests: lme4's example data sets and the seed tutorial's simulations.

* :func:`load_dataset` and one function per data set (:func:`sleepstudy`,
  :func:`penicillin`, :func:`pastes`, :func:`dyestuff`, :func:`dyestuff2`, :func:`cake`,
  :func:`insteval`, :func:`cbpp`, :func:`verbagg`, :func:`grouseticks`) return lme4's data with R's factor level order;
  :func:`salamanders` is glmmTMB's ``Salamanders``.
* :func:`simulate_nested` and :func:`simulate_crossed` rebuild the tutorial's
  simulated data frames exactly, using R's random stream (:class:`mixedlab.RRandom`).
* :func:`simulate_pooling` draws lesson 4's grouped data (correlated intercepts and slopes).
* :func:`simulate_pass_fail` draws lesson 5's pass/fail students in schools;
  :func:`pass_fail_r_code` is the R code that draws the same data.
* :func:`simulate_on_task` draws lesson 8's shares of class time on task (proportions);
  :func:`on_task_r_code` is the R code that draws the same data.
* :func:`simulated_dataset` returns a lesson's simulated data set by name, at its default
  settings (the parity corpus names them ``"mixedlab:<name>"``).
"""

from __future__ import annotations

from mixedlab.datasets._lme4 import (
    DATASET_NAMES,
    DATASET_PACKAGES,
    cake,
    cbpp,
    dyestuff,
    dyestuff2,
    grouseticks,
    insteval,
    load_dataset,
    pastes,
    penicillin,
    salamanders,
    sleepstudy,
    verbagg,
)
from mixedlab.datasets._binary import pass_fail_r_code, simulate_pass_fail
from mixedlab.datasets._pooling import simulate_pooling
from mixedlab.datasets._proportions import on_task_r_code, simulate_on_task
from mixedlab.datasets._registry import SIMULATED_DATASETS, simulated_dataset
from mixedlab.datasets._simulate import simulate_crossed, simulate_nested

__all__ = [
    "DATASET_NAMES",
    "DATASET_PACKAGES",
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
    "simulate_nested",
    "simulate_crossed",
    "simulate_pooling",
    "simulate_pass_fail",
    "pass_fail_r_code",
    "simulate_on_task",
    "on_task_r_code",
    "simulated_dataset",
    "SIMULATED_DATASETS",
]
