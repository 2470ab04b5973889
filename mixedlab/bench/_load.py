"""A loaded machine on demand: CPU-bound busy loops beside a timed case (issue 18).

Courses run on shared servers, so the benchmark has a row timed while other processes
compete for the cores. :func:`cpu_burners` starts ``n`` Python processes that spin
(``while True: pass``) and stops exactly those processes afterwards; the thread settings
of the timed engines are left at their defaults.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

__all__ = ["cpu_burners", "load_average"]


def load_average() -> list[float] | None:
    """The 1/5/15-minute load average, rounded, or None where the OS has none."""
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


@contextmanager
def cpu_burners(n: int, settle: float = 3.0) -> Iterator[list[subprocess.Popen]]:
    """Keep ``n`` busy-loop processes running inside the block (none for ``n`` ≤ 0).

    ``settle`` seconds pass before the block starts so that the scheduler has spread the
    loops over the cores. The processes are killed and reaped on exit, errors included.
    """
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(max(0, n)):
            procs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        if procs:
            time.sleep(settle)
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
