"""Random-effect terms: lme4's ``findbars`` expansion, ``mkReTrms`` ordering and checks.

* ``(x || g)`` becomes ``(1 | g) + (0 + x | g)`` (lme4's ``expandDoubleVerts``),
  one uncorrelated term per term of the left-hand side.
* ``(1 | a/b)`` becomes ``(1 | b:a) + (1 | a)`` (lme4's ``expandSlash``); in a
  grouping ``a:b`` the levels are ``"a1:b1"`` with the first factor varying
  slowest, unused combinations dropped.
* Terms are sorted by decreasing number of levels: lme4 reorders
  ``rev(order(nl))`` only when some ``diff(nl) > 0``, which also reverses ties.
* Group display names are the grouping expressions; when one repeats, lme4's
  ``mkVarCorr`` passes them all through ``make.names(unique = TRUE)``
  ("Subject.half", "Subject", "Subject.1").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixedlab._errors import ModelSpecificationError
from mixedlab.formula._evaluate import Factor, as_factor
from mixedlab.formula._parser import BinOp, Node, Num, Paren, deparse
from mixedlab.formula._rtext import make_names
from mixedlab.formula._terms import expand_terms

__all__ = ["ReTerm", "BarSpec", "expand_bars", "grouping_atoms", "combine_atoms",
           "sort_order", "check_terms"]


@dataclass(frozen=True, eq=False)
class ReTerm:
    """One random-effects term after lme4's expansion and sorting.

    Attributes
    ----------
    group : str
        Display name in VarCorr/ranef ("Subject", "cask:batch", "Subject.1").
    factor : str
        The grouping expression ("Subject", "cask:batch").
    columns : list of str
        Column names of the term model matrix ("(Intercept)", "Days").
    X : numpy.ndarray, shape (n, k)
    codes : numpy.ndarray of int64, shape (n,)
        Level index of each observation.
    levels : list of str
        Level names in R's order (unused levels dropped).
    text : str
        The term as lme4 deparses it ("1 + Days | Subject").
    """

    group: str
    factor: str
    columns: list[str]
    X: np.ndarray
    codes: np.ndarray
    levels: list[str]
    text: str = ""

    @property
    def n_levels(self) -> int:
        """Number of levels of the grouping factor."""
        return len(self.levels)

    @property
    def k(self) -> int:
        """Number of columns (random effects per level)."""
        return self.X.shape[1]

    def __repr__(self) -> str:
        return (f"ReTerm(group={self.group!r}, factor={self.factor!r}, columns={self.columns!r}, "
                f"n_levels={self.n_levels})")


@dataclass(frozen=True)
class BarSpec:
    """One expanded bar ``lhs | group`` before evaluation."""

    lhs: Node
    group: Node
    text: str

    @property
    def factor(self) -> str:
        return deparse(self.group)


def _slash_terms(node: Node) -> list:
    """lme4's ``slashTerms``: a/b/c -> [[a, b], c] (nested lists)."""
    while isinstance(node, Paren):
        node = node.inner
    if isinstance(node, BinOp) and node.op == "/":
        return [_slash_terms(node.left), _slash_terms(node.right)]
    return node  # type: ignore[return-value]


def _make_interaction(x) -> list:
    """lme4's ``makeInteraction``: [[a, b], c] -> [c:b:a, [b:a, a]]."""
    if not isinstance(x, list):
        return x
    trm1 = _make_interaction(x[0])
    trm11 = trm1[0] if isinstance(trm1, list) else trm1
    return [BinOp(":", x[1], trm11), trm1]


def _flatten(x) -> list[Node]:
    if isinstance(x, list):
        return [n for item in x for n in _flatten(item)]
    return [x]


def _zero_plus(term_nodes: list[Node]) -> Node:
    node: Node = term_nodes[0]
    for other in term_nodes[1:]:
        node = BinOp(":", node, other)
    return BinOp("+", Num("0"), node)


def expand_bars(bars: tuple[BinOp, ...], text: str) -> list[BarSpec]:
    """Expand ``||`` and ``/`` in the bar terms, in lme4's order."""
    singles: list[tuple[Node, Node]] = []
    for bar in bars:
        if bar.op == "||":
            t = expand_terms(bar.left, text)
            if t.intercept:
                singles.append((Num("1"), bar.right))
            for term in t.terms:
                singles.append((_zero_plus([t.variables[v][1] for v in term]), bar.right))
        else:
            singles.append((bar.left, bar.right))
    out: list[BarSpec] = []
    for lhs, grp in singles:
        st = _slash_terms(grp)
        groups = _flatten(_make_interaction(st)) if isinstance(st, list) else [grp]
        for g in groups:
            while isinstance(g, Paren):
                g = g.inner
            out.append(BarSpec(lhs, g, f"{deparse(lhs)} | {deparse(g)}"))
    return out


def grouping_atoms(group: Node) -> list[Node]:
    """The variables of a grouping expression ``a:b:c`` in written order."""
    while isinstance(group, Paren):
        group = group.inner
    if isinstance(group, BinOp) and group.op == ":":
        return grouping_atoms(group.left) + grouping_atoms(group.right)
    if isinstance(group, BinOp):
        raise ModelSpecificationError(
            f"grouping factor {deparse(group)!r} is not a variable or an interaction a:b")
    return [group]


def combine_atoms(atoms: list[Factor]) -> tuple[np.ndarray, np.ndarray]:
    """Mixed-radix key of each row (first atom most significant); -1 where any is missing.

    Sorting these keys gives R's level order of ``a:b`` (first factor slowest).
    Returns ``(keys, radices)``.
    """
    radices = np.array([max(len(a.levels), 1) for a in atoms], dtype=np.int64)
    n = atoms[0].codes.shape[0]
    key = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    for a, r in zip(atoms, radices):
        key = key * r + np.maximum(a.codes, 0)
        missing |= a.codes < 0
    key[missing] = -1
    return key, radices


def decode_key(key: int, atoms_levels: list[list[str]], radices: np.ndarray) -> str:
    """Level name ``"a1:b1"`` of a mixed-radix key."""
    parts = []
    for levels, r in zip(reversed(atoms_levels), reversed(radices.tolist())):
        parts.append(levels[key % r])
        key //= r
    return ":".join(reversed(parts))


def _decode_keys(keys: np.ndarray, atoms_levels: list[list[str]], radices: np.ndarray) -> list[str]:
    """Vectorised :func:`decode_key` for many keys."""
    parts: list[np.ndarray] = []
    rest = keys.copy()
    for levels, r in zip(reversed(atoms_levels), reversed(radices.tolist())):
        parts.append(np.asarray(levels, dtype=object)[rest % r])
        rest //= r
    parts.reverse()
    out = parts[0]
    for p in parts[1:]:
        out = out + ":" + p
    return out.tolist()


def grouping_factor(atom_values: list) -> tuple[Factor, np.ndarray, list[list[str]], np.ndarray]:
    """Evaluate the grouping factor from its atoms' values (already subset to the used rows).

    Returns the factor, the sorted level keys, the atom level lists and the radices
    (all needed to map new data onto the same levels).
    """
    atoms = [as_factor(v).drop_unused() for v in atom_values]
    if len(atoms) == 1:
        f = atoms[0]
        keys = np.arange(len(f.levels), dtype=np.int64)
        return f, keys, [f.levels], np.array([len(f.levels)], dtype=np.int64)
    key, radices = combine_atoms(atoms)
    # hash the keys (O(n)), then sort only the distinct ones: R's level order
    raw, uniq0 = pd.factorize(key)
    order = np.argsort(uniq0, kind="stable")
    uniq = uniq0[order]
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    inv = rank[raw]
    levels_l = [a.levels for a in atoms]
    names = _decode_keys(uniq, levels_l, radices)
    return Factor(inv.astype(np.int64), names), uniq, levels_l, radices


def sort_order(n_levels: list[int]) -> list[int]:
    """lme4's term order: ``if (any(diff(nl) > 0)) ord <- rev(order(nl))``."""
    m = len(n_levels)
    if any(n_levels[i + 1] > n_levels[i] for i in range(m - 1)):
        asc = sorted(range(m), key=lambda i: n_levels[i])  # R's order() is stable
        return asc[::-1]
    return list(range(m))


def check_terms(terms: list[ReTerm], n: int, allow_n: bool = False) -> None:
    """lme4's ``checkNlevels`` and ``checkZdims`` (lmerControl defaults) on sorted terms.

    ``allow_n`` is glmerControl's setting: a GLMM may have one level per observation (an
    observation-level random effect), which an LMM cannot separate from its residual.

    Raises
    ------
    ModelSpecificationError
        With lme4's wording plus a hint on the fix.
    """
    flist: dict[str, int] = {}
    for t in terms:
        flist.setdefault(t.factor, t.n_levels)
    if any(nl < 2 for nl in flist.values()):
        bad = [f for f, nl in flist.items() if nl < 2]
        raise ModelSpecificationError(
            "grouping factors must have > 1 sampled level "
            f"(problems: {', '.join(bad)}; a grouping factor with one level cannot vary: "
            "drop the term or check the rows used)")
    bad = [f for f, nl in flist.items() if (nl > n if allow_n else nl >= n)]
    if bad:
        raise ModelSpecificationError(
            "number of levels of each grouping factor must be "
            f"{'<=' if allow_n else '<'} number of observations "
            f"(problems: {', '.join(bad)}); with one observation per level the random effect "
            "cannot be separated from the residual: use a coarser grouping variable")
    for t in terms:
        if t.k and not np.any(t.X):
            raise ModelSpecificationError(
                f"the random-effect term ({t.text}) is zero in every row ({', '.join(t.columns)}), "
                "so it has nothing to estimate (lme4 1.1-31 crashes on such a term); remove it "
                "or check the column")
        q = t.n_levels * t.k
        if (q > n if allow_n else q >= n):
            raise ModelSpecificationError(
                f"number of observations (={n}) <= number of random effects (={q}) for term "
                f"({t.text}); the random-effects parameters and the residual variance (or scale "
                "parameter) are probably unidentifiable")


def group_names(factors: list[str]) -> list[str]:
    """Display names of the sorted terms' groups, as lme4's ``mkVarCorr`` makes them.

    The grouping expressions as they are, unless one repeats: then lme4 applies
    ``make.names(nms, unique = TRUE)`` to all of them, so ``Subject:half`` becomes
    ``Subject.half`` too (lme4 1.1-31, R/VarCorr.R).
    """
    names = list(factors)
    if len(set(names)) < len(names):
        return make_names(names, unique=True)
    return names


