""":class:`RRandom`: R's default random stream and R's samplers on it, bit for bit.

One object is one R session's stream after ``set.seed(seed)``: every method draws from
the same Mersenne-Twister stream in the order R would, so any sequence of calls equals
the same sequence of R calls. The algorithms live in one module per concern:

* :mod:`~mixedlab.rng._stream` -- ``set.seed`` and ``unif_rand()``;
* :mod:`~mixedlab.rng._uniform`, :mod:`~mixedlab.rng._normal` -- ``runif``, ``qnorm``,
  ``norm_rand`` (Inversion) and ``rnorm``;
* :mod:`~mixedlab.rng._sampling` -- ``sample`` ("Rejection" kind);
* :mod:`~mixedlab.rng._gamma` -- ``exp_rand``, ``rexp``, ``rgamma``;
* :mod:`~mixedlab.rng._poisson`, :mod:`~mixedlab.rng._binomial`,
  :mod:`~mixedlab.rng._nbinom` -- ``rpois``, ``rbinom``, ``rnbinom``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from mixedlab.rng import _beta, _binomial, _gamma, _nbinom, _normal, _poisson, _sampling, _uniform, _zi
from mixedlab.rng._normal import qnorm
from mixedlab.rng._params import as_count, as_param
from mixedlab.rng._stream import MTStream

__all__ = ["RRandom", "qnorm"]


class RRandom:
    """A random stream that reproduces R's ``set.seed(seed)`` stream bit for bit.

    The stream is R's default ``RNGkind("Mersenne-Twister", "Inversion", "Rejection")``
    and the samplers are R 4.2's (``src/nmath``). Successive calls continue one stream,
    exactly as successive R calls after one ``set.seed`` would, so
    ``r = RRandom(123); r.rnorm(5); r.rpois(5, 3.0)`` equals R's
    ``set.seed(123); rnorm(5); rpois(5, 3)``.

    Parameter vectors are recycled along the draws as R recycles them. Invalid
    parameters give NaN for that draw (without consuming random numbers) and one
    ``RuntimeWarning("NAs produced")``, as R warns. Count-valued samplers (``rpois``,
    ``rbinom``, ``rnbinom``) return float64 arrays of whole numbers, so that NaN can
    stand where R returns ``NA``.

    Parameters
    ----------
    seed : int
        The integer given to R's ``set.seed``; any R integer, -2147483647..2147483647.

    Examples
    --------
    >>> r = RRandom(42)
    >>> float(r.runif(1)[0])  # R: set.seed(42); runif(1)
    0.9148060434963554
    >>> RRandom(1).rpois(5, 4.0).tolist()  # R: set.seed(1); rpois(5, 4)
    [3.0, 3.0, 4.0, 7.0, 2.0]
    """

    def __init__(self, seed: int) -> None:
        self.set_seed(seed)

    def set_seed(self, seed: int) -> None:
        """Restart the stream as R's ``set.seed(seed)`` does.

        Raises
        ------
        TypeError, ValueError
            If ``seed`` is not a whole number within R's integer range.
        """
        self._stream = MTStream(seed)
        self.seed = self._stream.seed

    # --- continuous ----------------------------------------------------------------------
    def runif(self, n: Any, min: Any = 0.0, max: Any = 1.0) -> np.ndarray:  # noqa: A002
        """Uniform draws, as R's ``runif(n, min, max)``.

        ``min`` and ``max`` are recycled along the ``n`` draws. As in R, an element with
        ``min == max`` returns ``min`` without consuming a random number, and one with a
        non-finite bound or ``max < min`` is NaN (with a warning), also without a draw.

        Parameters
        ----------
        n : int or sequence
            Number of draws; a sequence of length other than 1 means its length (R's rule).
        min, max : float or array_like
            Bounds, recycled.

        Returns
        -------
        numpy.ndarray
            ``n`` float64 values.
        """
        count = as_count(n)
        return _uniform.runif(self._stream, count, as_param(min, "min"), as_param(max, "max"))

    def rnorm(self, n: Any, mean: Any = 0.0, sd: Any = 1.0) -> np.ndarray:
        """Normal draws, as R's ``rnorm(n, mean, sd)`` with ``normal.kind = "Inversion"``.

        ``mean`` and ``sd`` are recycled along the ``n`` draws. As in R: ``sd == 0`` or a
        non-finite mean returns ``mean`` without a draw; a NaN mean, ``sd < 0`` or a
        non-finite ``sd`` gives NaN with a warning ("NAs produced") and no draw.

        Parameters
        ----------
        n : int or sequence
            Number of draws; a sequence of length other than 1 means its length.
        mean, sd : float or array_like
            Parameters, recycled.

        Returns
        -------
        numpy.ndarray
            ``n`` float64 values, ``mean + sd * norm_rand()``.
        """
        count = as_count(n)
        return _normal.rnorm(self._stream, count, as_param(mean, "mean"), as_param(sd, "sd"))

    def rexp(self, n: Any, rate: Any = 1.0) -> np.ndarray:
        """Exponential draws, as R's ``rexp(n, rate)`` (``scale * exp_rand()``, scale = 1/rate).

        ``rate = Inf`` gives 0; ``rate <= 0`` or NaN gives NaN with a warning.
        """
        count = as_count(n)
        with np.errstate(divide="ignore"):
            scale = 1.0 / as_param(rate, "rate")  # R computes 1/rate before the C call
        return _gamma.rexp(self._stream, count, scale)

    def rgamma(self, n: Any, shape: Any, rate: Any = None, scale: Any = None) -> np.ndarray:
        """Gamma draws, as R's ``rgamma(n, shape, rate = 1, scale = 1/rate)``.

        R 4.2's ``rgamma.c``: Ahrens & Dieter's algorithm GD for ``shape >= 1`` and GS for
        ``shape < 1``. ``shape == 0`` or ``scale == 0`` gives 0, an infinite parameter
        gives Inf, NaN or a negative parameter gives NaN with a warning.

        Parameters
        ----------
        n : int or sequence
            Number of draws.
        shape : float or array_like
            Shape, recycled.
        rate, scale : float or array_like, optional
            Give one (default ``rate = 1``); both only if ``rate * scale == 1`` (R's rule).

        Raises
        ------
        ValueError
            ``rate`` and ``scale`` both given and not reciprocal.
        """
        count = as_count(n)
        a = as_param(shape, "shape")
        if rate is not None and scale is not None:
            r, s = as_param(rate, "rate"), as_param(scale, "scale")
            if r.size and s.size and np.all(np.abs(r * s - 1) < 1e-15):
                warnings.warn("specify 'rate' or 'scale' but not both", UserWarning,
                              stacklevel=2)
            else:
                raise ValueError("specify 'rate' or 'scale' but not both")
            sc = s
        elif scale is not None:
            sc = as_param(scale, "scale")
        else:
            with np.errstate(divide="ignore"):
                sc = 1.0 / as_param(1.0 if rate is None else rate, "rate")
        return _gamma.rgamma(self._stream, count, a, sc)

    def rbeta(self, n: Any, shape1: Any, shape2: Any) -> np.ndarray:
        """Beta draws, as R's ``rbeta(n, shape1, shape2)`` (R 4.2's ``rbeta.c``).

        Cheng's (1978) algorithms BB (both shapes above 1) and BC (otherwise), two
        uniforms per trial. Infinite or zero shapes give R's point masses; NaN or a
        negative shape gives NaN with a warning.
        """
        return _beta.rbeta(self._stream, as_count(n), as_param(shape1, "shape1"),
                           as_param(shape2, "shape2"))

    # --- counts --------------------------------------------------------------------------
    def rpois(self, n: Any, lam: Any) -> np.ndarray:
        """Poisson draws, as R's ``rpois(n, lambda)`` (R 4.2's ``rpois.c``).

        Ahrens & Dieter (1982): table-aided inversion for ``lambda < 10`` (one uniform
        per draw), a normal-deviate method with squeeze, quotient and hat tests for
        ``lambda >= 10``. ``lambda == 0`` gives 0 without a draw; NaN, negative or
        infinite ``lambda`` gives NaN with a warning.

        Parameters
        ----------
        n : int or sequence
            Number of draws.
        lam : float or array_like
            Means, recycled.

        Returns
        -------
        numpy.ndarray
            ``n`` whole numbers as float64 (NaN where R gives NA).
        """
        count = as_count(n)
        return _poisson.rpois(self._stream, count, as_param(lam, "lambda"))

    def rbinom(self, n: Any, size: Any, prob: Any) -> np.ndarray:
        """Binomial draws, as R's ``rbinom(n, size, prob)`` (R 4.2's ``rbinom.c``).

        Inversion when ``size * min(p, 1-p) < 30`` (one uniform per draw), BTPE
        (Kachitvichyanukul & Schmeiser 1988) otherwise. ``size == 0`` or ``prob == 0``
        gives 0 and ``prob == 1`` gives ``size`` without a draw; a non-whole, negative
        or non-finite ``size`` or a ``prob`` outside [0, 1] gives NaN with a warning.
        Sizes of 2**31 - 1 and more use R's ``qbinom`` route (see
        :mod:`mixedlab.rng._qbinom` for its one caveat).

        Parameters
        ----------
        n : int or sequence
            Number of draws.
        size, prob : float or array_like
            Trials and success probability, recycled.

        Returns
        -------
        numpy.ndarray
            ``n`` whole numbers as float64 (NaN where R gives NA).
        """
        count = as_count(n)
        return _binomial.rbinom(self._stream, count, as_param(size, "size"),
                                as_param(prob, "prob"))

    def rnbinom(self, n: Any, size: Any, prob: Any = None, mu: Any = None) -> np.ndarray:
        """Negative binomial draws, as R's ``rnbinom(n, size, prob)`` or ``(n, size, mu=)``.

        ``rpois(rgamma(size, (1 - prob) / prob))`` or ``rpois(rgamma(size, mu / size))``
        (R 4.2's ``rnbinom.c``); each draw takes its gamma then its Poisson deviate.

        Parameters
        ----------
        n : int or sequence
            Number of draws.
        size : float or array_like
            Dispersion (number of successes), > 0; ``inf`` is the Poisson limit.
        prob, mu : float or array_like
            Give exactly one: success probability in (0, 1], or the mean >= 0.

        Raises
        ------
        ValueError
            Both or neither of ``prob`` and ``mu``.
        """
        count = as_count(n)
        sz = as_param(size, "size")
        if mu is not None:
            if prob is not None:
                raise ValueError("'prob' and 'mu' both specified; give one of them")
            return _nbinom.rnbinom_mu(self._stream, count, sz, as_param(mu, "mu"))
        if prob is None:
            raise ValueError("rnbinom needs prob= or mu=")
        return _nbinom.rnbinom(self._stream, count, sz, as_param(prob, "prob"))

    def zero_inflated(self, family: str, a: Any, b: Any = None, pz: Any = None,
                      c: Any = None) -> np.ndarray:
        """One draw per observation, each followed by its zero-inflation draw (TMB's order).

        Not an R function: the order in which glmmTMB's C++ simulation (TMB calling R's
        samplers) draws, observation by observation -- ``family``'s draw with parameters
        ``a[i]``, ``b[i]``, then, when ``pz`` is given, ``* rbinom(1, 1 - pz[i])``.

        Parameters
        ----------
        family : str
            ``poisson(a = lambda)``, ``nbinom(a = size, b = prob)``,
            ``binomial(a = size, b = prob)``, ``gamma(a = shape, b = scale)``,
            ``normal(a = mean, b = sd)``, ``beta(a = shape1, b = shape2)``, and glmmTMB's
            own samplers ``truncated_poisson(a = mu)``, ``truncated_nbinom(a = size,
            b = mu)``, ``truncated_nbinom2(a = phi, b = mu)``, ``genpois(a = theta,
            b = lambda)``, ``tweedie(a = mu, b = phi, c = power)``,
            ``betabinomial(a = size, b = shape1, c = shape2)``.
        a, b, c : array_like
            Parameters, one per observation.
        pz : array_like, optional
            Zero-inflation probabilities.
        """
        if family not in _zi.FAMILIES:
            raise ValueError(f"family must be one of {', '.join(_zi.FAMILIES)}, got {family!r}")
        a = as_param(a, "a")
        b = None if b is None else np.broadcast_to(as_param(b, "b"), a.shape)
        pz = None if pz is None else np.broadcast_to(as_param(pz, "pz"), a.shape)
        c = None if c is None else np.broadcast_to(as_param(c, "c"), a.shape)
        return _zi.zero_inflated(self._stream, family, a, b, pz, c)

    # --- sampling ------------------------------------------------------------------------
    def sample(
        self,
        x: Any,
        size: int | None = None,
        replace: bool = False,
        prob: Any = None,
    ) -> np.ndarray:
        """Random sample, as R's ``sample(x, size, replace, prob)`` (R >= 3.6 "Rejection").

        Parameters
        ----------
        x : int or array_like
            A Python integer ``n >= 1`` samples from ``1..n`` (R's ``sample(n)``, values
            are 1-based like R's); an array-like samples its elements. (A one-element
            list is a population of one element, unlike R where ``sample(c(5))`` means
            ``sample(1:5)``.)
        size : int, optional
            Number of items; defaults to the population size.
        replace : bool
            Sample with replacement.
        prob : array_like, optional
            Weights (normalised like R's ``FixupProb``); uses R's sorted inversion
            (``ProbSampleReplace``/``ProbSampleNoReplace``) or Walker's alias method
            when more than 200 weights are "large", exactly as R chooses.

        Returns
        -------
        numpy.ndarray
            The sample: 1-based integers when ``x`` is an integer, else elements of ``x``.

        Raises
        ------
        ValueError
            ``size`` larger than the population without replacement, a negative size,
            bad weights (R's messages).
        """
        return _sampling.sample(self._stream, x, size, replace, prob)
