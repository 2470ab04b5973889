"""single_blas_thread: BLAS runs on one thread inside the block and gets its threads back after."""

from __future__ import annotations

import numpy as np

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
