"""offset() terms in the fixed part: kept out of X, summed into the model's offset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedlab import FormulaError
from mixedlab.formula import build_model


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"y": rng.normal(size=40), "x": rng.normal(size=40), "e": rng.uniform(1, 3, 40),
                         "g": pd.Categorical(np.repeat(list("abcdefgh"), 5))})


def test_offsets_leave_x_and_add_up_with_the_argument() -> None:
    d = _data()
    mf = build_model("y ~ x + offset(log(e)) + offset(x) + (1 | g)", d, offset=np.full(40, 2.0))
    assert mf.fixed_names == ["(Intercept)", "x"]
    np.testing.assert_allclose(mf.offset, np.log(d["e"]) + d["x"] + 2.0)
    # new data: only the formula's offsets, as lme4's predict
    np.testing.assert_allclose(mf.spec.offset(d.head(3)), np.log(d["e"].head(3)) + d["x"].head(3))


def test_offset_rows_with_missing_values_are_dropped() -> None:
    d = _data()
    d.loc[[4, 9], "e"] = np.nan
    mf = build_model("y ~ x + offset(e) + (1 | g)", d)
    assert mf.n_dropped_na == 2 and mf.offset.size == 38


def test_offset_takes_one_expression() -> None:
    with pytest.raises(FormulaError, match="offset"):
        build_model("y ~ x + offset(e, x) + (1 | g)", _data())
