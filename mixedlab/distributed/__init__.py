"""Fits whose rows live in a Dask DataFrame: the row pass distributed, the fit in memory.

Everything the profiled criterion needs from the n rows is in the cross-products
[Z X y]ᵀW[Z X y] (``mixedlab.linear._crossprod``), so the rows are read twice, as a
map-reduce: a first pass for the levels, NA counts and n, a second for per-partition
blocks summed by tree reduction (:mod:`._blocks`).  The client holds only the blocks.
"""

from mixedlab.distributed._frames import is_dask_frame
from mixedlab.distributed._lmer import lmer_dask

__all__ = ["is_dask_frame", "lmer_dask"]
