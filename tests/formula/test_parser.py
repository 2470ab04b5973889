"""Formula parser: ASTs, R-style deparse, bar extraction, caret errors."""

from __future__ import annotations

import pytest

from mixedlab._errors import FormulaError
from mixedlab.formula import deparse, parse_formula
from mixedlab.formula._parser import BinOp, Call, Name, Num, Paren, UnaryOp


def test_ast_of_tutorial_formula():
    f = parse_formula("Reaction ~ Days + (1 + Days | Subject)")
    assert f.response == Name("Reaction")
    assert f.fixed == Name("Days")
    assert f.random == (BinOp("|", BinOp("+", Num("1"), Name("Days")), Name("Subject")),)


def test_precedence_follows_r():
    f = parse_formula("y ~ a + b:c * d - 1")
    # (a + ((b:c) * d)) - 1
    assert f.rhs == BinOp("-", BinOp("+", Name("a"), BinOp("*", BinOp(":", Name("b"), Name("c")),
                                                          Name("d"))), Num("1"))
    g = parse_formula("y ~ -x^2")
    assert g.rhs == UnaryOp("-", BinOp("^", Name("x"), Name("2") if False else Num("2")))


def test_calls_and_kwargs():
    f = parse_formula("y ~ log(x, base = 2) + I(x^2)")
    left = f.rhs.left
    assert left == Call("log", (Name("x"),), (("base", Num("2")),))
    assert deparse(left) == "log(x, base = 2)"
    assert deparse(f.rhs.right) == "I(x^2)"


@pytest.mark.parametrize("text, expected", [
    ("I(x+1)", "I(x + 1)"), ("I(x ^ 2)", "I(x^2)"), ("I(x/2)", "I(x/2)"),
    ("I(x*2)", "I(x * 2)"), ("I(x>0)", "I(x > 0)"), ("I(2.50*x)", "I(2.5 * x)"),
    ("I(1e-3*x)", "I(0.001 * x)"), ("log(x+1)", "log(x + 1)"), ("I((x+1)^2)", "I((x + 1)^2)"),
    ("I(-x)", "I(-x)"), ("I(x%%2)", "I(x%%2)"),
])
def test_deparse_matches_r(text, expected):
    # expected strings are R's deparse(quote(...)) output (R 4.2.2)
    assert deparse(parse_formula(f"y ~ {text}").rhs) == expected


def test_bars_are_split_from_fixed_part():
    f = parse_formula("y ~ x + (1 | g) + z + (x || h) - 1")
    assert deparse(f.fixed) == "x + z - 1"
    assert [deparse(b) for b in f.random] == ["1 | g", "x || h"]
    only = parse_formula("y ~ (1 | g)")
    assert only.fixed == Num("1")


def test_parenthesised_sum_kept():
    f = parse_formula("y ~ (a + b)^2")
    assert f.rhs == BinOp("^", Paren(BinOp("+", Name("a"), Name("b"))), Num("2"))


def _caret_col(msg: str) -> int:
    lines = msg.splitlines()
    return lines[2].index("^") - 2


@pytest.mark.parametrize("text, col, words", [
    ("y ~ x +", 7, "ends after '+'"),
    ("y ~ (x + 1", 10, "close the '('"),
    ("y ~ x $ z", 6, "unexpected character"),
    ("y ~ x + (1 | g", 14, "close the '('"),
    ("y ~ log(x", 9, "close the call of log()"),
    ("y x", 2, "expected '~'"),
    ("y ~ x[1]", 5, "indexing"),
    ("y ~ x * (1 | g)", 6, "added with '+'"),
    ("y ~ x + )", 8, "unexpected ')'"),
    ("y ~ 2 + x + (1|g)", 4, "cannot be a term"),
])
def test_caret_errors(text, col, words):
    with pytest.raises(FormulaError) as info:
        from mixedlab.formula import build_model
        import pandas as pd
        build_model(text, pd.DataFrame({"y": [1.0, 2.0], "x": [1.0, 2.0], "g": ["a", "b"]}))
    msg = str(info.value)
    assert words in msg
    assert msg.splitlines()[1].strip() == text
    assert _caret_col(msg) == col


def test_non_string_formula():
    with pytest.raises(TypeError):
        parse_formula(42)  # type: ignore[arg-type]
