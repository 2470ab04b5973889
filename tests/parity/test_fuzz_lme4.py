"""Random designs against live lme4 1.1-31 (issue 9): a fixed, seeded set run in CI.

The designs come from :func:`mixedlab.parity._fuzz.random_design` (nested, crossed and
partially crossed factors; correlated, ``||``, factor and three-column slopes; unbalanced
groups and few levels; zero true variances; prior weights; predictors scaled by 1e-3..1e4
or shifted far from zero; REML and ML), here with n ≤ 600 to keep CI short.  Each is
fitted by mixedlab and by lme4 and compared with the parity tolerances: mixedlab's
objective must not be worse than lme4's; when it is not lower, fixed effects, standard
errors, σ, VarCorr, conditional modes and names must agree.  A lower objective
("better": lme4 stopped early, verified against an exact QR computation of the
criterion when the test was written) passes.  Larger batches:
``python -m mixedlab.parity._fuzz --count 300``.
"""

from __future__ import annotations

import pytest

from mixedlab.parity._fuzz import random_design, run_design

MAX_N = 600
# Designs where lme4 is known to end at a better point that mixedlab's optimiser does not reach
# (kept in the set, strictly expected to fail, so a fix shows up here):
KNOWN = {
    # ML, (x + z | a) singular: the criterion falls monotonically from mixedlab's stopping
    # point to lme4's (433.9574544 → 433.9574416) along a flat valley at the boundary that
    # BOBYQA, restarted plain, scaled or tight, does not follow; objectives agree to 1.3e-5
    # (within tolerance) but the a-term SDs differ by 0.2%
    1020: "flat singular valley: lme4 goes further",
}
SEEDS = [pytest.param(s, marks=pytest.mark.xfail(reason=KNOWN[s], strict=True)) if s in KNOWN else s
         for s in range(1000, 1036)]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_design_agrees_with_lme4(seed, rbridge):
    design = random_design(seed, max_n=MAX_N)
    outcome = run_design(design)
    assert outcome.status in ("agree", "better"), f"{design.label} [{', '.join(design.features)}]: " \
                                                   f"{outcome.status}: {outcome.detail}"
