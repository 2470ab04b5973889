"""Tokenizer for R's formula language.

Splits a formula string into tokens that remember their character offset, so
that the parser can point a caret at the exact place where a formula fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from mixedlab._errors import FormulaError

__all__ = ["Token", "tokenize", "caret_error"]

# Multi-character operators first: the scanner tries the longest match.
_OPERATORS = ("||", "&&", "==", "!=", "<=", ">=", "**",
              "~", "+", "-", "*", "/", "^", ":", "|", "&", "!", "<", ">",
              "(", ")", ",", "=", "[", "]")


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` is "num", "name", "str", "op" or "end"."""

    kind: str
    text: str
    pos: int


def caret_error(formula: str, pos: int, problem: str) -> FormulaError:
    """Build a :class:`FormulaError` that shows ``formula`` with a caret under ``pos``."""
    pos = max(0, min(pos, len(formula)))
    return FormulaError(f"{problem}\n  {formula}\n  {' ' * pos}^")


def _scan_number(s: str, i: int) -> int:
    """Return the end offset of the numeric literal that starts at ``i``."""
    n = len(s)
    j = i
    while j < n and (s[j].isdigit() or s[j] == "."):
        j += 1
    if j < n and s[j] in "eE":
        k = j + 1
        if k < n and s[k] in "+-":
            k += 1
        if k < n and s[k].isdigit():
            j = k
            while j < n and s[j].isdigit():
                j += 1
    if j < n and s[j] == "L":  # R integer literal 1L
        j += 1
    return j


def tokenize(formula: str) -> list[Token]:
    """Split ``formula`` into tokens.

    Names follow R's rules (letters, digits, ``.`` and ``_``, not starting with a
    digit or underscore); backquoted names such as ```my var``` are accepted;
    ``%op%`` operators (``%in%``, ``%%``) are single tokens.

    Raises
    ------
    FormulaError
        On a character that cannot start any token, with a caret under it.
    """
    s = formula
    out: list[Token] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":  # a comment runs to the end of the line, as in R code
            j = s.find("\n", i)
            i = n if j < 0 else j
            continue
        if c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
            j = _scan_number(s, i)
            out.append(Token("num", s[i:j], i))
            i = j
            continue
        if c.isalpha() or c == ".":
            j = i + 1
            while j < n and (s[j].isalnum() or s[j] in "._"):
                j += 1
            # pkg::fn and pkg:::fn (splines::ns) are one name, as R reads them
            for sep in (":::", "::"):
                k = j + len(sep)
                if s.startswith(sep, j) and k < n and (s[k].isalpha() or s[k] == "."):
                    j = k + 1
                    while j < n and (s[j].isalnum() or s[j] in "._"):
                        j += 1
                    break
            out.append(Token("name", s[i:j], i))
            i = j
            continue
        if c == "`":
            j = s.find("`", i + 1)
            if j < 0:
                raise caret_error(formula, i, "unterminated backquoted name")
            out.append(Token("name", s[i + 1:j], i))
            i = j + 1
            continue
        if c in "\"'":
            j = s.find(c, i + 1)
            if j < 0:
                raise caret_error(formula, i, "unterminated string")
            out.append(Token("str", s[i + 1:j], i))
            i = j + 1
            continue
        if c == "%":
            j = s.find("%", i + 1)
            if j < 0:
                raise caret_error(formula, i, "unterminated %op% operator")
            out.append(Token("op", s[i:j + 1], i))
            i = j + 1
            continue
        for op in _OPERATORS:
            if s.startswith(op, i):
                out.append(Token("op", op, i))
                i += len(op)
                break
        else:
            raise caret_error(formula, i, f"unexpected character {c!r} in formula")
    out.append(Token("end", "", n))
    return out
