"""Packaging: environment.yml (conda) and pyproject.toml list the same Python packages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

yaml = pytest.importorskip("yaml", reason="pyyaml is in the dev extra: pip install -e '.[dev]'")

# Not Python packages: the interpreter, pip itself, R and R packages (conda's r-* names).
_NOT_PYTHON = re.compile(r"^(python|pip|r-.*)$")


def _name(spec: str) -> str:
    """Distribution name of a requirement ('pandas>=2.0', 'rpy2==3.5.17', 'python=3.11'), normalised
    as PEP 503 does (lower case, runs of -_. as one -)."""
    name = re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += [s for s in extra if _name(s) != _name(project["name"])]
    return {_name(s): s for s in specs}


def _environment() -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs: list[str] = []
    pip: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
        else:
            specs.append(dep)
    python_specs = [s for s in specs if not _NOT_PYTHON.match(_name(s))]
    python_specs += [s for s in pip if not s.startswith("-e")]
    return {_name(s): s for s in python_specs}, specs + pip


def test_same_python_packages() -> None:
    pyproject = set(_pyproject())
    conda, _ = _environment()
    assert set(conda) == pyproject, (
        f"only in environment.yml: {sorted(set(conda) - pyproject)}; "
        f"only in pyproject.toml: {sorted(pyproject - set(conda))}")


# Bounds that differ on purpose. pip's rpy2 must match Debian 12's R 4.2 (rpy2 3.6 needs
# R >= 4.5), so the r extra pins 3.5.17; conda-forge builds rpy2 for its own current R, so
# environment.yml asks only for a release at least that new.
_DIFFERENT_BOUNDS = {"rpy2": ("==3.5.17", ">=3.5.17")}


def test_same_version_bounds() -> None:
    """A bound written in one file is written the same way in the other (conda '=' pins aside)."""
    pyproject = _pyproject()
    conda, _ = _environment()
    for name, spec in pyproject.items():
        bound = spec[len(re.split(r"[<>=!~ ;]", spec, maxsplit=1)[0]):].strip()
        if name in _DIFFERENT_BOUNDS:
            pip_bound, conda_bound = _DIFFERENT_BOUNDS[name]
            assert bound == pip_bound and conda[name].endswith(conda_bound), (spec, conda[name])
            continue
        other = conda[name]
        assert other.endswith(bound), f"{name}: pyproject says {spec!r}, environment.yml {other!r}"


def test_environment_has_r_and_installs_the_package() -> None:
    _, all_specs = _environment()
    names = {_name(s) for s in all_specs}
    assert {"r-base", "r-lme4", "r-glmmtmb", "python"} <= names
    assert "-e ." in all_specs
    python = next(s for s in all_specs if _name(s) == "python")
    assert python.replace(" ", "") in ("python=3.11", "python==3.11")


def test_conda_r_is_current_and_rpy2_comes_from_conda_forge() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "r-base" in specs, "R unpinned: conda-forge's current R with its matching rpy2"
    assert any(_name(s) == "rpy2" for s in specs) and not any(_name(s) == "rpy2" for s in pip)


def test_ci_script_requires_r_and_runs_the_test_command() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    setup = (ROOT / ".ci" / "setup").read_text()
    for part in (run, setup):
        assert part.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in part
    assert "bash .ci/setup" in run, ".ci/run must install through the same setup as the README"
    assert "export MIXEDLAB_REQUIRE_R=1" in run
    script = run + setup
    assert "r-base-core r-cran-lme4 r-cran-glmmtmb" in script
    assert '-e ".[all]"' in script
    assert "python -m pytest -q" in script
