"""R's random numbers, bit for bit: the Mersenne-Twister stream of ``set.seed`` and R's
samplers built on it (``runif``, ``rnorm``, ``sample``)."""

from __future__ import annotations

from mixedlab.rng._rrandom import RRandom, qnorm

__all__ = ["RRandom", "qnorm"]
