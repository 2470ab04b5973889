"""BLAS threads: one thread inside ``single_blas_thread`` (restored after); lmer's size rule; and
an optimum that does not depend on the machine's thread count (issue 9 §2).

The thread-count fits run in child processes started with different ``OPENBLAS_NUM_THREADS``,
since OpenBLAS reads it once at load time.  (Timings are measured and reported, never asserted.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import mixedlab
from mixedlab import datasets
from mixedlab.linear import _threads


def test_one_thread_inside_restored_after() -> None:
    handles = _threads._init()
    before = [get() for _, get in handles]
    with _threads.single_blas_thread():
        assert all(get() == 1 for _, get in handles)
        A = np.random.default_rng(1).random((50, 50))
        np.linalg.cholesky(A @ A.T + 50 * np.eye(50))  # LAPACK still works on one thread
    assert [get() for _, get in handles] == before
    with _threads.single_blas_thread(active=False):
        assert [get() for _, get in handles] == before


def test_bundled_openblas_found_in_this_environment() -> None:
    # the pip wheels of numpy and scipy each bundle an OpenBLAS; both must be switched
    assert len(_threads._init()) >= 1


_CHILD = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
import mixedlab
from threadpoolctl import threadpool_info
rng = np.random.default_rng(7)
n, l1, l2 = {n}, {l1}, {l2}
g1 = rng.integers(0, l1, n); g2 = rng.integers(0, l2, n); x = rng.normal(size=n)
y = 1 + x + rng.normal(size=l1)[g1] + rng.normal(size=l2)[g2] * (1 + x) + rng.normal(size=n)
d = pd.DataFrame(dict(y=y, x=x, g1=pd.Categorical(g1), g2=pd.Categorical(g2)))
fit = mixedlab.lmer("y ~ x + (1|g1) + (x|g2)", d)
print(json.dumps({{"objective": fit.objective.hex(), "theta": [t.hex() for t in fit.theta],
                  "fixef": [b.hex() for b in fit.fixef], "mode": fit._cp.mode,
                  "threads": sorted({{lib["num_threads"] for lib in threadpool_info()
                                      if lib["user_api"] == "blas"}})}}))
"""


def _fit_in_child(threads: int, **design) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, "-c", _CHILD.format(**design)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("design", [
    {"n": 1500, "l1": 400, "l2": 150},  # trailing block of 303 rows, pair-operator Schur term
    {"n": 600, "l1": 60, "l2": 40},  # 83 rows, dense Schur term (BLAS syrk) and dense cross-products
])
def test_fit_is_bit_identical_with_one_and_two_blas_threads(design):
    one = _fit_in_child(1, **design)
    two = _fit_in_child(2, **design)
    assert two["threads"] == [2], "the child should start with 2 BLAS threads (and get them back after the fit)"
    for key in ("objective", "theta", "fixef"):
        assert one[key] == two[key], f"{key} differs between 1 and 2 BLAS threads ({one['mode']} mode)"


def test_optimisation_runs_on_one_blas_thread_and_restores_the_setting():
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []
    import mixedlab.linear._deviance as dev

    original = dev.LmerDevfun.__call__

    def spy(self, theta):
        seen.append(sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}))
        return original(self, theta)

    with threadpool_limits(limits=2, user_api="blas"):
        dev.LmerDevfun.__call__ = spy
        try:
            mixedlab.lmer("Reaction ~ Days + (Days | Subject)", datasets.sleepstudy())
        finally:
            dev.LmerDevfun.__call__ = original
        after = sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
    assert seen and all(s == [1] for s in seen[:3])
    assert after == [2]


def test_large_trailing_blocks_keep_the_users_threads():
    handles = _threads._init()
    before = [get() for _, get in handles]
    with _threads.blas_threads_for(_threads.THREADED_FROM):
        assert [get() for _, get in handles] == before
    with _threads.blas_threads_for(_threads.THREADED_FROM - 1):
        assert all(get() == 1 for _, get in handles)
