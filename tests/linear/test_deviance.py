"""The deviance function's helpers: the centred coordinates' QR is numpy's, bit for bit.

:func:`mixedlab.linear._deviance.qr_r` calls numpy's LAPACK QR gufunc directly (issue 18:
``np.linalg.qr``'s per-call overhead was a large part of the second opinion's cost). The
second opinion's θ, and so some fits' optimum, depend on its last bits, so it must return
exactly what ``np.linalg.qr(a, mode="r")`` returns.
"""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.linear import _deviance


def _matrices(k: int, count: int, seed: int):
    rng = np.random.default_rng(seed)
    for i in range(count):
        a = rng.standard_normal((k, k)) * 10.0 ** rng.uniform(-8, 8, (k, k))
        if i % 5 == 0:
            a[np.triu_indices(k, 1)] = 0.0  # already triangular: a Householder step is trivial
        if i % 7 == 0:
            a[:, -1] = a[:, 0] * 3.0  # rank deficient
        if i % 11 == 0:
            a[0] = 0.0  # a zero row
        yield a
        yield a.T  # a transposed view, as to_theta passes it


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_qr_r_is_numpy_qr_bit_for_bit(k):
    for a in _matrices(k, 400, seed=k):
        expected = np.linalg.qr(a, mode="r")
        got = _deviance.qr_r(a)
        assert got.shape == expected.shape
        assert got.flags.c_contiguous == expected.flags.c_contiguous
        assert got.tobytes() == expected.tobytes()


def test_qr_r_leaves_its_argument_alone():
    a = np.array([[2.0, 1.0], [-3.0, 0.5]])
    before = a.copy()
    _deviance.qr_r(a.T)
    assert np.array_equal(a, before)


def test_qr_r_without_the_gufunc_uses_numpy(monkeypatch):
    monkeypatch.setattr(_deviance, "_QR_R_RAW", None)
    a = np.array([[2.0, 1.0], [-3.0, 0.5]])
    assert _deviance.qr_r(a).tobytes() == np.linalg.qr(a, mode="r").tobytes()


def test_to_theta_matches_the_lq_definition():
    """θ of the centred coordinates: T Tᵀ = K T′ T′ᵀ Kᵀ with T lower triangular, diagonal ≥ 0."""
    from mixedlab import datasets
    from mixedlab.formula import build_model

    model = build_model("Reaction ~ Days + (Days | Subject)", datasets.sleepstudy())
    devfun = _deviance.make_devfun(model)
    reparam = devfun.reparam
    assert reparam is not None  # Days (mean 4.5) is far from centred
    rng = np.random.default_rng(7)
    K = reparam.K[0]
    for _ in range(200):
        z = rng.standard_normal(3)
        Tp = reparam.layout.factors(z)[0]
        T = reparam.layout.factors(reparam.to_theta(z))[0]
        assert np.all(np.diagonal(T) >= 0)
        assert np.allclose(T @ T.T, K @ Tp @ Tp.T @ K.T, rtol=1e-12, atol=1e-14)
