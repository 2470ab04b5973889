"""Regenerate the files that come from R: lme4's data sets and R's random streams.

Run ``python -m mixedlab.datasets._export`` (needs R with lme4 and rpy2). It writes

* ``mixedlab/data/<name>.csv`` (``InstEval.csv.gz``) and ``mixedlab/data/datasets.json``
  (column types, factor levels in R's order, R and lme4 versions);
* ``reference_outputs/rng/<program>.json``: for each program in :data:`RNG_PROGRAMS` and
  each seed in :data:`RNG_SEEDS`, the R code run after ``set.seed(seed)`` and the values
  R returned, so the RNG tests stay meaningful on machines without R.

Options ``--data`` / ``--rng`` restrict the run to one kind. The output is never edited
by hand. The program table and :func:`replay` are also used by the tests, which replay
each program with :class:`mixedlab.RRandom` and compare with the stored or live values.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import io
import json
from pathlib import Path
from typing import Any

from mixedlab.datasets._lme4 import DATASET_NAMES, DATASET_PACKAGES
from mixedlab.datasets._rng_programs import (
    RNG_PROGRAMS,
    RNG_SEEDS,
    r_call,
    r_program,
    replay,
    run_in_r,
)

__all__ = ["RNG_SEEDS", "RNG_PROGRAMS", "r_call", "r_program", "replay", "run_in_r", "main"]

_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = _ROOT / "mixedlab" / "data"
RNG_DIR = _ROOT / "reference_outputs" / "rng"


def _r_versions(ro: Any) -> dict[str, str]:
    return {
        "r_version": str(ro.r("R.version.string")[0]),
        "lme4_version": str(ro.r('as.character(packageVersion("lme4"))')[0]),
        "rngkind": list(ro.r("RNGkind()")),
        "generated": _dt.date.today().isoformat(),
    }


def export_rng(ro: Any, out_dir: Path = RNG_DIR) -> list[Path]:
    """Write one JSON file of R's values per program in :data:`RNG_PROGRAMS`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    header = _r_versions(ro)
    header.pop("lme4_version")
    for name, steps in RNG_PROGRAMS.items():
        cases = []
        for seed in RNG_SEEDS:
            cases.append({
                "seed": seed,
                "r_code": r_program(seed, steps),
                "values": run_in_r(ro, seed, steps),
            })
        doc = {**header, "program": name,
               "steps": [[fn, list(args), kwargs] for fn, args, kwargs in steps],
               "cases": cases}
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _column_spec(ro: Any, frame: str, col: str) -> tuple[dict[str, Any], list[Any]]:
    """Type, levels and values of one column of an R data frame."""
    ref = f"{frame}[[{json.dumps(col)}]]"
    if bool(ro.r(f"is.factor({ref})")[0]):
        kind = "ordered" if bool(ro.r(f"is.ordered({ref})")[0]) else "factor"
        levels = [str(v) for v in ro.r(f"levels({ref})")]
        values = [str(v) for v in ro.r(f"as.character({ref})")]
        return {"name": col, "type": kind, "levels": levels}, values
    rtype = str(ro.r(f"typeof({ref})")[0])
    if rtype == "integer":
        return {"name": col, "type": "integer"}, [int(v) for v in ro.r(ref)]
    if rtype == "double":
        return {"name": col, "type": "double"}, [float(v) for v in ro.r(ref)]
    raise TypeError(f"{frame}${col} has R type {rtype}, which the export does not handle")


def export_datasets(ro: Any, out_dir: Path = DATA_DIR) -> list[Path]:
    """Write lme4's data sets as CSV files plus ``datasets.json`` with their R types."""
    import pandas as pd

    ro.r("suppressPackageStartupMessages(library(lme4))")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {**_r_versions(ro), "datasets": {}}
    written = []
    ro.r("suppressPackageStartupMessages(library(glmmTMB))")
    for name in DATASET_NAMES:
        frame = f"{DATASET_PACKAGES.get(name, 'lme4')}::{name}"
        cols = [str(c) for c in ro.r(f"names({frame})")]
        specs, data = [], {}
        for col in cols:
            spec, values = _column_spec(ro, frame, col)
            specs.append(spec)
            data[col] = values
        nrow = int(ro.r(f"nrow({frame})")[0])
        # Python's float repr round-trips every double exactly.
        text = pd.DataFrame(data).to_csv(index=False, lineterminator="\n")
        if nrow > 10000:
            filename = f"{name}.csv.gz"
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
                gz.write(text.encode("utf-8"))
            (out_dir / filename).write_bytes(buf.getvalue())
        else:
            filename = f"{name}.csv"
            (out_dir / filename).write_text(text, encoding="utf-8")
        meta["datasets"][name] = {"file": filename, "nrow": nrow, "columns": specs}
        written.append(out_dir / filename)
    path = out_dir / "datasets.json"
    path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: export data sets and/or RNG reference vectors from R."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="store_true", help="only the lme4 data sets")
    parser.add_argument("--rng", action="store_true", help="only the RNG reference vectors")
    opts = parser.parse_args(argv)
    both = not (opts.data or opts.rng)
    import rpy2.robjects as ro

    paths: list[Path] = []
    if opts.data or both:
        paths += export_datasets(ro)
    if opts.rng or both:
        paths += export_rng(ro)
    for p in paths:
        print(p.relative_to(_ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
