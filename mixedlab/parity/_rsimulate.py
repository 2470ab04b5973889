"""The R side of ``simulate()`` parity: lme4's ``simulate.merMod`` and the parameters behind it.

For each case of :data:`SIM_CASES` R fits the model (in the session of
:mod:`mixedlab.parity._rbridge`), then for each seed and ``re.form`` runs
``simulate(m, nsim, seed = seed, re.form = ...)`` and returns the simulated matrix with
the parameters it was made from (``fixef``, ``getME(m, "theta")``, ``sigma``,
``getME(m, "b")``). Feeding those parameters to mixedlab's simulation engine must give
R's matrix bit for bit; mixedlab's own fit gives it to the fit's precision.

``python -m mixedlab.parity._rsimulate`` writes ``reference_outputs/simulate/<case>.json``
(R and lme4 versions recorded) so the tests also run without R.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixedlab import RRandom, datasets
from mixedlab.parity import _rbridge
from mixedlab.rng import _libm as libm

__all__ = ["SimCase", "SIM_CASES", "case_data", "r_simulate", "export", "REF_DIR"]

REF_DIR = Path(__file__).resolve().parents[2] / "reference_outputs" / "simulate"


@dataclass(frozen=True)
class SimCase:
    """One model whose simulations are compared with lme4's.

    Attributes
    ----------
    name : str
    formula : str
    dataset : str
        A :mod:`mixedlab.datasets` loader name.
    fun : str
        ``"lmer"``, ``"glmer"`` or ``"glmer.nb"``.
    family : str
        R family expression for glmer.
    weights, offset : str or None
        Column names added by :func:`case_data`.
    re_forms : tuple of str
        R spellings of ``re.form`` to simulate with (``"NA"``, ``"NULL"``, a formula).
    seeds : tuple of int
    nsim : int
    """

    name: str
    formula: str
    dataset: str
    fun: str = "lmer"
    family: str = "gaussian"
    weights: str | None = None
    offset: str | None = None
    re_forms: tuple[str, ...] = ("NA", "NULL")
    seeds: tuple[int, ...] = (1, 42, 2024)
    nsim: int = 3
    extra: dict = field(default_factory=dict)


SIM_CASES: dict[str, SimCase] = {c.name: c for c in [
    SimCase("sleepstudy_int", "Reaction ~ Days + (1 | Subject)", "sleepstudy"),
    SimCase("sleepstudy_slope", "Reaction ~ Days + (Days | Subject)", "sleepstudy",
            re_forms=("NA", "NULL", "~(1 | Subject)")),
    SimCase("sleepstudy_uncorr", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)",
            "sleepstudy", re_forms=("NA", "NULL", "~(0 + Days | Subject)")),
    SimCase("penicillin_crossed", "diameter ~ 1 + (1 | plate) + (1 | sample)", "penicillin",
            re_forms=("NA", "NULL", "~(1 | sample)")),
    SimCase("pastes_nested", "strength ~ 1 + (1 | batch/cask)", "pastes",
            re_forms=("NA", "NULL", "~(1 | batch)")),
    SimCase("sleepstudy_weights_offset", "Reaction ~ Days + (1 | Subject)", "sleepstudy",
            weights="w", offset="off"),
    # GLMMs
    SimCase("cbpp_cbind", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbpp",
            fun="glmer", family="binomial"),
    SimCase("cbpp_proportion", "incidence / size ~ period + (1 | herd)", "cbpp", fun="glmer",
            family="binomial", weights="size"),
    SimCase("cbpp_probit", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbpp",
            fun="glmer", family='binomial(link = "probit")'),
    SimCase("cbpp_binary", "any ~ period + (1 | herd)", "cbpp", fun="glmer", family="binomial"),
    SimCase("cbpp_factor", "anyf ~ period + (1 | herd)", "cbpp", fun="glmer", family="binomial"),
    SimCase("grouseticks_poisson", "TICKS ~ YEAR + (1 | BROOD) + (1 | LOCATION)", "grouseticks",
            fun="glmer", family="poisson", re_forms=("NA", "NULL", "~(1 | LOCATION)")),
    SimCase("grouseticks_nb", "TICKS ~ YEAR + (1 | LOCATION)", "grouseticks", fun="glmer.nb",
            family="negative.binomial"),
    SimCase("gamma_log", "y ~ x + (1 | g)", "gamma", fun="glmer", family='Gamma(link = "log")'),
]}


def gamma_data() -> pd.DataFrame:
    """The parity corpus' Gamma design, rebuilt with :class:`~mixedlab.RRandom` (R's code:
    ``set.seed(1); x <- rnorm(400); b <- rnorm(40, sd = 0.5); y <- rgamma(400, shape = 2,
    rate = 2 / exp(1 + 0.5 * x + b[g]))``)."""
    r = RRandom(1)
    g = np.repeat(np.arange(40), 10)
    x = r.rnorm(400)
    b = r.rnorm(40, sd=0.5)
    y = r.rgamma(400, 2.0, rate=2.0 / libm.exp(1 + 0.5 * x + b[g]))
    return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical([str(v + 1) for v in g],
                                                           categories=[str(i) for i in range(1, 41)])})


def case_data(case: SimCase) -> pd.DataFrame:
    """The case's data frame (with its weights/offset columns, made deterministically)."""
    df = gamma_data() if case.dataset == "gamma" else getattr(datasets, case.dataset)()
    if case.dataset == "cbpp":
        df = df.copy()
        df["any"] = (df["incidence"] > 0).astype(float)
        df["anyf"] = pd.Categorical(np.where(df["incidence"] > 0, "yes", "no"),
                                    categories=["no", "yes"])
    if case.dataset == "sleepstudy" and (case.weights or case.offset):
        df = df.copy()
        i = np.arange(len(df))
        if case.weights:
            df[case.weights] = 1.0 + (i % 3) / 2.0
        if case.offset:
            df[case.offset] = (i % 5) * 0.75
    return df


_R_SIM = r"""
sim_reference <- function(formula, data, fun, family, weights, offset, seeds, nsim, reforms) {
  args <- list(formula = as.formula(formula), data = quote(data))
  if (fun == "glmer") args$family <- str2lang(family)
  if (!is.null(weights)) args$weights <- as.name(weights)
  if (!is.null(offset)) args$offset <- as.name(offset)
  m <- eval(as.call(c(as.name(fun), args)))
  sims <- list()
  for (rf in reforms) for (s in seeds) {
    re <- if (rf == "NULL") NULL else if (rf == "NA") NA else as.formula(rf)
    v <- simulate(m, nsim = nsim, seed = s, re.form = re)
    col1 <- function(col) {  # cbind: successes; factor: 0/1 (as DHARMa takes them)
      if (is.matrix(col)) as.numeric(col[, 1]) else if (is.factor(col)) as.numeric(col) - 1
      else as.numeric(col)
    }
    sims[[length(sims) + 1]] <- list(re_form = rf, seed = s, values = lapply(v, col1))
  }
  list(beta = as.numeric(fixef(m)), theta = as.numeric(getME(m, "theta")),
       sigma = sigma(m), b = as.numeric(getME(m, "b")), u = as.numeric(getME(m, "u")),
       nb_theta = if (fun == "glmer.nb") getME(m, "glmer.nb.theta") else NA_real_,
       sims = sims)
}
"""


def _env():
    return _rbridge._session_with("sim_env", _R_SIM)


def _num(v: Any) -> list[float]:
    return [float(x) for x in v]


def r_simulate(case: SimCase) -> dict[str, Any]:
    """Fit the case in R and simulate for every seed and re.form; plain Python results.

    Returns
    -------
    dict
        ``beta``, ``theta``, ``sigma``, ``b``, ``u`` (lists of floats) and ``sims``: a list
        of ``{"re_form", "seed", "values"}`` with ``values`` one list per simulation.
    """
    ro, env = _env()
    rdf = _rbridge.to_r(case_data(case))
    null = ro.NULL
    with _rbridge._LOCK:
        res = env["sim_reference"](
            ro.StrVector([case.formula]), rdf, ro.StrVector([case.fun]),
            ro.StrVector([case.family]),
            ro.StrVector([case.weights]) if case.weights else null,
            ro.StrVector([case.offset]) if case.offset else null,
            ro.IntVector(list(case.seeds)), ro.IntVector([case.nsim]),
            ro.StrVector(list(case.re_forms)))
    out: dict[str, Any] = {k: _num(res.rx2(k)) for k in ("beta", "theta", "b", "u")}
    out["sigma"] = float(res.rx2("sigma")[0])
    nb = float(res.rx2("nb_theta")[0])
    out["nb_theta"] = None if np.isnan(nb) else nb
    sims = []
    for item in res.rx2("sims"):
        sims.append({"re_form": str(item.rx2("re_form")[0]), "seed": int(item.rx2("seed")[0]),
                     "values": [_num(col) for col in item.rx2("values")]})
    out["sims"] = sims
    return out


def export(out_dir: Path = REF_DIR) -> list[Path]:
    """Write one JSON file per case with R's simulations and parameters."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vers = _rbridge.versions()
    written = []
    for case in SIM_CASES.values():
        doc = {"case": case.name, "formula": case.formula, "dataset": case.dataset,
               "fun": case.fun, "family": case.family, "weights": case.weights,
               "offset": case.offset, "nsim": case.nsim,
               "r_version": vers.get("R"), "lme4_version": vers.get("lme4"),
               "generated": _dt.date.today().isoformat(), **r_simulate(case)}
        path = out_dir / f"{case.name}.json"
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in export():
        print(p)
