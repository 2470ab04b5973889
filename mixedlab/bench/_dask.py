"""``mixedlab bench --dask``: lmer on a Dask DataFrame read from Parquet, 1M → 5M → 20M rows.

The design is crossed: 20,000 levels of ``g1`` (with a random slope on ``x``) × 2,000 of
``g2``.  Each size is written to Parquet once (in ``bench/data/dask-<rows>``, row groups of
250,000 rows, one partition each) and fitted on a 2-worker ``distributed.LocalCluster``
(one thread each).  Reported per size: the row pass (both passes over the partitions) and
the fit (optimisation on the reduced blocks, in the client) separately, and the peak
resident memory of each worker and of the client during the fit (VmHWM after resetting it,
Linux's ``/proc/self/clear_refs``).  At 1M rows the same rows are also fitted in memory and
the two fits are compared side by side.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["run_dask_bench", "render_dask", "FORMULA"]

FORMULA = "y ~ x + (x | g1) + (1 | g2)"
L1, L2 = 20_000, 2_000
CHUNK = 250_000


def _chunk(seed: int, i: int, n: int) -> pd.DataFrame:
    # the level effects come from one fixed stream, the rows from one stream per chunk
    fx = np.random.default_rng(seed)
    u1, v1, u2 = fx.normal(0, 0.8, L1), fx.normal(0, 0.3, L1), fx.normal(0, 0.5, L2)
    rng = np.random.default_rng([seed, i])
    g1 = rng.integers(0, L1, n)
    g2 = rng.integers(0, L2, n)
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * x + u1[g1] + v1[g1] * x + u2[g2] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x,
                         "g1": pd.Categorical.from_codes(g1, [f"s{j:05d}" for j in range(L1)]),
                         "g2": pd.Categorical.from_codes(g2, [f"i{j:04d}" for j in range(L2)])})


def write_parquet(rows: int, root: str, seed: int = 17) -> str:
    """The ``rows``-row data set as Parquet files (written once, reused)."""
    path = os.path.join(root, f"dask-{rows}")
    done = os.path.join(path, "_complete")
    if os.path.exists(done):
        return path
    os.makedirs(path, exist_ok=True)
    for i, start in enumerate(range(0, rows, CHUNK)):
        _chunk(seed, i, min(CHUNK, rows - start)).to_parquet(os.path.join(path, f"part-{i:04d}.parquet"),
                                                             index=False)
    open(done, "w").close()
    return path


def _reset_peak() -> float:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status("VmRSS")


def _status(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _peak() -> float:
    return _status("VmHWM")


def _fit_one(path: str, client: Any, with_fit: bool) -> dict:
    import dask.dataframe as dd

    from mixedlab.distributed._assemble import assemble
    from mixedlab.distributed._lmer import row_pass
    from mixedlab.fitting._lmer import fit_devfun
    from mixedlab.linear._deviance import make_devfun
    from mixedlab.linear._optimize import as_control

    ddf = dd.read_parquet(path)
    base_w = client.run(_reset_peak)
    base_c = _reset_peak()
    t0 = time.perf_counter()
    schema, part, shapes = row_pass(FORMULA, ddf, None, None)
    model = assemble(schema, part, shapes)
    t1 = time.perf_counter()
    peaks = client.run(_peak)
    client_rows = _peak()
    fit = None
    t2 = t1
    if with_fit:
        fit = fit_devfun(model, make_devfun(model, REML=True), as_control(None), data_name="ddf")
        t2 = time.perf_counter()
    return {"rows": schema.n, "partitions": ddf.npartitions, "row_pass_s": t1 - t0,
            "fit_s": (t2 - t1) if with_fit else None,
            "worker_peak_mb": {w: peaks[w] for w in peaks}, "worker_base_mb": base_w,
            "client_peak_rows_mb": client_rows, "client_peak_mb": _peak(), "client_base_mb": base_c,
            "fit": fit}


def run_dask_bench(sizes: tuple[int, ...] = (1_000_000, 5_000_000, 20_000_000), root: str = "bench/data",
                   compare_rows: int | None = None, progress: Any = None) -> dict:
    """The row pass of each size on a fresh 2-worker cluster.

    The fit depends on the number of random effects, not on the rows, so it is timed only at
    ``compare_rows`` (``mixedlab bench --dask-fit``), where the same rows are also fitted in
    memory and compared side by side.
    """
    import distributed

    import mixedlab

    results = []
    compare = None
    for rows in sizes:
        path = write_parquet(rows, root)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None, memory_limit=0) as cluster, \
                distributed.Client(cluster) as client:
            rec = _fit_one(path, client, rows == compare_rows)
        fd = rec.pop("fit")
        rec["objective"] = None if fd is None else fd.objective
        results.append(rec)
        if progress is not None:  # each size as it completes (a 20M-row pass takes a while)
            progress({"formula": FORMULA, "sizes": results, "compare": compare})
        if rows == compare_rows:
            frame = pd.read_parquet(path)
            t0 = time.perf_counter()
            fm = mixedlab.lmer(FORMULA, frame)
            t_mem = time.perf_counter() - t0

            def rel(a, b):
                a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
                return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))

            compare = {"rows": rows, "in_memory_s": t_mem, "objective": (fm.objective, fd.objective),
                       "fixef": (fm.fixef.tolist(), fd.fixef.tolist()), "se": (fm.se.tolist(), fd.se.tolist()),
                       "theta": (fm.theta.tolist(), fd.theta.tolist()),
                       "rel": {"objective": rel(fd.objective, fm.objective), "fixef": rel(fd.fixef, fm.fixef),
                               "se": rel(fd.se, fm.se), "theta": rel(fd.theta, fm.theta),
                               "sdcor": rel(fd.varcorr.sdcor, fm.varcorr.sdcor),
                               "ranef_g1": rel(fd.ranef["g1"], fm.ranef["g1"])}}
            del frame, fm
    return {"formula": FORMULA, "sizes": results, "compare": compare}


def render_dask(res: dict) -> str:
    """The scaling table and the side-by-side comparison, as Markdown."""
    lines = [f"`{res['formula']}` (g1: {L1:,} levels with a slope, g2: {L2:,}), Parquet, "
             "2-worker LocalCluster (1 thread each)", "",
             "| rows | partitions | row pass (s) | fit (s) | peak RSS per worker (MB) | client peak RSS, row pass (MB) |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in res["sizes"]:
        w = " / ".join(f"{v:.0f}" for v in r["worker_peak_mb"].values())
        fit = "—" if r["fit_s"] is None else f"{r['fit_s']:.1f}"
        lines.append(f"| {r['rows']:,} | {r['partitions']} | {r['row_pass_s']:.1f} | {fit} | {w} | "
                     f"{r['client_peak_rows_mb']:.0f} |")
    c = res.get("compare")
    if c:
        lines += ["", f"Same {c['rows']:,} rows, in memory vs Dask (in-memory fit {c['in_memory_s']:.1f} s):", "",
                  "| quantity | in memory | Dask | max relative difference |", "|---|---:|---:|---:|",
                  f"| objective | {c['objective'][0]:.6f} | {c['objective'][1]:.6f} | {c['rel']['objective']:.1e} |",
                  f"| fixef | {', '.join(f'{v:.6f}' for v in c['fixef'][0])} | "
                  f"{', '.join(f'{v:.6f}' for v in c['fixef'][1])} | {c['rel']['fixef']:.1e} |",
                  f"| SE | {', '.join(f'{v:.6f}' for v in c['se'][0])} | "
                  f"{', '.join(f'{v:.6f}' for v in c['se'][1])} | {c['rel']['se']:.1e} |",
                  f"| θ | {', '.join(f'{v:.5f}' for v in c['theta'][0])} | "
                  f"{', '.join(f'{v:.5f}' for v in c['theta'][1])} | {c['rel']['theta']:.1e} |",
                  f"| SDs/corr | | | {c['rel']['sdcor']:.1e} |",
                  f"| ranef g1 | | | {c['rel']['ranef_g1']:.1e} |"]
    return "\n".join(lines)
