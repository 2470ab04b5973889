"""The R side of ``TmbFit.simulate`` parity: glmmTMB 1.1.5's ``simulate.glmmTMB``.

For each case of :data:`TMB_SIM_CASES` R fits the model with ``glmmTMB`` (in the session of
:mod:`mixedlab.parity._rbridge`) and, for each seed, runs ``simulate(m, nsim, seed = seed)``
(binomial responses: the successes column). It returns the matrices with the parameters they
were drawn from, ``m$fit$parfull`` (random effects ``b``/``bzi`` included). Fed those
parameters, :meth:`mixedlab.TmbFit.simulate` must return R's matrices bit for bit.

:func:`r_zero_inflated` runs the loop glmmTMB's C++ runs (per observation: the family's
draw, then ``rbinom(1, 1, 1 - pz)``) as plain R code, for :meth:`mixedlab.RRandom.zero_inflated`.

``python -m mixedlab.parity._rtmbsim`` writes ``reference_outputs/tmb_simulate/*.json``
(R, glmmTMB and TMB versions recorded) so the tests also run without R.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixedlab import RRandom, datasets
from mixedlab.parity import _rbridge

__all__ = ["TmbSimCase", "py_family", "TMB_SIM_CASES", "tmb_case_data", "r_tmb_simulate", "ZI_STREAMS",
           "zi_stream_params", "r_zero_inflated", "export", "REF_DIR"]

REF_DIR = Path(__file__).resolve().parents[2] / "reference_outputs" / "tmb_simulate"


@dataclass(frozen=True)
class TmbSimCase:
    """One glmmTMB model whose simulations are compared with R's.

    ``family`` is the R expression; ``py_family`` and ``py_link`` what
    :func:`mixedlab.glmmtmb` is given (``py_link`` None: the family's default link).
    """

    name: str
    formula: str
    dataset: str
    family: str = "gaussian"
    py_family: str = "gaussian"
    py_link: str | None = None
    ziformula: str = "~0"
    dispformula: str = "~1"
    offset: str | None = None
    seeds: tuple[int, ...] = (1, 42)
    nsim: int = 3


TMB_SIM_CASES: dict[str, TmbSimCase] = {c.name: c for c in [
    TmbSimCase("salamanders_zinb2", "count ~ spp + mined + (1 | site)", "Salamanders",
               "nbinom2", "nbinom2", ziformula="~spp + mined"),
    TmbSimCase("salamanders_zinb2_zi_re", "count ~ spp + mined + (1 | site)", "Salamanders",
               "nbinom2", "nbinom2", ziformula="~mined + (1 | site)"),
    TmbSimCase("salamanders_zinb1", "count ~ spp + mined + (1 | site)", "Salamanders",
               "nbinom1", "nbinom1", ziformula="~mined"),
    TmbSimCase("salamanders_zip_cover", "count ~ spp + cover + (1 | site)", "Salamanders",
               "poisson", "poisson", ziformula="~cover"),
    TmbSimCase("salamanders_pois_crossed", "count ~ spp + cover + DOY + (1 | site) + (1 | spp)",
               "Salamanders", "poisson", "poisson", nsim=2),
    TmbSimCase("cbpp_binomial", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
               "cbpp", "binomial", "binomial"),
    TmbSimCase("sleepstudy_slope", "Reaction ~ Days + (Days | Subject)", "sleepstudy"),
    TmbSimCase("sleepstudy_k3", "Reaction ~ Days + (Days + D2 | Subject)", "sleepstudy"),
    TmbSimCase("sleepstudy_disp", "Reaction ~ Days + (1 | Subject)", "sleepstudy",
               dispformula="~Days"),
    TmbSimCase("sleepstudy_beta", "P ~ Days + (1 | Subject)", "sleepstudy", "beta_family()",
               "beta_family"),
    TmbSimCase("sleepstudy_gamma", "R2 ~ Days + (1 | Subject)", "sleepstudy",
               'Gamma(link = "log")', "Gamma", py_link="log"),
    # continuous covariates, an offset and an odd n: Eigen's paired GEMV columns
    TmbSimCase("gemv_odd_offset", "y ~ x1 + x2 + x3 + x4 + x5 + x6 + (1 | g)", "gemv",
               offset="off"),
    # glmmTMB's own samplers (distrib.h): truncated counts as hurdles and alone, generalised
    # Poisson, Tweedie (compound Poisson-gamma, Eigen's sum), beta-binomial (rbeta, rbinom)
    TmbSimCase("salamanders_hurdle_pois", "count ~ spp + mined + (1 | site)", "Salamanders",
               "truncated_poisson", "truncated_poisson", ziformula="~spp + mined"),
    TmbSimCase("salamanders_hurdle_nb2", "count ~ spp + mined + (1 | site)", "Salamanders",
               "truncated_nbinom2", "truncated_nbinom2", ziformula="~mined"),
    TmbSimCase("salamanders_hurdle_nb1", "count ~ spp + mined + (1 | site)", "Salamanders",
               "truncated_nbinom1", "truncated_nbinom1", ziformula="~mined"),
    TmbSimCase("salamanders_pos_truncpois", "count ~ mined + (1 | site)", "Salamanders_pos",
               "truncated_poisson", "truncated_poisson"),
    TmbSimCase("salamanders_pos_truncnb2", "count ~ mined + (1 | site)", "Salamanders_pos",
               "truncated_nbinom2", "truncated_nbinom2"),
    TmbSimCase("salamanders_genpois", "count ~ spp + mined + (1 | site)", "Salamanders",
               "genpois", "genpois"),
    TmbSimCase("salamanders_zigenpois", "count ~ spp + mined + (1 | site)", "Salamanders",
               "genpois", "genpois", ziformula="~mined"),
    TmbSimCase("sim_tweedie", "y ~ x + (1 | g)", "corpus:sim_tweedie", "tweedie", "tweedie"),
    TmbSimCase("sim_betabinomial", "cbind(k, n - k) ~ x + (1 | g)", "corpus:sim_betabinom",
               "betabinomial", "betabinomial"),
    TmbSimCase("cbpp_betabinomial", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
               "cbpp", "betabinomial", "betabinomial"),
]}


def py_family(case: TmbSimCase) -> Any:
    """The family argument for :func:`mixedlab.glmmtmb`."""
    if case.py_link is None:
        return case.py_family
    from mixedlab import families

    return getattr(families, case.py_family)(case.py_link)


def _gemv_data() -> pd.DataFrame:
    """181 rows, six continuous covariates, an offset, 12 groups (drawn with RRandom)."""
    rng = RRandom(181)
    n = 181
    d = pd.DataFrame({f"x{k}": rng.rnorm(n) * 1.37 for k in range(1, 7)})
    d["g"] = pd.Categorical([f"g{i % 12:02d}" for i in range(n)])
    d["off"] = rng.rnorm(n) * 0.3
    ge = rng.rnorm(12)
    d["y"] = d.x1 * 0.7 + d.x2 * 1.1 - d.x4 + ge[d.g.cat.codes] + rng.rnorm(n)
    return d


def tmb_case_data(case: TmbSimCase) -> pd.DataFrame:
    """The data frame of a case, derived columns added."""
    if case.dataset == "gemv":
        return _gemv_data()
    if case.dataset.startswith("corpus:"):
        from mixedlab.parity._corpus_data import load_corpus_dataset

        return load_corpus_dataset(case.dataset.partition(":")[2])
    if case.dataset == "Salamanders_pos":  # the positive counts: a truncated family alone
        d = datasets.load_dataset("Salamanders")
        return d[d["count"] > 0].reset_index(drop=True)
    d = datasets.load_dataset(case.dataset)
    if case.dataset == "sleepstudy":
        d = d.assign(D2=(d.Days - 4.5) ** 2 / 10.0, R2=d.Reaction / 100.0,
                     P=(d.Reaction - 150.0) / 400.0)
    return d


_R_TMBSIM = r"""
tmbsim_reference <- function(formula, d, family, zi, disp, offset, seeds, nsim) {
  args <- list(formula = as.formula(formula), data = d, family = eval(str2lang(family)),
               ziformula = as.formula(zi), dispformula = as.formula(disp))
  if (!is.null(offset)) args$offset <- d[[offset]]
  m <- suppressWarnings(do.call(glmmTMB::glmmTMB, args))
  sims <- lapply(seeds, function(s) {
    x <- stats::simulate(m, nsim = nsim, seed = s)
    cols <- lapply(x, function(v) if (is.matrix(v)) v[, 1] else v)
    list(seed = s, values = unname(cols))
  })
  list(par = unname(m$fit$parfull), names = names(m$fit$parfull), sims = sims)
}

tmbsim_zi <- function(seed, family, a, b, pz) {
  set.seed(seed)
  n <- length(a); y <- numeric(n)
  for (i in seq_len(n)) {
    v <- switch(family,
      poisson = rpois(1, a[i]),
      nbinom = rnbinom(1, size = a[i], prob = b[i]),
      binomial = rbinom(1, a[i], b[i]),
      gamma = rgamma(1, shape = a[i], scale = b[i]),
      normal = rnorm(1, a[i], b[i]),
      beta = rbeta(1, a[i], b[i]))
    if (!is.null(pz)) v <- v * rbinom(1, 1, 1 - pz[i])
    y[i] <- v
  }
  c(y, runif(1))
}
"""


def _env():
    return _rbridge._session_with("tmbsim_env", _R_TMBSIM)


def r_tmb_simulate(case: TmbSimCase) -> dict[str, Any]:
    """Fit the case with glmmTMB and simulate for every seed; plain Python results.

    Returns
    -------
    dict
        ``par`` and ``par_names`` (``m$fit$parfull``) and ``sims``: a list of
        ``{"seed", "values"}`` with ``values`` one list per simulation.
    """
    ro, env = _env()
    rdf = _rbridge.to_r(tmb_case_data(case))
    with _rbridge._LOCK:
        res = env["tmbsim_reference"](
            case.formula, rdf, case.family, case.ziformula, case.dispformula,
            ro.StrVector([case.offset]) if case.offset else ro.NULL,
            ro.IntVector(list(case.seeds)), case.nsim)
        par = [float(v) for v in res.rx2("par")]
        names = [str(v) for v in res.rx2("names")]
        sims = [{"seed": int(item.rx2("seed")[0]),
                 "values": [[float(v) for v in col] for col in item.rx2("values")]}
                for item in res.rx2("sims")]
    return {"par": par, "par_names": names, "sims": sims}


#: edge-heavy parameter sets for RRandom.zero_inflated (family, seed, n)
ZI_STREAMS: tuple[tuple[str, int, int], ...] = (
    ("nbinom", 11, 4000), ("poisson", 12, 4000), ("binomial", 13, 3000),
    ("gamma", 14, 3000), ("normal", 15, 2000), ("nbinom_plain", 16, 3000), ("beta", 17, 4000),
    # long enough (~100,000 uniforms) for the inlined ZINB loop to refill its block
    ("nbinom", 18, 20000),
)


def zi_stream_params(family: str, seed: int, n: int) -> tuple[str, np.ndarray, Any, Any]:
    """Parameters covering every path: shapes below and above 1, means below and above 10,
    ``prob = 1``, ``pz`` of exactly 0 and 1, and a few invalid values (NaN draws)."""
    g = RRandom(seed)
    u = g.runif(n)
    pz = g.runif(n) * 0.9
    pz[::97] = 0.0
    pz[5::101] = 1.0
    if family in ("nbinom", "nbinom_plain"):
        size = np.where(u < 0.3, u * 2.0, 0.5 + g.rexp(n) * 6.0)
        prob = g.runif(n)
        prob[7::211] = 1.0
        size[13::499] = -1.0
        return "nbinom", size, prob, (None if family == "nbinom_plain" else pz)
    if family == "poisson":
        lam = np.where(u < 0.5, u * 18.0, g.rexp(n) * 30.0)
        lam[3::307] = 0.0
        lam[11::401] = -2.0
        return "poisson", lam, None, pz
    if family == "binomial":
        size = np.floor(g.runif(n) * 60.0)
        prob = g.runif(n)
        prob[17::173] = 0.0
        return "binomial", size, prob, pz
    if family == "gamma":
        shape = np.where(u < 0.4, u * 2.0, 1.0 + g.rexp(n) * 5.0)
        return "gamma", shape, 0.2 + g.rexp(n), pz
    if family == "beta":  # BC (a shape <= 1) and BB, point masses at 0 and infinite shapes
        s1 = np.where(u < 0.5, u * 2.5, 1.0 + g.rexp(n) * 5.0)
        s2 = np.where(g.runif(n) < 0.5, g.runif(n) * 1.5, 1.0 + g.rexp(n) * 5.0)
        s1[::331] = 0.0
        s2[7::353] = np.inf
        s1[9::367] = -1.0
        return "beta", s1, s2, pz
    return "normal", g.rnorm(n) * 3.0, 0.1 + g.rexp(n), pz


def r_zero_inflated(family: str, seed: int, n: int) -> list[float]:
    """R's draws for :func:`zi_stream_params` (NaN where R gives NA), then R's next
    ``runif(1)`` (the stream goes on from where the draws left it)."""
    kind, a, b, pz = zi_stream_params(family, seed, n)
    ro, env = _env()
    num = ro.FloatVector
    with _rbridge._LOCK:
        out = env["tmbsim_zi"](seed, kind, num(a), ro.NULL if b is None else num(b),
                               ro.NULL if pz is None else num(pz))
        return [float(v) for v in out]


def export(out_dir: Path = REF_DIR) -> list[Path]:
    """Write one JSON file per simulate case, and ``zi_streams.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vers = _rbridge.versions()
    meta = {"r_version": vers.get("R"), "glmmTMB_version": vers.get("glmmTMB"),
            "TMB_version": vers.get("TMB"), "generated": _dt.date.today().isoformat()}
    written = []
    for case in TMB_SIM_CASES.values():
        doc = {"case": case.name, "formula": case.formula, "family": case.family,
               "ziformula": case.ziformula, "dispformula": case.dispformula,
               "nsim": case.nsim, **meta, **r_tmb_simulate(case)}
        path = out_dir / f"{case.name}.json"
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    streams = {f"{fam}_{seed}_{n}": [None if np.isnan(v) else v
                                     for v in r_zero_inflated(fam, seed, n)]
               for fam, seed, n in ZI_STREAMS}
    path = out_dir / "zi_streams.json"
    path.write_text(json.dumps({**meta, "streams": streams}) + "\n", encoding="utf-8")
    written.append(path)
    return written


if __name__ == "__main__":
    for p in export():
        print(p)
