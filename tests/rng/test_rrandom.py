"""RRandom against R's own stream: stored R vectors always, live R when available.

Every comparison is exact (``np.array_equal`` on float64): runif, rnorm and qnorm are
bit-identical to R 4.2.2, not merely within an ulp.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from mixedlab import RRandom
from mixedlab.datasets._export import (
    RNG_PROGRAMS,
    RNG_SEEDS,
    r_program,
    replay,
    run_in_r,
)
from mixedlab.datasets._rng_programs import same_steps
from mixedlab.rng import qnorm

RNG_DIR = Path(__file__).resolve().parents[2] / "reference_outputs" / "rng"
STORED = sorted(RNG_DIR.glob("*.json"))


def _same(python_values: np.ndarray, r_values: list) -> bool:
    """Exact equality; strings compare as strings, numbers as float64 bit patterns."""
    got = np.asarray(python_values)
    want = np.asarray(r_values)
    if got.dtype.kind in "US" or want.dtype.kind in "US":
        return got.astype(str).tolist() == want.astype(str).tolist()
    return got.shape == want.shape and np.array_equal(
        got.astype(np.float64), want.astype(np.float64), equal_nan=True
    )


# --- stored R vectors (no R needed) -----------------------------------------------------

def test_stored_reference_files_cover_every_program() -> None:
    assert {p.stem for p in STORED} == set(RNG_PROGRAMS)


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.stem)
def test_stored_vectors_record_their_origin(path: Path) -> None:
    doc = json.loads(path.read_text())
    assert doc["r_version"].startswith("R version 4.")
    assert doc["rngkind"] == ["Mersenne-Twister", "Inversion", "Rejection"]
    assert len(doc["generated"]) == 10  # ISO date
    assert [c["seed"] for c in doc["cases"]] == list(RNG_SEEDS)


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.stem)
def test_replay_matches_stored_r_vectors(path: Path) -> None:
    doc = json.loads(path.read_text())
    steps = [(fn, tuple(args), kwargs) for fn, args, kwargs in doc["steps"]]
    assert same_steps(steps, RNG_PROGRAMS[doc["program"]]), "program changed: rerun the export script"
    for case in doc["cases"]:
        got = replay(case["seed"], steps)
        for i, (g, want) in enumerate(zip(got, case["values"], strict=True)):
            assert _same(g, want), f"seed {case['seed']} step {i}: {case['r_code']}"


def test_known_r_values_from_r_documentation_runs() -> None:
    # set.seed(42); runif(3) / rnorm(1) as printed by R 4.2.2 with %.17g.
    assert RRandom(42).runif(3).tolist() == [
        0.91480604349635541, 0.93707541329786181, 0.28613953478634357]
    assert RRandom(42).rnorm(1)[0] == 1.3709584471466685


# --- stream semantics -------------------------------------------------------------------

def test_successive_calls_continue_one_stream() -> None:
    a = RRandom(7)
    pieces = np.concatenate([a.rnorm(3), a.rnorm(700), a.rnorm(1)])
    assert np.array_equal(pieces, RRandom(7).rnorm(704))
    b = RRandom(7)
    u = np.concatenate([b.runif(623), b.runif(2)])
    assert np.array_equal(u, RRandom(7).runif(625))


def test_set_seed_restarts_the_stream() -> None:
    r = RRandom(3)
    first = r.rnorm(5)
    r.runif(10)
    r.set_seed(3)
    assert np.array_equal(r.rnorm(5), first)


def test_zero_sd_and_equal_bounds_consume_no_numbers() -> None:
    r = RRandom(11)
    assert r.rnorm(3, 5.0, 0.0).tolist() == [5.0, 5.0, 5.0]
    assert r.runif(2, 1.5, 1.5).tolist() == [1.5, 1.5]
    assert np.array_equal(r.rnorm(4), RRandom(11).rnorm(4))


def test_negative_sd_gives_nan_with_warning_like_r() -> None:
    r = RRandom(5)
    with pytest.warns(RuntimeWarning, match="NAs produced"):
        out = r.rnorm(3, 0.0, -1.0)
    assert np.isnan(out).all()
    with pytest.warns(RuntimeWarning, match="NAs produced"):
        mixed = RRandom(5).rnorm(4, 0.0, [1.0, -1.0])
    assert np.isnan(mixed[1::2]).all() and np.isfinite(mixed[0::2]).all()
    assert np.array_equal(mixed[0::2], RRandom(5).rnorm(2))


@pytest.mark.parametrize("bad", [-1, -10])
def test_negative_n_is_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        RRandom(1).runif(bad)
    with pytest.raises(ValueError, match="n must be >= 0"):
        RRandom(1).rnorm(bad)


@pytest.mark.parametrize("seed", [1.5, "42", None, float("nan")])
def test_non_integer_seed_is_rejected(seed: object) -> None:
    with pytest.raises(TypeError, match="seed must be a whole number"):
        RRandom(seed)  # type: ignore[arg-type]


def test_seed_outside_r_integer_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="outside R's integer range"):
        RRandom(2**31)
    assert np.array_equal(RRandom(5.0).runif(2), RRandom(5).runif(2))  # whole floats ok


def test_sample_larger_than_population_is_rejected() -> None:
    with pytest.raises(ValueError, match="cannot take a sample larger than the population"):
        RRandom(1).sample(5, 6)
    with pytest.raises(ValueError, match="too few positive probabilities"):
        RRandom(1).sample(3, 3, prob=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="incorrect number of probabilities"):
        RRandom(1).sample(3, 2, prob=[1.0, 1.0])


def test_sample_does_not_modify_its_inputs() -> None:
    x = np.array([3.0, 1.0, 2.0])
    p = np.array([1.0, 2.0, 3.0])
    RRandom(1).sample(x, 2, prob=p)
    assert x.tolist() == [3.0, 1.0, 2.0] and p.tolist() == [1.0, 2.0, 3.0]


def test_qnorm_edges() -> None:
    out = qnorm([0.0, 1.0, 0.5, -0.1, 1.1])
    assert out[0] == -math.inf and out[1] == math.inf and out[2] == 0.0
    assert np.isnan(out[3:]).all()


# --- live R -----------------------------------------------------------------------------

EXTRA_SEEDS = (-123456789, 2, 99, 31337, 2**30)


@pytest.mark.parametrize("program", sorted(RNG_PROGRAMS))
def test_programs_match_live_r(r_session, program: str) -> None:
    steps = RNG_PROGRAMS[program]
    for seed in RNG_SEEDS + EXTRA_SEEDS:
        got = replay(seed, steps)
        want = run_in_r(r_session, seed, steps)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert _same(g, w), f"{r_program(seed, steps)} differs at step {i}"


@pytest.mark.parametrize("seed", [-1, 0, 42, 2**31 - 1])
def test_long_streams_are_bit_identical(r_session, seed: int) -> None:
    """200k normals and uniforms: every value identical (0 ulp), across many MT refills."""
    steps = [("rnorm", (200_000,), {}), ("runif", (50_000,), {})]
    got = replay(seed, steps)
    want = run_in_r(r_session, seed, steps)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, np.asarray(w)), f"seed {seed}"


def _random_program(gen: np.random.Generator) -> list:
    """A random call sequence crossing MT refill boundaries (624 words)."""
    steps = []
    for _ in range(int(gen.integers(2, 7))):
        kind = gen.integers(0, 5)
        n = int(gen.choice([0, 1, 2, 311, 312, 623, 624, 625, 1300]))
        if kind == 0:
            steps.append(("runif", (n,), {"min": -3.0, "max": float(gen.integers(1, 9))}))
        elif kind == 1:
            steps.append(("rnorm", (n,), {"mean": 1.5, "sd": float(gen.uniform(0.1, 4))}))
        elif kind == 2:
            pop = int(gen.integers(1, 5000))
            steps.append(("sample", (pop, min(pop, n)), {}))
        elif kind == 3:
            steps.append(("sample", (int(gen.integers(2, 2**20)), n), {"replace": True}))
        else:
            m = int(gen.integers(2, 30))
            probs = [float(v) for v in gen.integers(0, 4, m)]
            probs[0] = 1.0
            steps.append(("sample", (m, n % 50), {"replace": True, "prob": probs}))
    return steps


@pytest.mark.parametrize("case", range(12))
def test_random_mixed_sequences_match_live_r(r_session, case: int) -> None:
    gen = np.random.default_rng(1000 + case)
    steps = _random_program(gen)
    seed = int(gen.integers(-(2**31) + 1, 2**31 - 1))
    got = replay(seed, steps)
    want = run_in_r(r_session, seed, steps)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert _same(g, w), f"{r_program(seed, steps)} differs at step {i}"


def test_invalid_parameters_match_live_r(r_session) -> None:
    """NaN results and no draws for sd < 0, Inf bounds, max < min, as R does."""
    steps = [("rnorm", (4,), {"mean": 0.0, "sd": [1.0, -1.0]}),
             ("runif", (3,), {"min": [0.0, 2.0, 0.0], "max": [1.0, 1.0, math.inf]}),
             ("rnorm", (2,), {"mean": [math.inf, 0.0]}),
             ("runif", (2,), {})]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = replay(8, steps)
    code = r_program(8, steps)
    want = [list(v) for v in r_session.r(f"suppressWarnings({{{code}}})")]
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert _same(g, w), f"step {i}: {code}"


def test_qnorm_matches_live_r_including_extreme_tails(r_session) -> None:
    gen = np.random.default_rng(0)
    p = np.concatenate([
        gen.random(100_000),
        10.0 ** -gen.uniform(0, 300, 20_000),
        1.0 - 10.0 ** -gen.uniform(0, 16, 20_000),
        [0.075, 0.925, 0.425 + 0.5, 0.5 - 0.425, 1e-300, 5e-324, 2.2250738585072014e-308,
         np.exp(-25.0), 1.3888e-11, 1 - 2.0**-53],
    ])
    want = np.asarray(r_session.r["qnorm"](r_session.FloatVector(p)))
    assert np.array_equal(qnorm(p), want)


def test_non_numeric_parameters_are_rejected() -> None:
    with pytest.raises(TypeError, match="sd must be a number"):
        RRandom(1).rnorm(2, 0.0, "wide")
