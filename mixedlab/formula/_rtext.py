"""Text conventions of R that the parse stage must reproduce.

* how ``as.character`` prints a double (level names of numeric grouping factors),
* how ``sort()`` orders strings (level order of ``factor()`` on text), which in R
  builds with ICU follows the Unicode collation algorithm: punctuation before
  digits before letters, letters compared case-blind first, lower case before
  upper case on ties,
* ``make.unique`` and ``make.names`` (group names "Subject", "Subject.1",
  "Subject.half").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = ["format_double", "collate_key", "r_sort_strings", "make_unique", "make_names"]


def format_double(x: float) -> str:
    """Format ``x`` as R's ``as.character`` does for a double.

    R keeps up to 15 significant digits, then prints the shorter of the fixed
    and scientific forms (fixed wins ties): ``1e+05``, ``123456``, ``2.5``, ``1e-20``.
    """
    if x != x:
        return "NA"
    if x in (float("inf"), float("-inf")):
        return "Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0"
    sci = f"{x:.14e}"  # 15 significant digits
    mant, exp_s = sci.split("e")
    exp = int(exp_s)
    sign = "-" if mant.startswith("-") else ""
    digits = mant.lstrip("-").replace(".", "").rstrip("0") or "0"
    nd = len(digits)
    # Scientific form: d[.ddd]e[+-]XX, exponent with at least two digits.
    sci_mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
    sci_txt = f"{sign}{sci_mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    # Fixed form.
    if exp >= 0:
        if nd <= exp + 1:
            fixed = digits + "0" * (exp + 1 - nd)
        else:
            fixed = digits[: exp + 1] + "." + digits[exp + 1:]
    else:
        fixed = "0." + "0" * (-exp - 1) + digits
    fixed = sign + fixed
    return fixed if len(fixed) <= len(sci_txt) else sci_txt


# ICU root collation order of common ASCII punctuation and symbols.
_PUNCT = " \t\n_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PUNCT_RANK = {c: i for i, c in enumerate(_PUNCT)}


def collate_key(s: str) -> tuple:
    """Sort key approximating R's ``sort()`` on strings under ICU collation.

    Three levels as in the Unicode collation algorithm: base characters
    (punctuation < digits < letters, letters case-blind and accent-blind), then
    accents, then case (lower before upper), each compared left to right.
    """
    primary: list[tuple[int, int]] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for ch in s:
        decomp = unicodedata.normalize("NFD", ch)
        base = decomp[0]
        accent = sum(ord(m) for m in decomp[1:])
        if base.isalpha():
            primary.append((3, ord(base.lower())))
            tertiary.append(0 if base.islower() or not base.isupper() else 1)
        elif base.isdigit():
            primary.append((2, ord(base)))
            tertiary.append(0)
        else:
            primary.append((1, _PUNCT_RANK.get(base, len(_PUNCT) + ord(base))))
            tertiary.append(0)
        secondary.append(accent)
    return (primary, secondary, tertiary, s)


def r_sort_strings(values: Iterable[str]) -> list[str]:
    """Sort unique strings as R's ``sort(unique(x))`` does (see :func:`collate_key`)."""
    return sorted(set(values), key=collate_key)


def make_unique(names: list[str]) -> list[str]:
    """R's ``make.unique``: later duplicates get ``.1``, ``.2``, ... suffixes."""
    seen: set[str] = set(names)
    counts: dict[str, int] = {}
    first: set[str] = set()
    out = []
    for nm in names:
        if nm not in first:
            first.add(nm)
            out.append(nm)
            continue
        k = counts.get(nm, 0)
        while True:
            k += 1
            cand = f"{nm}.{k}"
            if cand not in seen:
                break
        counts[nm] = k
        seen.add(cand)
        out.append(cand)
    return out


# R's reserved words (?Reserved): make.names appends "." to them.
_RESERVED = frozenset({
    "if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE",
    "NULL", "Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_", "in",
})


def _syntactic(name: str) -> str:
    """One name through R's C-level ``make.names`` (allow_ = TRUE).

    A leading character that cannot start a name (anything but a letter, or a "." not
    followed by a digit) gets an "X" prefix; every character that is not a letter,
    digit, "." or "_" becomes "."; reserved words get a trailing ".".
    """
    if not name or not (name[0].isalpha() or (name[0] == "." and not name[1:2].isdigit())):
        name = "X" + name
    name = "".join(c if (c.isalnum() or c in "._") else "." for c in name)
    return name + "." if name in _RESERVED else name


def make_names(names: list[str], unique: bool = False) -> list[str]:
    """R's ``make.names(names, unique)``: syntactic names, made unique when asked.

    As R does, the unique pass (``make.unique``) sees the names that were already
    syntactic first, so that they keep their spelling and the changed ones get the
    suffixes: ``make.names(c("Subject:half", "Subject", "Subject"), unique = TRUE)`` is
    ``"Subject.half" "Subject" "Subject.1"``.
    """
    out = [_syntactic(n) for n in names]
    if unique:
        # order(names != names2): unchanged names first, both groups in their own order
        order = sorted(range(len(out)), key=lambda i: out[i] != names[i])
        fixed = make_unique([out[i] for i in order])
        for i, nm in zip(order, fixed):
            out[i] = nm
    return out
