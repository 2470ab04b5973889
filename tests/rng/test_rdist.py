"""rpois, rbinom, rgamma, rnbinom and rexp against live R: long streams, every algorithm
regime and its edges, invalid parameters, and mixed call sequences sharing one stream.

Every comparison is exact (``np.array_equal`` on float64). The stored-vector versions of
these checks (no R needed) are the ``rpois_*``, ``rbinom_*``, ``rgamma``, ``rnbinom``,
``rexp`` and ``counts_mixed`` programs replayed in ``test_rrandom.py``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from mixedlab import RRandom
from mixedlab.datasets._rng_programs import r_program, replay, run_in_r
from mixedlab.rng import _binomial, _driver, _poisson
from mixedlab.rng._cursor import Cursor

SEEDS = (-2147483647, -1, 0, 7, 42, 20240601, 2147483647)


def _r_values(ro, code: str) -> np.ndarray:
    """An R numeric result as float64, R's NA (integer or double) as NaN."""
    return np.asarray(ro.r(f"as.numeric(suppressWarnings({{{code}}}))"), dtype=np.float64)


def _assert_same(got: np.ndarray, want: np.ndarray, label: str) -> None:
    assert got.shape == want.shape, f"{label}: {got.shape} vs {want.shape}"
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    if not same.all():
        i = int(np.flatnonzero(~same)[0])
        pytest.fail(f"{label}: first difference at draw {i}: {got[i]!r} vs R {want[i]!r}")


def _quiet(fn, *args, **kwargs) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


# --- long streams per regime (live R) -----------------------------------------------------

POIS = [1e-300, 1e-8, 0.3, 1.0, 3.7, 9.99, 9.999999999, 10.0, 10.5, 25.0, 100.0, 1e4, 1e9]


@pytest.mark.parametrize("lam", POIS)
def test_rpois_long_streams_match_r(r_session, lam: float) -> None:
    for seed in SEEDS:
        got = RRandom(seed).rpois(6000, lam)
        _assert_same(got, _r_values(r_session, f"set.seed({seed}); rpois(6000, {lam!r})"),
                     f"rpois(6000, {lam}) seed {seed}")


BINOM = [(1, 0.5), (10, 0.3), (10, 0.7), (59, 0.5), (60, 0.5), (61, 0.5), (100, 0.29),
         (100, 0.3), (100, 0.31), (100, 0.69), (100, 0.7), (1000, 0.5), (1000, 0.97),
         (10**7, 2.9e-6), (10**6, 0.3), (10**9, 0.5), (2147483646, 1e-3)]


@pytest.mark.parametrize("size,prob", BINOM)
def test_rbinom_long_streams_match_r(r_session, size: int, prob: float) -> None:
    for seed in SEEDS:
        got = RRandom(seed).rbinom(3000, size, prob)
        want = _r_values(r_session, f"set.seed({seed}); rbinom(3000, {size}, {prob!r})")
        _assert_same(got, want, f"rbinom(3000, {size}, {prob}) seed {seed}")


@pytest.mark.parametrize("size,prob", [(2147483647, 0.3), (1e10, 0.5), (1e12, 1e-6)])
def test_rbinom_huge_sizes_take_rs_qbinom_route(r_session, size: float, prob: float) -> None:
    for seed in SEEDS[:3]:
        got = RRandom(seed).rbinom(150, size, prob)
        want = _r_values(r_session, f"set.seed({seed}); rbinom(150, {size!r}, {prob!r})")
        _assert_same(got, want, f"rbinom(150, {size}, {prob}) seed {seed}")


GAMMA = [1e-3, 0.1, 0.5, 0.999, 1.0, 1.5, 3.686, 3.7, 13.022, 13.1, 100.0, 1e6]


@pytest.mark.parametrize("shape", GAMMA)
def test_rgamma_long_streams_match_r(r_session, shape: float) -> None:
    for seed in SEEDS[:4]:
        got = RRandom(seed).rgamma(2000, shape, scale=2.0)
        want = _r_values(r_session, f"set.seed({seed}); rgamma(2000, {shape!r}, scale = 2)")
        _assert_same(got, want, f"rgamma(2000, {shape}) seed {seed}")


@pytest.mark.parametrize("size,mu", [(0.5, 3.0), (2.0, 7.0), (100.0, 50.0), (1e-3, 10.0),
                                     (math.inf, 5.0), (1.2, 400.0)])
def test_rnbinom_mu_streams_match_r(r_session, size: float, mu: float) -> None:
    sr = "Inf" if math.isinf(size) else repr(size)
    for seed in SEEDS[:4]:
        got = RRandom(seed).rnbinom(1500, size, mu=mu)
        want = _r_values(r_session, f"set.seed({seed}); rnbinom(1500, {sr}, mu = {mu!r})")
        _assert_same(got, want, f"rnbinom(1500, {size}, mu={mu}) seed {seed}")


def test_rnbinom_prob_and_rexp_streams_match_r(r_session) -> None:
    for seed in SEEDS[:4]:
        _assert_same(RRandom(seed).rnbinom(1500, 3.0, prob=0.2),
                     _r_values(r_session, f"set.seed({seed}); rnbinom(1500, 3, prob = 0.2)"),
                     f"rnbinom prob seed {seed}")
        _assert_same(RRandom(seed).rexp(5000, 2.0),
                     _r_values(r_session, f"set.seed({seed}); rexp(5000, 2)"), f"rexp seed {seed}")


# --- recycled parameter vectors, invalid values, shared stream (live R) -------------------

def _r_vec(x: np.ndarray) -> str:
    def one(v: float) -> str:
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Inf" if v > 0 else "-Inf"
        return repr(float(v))
    return "c(" + ", ".join(one(v) for v in x) + ")"


@pytest.mark.parametrize("seed", [3, 99, -5])
def test_recycled_parameter_vectors_with_invalid_entries_match_r(r_session, seed: int) -> None:
    gen = np.random.default_rng(seed + 1000)
    lam = np.concatenate([gen.uniform(0, 30, 300), [0, 10, 9.99, np.nan, -1, np.inf]])
    gen.shuffle(lam)
    _assert_same(_quiet(RRandom(seed).rpois, 2000, lam),
                 _r_values(r_session, f"set.seed({seed}); rpois(2000, {_r_vec(lam)})"), "rpois")
    size = gen.integers(0, 200, 200).astype(float)
    prob = gen.uniform(0, 1, 200)
    prob[:5] = [0, 1, 0.5, np.nan, 1.5]
    size[5:8] = [2.5, -1, np.inf]
    _assert_same(_quiet(RRandom(seed).rbinom, 2000, size, prob),
                 _r_values(r_session,
                           f"set.seed({seed}); rbinom(2000, {_r_vec(size)}, {_r_vec(prob)})"),
                 "rbinom")
    shape = gen.uniform(0, 5, 60)
    shape[:3] = [0, -1, np.nan]
    _assert_same(_quiet(RRandom(seed).rgamma, 600, shape, rate=[1.0, 0.5, 0.0]),
                 _r_values(r_session,
                           f"set.seed({seed}); rgamma(600, {_r_vec(shape)}, rate = c(1, 0.5, 0))"),
                 "rgamma")
    mu = gen.uniform(0, 40, 50)
    mu[:2] = [0, np.nan]
    _assert_same(_quiet(RRandom(seed).rnbinom, 500, [0.7, 3.0, np.inf], mu=mu),
                 _r_values(r_session,
                           f"set.seed({seed}); rnbinom(500, c(0.7, 3, Inf), mu = {_r_vec(mu)})"),
                 "rnbinom")


def _random_program(gen: np.random.Generator) -> list:
    """A random call sequence mixing every sampler, with constant and vector parameters."""
    steps = []
    for _ in range(int(gen.integers(3, 9))):
        kind = int(gen.integers(0, 8))
        n = int(gen.choice([0, 1, 2, 23, 24, 25, 311, 624, 1300]))
        if kind == 0:
            steps.append(("runif", (n,), {"min": -1.0, "max": float(gen.integers(1, 9))}))
        elif kind == 1:
            steps.append(("rnorm", (n,), {"sd": float(gen.uniform(0.1, 3))}))
        elif kind == 2:
            steps.append(("sample", (int(gen.integers(2, 5000)), n), {"replace": True}))
        elif kind == 3:
            lam = [float(v) for v in gen.choice([0.2, 4.0, 9.9, 10.0, 33.0, 800.0], 3)]
            steps.append(("rpois", (n, lam if gen.random() < 0.5 else lam[0]), {}))
        elif kind == 4:
            size = [int(v) for v in gen.choice([1, 20, 75, 400, 5000], 2)]
            prob = [float(v) for v in gen.uniform(0.01, 0.99, 3)]
            steps.append(("rbinom", (n, size, prob), {}))
        elif kind == 5:
            steps.append(("rgamma", (n, float(gen.choice([0.4, 1.0, 2.2, 20.0]))),
                          {"rate": float(gen.uniform(0.5, 3))}))
        elif kind == 6:
            steps.append(("rnbinom", (n, float(gen.choice([0.6, 2.0, 50.0]))),
                          {"mu": [float(v) for v in gen.uniform(0.5, 60, 2)]}))
        else:
            steps.append(("rexp", (n,), {"rate": float(gen.uniform(0.2, 5))}))
    return steps


@pytest.mark.parametrize("case", range(16))
def test_random_mixed_sequences_with_count_samplers_match_r(r_session, case: int) -> None:
    gen = np.random.default_rng(5000 + case)
    steps = _random_program(gen)
    seed = int(gen.integers(-(2**31) + 1, 2**31 - 1))
    got = replay(seed, steps)
    want = run_in_r(r_session, seed, steps)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        _assert_same(np.asarray(g, dtype=float), np.asarray(w, dtype=float),
                     f"{r_program(seed, steps)} step {i}")


# --- R's semantics without R ----------------------------------------------------------------

def test_invalid_parameters_warn_and_consume_nothing() -> None:
    r = RRandom(11)
    with pytest.warns(RuntimeWarning, match="NAs produced"):
        a = r.rpois(4, [np.nan, -1.0, np.inf, 2.0])
    with pytest.warns(RuntimeWarning, match="NAs produced"):
        b = r.rbinom(3, [2.5, 10.0, -1.0], [0.5, 0.5, 0.5])
    with pytest.warns(RuntimeWarning, match="NAs produced"):
        c = r.rgamma(2, [-1.0, np.nan])
    with pytest.warns(RuntimeWarning, match="NAs produced"):
        d = r.rnbinom(2, 0.0, mu=3.0)
    assert np.isnan(a[:3]).all() and np.isnan(b[[0, 2]]).all() and np.isnan(c).all()
    assert np.isnan(d).all()
    # only rpois(2) and rbinom(10, 0.5) drew from the stream
    ref = RRandom(11)
    assert a[3] == ref.rpois(1, 2.0)[0] and b[1] == ref.rbinom(1, 10, 0.5)[0]
    assert np.array_equal(r.runif(3), ref.runif(3))


def test_degenerate_parameters_give_rs_constants_without_draws() -> None:
    r = RRandom(5)
    assert r.rpois(3, 0.0).tolist() == [0.0, 0.0, 0.0]
    assert r.rbinom(2, 0, 0.3).tolist() == [0.0, 0.0]
    assert r.rbinom(2, 9, 0.0).tolist() == [0.0, 0.0]
    assert r.rbinom(2, 9, 1.0).tolist() == [9.0, 9.0]
    assert r.rgamma(2, 0.0).tolist() == [0.0, 0.0]
    assert r.rgamma(1, np.inf).tolist() == [np.inf]
    assert r.rnbinom(2, 3.0, prob=1.0).tolist() == [0.0, 0.0]
    assert r.rnbinom(2, 3.0, mu=0.0).tolist() == [0.0, 0.0]
    assert r.rexp(1, np.inf).tolist() == [0.0]
    assert np.array_equal(r.runif(4), RRandom(5).runif(4))


def test_bad_argument_combinations_are_rejected() -> None:
    with pytest.raises(ValueError, match="'prob' and 'mu' both specified"):
        RRandom(1).rnbinom(2, 1.0, prob=0.5, mu=2.0)
    with pytest.raises(ValueError, match="needs prob= or mu="):
        RRandom(1).rnbinom(2, 1.0)
    with pytest.raises(ValueError, match="specify 'rate' or 'scale' but not both"):
        RRandom(1).rgamma(2, 1.0, rate=2.0, scale=2.0)
    with pytest.warns(UserWarning, match="not both"):
        RRandom(1).rgamma(2, 1.0, rate=2.0, scale=0.5)
    with pytest.raises(TypeError, match="lambda must be a number"):
        RRandom(1).rpois(2, "many")
    with pytest.raises(ValueError, match="n must be >= 0"):
        RRandom(1).rbinom(-1, 3, 0.5)


def test_batched_draws_equal_one_by_one_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """The array paths (inversion runs) give the scalar algorithm's draws and stream use."""
    lam = np.r_[np.full(300, 2.5), np.linspace(0.01, 9.99, 500), [12.0, 40.0] * 20]
    size, prob = np.r_[np.arange(1, 400), [50, 80]], np.r_[np.linspace(0.01, 0.99, 301)]

    def run() -> list[np.ndarray]:
        r = RRandom(77)
        return [r.rpois(3000, lam), r.rbinom(3000, size, prob), r.rpois(2000, 4.0),
                r.runif(5)]

    batched = run()
    monkeypatch.setattr(_driver, "_MIN_RUN", 10**9)  # every draw one by one
    scalar = run()
    for b, s in zip(batched, scalar, strict=True):
        assert np.array_equal(b, s)


class _ListStream:
    """A stream of given uniforms (then 0.5s), with MTStream's peek/consume interface."""

    def __init__(self, values: list[float]) -> None:
        self.values = values
        self.pos = 0

    def peek_unif(self, n: int) -> np.ndarray:
        vals = self.values[self.pos:self.pos + n]
        return np.array(vals + [0.5] * (n - len(vals)))

    def consume(self, n: int) -> None:
        self.pos += n

    def cursor(self) -> Cursor:
        return Cursor(self)  # type: ignore[arg-type]


def test_rpois_uniform_beyond_the_table_draws_again() -> None:
    """u > P(X <= 35) takes a new uniform; the batch hands that draw to the scalar code.

    For lambda < 10, 1 - P(X <= 35) stays below 1.7e-10 while the largest uniform of the
    stream is 1 - 2.3e-10, so R never takes this branch; it is driven here with an
    artificial uniform of 1.5.
    """
    lam = 9.999999
    assert 1.0 - 2.0**-32 < _poisson._tables(np.array([lam]))[0, -1]
    values = [0.3] * 30 + [1.5, 0.7] + [0.2] * 10
    stream = _ListStream(list(values))
    out = np.zeros(41)
    kind = np.full(41, _driver.BATCH, dtype=np.int8)
    mu = np.full(41, lam)
    _driver.drive(stream, kind, out, lambda cur, idx: [_poisson.rpois1(cur, lam) for _ in idx],  # type: ignore[arg-type]
                  lambda idx: _poisson._batch_small(stream, mu, out, idx))  # type: ignore[arg-type]
    ref_stream = _ListStream(list(values))
    with ref_stream.cursor() as cur:
        ref = [_poisson.rpois1(cur, lam) for _ in range(41)]
    assert out.tolist() == ref
    assert ref[30] == _poisson.rpois1(_ListStream([0.7]).cursor(), lam)  # type: ignore[arg-type]
    assert stream.pos == ref_stream.pos == 42


def test_rbinom_inversion_restarts_after_110_like_r() -> None:
    """Past x = 110 the inversion restarts with a new uniform; the batch hands over to it.

    No uniform of the stream can get that far (the partial sums reach 1 - 1e-16), so the
    branch is driven with an artificial uniform of 1.5.
    """
    assert _binomial._setup(40, 0.7)[0]  # inversion regime: 40 * 0.3 = 12 < 30
    values = [0.4] * 25 + [1.5, 0.9] + [0.1] * 5
    stream = _ListStream(list(values))
    out = np.zeros(31)
    sz, pr = np.full(31, 40.0), np.full(31, 0.7)
    kind = np.full(31, _driver.BATCH, dtype=np.int8)
    _driver.drive(stream, kind, out, lambda cur, idx: [_binomial.rbinom1(cur, 40.0, 0.7) for _ in idx],  # type: ignore[arg-type]
                  lambda idx: _binomial._batch_small(stream, sz, pr, out, idx))  # type: ignore[arg-type]
    ref_stream = _ListStream(list(values))
    with ref_stream.cursor() as cur:
        ref = [_binomial.rbinom1(cur, 40.0, 0.7) for _ in range(31)]
    assert out.tolist() == ref and stream.pos == ref_stream.pos == 32
    assert ref[25] == _binomial.rbinom1(_ListStream([0.9]).cursor(), 40.0, 0.7)  # type: ignore[arg-type]


@pytest.mark.parametrize("size,prob", [(1000, 0.5), (60, 0.5), (10**6, 0.3), (5000, 0.97),
                                       (2147483646, 0.25)])
def test_bulk_btpe_equals_draw_by_draw_btpe(size: int, prob: float) -> None:
    """One (n, p) in BTPE's regime is scored attempt pairs at a time; short calls go draw by
    draw through the scalar code. Both read the stream identically."""
    bulk_rng = RRandom(31)
    bulk = bulk_rng.rbinom(3000, size, prob)
    one = RRandom(31)
    pieces = np.concatenate([one.rbinom(50, size, prob) for _ in range(60)])
    assert np.array_equal(bulk, pieces)
    assert np.array_equal(bulk_rng.runif(4), one.runif(4))
