"""The lessons' simulated data sets by name, each at its default settings.

The parity corpus names these ``"mixedlab:<name>"`` (:mod:`mixedlab.parity._corpus`): the
data are drawn from R's random stream, so R fits exactly the same numbers.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from mixedlab.datasets._binary import simulate_pass_fail

__all__ = ["SIMULATED_DATASETS", "simulated_dataset"]

#: name -> function drawing the data set at its defaults
SIMULATED_DATASETS: dict[str, Callable[[], pd.DataFrame]] = {
    "pass_fail": simulate_pass_fail,
}


def simulated_dataset(name: str) -> pd.DataFrame:
    """The simulated data set called ``name`` (a key of :data:`SIMULATED_DATASETS`)."""
    try:
        make = SIMULATED_DATASETS[name]
    except KeyError:
        raise KeyError(f"no simulated data set {name!r}; they are: {', '.join(SIMULATED_DATASETS)}") from None
    return make()
