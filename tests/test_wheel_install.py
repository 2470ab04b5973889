"""A user's install: ``pip install "<checkout>[lessons,r]"`` (not editable) into a fresh venv, then,
from a folder outside the checkout, the README's Python example, ``mixedlab parity --stored`` and
``mixedlab lessons --out DIR``.

The venv is new and empty; pip gets the dependencies through its usual configuration and
cache (the package registry), and builds mixedlab from the checkout with the same build step
a user gets. Nothing of the checkout is on the child processes' paths: they must find the
stored R references and the lessons inside the installed package. Takes a minute or two.
"""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(venv_dir: Path) -> dict[str, str]:
    """A shell's environment with the venv activated and nothing of this test process leaking in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MIXEDLAB_REFERENCE_DIR", "PYTHONHOME")}
    r_home = env.get("R_HOME")
    if r_home and env.get("LD_LIBRARY_PATH", "").startswith(os.path.join(r_home, "lib")):
        env.pop("LD_LIBRARY_PATH")  # put there by rpy2 when another test embedded R in this process
    env["VIRTUAL_ENV"] = str(venv_dir)
    env["PATH"] = f"{venv_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("wheel-install")
    venv_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    env = _env(venv_dir)
    python = str(venv_dir / "bin" / "python")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    proc = _run([python, "-m", "pip", "install", "--quiet", f"{ROOT}[lessons,r]"], elsewhere, env, timeout=1500)
    return {"python": python, "env": env, "cwd": elsewhere, "bin": venv_dir / "bin", "pip": proc}


def test_the_build_warns_about_nothing_of_the_project(installed):
    """The license is an SPDX string: no setuptools deprecation box while building mixedlab."""
    out = installed["pip"].stdout + installed["pip"].stderr
    assert "BuildBackendWarning" not in out and "project.license" not in out, out[-3000:]


def test_installed_package_carries_references_and_lessons(installed):
    code = ("import mixedlab, mixedlab._resources as r, pathlib; "
            "print(pathlib.Path(mixedlab.__file__).parent); "
            "print(r.shipped_dir('reference_outputs')); print(r.shipped_dir('lessons'))")
    out = _run([installed["python"], "-c", code], installed["cwd"], installed["env"], 120).stdout.split()
    package, refs, lessons = (Path(p) for p in out)
    assert ROOT not in package.parents, "the test imported the checkout, not the installed package"
    assert refs == package / "_shipped" / "reference_outputs"
    assert lessons == package / "_shipped" / "lessons"
    # every stored reference and every lesson of the checkout, and nothing dropped at top level
    for name, dest in (("reference_outputs", refs), ("lessons", lessons)):
        want = sorted(str(p.relative_to(ROOT / name)) for p in (ROOT / name).rglob("*")
                      if p.is_file() and ".ipynb_checkpoints" not in p.parts)
        have = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
        assert have == want, name
    site = package.parent
    assert not (site / "reference_outputs").exists() and not (site / "lessons").exists()


def test_readme_python_example_runs_outside_the_checkout(installed):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    script = installed["cwd"] / "readme_example.py"
    script.write_text(example, encoding="utf-8")
    proc = _run([installed["python"], "-W", "error::DeprecationWarning:mixedlab", str(script)],
                installed["cwd"], installed["env"], 300)
    assert "Linear mixed model fit by REML" in proc.stdout
    assert "REML criterion at convergence: 1743.6" in proc.stdout


def test_parity_stored_passes_outside_the_checkout(installed):
    proc = _run([str(installed["bin"] / "mixedlab"), "parity", "--stored"], installed["cwd"], installed["env"], 900)
    n = len(re.findall(r"^\S+\s+objective/logLik", proc.stdout, re.M))
    assert n >= 22
    assert f"{n}/{n} cases within tolerance (stored reference outputs)" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_lessons_run_into_a_folder_the_user_names(installed):
    out = installed["cwd"] / "my lessons"
    proc = _run([str(installed["bin"] / "mixedlab"), "lessons", "--out", str(out)],
                installed["cwd"], installed["env"], 1500)
    lessons = sorted(p.stem for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert f"{len(lessons)}/{len(lessons)} lessons executed without error" in proc.stdout
    assert re.search(r"^parity: (\d+)/\1 cases within tolerance \((live R|stored reference outputs)\)$",
                     proc.stdout, re.M), proc.stdout
    for name in lessons:
        assert (out / f"{name}.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert (out / f"{name}.ipynb").is_file()
    assert "\r" not in proc.stdout + proc.stderr
