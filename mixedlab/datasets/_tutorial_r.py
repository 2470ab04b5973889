"""The seed tutorial's R code for its two simulated designs, in one place.

:func:`mixedlab.datasets.simulate_nested` and :func:`~mixedlab.datasets.simulate_crossed`
reproduce these statements draw for draw; the parity corpus, the benchmark and the tests
run them in R to check that claim and to fit lme4 on the very same data.  The defaults are
the tutorial's numbers (``set.seed(123)``, five schools of 50 students, 40 students rated
by six raters).
"""

from __future__ import annotations

__all__ = ["NESTED_DEFAULTS", "CROSSED_DEFAULTS", "tutorial_r_code"]

NESTED_DEFAULTS = dict(seed=123, n_schools=5, n_students=50, intercept=10.0,
                       intercept_sd=1.0, slope_mean=2.0, slope_sd=0.5, residual_sd=1.0)
CROSSED_DEFAULTS = dict(seed=123, n_students=40, n_raters=6, intercept=50.0,
                        intercept_sd=2.0, slope_mean=3.0, slope_sd=0.7, residual_sd=2.0)

_NESTED = """set.seed({seed})
n_schools <- {n_schools}
n_students <- {n_students}
df_nested <- data.frame(
school = factor(rep(1:n_schools, each = n_students)),
treatment = factor(rep(rep(c("control","treated"), each = n_students/2), times = n_schools))
)
school_intercepts <- rnorm(n_schools, 0, {intercept_sd!r})
school_slopes <- rnorm(n_schools, {slope_mean!r}, {slope_sd!r})
df_nested$y <- {intercept!r} +
school_intercepts[as.numeric(df_nested$school)] +
school_slopes[as.numeric(df_nested$school)] * (df_nested$treatment == "treated") +
rnorm(nrow(df_nested), 0, {residual_sd!r})
"""

# expand.grid's "out.attrs" bookkeeping attribute is dropped: it carries no data
_CROSSED = """set.seed({seed})
n_students <- {n_students}
n_raters <- {n_raters}
df_crossed <- expand.grid(
student = factor(1:n_students),
rater = factor(1:n_raters),
treatment = factor(c("control","treated"))
)
rater_intercepts <- rnorm(n_raters, 0, {intercept_sd!r})
rater_slopes <- rnorm(n_raters, {slope_mean!r}, {slope_sd!r})
df_crossed$score <- {intercept!r} +
rater_intercepts[as.numeric(df_crossed$rater)] +
rater_slopes[as.numeric(df_crossed$rater)] * (df_crossed$treatment == "treated") +
rnorm(nrow(df_crossed), 0, {residual_sd!r})
attr(df_crossed, "out.attrs") <- NULL
"""


def tutorial_r_code(which: str, **params: float) -> str:
    """R statements defining ``df_nested`` or ``df_crossed`` as the tutorial does.

    Parameters
    ----------
    which
        ``"nested"`` or ``"crossed"``.
    **params
        Overrides of the tutorial's numbers (the keys of ``NESTED_DEFAULTS`` or
        ``CROSSED_DEFAULTS``), mirroring the simulate functions' arguments.
    """
    if which == "nested":
        template, defaults = _NESTED, NESTED_DEFAULTS
    elif which == "crossed":
        template, defaults = _CROSSED, CROSSED_DEFAULTS
    else:
        raise ValueError(f"unknown tutorial design {which!r}; use 'nested' or 'crossed'")
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)}; expected some of {sorted(defaults)}")
    return template.format(**{**defaults, **params})
