"""Arguments of the public API are checked by type, never taken by truthiness (issue 9 §9).

``REML="FALSE"`` used to fit by REML and ``REML=None`` by ML; every flag and option of the
public API is swept here: a wrong type is an :class:`ArgumentError` (a ``TypeError`` and a
``ValueError``) whose message names the argument.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab import ArgumentError, LmerControl, datasets
from mixedlab.fitting._anova import refit_ml

F = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleep():
    return datasets.sleepstudy()


@pytest.fixture(scope="module")
def fit(sleep):
    return mixedlab.lmer(F, sleep)


@pytest.fixture(scope="module")
def fit0(sleep):
    return mixedlab.lmer("Reaction ~ 1 + (Days | Subject)", sleep)


FLAG_VALUES = ["FALSE", "TRUE", "False", None, 0, 1, 1.0, "yes", np.array([True]), [False]]

CALLS = {
    "REML": lambda s, f, f0, v: mixedlab.lmer(F, s, REML=v),
    "refit": lambda s, f, f0, v: mixedlab.anova(f0, f, refit=v),
    "allow_new_levels": lambda s, f, f0, v: f.predict(s.head(), allow_new_levels=v),
    "scaled": lambda s, f, f0, v: f.residuals(scaled=v),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("value", FLAG_VALUES, ids=repr)
def test_flags_take_only_booleans(name, value, sleep, fit, fit0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ArgumentError) as exc:
            CALLS[name](sleep, fit, fit0, value)
    assert name in str(exc.value)
    assert isinstance(exc.value, TypeError) and isinstance(exc.value, ValueError)


def test_r_spelling_gets_a_hint(sleep):
    with pytest.raises(ArgumentError, match=r"R's FALSE is Python's False"):
        mixedlab.lmer(F, sleep, REML="FALSE")


@pytest.mark.parametrize("flag", [True, False, np.True_, np.False_])
def test_real_booleans_still_work(flag, sleep):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mixedlab.lmer(F, sleep, REML=flag)
    assert m.REML is bool(flag)


@pytest.mark.parametrize("call,name", [
    (lambda s, f: mixedlab.lmer(F, s, na_action=None), "na_action"),
    (lambda s, f: mixedlab.lmer(F, s, na_action="exclude"), "na_action"),
    (lambda s, f: mixedlab.lmer(F, s, control={"maxeval": 10}), "control"),
    (lambda s, f: mixedlab.lmer(F, s, control="bobyqa"), "control"),
    (lambda s, f: mixedlab.lmer(F, s, data_name=3), "data_name"),
    (lambda s, f: mixedlab.lmer(None, s), "formula"),
    (lambda s, f: mixedlab.lmer(123, s), "formula"),
    (lambda s, f: mixedlab.anova(f, f, model_names="ab"), "model_names"),
    (lambda s, f: mixedlab.anova(f, f, model_names=[1, 2]), "model_names"),
    (lambda s, f: refit_ml(f, control={}), "control"),
    (lambda s, f: refit_ml("fit"), "refit_ml"),
    (lambda s, f: f.residuals(type=None), "type"),
    (lambda s, f: f.tidy(effects=None), "effects"),
    (lambda s, f: f.tidy(effects=3), "effects"),
    (lambda s, f: f.format_varcorr(digits="3"), "digits"),
    (lambda s, f: f.format_varcorr(digits=2.5), "digits"),
    (lambda s, f: f.format_varcorr(digits=0), "digits"),
    (lambda s, f: f.predict(re_form=5), "re_form"),
])
def test_options_are_checked_by_type(call, name, sleep, fit):
    with pytest.raises(ArgumentError) as exc:
        call(sleep, fit)
    assert name in str(exc.value)


def test_r_spellings_of_na_action_are_accepted(sleep):
    a = mixedlab.lmer(F, sleep, na_action="na.omit")
    b = mixedlab.lmer(F, sleep, na_action="na.fail")
    assert a.objective == b.objective


def test_single_string_comp_is_one_component(fit):
    assert fit.format_varcorr(comp="Variance") == fit.format_varcorr(comp=("Variance",))


def test_control_instance_still_accepted(sleep):
    m = mixedlab.lmer(F, sleep, control=LmerControl())
    assert np.isfinite(m.objective)


@pytest.fixture(scope="module")
def cbpp(rbridge):
    return rbridge.r_dataset("cbpp")


CB = "cbind(incidence, size - incidence) ~ period + (1 | herd)"


@pytest.mark.parametrize("kw,name", [
    ({"nAGQ": "2"}, "nAGQ"), ({"nAGQ": 1.5}, "nAGQ"), ({"nAGQ": True}, "nAGQ"),
    ({"control": {"calc_derivs": "FALSE"}}, "calc_derivs"), ({"control": {"maxit": "10"}}, "maxit"),
    ({"control": {"tolPwrss": -1}}, "tolPwrss"), ({"control": "x"}, "control"),
    ({"data_name": 3}, "data_name"),
])
def test_glmer_arguments_are_checked_by_type(kw, name, cbpp):
    with pytest.raises(ArgumentError) as exc:
        mixedlab.glmer(CB, cbpp, family="binomial", **kw)
    assert name in str(exc.value)


def test_glmer_nb_tol_is_checked(cbpp):
    with pytest.raises(ArgumentError, match="tol"):
        mixedlab.glmer_nb("incidence ~ period + (1 | herd)", cbpp, tol="1e-5")


def test_glmer_whole_float_nagq_is_accepted(cbpp):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = mixedlab.glmer(CB, cbpp, family="binomial", nAGQ=2.0)
        b = mixedlab.glmer(CB, cbpp, family="binomial", nAGQ=2)
    assert a.deviance == b.deviance
