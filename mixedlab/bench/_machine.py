"""Where and with what a benchmark ran: CPU, cores, Python, numpy's BLAS, R, packages, date."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys

__all__ = ["machine_info"]


def _cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else platform.processor()."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _numpy_blas() -> str:
    """numpy's BLAS as reported by ``numpy.show_config``."""
    import numpy as np

    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}".strip()
    except Exception:  # older numpy without mode="dicts"
        return "unknown"


def _git_commit() -> str | None:
    """The repository commit the benchmark ran from, when run from a checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(
            ["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def machine_info(r_versions: dict[str, str] | None, statsmodels_version: str | None) -> dict:
    """Collect the environment description written into the JSON report."""
    import numpy as np
    import scipy

    import mixedlab

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numpy_blas": _numpy_blas(),
        "scipy": scipy.__version__,
        "mixedlab": mixedlab.__version__,
        "git_commit": _git_commit(),
        "statsmodels": statsmodels_version,
        "R": (r_versions or {}).get("R"),
        "R_BLAS": (r_versions or {}).get("BLAS"),
        "lme4": (r_versions or {}).get("lme4"),
        "glmmTMB": (r_versions or {}).get("glmmTMB"),
        # the machine may be shared: the 1/5/15-minute load average when the report was assembled
        "load_average": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
