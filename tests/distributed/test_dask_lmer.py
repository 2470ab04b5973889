"""mixedlab.lmer on a Dask DataFrame equals the in-memory fit of the same rows (issue 17).

A real distributed.LocalCluster (threads, one process) runs every row pass; frames are small
and split into many partitions, some empty and some missing levels the others have.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import DataError, FitMessage, datasets
from mixedlab.linear._deviance import make_devfun
from mixedlab.linear._pls import solve

dd = pytest.importorskip("dask.dataframe", reason="the dask extra: pip install 'mixedlab[dask]'")
distributed = pytest.importorskip("distributed")

TOL = 1e-9  # "about 1e-10 relative": the optimiser's path may differ in the last digits


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _assert_same(fd, fm, exact: bool = True) -> None:
    """The Dask fit against the in-memory fit of the same rows.

    The row pass is checked at the in-memory optimum θ̂: the Dask cross-products give the
    same criterion, β̂, b̂ and their factor (SEs) to ~1e-12.  The full fits then agree in
    the objective to 1e-10; their estimates agree to 1e-9 where the optimum is well
    defined (``exact``), and otherwise to the optimiser's own resolution (lme4 parity's
    rule |Δβ| ≤ max(1e-5·|β|, 1e-3·SE)): BOBYQA stops on ftol_abs = 1e-8, and where the
    criterion is flat in θ a change in its last bits (additions in another order) moves
    the stopping point by more than 1e-10, as it would for the in-memory fit of the
    same rows in another order.
    """
    assert fd.nobs == fm.nobs
    dm, dd_ = make_devfun(fm._model, REML=fm.REML), make_devfun(fd._model, REML=fd.REML)
    th = fm.theta
    assert _rel(dd_(th), dm(th)) < 1e-12
    sm, sd = solve(fm._cp, dm.factor(th)), solve(fd._cp, dd_.factor(th))
    assert _rel(sd.beta, sm.beta) < 1e-10
    assert _rel(sd.b, sm.b) < 1e-10
    assert _rel(sd.RX, sm.RX) < 1e-10
    assert _rel(fd.objective, fm.objective) < 1e-10
    if not exact:
        tol = np.maximum(1e-5 * np.abs(fm.fixef.to_numpy()), 1e-3 * fm.se.to_numpy())
        assert np.all(np.abs(fd.fixef.to_numpy() - fm.fixef.to_numpy()) <= tol)
        assert _rel(fd.se, fm.se) < 1e-4
        assert _rel(fd.varcorr.sdcor, fm.varcorr.sdcor) < 1e-3
        return
    assert list(fd.fixef.index) == list(fm.fixef.index)
    assert _rel(fd.objective, fm.objective) < TOL
    assert _rel(fd.fixef, fm.fixef) < TOL
    assert _rel(fd.se, fm.se) < TOL
    assert _rel(fd.varcorr.vcov, fm.varcorr.vcov) < TOL
    assert _rel(fd.theta, fm.theta) < TOL
    for g, re in fm.ranef.items():
        assert list(fd.ranef[g].index) == list(re.index)
        assert _rel(fd.ranef[g].to_numpy(), re.to_numpy()) < TOL


def _crossed(n=1500, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 40, n)
    b = rng.integers(0, 15, n)
    x = rng.normal(size=n)
    y = 3 + 0.5 * x + rng.normal(size=40)[a] * 0.8 + rng.normal(size=40)[a] * 0.3 * x \
        + rng.normal(size=15)[b] * 0.6 + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "cond": rng.choice(["lo", "mid", "hi"], n),
                         "a": [f"a{i:02d}" for i in a], "b": b, "w": rng.uniform(0.5, 2, n),
                         "off": rng.normal(size=n) * 0.1})


def test_sleepstudy_many_partitions(client):
    df = datasets.sleepstudy()
    fm = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", df)
    fd = mixedlab.lmer("Reaction ~ Days + (Days | Subject)", dd.from_pandas(df, npartitions=9))
    _assert_same(fd, fm)
    assert type(fd).__name__ == "DaskLmerFit" and isinstance(fd, mixedlab.LmerFit)
    # the summary is the in-memory one, scaled residual quantiles included (computed exactly)
    assert str(fd.summary()).replace("Data: dd.from_pandas", "") .split("Scaled")[1] == \
        str(fm.summary()).split("Scaled")[1]


def test_crossed_slope_weights_offset_factor(client):
    df = _crossed()
    f = "y ~ x + cond + (x | a) + (1 | b)"
    fm = mixedlab.lmer(f, df, weights="w", offset="off")
    ddf = dd.from_pandas(df, npartitions=23)
    fd = mixedlab.lmer(f, ddf, weights="w", offset="off")
    _assert_same(fd, fm, exact=False)
    # lazy row-wise outputs, equal to the in-memory ones
    fit_d = fd.fitted()
    assert type(fit_d).__module__.startswith("dask")
    assert _rel(fit_d.compute().to_numpy(), fm.fitted()) < 1e-5
    assert _rel(fd.residuals(type="pearson").compute().to_numpy(), fm.residuals(type="pearson")) < 1e-4
    new = df.iloc[::7].copy()
    pd_ = fd.predict(newdata=dd.from_pandas(new, npartitions=3))
    assert _rel(pd_.compute().to_numpy(), fm.predict(newdata=new)) < 1e-5
    pop = fd.predict(newdata=dd.from_pandas(new, npartitions=3), re_form="~0").compute()
    assert _rel(pop.to_numpy(), fm.predict(newdata=new, re_form="~0")) < 1e-5
    # tidy and anova work as for any LmerFit
    td, tm = fd.tidy(), fm.tidy()
    assert list(td["term"]) == list(tm["term"])
    assert _rel(td["estimate"], tm["estimate"]) < 1e-3
    fd0 = mixedlab.lmer("y ~ x + cond + (x | a)", ddf, weights="w", offset="off")
    fm0 = mixedlab.lmer("y ~ x + cond + (x | a)", df, weights="w", offset="off")
    ad, am = mixedlab.anova(fd0, fd), mixedlab.anova(fm0, fm)
    assert _rel(ad["Chisq"].iloc[1], am["Chisq"].iloc[1]) < 1e-6
    assert list(ad.index) == ["fd0", "fd"] and list(am.index) == ["fm0", "fm"]


def test_default_scheduler_without_client():
    # no distributed.Client here: Dask's default (threaded) scheduler
    df = datasets.sleepstudy()
    assert distributed.client._get_global_client() is None or True
    fm = mixedlab.lmer("Reaction ~ Days + (1 | Subject)", df)
    with dask_default():
        fd = mixedlab.lmer("Reaction ~ Days + (1 | Subject)", dd.from_pandas(df, npartitions=4))
    _assert_same(fd, fm)


class dask_default:
    def __enter__(self):
        import dask
        self._cfg = dask.config.set(scheduler="threads")
        self._cfg.__enter__()

    def __exit__(self, *exc):
        self._cfg.__exit__(*exc)


def test_empty_partitions_absent_levels_and_na(client):
    df = _crossed(600, seed=3).sort_values("a").reset_index(drop=True)
    df.loc[[5, 17, 300], "y"] = np.nan
    df.loc[[40], "x"] = np.nan
    df.loc[[41], "cond"] = None
    # sorted by a: most partitions hold a few levels of a only; two partitions are empty
    parts = [df.iloc[i: i + 50] for i in range(0, len(df), 50)]
    parts.insert(3, df.iloc[0:0])
    parts.append(df.iloc[0:0])
    ddf = dd.from_delayed([_delayed(p) for p in parts], meta=df.iloc[0:0])
    f = "y ~ x + cond + (x | a) + (1 | b)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitMessage)
        fm = mixedlab.lmer(f, df)
        fd = mixedlab.lmer(f, ddf)
    assert fd.n_dropped_na == fm.n_dropped_na == 5
    _assert_same(fd, fm, exact=False)


def _delayed(p):
    import dask
    return dask.delayed(lambda x: x)(p)


def test_bad_inputs_same_errors(client):
    df = datasets.sleepstudy().copy()
    df["txt"] = np.where(df["Days"] > 4, "late", "early")
    ddf = dd.from_pandas(df, npartitions=5)
    # non-numeric response: the in-memory error
    with pytest.raises(DataError) as mem:
        mixedlab.lmer("txt ~ Days + (1 | Subject)", df)
    with pytest.raises(DataError) as dis:
        mixedlab.lmer("txt ~ Days + (1 | Subject)", ddf)
    assert str(dis.value) == str(mem.value)
    # a column missing from the frame: the in-memory error
    with pytest.raises(Exception) as mem:
        mixedlab.lmer("Reaction ~ nope + (1 | Subject)", df)
    with pytest.raises(Exception) as dis:
        mixedlab.lmer("Reaction ~ nope + (1 | Subject)", ddf)
    assert type(dis.value) is type(mem.value) and str(dis.value) == str(mem.value)
    # a weights column that is not numeric
    with pytest.raises(DataError) as mem:
        mixedlab.lmer("Reaction ~ Days + (1 | Subject)", df, weights="txt")
    with pytest.raises(DataError) as dis:
        mixedlab.lmer("Reaction ~ Days + (1 | Subject)", ddf, weights="txt")
    # the same check and text; the dtype named is the frame's (Dask stores text as Arrow strings)
    assert str(dis.value).split(" (it has dtype")[0] == str(mem.value).split(" (it has dtype")[0]
    # an array of weights cannot align with distributed rows
    with pytest.raises(mixedlab.ArgumentError, match="column name"):
        mixedlab.lmer("Reaction ~ Days + (1 | Subject)", ddf, weights=np.ones(len(df)))


def test_column_missing_in_some_partitions(client):
    df = datasets.sleepstudy()
    parts = [df.iloc[:90], df.iloc[90:].drop(columns="Days")]
    ddf = dd.from_delayed([_delayed(p) for p in parts], meta=df.iloc[0:0], verify_meta=False)
    with pytest.raises(DataError, match=r"partition 1 of the Dask DataFrame has no column 'Days'"):
        mixedlab.lmer("Reaction ~ Days + (1 | Subject)", ddf)


def test_categorical_levels_in_r_order(client):
    df = _crossed(800, seed=5)
    df["cond"] = pd.Categorical(df["cond"], categories=["mid", "hi", "lo", "unused"])
    fm = mixedlab.lmer("y ~ cond + (1 | a)", df)
    fd = mixedlab.lmer("y ~ cond + (1 | a)", dd.from_pandas(df, npartitions=6))
    assert list(fd.fixef.index) == list(fm.fixef.index) == ["(Intercept)", "condhi", "condlo"]
    _assert_same(fd, fm)


def test_parquet_round_trip(client, tmp_path):
    pytest.importorskip("pyarrow")
    df = _crossed(900, seed=7)
    path = tmp_path / "rows"
    dd.from_pandas(df, npartitions=6).to_parquet(path)
    ddf = dd.read_parquet(path)
    f = "y ~ x + (x | a) + (1 | b)"
    fm = mixedlab.lmer(f, df)
    fd = mixedlab.lmer(f, ddf)
    _assert_same(fd, fm, exact=False)
