"""Peak memory of one Python fit (mixedlab or statsmodels), measured in a fresh process.

What is measured, the same way as for R (:mod:`mixedlab.bench._r`): in a new
interpreter, after importing the engine and unpickling the data, the kernel's
peak-RSS counter is reset (``/proc/self/clear_refs`` ← 5) and one fit is run;
``peak_rss_growth_mb`` is VmHWM after the fit minus VmRSS before it. It counts
every allocation (numpy arrays, scipy sparse and LAPACK workspace, Python
objects), unlike ``tracemalloc``, which sees only allocations routed through
Python's allocator hooks.

Run as ``python -m mixedlab.bench._memory REQUEST.json``; prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import asdict

import pandas as pd

from mixedlab.bench._models import StatsmodelsSpec

__all__ = ["python_memory"]


def _status_mb(key: str) -> float:
    """A ``/proc/self/status`` memory field (kB there) in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{key} not found in /proc/self/status")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False when not permitted."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _worker(request_path: str) -> dict:
    """Measure one fit as described by the JSON request at ``request_path``."""
    with open(request_path) as fh:
        request = json.load(fh)
    engine = request["engine"]
    if engine == "mixedlab":
        from mixedlab.bench._mixedlab import fit_mixedlab as _fit_ml  # imports mixedlab

        def fit(frame: pd.DataFrame) -> object:
            return _fit_ml(request["formula"], frame, request["reml"])

    elif engine == "statsmodels":
        import statsmodels.formula.api  # noqa: F401  (import before the baseline)

        from mixedlab.bench._statsmodels import fit_statsmodels

        spec = StatsmodelsSpec(**request["statsmodels"])

        def fit(frame: pd.DataFrame) -> object:
            return fit_statsmodels(spec, frame, request["reml"])

    else:
        raise ValueError(f"unknown Python engine {engine!r}")
    with open(request["data"], "rb") as fh:
        frame = pickle.load(fh)
    gc.collect()
    rss_before = _status_mb("VmRSS")
    reset = _reset_peak()
    fit(frame)
    hwm_after = _status_mb("VmHWM")
    return {
        "rss_before_mb": rss_before,
        "hwm_after_mb": hwm_after,
        "peak_reset": reset,
        "peak_rss_growth_mb": hwm_after - rss_before,
        "method": "VmHWM after fit - VmRSS before (peak reset via clear_refs)"
        + ("" if reset else "; reset FAILED, peak may include earlier allocations"),
    }


def python_memory(
    engine: str,
    frame: pd.DataFrame,
    formula: str,
    reml: bool,
    statsmodels: StatsmodelsSpec | None = None,
    timeout: float = 3600.0,
) -> dict:
    """Run the memory worker for ``engine`` in a subprocess and return its figures.

    Returns ``{"error": ...}`` when the worker fails or times out.
    """
    with tempfile.TemporaryDirectory(prefix="mixedlab-bench-") as tmp:
        data_path = os.path.join(tmp, "data.pkl")
        request_path = os.path.join(tmp, "request.json")
        with open(data_path, "wb") as fh:
            pickle.dump(frame, fh, protocol=pickle.HIGHEST_PROTOCOL)
        request = {
            "engine": engine,
            "data": data_path,
            "formula": formula,
            "reml": reml,
            "statsmodels": asdict(statsmodels) if statsmodels else None,
        }
        with open(request_path, "w") as fh:
            json.dump(request, fh)
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "mixedlab.bench._memory", request_path],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:g} s"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["worker failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":  # pragma: no cover - exercised through python_memory
    print(json.dumps(_worker(sys.argv[1])))
