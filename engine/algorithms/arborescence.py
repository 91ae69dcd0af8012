"""Minimum spanning arborescence of a complete digraph, exact in integers, with a free root.

An arborescence is a spanning tree whose edges all point away from one root: every vertex but
the root has exactly one incoming edge. We find one of minimum total weight with the
Chu-Liu/Edmonds method in Tarjan's path-growing form, on a dense weight matrix:

- A super-root ``rho`` with an edge of weight ``BIG = m (max w + 1)`` to every vertex makes the
  root free: any arborescence using two ``rho`` edges costs more than one using a single one, so
  the optimum uses exactly one, and its target is the root.
- Starting from each vertex not yet reached, walk backwards along cheapest incoming edges (each
  time reducing all incoming edges of the current super-vertex by the cost just paid) until the
  walk reaches a finished super-vertex or ``rho`` (the walk is finished) or closes a cycle, which
  is contracted into a new super-vertex and the walk continues from it.
- Expanding the contractions in reverse order gives each vertex its edge: a cycle keeps its
  edges except the one into the member that the cycle's own incoming edge enters.

Why dense arrays and not heaps. The graphs here are complete (``m`` up to tens of thousands of
vertices, ``m^2`` edges). Tarjan's heap-based version (mergeable heaps of in-edges with lazy
offsets, O(m^2 log m) here) would need one heap node per edge: some 24 bytes times ``m^2``, 10 GB
at 20,000 vertices, more than the weights themselves. The dense variant stores nothing per edge:
a vertex that was never contracted reads its incoming weights straight from the caller's matrix
(one row of the transposed matrix), and only a contracted super-vertex ``X`` keeps an array over
the ``m + 1`` sources, ``best[u] = min over v in X of (w(u, v) - y(v))`` packed with the entering
vertex ``v`` into one int64, plus a scalar offset. Finding the cheapest incoming edge of a new
super-vertex is one O(m) scan; contracting a cycle of ``k`` super-vertices is O(k m); every vertex
is first queried once (those queries run in parallel before the walks). The total is O(m^2)
time, the size of the input, and O(m) extra memory per live contracted super-vertex.

Ties. Equal weights do not make the result wrong (any optimum is returned) but which optimum is
found depends on this implementation: among equal candidates the smaller packed key wins
(smaller entering vertex, then smaller source index). GrapeTree's weights give every vertex
distinct incoming weights.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.typed import List

from engine.errors import ParameterError
from engine.models import CancelCheck, ProgressCallback
from engine.progress import check_cancel, report

__all__ = ["minimum_spanning_arborescence", "structured_arborescence"]

_WALKS_PER_CHUNK = 4096  # start vertices between progress reports and cancel checks
_KEY_LIMIT = 1 << 62


@numba.njit(cache=True, parallel=True)
def _cheapest_in_edges(rt, scale, bonus, big):
    """For every vertex v, its cheapest incoming edge: cost and source (ties: smallest source)."""
    m = rt.shape[0]
    cost = np.empty(m, np.int64)
    source = np.empty(m, np.int64)
    for v in numba.prange(m):
        best = big
        arg = m
        for u in range(m):
            if u != v:
                c = scale * np.int64(rt[v, u]) + bonus[u]
                if c < best:
                    best = c
                    arg = u
        cost[v] = best
        source[v] = arg
    return cost, source


@numba.njit(cache=True)
def _walks(rt, scale, bonus, big, bits, single_cost, single_source, state, arrays, first, last):
    """Tarjan's walks from the start vertices ``first..last-1``; ``state`` and ``arrays`` persist.

    ``state`` = (comp, seen, offset, chosen_source, chosen_target, parent, head, tail, nxt,
    path, counter); ``counter[0]`` is the next super-vertex id.
    """
    comp, seen, offset, chosen_source, chosen_target, parent, head, tail, nxt, path, counter = state
    m = rt.shape[0]
    root = m
    unit = np.int64(1) << bits
    mask = unit - 1
    for s in range(first, last):
        if seen[s] >= 0:
            continue
        u = s
        length = 0
        while seen[u] < 0:
            if u < m:  # a vertex never contracted: its cheapest edge is known
                c = single_cost[u] + offset[u]
                a = single_source[u]
                b = u
            else:
                keys = arrays[u]
                best = np.iinfo(np.int64).max
                a = -1
                for w in range(m + 1):
                    if w < m and comp[w] == u:
                        continue
                    if keys[w] < best:
                        best = keys[w]
                        a = w
                c = (best >> bits) + offset[u]
                b = best & mask
            offset[u] -= c
            chosen_source[u] = a
            chosen_target[u] = b
            path[length] = u
            length += 1
            seen[u] = s
            if a == root:
                break
            x = comp[a]
            if seen[x] != s:
                u = x
                continue
            # a cycle: contract the path from x to u into a new super-vertex
            cycle = counter[0]
            counter[0] += 1
            merged = np.empty(m + 1, np.int64)
            fresh = True
            while True:
                length -= 1
                y = path[length]
                parent[y] = cycle
                shift = offset[y]
                if y < m:
                    for w in range(m):
                        key = (scale * np.int64(rt[y, w]) + bonus[w] + shift) * unit + y
                        if fresh or key < merged[w]:
                            merged[w] = key
                    key = (big + shift) * unit + y
                    if fresh or key < merged[m]:
                        merged[m] = key
                else:
                    keys = arrays[y]
                    shift *= unit
                    for w in range(m + 1):
                        key = keys[w] + shift
                        if fresh or key < merged[w]:
                            merged[w] = key
                    arrays[y] = np.empty(0, np.int64)
                fresh = False
                if head[cycle] < 0:
                    head[cycle] = head[y]
                else:
                    nxt[tail[cycle]] = head[y]
                tail[cycle] = tail[y]
                if y == x:
                    break
            v = head[cycle]
            while v >= 0:
                comp[v] = cycle
                v = nxt[v]
            arrays[cycle] = merged
            u = cycle


@numba.njit(cache=True)
def _expand(chosen_source, chosen_target, parent, m, created):
    """Undo the contractions, newest first: each vertex's edge in the optimum."""
    source = chosen_source.copy()
    target = chosen_target.copy()
    for cycle in range(created - 1, m - 1, -1):
        y = target[cycle]
        while parent[y] != cycle:
            y = parent[y]
        source[y] = source[cycle]
        target[y] = target[cycle]
    out = source[:m].copy()
    for v in range(m):
        if out[v] == m:
            out[v] = -1
    return out


def _solve(rt, scale, bonus, progress, cancel):
    """Minimum arborescence of the complete digraph with weight(u -> v) = scale * rt[v, u] + bonus[u]."""
    m = rt.shape[0]
    if m == 0:
        return np.zeros(0, np.int64)
    if m == 1:
        return np.full(1, -1, np.int64)
    top = scale * int(rt.max()) + int(bonus.max())
    big = m * (top + 1)
    bits = max(1, int(m).bit_length())
    if (2 * big + 1) << bits >= _KEY_LIMIT:
        raise ParameterError(f"arborescence weights up to {top} on {m} vertices do not fit in 64-bit keys")
    single_cost, single_source = _cheapest_in_edges(rt, scale, bonus, big)
    report(progress, 0.2)
    ids = 2 * m
    state = (
        np.arange(m + 1, dtype=np.int64),  # comp: super-vertex of each vertex
        np.full(ids, -1, np.int64),  # seen: walk that reached a super-vertex
        np.zeros(ids, np.int64),  # offset: reduction of a super-vertex's incoming edges
        np.full(ids, -1, np.int64),  # chosen_source
        np.full(ids, -1, np.int64),  # chosen_target
        np.full(ids, -1, np.int64),  # parent: the cycle a super-vertex was contracted into
        np.concatenate([np.arange(m), np.full(m, -1)]).astype(np.int64),  # head of member list
        np.concatenate([np.arange(m), np.full(m, -1)]).astype(np.int64),  # tail of member list
        np.full(m, -1, np.int64),  # nxt: member lists
        np.empty(ids, np.int64),  # path of the current walk
        np.array([m], np.int64),  # next super-vertex id
    )
    state[0][m] = -2  # the super-root belongs to no super-vertex
    arrays = List([np.empty(0, np.int64) for _ in range(ids)])
    for first in range(0, m, _WALKS_PER_CHUNK):
        check_cancel(cancel)
        last = min(m, first + _WALKS_PER_CHUNK)
        _walks(rt, np.int64(scale), bonus, np.int64(big), np.int64(bits), single_cost, single_source,
               state, arrays, first, last)
        report(progress, 0.2 + 0.8 * last / m)
    return _expand(state[3], state[4], state[5], m, int(state[10][0]))


def minimum_spanning_arborescence(
    weights: np.ndarray,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """A minimum-weight spanning arborescence of the complete digraph given by a weight matrix.

    Parameters
    ----------
    weights : numpy.ndarray
        ``(m, m)`` integer matrix, ``weights[u, v]`` = weight of the edge ``u -> v``; the diagonal
        is ignored. Negative weights are allowed.
    progress, cancel : callable, optional
        Progress and cancellation hooks, called between chunks of walks.

    Returns
    -------
    numpy.ndarray
        ``(m,)`` int64 ``parent[v]``, -1 for the root (the root is chosen by the optimisation).

    Raises
    ------
    ParameterError
        When the matrix is not square and integer, or its weights are too large for the 64-bit
        keys (``m * (max - min + 1) * 2^bits(m)`` must stay below ``2^62``).

    Notes
    -----
    O(m^2) time and O(m) extra memory per contracted super-vertex alive at once (see the module
    docstring); the matrix is copied once, transposed, as int64.

    Examples
    --------
    The cheapest edges 0 -> 1 and 1 -> 2 form the optimum, rooted at 0:

    >>> w = np.array([[0, 1, 5], [4, 0, 1], [3, 6, 0]])
    >>> minimum_spanning_arborescence(w).tolist()
    [-1, 0, 1]
    """
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
        raise ParameterError(f"the weight matrix must be square, not of shape {weights.shape}")
    if not np.issubdtype(weights.dtype, np.integer):
        raise ParameterError(f"the weights must be integers, not {weights.dtype}")
    m = weights.shape[0]
    if m < 2:
        return np.full(m, -1, np.int64)
    off_diagonal = ~np.eye(m, dtype=bool)
    low = int(weights[off_diagonal].min())
    rt = np.ascontiguousarray((weights.astype(np.int64) - low).T)
    np.fill_diagonal(rt, 0)
    return _solve(rt, 1, np.zeros(m, np.int64), progress, cancel)


def structured_arborescence(
    rounded_t: np.ndarray,
    scale: int,
    bonus: np.ndarray,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """Minimum arborescence for weights ``w(u -> v) = scale * rounded_t[v, u] + bonus[u]``.

    This is MSTreeV2's weight ``n * round(D'[u, v]) + rank_u`` without ever forming the int64
    matrix: ``rounded_t`` is the transposed rounded distance (its row ``v`` holds the incoming
    edges of ``v``), typically ``uint16`` (800 MB at 20,000 vertices instead of 3.2 GB).

    Parameters
    ----------
    rounded_t : numpy.ndarray
        ``(m, m)`` non-negative integers, C-contiguous; ``rounded_t[v, u]`` belongs to ``u -> v``.
    scale : int
        Non-negative multiplier of ``rounded_t``.
    bonus : numpy.ndarray
        ``(m,)`` non-negative integers added to every edge leaving ``u``.
    progress, cancel : callable, optional
        Progress and cancellation hooks.

    Returns
    -------
    numpy.ndarray
        ``(m,)`` int64 parent of every vertex, -1 for the root.

    Raises
    ------
    ParameterError
        When the weights are too large for the 64-bit keys.

    Notes
    -----
    O(m^2) time, no per-edge memory (see the module docstring).

    Examples
    --------
    With distinct ranks as ``bonus`` the lower-ranked of two equidistant parents wins:

    >>> r = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], np.uint16)
    >>> structured_arborescence(r, 3, np.array([0, 1, 2])).tolist()
    [-1, 0, 0]
    """
    rounded_t = np.ascontiguousarray(rounded_t)
    bonus = np.ascontiguousarray(bonus, dtype=np.int64)
    if rounded_t.shape[0] and (int(bonus.min()) < 0 or scale < 0):
        raise ParameterError("structured arborescence weights must not be negative")
    return _solve(rounded_t, int(scale), bonus, progress, cancel)
