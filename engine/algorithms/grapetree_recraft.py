"""GrapeTree's local branch recrafting (the last step of MSTreeV2), quirks included.

Input: the branches of a spanning tree (MSTreeV2: the arborescence branches, then the shortcut
branches), each with a third value (an integer from the earlier steps), the asymmetric distance
``D`` of the distinct profiles, the nodes' harmonic ranks and the number of loci ``N``
(``research/grapetree-methods.md`` section 3.5).

The branches are sorted by ``(D[src, tgt], lower rank, higher rank)`` and joined one at a time,
Kruskal-like, into groups. Before a branch joins its two groups, each end may move to another
member of its group:

- source end (group ``S`` of ``src``, when it has more than one member): among the (at most)
  three lowest-ranked members of ``S``, up to ``src`` itself, the first ``s`` with
  ``D[s, tgt] < 1.5 D[src, tgt]`` (float32) and ``C(D[s, src], D[src, s], D[s, tgt], D[src, tgt])``
  becomes ``src``; then, repeatedly, the neighbours ``m`` already linked to ``src`` (not tried
  yet, ``D[m, tgt] < 2 D[src, tgt]``, in rank order) are examined: a closer ``m`` takes over when
  not ``C(D[src, m], D[m, src], D[src, tgt], D[m, tgt])``, a farther but lower-ranked one when
  ``C(D[m, src], D[src, m], D[m, tgt], D[src, tgt])``;
- target end: the same, mirrored, **with GrapeTree's stale-variable bug**: inside the neighbour
  loop ``C`` is evaluated with, and a move goes to, the member ``t*`` at which the three-member
  loop stopped (the third one examined, or ``tgt`` itself) instead of the neighbour examined;
- the branch becomes ``(src, tgt, D[src, tgt])``. If that length is not below the third value
  of the next branch (or it is the last one) the groups are joined and ``src``, ``tgt`` become
  neighbours; otherwise the rest of the list is stably re-sorted by third value and the same
  position is processed again.

``C`` ("are these two nodes contemporary?") compares two log-likelihoods, ``P1 >= P2``
(section 3.5 gives the formulas), on arguments clamped into ``[0.5, N - 0.5]``. It is evaluated
in float64 from the float32 distances, as GrapeTree 2.2 (numba) does; GrapeTree 3.0.0 keeps parts
of it in float32, which can only matter when ``P1`` and ``P2`` are within rounding of each other.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.grapetree_distances import asymmetric_value

__all__ = ["contemporary", "recraft"]


@numba.njit(cache=True, error_model="numpy")
def contemporary(a0, a1, b, c, n_loci):
    """GrapeTree's test whether two nodes are contemporary rather than ancestor and descendant.

    Parameters
    ----------
    a0, a1 : float
        The distances between the two nodes, one each way.
    b, c : float
        Their distances to the third node the decision is about.
    n_loci : float
        Number of loci ``N``.

    Returns
    -------
    bool
        ``P1 >= P2`` (False when either is NaN), after clamping the four distances into
        ``[0.5, N - 0.5]``; False outright when ``b >= a0 + c`` and ``b >= a1 + c``, True when
        ``b == c``.

    Examples
    --------
    >>> bool(contemporary(2.0, 2.0, 3.0, 3.0, 7.0)), bool(contemporary(1.0, 1.0, 5.0, 1.0, 7.0))
    (True, False)
    """
    n = np.float64(n_loci)
    a0 = max(min(np.float64(a0), n - 0.5), 0.5)
    a1 = max(min(np.float64(a1), n - 0.5), 0.5)
    b = max(min(np.float64(b), n - 0.5), 0.5)
    c = max(min(np.float64(c), n - 0.5), 0.5)
    if b >= a0 + c and b >= a1 + c:
        return False
    if b == c:
        return True
    s11 = np.sqrt(1 - a0 / n)
    s12 = (2 * n - b - c) / 2 / np.sqrt(n * (n - a0))
    v = 1 - ((n - a1) * (n - c) / n + (n - b)) / 2 / n
    s21 = 1 + a1 * v / (b - 2 * n * v)
    s22 = 1 + c * v / (b - 2 * n * v)
    p1 = (a0 * np.log(1 - s11 * s11) + (n - a0) * np.log(s11 * s11)
          + (b + c) * np.log(1 - s11 * s12) + (2 * n - b - c) * np.log(s11 * s12))
    p2 = (a1 * np.log(1 - s21) + (n - a1) * np.log(s21) + b * np.log(1 - s21 * s22)
          + (n - b) * np.log(s21 * s22) + c * np.log(1 - s22) + (n - c) * np.log(s22))
    return p1 >= p2


@numba.njit(cache=True, inline="always")
def _d(counts, called, loci, scaled, s, t):
    return asymmetric_value(np.int64(counts[s, t]), called[t], loci, scaled)


@numba.njit(cache=True)
def _find(group, x):
    root = x
    while group[root] != root:
        root = group[root]
    while group[x] != root:
        nxt = group[x]
        group[x] = root
        x = nxt
    return root


@numba.njit(cache=True)
def _by_rank(nodes, count, ranks):
    """Insertion sort of ``nodes[:count]`` by rank (ranks are distinct)."""
    for a in range(1, count):
        x = nodes[a]
        b = a - 1
        while b >= 0 and ranks[nodes[b]] > ranks[x]:
            nodes[b + 1] = nodes[b]
            b -= 1
        nodes[b + 1] = x


@numba.njit(cache=True, error_model="numpy")
def _recraft(counts, called, loci, scaled, ranks, src, tgt, third, n_loci):
    n = counts.shape[0]
    count = src.shape[0]
    group = np.arange(n)
    size = np.ones(n, np.int64)
    lowest = np.full((n, 3), -1, np.int64)  # the three lowest-ranked members of each group
    lowest[:, 0] = np.arange(n)
    head = np.full(n, -1, np.int64)  # neighbour lists
    link_next = np.empty(2 * count + 1, np.int64)
    link_node = np.empty(2 * count + 1, np.int64)
    links = 0
    tried = np.full(n, -1, np.int64)  # tried[v] == stamp: v tried while placing this branch
    stamp = 0
    candidates = np.empty(n, np.int64)
    merged = np.empty(6, np.int64)
    suffix_sorted = False
    onehalf = np.float32(1.5)
    i = 0
    while i < count:
        s = src[i]
        t = tgt[i]
        gs = _find(group, s)
        gt = _find(group, t)
        stamp += 1
        if size[gs] > 1:
            for k in range(3):
                y = lowest[gs, k]
                if y < 0 or y == s:
                    break
                d = _d(counts, called, loci, scaled, y, t)
                dst = _d(counts, called, loci, scaled, s, t)
                if d < onehalf * dst and contemporary(
                        _d(counts, called, loci, scaled, y, s), _d(counts, called, loci, scaled, s, y),
                        d, dst, n_loci):
                    tried[s] = stamp
                    s = y
                    break
            while tried[s] != stamp:
                tried[s] = stamp
                dst = _d(counts, called, loci, scaled, s, t)
                found = 0
                e = head[s]
                while e >= 0:
                    y = link_node[e]
                    if tried[y] != stamp and _d(counts, called, loci, scaled, y, t) < 2 * dst:
                        candidates[found] = y
                        found += 1
                    e = link_next[e]
                _by_rank(candidates, found, ranks)
                for q in range(found):
                    y = candidates[q]
                    d = _d(counts, called, loci, scaled, y, t)
                    if d < dst:
                        if not contemporary(_d(counts, called, loci, scaled, s, y),
                                            _d(counts, called, loci, scaled, y, s), dst, d, n_loci):
                            tried[s] = stamp
                            s = y
                            break
                    elif ranks[y] < ranks[s] and contemporary(
                            _d(counts, called, loci, scaled, y, s), _d(counts, called, loci, scaled, s, y),
                            d, dst, n_loci):
                        tried[s] = stamp
                        s = y
                        break
                    tried[y] = stamp
        if size[gt] > 1:
            stale = -1  # GrapeTree's loop variable, reused (wrongly) in the neighbour loop below
            for k in range(3):
                y = lowest[gt, k]
                if y < 0:
                    break
                stale = y
                if y == t:
                    break
                d = _d(counts, called, loci, scaled, s, y)
                dst = _d(counts, called, loci, scaled, s, t)
                if d < onehalf * dst and contemporary(
                        _d(counts, called, loci, scaled, y, t), _d(counts, called, loci, scaled, t, y),
                        d, dst, n_loci):
                    tried[t] = stamp
                    t = y
                    break
            while tried[t] != stamp:
                tried[t] = stamp
                dst = _d(counts, called, loci, scaled, s, t)
                found = 0
                e = head[t]
                while e >= 0:
                    y = link_node[e]
                    if tried[y] != stamp and _d(counts, called, loci, scaled, s, y) < 2 * dst:
                        candidates[found] = y
                        found += 1
                    e = link_next[e]
                _by_rank(candidates, found, ranks)
                for q in range(found):
                    y = candidates[q]
                    d = _d(counts, called, loci, scaled, s, y)
                    if d < dst:
                        if not contemporary(_d(counts, called, loci, scaled, t, stale),
                                            _d(counts, called, loci, scaled, stale, t), dst, d, n_loci):
                            tried[t] = stamp
                            t = stale
                            break
                    elif ranks[y] < ranks[t] and contemporary(
                            _d(counts, called, loci, scaled, stale, t),
                            _d(counts, called, loci, scaled, t, stale), d, dst, n_loci):
                        tried[t] = stamp
                        t = stale
                        break
                    tried[stale] = stamp
        length = _d(counts, called, loci, scaled, s, t)
        src[i] = s
        tgt[i] = t
        third[i] = length
        if i == count - 1 or third[i + 1] >= length:
            # join the groups: the lowest three of both, by rank
            a = 0
            for g in (gs, gt):
                for k in range(3):
                    if lowest[g, k] >= 0:
                        merged[a] = lowest[g, k]
                        a += 1
            _by_rank(merged, a, ranks)
            for k in range(3):
                lowest[gs, k] = merged[k] if k < a else -1
            group[gt] = gs
            size[gs] += size[gt]
            link_node[links] = t
            link_next[links] = head[s]
            head[s] = links
            links += 1
            link_node[links] = s
            link_next[links] = head[t]
            head[t] = links
            links += 1
            i += 1
        elif not suffix_sorted:
            order = np.argsort(third[i:], kind="mergesort") + i
            src[i:] = src[order]
            tgt[i:] = tgt[order]
            third[i:] = third[order]
            suffix_sorted = True
        else:  # the rest is sorted: move this branch behind every branch with a smaller value
            p = i + 1
            while p < count and third[p] < length:
                p += 1
            for q in range(i, p - 1):
                src[q] = src[q + 1]
                tgt[q] = tgt[q + 1]
                third[q] = third[q + 1]
            src[p - 1] = s
            tgt[p - 1] = t
            third[p - 1] = length
    return src, tgt


def recraft(
    counts: np.ndarray,
    called: np.ndarray,
    loci: int,
    scaled: bool,
    ranks: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    values: np.ndarray,
    n_loci: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Recraft a spanning tree's branches as GrapeTree's MSTreeV2 does.

    Parameters
    ----------
    counts, called : numpy.ndarray
        Asymmetric difference counts and called loci of the nodes
        (:func:`~engine.algorithms.grapetree_distances.asymmetric_differences`), from which
        ``D[s, t]`` is recomputed exactly (float32).
    loci : int
        Number of locus columns ``L`` of the distance.
    scaled : bool
        False for unscaled (``absolute``) distances.
    ranks : numpy.ndarray
        ``(n,)`` distinct harmonic ranks (lower = preferred parent).
    sources, targets : numpy.ndarray
        The branches, ``n - 1`` of them forming a spanning tree of the nodes, in GrapeTree's
        list order (arborescence branches first, then shortcuts).
    values : numpy.ndarray
        Each branch's third value as GrapeTree carries it into recrafting (float or integer).
    n_loci : int, optional
        ``N`` of the contemporary test; default ``loci``.

    Returns
    -------
    sources, targets : numpy.ndarray
        int64 recrafted branches in their final order (MSTreeV2's root is the source of the
        first longest branch in this order).

    Notes
    -----
    About O(n log n) plus the neighbours examined; each distance is recomputed in O(1) from the
    counts. The final re-sorting step, after a first full stable sort, inserts one branch into an
    already sorted rest (what a stable re-sort of that rest amounts to).
    """
    counts = np.ascontiguousarray(counts)
    called = np.asarray(called, np.int64)
    ranks = np.asarray(ranks, np.int64)
    src = np.asarray(sources, np.int64).copy()
    tgt = np.asarray(targets, np.int64).copy()
    third = np.asarray(values, np.float64).copy()
    if src.shape[0] == 0:
        return src, tgt
    lengths = _branch_distances(counts, called, int(loci), bool(scaled), src, tgt)
    low = np.minimum(ranks[src], ranks[tgt])
    high = np.maximum(ranks[src], ranks[tgt])
    order = np.lexsort((high, low, lengths))
    return _recraft(counts, called, int(loci), bool(scaled), ranks, src[order], tgt[order], third[order],
                    float(loci if n_loci is None else n_loci))


@numba.njit(cache=True)
def _branch_distances(counts, called, loci, scaled, src, tgt):
    out = np.empty(src.shape[0], np.float64)
    for e in range(src.shape[0]):
        out[e] = _d(counts, called, loci, scaled, src[e], tgt[e])
    return out
