"""R's ``anova``-class tables (lmerTest's F tables, ``ranova``, ``drop1``) as printable DataFrames."""

from __future__ import annotations

import pandas as pd

from mixedlab.reporting._coefmat import print_anova_frame

__all__ = ["RAnovaFrame"]


class RAnovaFrame(pd.DataFrame):
    """A DataFrame whose ``str()``/``repr()`` is R's ``print.anova`` of the same table.

    ``heading`` holds the lines R prints above the table; ``hypotheses`` (F tables) maps
    each term to the contrast matrix tested, as lmerTest's ``show_tests``; ``formulae``
    (``ranova``) maps each row to the model refitted.
    """

    _metadata = ["heading", "hypotheses", "formulae"]

    @property
    def _constructor(self):
        # slices and arithmetic give plain DataFrames: the heading no longer applies
        return pd.DataFrame

    def to_r_text(self, digits: int = 5, signif_stars: bool = True) -> str:
        """The table as R prints it (``digits = max(getOption("digits") - 2, 3)``)."""
        heading = list(getattr(self, "heading", []) or [])
        frame = pd.DataFrame(self)
        return "\n".join(print_anova_frame(frame.to_numpy(dtype=float), [str(i) for i in frame.index],
                                           [str(c) for c in frame.columns], heading, digits, signif_stars))

    def __str__(self) -> str:
        return self.to_r_text()

    def __repr__(self) -> str:
        return self.to_r_text()
