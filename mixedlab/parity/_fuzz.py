"""Random designs fitted by mixedlab and by live lme4: a fuzz-style parity check (issue 9).

:func:`random_design` draws one design from a seed: nested, crossed or partially crossed
grouping factors, random intercepts and slopes (correlated, ``||``, on a factor, with
three columns), unbalanced groups down to single observations, a few levels, true
variances of zero (near-singular fits), prior weights, predictors on scales from 1e-3 to
1e4 or far from zero, n from about 50 to a few thousand, REML or ML.  :func:`run_design`
fits it with :func:`mixedlab.lmer` and ``lme4::lmer`` and compares them with the parity
harness's rules (:mod:`mixedlab.parity._tolerances`): the objective one-sided (mixedlab
may be lower), fixed effects, standard errors, σ, VarCorr, conditional modes, names.

Outcomes: ``agree``; ``better`` (mixedlab's optimum lower than lme4's by more than the
tolerance: only the objective is compared); ``worse`` (mixedlab's objective higher);
``mismatch`` (the objective agrees, something else is outside tolerance); ``error`` (one
side failed, or they failed differently); ``runaway`` (mixedlab took more than
:data:`RUNAWAY_SECONDS` and 20× lme4's time).

Run a batch: ``python -m mixedlab.parity._fuzz --count 300 --seed 1000``.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FuzzDesign", "FuzzOutcome", "random_design", "run_design", "run_batch", "compare_with_lme4",
           "RUNAWAY_SECONDS"]

#: a fit slower than this (and 20× lme4's time) counts as a runaway
RUNAWAY_SECONDS = 30.0


@dataclass
class FuzzDesign:
    """One random design: formula, data and fitting options, with what it exercises."""

    seed: int
    formula: str
    data: pd.DataFrame
    REML: bool
    weights: str | None
    features: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        w = ", weights" if self.weights else ""
        return f"seed {self.seed}: {self.formula} (n={len(self.data)}, {'REML' if self.REML else 'ML'}{w})"


@dataclass
class FuzzOutcome:
    """What :func:`compare_with_lme4` found (``status``: see the module docstring)."""

    design: Any
    status: str
    detail: str = ""
    objective: tuple[float, float] | None = None  # (mixedlab, lme4)
    seconds: tuple[float, float] | None = None
    worst: dict[str, float] = field(default_factory=dict)  # largest |Δ|/bound per quantity


def _levels(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _group_codes(rng: np.random.Generator, n: int, k: int, unbalanced: bool) -> np.ndarray:
    """Level codes for n rows over k levels, every level used at least once."""
    if unbalanced:
        p = rng.dirichlet(np.full(k, 0.6))
    else:
        p = np.full(k, 1.0 / k)
    codes = rng.choice(k, size=n, p=p)
    codes[:k] = np.arange(k)[: min(k, n)]  # every level present
    return rng.permutation(codes)


def _scaled(rng: np.random.Generator, x: np.ndarray, features: list[str]) -> np.ndarray:
    r = rng.random()
    if r < 0.15:
        s = float(10.0 ** rng.choice([-3, -2, 2, 3, 4]))
        features.append(f"scale {s:g}")
        return x * s
    if r < 0.25:
        shift = float(rng.choice([50.0, 1e3, 2e3]))
        features.append(f"shift {shift:g}")
        return x + shift
    return x


def random_design(seed: int, max_n: int = 3000) -> FuzzDesign:
    """Draw a design from ``seed`` (same seed, same design, on every machine); n ≤ ``max_n``."""
    rng = np.random.default_rng(seed)
    features: list[str] = []
    structure = rng.choice(["one", "nested", "crossed", "partial", "three"], p=[0.3, 0.2, 0.2, 0.2, 0.1])
    n = int(np.exp(rng.uniform(np.log(50), np.log(max_n))))
    unbalanced = bool(rng.random() < 0.5)
    if unbalanced:
        features.append("unbalanced")

    # grouping factors
    cols: dict[str, Any] = {}
    max_levels = max(3, n // 3)
    few = rng.random() < 0.15
    k_a = _levels(rng, 2, 5) if few else _levels(rng, 5, min(max_levels, 300))
    if few:
        features.append("few levels")
    a = _group_codes(rng, n, k_a, unbalanced)
    cols["a"] = a
    terms_groups: list[str] = []
    if structure == "nested":
        k_b = _levels(rng, 2, 6)
        b_in_a = rng.integers(0, k_b, n)
        cols["b"] = b_in_a
        features.append("nested")
    elif structure in ("crossed", "partial", "three"):
        k_b = _levels(rng, 3, min(max(4, n // 5), 120))
        if structure == "partial":
            # each level of a sees only a window of b's levels: partially crossed
            width = max(2, int(k_b * rng.uniform(0.1, 0.5)))
            start = rng.integers(0, k_b, k_a)
            b = (start[a] + rng.integers(0, width, n)) % k_b
            features.append("partially crossed")
        else:
            b = _group_codes(rng, n, k_b, unbalanced)
            features.append("crossed")
        cols["b"] = b
        if structure == "three":
            cols["c"] = _group_codes(rng, n, _levels(rng, 3, 15), unbalanced)

    # predictors
    x = rng.normal(size=n)
    z = rng.uniform(-1, 1, size=n)
    f = rng.choice(["lo", "mid", "hi"][: _levels(rng, 2, 3)], size=n)
    cols["x"] = x
    cols["z"] = z
    cols["f"] = pd.Categorical(f)

    # random-effects structure for factor a
    slope = rng.choice(["none", "corr", "uncorr", "k3", "factor", "slope_only"],
                       p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.1])
    a_term = {"none": "(1 | a)", "corr": "(x | a)", "uncorr": "(x || a)", "k3": "(x + z | a)",
              "factor": "(f | a)" if rng.random() < 0.5 else "(0 + f | a)",
              "slope_only": "(1 | a) + (0 + x | a)"}[str(slope)]
    if slope != "none":
        features.append(f"slope {slope}")
    terms_groups.append(a_term)
    if "b" in cols:
        if structure == "nested":
            terms_groups.append("(1 | a:b)")
        else:
            terms_groups.append("(x | b)" if rng.random() < 0.25 else "(1 | b)")
    if "c" in cols:
        terms_groups.append("(1 | c)")

    # response
    near_singular = bool(rng.random() < 0.2)
    eta = 1.0 + 0.5 * x - 0.3 * z + (pd.Categorical(f).codes * 0.4)
    sd_a = 0.0 if near_singular and rng.random() < 0.5 else float(rng.uniform(0.2, 2.0))
    sd_slope = 0.0 if near_singular else float(rng.uniform(0.1, 1.0))
    if near_singular:
        features.append("near-singular")
    u0 = rng.normal(0, sd_a, k_a)
    u1 = rng.normal(0, sd_slope, k_a)
    rho = rng.uniform(-0.9, 0.9)
    u1 = rho * u0 / max(sd_a, 1e-9) * sd_slope + math.sqrt(1 - rho * rho) * u1 if sd_a > 0 else u1
    eta = eta + u0[a] + u1[a] * x
    if "b" in cols:
        kb = int(cols["b"].max()) + 1
        if structure == "nested":
            eta = eta + rng.normal(0, rng.uniform(0.0, 1.0), (k_a, kb))[a, cols["b"]]
        else:
            eta = eta + rng.normal(0, rng.uniform(0.1, 1.5), kb)[cols["b"]]
    if "c" in cols:
        eta = eta + rng.normal(0, 0.5, int(cols["c"].max()) + 1)[cols["c"]]
    sigma = float(rng.uniform(0.3, 2.0))
    weights = None
    if rng.random() < 0.15:
        w = rng.uniform(0.2, 5.0, n)
        cols["w"] = w
        weights = "w"
        features.append("weights")
        y = eta + rng.normal(0, sigma, n) / np.sqrt(w)
    else:
        y = eta + rng.normal(0, sigma, n)
    cols["y"] = y * float(10.0 ** rng.choice([0, 0, 0, 2, -2]))

    # predictors on awkward scales (after simulating, so the model is the same up to scale)
    cols["x"] = _scaled(rng, x, features)
    fixed = rng.choice(["x", "x + z", "x + f", "x * f", "x + z + f"])
    data = pd.DataFrame({k: (pd.Categorical([f"{k}{v}" for v in val]) if k in ("a", "b", "c") else val)
                         for k, val in cols.items()})
    formula = f"y ~ {fixed} + " + " + ".join(terms_groups)
    return FuzzDesign(seed=seed, formula=formula, data=data, REML=bool(rng.random() < 0.7),
                      weights=weights, features=features)


def _fit_ours(formula: str, data: pd.DataFrame, REML: bool, weights: str | None) -> dict[str, Any]:
    from mixedlab import lmer
    from mixedlab.parity._fits import results_from_fit

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = lmer(formula, data, REML=REML, weights=weights)
    return results_from_fit(fit, caught)


def compare_with_lme4(formula: str, data: pd.DataFrame, REML: bool = True, weights: str | None = None,
                      design: Any = None) -> FuzzOutcome:
    """Fit one model with mixedlab and live lme4 and classify the comparison (module docstring)."""
    from mixedlab.parity import _rbridge
    from mixedlab.parity import _tolerances as tol
    from mixedlab.parity._harness import _compare

    t0 = time.perf_counter()
    try:
        ours = _fit_ours(formula, data, REML, weights)
        ours_err = None
    except Exception as exc:  # a failure is a finding, classified below
        ours, ours_err = None, f"{type(exc).__name__}: {exc}"
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        ref = _rbridge.fit_lmer(formula, data, REML=REML, weights=weights)
        ref_err = None
    except _rbridge.RFitError as exc:
        ref, ref_err = None, str(exc)
    t_ref = time.perf_counter() - t0
    secs = (t_ours, t_ref)
    if ours_err or ref_err:
        if ours_err and ref_err:
            return FuzzOutcome(design, "agree", f"both fail: mixedlab {ours_err[:120]} | lme4 {ref_err[:120]}",
                               seconds=secs)
        return FuzzOutcome(design, "error", f"mixedlab: {ours_err or 'fitted'} | lme4: {ref_err or 'fitted'}",
                           seconds=secs)
    objs = (ours["objective"], ref["objective"])
    if t_ours > RUNAWAY_SECONDS and t_ours > 20 * t_ref:
        return FuzzOutcome(design, "runaway", f"{t_ours:.1f} s against lme4's {t_ref:.1f} s", objs, secs)
    bound = tol.allowed("lme4", "objective", ref["objective"])
    if ours["objective"] > ref["objective"] + bound:
        return FuzzOutcome(design, "worse", f"objective {ours['objective']:.6f} > lme4 {ref['objective']:.6f} "
                           f"(Δ {ours['objective'] - ref['objective']:.3g})", objs, secs)
    objective_only = tol.OBJECTIVE_ONLY["lme4_convergence"] if ref.get("conv_warnings") else None
    side = _compare("lme4", ours, ref, ref, objective_only, kind="lmer", primary="lme4")
    worst: dict[str, float] = {}
    bad = []
    for label, c in side.checks.items():
        if c.ok is False:
            bad.append(f"{label}: ours {c.ours} lme4 {c.ref} (|Δ| {c.delta if c.delta is not None else '-'}"
                       f", bound {c.bound})")
        if c.ok is not None and c.delta is not None and c.bound:
            q = label.split(" ")[0]
            worst[q] = max(worst.get(q, 0.0), float(c.delta) / float(c.bound))
    if ours["objective"] < ref["objective"] - bound:
        return FuzzOutcome(design, "better", f"mixedlab lower by {ref['objective'] - ours['objective']:.3g}",
                           objs, secs, worst)
    if bad:
        return FuzzOutcome(design, "mismatch", "; ".join(bad[:4]), objs, secs, worst)
    return FuzzOutcome(design, "agree", "", objs, secs, worst)


def run_design(design: FuzzDesign) -> FuzzOutcome:
    """Fit ``design`` with mixedlab and live lme4 and classify the comparison."""
    return compare_with_lme4(design.formula, design.data, design.REML, design.weights, design)


def run_batch(seeds: list[int], verbose: bool = True) -> list[FuzzOutcome]:
    """Run :func:`run_design` on ``random_design(s)`` for each seed."""
    out = []
    for s in seeds:
        d = random_design(s)
        o = run_design(d)
        out.append(o)
        if verbose:
            t = f"{o.seconds[0]:.2f}s/{o.seconds[1]:.2f}s" if o.seconds else ""
            print(f"{o.status:8s} {t:14s} {d.label}  {o.detail[:300]}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--seed", type=int, default=0, help="first seed")
    args = p.parse_args(argv)
    outcomes = run_batch(list(range(args.seed, args.seed + args.count)))
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    print("summary:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
