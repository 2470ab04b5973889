"""BLAS threads for the criterion's dense operations, chosen by their size (issue 9, §2).

Multi-threaded OpenBLAS hands each call to its worker threads, which spin-wait for one
another.  On a quiet machine that costs microseconds; on a loaded one (a shared JupyterHub
server, CI) a worker that lost its core stalls the call until it is scheduled again:
measured on a loaded 2-core machine, a dense factorization of a 130–280-row block took
100–200 ms with 2 threads against 0.3–2 ms with one, and InstEval took 24–32 s instead
of 1.2–1.5 s.  Below a few thousand rows threads gain little even when the machine is
quiet, so the optimisation runs with one BLAS thread unless the trailing dense block is
large enough (``m`` ≥ :data:`THREADED_FROM`) for the work of each call to repay them.

One thread also makes the optimum independent of the machine's thread count: OpenBLAS
splits its sums differently for different thread counts, so the criterion's last bits
changed with the count and BOBYQA, following them, stopped at different points (10107.607
with threads against 10107.643 without on one design).

The limit is entered once around a whole fit: entering it costs about 60 µs (several
criterion evaluations of a small model), so per-evaluation limits would cost more than
they save.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

__all__ = ["THREADED_FROM", "blas_threads_for", "single_blas_thread"]

#: trailing-block size from which the user's default BLAS threading is kept
THREADED_FROM = 2000

_LOCK = threading.Lock()
_CONTROLLER = None


def _controller():
    """One ThreadpoolController per process (building it scans the loaded libraries: ~7 ms)."""
    global _CONTROLLER
    with _LOCK:
        if _CONTROLLER is None:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER = ThreadpoolController()
        return _CONTROLLER


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread (numpy's and scipy's OpenBLAS alike)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def blas_threads_for(m: int) -> contextlib.AbstractContextManager:
    """The BLAS thread setting for a fit whose trailing dense block has ``m`` rows."""
    if m >= THREADED_FROM:
        return contextlib.nullcontext()
    return single_blas_thread()
