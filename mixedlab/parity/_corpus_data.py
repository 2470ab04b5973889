"""Simulated datasets of the parity corpus: generation (deterministic) and loading.

The files live in ``mixedlab/data/corpus/``: ``<name>.csv`` with the data and
``<name>.json`` with each column's type and, for factors, the level order (a CSV cannot
carry it). Floats are written with Python's shortest round-trip ``repr`` and parsed back
exactly, so the numbers R and mixedlab fit are bit-identical to the
generated ones (a test regenerates the numpy designs in memory and compares exactly).

Regenerate with ``python -m mixedlab.parity._corpus_data`` (R is needed for the two tutorial
datasets, which are built by the tutorial's own R code with ``set.seed(123)``; the other
designs use numpy's PCG64 generator with fixed seeds). The files are committed; tests
never rewrite them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from mixedlab.datasets._tutorial_r import tutorial_r_code

__all__ = ["CORPUS_DIR", "corpus_datasets", "load_corpus_dataset", "generate"]

CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "corpus"

# The seed tutorial's data-generating code; R 4.2.2 reproduces the tutorial's printed digits.
_R_TUTORIAL = (
    "local({\n" + tutorial_r_code("nested") + tutorial_r_code("crossed")
    + "list(nested = df_nested, crossed = df_crossed)\n})"
)


def _labels(prefix: str, n: int) -> list[str]:
    width = len(str(n))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _cat(values, levels: list[str]) -> pd.Categorical:
    return pd.Categorical(values, categories=levels)


def _threeway() -> pd.DataFrame:
    """Fully crossed a (8) x b (6) x c (5), one observation per cell: three crossed intercepts."""
    rng = np.random.default_rng(20240301)
    la, lb, lc = _labels("a", 8), _labels("b", 6), _labels("c", 5)
    ia, ib, ic = (g.ravel() for g in np.meshgrid(range(8), range(6), range(5), indexing="ij"))
    ea, eb, ec = rng.normal(0, 1.0, 8), rng.normal(0, 0.6, 6), rng.normal(0, 0.4, 5)
    x = rng.uniform(0, 4, ia.size)
    y = 5 + 0.8 * x + ea[ia] + eb[ib] + ec[ic] + rng.normal(0, 1.0, ia.size)
    return pd.DataFrame({"y": y, "x": x, "a": _cat(np.array(la)[ia], la), "b": _cat(np.array(lb)[ib], lb),
                         "c": _cat(np.array(lc)[ic], lc)})


def _slope3() -> pd.DataFrame:
    """24 subjects x a 3-level condition (levels low < mid < high, not alphabetical) x 3 reps."""
    rng = np.random.default_rng(20240302)
    subjects, conds = _labels("s", 24), ["low", "mid", "high"]
    sd = np.array([2.0, 1.0, 1.5])
    corr = np.array([[1.0, -0.4, 0.3], [-0.4, 1.0, 0.2], [0.3, 0.2, 1.0]])
    b = rng.multivariate_normal(np.zeros(3), corr * np.outer(sd, sd), size=24)
    si, ci, _ = (g.ravel() for g in np.meshgrid(range(24), range(3), range(3), indexing="ij"))
    design = np.column_stack([np.ones(si.size), ci == 1, ci == 2]).astype(float)
    y = design @ np.array([20.0, 1.5, 3.0]) + np.einsum("ij,ij->i", design, b[si]) + rng.normal(0, 1.2, si.size)
    return pd.DataFrame({"y": y, "cond": _cat(np.array(conds)[ci], conds), "subject": _cat(np.array(subjects)[si], subjects)})


def _weighted() -> pd.DataFrame:
    """15 groups x 12 rows with prior weights w: residual variance sigma^2 / w."""
    rng = np.random.default_rng(20240303)
    groups = _labels("g", 15)
    gi = np.repeat(np.arange(15), 12)
    x = rng.uniform(0, 10, gi.size)
    w = rng.uniform(0.5, 3.0, gi.size)
    y = 3 + 0.4 * x + rng.normal(0, 1.5, 15)[gi] + rng.normal(0, 2.0, gi.size) / np.sqrt(w)
    return pd.DataFrame({"y": y, "x": x, "w": w, "g": _cat(np.array(groups)[gi], groups)})


def _offset() -> pd.DataFrame:
    """12 sites x 10 rows with a known offset column ``off``."""
    rng = np.random.default_rng(20240304)
    sites = _labels("site", 12)
    si = np.repeat(np.arange(12), 10)
    x = rng.normal(0, 1, si.size)
    off = 2 * np.log(rng.uniform(1, 5, si.size))
    y = off + 1 + 0.5 * x + rng.normal(0, 1.0, 12)[si] + rng.normal(0, 0.8, si.size)
    return pd.DataFrame({"y": y, "x": x, "off": off, "site": _cat(np.array(sites)[si], sites)})


def _missing() -> pd.DataFrame:
    """10 groups x 15 rows with NA in y, x and g, NA in an unused column, and an empty level.

    Rows with NA in a *model* variable must be dropped (na.omit); NA in ``note`` (not in the
    formula) must not drop anything; level ``g11`` has no rows and must not count as a group.
    """
    rng = np.random.default_rng(20240305)
    groups = _labels("g", 11)
    gi = np.repeat(np.arange(10), 15)
    x = rng.normal(5, 2, gi.size)
    y = 2 + 0.7 * x + rng.normal(0, 1.2, 10)[gi] + rng.normal(0, 1.0, gi.size)
    note = rng.normal(0, 1, gi.size)
    rows = rng.permutation(gi.size)
    y[rows[:7]] = np.nan
    x[rows[7:11]] = np.nan
    glabels = np.array(groups, dtype=object)[gi]
    glabels[rows[11:14]] = None
    note[rows[14:24]] = np.nan
    return pd.DataFrame({"y": y, "x": x, "g": _cat(glabels, groups), "note": note})


def _singular() -> pd.DataFrame:
    """6 groups x 5 rows with no between-group variation: lme4 estimates the group SD as 0."""
    rng = np.random.default_rng(20240308)  # first seed from 20240306 whose REML and ML fits are both singular
    groups = _labels("g", 6)
    gi = np.repeat(np.arange(6), 5)
    x = rng.uniform(0, 1, gi.size)
    y = 1 + 0.5 * x + rng.normal(0, 1, gi.size)
    return pd.DataFrame({"y": y, "x": x, "g": _cat(np.array(groups)[gi], groups)})


def _beta() -> pd.DataFrame:
    """30 groups x 12 rows of proportions in (0, 1): a beta GLMM whose precision depends on ``z``.

    logit μ = −0.5 + 0.8 x + b_g (sd 0.6); φ = exp(2.0 + 1.0 [z = "hi"]); y ~ Beta(μφ, (1 − μ)φ).
    """
    rng = np.random.default_rng(20240311)
    groups = _labels("g", 30)
    gi = np.repeat(np.arange(30), 12)
    x = rng.normal(0, 1, gi.size)
    zi = rng.integers(0, 2, gi.size)
    eta = -0.5 + 0.8 * x + rng.normal(0, 0.6, 30)[gi]
    mu = 1.0 / (1.0 + np.exp(-eta))
    phi = np.exp(2.0 + 1.0 * zi)
    y = rng.beta(mu * phi, (1.0 - mu) * phi)
    return pd.DataFrame({"y": y, "x": x, "z": _cat(np.array(["lo", "hi"])[zi], ["lo", "hi"]),
                         "g": _cat(np.array(groups)[gi], groups)})


def _tweedie() -> pd.DataFrame:
    """25 groups x 16 rows of compound Poisson–gamma amounts (exact zeros and positive values).

    log μ = 0.5 + 0.4 x + b_g (sd 0.5), φ = 1.2, p = 1.5: N ~ Poisson(μ^{2−p}/(φ(2−p))) and y the
    sum of N gamma(shape (2−p)/(p−1), scale φ(p−1)μ^{p−1}) amounts.
    """
    rng = np.random.default_rng(20240312)
    groups = _labels("g", 25)
    gi = np.repeat(np.arange(25), 16)
    x = rng.normal(0, 1, gi.size)
    mu = np.exp(0.5 + 0.4 * x + rng.normal(0, 0.5, 25)[gi])
    p, phi = 1.5, 1.2
    lam = mu ** (2 - p) / (phi * (2 - p))
    shape, scale = (2 - p) / (p - 1), phi * (p - 1) * mu ** (p - 1)
    counts = rng.poisson(lam)
    y = np.array([rng.gamma(shape, s, k).sum() if k else 0.0 for k, s in zip(counts, scale)])
    return pd.DataFrame({"y": y, "x": x, "g": _cat(np.array(groups)[gi], groups)})


def _betabinom() -> pd.DataFrame:
    """20 groups x 10 rows of k successes out of n (5–20) trials, overdispersed (beta-binomial).

    logit μ = −0.3 + 0.6 x + b_g (sd 0.5); p ~ Beta(μφ, (1 − μ)φ) with φ = 6; k ~ Binomial(n, p).
    """
    rng = np.random.default_rng(20240313)
    groups = _labels("g", 20)
    gi = np.repeat(np.arange(20), 10)
    x = rng.normal(0, 1, gi.size)
    n = rng.integers(5, 21, gi.size).astype(float)
    eta = -0.3 + 0.6 * x + rng.normal(0, 0.5, 20)[gi]
    mu = 1.0 / (1.0 + np.exp(-eta))
    phi = 6.0
    k = rng.binomial(n.astype(int), rng.beta(mu * phi, (1.0 - mu) * phi)).astype(float)
    return pd.DataFrame({"k": k, "n": n, "x": x, "g": _cat(np.array(groups)[gi], groups)})


# A Gamma(log) GLMM simulated in R (GLMM.md §2.9: glmer logLik -797.27, glmmTMB -802.38).
_R_GAMMA = """local({
  set.seed(1); n <- 400; g <- factor(rep(1:40, each = 10)); x <- rnorm(n); b <- rnorm(40, sd = 0.5)
  y <- rgamma(n, shape = 2, rate = 2 / exp(1 + 0.5 * x + b[g])); data.frame(y, x, g)
})"""


def _r_designs() -> dict[str, pd.DataFrame]:
    """Corpus designs simulated by R's own generators (rgamma has no mixedlab port)."""
    from mixedlab.parity import _rbridge

    ro, _ = _rbridge._session()
    return {"gamma": _rbridge.from_r(ro.r(_R_GAMMA))}


def _tutorial() -> dict[str, pd.DataFrame]:
    from mixedlab.parity import _rbridge

    ro, _ = _rbridge._session()
    res = ro.r(_R_TUTORIAL)
    return {"nested": _rbridge.from_r(res.rx2("nested")), "crossed": _rbridge.from_r(res.rx2("crossed"))}


_NUMPY_DESIGNS: dict[str, Callable[[], pd.DataFrame]] = {
    "threeway": _threeway,
    "slope3": _slope3,
    "weighted": _weighted,
    "offset": _offset,
    "missing": _missing,
    "singular": _singular,
    "sim_beta": _beta,
    "sim_tweedie": _tweedie,
    "sim_betabinom": _betabinom,
}


def corpus_datasets() -> list[str]:
    """Names of the corpus datasets stored in :data:`CORPUS_DIR`."""
    return sorted(p.stem for p in CORPUS_DIR.glob("*.csv"))


def _write(name: str, df: pd.DataFrame, origin: str) -> None:
    columns = {}
    for col in df.columns:
        dtype = df[col].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            columns[col] = {"type": "factor", "levels": [str(c) for c in dtype.categories]}
        else:
            columns[col] = {"type": "numeric"}
    meta = {"name": name, "origin": origin, "nrow": len(df), "columns": columns}
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    df.to_csv(CORPUS_DIR / f"{name}.csv", index=False, lineterminator="\n")
    (CORPUS_DIR / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")


def load_corpus_dataset(name: str) -> pd.DataFrame:
    """Read corpus dataset ``name`` with its factors as Categoricals in the stored level order."""
    meta_path = CORPUS_DIR / f"{name}.json"
    if not meta_path.exists():
        raise KeyError(f"no corpus dataset {name!r}; available: {corpus_datasets()}")
    meta = json.loads(meta_path.read_text())
    factors = [c for c, m in meta["columns"].items() if m["type"] == "factor"]
    # pandas < 3 parses floats with a fast, not always exact, parser unless asked; pandas 3
    # parses exactly by default (and deprecates the argument).
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    df = pd.read_csv(
        CORPUS_DIR / f"{name}.csv",
        dtype={c: str for c in factors},
        keep_default_na=False,
        na_values={c: [""] for c in meta["columns"]},
        **exact,
    )
    for c in factors:
        df[c] = pd.Categorical(df[c], categories=meta["columns"][c]["levels"])
    for c, m in meta["columns"].items():
        if m["type"] == "numeric":
            df[c] = df[c].astype(float)
    if len(df) != meta["nrow"] or list(df.columns) != list(meta["columns"]):
        raise ValueError(f"corpus dataset {name!r} does not match its metadata; regenerate it")
    return df


def generate() -> list[Path]:
    """(Re)write every corpus dataset; return the CSV paths written."""
    written = []
    for name, make in _NUMPY_DESIGNS.items():
        _write(name, make(), f"mixedlab.parity._corpus_data.{make.__name__} (numpy PCG64, fixed seed)")
        written.append(CORPUS_DIR / f"{name}.csv")
    for name, df in _tutorial().items():
        _write(name, df, "seed tutorial R code, set.seed(123), run in R through rpy2")
        written.append(CORPUS_DIR / f"{name}.csv")
    for name, df in _r_designs().items():
        _write(name, df, "R code in mixedlab.parity._corpus_data (set.seed(1), rnorm, rgamma), run through rpy2")
        written.append(CORPUS_DIR / f"{name}.csv")
    return written


if __name__ == "__main__":  # pragma: no cover - maintenance script
    for path in generate():
        print(path)
