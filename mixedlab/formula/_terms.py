"""R's formula algebra: from a right-hand side to an ordered list of terms.

Follows the rules of R's ``terms.formula`` (Chambers & Hastie, *Statistical
Models in S*, ch. 2): ``a + b`` unions, ``a:b`` interacts, ``a*b = a + b + a:b``,
``a/b = a + a:b``, ``b %in% a = b:a``, ``(a + b)^k`` all interactions up to order
k, ``- t`` removes terms, ``1``/``0``/``-1`` set the intercept. Terms are then
sorted by degree (stable), and each factor in each term is marked for contrast
or indicator coding by R's rule (``TermCode``): a variable is coded by
contrasts when the term without it is contained in a *preceding* term (the
empty term counts as present), otherwise by indicators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mixedlab._errors import FormulaError
from mixedlab.formula._parser import BinOp, Name, Node, Num, Paren, UnaryOp, _left_spine, deparse
from mixedlab.formula._tokens import caret_error

__all__ = ["Terms", "expand_terms"]


@dataclass(frozen=True)
class Terms:
    """The term structure of one formula side (immutable: it is cached per formula).

    Attributes
    ----------
    variables : tuple of (label, node)
        Distinct variables in order of first appearance; labels are R's deparse.
    terms : tuple of tuple of int
        Each term as sorted variable indices, in R's order (by degree, stable).
    intercept : bool
    """

    variables: tuple[tuple[str, Node], ...] = ()
    terms: tuple[tuple[int, ...], ...] = ()
    intercept: bool = True
    # memo of codings() by which variables are factors (a pure function of the fields)
    _codings: dict = field(default_factory=dict, init=False, repr=False, compare=False,
                           hash=False)

    def label(self, term: tuple[int, ...]) -> str:
        """R's term label, e.g. ``"age:Sex"``."""
        return ":".join(self.variables[v][0] for v in term)

    @property
    def labels(self) -> list[str]:
        return [self.label(t) for t in self.terms]

    def codings(self, is_factor: list[bool]) -> list[dict[int, int]]:
        """Per term, the coding of each factor variable: 1 contrasts, 2 indicators.

        ``is_factor[v]`` tells which variables are factors. Implements R's
        ``TermCode`` plus ``model.matrix``'s rule that without an intercept the
        first factor of the first term containing a factor gets indicators.
        The result is shared between calls: read it, do not modify it.
        """
        key = tuple(is_factor)
        memo = self._codings.get(key)
        if memo is None:
            memo = self._codings[key] = self._compute_codings(is_factor)
        return memo

    def _compute_codings(self, is_factor: list[bool]) -> list[dict[int, int]]:
        out: list[dict[int, int]] = []
        for j, term in enumerate(self.terms):
            code: dict[int, int] = {}
            for v in term:
                if not is_factor[v]:
                    continue
                rest = set(term) - {v}
                if not rest or any(rest <= set(prev) for prev in self.terms[:j]):
                    code[v] = 1
                else:
                    code[v] = 2
            out.append(code)
        if not self.intercept:
            for j, term in enumerate(self.terms):
                fac = [v for v in term if is_factor[v]]
                if fac:
                    out[j][fac[0]] = 2
                    break
        return out


class _Expander:
    def __init__(self, text: str) -> None:
        self.text = text
        self.vars: list[tuple[str, Node]] = []
        self.index: dict[str, int] = {}
        self.intercept = True

    def var(self, node: Node) -> int:
        lab = deparse(node)
        if lab not in self.index:
            self.index[lab] = len(self.vars)
            self.vars.append((lab, node))
        return self.index[lab]

    def expand(self, node: Node, parity: bool = True) -> list[frozenset[int]]:
        if isinstance(node, Paren):
            return self.expand(node.inner, parity)
        if isinstance(node, Num):
            if node.value == 1:
                self.intercept = parity
            elif node.value == 0:
                self.intercept = not parity
            else:
                raise caret_error(self.text, node.pos,
                                  f"a number ({node.text}) cannot be a term; use I() for "
                                  "arithmetic or 0/1 for the intercept")
            return []
        if isinstance(node, UnaryOp) and node.op in ("+", "-"):
            if node.op == "+":
                return self.expand(node.operand, parity)
            self.expand(node.operand, not parity)
            return []
        if isinstance(node, BinOp) and node.op in ("+", "-"):
            # a long a + b - c + ...: its left spine in a loop, not by recursion
            first, chain = _left_spine(node, ("+", "-"))
            result = _unique(self.expand(first, parity))
            seen = set(result)
            for link in chain:
                if link.op == "+":
                    for t in self.expand(link.right, parity):
                        if t and t not in seen:
                            seen.add(t)
                            result.append(t)
                else:
                    removed = set(self.expand(link.right, not parity))
                    result = [t for t in result if t not in removed]
                    seen = set(result)
            return result
        if isinstance(node, BinOp):
            op = node.op
            if op == ":":
                left, right = self.expand(node.left, parity), self.expand(node.right, parity)
                return _unique([a | b for a in left for b in right])
            if op == "*":
                left, right = self.expand(node.left, parity), self.expand(node.right, parity)
                return _unique(left + right + [a | b for a in left for b in right])
            if op == "/":
                left, right = self.expand(node.left, parity), self.expand(node.right, parity)
                allv = frozenset().union(*left) if left else frozenset()
                return _unique(left + [allv | b for b in right])
            if op == "%in%":
                left, right = self.expand(node.left, parity), self.expand(node.right, parity)
                allv = frozenset().union(*right) if right else frozenset()
                return _unique([a | allv for a in left])
            if op == "^":
                if not isinstance(node.right, Num) or node.right.value < 1 \
                        or node.right.value != int(node.right.value):
                    raise caret_error(self.text, node.pos,
                                      "the power in (a + b)^k must be a positive whole number")
                base = self.expand(node.left, parity)
                result = list(base)
                for _ in range(int(node.right.value) - 1):
                    result = _unique(result + base + [a | b for a in result for b in base])
                return result
            if op in ("|", "||"):
                raise caret_error(self.text, node.pos,
                                  "a random-effect term must be written in parentheses and "
                                  "added with '+': '... + (1 | g)'")
            # comparisons, %%, etc.: the whole expression is one variable
        if isinstance(node, Name) and node.id == ".":
            raise caret_error(self.text, node.pos,
                              "'.' (all other columns) is not supported; list the variables")
        return [frozenset({self.var(node)})]


def _unique(terms: list[frozenset[int]]) -> list[frozenset[int]]:
    seen: set[frozenset[int]] = set()
    out = []
    for t in terms:
        if t and t not in seen:
            seen.add(t)
            out.append(t)
    return out


def expand_terms(rhs: Node, text: str, prior: list[tuple[str, Node]] | None = None) -> Terms:
    """Expand a right-hand side into R's ordered term list.

    Parameters
    ----------
    rhs : Node
        The (bar-free) right-hand side.
    text : str
        The formula text, for caret error messages.
    prior : list, optional
        Variables that precede the right-hand side in R's variable list (the
        response), which fixes the order of variables inside interaction labels.
    """
    ex = _Expander(text)
    for lab, node in prior or []:
        ex.var(node)
    terms = ex.expand(rhs)
    # R sorts terms by their degree, keeping the formula order within a degree.
    ordered = sorted(terms, key=len)
    n_prior = len(prior or [])
    out = Terms(
        variables=tuple(ex.vars[n_prior:]),
        terms=tuple(tuple(sorted(v - n_prior for v in t)) for t in ordered),
        intercept=ex.intercept,
    )
    if any(min(t) < 0 for t in out.terms if t):
        raise FormulaError("the response cannot also be a predictor")
    return out
