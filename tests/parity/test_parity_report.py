"""``mixedlab parity``'s report: compact (≤ 100 columns, one row per case and quantity group,
largest |Δ| in scientific notation), ``--verbose`` detail, and an honest line when a case cannot
be compared."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from mixedlab.parity import _report, run_case
from mixedlab.parity._corpus import all_case_names


def _mixedlab(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mixedlab", *args], capture_output=True, text=True,
                          timeout=600, env=env)


@pytest.fixture(scope="module")
def stored_run() -> subprocess.CompletedProcess:
    return _mixedlab("parity", "--stored")


def test_stored_report_is_compact_and_passes(stored_run):
    out = stored_run.stdout
    assert stored_run.returncode == 0, out + stored_run.stderr
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    n = len(all_case_names())
    assert any(name.startswith("tmb_") for name in all_case_names())
    assert f"{n}/{n} cases within tolerance (stored reference outputs)" in lines
    # one row per case and group: every case name starts exactly one row
    starts = [line.split()[0] for line in lines if line and not line.startswith(" ")]
    for name in all_case_names():
        assert starts.count(name) == 1, name
    assert len(lines) < 12 * n          # was 532 lines for 22 cases
    # no internal rows, |Δ| never printed as 0.0, always in scientific notation
    assert "fixef names" not in out and "VarCorr names and order" not in out
    deltas = re.findall(r"\b\d\.\de[+-]\d\d\b", out)
    assert deltas and " 0.0 " not in out


def test_compact_rows_group_every_quantity():
    res = run_case("nested_reml", live=False)
    rows = _report.compact_rows(res)
    assert [r["group"] for r in rows] == ["objective", "fixef", "se", "vc", "corr", "ranef", "structure"]
    assert sum(r["rows"] for r in rows) == len(res.table)
    fixef = next(r for r in rows if r["group"] == "fixef")
    expected = max(float(d) for q, d in zip(res.table["quantity"], res.table["|Δ|"]) if q.startswith("fixef ")
                   and q != "fixef names")
    assert fixef["lme4"].max_delta == expected


def test_verbose_lists_every_quantity():
    proc = _mixedlab("parity", "--stored", "--verbose", "sleepstudy_reml")
    assert proc.returncode == 0, proc.stderr
    assert "fixef Days" in proc.stdout and "VarCorr Subject (Intercept):Days corr" in proc.stdout


def test_missing_reference_is_reported_not_a_traceback(tmp_path):
    import os

    env = dict(os.environ, MIXEDLAB_REFERENCE_DIR=str(tmp_path))
    proc = _mixedlab("parity", "--stored", "nested_reml", env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not checked (no R and no usable stored reference): nested_reml" in proc.stdout
