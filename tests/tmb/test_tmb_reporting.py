"""tidy() against broom.mixed's tidy.glmmTMB and anova() against glmmTMB's anova, live R.

Both are computed at glmmTMB's own estimates (mixedlab evaluated at ``m$fit$par``), so the
numbers agree to rounding and the printed anova table character for character.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedlab
from mixedlab import ModelSpecificationError
from mixedlab.tmb import TmbControl


def _fit_in_r(ro, name, formula, family, zi="~0", disp="~1", data="Salamanders"):
    ro.r(f"{name} <- glmmTMB::glmmTMB({formula}, data = {data}, family = {family}, "
         f"ziformula = {zi}, dispformula = {disp})")
    return np.asarray(ro.r(f"{name}$fit$par"), dtype=float)


def _fit_here(formula, family, zi="~0", disp="~1", par=None, data=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixedlab.glmmtmb(formula, data, family=family, ziformula=zi, dispformula=disp,
                                data_name="Salamanders",
                                control=TmbControl(start=par, optimize=False))


@pytest.fixture(scope="module")
def salamanders_in_r(r_session):
    from mixedlab.parity import _rbridge

    _rbridge._session()
    sal = mixedlab.datasets.salamanders()
    r_session.globalenv["Salamanders"] = _rbridge.to_r(sal)
    r_session.r("suppressPackageStartupMessages(library(broom.mixed))")
    return r_session, sal


def test_tidy_equals_broom_mixed(salamanders_in_r) -> None:
    ro, sal = salamanders_in_r
    f = "count ~ spp + mined + (1 | site)"
    par = _fit_in_r(ro, "mt", f, "nbinom2", "~mined")
    fit = _fit_here(f, "nbinom2", "~mined", par=par, data=sal)
    got = fit.tidy()
    ro.r("tt <- as.data.frame(broom.mixed::tidy(mt))")
    assert list(got.columns) == list(ro.r("names(tt)"))
    for col in ("effect", "component", "term"):
        assert got[col].tolist() == list(ro.r(f"as.character(tt${col})"))
    assert [g if g is not None else "NA" for g in got["group"]] == \
        [("NA" if v is ro.NA_Character else v) for v in ro.r("ifelse(is.na(tt$group), 'NA', tt$group)")]
    for col in ("estimate", "std.error", "statistic", "p.value"):
        want = np.asarray(ro.r(f'tt[["{col}"]]'), dtype=float)
        np.testing.assert_allclose(got[col].to_numpy(float), want, rtol=1e-6, equal_nan=True)


def test_anova_table_prints_as_glmmtmbs(salamanders_in_r) -> None:
    ro, sal = salamanders_in_r
    specs = [("m1", "count ~ mined + (1 | site)", "poisson", "~0"),
             ("m2", "count ~ mined + spp + (1 | site)", "poisson", "~mined"),
             ("m3", "count ~ mined + spp + (1 | site)", "nbinom2", "~mined")]
    fits = {}
    for name, f, fam, zi in specs:
        fits[name] = _fit_here(f, fam, zi, par=_fit_in_r(ro, name, f, fam, zi), data=sal)
    want = "\n".join(ro.r("capture.output(print(anova(m2, m1, m3)))"))
    m1, m2, m3 = fits["m1"], fits["m2"], fits["m3"]
    table = mixedlab.anova(m2, m1, m3)
    assert str(table) == want
    assert list(table.index) == ["m1", "m2", "m3"]  # ordered by degrees of freedom
    assert table.loc["m3", "Chi Df"] == 1


def test_anova_rejects_mixed_and_single_fits(salamanders_in_r) -> None:
    ro, sal = salamanders_in_r
    m = mixedlab.glmmtmb("count ~ mined + (1 | site)", sal, family="poisson")
    with pytest.raises(ModelSpecificationError, match="two or more"):
        mixedlab.anova(m)
    lm = mixedlab.lmer("Reaction ~ Days + (1 | Subject)", mixedlab.datasets.sleepstudy())
    with pytest.raises(ModelSpecificationError, match="only be compared"):
        mixedlab.anova(m, lm)
    m_sub = mixedlab.glmmtmb("count ~ mined + (1 | site)", sal.iloc[:600], family="poisson")
    with pytest.raises(mixedlab.DataError, match="same size"):
        mixedlab.anova(m, m_sub)


def test_summary_html_has_the_text_cells(salamanders_in_r) -> None:
    _, sal = salamanders_in_r
    fit = mixedlab.glmmtmb("count ~ spp + mined + (1 | site)", sal, family="nbinom2",
                           ziformula="~mined")
    html = fit._repr_html_()
    text = str(fit.summary())
    assert "Zero-inflation model" in html and "Conditional model" in html
    # every estimate cell of the text is in the HTML
    for line in text.splitlines():
        if line.startswith("minedno"):
            assert line.split()[1] in html
    # repr is glmmTMB's short print(m) (checked against R in test_tmb_print_residuals)
    assert repr(fit).startswith("Formula:") and "Fixed Effects:" in repr(fit)
