"""A sweep of awkward and bad inputs across the public API (issue 9 §9, §11).

Every case either gives a finite answer or raises one of mixedlab's errors from mixedlab's
own code (no traceback from deep inside numpy or pandas, no NaN estimates, no silently
mutated input). The expected outcome of each case is listed, so that a case that starts
to succeed or to fail differently is noticed. Cases whose answer R gives are compared
with R elsewhere (tests/formula/test_column_types.py, test_awkward_inputs.py, ...); R's
behaviour for the others is noted here where it differs (lme4 1.1-31):

* ``Reaction ~ Reaction + (1|Subject)``: R drops the response from the right-hand side
  with a warning; so does mixedlab (criterion 1904.3265 as R's).
* ``T``/``pi``/``TRUE`` as terms: R's "variable lengths differ (found for 'T')".
* all-zero weights for some rows: lme4 reports an infinite criterion; mixedlab leaves
  the rows out with a message (the fit of the remaining rows).
* ``(0 + x | g)`` with x all zero: lme4 crashes R (segfault); mixedlab refuses the term.
* huge or tiny responses (x 1e200): lme4 reports an infinite criterion; mixedlab says the
  response cannot be squared in double precision.
"""

from __future__ import annotations

import traceback
import warnings

import numpy as np
import pandas as pd
import pytest

import mixedlab
from mixedlab import MixedLabError, datasets


def _cases() -> dict:
    ss = datasets.sleepstudy()
    F = "Reaction ~ Days + (Days|Subject)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fm = mixedlab.lmer(F, ss)
        fm0 = mixedlab.lmer("Reaction ~ 1 + (Days|Subject)", ss)
    cases: dict = {}

    def add(name, f):
        cases[name] = f

    L = mixedlab.lmer
    # formulas
    for f in ["", "~", "Reaction ~", "Reaction ~ Days", "~ Days + (1|Subject)", "Reaction ~ Days + (1|)", "Reaction ~ Days + (|Subject)",
              "Reaction ~ Days + 1|Subject", "Reaction ~ Days + (1|Subject", "Reaction ~ Days + (1||Subject)", "Reaction ~ Days + (Days|Days)",
              "Reaction ~ . + (1|Subject)", "Reaction ~ Days^2 + (1|Subject)", "Reaction ~ Days + (1|Subject/Days)", "Reaction ~ Days + (1 | Subject:Subject)",
              "Reaction ~ Days + (1|log(Days))", "Reaction ~ Days + (1|I(Days>3))", "Reaction ~ Days + (0|Subject)", "Reaction ~ Days + (-1|Subject)",
              "Reaction ~ Days + (1|Subject) + (1|Subject)", "Reaction ~ Reaction + (1|Subject)", "Reaction ~ Days %in% Subject + (1|Subject)",
              "log(Reaction) ~ Days + (1|Subject)", "Reaction ~ foo(Days) + (1|Subject)", "Reaction ~ Days[1] + (1|Subject)", "Reaction ~ Days + (1|Subject) + offset(Subject)",
              "Reaction ~ Days + (1|Subject) + offset(Days, 2)", "Reaction ~ 3 + (1|Subject)", "Reaction ~ Days + (1|Subject) - 1 - 0", "Reaction ~ Days + \"a\" + (1|Subject)",
              "Reaction ~ Days + (1|Subject) + (Days + 1 | Subject)", "Reaction ~ I() + (1|Subject)", "Reaction ~ log(Days, 2, 3) + (1|Subject)",
              "Reaction ~ poly(Days, 20) + (1|Subject)", "Reaction ~ poly(Days) + (1|Subject)", "Reaction ~ poly(Days, 0) + (1|Subject)",
              "Reaction ~ ns(Days, df = 1.5) + (1|Subject)", "Reaction ~ bs(Days, knots = Subject) + (1|Subject)", "Reaction ~ poly(Subject, 2) + (1|Subject)",
              "Reaction ~ ns(Days, foo = 2) + (1|Subject)", "Reaction ~ factor(Days, levels = 1:3) + (1|Subject)", "Reaction ~ scale(Days, center = 3) + (1|Subject)",
              "Reaction ~ I(poly(Days, 2)) + (1|Subject)", "Reaction ~ Days + (1|poly(Days,2))", "poly(Reaction, 2) ~ Days + (1|Subject)",
              "Reaction ~ Days + (1|Subject) + (1|Subject:Days)", "Reaction ~ Days*Days + (1|Subject)", "Reaction ~ `Days` + (1|`Subject`)",
              "Reaction ~ `Days + (1|Subject)", "Reaction ~ Days + (1|Subject) # comment", "Reaction ~ Days\n + (1|Subject)", "Reaction ~ Days + (1 | Subject) + 0",
              "Reaction ~ ordered(Days) + (1|Subject)", "Reaction ~ Days + (1 + ordered(Days) | Subject)", "Reaction ~ exp(Days*100) + (1|Subject)",
              "Reaction ~ log(Days) + (1|Subject)", "Reaction ~ Days + (Days | Subject) + (Days | Subject)", "Reaction ~ (Days | Subject)",
              "Reaction ~ 1 + (1 | Subject) + (1 | Days)", "Reaction ~ Days + (1 | Subject) + (1 | 1)", "Reaction ~ T + (1|Subject)", "Reaction ~ pi + (1|Subject)",
              "Reaction ~ Days + (1|Subject) + offset(pi)", "Reaction ~ Days + TRUE + (1|Subject)", "Reaction ~ poly(Days, 2, raw = 1) + (1|Subject)",
              "Reaction ~ Days + (1 | Subject)" + " + Days" * 3]:
        add(f"formula {f!r}", (lambda f=f: L(f, ss)))
    add("formula bytes", lambda: L(b"Reaction ~ Days + (1|Subject)", ss))
    add("formula list", lambda: L(["Reaction ~ Days + (1|Subject)"], ss))
    # data
    d = ss.copy(); d.loc[0:5, "Reaction"] = np.inf; add("inf response", lambda d=d: L(F, d))
    d = ss.copy(); d["Reaction"] = np.nan; add("all-NaN response", lambda d=d: L(F, d))
    d = ss.copy(); d["Reaction"] = 5.0; add("constant response", lambda d=d: L(F, d))
    d = ss.copy(); d["Reaction"] = d.Reaction.astype(str); add("string response", lambda d=d: L(F, d))
    d = ss.copy(); d["Reaction"] = d.Reaction > 300; add("bool response", lambda d=d: L(F, d))
    d = ss.copy(); d["Reaction"] = pd.Categorical(d.Reaction.round()); add("categorical response", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = "x"; add("constant string predictor", lambda d=d: L(F, d))
    d = ss.copy(); d["Subject"] = "s"; add("one-level group", lambda d=d: L(F, d))
    d = ss.copy(); d["Subject"] = np.arange(180); add("group per row", lambda d=d: L("Reaction ~ Days + (1|Subject)", d))
    d = ss.copy(); d["Subject"] = np.nan; add("all-NaN group", lambda d=d: L(F, d))
    d = ss.head(3); add("3 rows", lambda d=d: L(F, d))
    d = ss.head(1); add("1 row", lambda d=d: L(F, d))
    add("empty frame", lambda: L(F, ss.iloc[:0]))
    add("columns only", lambda: L(F, pd.DataFrame(columns=ss.columns)))
    d = ss.copy(); d.columns = ["Reaction", "Days", "Days"]; add("duplicate columns", lambda d=d: L(F, d))
    d = pd.concat([ss, ss[["Days"]]], axis=1); add("duplicate Days column", lambda d=d: L(F, d))
    add("data None", lambda: L(F, None))
    add("data dict", lambda: L(F, {c: ss[c].to_numpy() for c in ss}))
    add("data list", lambda: L(F, [1, 2]))
    add("data Series", lambda: L(F, ss.Reaction))
    d = ss.copy(); d.index = pd.MultiIndex.from_arrays([d.Subject, d.Days]); add("MultiIndex rows", lambda d=d: L(F, d))
    d = ss.sample(frac=1, random_state=1); add("shuffled rows", lambda d=d: L(F, d))
    d = ss.copy(); d.index = np.repeat(0, 180); add("duplicate index", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = d.Days.astype("float32"); add("float32", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = d.Days.astype("int8"); add("int8", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = d.Days.astype("uint64"); add("uint64", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = d.Days.astype(np.float16); add("float16", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = pd.arrays.SparseArray(d.Days); add("sparse", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = pd.Categorical(d.Days); add("categorical Days numeric levels", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = pd.PeriodIndex(pd.date_range("2020", periods=180, freq="D"), freq="D"); add("period", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = pd.arrays.IntervalArray.from_breaks(np.arange(181)); add("interval", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = d.Days.astype(object); d.loc[0, "Days"] = None; add("object with None", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = d.Days.astype(object); d.loc[0, "Days"] = True; add("object numbers+bool", lambda d=d: L(F, d))
    d = ss.copy(); d["Subject"] = d.Subject.astype(object); d.loc[0, "Subject"] = 308; add("object mixed group", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = [{"a": 1}] + list(d.Days[1:]); add("dict cell", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = pd.to_datetime("2020-01-01") + pd.to_timedelta(d.Days, "D"); add("datetime", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = (pd.to_datetime("2020-01-01") + pd.to_timedelta(d.Days, "D")).dt.tz_localize("UTC"); add("datetime tz", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = pd.to_timedelta(d.Days, "D"); d.loc[3, "Days"] = pd.NaT; add("timedelta NaT", lambda d=d: L(F, d))
    d = ss.copy(); d["Reaction"] = d.Reaction * 1e200; add("huge response", lambda d=d: L(F, d))
    d = ss.copy(); d["Reaction"] = d.Reaction * 1e-200; add("tiny response", lambda d=d: L(F, d))
    d = ss.copy(); d["Days"] = d.Days * 1e-10; add("tiny slope col", lambda d=d: L(F, d))
    d = ss.copy(); d["x"] = 1.0; add("constant x", lambda d=d: L("Reaction ~ x + (1|Subject)", d))
    d = ss.copy(); d["x"] = 0.0; add("zero column slope", lambda d=d: L("Reaction ~ Days + (x|Subject)", d))
    d = ss.copy(); d["x"] = 0.0; add("zero column only slope", lambda d=d: L("Reaction ~ Days + (0 + x|Subject)", d))
    # weights / offset
    for nm, w in [("w None str", "nope"), ("w neg", -np.ones(180)), ("w nan", np.full(180, np.nan)), ("w inf", np.full(180, np.inf)),
                  ("w str list", ["1"] * 180), ("w 2d", np.ones((180, 2))), ("w scalar", 1.0), ("w short", np.ones(10)), ("w bool", np.ones(180, bool)),
                  ("w dict", {"a": 1}), ("w huge", np.full(180, 1e300)), ("w tiny", np.full(180, 1e-300)), ("w col Subject", "Subject"), ("w zero some", np.r_[0., np.ones(179)]),
                  ("w complex", np.ones(180) + 1j), ("w Series misaligned", pd.Series(np.ones(180), index=np.arange(180) + 1000))]:
        add(nm, lambda w=w: L(F, ss, weights=w))
        add(nm.replace("w ", "off "), lambda w=w: L(F, ss, offset=w))
    # predict
    P = fm.predict
    for nm, f in [("newdata None str", lambda: P("x")), ("newdata ndarray", lambda: P(ss.to_numpy())), ("newdata missing col", lambda: P(ss[["Days"]])),
                  ("newdata string Days", lambda: P(ss.assign(Days="a"))), ("newdata empty", lambda: P(ss.iloc[:0])), ("newdata NaN Days", lambda: P(ss.assign(Days=np.nan))),
                  ("newdata new level", lambda: P(ss.assign(Subject="zzz"))), ("newdata new level allowed", lambda: P(ss.assign(Subject="zzz"), allow_new_levels=True)),
                  ("newdata int Subject", lambda: P(ss.assign(Subject=ss.Subject.astype(int)))), ("newdata categorical other cats", lambda: P(ss.assign(Subject=pd.Categorical(ss.Subject.astype(str), categories=sorted(set(ss.Subject.astype(str)))[::-1])))),
                  ("newdata polars", lambda: P(__import__("polars").from_pandas(ss))), ("newdata Days timedelta", lambda: P(ss.assign(Days=pd.to_timedelta(ss.Days, "D")))),
                  ("re_form list", lambda: P(re_form=["~0"])), ("re_form ~(1|Subject)+(1|Other)", lambda: P(re_form="~(1|Subject)+(1|Other)")),
                  ("re_form ~(1|Subject/Days)", lambda: P(re_form="~(1|Subject/Days)")), ("re_form two-sided", lambda: P(re_form="y ~ (1|Subject)")),
                  ("re_form empty", lambda: P(re_form="")), ("re_form ~", lambda: P(re_form="~")), ("re_form nan", lambda: P(re_form=float("nan"))),
                  ("re_form pd.NA", lambda: P(re_form=pd.NA)), ("re_form None-string", lambda: P(re_form="None")), ("re_form ~(Days||Subject)", lambda: P(re_form="~(Days||Subject)")),
                  ("newdata extra cols", lambda: P(ss.assign(extra=1))), ("newdata with only Days+Subject", lambda: P(ss[["Days", "Subject"]])),
                  ("newdata duplicated cols", lambda: P(pd.concat([ss, ss[["Days"]]], axis=1))), ("newdata MultiIndex cols", lambda: P(ss.set_axis(pd.MultiIndex.from_product([["a"], ss.columns]), axis=1))),
                  ("predict positional str", lambda: P(ss, "~0")), ("predict allow 1", lambda: P(ss, allow_new_levels=1))]:
        add(nm, f)
    # anova
    A = mixedlab.anova
    for nm, f in [("anova one", lambda: A(fm)), ("anova none", lambda: A()), ("anova non-fit", lambda: A(fm, "x")), ("anova same twice", lambda: A(fm, fm)),
                  ("anova dup names", lambda: A(fm, fm0, model_names=["a", "a"])), ("anova wrong n names", lambda: A(fm, fm0, model_names=["a"])),
                  ("anova kw", lambda: A(a=fm0, b=fm)), ("anova mixed kw", lambda: A(fm0, b=fm)), ("anova refit False", lambda: A(fm0, fm, refit=False)),
                  ("anova other data", lambda: A(fm0, mixedlab.lmer(F, ss.head(170)))), ("anova different response", lambda: A(fm0, mixedlab.lmer("log(Reaction) ~ Days + (Days|Subject)", ss))),
                  ("anova model_names tuple", lambda: A(fm0, fm, model_names=("a", "b"))), ("anova model_names dict", lambda: A(fm0, fm, model_names={"a": 1, "b": 2}))]:
        add(nm, f)
    # results
    for nm, f in [("summary", lambda: str(fm.summary())), ("repr", lambda: repr(fm)), ("html", lambda: fm._repr_html_()), ("tidy", lambda: fm.tidy()),
                  ("tidy str", lambda: fm.tidy("ran_pars")), ("tidy bad", lambda: fm.tidy("x")), ("tidy dict", lambda: fm.tidy({"fixed": 1})),
                  ("ranef", lambda: fm.ranef), ("ranef_frame", lambda: fm.ranef_frame()), ("coef", lambda: fm.coef), ("vcov", lambda: fm.vcov),
                  ("varcorr", lambda: fm.varcorr), ("format_varcorr bad comp", lambda: fm.format_varcorr(comp=("x",))), ("format_varcorr comp None", lambda: fm.format_varcorr(comp=None)),
                  ("format_varcorr digits bool", lambda: fm.format_varcorr(digits=True)), ("residuals pearson", lambda: fm.residuals("pearson")), ("residuals type 1", lambda: fm.residuals(1)),
                  ("fitted", lambda: fm.fitted()), ("varcorr_matrices", lambda: fm.varcorr_matrices())]:
        add(nm, f)
    # lmer args
    for nm, f in [("REML str", lambda: L(F, ss, REML="TRUE")), ("REML np.bool", lambda: L(F, ss, REML=np.bool_(False))), ("na_action weird", lambda: L(F, ss, na_action="exclude")),
                  ("control dict", lambda: L(F, ss, control={})), ("data_name int", lambda: L(F, ss, data_name=1)), ("extra kwarg", lambda: L(F, ss, family="binomial")),
                  ("positional REML", lambda: L(F, ss, False))]:
        add(nm, f)

    return cases


CASES = _cases()

EXPECTED = {'1 row': 'ModelSpecificationError',
 '3 rows': 'ModelSpecificationError',
 'MultiIndex rows': 'ok',
 'REML np.bool': 'ok',
 'REML str': 'ArgumentError',
 'all-NaN group': 'DataError',
 'all-NaN response': 'DataError',
 'anova different response': 'DataError',
 'anova dup names': 'ModelSpecificationError',
 'anova kw': 'ok',
 'anova mixed kw': 'ok',
 'anova model_names dict': 'ok',
 'anova model_names tuple': 'ok',
 'anova non-fit': 'ModelSpecificationError',
 'anova none': 'ModelSpecificationError',
 'anova one': 'ok',  # the single-model table (lmerTest's anova)
 'anova other data': 'DataError',
 'anova refit False': 'ok',
 'anova same twice': 'ok',
 'anova wrong n names': 'ModelSpecificationError',
 'bool response': 'DataError',
 'categorical Days numeric levels': 'ModelSpecificationError',
 'categorical response': 'DataError',
 'coef': 'ok',
 'columns only': 'DataError',
 'constant response': 'ModelSpecificationError',
 'constant string predictor': 'DataError',
 'constant x': 'ok',
 'control dict': 'ArgumentError',
 'data None': 'DataError',
 'data Series': 'DataError',
 'data dict': 'DataError',
 'data list': 'DataError',
 'data_name int': 'ArgumentError',
 'datetime': 'DataError',
 'datetime tz': 'DataError',
 'dict cell': 'DataError',
 'duplicate Days column': 'DataError',
 'duplicate columns': 'DataError',
 'duplicate index': 'ok',
 'empty frame': 'DataError',
 'extra kwarg': 'TypeError',
 'fitted': 'ok',
 'float16': 'ok',
 'float32': 'ok',
 'format_varcorr bad comp': 'ArgumentError',
 'format_varcorr comp None': 'ArgumentError',
 'format_varcorr digits bool': 'ArgumentError',
 "formula ''": 'FormulaError',
 "formula 'Reaction ~ (Days | Subject)'": 'ok',
 "formula 'Reaction ~ . + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ 1 + (1 | Subject) + (1 | Days)'": 'ok',
 "formula 'Reaction ~ 3 + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ Days %in% Subject + (1|Subject)'": 'ok',
 'formula \'Reaction ~ Days + "a" + (1|Subject)\'': 'FormulaError',
 "formula 'Reaction ~ Days + (-1|Subject)'": 'ModelSpecificationError',
 "formula 'Reaction ~ Days + (0|Subject)'": 'ModelSpecificationError',
 "formula 'Reaction ~ Days + (1 + ordered(Days) | Subject)'": 'ModelSpecificationError',
 "formula 'Reaction ~ Days + (1 | Subject) + (1 | 1)'": 'FormulaError',
 "formula 'Reaction ~ Days + (1 | Subject) + 0'": 'ok',
 "formula 'Reaction ~ Days + (1 | Subject) + Days + Days + Days'": 'ok',
 "formula 'Reaction ~ Days + (1 | Subject:Subject)'": 'ok',
 "formula 'Reaction ~ Days + (1|)'": 'FormulaError',
 "formula 'Reaction ~ Days + (1|I(Days>3))'": 'ok',
 "formula 'Reaction ~ Days + (1|Subject'": 'FormulaError',
 "formula 'Reaction ~ Days + (1|Subject) # comment'": 'ok',
 "formula 'Reaction ~ Days + (1|Subject) + (1|Subject)'": 'ok',
 "formula 'Reaction ~ Days + (1|Subject) + (1|Subject:Days)'": 'ModelSpecificationError',
 "formula 'Reaction ~ Days + (1|Subject) + (Days + 1 | Subject)'": 'ok',
 "formula 'Reaction ~ Days + (1|Subject) + offset(Days, 2)'": 'FormulaError',
 "formula 'Reaction ~ Days + (1|Subject) + offset(Subject)'": 'DataError',
 "formula 'Reaction ~ Days + (1|Subject) + offset(pi)'": 'FormulaError',
 "formula 'Reaction ~ Days + (1|Subject) - 1 - 0'": 'ok',
 "formula 'Reaction ~ Days + (1|Subject/Days)'": 'ModelSpecificationError',
 "formula 'Reaction ~ Days + (1|log(Days))'": 'ok',
 "formula 'Reaction ~ Days + (1|poly(Days,2))'": 'FormulaError',
 "formula 'Reaction ~ Days + (1||Subject)'": 'ok',
 "formula 'Reaction ~ Days + (Days | Subject) + (Days | Subject)'": 'ok',
 "formula 'Reaction ~ Days + (Days|Days)'": 'ok',
 "formula 'Reaction ~ Days + (|Subject)'": 'FormulaError',
 "formula 'Reaction ~ Days + 1|Subject'": 'ok',
 "formula 'Reaction ~ Days + TRUE + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ Days'": 'ModelSpecificationError',
 "formula 'Reaction ~ Days*Days + (1|Subject)'": 'ok',
 "formula 'Reaction ~ Days[1] + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ Days\\n + (1|Subject)'": 'ok',
 "formula 'Reaction ~ Days^2 + (1|Subject)'": 'ok',
 "formula 'Reaction ~ I() + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ I(poly(Days, 2)) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ Reaction + (1|Subject)'": 'ok',
 "formula 'Reaction ~ T + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ `Days + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ `Days` + (1|`Subject`)'": 'ok',
 "formula 'Reaction ~ bs(Days, knots = Subject) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ exp(Days*100) + (1|Subject)'": 'DataError',
 "formula 'Reaction ~ factor(Days, levels = 1:3) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ foo(Days) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ log(Days) + (1|Subject)'": 'DataError',
 "formula 'Reaction ~ log(Days, 2, 3) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ ns(Days, df = 1.5) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ ns(Days, foo = 2) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ ordered(Days) + (1|Subject)'": 'ok',
 "formula 'Reaction ~ pi + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ poly(Days) + (1|Subject)'": 'ok',
 "formula 'Reaction ~ poly(Days, 0) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ poly(Days, 2, raw = 1) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~ poly(Days, 20) + (1|Subject)'": 'DataError',
 "formula 'Reaction ~ poly(Subject, 2) + (1|Subject)'": 'DataError',
 "formula 'Reaction ~ scale(Days, center = 3) + (1|Subject)'": 'FormulaError',
 "formula 'Reaction ~'": 'FormulaError',
 "formula 'log(Reaction) ~ Days + (1|Subject)'": 'ok',
 "formula 'poly(Reaction, 2) ~ Days + (1|Subject)'": 'DataError',
 "formula '~ Days + (1|Subject)'": 'ModelSpecificationError',
 "formula '~'": 'FormulaError',
 'formula bytes': 'ArgumentError',
 'formula list': 'ArgumentError',
 'group per row': 'ModelSpecificationError',
 'html': 'ok',
 'huge response': 'ModelSpecificationError',
 'inf response': 'DataError',
 'int8': 'ok',
 'interval': 'DataError',
 'na_action weird': 'ArgumentError',
 'newdata Days timedelta': 'ok',
 'newdata MultiIndex cols': 'DataError',
 'newdata NaN Days': 'ok',
 'newdata None str': 'DataError',
 'newdata categorical other cats': 'ok',
 'newdata duplicated cols': 'DataError',
 'newdata empty': 'DataError',
 'newdata extra cols': 'ok',
 'newdata int Subject': 'ok',
 'newdata missing col': 'DataError',
 'newdata ndarray': 'DataError',
 'newdata new level': 'DataError',
 'newdata new level allowed': 'ok',
 'newdata polars': 'ok',
 'newdata string Days': 'DataError',
 'newdata with only Days+Subject': 'ok',
 'object mixed group': 'ok',
 'object numbers+bool': 'ok',
 'object with None': 'ok',
 'off 2d': 'DataError',
 'off None str': 'DataError',
 'off Series misaligned': 'DataError',
 'off bool': 'DataError',
 'off col Subject': 'DataError',
 'off complex': 'DataError',
 'off dict': 'DataError',
 'off huge': 'ModelSpecificationError',
 'off inf': 'DataError',
 'off nan': 'DataError',
 'off neg': 'ok',
 'off scalar': 'DataError',
 'off short': 'DataError',
 'off str list': 'DataError',
 'off tiny': 'ok',
 'off zero some': 'ok',
 'one-level group': 'ModelSpecificationError',
 'period': 'DataError',
 'positional REML': 'ok',
 'predict allow 1': 'ArgumentError',
 'predict positional str': 'ok',
 'ranef': 'ok',
 'ranef_frame': 'ok',
 're_form None-string': 'FormulaError',
 're_form empty': 'FormulaError',
 're_form list': 'ArgumentError',
 're_form nan': 'ok',
 're_form pd.NA': 'ok',
 're_form two-sided': 'FormulaError',
 're_form ~': 'FormulaError',
 're_form ~(1|Subject)+(1|Other)': 'ModelSpecificationError',
 're_form ~(1|Subject/Days)': 'ModelSpecificationError',
 're_form ~(Days||Subject)': 'ok',
 'repr': 'ok',
 'residuals pearson': 'ok',
 'residuals type 1': 'ArgumentError',
 'shuffled rows': 'ok',
 'sparse': 'ok',
 'string response': 'DataError',
 'summary': 'ok',
 'tidy': 'ok',
 'tidy bad': 'ArgumentError',
 'tidy dict': 'ArgumentError',
 'tidy str': 'ok',
 'timedelta NaT': 'ok',
 'tiny response': 'ModelSpecificationError',
 'tiny slope col': 'ok',
 'uint64': 'ok',
 'varcorr': 'ok',
 'varcorr_matrices': 'ok',
 'vcov': 'ok',
 'w 2d': 'DataError',
 'w None str': 'DataError',
 'w Series misaligned': 'DataError',
 'w bool': 'DataError',
 'w col Subject': 'DataError',
 'w complex': 'DataError',
 'w dict': 'DataError',
 'w huge': 'ModelSpecificationError',
 'w inf': 'DataError',
 'w nan': 'DataError',
 'w neg': 'DataError',
 'w scalar': 'DataError',
 'w short': 'DataError',
 'w str list': 'DataError',
 'w tiny': 'ok',
 'w zero some': 'ok',
 'zero column only slope': 'ModelSpecificationError',
 'zero column slope': 'ok'}


def test_every_case_has_an_expected_outcome():
    assert set(CASES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name):
    pytest.importorskip("polars")
    data_before = datasets.sleepstudy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = CASES[name]()
        except Exception as exc:  # noqa: BLE001 - the point is to classify it
            outcome = type(exc).__name__
            if outcome != "TypeError":  # Python's own "unexpected keyword argument"
                assert isinstance(exc, (MixedLabError, KeyError)), (name, exc)
                last = traceback.extract_tb(exc.__traceback__)[-1].filename
                assert "/mixedlab/" in last and "site-packages" not in last, (name, last)
            assert str(exc), name
        else:
            outcome = "ok"
            if hasattr(result, "fixef"):
                assert np.isfinite(result.fixef.to_numpy()).all() and np.isfinite(result.objective)
    assert outcome == EXPECTED[name], name
    pd.testing.assert_frame_equal(datasets.sleepstudy(), data_before)
