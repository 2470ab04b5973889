"""Parse stage of the lmer engine (lme4's ``lFormula``/``mkReTrms``).

Formula text -> model frame -> response, fixed-effects matrix and random-effect
terms, with lme4's names, ordering and checks::

    from mixedlab.formula import build_model
    mf = build_model("Reaction ~ Days + (Days | Subject)", sleepstudy)
    mf.X, mf.fixed_names, [t.group for t in mf.terms]
"""

from __future__ import annotations

from mixedlab.formula._build import DesignSpec, ModelFrame, build_model
from mixedlab.formula._frame import as_data_frame
from mixedlab.formula._parser import Formula, deparse, parse_formula
from mixedlab.formula._random import ReTerm
from mixedlab.formula._reform import ReFormTerm, parse_re_form, re_form_terms
from mixedlab.formula._rtext import collate_key

__all__ = ["build_model", "ModelFrame", "ReTerm", "DesignSpec", "parse_formula", "Formula",
           "deparse", "as_data_frame", "parse_re_form", "re_form_terms", "ReFormTerm",
           "collate_key"]
