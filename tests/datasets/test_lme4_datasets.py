"""lme4's data sets as shipped: equal to R's data frames, with R's factor level order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab import datasets

LOADERS = {
    "sleepstudy": datasets.sleepstudy,
    "Penicillin": datasets.penicillin,
    "Pastes": datasets.pastes,
    "Dyestuff": datasets.dyestuff,
    "Dyestuff2": datasets.dyestuff2,
    "cake": datasets.cake,
    "InstEval": datasets.insteval,
    "Salamanders": datasets.salamanders,
}


def test_sleepstudy_head_matches_the_tutorial() -> None:
    # The seed tutorial prints head(sleepstudy): 249.5600 258.7047 250.8006 ...
    df = datasets.sleepstudy()
    assert list(df.columns) == ["Reaction", "Days", "Subject"]
    assert df["Reaction"].head(6).round(4).tolist() == [
        249.5600, 258.7047, 250.8006, 321.4398, 356.8519, 414.6901]
    assert df["Days"].head(6).tolist() == [0, 1, 2, 3, 4, 5]
    assert (df["Subject"].head(6) == "308").all()


def test_insteval_size_and_unsorted_level_order() -> None:
    df = datasets.insteval()
    assert df.shape == (73421, 7)  # lme4's documented size
    assert df["dept"].cat.categories[:3].tolist() == ["15", "5", "10"]
    assert df["studage"].cat.ordered and df["lectage"].cat.ordered
    assert not df["service"].cat.ordered


@pytest.mark.parametrize("name", ["sleepstudy", "SleepStudy", "penicillin", "INSTEVAL"])
def test_load_dataset_accepts_any_case(name: str) -> None:
    assert isinstance(datasets.load_dataset(name), pd.DataFrame)


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(KeyError, match="available: sleepstudy, Penicillin"):
        datasets.load_dataset("iris")


def test_each_call_returns_a_fresh_copy() -> None:
    a = datasets.dyestuff()
    a.loc[0, "Yield"] = -1.0
    assert datasets.dyestuff().loc[0, "Yield"] != -1.0


@pytest.mark.parametrize("name", list(LOADERS))
def test_dataset_equals_r(r_session, name: str) -> None:
    ro = r_session
    ro.r("suppressPackageStartupMessages({library(lme4); library(glmmTMB)})")
    df = LOADERS[name]()
    frame = f"{datasets.DATASET_PACKAGES.get(name, 'lme4')}::{name}"
    assert list(df.columns) == list(ro.r(f"names({frame})"))
    assert len(df) == int(ro.r(f"nrow({frame})")[0])
    for col in df.columns:
        ref = f'{frame}[["{col}"]]'
        if bool(ro.r(f"is.factor({ref})")[0]):
            assert isinstance(df[col].dtype, pd.CategoricalDtype), col
            assert df[col].cat.categories.tolist() == list(ro.r(f"levels({ref})")), col
            assert df[col].cat.ordered == bool(ro.r(f"is.ordered({ref})")[0]), col
            assert df[col].astype(str).tolist() == list(ro.r(f"as.character({ref})")), col
            codes = np.asarray(ro.r(f"as.integer({ref})")) - 1
            assert np.array_equal(df[col].cat.codes.to_numpy(), codes), col
        else:
            want = np.asarray(ro.r(ref))
            assert np.array_equal(df[col].to_numpy(), want), col
            kind = str(ro.r(f"typeof({ref})")[0])
            assert df[col].dtype == (np.int64 if kind == "integer" else np.float64), col
