"""Without R: MIXEDLAB_REQUIRE_R=1 makes the live tests fail with install instructions;
without the variable they are skipped and the stored-reference tests still pass.

R is hidden from a child pytest by pointing ``R_HOME`` at a directory that does not exist
and giving it a ``PATH`` without ``R``/``Rscript``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# three cases: nested_reml, pastes_nested_reml, sleepstudy_uncorrelated
SELECT = ["tests/parity/test_parity_corpus.py", "-k", "nested_reml or sleepstudy_uncorrelated"]


def _pytest_without_r(tmp_path: Path, require: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("R_HOME", "MIXEDLAB_REQUIRE_R", "PYTEST_ADDOPTS")}
    env["R_HOME"] = str(tmp_path / "no-R-here")
    env["PATH"] = str(tmp_path)  # nothing in it: no R, no Rscript
    if require:
        env["MIXEDLAB_REQUIRE_R"] = "1"
    cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *SELECT]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_require_r_turns_missing_r_into_failure_with_install_message(tmp_path: Path) -> None:
    proc = _pytest_without_r(tmp_path, require=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "apt-get install --no-install-recommends r-base-core r-cran-lme4 r-cran-glmmtmb" in out
    assert "pip install rpy2==3.5.17" in out
    assert "does not exist" in out  # the reason: R_HOME points nowhere
    assert " skipped" not in out  # never a skip under MIXEDLAB_REQUIRE_R=1
    # stored + provenance pass; live + staleness fail in their fixture (pytest counts "errors")
    assert "6 passed" in out and "6 errors" in out


def test_without_the_variable_live_tests_skip_and_stored_tests_pass(tmp_path: Path) -> None:
    proc = _pytest_without_r(tmp_path, require=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "6 passed" in out and "6 skipped" in out, out
    assert "r-cran-glmmtmb" in out  # the skip reason still says how to install R


def test_require_raises_clear_error_in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mixedlab.parity import _rbridge

    monkeypatch.setenv("R_HOME", str(tmp_path / "missing"))
    monkeypatch.setattr(_rbridge, "_STATE", {})  # forget the cached probe for this test only
    assert not _rbridge.available()
    with pytest.raises(_rbridge.RUnavailableError, match="R_HOME=.*does not exist(.|\n)*rpy2==3.5.17"):
        _rbridge.require()
