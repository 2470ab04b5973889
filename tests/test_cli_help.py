"""``mixedlab --help`` and every sub-command's ``--help`` read as plain text (no RST markup)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["lessons", "--help"], ["parity", "--help"], ["bench", "--help"]])
def test_help_is_plain_text(args):
    proc = subprocess.run([sys.executable, "-m", "mixedlab", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("usage: mixedlab")
    for markup in ("``", ":func:", ":class:", ":mod:"):
        assert markup not in out, f"{markup!r} in `mixedlab {' '.join(args)}`:\n{out}"
