"""R's ``deparse`` of a formula: spacing, and the 60-character line cut-off."""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?)"
    r"|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<bq>`[^`]*`)"
    r"|(?P<name>[A-Za-z.][A-Za-z0-9._]*)"
    r"|(?P<op>%[^%]*%|\|\||&&|==|!=|<=|>=|<-|::|[-+*/^:~|&!<>=(),\[\]$@]))"
)

# Binary operators: (left binding power, right binding power, spaced, may break line).
# Precedence as in R's gram.y, weakest first.
_BINOPS = {
    "~": (10, 11, True, True),
    "||": (20, 21, True, True),
    "|": (20, 21, True, True),
    "&&": (30, 31, True, True),
    "&": (30, 31, True, True),
    "==": (50, 51, True, True),
    "!=": (50, 51, True, True),
    "<": (50, 51, True, True),
    ">": (50, 51, True, True),
    "<=": (50, 51, True, True),
    ">=": (50, 51, True, True),
    "+": (60, 61, True, True),
    "-": (60, 61, True, True),
    "*": (70, 71, True, True),
    "/": (70, 71, False, False),
    "%%": (80, 81, False, False),
    ":": (90, 91, False, False),
    "^": (111, 110, False, False),  # right associative, binds tighter than unary minus
}
_UNARY_BP = 100  # unary minus/plus: between ':' and '^'


def _tokenize(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot deparse formula {text!r} at position {pos}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Pratt parser for the subset of R syntax that formulas use."""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.toks = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.peek()
        if tok is None or tok[1] != value:
            raise ValueError(f"expected {value!r} in formula")
        self.i += 1

    def parse(self, min_bp: int = 0):
        kind, val = self.take()
        if kind == "op" and val in ("-", "+", "~", "!"):
            bp = {"~": 10, "!": 40}.get(val, _UNARY_BP)
            lhs = ("unary", val, self.parse(bp))
        elif kind == "op" and val == "(":
            inner = self.parse(0)
            self.expect(")")
            lhs = ("paren", inner)
        elif kind in ("num", "str", "bq", "name"):
            lhs = ("atom", val)
        else:
            raise ValueError(f"unexpected {val!r} in formula")
        while True:
            tok = self.peek()
            if tok is None:
                break
            k, v = tok
            if k == "op" and v == "(":
                self.take()
                args = []
                if not (self.peek() and self.peek()[1] == ")"):
                    while True:
                        args.append(self._arg())
                        if self.peek() and self.peek()[1] == ",":
                            self.take()
                            continue
                        break
                self.expect(")")
                lhs = ("call", lhs, args)
                continue
            if k == "op" and (v in _BINOPS or (v.startswith("%") and len(v) > 1)):
                lbp, rbp, _, _ = _BINOPS.get(v, (80, 81, True, False))
                if lbp < min_bp:
                    break
                self.take()
                lhs = ("bin", v, lhs, self.parse(rbp))
                continue
            break
        return lhs

    def _arg(self):
        if (
            self.i + 1 < len(self.toks)
            and self.toks[self.i][0] in ("name", "bq", "str")
            and self.toks[self.i + 1][1] == "="
        ):
            name = self.take()[1]
            self.take()
            return (name, self.parse(0))
        return (None, self.parse(0))


class _Deparser:
    """R's ``deparse`` line builder: ``width.cutoff = 60``, four-space indents."""

    def __init__(self, cutoff: int = 60):
        self.cutoff = cutoff
        self.lines: list[str] = []
        self.buf = ""
        self.indent = 0
        self.startline = True

    def put(self, s: str) -> None:
        if self.startline:
            self.startline = False
            self.buf += "".join("    " if i <= 4 else "  " for i in range(1, self.indent + 1))
        self.buf += s

    def writeline(self) -> None:
        self.lines.append(self.buf)
        self.buf = ""
        self.startline = True

    def linebreak(self, state: list[bool]) -> None:
        if len(self.buf) > self.cutoff:
            if not state[0]:
                state[0] = True
                self.indent += 1
            self.writeline()

    def node(self, n) -> None:
        kind = n[0]
        if kind == "atom":
            self.put(n[1])
        elif kind == "paren":
            self.put("(")
            self.node(n[1])
            self.put(")")
        elif kind == "unary":
            self.put(n[1])
            self.node(n[2])
        elif kind == "call":
            self.node(n[1])
            self.put("(")
            state = [False]
            for k, (name, val) in enumerate(n[2]):
                if name is not None:
                    self.put(f"{name} = ")
                self.node(val)
                if k < len(n[2]) - 1:
                    self.put(", ")
                    self.linebreak(state)
            self.put(")")
            if state[0]:
                self.indent -= 1
        elif kind == "bin":
            op = n[1]
            _, _, spaced, breaks = _BINOPS.get(op, (0, 0, True, False))
            self.node(n[2])
            if spaced:
                self.put(f" {op} ")
            else:
                self.put(op)
            state = [False]
            if breaks:
                self.linebreak(state)
            self.node(n[3])
            if state[0]:
                self.indent -= 1

    def run(self, tree) -> list[str]:
        self.node(tree)
        self.writeline()
        return self.lines


def _expand_double_verts(n):
    """lme4's ``expandDoubleVerts``: ``(x || g)`` -> ``((1 | g) + (0 + x | g))``.

    lmer stores the expanded formula in its call, so that is what summary prints.
    """
    kind = n[0]
    if kind == "bin" and n[1] == "||":
        lhs, grp = _expand_double_verts(n[2]), _expand_double_verts(n[3])
        terms = []
        _flatten_plus(lhs, terms)
        has_int = True
        parts = []
        for t in terms:
            if t[0] == "atom" and t[1] in ("0", "-1"):
                has_int = False
            elif t[0] == "unary" and t[1] == "-" and t[2] == ("atom", "1"):
                has_int = False
            elif t == ("atom", "1"):
                continue
            else:
                parts.append(t)
        out = []
        if has_int:
            out.append(("paren", ("bin", "|", ("atom", "1"), grp)))
        for p in parts:
            out.append(("paren", ("bin", "|", ("bin", "+", ("atom", "0"), p), grp)))
        tree = out[0]
        for o in out[1:]:
            tree = ("bin", "+", tree, o)
        return ("paren", tree)
    if kind == "bin":
        return ("bin", n[1], _expand_double_verts(n[2]), _expand_double_verts(n[3]))
    if kind == "paren":
        inner = _expand_double_verts(n[1])
        if inner[0] == "paren" and n[1][0] == "bin" and n[1][1] == "||":
            return inner
        return ("paren", inner)
    if kind == "unary":
        return ("unary", n[1], _expand_double_verts(n[2]))
    if kind == "call":
        return ("call", n[1], [(a, _expand_double_verts(v)) for a, v in n[2]])
    return n


def _flatten_plus(n, out: list) -> None:
    if n[0] == "bin" and n[1] == "+":
        _flatten_plus(n[2], out)
        _flatten_plus(n[3], out)
    else:
        out.append(n)


def deparse_formula(formula: str, expand_double_verts: bool = True) -> list[str]:
    """R's ``deparse()`` of a model formula as lmer stores it in its call.

    Operators are spaced as R prints them (``a + b``, ``a/b``, ``a:b``,
    ``x^2``), ``(x || g)`` is expanded as lme4 does, and lines are cut after
    an operator once a line passes 60 characters, continuing indented by four
    spaces. Text that cannot be parsed is returned unchanged as one line.
    """
    try:
        tree = _Parser(_tokenize(formula)).parse(0)
    except (ValueError, IndexError):
        return [formula]
    if expand_double_verts:
        tree = _expand_double_verts(tree)
    return _Deparser().run(tree)
