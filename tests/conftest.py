"""Shared pytest fixtures.

``r_session`` gives tests a live R (through rpy2) to compare against; ``rbridge`` gives the
project's R bridge (:mod:`mixedlab.parity._rbridge`) with R known to work. Without R the
tests that use them are skipped, unless ``MIXEDLAB_REQUIRE_R=1`` is set (as in CI), in
which case a missing R is a failure that says how to install it.

Availability is decided by :func:`mixedlab.parity._rbridge.unavailable_reason`, which
checks ``R_HOME``/``PATH`` before touching rpy2: embedding an R that is not there can abort
the interpreter instead of raising.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest

_INSTALL_HINT = (
    "Install R and rpy2 with: apt-get install --no-install-recommends "
    "r-base-core r-cran-lme4 r-cran-glmmtmb  and  pip install rpy2==3.5.17"
)


def require_r_or_skip() -> None:
    """Skip the calling test when R is unusable, or fail when ``MIXEDLAB_REQUIRE_R=1``."""
    from mixedlab.parity import _rbridge

    reason = _rbridge.unavailable_reason()
    if reason is None:
        return
    message = f"R through rpy2 is not available ({reason}). {_INSTALL_HINT}"
    if os.environ.get("MIXEDLAB_REQUIRE_R") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def r_session() -> ModuleType:
    """The ``rpy2.robjects`` module bound to a working embedded R.

    Skips the test when R or rpy2 is missing; fails instead when the environment
    variable ``MIXEDLAB_REQUIRE_R`` is ``1``.
    """
    require_r_or_skip()
    try:
        import rpy2.robjects as ro

        ro.r("invisible(1)")
    except Exception as exc:  # ImportError, or R failing to start
        message = f"R through rpy2 is not available ({type(exc).__name__}: {exc}). {_INSTALL_HINT}"
        if os.environ.get("MIXEDLAB_REQUIRE_R") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return ro


@pytest.fixture(scope="session")
def rbridge() -> ModuleType:
    """The R bridge module, with R, rpy2, lme4 and glmmTMB known to be usable."""
    require_r_or_skip()
    from mixedlab.parity import _rbridge

    return _rbridge
