"""R's printCoefmat and print.anova, reproduced: against R on tables with the awkward cases."""

from __future__ import annotations

import numpy as np
import pytest

from mixedlab.reporting._coefmat import print_anova_frame, print_coefmat

NA = np.nan

TABLES = {
    # lmerTest-style: Estimate, SE, df, t, p (df in the estimate group)
    "lmertest": (["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"], ["(Intercept)", "Days", "x"],
                 [[251.405104848485, 6.82459669451, 17.0000, 36.838, 1.171e-17],
                  [10.467285959596, 1.545789643, 16.99999, 6.771, 3.26382e-06],
                  [0.00213, 0.0145, 142.66803, 0.1469, 0.88341]]),
    "no stars": (["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"], ["a", "b"],
                 [[0.5, 0.4, 12.3, 1.25, 0.23], [-0.1, 0.2, 11.1, -0.5, 0.62]]),
    "zero and tiny": (["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"], ["a", "b"],
                      [[0.0, 1e-5, 3.0, 0.0, 1.0], [1234567.0, 0.001, 2.5, 5e8, 0.0]]),
}

ANOVAS = {
    "ftable": (["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"], ["Product", "Information", "P:I"],
               [[19.1551, 6.38503, 3, 240.0000001, 3.82906, 0.010478], [6.52012, 6.52012, 1, 320, 3.91013, 0.04885],
                [10.3873, 3.46243, 3, 320, 2.07648, 0.10321]]),
    "ranova": (["npar", "logLik", "AIC", "LRT", "Df", "Pr(>Chisq)"], ["<none>", "(1 | g)", "x in (x | g)"],
               [[11, -1352.80, 2727.52, NA, NA, NA], [10, -1354.39, 2728.71, 3.18402, 1, 0.0743],
                [9, -1435.02, 2888.03, 164.443, 2, 1.5e-36]]),
    "empty": (["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"], [], []),
}


def _r_matrix(ro, colnames, rownames, rows):
    flat = [ro.NA_Real if np.isnan(v) else v for c in range(len(colnames)) for v in [r[c] for r in rows]]
    m = ro.r["matrix"](ro.FloatVector(flat), nrow=len(rownames), ncol=len(colnames))
    ro.globalenv["m_tmp"] = m
    ro.globalenv["cn_tmp"] = ro.StrVector(colnames)
    ro.globalenv["rn_tmp"] = ro.StrVector(rownames)
    ro.r("dimnames(m_tmp) <- list(if (length(rn_tmp)) rn_tmp else NULL, cn_tmp)")


@pytest.mark.parametrize("name", list(TABLES))
def test_print_coefmat_equals_r(name: str, r_session) -> None:
    ro = r_session
    cols, rows_, vals = TABLES[name]
    _r_matrix(ro, cols, rows_, vals)
    expected = list(ro.r("local({old <- options(width = 80); on.exit(options(old)); "
                         "capture.output(printCoefmat(m_tmp, digits = 4))})"))
    ours = print_coefmat(np.array(vals, dtype=float), rows_, cols, 4)
    assert ours == expected


@pytest.mark.parametrize("name", list(ANOVAS))
def test_print_anova_equals_r(name: str, r_session) -> None:
    ro = r_session
    cols, rows_, vals = ANOVAS[name]
    _r_matrix(ro, cols, rows_, vals)
    expected = list(ro.r("local({old <- options(width = 80); on.exit(options(old)); a <- as.data.frame(m_tmp, "
                         "check.names = FALSE); class(a) <- c('anova', 'data.frame'); "
                         "attr(a, 'heading') <- c('A heading', '\\nModel:', 'y ~ x'); capture.output(print(a))})"))
    x = np.array(vals, dtype=float).reshape(len(rows_), len(cols))
    ours = "\n".join(print_anova_frame(x, rows_, cols, ["A heading", "\nModel:", "y ~ x"])).split("\n")
    assert ours == expected
