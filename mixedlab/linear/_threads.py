"""Run BLAS/LAPACK single-threaded for the many small dense solves of an iterative fit.

A GLMM fit calls LAPACK thousands of times on matrices of a few hundred rows (PIRLS inside
every optimiser evaluation). OpenBLAS's threaded kernels hand such calls to worker threads
that spin and wait for a core; on a busy machine a 186×186 Cholesky (grouseticks) then takes
~150 ms instead of ~1 ms (measured here with two cores and a load of 16). One thread is as
fast as several for matrices this small and immune to that, so the fitting loops run inside
:func:`single_blas_thread`.

The BLAS libraries bundled with the numpy and scipy wheels (``scipy_openblas``) are switched
through their own ``set_num_threads`` entry points (microseconds per call); other BLAS builds
(MKL, a system OpenBLAS, Accelerate) through ``threadpoolctl`` when it is installed, and are
left alone otherwise. Results do not change: only the thread count does.

The linear engine (lmer) uses the same switch, chosen by the size of its trailing dense
block (:func:`blas_threads_for`): one thread below :data:`THREADED_FROM` rows, the user's
threads above, where each call's work repays them.  Measured on a loaded 2-core machine
(issue 9 §2): InstEval took 116–142 s with 2 OpenBLAS threads and 14–19 s with one; a
dense factorization of a 130–280-row block 100–200 ms against 0.3–2 ms.  One thread also
makes lmer's optimum independent of the machine's thread count: OpenBLAS splits its sums
differently for different counts, the criterion's last bits changed, and BOBYQA following
them stopped at different points (10107.607 with threads against 10107.643 without on one
design).  The limit is entered once around a whole fit (and around the cross-products),
never per criterion evaluation.
"""

from __future__ import annotations

import ctypes
import glob
import os
from contextlib import contextmanager
from typing import Iterator

__all__ = ["single_blas_thread", "blas_threads_for", "THREADED_FROM"]

# (set, get) entry-point names of the OpenBLAS builds numpy and scipy wheels bundle
_ENTRY_POINTS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)

_handles: list[tuple] | None = None
_controller = None  # threadpoolctl's, when no bundled OpenBLAS was found


def _bundled_openblas() -> list[tuple]:
    """(set, get) ctypes functions of each OpenBLAS copy shipped inside numpy/scipy."""
    import numpy
    import scipy

    found = []
    for mod in (numpy, scipy):
        pkg = os.path.dirname(mod.__file__)
        paths = glob.glob(os.path.join(os.path.dirname(pkg), mod.__name__ + ".libs", "*openblas*")) + \
            glob.glob(os.path.join(pkg, ".dylibs", "*openblas*"))
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in _ENTRY_POINTS:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    setter, getter = getattr(lib, set_name), getattr(lib, get_name)
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    found.append((setter, getter))
                    break
    return found


def _init() -> list[tuple]:
    global _handles, _controller
    if _handles is None:
        try:
            _handles = _bundled_openblas()
        except Exception:  # an unusual install layout: fall through to threadpoolctl
            _handles = []
        if not _handles:
            try:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()
            except Exception:
                _controller = None
    return _handles


@contextmanager
def single_blas_thread(active: bool = True) -> Iterator[None]:
    """Limit BLAS to one thread inside the block (restored afterwards); no-op if ``active`` is false."""
    if not active:
        yield
        return
    handles = _init()
    if handles:
        before = [get() for _, get in handles]
        for setter, _ in handles:
            setter(1)
        try:
            yield
        finally:
            for (setter, _), n in zip(handles, before):
                setter(n)
    elif _controller is not None:
        with _controller.limit(limits=1, user_api="blas"):
            yield
    else:
        yield


#: trailing-block size (rows) from which an lmer fit keeps the user's BLAS threads.
#: Issue 19's 20,000 x 2,000 crossed design (m = 2003) measured on the loaded 2-core
#: machine: one 2003-row dpotrf took 6.7-9.6 s with 2 OpenBLAS threads and 0.53 s with
#: one, so the threaded kernels pay only on blocks several times larger
THREADED_FROM = 6000


def blas_threads_for(m: int):
    """The BLAS thread setting for an lmer fit whose trailing dense block has ``m`` rows."""
    return single_blas_thread(active=m < THREADED_FROM)
