"""The PyPI peers (``glmm``, ``mixedlm``): one adapter per package, timed like mixedlab.

A case opts in by carrying a :class:`~mixedlab.bench._models.PeerSpec`: the same model
written in the peers' formula language (they have no ``cbind()``, ``scale()`` or factor
responses, so the spec adds the columns it needs before the clock starts). Every adapter
handles both kinds of case, so an LMM case joins the peers by adding a ``PeerSpec``:

* ``glmm`` 0.6.2: ``glmm.fit(data, formula, family, reml=, nagq=, weights=)``; objective
  −2·``loglik`` (its ``deviance`` carries a constant of its own);
* ``mixedlm`` 1.3.0: ``mixedlm.lmer(formula, data, REML=)`` and
  ``mixedlm.glmer(formula, data, family=Binomial()|Poisson(), nAGQ=, weights=)``;
  objective −2·``logLik()``.

The timed region is the fit call alone, as for mixedlab (:mod:`mixedlab.bench._mixedlab`).
Adding a peer means one entry in :data:`PEERS`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from mixedlab.bench._models import BenchCase, PeerSpec
from mixedlab.bench._timing import FitRecord

__all__ = ["Peer", "PEERS", "PEER_ENGINES", "peer_version", "peer_unavailable", "peer_frame", "fit_peer"]


@dataclass(frozen=True)
class Peer:
    """One PyPI peer: its import name, distribution and fitting adapter."""

    name: str
    module: str
    distribution: str
    fit: Callable[[object, BenchCase, PeerSpec, pd.DataFrame], tuple[float, float, dict]]


def _weights(spec: PeerSpec, frame: pd.DataFrame) -> np.ndarray | None:
    return None if spec.weights is None else frame[spec.weights].to_numpy(dtype=float)


def _fit_glmm(mod, case: BenchCase, spec: PeerSpec, frame: pd.DataFrame) -> tuple[float, float, dict]:
    w = _weights(spec, frame)
    if case.kind == "lmer":
        start = time.perf_counter()
        res = mod.fit(frame, spec.formula, "gaussian", reml=case.reml, weights=w)
    else:
        start = time.perf_counter()
        res = mod.fit(frame, spec.formula, spec.family, nagq=case.nAGQ, weights=w)
    seconds = time.perf_counter() - start
    return seconds, -2.0 * float(res.loglik), {"fixef": [float(v) for v in np.asarray(res.beta).ravel()]}


def _fit_mixedlm(mod, case: BenchCase, spec: PeerSpec, frame: pd.DataFrame) -> tuple[float, float, dict]:
    w = _weights(spec, frame)
    if case.kind == "lmer":
        start = time.perf_counter()
        res = mod.lmer(spec.formula, frame, REML=case.reml, weights=w)
    else:
        family = {"binomial": mod.families.Binomial, "poisson": mod.families.Poisson}[spec.family]()
        start = time.perf_counter()
        res = mod.glmer(spec.formula, frame, family=family, nAGQ=case.nAGQ, weights=w)
    seconds = time.perf_counter() - start
    ll = res.logLik()
    fixef = res.fixef()
    values = list(fixef.values()) if isinstance(fixef, dict) else list(np.asarray(fixef).ravel())
    return seconds, -2.0 * float(getattr(ll, "value", ll)), {"fixef": [float(v) for v in values]}


#: The peers, in table order.
PEERS: dict[str, Peer] = {
    "glmm": Peer("glmm", "glmm", "glmm", _fit_glmm),
    "mixedlm": Peer("mixedlm", "mixedlm", "mixedlm", _fit_mixedlm),
}
PEER_ENGINES: tuple[str, ...] = tuple(PEERS)


def peer_version(name: str) -> str | None:
    """Installed version of a peer's distribution, or None."""
    try:
        return importlib.metadata.version(PEERS[name].distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def peer_unavailable(name: str) -> str | None:
    """None when the peer imports, else why not (with the install hint)."""
    try:
        importlib.import_module(PEERS[name].module)
    except Exception as exc:  # a broken install is reported, never fatal
        return (f"{name} not importable ({type(exc).__name__}: {exc}); install the peers with "
                "pip install -e '.[bench]'")
    return None


def peer_frame(spec: PeerSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The case's data with the columns the peers' formula needs (built once, untimed)."""
    return frame if spec.prepare is None else spec.prepare(frame)


def fit_peer(name: str, case: BenchCase, frame: pd.DataFrame) -> FitRecord:
    """Fit ``case`` once with peer ``name`` on ``frame`` (already :func:`peer_frame`-d)."""
    spec = case.peers
    assert spec is not None
    mod = importlib.import_module(PEERS[name].module)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seconds, objective, info = PEERS[name].fit(mod, case, spec, frame)
    info["messages"] = sorted({str(w.message).splitlines()[0] for w in caught})[:5]
    return FitRecord(seconds=seconds, objective=objective, info=info)
