"""The mixedlab command: mixedlab lessons, mixedlab parity, mixedlab bench.

Each sub-command lives in the module that owns its concern; this file only
dispatches, importing the sub-command lazily so that ``mixedlab parity`` does not
pay for Jupyter and ``mixedlab lessons`` does not need R.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

# sub-command -> (module, one-line help); each module defines
# ``add_arguments(parser)`` and ``run(args) -> int``.
_COMMANDS: dict[str, tuple[str, str]] = {
    "lessons": ("mixedlab.lessons.cli", "execute the lessons and render them to HTML"),
    "parity": ("mixedlab.parity.cli", "fit the parity corpus with mixedlab, lme4 and glmmTMB side by side"),
    "bench": ("mixedlab.bench.cli", "time mixedlab against lme4, glmmTMB and statsmodels"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mixedlab`` command line and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="mixedlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in _COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in _COMMANDS:
        parser.print_help()
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    name = argv[0]
    module = importlib.import_module(_COMMANDS[name][0])
    cmd_parser = argparse.ArgumentParser(prog=f"mixedlab {name}", description=_COMMANDS[name][1])
    module.add_arguments(cmd_parser)
    args = cmd_parser.parse_args(argv[1:])
    return int(module.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
