"""Shared pytest fixtures.

``r_session`` gives tests a live R (through rpy2) to compare against. Without R the
tests that use it are skipped, unless ``MIXEDLAB_REQUIRE_R=1`` is set (as in CI), in
which case a missing R is a failure that says how to install it.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest

_INSTALL_HINT = (
    "Install R and rpy2 with: apt-get install --no-install-recommends "
    "r-base-core r-cran-lme4 r-cran-glmmtmb  and  pip install rpy2==3.5.17"
)


@pytest.fixture(scope="session")
def r_session() -> ModuleType:
    """The ``rpy2.robjects`` module bound to a working embedded R.

    Skips the test when R or rpy2 is missing; fails instead when the environment
    variable ``MIXEDLAB_REQUIRE_R`` is ``1``.
    """
    try:
        import rpy2.robjects as ro

        ro.r("invisible(1)")
    except Exception as exc:  # ImportError, or R failing to start
        message = f"R through rpy2 is not available ({type(exc).__name__}: {exc}). {_INSTALL_HINT}"
        if os.environ.get("MIXEDLAB_REQUIRE_R") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return ro
