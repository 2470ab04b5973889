"""Recursive-descent parser for R's formula language.

Operator precedence follows R's grammar (lowest first): ``~``; ``|`` ``||``;
``&`` ``&&``; unary ``!``; comparisons; binary ``+`` ``-``; ``*`` ``/``;
``%op%``; ``:``; unary ``+`` ``-``; ``^`` (right associative); calls.
The result is a small immutable AST whose :func:`deparse` prints an expression
the way R's ``deparse`` does, so that column names match R's
(``I(x^2)``, ``log(x + 1)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from mixedlab._errors import ArgumentError, FormulaError
from mixedlab.formula._rtext import format_double
from mixedlab.formula._tokens import Token, caret_error, tokenize

__all__ = [
    "Node", "Num", "Name", "Str", "Call", "BinOp", "UnaryOp", "Paren",
    "Formula", "parse_formula", "deparse", "is_bar", "find_bars",
]


@dataclass(frozen=True)
class Node:
    """Base class of AST nodes; ``pos`` is the character offset in the formula."""

    pos: int = field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Num(Node):
    """A numeric literal, kept as written (``"1"``, ``"2.5"``, ``"1L"``)."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text.rstrip("L"))


@dataclass(frozen=True)
class Name(Node):
    """A variable name (a data column, or TRUE/FALSE/pi)."""

    id: str


@dataclass(frozen=True)
class Str(Node):
    """A string literal."""

    value: str


@dataclass(frozen=True)
class Call(Node):
    """A function call ``fn(args..., name = value...)``."""

    fn: str
    args: tuple[Node, ...]
    kwargs: tuple[tuple[str, Node], ...] = ()


@dataclass(frozen=True)
class BinOp(Node):
    """A binary operator application; ``op`` is R's spelling (``"+"``, ``"|"``, ``"%in%"``)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class UnaryOp(Node):
    """A unary operator: ``-``, ``+`` or ``!``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Paren(Node):
    """An expression in parentheses (kept: R keeps them in deparsed names)."""

    inner: Node


@dataclass(frozen=True)
class Formula:
    """A parsed two-sided (or one-sided) formula.

    Attributes
    ----------
    text : str
        The formula as given.
    response : Node or None
        The left-hand side.
    rhs : Node
        The whole right-hand side.
    fixed : Node
        The right-hand side with the random-effect terms removed (lme4's
        ``nobars``); ``Num("1")`` when nothing is left.
    random : tuple of BinOp
        The random-effect terms (``|`` or ``||`` nodes, lme4's ``findbars``
        before expansion), in formula order.
    """

    text: str
    response: Node | None
    rhs: Node
    fixed: Node
    random: tuple[BinOp, ...]

    def __str__(self) -> str:
        lhs = deparse(self.response) + " " if self.response is not None else ""
        return f"{lhs}~ {deparse(self.rhs)}"


# Binary precedence levels, lowest first; each entry: (operators, right_assoc).
_BINARY_LEVELS: list[tuple[frozenset[str], bool]] = [
    (frozenset({"|", "||"}), False),
    (frozenset({"&", "&&"}), False),
    # level 2 is unary "!" (handled specially)
    (frozenset({"==", "!=", "<", ">", "<=", ">="}), False),
    (frozenset({"+", "-"}), False),
    (frozenset({"*", "/"}), False),
    (frozenset({"%"}), False),  # any %op%
    (frozenset({":"}), False),
]


# R's parser keeps at most 50 nested contexts (CONTEXTSTACK_SIZE in gram.y): parentheses and
# calls together; the 51st is "contextstack overflow". The same limit keeps this recursive
# parser far from Python's recursion limit.
MAX_NESTING = 50


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[Token] = tokenize(text)
        self.i = 0
        self.depth = 0

    def enter(self, tok: Token) -> None:
        """Open one level of parentheses or call; refuse the 51st as R's parser does."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise caret_error(
                self.text, tok.pos,
                f"contextstack overflow (R's parser error): the formula nests parentheses and "
                f"function calls more than {MAX_NESTING} deep; remove redundant parentheses or "
                "compute the expression as a column of the data first")

    # -- helpers ---------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def advance(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def error(self, problem: str, pos: int | None = None):
        return caret_error(self.text, self.tok.pos if pos is None else pos, problem)

    def expect(self, op: str) -> Token:
        if self.tok.kind == "op" and self.tok.text == op:
            return self.advance()
        found = "end of formula" if self.tok.kind == "end" else repr(self.tok.text)
        raise self.error(f"expected {op!r} but found {found}")

    def at_op(self, ops) -> bool:
        t = self.tok
        if t.kind != "op":
            return False
        if "%" in ops and t.text.startswith("%"):
            return True
        return t.text in ops

    # -- grammar ---------------------------------------------------------
    def formula(self) -> tuple[Node | None, Node]:
        if self.tok.kind == "end":
            raise self.error("the formula is empty; write e.g. 'y ~ x + (1 | g)'")
        lhs = None
        if not self.at_op({"~"}):
            lhs = self.binary(0)
        if not self.at_op({"~"}):
            found = "end of formula" if self.tok.kind == "end" else repr(self.tok.text)
            raise self.error(f"expected '~' after the response, found {found}")
        self.advance()
        if self.tok.kind == "end":
            raise self.error("the right-hand side of the formula is missing")
        rhs = self.binary(0)
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}")
        return lhs, rhs

    def binary(self, level: int) -> Node:
        if level == 2:  # unary "!" sits between & and comparisons
            if self.at_op({"!"}):
                t = self.advance()
                return UnaryOp("!", self.binary(2), pos=t.pos)
            return self.binary(3)
        if level > len(_BINARY_LEVELS):
            return self.unary()
        ops, _ = _BINARY_LEVELS[level if level < 2 else level - 1]
        left = self.binary(level + 1)
        while self.at_op(ops):
            t = self.advance()
            if self.tok.kind == "end":
                raise self.error(f"the formula ends after {t.text!r}; a term is missing")
            right = self.binary(level + 1)
            left = BinOp(t.text, left, right, pos=t.pos)
        return left

    def unary(self) -> Node:
        if self.at_op({"-", "+"}):
            t = self.advance()
            return UnaryOp(t.text, self.unary(), pos=t.pos)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at_op({"^", "**"}):
            t = self.advance()
            exponent = self.unary()  # right associative; 2^-1 allowed as in R
            return BinOp("^", base, exponent, pos=t.pos)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while self.at_op({"(", "["}):
            if self.tok.text == "[":
                raise self.error("indexing with [ ] is not supported in formulas; "
                                 "make a new column instead")
            if not isinstance(node, Name):
                raise self.error("only named functions can be called")
            open_tok = self.advance()
            self.enter(open_tok)
            args: list[Node] = []
            kwargs: list[tuple[str, Node]] = []
            if not self.at_op({")"}):
                while True:
                    if (self.tok.kind == "name" and self.toks[self.i + 1].kind == "op"
                            and self.toks[self.i + 1].text == "="):
                        key = self.advance().text
                        self.advance()
                        kwargs.append((key, self.binary(0)))
                    else:
                        if kwargs:
                            raise self.error("positional argument after a named one")
                        args.append(self.binary(0))
                    if self.at_op({","}):
                        self.advance()
                        continue
                    break
            if not self.at_op({")"}):
                raise self.error(f"expected ')' to close the call of {node.id}() "
                                 f"opened at column {open_tok.pos + 1}")
            self.advance()
            self.depth -= 1
            node = Call(node.id, tuple(args), tuple(kwargs), pos=node.pos)
        return node

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.advance()
            return Num(t.text, pos=t.pos)
        if t.kind == "name":
            self.advance()
            return Name(t.text, pos=t.pos)
        if t.kind == "str":
            self.advance()
            return Str(t.text, pos=t.pos)
        if t.kind == "op" and t.text == "(":
            self.advance()
            self.enter(t)
            if self.at_op({")"}):
                raise self.error("empty parentheses")
            inner = self.binary(0)
            if not self.at_op({")"}):
                found = "end of formula" if self.tok.kind == "end" else repr(self.tok.text)
                raise self.error(f"expected ')' to close the '(' at column {t.pos + 1}, "
                                 f"found {found}")
            self.advance()
            self.depth -= 1
            return Paren(inner, pos=t.pos)
        if t.kind == "end":
            raise self.error("the formula ends where a term was expected")
        raise self.error(f"unexpected {t.text!r}")


# -- deparse ---------------------------------------------------------------
# R's deparse writes these binary operators without surrounding spaces.
_TIGHT = {"^", ":", "/", "%%", "%/%"}


def deparse(node: Node | None) -> str:
    """Print ``node`` as R's ``deparse`` would (``x^2``, ``x + 1``, ``1 + x | g``)."""
    if node is None:
        return ""
    if isinstance(node, Num):
        if node.text.endswith("L"):
            return node.text
        return format_double(node.value)
    if isinstance(node, Name):
        return node.id if _is_syntactic(node.id) else f"`{node.id}`"
    if isinstance(node, Str):
        return f'"{node.value}"'
    if isinstance(node, Paren):
        return f"({deparse(node.inner)})"
    if isinstance(node, UnaryOp):
        inner = deparse(node.operand)
        if isinstance(node.operand, BinOp) and _precedence(node.operand.op) < 10:
            inner = f"({inner})"
        return f"{node.op}{inner}"
    if isinstance(node, BinOp) and node.op in ("+", "-") and isinstance(node.left, BinOp) \
            and node.left.op in ("+", "-"):
        return _deparse_sum(node)
    if isinstance(node, BinOp):
        sep = node.op if node.op in _TIGHT else f" {node.op} "
        prec = _precedence(node.op)
        left, right = deparse(node.left), deparse(node.right)
        # R's deparse adds the parentheses a built call needs: g:(a:b), (a + b)^2.
        if isinstance(node.left, BinOp) and (_precedence(node.left.op) < prec or (
                node.op == "^" and _precedence(node.left.op) == prec)):
            left = f"({left})"
        if isinstance(node.right, BinOp) and (_precedence(node.right.op) < prec or (
                node.op != "^" and _precedence(node.right.op) == prec)):
            right = f"({right})"
        return f"{left}{sep}{right}"
    if isinstance(node, Call):
        parts = [deparse(a) for a in node.args]
        parts += [f"{k} = {deparse(v)}" for k, v in node.kwargs]
        return f"{node.fn}({', '.join(parts)})"
    raise TypeError(f"not a formula node: {node!r}")


def _left_spine(node: BinOp, ops: tuple[str, ...]) -> tuple[Node, list[BinOp]]:
    """The leftmost operand of a left-nested chain of ``ops`` and the chain's nodes, innermost
    first (``a + b - c`` gives ``a`` and the nodes of ``a + b`` and ``(a + b) - c``)."""
    chain: list[BinOp] = []
    cur: Node = node
    while isinstance(cur, BinOp) and cur.op in ops:
        chain.append(cur)
        cur = cur.left
    chain.reverse()
    return cur, chain


def _deparse_sum(node: BinOp) -> str:
    """:func:`deparse` of a long ``a + b - c + ...`` chain without recursing down its spine."""
    first, chain = _left_spine(node, ("+", "-"))
    prec = _precedence("+")
    text = deparse(first)
    if isinstance(first, BinOp) and _precedence(first.op) < prec:
        text = f"({text})"
    parts = [text]
    for link in chain:
        right = deparse(link.right)
        if isinstance(link.right, BinOp) and _precedence(link.right.op) <= prec:
            right = f"({right})"
        parts.append(f" {link.op} {right}")
    return "".join(parts)


def _precedence(op: str) -> int:
    """Binding strength of a binary operator in R's grammar (higher binds tighter)."""
    if op == "^":
        return 10
    if op.startswith("%"):
        return 6
    for i, (ops, _) in enumerate(_BINARY_LEVELS):
        if op in ops:
            return i + 1
    return 0


def _is_syntactic(name: str) -> bool:
    if "::" in name:  # pkg::fn, as written
        return all(_is_syntactic(part) for part in name.replace(":::", "::").split("::"))
    if not name or name[0].isdigit() or name[0] == "_":
        return False
    if name[0] == "." and len(name) > 1 and name[1].isdigit():
        return False
    return all(c.isalnum() or c in "._" for c in name)


# -- bars ------------------------------------------------------------------
def is_bar(node: Node) -> bool:
    """True when ``node`` is a random-effect term ``lhs | g`` or ``lhs || g``."""
    return isinstance(node, BinOp) and node.op in ("|", "||")


def _strip_parens(node: Node) -> Node:
    while isinstance(node, Paren):
        node = node.inner
    return node


def _contains_bar(node: Node) -> bool:
    node = _strip_parens(node)
    if is_bar(node):
        return True
    if isinstance(node, BinOp):
        return _contains_bar(node.left) or _contains_bar(node.right)
    if isinstance(node, UnaryOp):
        return _contains_bar(node.operand)
    return False


def find_bars(rhs: Node, text: str) -> tuple[Node | None, list[BinOp]]:
    """Split a right-hand side into its fixed part and its bar terms.

    Bars are found through ``+`` chains and parentheses, as lme4's
    ``findbars``/``nobars`` do. Returns ``(fixed, bars)``; ``fixed`` is None when
    only bars were present (the caller then uses the implicit intercept).
    """
    bars: list[BinOp] = []

    def walk(node: Node) -> Node | None:
        inner = _strip_parens(node)
        if is_bar(inner):
            assert isinstance(inner, BinOp)
            if _contains_bar(inner.left) or _contains_bar(inner.right):
                raise caret_error(text, inner.pos, "a random-effect term cannot contain another '|'")
            bars.append(inner)
            return None
        if isinstance(inner, BinOp) and inner.op == "+":
            # a long sum a + b + c + ...: its left spine in a loop, not by recursion
            first, chain = _left_spine(inner, ("+",))
            kept = walk(first)
            for link in chain:
                right = walk(link.right)
                if kept is None:
                    kept = right
                elif right is not None:
                    kept = BinOp("+", kept, right, pos=link.pos)
            return kept
        if isinstance(inner, BinOp) and inner.op == "-" and not _contains_bar(inner.right):
            # "(1 | g) - 1": bars on the left of a minus, removals on the right
            left = walk(inner.left)
            return BinOp("-", Num("1", pos=inner.pos) if left is None else left,
                         inner.right, pos=inner.pos)
        if _contains_bar(node):
            raise caret_error(text, node.pos,
                              "random-effect terms '(... | g)' can only be added with '+'")
        return node

    fixed = walk(rhs)
    return fixed, bars


def parse_formula(formula: str) -> Formula:
    """Parse an R model formula.

    Parameters
    ----------
    formula : str
        E.g. ``"Reaction ~ Days + (1 + Days | Subject)"``.

    Returns
    -------
    Formula
        With ``response``, ``rhs``, ``fixed`` (bars removed) and ``random``
        (the bar terms).

    Raises
    ------
    FormulaError
        When the text is not a formula; the message shows it with a caret under
        the fault.
    """
    if not isinstance(formula, str):
        raise ArgumentError(f"formula must be a string such as 'y ~ x + (1 | g)', "
                            f"not {type(formula).__name__}")
    try:
        return _parse_text(formula)
    except RecursionError:
        raise too_deep(formula) from None


def too_deep(formula: str) -> FormulaError:
    """The error for a formula whose structure is too deep to process (instead of a
    RecursionError): say it in words."""
    return FormulaError(f"the formula is too deeply nested to read ({len(formula)} characters); "
                        "write it with fewer levels of parentheses and calls, or compute parts "
                        "of it as columns of the data first")


@lru_cache(maxsize=512)
def _parse_text(formula: str) -> Formula:
    """Parse once per distinct text: the result is immutable (frozen nodes and tuples),
    so sharing it between calls is safe. Errors are not cached (they re-raise)."""
    p = _Parser(formula)
    lhs, rhs = p.formula()
    fixed, bars = find_bars(rhs, formula)
    if fixed is None:
        fixed = Num("1", pos=rhs.pos)
    return Formula(formula, lhs, rhs, fixed, tuple(bars))
