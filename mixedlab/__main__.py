"""``python -m mixedlab`` is the ``mixedlab`` command."""

from mixedlab.cli import main

raise SystemExit(main())
