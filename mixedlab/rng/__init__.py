"""R's random numbers, bit for bit: the Mersenne-Twister stream of ``set.seed`` and R 4.2's
samplers built on it (``runif``, ``rnorm``, ``sample``, ``rexp``, ``rgamma``, ``rpois``,
``rbinom``, ``rnbinom``), all methods of :class:`RRandom`."""

from __future__ import annotations

from mixedlab.rng._normal import qnorm
from mixedlab.rng._rrandom import RRandom

__all__ = ["RRandom", "qnorm"]
