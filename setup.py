"""Build step: put the repository's ``reference_outputs/`` and ``lessons/`` into the package.

Everything else about the build is declared in pyproject.toml. The two top-level folders stay
the only hand-maintained (or generator-written) copies; a regular build copies them into the
wheel as ``mixedlab/_shipped/<name>/``, where :func:`mixedlab._resources.shipped_dir` finds
them. An editable install copies nothing: there the checkout's folders are read directly.
"""

from __future__ import annotations

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("reference_outputs", "lessons")  # as mixedlab._resources.SHIPPED
_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".*")


class BuildPyWithShipped(build_py):
    """``build_py`` that also copies the shipped folders into ``mixedlab/_shipped``."""

    def _shipped_target(self) -> str:
        return os.path.join(self.build_lib, "mixedlab", "_shipped")

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = self._shipped_target()
        shutil.rmtree(target, ignore_errors=True)  # a stale build/ must not keep deleted files
        for name in SHIPPED:
            if not os.path.isdir(name):
                raise SystemExit(f"setup.py: the folder {name}/ is missing; build from a full checkout or sdist")
            shutil.copytree(name, os.path.join(target, name), ignore=_IGNORE)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        target = self._shipped_target()
        for folder, _dirs, files in os.walk(target):
            outputs.extend(os.path.join(folder, f) for f in files)
        return outputs


setup(cmdclass={"build_py": BuildPyWithShipped})
