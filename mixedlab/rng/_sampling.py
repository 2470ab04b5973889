"""R's ``sample()`` (R >= 3.6, ``sample.kind = "Rejection"``), draw for draw.

``do_sample`` / ``do_sample2`` in ``src/main/random.c`` and ``R_unif_index`` in
``src/main/RNG.c``: uniform index draws by bit rejection, the partial shuffle without
replacement, the hash path for huge populations, and with weights R's sorted inversion
(``ProbSampleReplace``/``ProbSampleNoReplace``, sorted by R's own heapsort ``revsort``)
or Walker's alias method when more than 200 weights are "large".
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from mixedlab.rng._params import as_count
from mixedlab.rng._cursor import Cursor
from mixedlab.rng._stream import SEED_MAX, MTStream

__all__ = ["sample"]


def unif_index(stream: MTStream, dn: int, k: int) -> np.ndarray:
    """``k`` successive ``R_unif_index(dn)`` values (0-based), "Rejection" kind.

    Each attempt draws ``bits = ceil(log2(dn))`` bits as ``bits // 16 + 1`` pieces of
    ``floor(65536 * unif_rand())``, keeps the low ``bits`` bits and is rejected when
    ``>= dn``. Attempts are scored in bulk and only the words up to the ``k``-th
    acceptance are consumed.
    """
    if k == 0:
        return np.empty(0, dtype=np.int64)
    if dn <= 0:
        return np.zeros(k, dtype=np.int64)
    bits = (int(dn) - 1).bit_length()  # ceil(log2(dn)) for a whole dn >= 1
    pieces = bits // 16 + 1
    mask = (1 << bits) - 1
    accept_rate = dn / float(1 << bits)  # >= 1/2
    out = np.empty(k, dtype=np.int64)
    filled = 0
    while filled < k:
        need = k - filled
        attempts = int(need / accept_rate * 1.1) + 16
        u = stream.peek_unif(attempts * pieces).reshape(attempts, pieces)
        v = np.zeros(attempts, dtype=np.int64)
        for c in range(pieces):
            v = 65536 * v + np.floor(u[:, c] * 65536.0).astype(np.int64)
        v &= mask
        ok = np.flatnonzero(v < dn)
        take = ok[:need]
        out[filled:filled + take.size] = v[take]
        filled += take.size
        used = (take[-1] + 1) if take.size == need else attempts
        stream.consume(int(used) * pieces)
    return out


def sample(stream: MTStream, x: Any, size: int | None, replace: bool, prob: Any) -> np.ndarray:
    """R's ``sample(x, size, replace, prob)``; see :meth:`mixedlab.RRandom.sample`."""
    if isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_)):
        n = int(x)
        if n < 1:
            raise ValueError(
                f"sample(n) needs an integer n >= 1, got {n}; pass a list to sample its elements"
            )
        population = None
    elif isinstance(x, numbers.Real):
        raise TypeError(
            f"sample() takes a whole number or an array-like, got {x!r}; "
            "use an int n to sample 1..n"
        )
    else:
        population = np.asarray(x)
        if population.ndim != 1:
            population = population.ravel()
        n = population.size
    k = n if size is None else as_count(size, "size")
    if not isinstance(replace, (bool, np.bool_)):
        raise TypeError(f"replace must be True or False, got {replace!r}")
    if k > 0 and n == 0:
        raise ValueError("invalid first argument: cannot sample from an empty population")
    if not replace and k > n:
        raise ValueError(
            "cannot take a sample larger than the population when 'replace = FALSE' "
            f"(size={k}, population={n}); pass replace=True or a smaller size"
        )
    if n > SEED_MAX:
        raise NotImplementedError("populations larger than 2**31 - 1 are not supported")
    if prob is not None:
        idx = _sample_prob(stream, n, k, bool(replace), prob)
    elif n > 1e7 and not replace and k <= n / 2:
        idx = _sample_hash(stream, n, k)  # sample.int's useHash path (.Internal(sample2))
    elif replace or k < 2:
        idx = unif_index(stream, n, k) + 1
    else:
        idx = _sample_noreplace(stream, n, k)
    idx = np.asarray(idx, dtype=np.int64)
    return idx if population is None else population[idx - 1]


def _sample_noreplace(stream: MTStream, n: int, k: int) -> np.ndarray:
    """do_sample's partial shuffle: pick j, output x[j] + 1, move the last item to j."""
    pool = np.arange(n, dtype=np.int64)
    out = np.empty(k, dtype=np.int64)
    remaining = n
    with Cursor(stream) as cur:
        for i in range(k):
            j = cur.unif_index(remaining)
            out[i] = pool[j] + 1
            remaining -= 1
            pool[j] = pool[remaining]
    return out


def _sample_hash(stream: MTStream, n: int, k: int) -> np.ndarray:
    """do_sample2: draw ``R_unif_index(n) + 1`` until it is new, ``k`` times."""
    seen: set[int] = set()
    out = np.empty(k, dtype=np.int64)
    i = 0
    with Cursor(stream) as cur:
        while i < k:
            v = cur.unif_index(n) + 1
            if v not in seen:
                seen.add(v)
                out[i] = v
                i += 1
    return out


def _sample_prob(stream: MTStream, n: int, k: int, replace: bool, prob: Any) -> np.ndarray:
    """do_sample with weights: FixupProb, then R's choice of algorithm."""
    p = np.array(prob, dtype=np.float64).ravel()  # a copy: never touch the caller's
    if p.size != n:
        raise ValueError(f"incorrect number of probabilities: got {p.size}, population {n}")
    if not np.isfinite(p).all():
        raise ValueError("NA in probability vector")
    if (p < 0).any():
        raise ValueError("non-positive probability")
    npos = int((p > 0).sum())
    if npos == 0 or (not replace and k > npos):
        raise ValueError("too few positive probabilities")
    total = float(np.add.accumulate(p)[-1])  # R sums left to right
    p = p / total
    if replace:
        if int((n * p > 0.1).sum()) > 200:
            return _walker(stream, n, p, k)
        return _prob_replace(stream, n, p, k)
    return _prob_noreplace(stream, n, p, k)


def _prob_replace(stream: MTStream, n: int, p: np.ndarray, k: int) -> np.ndarray:
    """ProbSampleReplace: sort weights descending (revsort), invert the cumulative sum."""
    p, perm = _revsort(p)
    cum = np.add.accumulate(p)
    u = stream.unif(k)
    # first j < n-1 with u <= cum[j], else n-1
    j = np.searchsorted(cum[: n - 1], u, side="left")
    return perm[j]


def _prob_noreplace(stream: MTStream, n: int, p: np.ndarray, k: int) -> np.ndarray:
    """ProbSampleNoReplace: sequential inversion over the remaining sorted weights."""
    p, perm = _revsort(p)
    pl, perml = p.tolist(), perm.tolist()
    out = np.empty(k, dtype=np.int64)
    total = 1.0
    n1 = n - 1
    with Cursor(stream) as cur:
        for i in range(k):
            rt = total * cur.unif()
            mass = 0.0
            j = 0
            while j < n1:
                mass += pl[j]
                if rt <= mass:
                    break
                j += 1
            out[i] = perml[j]
            total -= pl[j]
            del pl[j], perml[j]
            n1 -= 1
    return out


def _walker(stream: MTStream, n: int, p: np.ndarray, k: int) -> np.ndarray:
    """walker_ProbSampleReplace: Walker's alias tables (Ripley 1987, Alg. 3.13B)."""
    q = (p * n).tolist()
    alias = [0] * n
    small = [i for i in range(n) if q[i] < 1.0]  # HL[0..H]: q < 1, in index order
    large = [i for i in range(n) if q[i] >= 1.0][::-1]  # filled from the top: *--L
    hl = small + large  # R's single array HL, small ones first, then L..end
    lpos = len(small)
    if small and large:
        for kk in range(n - 1):
            i = hl[kk]
            j = hl[lpos]
            alias[i] = j
            q[j] += q[i] - 1.0
            if q[j] < 1.0:
                lpos += 1
            if lpos >= n:
                break
    qa = np.array(q) + np.arange(n)
    al = np.asarray(alias, dtype=np.int64)
    qa_l, al_l = qa.tolist(), al.tolist()
    out = np.empty(k, dtype=np.int64)
    with Cursor(stream) as cur:
        for i in range(k):
            # R >= 3.6: the column is R_unif_index(n), then one more uniform decides
            # between the column and its alias (rU = column + unif_rand()).
            col = cur.unif_index(n)
            ru = col + cur.unif()
            out[i] = col + 1 if ru < qa_l[col] else al_l[col] + 1
    return out


def _revsort(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``revsort`` (src/main/sort.c): heapsort into descending order, carrying labels.

    The tie order of this particular heapsort decides which label R returns, so it is
    reproduced step by step rather than replaced by a stable sort.
    """
    n = a.size
    av = [0.0] + a.tolist()  # 1-based like the C code
    ib = [0] + list(range(1, n + 1))
    if n > 1:
        l_ = (n >> 1) + 1
        ir = n
        while True:
            if l_ > 1:
                l_ -= 1
                ra, ii = av[l_], ib[l_]
            else:
                ra, ii = av[ir], ib[ir]
                av[ir], ib[ir] = av[1], ib[1]
                ir -= 1
                if ir == 1:
                    av[1], ib[1] = ra, ii
                    break
            i = l_
            j = l_ << 1
            while j <= ir:
                if j < ir and av[j] > av[j + 1]:
                    j += 1
                if ra > av[j]:
                    av[i], ib[i] = av[j], ib[j]
                    i = j
                    j += j
                else:
                    j = ir + 1
            av[i], ib[i] = ra, ii
    return np.array(av[1:], dtype=np.float64), np.array(ib[1:], dtype=np.int64)
