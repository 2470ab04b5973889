"""``mixedlab bench --residuals``: simulate_residuals timed beside R's simulate().

Timings are never asserted; the table's structure and the residuals' equality with R's
are.
"""

from __future__ import annotations

import json

from mixedlab.cli import main


def test_residual_benchmark_reports_times_and_rs_residuals(r_session, tmp_path, capsys):
    out = tmp_path / "res.json"
    status = main(["bench", "--residuals", "--repeats", "1", "--output", str(out)])
    text = capsys.readouterr().out
    assert status == 0
    assert "Simulated residuals, n = 250" in text and "R simulate()" in text
    rec = {r["name"]: r for r in json.loads(out.read_text())["residuals"]}
    cbpp = rec["cbpp"]
    assert cbpp["nobs"] == 56 and cbpp["n_sim"] == 250 and cbpp["identical"] is True
    assert cbpp["mixedlab"]["n"] == 1 and cbpp["R_simulate"]["median"] > 0
