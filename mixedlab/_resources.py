"""Where mixedlab finds the files it ships besides its code: the stored R references and the lessons.

The repository keeps them in two top-level folders, ``reference_outputs/`` and ``lessons/``
(the canonical, hand-edited or generator-written copies). A wheel cannot install top-level
folders next to a package, so the build step in ``setup.py`` copies both into the package as
``mixedlab/_shipped/<name>/``; nothing in the repository holds a second copy.

:func:`shipped_dir` answers with the installed copy when there is one (a normal
``pip install``), otherwise with the checkout's folder (an editable install, or running from
the source tree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = ["SHIPPED", "shipped_dir", "checkout_root"]

#: The folders the build copies into the package (``setup.py`` reads this tuple too).
SHIPPED: tuple[str, ...] = ("reference_outputs", "lessons")

_PACKAGE = Path(__file__).resolve().parent


def checkout_root() -> Path | None:
    """The repository root when this mixedlab runs from a source checkout, else None."""
    root = _PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "mixedlab").is_dir() else None


def shipped_dir(name: Literal["reference_outputs", "lessons"]) -> Path:
    """The folder holding ``name``: the installed copy, or the checkout's top-level folder.

    Parameters
    ----------
    name : {"reference_outputs", "lessons"}
        One of :data:`SHIPPED`.

    Returns
    -------
    pathlib.Path
        ``<site-packages>/mixedlab/_shipped/<name>`` in an installed wheel,
        ``<checkout>/<name>`` otherwise (the path may not exist when neither does).
    """
    if name not in SHIPPED:
        raise ValueError(f"unknown shipped folder {name!r}; choose from {', '.join(SHIPPED)}")
    installed = _PACKAGE / "_shipped" / name
    if installed.is_dir():
        return installed
    root = checkout_root()
    return (root if root is not None else _PACKAGE.parent) / name
