"""R's ``abbreviate`` (``stripchars`` in src/main/character.c), as lme4 uses it for the
correlation table's column names."""

from __future__ import annotations

import re
from collections.abc import Sequence


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


