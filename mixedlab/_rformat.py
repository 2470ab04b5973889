"""R's text rendering of numbers, names and formulas, reproduced bit for bit.

lme4's printed summary is a cascade of base-R formatting rules; to print the
same characters mixedlab reimplements the few primitives those rules rest on:

* ``round`` and ``signif`` (R >= 4.0.0 ``fround``/``fprec`` in nmath),
* ``formatReal`` (src/main/format.c): one common fixed or scientific layout
  for a whole vector, chosen by the smallest number of significant digits
  (<= ``digits``) that represents every element, fixed winning unless it is
  wider than scientific (R's ``scipen = 0`` penalty),
* ``format(x, digits=, nsmall=)`` built on it, ``zapsmall``, ``quantile``
  type 7,
* ``print`` of a named vector and of a character matrix (line width 80, gap 1),
* ``cat(..., fill = TRUE)``,
* ``abbreviate`` (``stripchars`` in src/main/character.c),
* ``deparse`` of a formula (spacing and the 60-character line cut-off).

Every function documents the R function it mirrors; the tests compare each
against R itself through rpy2.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "r_round",
    "r_signif",
    "zapsmall",
    "quantile7",
    "format_info",
    "encode_real",
    "format_num",
    "format_cat_number",
    "abbreviate",
    "print_named_vector",
    "print_matrix",
    "cat_fill",
    "deparse_formula",
    "PRINT_WIDTH",
]

PRINT_WIDTH = 80  # getOption("width") in a default R session
_DBL_DIG = 15
_LOG10_2 = 0.301029995663981195213738894724493027
_MAX10E = 308
# Powers of ten held exactly in x87 long double (64-bit mantissa), R's ``tbl``
# in format.c with KP_MAX = 27; index k + 1 holds 10^k (index 0 holds 1e-1).
_KP_MAX = 27
_TBL = [np.longdouble(1) / np.longdouble(10)] + [
    np.longdouble(10) ** np.longdouble(k) for k in range(_KP_MAX + 1)
]


# ---------------------------------------------------------------------------
# round / signif
# ---------------------------------------------------------------------------


def _pow_di(x: float, n: int) -> float:
    """R's ``R_pow_di``: ``x**n`` by repeated squaring (the last bit matters)."""
    xn = 1.0
    if n != 0:
        neg = n < 0
        n = -n if neg else n
        while True:
            if n & 1:
                xn *= x
            n >>= 1
            if n:
                x *= x
            else:
                break
        if neg:
            xn = 1.0 / xn
    return xn


def _round1(x: float, digits: float) -> float:
    """R >= 4.0.0 ``fround``: pick the nearer of the two decimal neighbours.

    The candidates ``floor(x*10^d)/10^d`` and ``ceil(x*10^d)/10^d`` are
    compared in double arithmetic and a tie goes to the even last digit; this
    is why R prints ``round(0.15, 1)`` as 0.1 and ``round(2.675, 2)`` as 2.67.
    """
    if math.isnan(x) or math.isnan(digits):
        return x + digits
    if not math.isfinite(x) or digits > _MAX10E + 15 or x == 0.0:
        return x
    if digits < -_MAX10E:
        return 0.0
    if digits == 0.0:
        return float(np.rint(x))  # nearbyint: ties to even
    dig = int(math.floor(digits + 0.5))
    sgn = 1.0
    if x < 0.0:
        sgn, x = -1.0, -x
    # l10x ~ log10(x) from the binary exponent (C logb), as R does.
    if dig + (math.frexp(x)[1] - 1 + 0.5) * _LOG10_2 > _DBL_DIG:
        return sgn * x
    if dig <= _MAX10E:
        p10 = _pow_di(10.0, dig)
        x10 = p10 * x
        i10 = math.floor(x10)
        xd = i10 / p10
        xu = math.ceil(x10) / p10
    else:
        e10 = _pow_di(10.0, dig - _MAX10E)
        p10 = _pow_di(10.0, _MAX10E)
        x10 = (x * p10) * e10
        i10 = math.floor(x10)
        xd = i10 / p10 / e10
        xu = math.ceil(x10) / p10 / e10
    du = xu - x
    dd = x - xd
    return sgn * (xu if (du < dd or (du == dd and math.fmod(i10, 2.0) == 1.0)) else xd)


def r_round(x, digits: float = 0):
    """R's ``round(x, digits)`` for a scalar or array (R >= 4.0.0 algorithm).

    Parameters
    ----------
    x : float or array_like
        Values to round; NaN passes through.
    digits : float
        Decimal places; non-integers are rounded to the nearest integer as R does.

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``x``.
    """
    if np.ndim(x) == 0:
        return _round1(float(x), float(digits))
    arr = np.asarray(x, dtype=float)
    return np.vectorize(lambda v: _round1(float(v), float(digits)), otypes=[float])(arr)


def _signif1(x: float, digits: float) -> float:
    """R's ``fprec`` (``signif``): scale to ``digits`` significant digits and ``nearbyint``."""
    if math.isnan(x) or math.isnan(digits):
        return x + digits
    if not math.isfinite(x) or x == 0.0:
        return x
    if not math.isfinite(digits):
        if digits > 0:
            return x
        digits = 1.0
    dig = int(np.rint(digits))
    if dig > 22:
        return x
    dig = max(dig, 1)
    sgn = 1.0
    if x < 0.0:
        sgn, x = -1.0, -x
    l10 = math.log10(x)
    e10 = int(dig - 1 - math.floor(l10))
    if abs(l10) < _MAX10E - 2:
        p10 = 1.0
        if e10 > _MAX10E:
            p10 = _pow_di(10.0, e10 - _MAX10E)
            e10 = _MAX10E
        if e10 > 0:
            pow10 = _pow_di(10.0, e10)
            return sgn * (float(np.rint((x * pow10) * p10)) / pow10) / p10
        pow10 = _pow_di(10.0, -e10)
        return sgn * (float(np.rint(x / pow10)) * pow10)
    # Extreme magnitudes: scale in two steps so that neither over/underflows.
    do_round = _MAX10E - l10 >= _pow_di(10.0, -dig)
    e2 = dig + (4 if e10 > 0 else 2)
    p10 = _pow_di(10.0, e2)
    x *= p10
    P10 = _pow_di(10.0, e10 - e2)
    x *= P10
    if do_round:
        x += 0.5
    x = math.floor(x) / p10
    return sgn * x / P10


def r_signif(x, digits: float = 6):
    """R's ``signif(x, digits)`` for a scalar or array."""
    if np.ndim(x) == 0:
        return _signif1(float(x), float(digits))
    arr = np.asarray(x, dtype=float)
    return np.vectorize(lambda v: _signif1(float(v), float(digits)), otypes=[float])(arr)


def zapsmall(x, digits: int = 7) -> np.ndarray:
    """R's ``zapsmall``: round to ``digits`` significant digits of the largest |x|."""
    arr = np.asarray(x, dtype=float)
    ok = ~np.isnan(arr)
    if not ok.any():
        return arr
    mx = float(np.max(np.abs(arr[ok])))
    dig = max(0.0, digits - math.log10(mx)) if mx > 0 else float(digits)
    return r_round(arr, dig)


def quantile7(x, probs: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0)) -> np.ndarray:
    """R's ``quantile(x, probs, na.rm = TRUE)`` with the default type 7.

    R interpolates as ``(1 - h) * x[lo] + h * x[hi]`` and only where the two
    order statistics differ; numpy's formula differs in the last bit.
    """
    xs = np.sort(np.asarray(x, dtype=float)[~np.isnan(np.asarray(x, dtype=float))])
    n = xs.size
    out = np.empty(len(probs))
    for k, p in enumerate(probs):
        index = 1.0 + max(n - 1, 0) * p
        lo = math.floor(index)
        hi = math.ceil(index)
        q = float(xs[lo - 1])
        if index > lo and xs[hi - 1] != q:
            h = index - lo
            q = (1.0 - h) * q + h * float(xs[hi - 1])
        out[k] = q
    return out


# ---------------------------------------------------------------------------
# formatReal and friends
# ---------------------------------------------------------------------------


def _scientific(x: float, digits: int) -> tuple[int, int, int, bool]:
    """R's ``scientific()`` (format.c): sign, exponent, significant digits, widening.

    ``|x|`` is scaled to an integer ``alpha`` of ``digits`` digits in x87 long
    double (as R on x86_64 does), trailing zeros of ``alpha`` are dropped to
    give ``nsig``, and ``roundingwidens`` flags numbers such as 99.996 that
    scientific rounding would push to the next power of ten while fixed
    notation would not.
    """
    if x == 0.0:
        return 0, 0, 1, False
    neg = 1 if x < 0 else 0
    r = -x if neg else x
    if digits >= _DBL_DIG + 1:
        # format_via_sprintf
        s = f"{r:#.{digits - 1}e}"
        mant, ex = s.split("e")
        kpower = int(ex)
        mdig = mant.replace(".", "")
        i = digits
        while i >= 2 and mdig[i - 1] == "0":
            i -= 1
        return neg, kpower, i, False
    kp = int(math.floor(math.log10(r))) - digits + 1
    r_prec = np.longdouble(r)
    if abs(kp) <= _KP_MAX:
        if kp > 0:
            r_prec /= _TBL[kp + 1]
        elif kp < 0:
            r_prec *= _TBL[-kp + 1]
    else:
        r_prec /= np.power(np.longdouble(10), np.longdouble(kp))
    if r_prec < _TBL[digits]:
        r_prec *= 10
        kp -= 1
    alpha = float(np.rint(r_prec))  # nearbyintl, then stored as double
    nsig = digits
    for _ in range(digits):
        alpha /= 10.0
        if alpha == math.floor(alpha):
            nsig -= 1
        else:
            break
    if nsig == 0 and digits > 0:
        nsig = 1
        kp += 1
    kpower = kp + digits - 1
    rgt = min(max(digits - kpower, 0), _KP_MAX)
    fuzz = 0.5 / float(_TBL[1 + rgt])
    widens = 0 < kpower <= _KP_MAX and r < float(_TBL[kpower + 1]) - fuzz
    return neg, kpower, nsig, widens


def format_info(x, digits: int = 7, nsmall: int = 0) -> tuple[int, int, int]:
    """R's ``formatReal``: common ``(width, decimals, exponent flag)`` for ``x``.

    Returns
    -------
    (w, d, e)
        ``e == 0`` means fixed notation ``%w.df``; ``e >= 1`` scientific
        ``%#w.de`` with ``e + 1`` exponent digits.
    """
    vals = np.atleast_1d(np.asarray(x, dtype=float)).ravel()
    nanflag = posinf = neginf = False
    neg = 0
    rgt = mxl = mxsl = mxns = None
    mnl = None
    for v in vals:
        v = float(v)
        if not math.isfinite(v):
            if math.isnan(v):
                nanflag = True  # R's NA and NaN both arrive as NaN here
            elif v > 0:
                posinf = True
            else:
                neginf = True
            continue
        neg_i, kpower, nsig, widens = _scientific(v, digits)
        left = kpower + 1
        if widens:
            left -= 1
        sleft = neg_i + (1 if left <= 0 else left)
        right = nsig - left
        if neg_i:
            neg = 1
        rgt = right if rgt is None else max(rgt, right)
        mxl = left if mxl is None else max(mxl, left)
        mnl = left if mnl is None else min(mnl, left)
        mxsl = sleft if mxsl is None else max(mxsl, sleft)
        mxns = nsig if mxns is None else max(mxns, nsig)
    if mxns is None:
        w = d = e = 0
    else:
        if digits == 0:
            rgt = 0
        if mxl < 0:
            mxsl = 1 + neg
        rgt = max(rgt, 0)
        wF = mxsl + rgt + (rgt != 0)
        e = 2 if (mxl > 100 or mnl <= -99) else 1
        d = mxns - 1
        w = neg + (d > 0) + d + 4 + e
        if wF <= w:  # scipen = 0: fixed unless it is wider than scientific
            e = 0
            if nsmall > rgt:
                rgt = nsmall
                wF = mxsl + rgt + (rgt != 0)
            d = rgt
            w = wF
    if nanflag and w < 3:
        w = 3
    if posinf and w < 3:
        w = 3
    if neginf and w < 4:
        w = 4
    return w, d, e


def encode_real(x: float, w: int, d: int, e: int, na: str = "NA") -> str:
    """R's ``encodeReal0``: one number in the layout chosen by :func:`format_info`."""
    x = float(x)
    if math.isnan(x):
        s = na
    elif math.isinf(x):
        s = "Inf" if x > 0 else "-Inf"
    elif e:
        s = f"{x:#.{d}e}" if d else f"{x:.{d}e}"
    else:
        s = f"{x:.{d}f}"
    if x == 0.0 and s.startswith("-"):  # R drops the sign of zero
        s = s[1:]
    return s.rjust(w)


def format_num(x, digits: int = 7, nsmall: int = 0, na: str = "NaN") -> list[str]:
    """R's ``format(x, digits = digits, nsmall = nsmall)`` for a numeric vector.

    All elements share one layout and are right-justified to a common width.
    NaN is shown as ``na`` (R prints a computed NaN as "NaN"; pass ``"NA"`` for a missing value).
    """
    vals = np.atleast_1d(np.asarray(x, dtype=float)).ravel()
    w, d, e = format_info(vals, digits, nsmall)
    if np.isnan(vals).any():
        w = max(w, len(na))
    return [encode_real(v, w, d, e, na=na) for v in vals]


def format_cat_number(x: float, digits: int = 7) -> str:
    """How ``cat()`` and ``paste()`` print one number (``digits`` significant, no padding)."""
    w, d, e = format_info([x], digits)
    return encode_real(x, 0, d, e)


# ---------------------------------------------------------------------------
# abbreviate
# ---------------------------------------------------------------------------


def _strip_chars(s: str, minlen: int) -> str:
    """R's ``stripchars`` (character.c): the ``use.classes = TRUE`` abbreviation.

    Characters are deleted from the right, in rounds, until the length (not
    counting interior spaces) reaches ``minlen``: lower-case vowels ending a
    word, other lower-case vowels not starting a word, lower-case letters
    ending a word, other lower-case letters not starting a word, and finally
    any character not starting a word. The first character always stays.
    """
    b = list(s)

    def done() -> bool:
        return len(b) - nspace <= minlen

    def is_space(c: str) -> bool:
        return c in " \t\n\r\f\v"

    def first_char(i: int) -> bool:
        return is_space(b[i - 1])

    def last_char(i: int) -> bool:
        return (not is_space(b[i - 1])) and (i + 1 >= len(b) or is_space(b[i + 1]))

    def lc_vowel(i: int) -> bool:
        return b[i] in "aeiou"

    def is_lower(c: str) -> bool:
        return "a" <= c <= "z"

    nspace = 0
    if len(b) < minlen:
        return _finish(b, minlen)
    # Trailing spaces go; interior spaces are word boundaries, counted apart.
    trailing = True
    for i in range(len(b) - 1, 0, -1):
        if is_space(b[i]):
            if trailing:
                del b[i]
            else:
                nspace += 1
        else:
            trailing = False
        if done():
            return _finish(b, minlen)

    rounds = (
        lambda i: lc_vowel(i) and last_char(i),
        lambda i: lc_vowel(i) and not first_char(i),
        lambda i: is_lower(b[i]) and last_char(i),
        lambda i: is_lower(b[i]) and not first_char(i),
        lambda i: (not first_char(i)) and not is_space(b[i]),
    )
    for drop in rounds:
        for i in range(len(b) - 1, 0, -1):
            if i < len(b) and drop(i):
                del b[i]
            if done():
                return _finish(b, minlen)
    return _finish(b, minlen)


def _finish(b: list[str], minlen: int) -> str:
    """Remove interior spaces once the word is longer than ``minlen`` (``donesc``)."""
    if len(b) > minlen:
        b = [b[0]] + [c for c in b[1:] if c not in " \t\n\r\f\v"]
    return "".join(b)


def abbreviate(names: Sequence[str], minlength: int = 4, strict: bool = False) -> list[str]:
    """R's ``abbreviate(names, minlength)`` with ``use.classes = TRUE``, ``method = "left.kept"``.

    Unless ``strict``, abbreviations that collide are recomputed with
    ``minlength`` raised by one until all are distinct, as R does.
    """
    if minlength <= 0:
        return ["" for _ in names]
    arg = [re.sub(r" +$", "", re.sub(r"^ +", "", str(n))) for n in names]
    uniq: list[str] = []
    for a in arg:
        if a not in uniq:
            uniq.append(a)
    x = [_strip_chars(u, minlength) for u in uniq]
    if not strict:
        ml = minlength
        while True:
            dup2 = _duplicated(x)
            if not any(dup2):
                break
            ml += 1
            dupvals = {x[i] for i in range(len(x)) if dup2[i]}
            redo = [dup2[i] or x[i] in dupvals for i in range(len(x))]
            for i in range(len(x)):
                if redo[i]:
                    x[i] = _strip_chars(uniq[i], ml)
    lookup = dict(zip(uniq, x))
    return [lookup[a] for a in arg]


def _duplicated(x: list[str]) -> list[bool]:
    seen: set[str] = set()
    out = []
    for v in x:
        out.append(v in seen)
        seen.add(v)
    return out


# ---------------------------------------------------------------------------
# print() layouts
# ---------------------------------------------------------------------------


def print_named_vector(cells: Sequence[str], names: Sequence[str], width: int = PRINT_WIDTH) -> list[str]:
    """R's ``printNamedVector`` for already formatted cells (right-justified).

    Every name and value is padded to one common width and followed by one
    space (R's gap), which is why such lines end in a blank.
    """
    w = max([len(c) for c in cells] + [len(n) for n in names] + [0])
    per_line = max(width // (w + 1), 1)
    lines = []
    for start in range(0, len(cells), per_line):
        sl = slice(start, start + per_line)
        lines.append("".join(n.rjust(w) + " " for n in names[sl]))
        lines.append("".join(c.rjust(w) + " " for c in cells[sl]))
    return lines


def print_matrix(
    cells: Sequence[Sequence[str]],
    rownames: Sequence[str],
    colnames: Sequence[str],
    right: bool = False,
    width: int = PRINT_WIDTH,
) -> list[str]:
    """R's ``print(<character matrix>, quote = FALSE, right = right)``.

    Row names are left-justified; cells and column labels are left-justified
    (``right = FALSE``) or right-justified, each column as wide as its widest
    entry or label, one space before each column; columns that do not fit in
    ``width`` continue in a further block, as R's ``printMatrix`` does.
    """
    nr = len(rownames)
    nc = len(colnames)
    rlabw = max([len(r) for r in rownames] + [0])
    colw = [max([len(cells[i][j]) for i in range(nr)] + [len(colnames[j])]) for j in range(nc)]
    just = (lambda s, w: s.rjust(w)) if right else (lambda s, w: s.ljust(w))
    lines: list[str] = []
    if nc == 0:
        lines.append(" " * rlabw)
        lines.extend(r.ljust(rlabw) for r in rownames)
        return lines
    jmin = 0
    while jmin < nc:
        tot = rlabw
        jmax = jmin
        while True:
            tot += colw[jmax] + 1
            jmax += 1
            if not (jmax < nc and tot + colw[jmax] + 1 < width):
                break
        lines.append(" " * rlabw + "".join(" " + just(colnames[j], colw[j]) for j in range(jmin, jmax)))
        for i in range(nr):
            lines.append(
                rownames[i].ljust(rlabw) + "".join(" " + just(cells[i][j], colw[j]) for j in range(jmin, jmax))
            )
        jmin = jmax
    return lines


def cat_fill(items: Sequence[str], width: int = PRINT_WIDTH) -> list[str]:
    """R's ``cat(..., fill = TRUE)``: items joined by a space, wrapped before ``width``.

    An item moves to a new line when it and its following separator would
    pass ``width``; the separator before the break stays on the old line.
    """
    lines: list[str] = []
    cur = ""
    for k, item in enumerate(items):
        if k > 0:
            cur += " "
            if len(cur) + len(item) + 1 > width:
                lines.append(cur)
                cur = ""
        cur += item
    lines.append(cur)
    return lines


# ---------------------------------------------------------------------------
# deparse of a formula
# ---------------------------------------------------------------------------

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
