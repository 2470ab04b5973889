"""The corpus datasets on disk are exactly what their generators produce."""

from __future__ import annotations

import pandas as pd
import pytest

from mixedlab.parity._corpus_data import _NUMPY_DESIGNS, corpus_datasets, load_corpus_dataset


@pytest.mark.parametrize("name", sorted(_NUMPY_DESIGNS))
def test_stored_design_is_bit_identical_to_its_generator(name: str) -> None:
    pd.testing.assert_frame_equal(load_corpus_dataset(name), _NUMPY_DESIGNS[name](), check_exact=True)


def test_tutorial_data_equal_mixedlab_datasets_simulations() -> None:
    """The corpus's R-made tutorial data and mixedlab.datasets' R-stream rebuild agree exactly."""
    datasets = pytest.importorskip("mixedlab.datasets")
    pd.testing.assert_frame_equal(load_corpus_dataset("nested"), datasets.simulate_nested(),
                                  check_exact=True, check_categorical=True)
    crossed = datasets.simulate_crossed()
    pd.testing.assert_frame_equal(load_corpus_dataset("crossed"), crossed[["student", "rater", "treatment", "score"]],
                                  check_exact=True)


def test_factor_level_order_survives_the_csv() -> None:
    assert list(load_corpus_dataset("slope3")["cond"].cat.categories) == ["low", "mid", "high"]
    missing = load_corpus_dataset("missing")
    assert "g11" in missing["g"].cat.categories and (missing["g"] == "g11").sum() == 0
    assert missing["g"].isna().sum() == 3


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no corpus dataset 'nope'; available: .*nested"):
        load_corpus_dataset("nope")
    assert "nested" in corpus_datasets()
