"""``python -m mixedlab.parity [CASE...] [--live|--stored] [--regenerate]``."""

from __future__ import annotations

import argparse
import sys

from mixedlab.parity.cli import add_arguments, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m mixedlab.parity")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
