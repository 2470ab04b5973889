"""Stored R reference outputs: one JSON file per parity case.

Files live in ``reference_outputs/parity/<case>.json`` at the repository root, and inside the
package once installed (:func:`mixedlab._resources.shipped_dir`); the environment variable
``MIXEDLAB_REFERENCE_DIR`` overrides the directory. They are written only by
:func:`write_reference`, called by ``mixedlab parity --regenerate``; never edit them by hand.

Each file holds the case specification, when and with which versions it was generated, a
fingerprint of the data R was given (so a stored comparison can prove it fits the same
data), and the full-precision results of ``lme4::lmer`` and ``glmmTMB::glmmTMB`` in the
layout of :data:`mixedlab.parity._rbridge.RESULT_KEYS`. Python's ``json`` writes floats with
their shortest round-trip representation, so the numbers are R's doubles exactly.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from mixedlab._resources import shipped_dir

__all__ = ["reference_dir", "reference_path", "read_reference", "write_reference", "fingerprint",
           "ReferenceOutputError", "json_safe"]

SCHEMA = 1


class ReferenceOutputError(FileNotFoundError):
    """A reference file is missing or does not match the case; the message says what to run."""


def reference_dir() -> Path:
    """Directory of the parity reference files."""
    env = os.environ.get("MIXEDLAB_REFERENCE_DIR")
    if env:
        return Path(env)
    return shipped_dir("reference_outputs") / "parity"


def reference_path(case_name: str) -> Path:
    """Path of the reference file of ``case_name``."""
    return reference_dir() / f"{case_name}.json"


def fingerprint(df: pd.DataFrame) -> dict[str, Any]:
    """A compact, exact summary of a data frame: row count, and per column its kind, NA count
    and, for factors, the levels in order with their counts, for numbers the correctly
    rounded (``math.fsum``) sum and sum of squares. Equal data give equal fingerprints
    whatever the row order; a changed value, level order or NA almost surely changes it."""
    cols: dict[str, Any] = {}
    for name in df.columns:
        col = df[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            counts = col.value_counts(sort=False, dropna=True)
            cols[str(name)] = {
                "kind": "factor",
                "levels": [str(c) for c in col.cat.categories],
                "counts": [int(counts[c]) for c in col.cat.categories],
                "n_na": int(col.isna().sum()),
            }
        elif pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            vals = [float(v) for v in col.dropna().tolist()]
            cols[str(name)] = {
                "kind": "numeric",
                "n_na": int(col.isna().sum()),
                "sum": math.fsum(vals),
                "sumsq": math.fsum(v * v for v in vals),
            }
        else:
            vals = col.dropna().astype(str)
            cols[str(name)] = {"kind": "text", "n_na": int(col.isna().sum()),
                               "values": sorted(vals.value_counts().items())}
    return {"nrow": int(len(df)), "columns": cols}


def json_safe(obj: Any) -> Any:
    """JSON has no NaN/Inf: store them as null (R's NA and NaN both read back as None)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def write_reference(case, data_source: str, data_fingerprint: dict, results: dict[str, dict],
                    versions: dict) -> Path:
    """Write the reference file of ``case`` (a :class:`~mixedlab.parity._corpus.Case`).

    ``results`` maps each reference package of the case's kind (``"lme4"``, ``"glmmTMB"``)
    to its result dict; each becomes a top-level section of the file.
    """
    payload = {
        "schema": SCHEMA,
        "case": case.spec(),
        "description": case.description,
        "generated": {
            "by": "mixedlab parity --regenerate",
            "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "versions": versions,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "data": {"source": data_source, "fingerprint": data_fingerprint},
        **results,
    }
    path = reference_path(case.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_safe(payload), indent=1, allow_nan=False, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def read_reference(case_name: str, case=None) -> dict[str, Any]:
    """Read the reference of ``case_name``; if ``case`` is given, check the spec matches."""
    path = reference_path(case_name)
    if not path.exists():
        raise ReferenceOutputError(
            f"no stored R reference for case {case_name!r} at {path}; generate it with "
            f"`mixedlab parity --regenerate {case_name}` (needs R, lme4 and glmmTMB)"
        )
    ref = json.loads(path.read_text(encoding="utf-8"))
    if case is not None and ref.get("case") != case.spec():
        raise ReferenceOutputError(
            f"stored reference {path} was made for {ref.get('case')}, but the case is now "
            f"{case.spec()}; regenerate it with `mixedlab parity --regenerate {case_name}`"
        )
    return ref
