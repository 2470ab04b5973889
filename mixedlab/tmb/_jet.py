"""Truncated Taylor arithmetic: exact partial derivatives of per-observation log-densities.

A :class:`Jet` holds, for every observation, the value of a function of a few linear
predictors (η_cond, η_zi, η_disp and the family parameter ψ) and a chosen set of its
partial derivatives up to order three. Sums, products and smooth univariate functions
propagate the derivatives exactly: products by the Leibniz rule over the positions of a
multi-index, functions by Faà di Bruno's formula over the set partitions of those positions
(order ≤ 3: {1}; {12}, {1}{2}; {123}, {1}{23}, {2}{13}, {3}{12}, {1}{2}{3}).

The family log-densities are written once in this arithmetic (:mod:`._families`), which
gives the derivatives that the Laplace approximation needs — ℓ_s and ℓ_ss' for the inner
Newton steps, ℓ_t, ℓ_st and ℓ_ss't for the outer gradient (:mod:`._laplace`) — without
deriving a table per family by hand and without an autodiff dependency.

A :class:`JetSpace` fixes which multi-indices are kept. It must be closed under taking
sub-multisets (every derivative needed to build a kept one is kept as well). Entries that
are structurally zero are simply absent, so a function of η_disp alone never carries
η_cond derivatives.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Iterable, Sequence, Union

import numpy as np
from scipy import special

__all__ = ["JetSpace", "Jet", "Number"]

Number = Union[float, np.ndarray]
Key = tuple[int, ...]


def _set_partitions(items: tuple[int, ...]) -> list[list[tuple[int, ...]]]:
    """All set partitions of the positions ``items`` (blocks keep position order)."""
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for part in _set_partitions(rest):
        # first in a block of its own, or added to one of the existing blocks
        out.append([(first,)] + part)
        for i in range(len(part)):
            out.append(part[:i] + [(first,) + part[i]] + part[i + 1:])
    return out


class JetSpace:
    """The multi-indices a computation keeps, with their Leibniz and Faà di Bruno tables.

    Parameters
    ----------
    keys : iterable of tuple of int
        Sorted tuples of variable numbers, e.g. ``(0,)`` for ∂/∂η_c, ``(0, 0, 2)`` for
        ∂³/∂η_c²∂η_d. The empty tuple (the value) is always included.
    """

    def __init__(self, keys: Iterable[Key]) -> None:
        ks = {tuple(sorted(k)) for k in keys} | {()}
        for k in ks:  # closure under sub-multisets
            for r in range(len(k)):
                for sub in itertools.combinations(k, r):
                    if tuple(sorted(sub)) not in ks:
                        raise ValueError(f"jet space not closed: {k} needs {sub}")
        ordered = tuple(sorted(ks, key=lambda k: (len(k), k)))
        self.keys: tuple[Key, ...] = ordered
        splits: dict[Key, list[tuple[Key, Key]]] = {}
        parts: dict[Key, list[tuple[int, tuple[Key, ...]]]] = {}
        for k in ordered:
            pos = tuple(range(len(k)))
            sp = []
            for r in range(len(k) + 1):
                for sub in itertools.combinations(pos, r):
                    rest = tuple(p for p in pos if p not in sub)
                    sp.append((tuple(k[p] for p in sub), tuple(k[p] for p in rest)))
            splits[k] = sp
            if k:
                parts[k] = [(len(part), tuple(tuple(k[p] for p in b) for b in part))
                            for part in _set_partitions(pos)]
        self.splits = splits
        self.partitions = parts
        self._cache: dict = {}

    @property
    def order(self) -> int:
        """Highest derivative order kept."""
        return max(len(k) for k in self.keys)

    def mul_plan(self, ka, kb) -> list:
        """Leibniz terms present for operands with derivative keys ``ka`` and ``kb`` (cached)."""
        ck = (frozenset(ka), frozenset(kb))
        plan = self._cache.get(ck)
        if plan is None:
            a, b = ck
            plan = []
            for key, splits in self.splits.items():
                pairs = [(x, y) for x, y in splits if x in a and y in b]
                if pairs:
                    plan.append((key, pairs))
            self._cache[ck] = plan
        return plan

    def apply_plan(self, ka) -> tuple[int, list]:
        """Faà di Bruno terms present for an argument with keys ``ka``, and the order needed."""
        ck = frozenset(ka)
        got = self._cache.get(ck)
        if got is None:
            plan = []
            m = 0
            for key, parts in self.partitions.items():
                terms = [(nb, blocks) for nb, blocks in parts if all(b in ck for b in blocks)]
                if terms:
                    plan.append((key, terms))
                    m = max(m, max(nb for nb, _ in terms))
            got = (m, plan)
            self._cache[ck] = got
        return got

    def var(self, index: int, value: Number) -> "Jet":
        """The jet of the variable number ``index`` at ``value`` (derivative 1)."""
        d = {(): value}
        if (index,) in self.splits:
            d[(index,)] = 1.0
        return Jet(self, d)

    def const(self, value: Number) -> "Jet":
        """A jet without derivatives."""
        return Jet(self, {(): value})

    @staticmethod
    def build(vars_s: Sequence[int], vars_t: Sequence[int], order: int) -> "JetSpace":
        """The space of the Laplace computations.

        ``order = 2``: value, ∂_s and ∂_ss' for s, s' in ``vars_s`` (inner Newton).
        ``order = 3``: value, ∂_t, ∂_st, ∂_ss't for s, s' in ``vars_s`` and t in
        ``vars_t`` (outer gradient); ``vars_s`` must be part of ``vars_t``.
        """
        keys: set[Key] = {()}
        if order == 2:
            for s in vars_s:
                keys.add((s,))
                for s2 in vars_s:
                    keys.add(tuple(sorted((s, s2))))
            return JetSpace(keys)
        for t in vars_t:
            keys.add((t,))
            for s in vars_s:
                keys.add(tuple(sorted((s, t))))
                for s2 in vars_s:
                    keys.add(tuple(sorted((s, s2, t))))
        return JetSpace(keys)


class Jet:
    """Values and partial derivatives of a function of the linear predictors.

    ``jet[key]`` is the derivative for ``key`` (0 when absent); ``jet.value`` the value.
    Supports ``+ - * /`` with jets and numbers, and the methods below for the smooth
    functions the family log-densities use.
    """

    __slots__ = ("space", "d")
    # numpy arrays on the left of + - * / defer to the jet's reflected operators
    __array_ufunc__ = None

    def __init__(self, space: JetSpace, d: dict) -> None:
        self.space = space
        self.d = d

    # ------------------------------------------------------------------ access
    @property
    def value(self) -> Number:
        return self.d[()]

    def __getitem__(self, key: Key) -> Number:
        return self.d.get(tuple(sorted(key)), 0.0)

    def __repr__(self) -> str:
        return f"Jet({sorted(self.d)})"

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other) -> "Jet":
        if not isinstance(other, Jet):
            d = dict(self.d)
            d[()] = d[()] + other
            return Jet(self.space, d)
        d = dict(self.d)
        for k, v in other.d.items():
            d[k] = d[k] + v if k in d else v
        return Jet(self.space, d)

    __radd__ = __add__

    def __neg__(self) -> "Jet":
        return Jet(self.space, {k: -v for k, v in self.d.items()})

    def __sub__(self, other) -> "Jet":
        return self + (-other)

    def __rsub__(self, other) -> "Jet":
        return (-self) + other

    def __mul__(self, other) -> "Jet":
        if not isinstance(other, Jet):
            return Jet(self.space, {k: v * other for k, v in self.d.items()})
        if len(other.d) == 1:
            c = other.d[()]
            return Jet(self.space, {k: v * c for k, v in self.d.items()})
        if len(self.d) == 1:
            c = self.d[()]
            return Jet(self.space, {k: v * c for k, v in other.d.items()})
        a, b = self.d, other.d
        plan = self.space.mul_plan(a.keys(), b.keys())
        out: dict = {}
        for key, pairs in plan:
            ka, kb = pairs[0]
            acc = a[ka] * b[kb]
            for ka, kb in pairs[1:]:
                acc = acc + a[ka] * b[kb]
            out[key] = acc
        return Jet(self.space, out)

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Jet":
        if not isinstance(other, Jet):
            return self * (1.0 / other)
        return self * other.reciprocal()

    def __rtruediv__(self, other) -> "Jet":
        return self.reciprocal() * other

    # ------------------------------------------------------------------ composition
    def apply(self, derivs: Callable[[Number, int], Sequence[Number]]) -> "Jet":
        """``h(self)`` where ``derivs(x, m)`` returns ``[h(x), h'(x), ..., h^(m)(x)]``."""
        d = self.d
        m, plan = self.space.apply_plan(d.keys())
        h = derivs(d[()], m)
        out = {(): h[0]}
        for key, terms in plan:
            acc = None
            for nblocks, blocks in terms:
                prod = d[blocks[0]]
                for blk in blocks[1:]:
                    prod = prod * d[blk]
                term = h[nblocks] * prod
                acc = term if acc is None else acc + term
            out[key] = acc
        return Jet(self.space, out)

    def exp(self) -> "Jet":
        return self.apply(lambda x, m: [np.exp(x)] * (m + 1))

    def log(self) -> "Jet":
        def f(x, m):
            out = [np.log(x)]
            if m >= 1:
                r = 1.0 / x
                out.append(r)
                if m >= 2:
                    out.append(-r * r)
                if m >= 3:
                    out.append(2.0 * r * r * r)
            return out
        return self.apply(f)

    def reciprocal(self) -> "Jet":
        def f(x, m):
            r = 1.0 / x
            out = [r]
            if m >= 1:
                out.append(-r * r)
            if m >= 2:
                out.append(2.0 * r * r * r)
            if m >= 3:
                out.append(-6.0 * r * r * r * r)
            return out
        return self.apply(f)

    def square(self) -> "Jet":
        return self * self

    def sqrt(self) -> "Jet":
        def f(x, m):
            s = np.sqrt(x)
            out = [s]
            if m >= 1:
                out.append(0.5 / s)
            if m >= 2:
                out.append(-0.25 / (s * x))
            if m >= 3:
                out.append(0.375 / (s * x * x))
            return out
        return self.apply(f)

    def softplus(self) -> "Jet":
        """log(1 + eˣ), computed without overflow (TMB's ``logspace_add(0, x)``)."""
        return self.apply(_softplus)

    def log1mexp(self) -> "Jet":
        """log(1 − e^{−x}) for x > 0 (TMB's ``logspace_sub(0, −x)``)."""
        return self.apply(_log1mexp)

    def lgamma(self) -> "Jet":
        return self.apply(_lgamma)


def _softplus(x: Number, m: int) -> list:
    xa = np.asarray(x, dtype=float)
    # TMB's logspace_add(0, x) = max(0, x) + log1p(exp(−|x|))
    val = np.maximum(xa, 0.0) + np.log1p(np.exp(-np.abs(xa)))
    out = [val]
    if m >= 1:
        s = special.expit(xa)
        out.append(s)
        if m >= 2:
            q = s * (1.0 - s)
            out.append(q)
            if m >= 3:
                out.append(q * (1.0 - 2.0 * s))
    return out


def _log1mexp(x: Number, m: int) -> list:
    xa = np.asarray(x, dtype=float)
    # Mächler's log1mexp: log(−expm1(−x)) for x ≤ log 2, log1p(−exp(−x)) above
    e = np.exp(-xa)
    em = -np.expm1(-xa)  # 1 − e^{−x}
    val = np.where(xa <= _LOG2, np.log(em), np.log1p(-e))
    out = [val]
    if m >= 1:
        r = e / em  # 1/(eˣ − 1)
        out.append(r)
        if m >= 2:
            out.append(-r / em)
            if m >= 3:
                out.append(r * (1.0 + e) / (em * em))
    return out


_LOG2 = math.log(2.0)
_SHIFT = 10  # recurrence steps before the asymptotic series of ψ1, ψ2


def trigamma(x: np.ndarray) -> np.ndarray:
    """ψ1(x) for x > 0: ψ1(x) = Σ_{k<10} (x+k)⁻² + ψ1(x+10), then the Bernoulli series.

    scipy's ``polygamma(1, x)`` goes through the Hurwitz zeta and is ~40 times slower.
    """
    x = np.asarray(x, dtype=float)
    acc = np.zeros(x.shape)
    z = x.copy()
    for _ in range(_SHIFT):
        r = 1.0 / z
        acc += r * r
        z += 1.0
    r = 1.0 / z
    r2 = r * r
    # 1/z + 1/(2z²) + Σ B_2k z^{−2k−1}
    ser = r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r2 * (-1.0 / 30.0 + r2 * (1.0 / 42.0 + r2 * (
        -1.0 / 30.0 + r2 * (5.0 / 66.0 + r2 * (-691.0 / 2730.0 + r2 * (7.0 / 6.0)))))))))
    return acc + ser


def tetragamma(x: np.ndarray) -> np.ndarray:
    """ψ2(x) for x > 0, by the same recurrence and the derivative of ψ1's series."""
    x = np.asarray(x, dtype=float)
    acc = np.zeros(x.shape)
    z = x.copy()
    for _ in range(_SHIFT):
        r = 1.0 / z
        acc -= 2.0 * r * r * r
        z += 1.0
    r = 1.0 / z
    r2 = r * r
    ser = -r2 * (1.0 + r * (1.0 + r * (0.5 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 6.0 + r2 * (
        -3.0 / 10.0 + r2 * (5.0 / 6.0 + r2 * (-691.0 / 210.0 + r2 * (35.0 / 2.0)))))))))
    return acc + ser


def _lgamma(x: Number, m: int) -> list:
    out = [special.gammaln(x)]
    if m >= 1:
        out.append(special.psi(x))
        if m >= 2:
            out.append(trigamma(x))
            if m >= 3:
                out.append(tetragamma(x))
    return out
