"""glmer's "Data:" line names the caller's variable, as R deparses the data argument."""

from __future__ import annotations

import mixedlab as ml


def test_glmer_and_glmer_nb_name_the_callers_data_frame():
    herds = ml.datasets.cbpp()
    fit = ml.glmer("cbind(incidence, size - incidence) ~ period + (1 | herd)", herds, family="binomial")
    assert fit.data_name == "herds"
    assert "   Data: herds" in str(fit.summary()).splitlines()
    assert ml.glmer("cbind(incidence, size - incidence) ~ 1 + (1 | herd)", herds,
                    data_name="cbpp").data_name == "cbpp"
