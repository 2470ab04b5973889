"""The R random-stream programs behind ``reference_outputs/rng/``: R code and its replay.

Each program is a call sequence run after one ``set.seed``; a step is
``(method, args, kwargs)`` of :class:`mixedlab.RRandom`, which :func:`r_call` spells as
the same R call. The generator (:mod:`mixedlab.datasets._export`) stores R's values for
every program and seed in :data:`RNG_SEEDS`; the tests replay them with
:func:`replay` and compare, stored and live.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np

from mixedlab.rng._rrandom import RRandom

__all__ = ["RNG_SEEDS", "RNG_PROGRAMS", "r_call", "r_program", "replay", "run_in_r",
           "same_steps"]

Step = tuple[str, tuple[Any, ...], dict[str, Any]]

#: Seeds covering R's integer range: both extremes, negatives, zero and typical ones.
RNG_SEEDS: tuple[int, ...] = (-2147483647, -1, 0, 1, 42, 123, 987654321, 2147483647)

Step = tuple[str, tuple[Any, ...], dict[str, Any]]

#: Call sequences run after one ``set.seed``; each step is (method, args, kwargs) of
#: :class:`RRandom`, which :func:`r_call` spells as the same R call.
RNG_PROGRAMS: dict[str, list[Step]] = {
    "runif": [("runif", (1000,), {})],
    "rnorm": [("rnorm", (1000,), {})],
    "runif_params": [("runif", (8,), {"min": [0.0, 2.0, -1.0, 3.0], "max": [1.0, 5.0]})],
    "rnorm_params": [("rnorm", (12,), {"mean": [1.0, -2.0], "sd": [0.0, 1.0, 2.5]})],
    "sample_perm": [("sample", (50,), {})],
    "sample_replace": [("sample", (100000, 300), {"replace": True})],
    "sample_bits": [
        ("sample", (65539, 40), {"replace": True}),
        ("sample", (70000, 40), {}),
        ("sample", (2, 10), {"replace": True}),
        ("sample", (1,), {}),
    ],
    "sample_elements": [("sample", (["a", "b", "c", "d", "e"],), {}),
                        ("sample", ([2.5, -1.0, 7.25], 5), {"replace": True})],
    "sample_prob_replace": [
        ("sample", (5, 30), {"replace": True, "prob": [0.1, 0.2, 0.3, 0.2, 0.2]}),
    ],
    "sample_prob_noreplace": [
        ("sample", (8, 6), {"prob": [1.0, 1.0, 2.0, 2.0, 1.0, 3.0, 0.0, 1.0]}),
    ],
    "sample_prob_walker": [
        ("sample", (300, 200), {"replace": True, "prob": [1.0, 2.0, 3.0] * 100}),
    ],
    "mixed": [
        ("runif", (3,), {}),
        ("rnorm", (5,), {"mean": 2.0, "sd": 0.5}),
        ("sample", (10,), {}),
        ("runif", (2,), {"min": -1.0, "max": 1.0}),
        ("rnorm", (4,), {}),
        ("sample", (1000, 5), {"replace": True}),
        ("rnorm", (1,), {}),
        ("runif", (3,), {"min": 2.0, "max": 2.0}),
        ("rnorm", (2,), {"sd": 0.0}),
        ("runif", (1,), {}),
    ],
    # --- count and gamma samplers (R 4.2's nmath) ---------------------------------------
    "rpois_small": [  # inversion, lambda < 10
        ("rpois", (800, 0.5), {}), ("rpois", (800, 3.7), {}), ("rpois", (400, 9.999999), {}),
        ("rpois", (5, 1e-300), {}), ("rpois", (3, 0.0), {}),
    ],
    "rpois_large": [  # normal deviates with squeeze, quotient and hat tests, lambda >= 10
        ("rpois", (800, 10.0), {}), ("rpois", (800, 27.5), {}), ("rpois", (200, 1e6), {}),
        ("rpois", (100, 1e12), {}),
    ],
    "rpois_params": [
        ("rpois", (40, [0.5, 12.0, 0.0, 9.99, 10.0, 150.0, math.nan, -1.0, math.inf]), {}),
        ("rpois", (3, []), {}),
        ("runif", (2,), {}),
    ],
    "rbinom_inversion": [  # n * min(p, 1-p) < 30
        ("rbinom", (800, 10, 0.3), {}), ("rbinom", (400, 59, 0.5), {}),
        ("rbinom", (400, 100, 0.71), {}), ("rbinom", (400, 10**7, 2e-6), {}),
        ("rbinom", (3, 0, 0.5), {}), ("rbinom", (3, 7, 0.0), {}), ("rbinom", (3, 7, 1.0), {}),
    ],
    "rbinom_btpe": [  # n * min(p, 1-p) >= 30
        ("rbinom", (800, 60, 0.5), {}), ("rbinom", (400, 100, 0.3), {}),
        ("rbinom", (400, 1000, 0.97), {}), ("rbinom", (200, 10**6, 0.3), {}),
        ("rbinom", (100, 2147483646, 0.5), {}),
    ],
    "rbinom_huge": [  # size >= 2^31 - 1: qbinom(unif_rand(), n, p, lower.tail = FALSE)
        ("rbinom", (40, 2147483647, 0.3), {}), ("rbinom", (40, 1e10, 0.5), {}),
    ],
    "rbinom_params": [
        ("rbinom", (40, [0.0, 5.0, 60.0, 2.5, -1.0, math.inf, math.nan, 1000.0],
                    [0.5, 0.2, 1.0, 0.0, math.nan, 1.5, 0.9]), {}),
        ("runif", (2,), {}),
    ],
    "rgamma": [  # GS below shape 1, GD from 1 (three constant regimes)
        ("rgamma", (200, 0.3), {}), ("rgamma", (200, 1.0), {}),
        ("rgamma", (200, 2.5), {"rate": 3.0}), ("rgamma", (150, 13.5), {"scale": 0.1}),
        ("rgamma", (100, 0.001), {}), ("rgamma", (100, 5.0), {}),
        ("rgamma", (12, [0.0, -1.0, math.nan, math.inf, 2.0]), {"scale": [1.0, 0.0, 2.0]}),
    ],
    "rnbinom": [
        ("rnbinom", (400, 2.0), {"mu": 7.0}), ("rnbinom", (400, 0.5), {"prob": 0.1}),
        ("rnbinom", (200, math.inf), {"mu": 4.0}), ("rnbinom", (200, 100.0), {"mu": 50.0}),
        ("rnbinom", (10, [1.0, 0.0, -1.0, math.nan]), {"mu": [3.0, 0.0, math.nan, math.inf, -2.0]}),
        ("rnbinom", (6, [2.0, 0.5]), {"prob": [1.0, 0.3, 0.0]}),
    ],
    "rexp": [("rexp", (600,), {}), ("rexp", (10,), {"rate": [2.0, 0.0, math.inf, -1.0, math.nan]})],
    "counts_mixed": [
        ("runif", (3,), {}), ("rpois", (7, 12.0), {}), ("rnorm", (2,), {}),
        ("rbinom", (5, 50, 0.9), {}), ("sample", (10,), {}), ("rgamma", (4, 0.7), {}),
        ("rnbinom", (6, 1.5), {"mu": 20.0}), ("rexp", (3,), {}), ("rpois", (40, 2.5), {}),
        ("rbinom", (30, [3, 40, 200], [0.2, 0.5, 0.95, 0.01]), {}), ("runif", (1,), {}),
    ],
}


def _r_literal(value: Any) -> str:
    """Spell a Python value as an R literal (scalars, lists as ``c(...)``, booleans)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return repr(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "numeric(0)"
        return "c(" + ", ".join(_r_literal(v) for v in value) + ")"
    raise TypeError(f"no R spelling for {value!r}")


def r_call(step: Step) -> str:
    """The R call equivalent to one :class:`RRandom` step, e.g. ``runif(3, min = 2)``."""
    fn, args, kwargs = step
    parts = [_r_literal(a) for a in args]
    parts += [f"{k} = {_r_literal(v)}" for k, v in kwargs.items()]
    return f"{fn}({', '.join(parts)})"


def r_program(seed: int, steps: list[Step]) -> str:
    """R code that seeds the stream and returns every step's result in a list.

    Warnings ("NAs produced" for invalid parameters) are silenced; the tests check
    them on the Python side.
    """
    return f"set.seed({seed}); suppressWarnings(list({', '.join(r_call(s) for s in steps)}))"


def replay(seed: int, steps: list[Step]) -> list[np.ndarray]:
    """Run the steps with :class:`RRandom` seeded with ``seed``; one array per step."""
    rng = RRandom(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "NAs produced", as R warns
        return [np.asarray(getattr(rng, fn)(*args, **kwargs)) for fn, args, kwargs in steps]


_NA_INTEGER = -2147483648  # how rpy2 shows R's NA_integer_ in an integer vector


def run_in_r(ro: Any, seed: int, steps: list[Step]) -> list[list[Any]]:
    """Run :func:`r_program` in R (an ``rpy2.robjects`` module); one list per step.

    Integer results (``rpois``, ``rbinom``, ``sample``) come back as Python ints, with
    R's ``NA`` as NaN.
    """
    result = ro.r(r_program(seed, steps))
    out = []
    for item in result:
        if isinstance(item, ro.vectors.IntVector):
            out.append([math.nan if v == _NA_INTEGER else int(v) for v in item])
        else:
            out.append(list(item))
    return out


def same_steps(a: list[Step], b: list[Step]) -> bool:
    """Two programs are the same (compared as JSON, so NaN parameters compare equal)."""
    def spell(steps: list[Step]) -> str:
        return json.dumps([[fn, list(args), kwargs] for fn, args, kwargs in steps])
    return spell(a) == spell(b)


