"""The numba kernels of goeBURST and the named state they share.

:mod:`engine.algorithms.goeburst` validates its input, calls these kernels on plain arrays and
builds the result; the rest of the engine goes through that module. The state travels as named
tuples, which numba compiles like plain tuples: :class:`EdgeOrder` (what decides which of two
edges comes first), :class:`PairDistances` (where a pair's distance comes from),
:class:`Candidates`, :class:`BestEdges`, :class:`EdgeHeap`, :class:`KeptEdges`,
:class:`PrimOptions` and :class:`PrimState`. A parallel kernel cannot take a tuple nested in a
tuple, so every one of them is flat.

Conventions: nodes are row indices (``int64``) of the node matrix; an edge is a triple
``(u, v, d)``, ``d`` its distance; a missing node is -1. Kernels take every option as an argument
and read no module state but the rule constants below.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from engine.algorithms.distances import bounded_distance, row_distance

#: Final tie-break rules (``EdgeOrder.tiebreak``).
TIEBREAK_PHYLODB = 0
TIEBREAK_PHYLOVIZ = 1


# --------------------------------------------------------------------------------------------
# Named state


class EdgeOrder(NamedTuple):
    """The strict goeBURST order of edges (module docstring of :mod:`engine.algorithms.goeburst`).

    Attributes
    ----------
    lv : numpy.ndarray
        ``(nodes, levels + 1)`` int64: ``lv[a, k]`` is the number of nodes at distance k from a.
    freq : numpy.ndarray
        ``(nodes,)`` int64 frequency of each node.
    rank_lc, rank_lex : numpy.ndarray
        ``(nodes,)`` int64 rank of each node's id in length-then-characters order and in plain
        string order.
    node_rank : numpy.ndarray
        ``(nodes,)`` int64 rank of each node by :func:`node_ranks` (LV counts, then frequency).
    levels : int
        LV levels compared, k = 1..levels.
    tiebreak : {TIEBREAK_PHYLODB, TIEBREAK_PHYLOVIZ}
        The final id rule.
    """

    lv: np.ndarray
    freq: np.ndarray
    rank_lc: np.ndarray
    rank_lex: np.ndarray
    node_rank: np.ndarray
    levels: int
    tiebreak: int


class PairDistances(NamedTuple):
    """Where Prim reads the distance of two nodes, and which pairs may be linked.

    Attributes
    ----------
    matrix : numpy.ndarray
        ``(nodes, loci)`` allele codes, 0 = missing.
    mode : int
        Missing-data mode code (:func:`engine.algorithms.distances.mode_code`).
    dist : numpy.ndarray
        ``(nodes, nodes)`` distances when ``use_dist``, else a ``(1, 1)`` placeholder.
    use_dist : bool
        Read ``dist`` instead of comparing the rows of ``matrix``.
    max_distance : int
        Longest edge that may be kept.
    center_of, to_center, between : numpy.ndarray
        A cover of the nodes by balls (:func:`cover`): the ball of each node, the distance to its
        centre, the ``(balls, balls)`` distances between centres. The triangle inequality then
        bounds d(a, b) from below by ``between[center_of[a], center_of[b]] - to_center[a] -
        to_center[b]``. No balls (``between`` of shape ``(0, 0)``) when the mode's distance obeys
        no triangle inequality (``ignore``) or bounds would not pay.
    """

    matrix: np.ndarray
    mode: int
    dist: np.ndarray
    use_dist: bool
    max_distance: int
    center_of: np.ndarray
    to_center: np.ndarray
    between: np.ndarray


class Candidates(NamedTuple):
    """Each node's candidate neighbours in CSR form: ``neighbours[offsets[a]:offsets[a + 1]]``.

    Two empty arrays mean "no lists": every node outside the forest is a candidate.
    """

    offsets: np.ndarray
    neighbours: np.ndarray

    @classmethod
    def every_node(cls) -> Candidates:
        """No candidate lists: Prim offers every outside node."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64))


class BestEdges(NamedTuple):
    """Each node's best and second-best edge into the forest, ``(best_u[w], w, best_d[w])``.

    ``best_u[w]`` (``second_u[w]``) is -1 while w has no such edge. Once w joins the forest its
    entries are no longer read.
    """

    best_u: np.ndarray
    best_d: np.ndarray
    second_u: np.ndarray
    second_d: np.ndarray

    @classmethod
    def unset(cls, n: int) -> BestEdges:
        """No edge yet for any of ``n`` nodes."""
        return cls(
            np.full(n, -1, np.int64), np.zeros(n, np.int64), np.full(n, -1, np.int64), np.zeros(n, np.int64)
        )


def _empty_columns(cls, capacity: int):
    """An :class:`EdgeHeap` or :class:`KeptEdges` of int64 columns with room for ``capacity`` edges."""
    return cls(*(np.empty(capacity, np.int64) for _ in cls._fields))


class EdgeHeap(NamedTuple):
    """A binary heap of edges ``(u[i], v[i], d[i])`` in :class:`EdgeOrder`; its size is ``PrimState.size``.

    Stale entries (v joined the forest, or a better edge replaced this one) are left in and
    dropped when they reach the top.
    """

    u: np.ndarray
    v: np.ndarray
    d: np.ndarray

    empty = classmethod(_empty_columns)


class KeptEdges(NamedTuple):
    """The forest's edges ``(u[e], v[e], d[e])``, v the node the edge brought in.

    ``rule[e]`` is the magnitude of :func:`compare_edges` that made edge e beat the next best edge
    across the cut (1 distance, 1 + k LV level k, levels + 2 frequency, levels + 3 id). That
    runner-up is ``(runner_u[e], runner_v[e], runner_d[e])``, ``runner_u[e] == -1`` when no other
    edge crossed the cut; :mod:`engine.algorithms.incremental` keeps it as the witness of the rule.
    """

    u: np.ndarray
    v: np.ndarray
    d: np.ndarray
    rule: np.ndarray
    runner_u: np.ndarray
    runner_v: np.ndarray
    runner_d: np.ndarray

    empty = classmethod(_empty_columns)


class PrimOptions(NamedTuple):
    """How :func:`prim_steps` splits its work.

    Attributes
    ----------
    max_steps : int
        Nodes added per call (the caller reports progress and checks cancellation in between).
    chunks : int
        Tasks a parallel relax step is split into.
    parallel_work : int
        Locus comparisons per step (outside nodes x loci) from which a step relaxes on all
        cores; steps that read a kept distance matrix always run on one.
    """

    max_steps: int
    chunks: int
    parallel_work: int


class PrimState(NamedTuple):
    """Where Prim's growth of the forest stands between two calls of :func:`prim_steps`.

    Attributes
    ----------
    added, kept : int
        Nodes in the forest; edges kept.
    listed : int
        Entries of ``outside``.
    size : int
        Entries in the :class:`EdgeHeap`.
    start : int
        No node below it is outside the forest: where to look for the next tree's root.
    in_tree : numpy.ndarray
        ``(nodes,)`` bool.
    outside : numpy.ndarray
        ``outside[:listed]``, ascending, holds every node outside the forest and a few that have
        joined it since the list was last compacted (at most an eighth of it, or 64). Ascending,
        so that a relax step reads the nodes' rows and edges in memory order.
    improved : numpy.ndarray
        Scratch, ``(nodes,)`` bool: whether a relax step gave ``targets[idx]`` a new best edge.
    found : numpy.ndarray
        Scratch, ``(nodes,)`` of :func:`distance_dtype`: the distance a relax step computed from the
        new node to ``targets[idx]`` (loci + 1 when a bound ruled the pair out).
    limit : numpy.ndarray
        ``(nodes,)`` int64, aligned with ``outside``: the distance of the second-best edge of node
        ``outside[k]`` (the longest edge that can still change its edges), the int64 maximum while
        it has none. Kept without a distance matrix only, where every step relaxes ``outside``.
    columns : numpy.ndarray
        ``(loci, listed)`` allele codes of the nodes of ``outside``, column k that of
        ``outside[k]``, when a relax step compares a locus at a time across all of them (schemes
        of few loci); ``(0, 0)`` otherwise.
    """

    added: int
    kept: int
    listed: int
    size: int
    start: int
    in_tree: np.ndarray
    outside: np.ndarray
    improved: np.ndarray
    found: np.ndarray
    limit: np.ndarray
    columns: np.ndarray

    @classmethod
    def start_empty(cls, n: int, loci: int, columns: np.ndarray | None = None) -> PrimState:
        """No node of ``n`` in the forest yet; distances of ``loci`` loci.

        ``columns``: the transposed node matrix (``(loci, n)``, C order; it is compacted in place)
        for locus-at-a-time relax steps, or None.
        """
        if columns is None:
            columns = np.zeros((0, 0), np.uint16)
        return cls(0, 0, n, 0, 0, np.zeros(n, np.bool_), np.arange(n, dtype=np.int64), np.zeros(n, np.bool_),
                   np.zeros(n, distance_dtype(loci)), np.full(n, np.iinfo(np.int64).max, np.int64), columns)


def distance_dtype(loci: int) -> np.dtype:
    """The narrowest unsigned type that holds every distance over ``loci`` loci, and loci + 1.

    Kernels store distances in arrays of this type as soon as they are computed: besides the
    memory, a sum stored into 16 bits is one the compiler adds in 16-bit vector lanes, about
    twice as fast as in 64-bit ones.
    """
    return np.dtype(np.uint16) if loci < np.iinfo(np.uint16).max else np.dtype(np.uint32)


# --------------------------------------------------------------------------------------------
# All pairs: distances and LV counts


@numba.njit(cache=True, inline="always")
def _pair_rows(p, n):
    """The two rows of balanced pair p: p and n-1-p (or p and n, an empty row, in the middle).

    Rows p and n-1-p have n-1 later rows between them, so tasks over pairs get equal work. When n
    is odd the middle pair p = (n-1)/2 is one row: its second row is ``n``, and ``range(n + 1, n)``
    is empty.
    """
    q = n - 1 - p
    return p, (q if q > p else n)


@numba.njit(cache=True, parallel=True)
def upper_distances(matrix, mode, first, last, top, bottom):
    """The distances of the balanced row pairs [first, last) to their later rows.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(n, loci)`` allele codes.
    mode : int
        Missing-data mode code.
    first, last : int
        Pairs p in [first, last) of ``(n + 1) // 2``; pair p is rows p and n-1-p.
    top : numpy.ndarray
        ``(last - first, n - first)`` output: ``top[p - first, j - first]`` is set for rows p of
        the pairs and j > p.
    bottom : numpy.ndarray
        ``(last - first, last)`` output: ``bottom[i - (n - last), j - (n - last)]`` is set for rows
        i = n-1-p > p of the pairs and j > i.

    Notes
    -----
    ``top = dist[first:last, first:]`` and ``bottom = dist[n - last:n - first, n - last:]``, views
    of an ``(n, n)`` matrix, fill its upper triangle in those rows; separate arrays hold a block
    of it (a slab each, zero elsewhere). O((last - first) n loci) time, in parallel over the pairs.
    """
    n = matrix.shape[0]
    low = n - last
    for p in numba.prange(first, last):
        for j in range(p + 1, n):
            top[p - first, j - first] = row_distance(matrix, p, j, mode)
        i = n - 1 - p
        if i > p:
            for j in range(i + 1, n):
                bottom[i - low, j - low] = row_distance(matrix, i, j, mode)


def upper_rows(dist: np.ndarray, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """The views of a square matrix ``dist`` that :func:`upper_distances` fills for pairs [first, last)."""
    n = dist.shape[0]
    return dist[first:last, first:], dist[n - last:n - first, n - last:]


@numba.njit(cache=True, inline="always")
def _store_distance(matrix, i, j, mode, bound, out, slot):
    """``out[slot]`` = the distance of rows i and j, exact when it is at most ``bound``.

    With ``bound`` >= loci the whole row is compared (:func:`row_distance`), else the comparison
    stops a block after the partial distance passes ``bound`` (:func:`bounded_distance`), which
    pays only when most pairs are farther apart than a small bound.
    """
    if bound >= matrix.shape[1]:
        out[slot] = row_distance(matrix, i, j, mode)
    else:
        out[slot] = bounded_distance(matrix, i, j, mode, bound)


@numba.njit(cache=True, inline="always")
def _column_distances(matrix, mode, x, columns, first, last, out):
    """``out[k]`` = the distance of row x and the profile of column k of ``columns``, k in [first, last).

    A locus at a time over all the columns: for a few loci this runs in vector lanes across the
    profiles, where a profile at a time would spend more on its loop than on its loci.
    """
    for k in range(first, last):
        out[k] = 0
    for locus in range(columns.shape[0]):
        a = matrix[x, locus]
        column = columns[locus]
        if mode == 0:
            for k in range(first, last):
                b = column[k]
                out[k] += (a != b) | (a == 0) | (b == 0)
        elif mode == 1:
            for k in range(first, last):
                b = column[k]
                out[k] += (a != b) & (a != 0) & (b != 0)
        else:
            for k in range(first, last):
                out[k] += a != column[k]


@numba.njit(cache=True, parallel=True)
def level_counts_block(matrix, mode, levels, bound, first, last, local, scratch, columns):
    """Add the LV counts of the balanced row pairs [first, last), distances computed on the fly.

    Parameters
    ----------
    matrix, mode, first, last
        As in :func:`upper_distances`.
    levels : int
        Count distances 1..levels.
    bound : int
        At least ``levels``: distances above it need not be exact (see :func:`_store_distance`);
        the number of loci for whole comparisons.
    local : numpy.ndarray
        ``(threads, n, levels + 1)`` int32; each thread adds into its own ``local[thread]``, so
        ``local.sum(axis=0)[a, k]`` counts the nodes at distance k from a.
    scratch : numpy.ndarray
        ``(threads, n)`` of :func:`distance_dtype`: each thread's row of distances.
    columns : numpy.ndarray
        The transposed ``matrix`` (``(loci, n)``), to compare a locus at a time
        (:func:`_column_distances`; schemes of few loci, ``bound`` unread), or ``(0, 0)``.

    Notes
    -----
    O((last - first) n loci) time, in parallel over the pairs; no distance outlives its row.
    """
    n = matrix.shape[0]
    for p in numba.prange(first, last):
        tid = numba.get_thread_id()
        row = scratch[tid]
        for i in _pair_rows(p, n):
            if columns.shape[0] > 0:
                _column_distances(matrix, mode, i, columns, i + 1, n, row)
            else:
                for j in range(i + 1, n):
                    _store_distance(matrix, i, j, mode, bound, row, j)
            for j in range(i + 1, n):
                d = row[j]
                if 0 < d <= levels:
                    local[tid, i, d] += 1
                    local[tid, j, d] += 1


@numba.njit(cache=True, parallel=True)
def mirror_and_count(dist, levels, lv):
    """Copy the upper triangle of ``dist`` below the diagonal, then count LV levels per row.

    Parameters
    ----------
    dist : numpy.ndarray
        ``(n, n)`` distances, upper triangle filled; made symmetric in place.
    levels : int
        Count distances 1..levels.
    lv : numpy.ndarray
        ``(n, levels + 1)`` zeros; ``lv[a, k]`` becomes the number of nodes at distance k from a.

    Notes
    -----
    O(n^2) time in parallel, the copy in 64 x 64 blocks.
    """
    n = dist.shape[0]
    block = 64
    blocks = (n + block - 1) // block
    for bi in numba.prange(blocks):
        for bj in range(bi + 1):
            for i in range(bi * block, min(n, (bi + 1) * block)):
                for j in range(bj * block, min(i, (bj + 1) * block)):
                    dist[i, j] = dist[j, i]
    for i in numba.prange(n):
        for j in range(n):
            d = dist[i, j]
            if j != i and 0 < d <= levels:
                lv[i, d] += 1


@numba.njit(cache=True, parallel=True)
def candidate_degrees(dist, max_distance):
    """Number of other nodes within ``max_distance`` of each node.

    Parameters
    ----------
    dist : numpy.ndarray
        ``(n, n)`` symmetric distances.
    max_distance : int
        Longest candidate edge.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64.

    Notes
    -----
    O(n^2) time in parallel.
    """
    n = dist.shape[0]
    degrees = np.zeros(n, np.int64)
    for i in numba.prange(n):
        for j in range(n):
            if j != i and dist[i, j] <= max_distance:
                degrees[i] += 1
    return degrees


@numba.njit(cache=True, parallel=True)
def candidate_lists(dist, max_distance, offsets):
    """The nodes within ``max_distance`` of each node, in CSR form over ``offsets``.

    Parameters
    ----------
    dist, max_distance
        As in :func:`candidate_degrees`.
    offsets : numpy.ndarray
        ``(n + 1,)`` int64 cumulative sums of :func:`candidate_degrees`, from 0.

    Returns
    -------
    numpy.ndarray
        ``neighbours`` of :class:`Candidates`, each node's list ascending.

    Notes
    -----
    O(n^2) time in parallel.
    """
    n = dist.shape[0]
    neighbours = np.empty(offsets[n], np.int64)
    for i in numba.prange(n):
        k = offsets[i]
        for j in range(n):
            if j != i and dist[i, j] <= max_distance:
                neighbours[k] = j
                k += 1
    return neighbours


@numba.njit(cache=True, parallel=True)
def _distances_to(matrix, mode, a, out):
    """``out[w]`` = the distance of rows a and w, for every row w (in parallel)."""
    for w in numba.prange(matrix.shape[0]):
        out[w] = row_distance(matrix, a, w, mode)


def cover(matrix: np.ndarray, mode: int, balls: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cover the rows by ``balls`` balls around centres spread over the data (farthest-first).

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(n, loci)`` allele codes, n >= 1.
    mode : int
        Missing-data mode code; not ``ignore``, whose distance obeys no triangle inequality.
    balls : int
        Number of centres, 1..n.

    Returns
    -------
    center_of : numpy.ndarray
        ``(n,)`` int64: the ball of each row (its nearest centre, the first of equals).
    to_center : numpy.ndarray
        ``(n,)`` of :func:`distance_dtype`: the distance from each row to its centre.
    between : numpy.ndarray
        ``(balls, balls)`` of :func:`distance_dtype`: the distances between centres.

    Notes
    -----
    The first centre is row 0, each next one the row farthest from the centres so far (the
    first such row). Under ``difference`` and ``allele`` each locus term obeys the triangle
    inequality (under ``difference`` even when the middle row misses the locus: a missing call
    counts against both sides), so ``d(a, b) >= between[A, B] - to_center[a] - to_center[b]``
    for rows a, b in balls A, B. On clonal data (tight clusters far apart) that bound rules out
    most pairs of different clusters. O(balls n loci) time, O(n + balls^2) memory.
    """
    n, loci = matrix.shape
    dtype = distance_dtype(loci)
    center_of = np.zeros(n, np.int64)
    to_center = np.full(n, np.iinfo(dtype).max, dtype)
    row = np.zeros(n, dtype)
    centers = np.zeros(balls, np.int64)
    for ball in range(balls):
        center = int(np.argmax(to_center)) if ball else 0
        centers[ball] = center
        _distances_to(matrix, mode, center, row)
        row[centers[:ball]] = to_center[centers[:ball]]  # a centre stays in its own ball
        row[center] = 0  # under difference a row with a missing call is not 0 from itself
        closer = row < to_center
        center_of[closer] = ball
        to_center[closer] = row[closer]
    between = np.zeros((balls, balls), dtype)
    for ball in range(balls):
        _distances_to(matrix[centers], mode, ball, between[ball])
    np.fill_diagonal(between, 0)
    return center_of, to_center, between


# --------------------------------------------------------------------------------------------
# The order of edges


# No reference counting: it is called millions of times and only reads its arrays.
@numba.njit(cache=True, _nrt=False)
def compare_edges(a1, b1, d1, a2, b2, d2, order):
    """Compare edge ``(a1, b1, d1)`` with edge ``(a2, b2, d2)`` under the goeBURST order.

    Parameters
    ----------
    a1, b1, d1, a2, b2, d2 : int
        The endpoints and distance of each edge; the endpoints in either order.
    order : EdgeOrder
        The order (``node_rank`` is not read).

    Returns
    -------
    int
        < 0 when edge 1 comes first, > 0 when edge 2 does, 0 when they are equal. The magnitude
        names the rule that decided: 1 distance, 1 + k LV level k, levels + 2 frequency,
        levels + 3 id.

    Notes
    -----
    O(levels) time, usually O(1): the first rule that tells the edges apart ends the comparison.
    """
    lv, freq, rank_lc, rank_lex, _, levels, tiebreak = order
    if d1 != d2:
        return -1 if d1 < d2 else 1
    for k in range(1, levels + 1):
        x1 = lv[a1, k]
        y1 = lv[b1, k]
        x2 = lv[a2, k]
        y2 = lv[b2, k]
        hi1 = max(x1, y1)
        hi2 = max(x2, y2)
        if hi1 != hi2:
            return -(k + 1) if hi1 > hi2 else k + 1
        lo1 = min(x1, y1)
        lo2 = min(x2, y2)
        if lo1 != lo2:
            return -(k + 1) if lo1 > lo2 else k + 1
    f1 = max(freq[a1], freq[b1])
    f2 = max(freq[a2], freq[b2])
    rule = levels + 2
    if f1 != f2:
        return -rule if f1 > f2 else rule
    f1 = min(freq[a1], freq[b1])
    f2 = min(freq[a2], freq[b2])
    if f1 != f2:
        return -rule if f1 > f2 else rule
    rule = levels + 3
    if tiebreak == TIEBREAK_PHYLODB:
        lo1 = min(a1, b1)
        lo2 = min(a2, b2)
        if lo1 != lo2:
            return -rule if lo1 < lo2 else rule
        big1 = max(rank_lc[a1], rank_lc[b1])
        big2 = max(rank_lc[a2], rank_lc[b2])
        if big1 != big2:
            return -rule if big1 < big2 else rule
        hi1 = max(a1, b1)
        hi2 = max(a2, b2)
        if hi1 != hi2:
            return -rule if hi1 < hi2 else rule
        return 0
    s1, l1 = (a1, b1) if rank_lc[a1] < rank_lc[b1] else (b1, a1)
    s2, l2 = (a2, b2) if rank_lc[a2] < rank_lc[b2] else (b2, a2)
    if rank_lex[s1] != rank_lex[s2]:
        return -rule if rank_lex[s1] < rank_lex[s2] else rule
    if rank_lex[l1] != rank_lex[l2]:
        return -rule if rank_lex[l1] < rank_lex[l2] else rule
    return 0


# No reference counting: it is called n log n times and only reads its arrays.
@numba.njit(cache=True, _nrt=False)
def _compare_nodes(a, b, order):
    """Node a before node b: larger LV_1, then LV_2, ..., then larger frequency (< 0, 0 or > 0).

    The sign :func:`compare_edges` gives the self-loops ``(a, a, 0)`` and ``(b, b, 0)`` up to the id
    rule, in half the work; reads ``order.lv``, ``order.freq`` and ``order.levels`` alone.
    """
    lv, freq, levels = order.lv, order.freq, order.levels
    for k in range(1, levels + 1):
        if lv[a, k] != lv[b, k]:
            return -1 if lv[a, k] > lv[b, k] else 1
    if freq[a] != freq[b]:
        return -1 if freq[a] > freq[b] else 1
    return 0


@numba.njit(cache=True)
def _merge_sort(count, by_node, u, v, d, order):
    """Indices 0..count-1 sorted by a stable bottom-up merge sort: O(count log count) comparisons.

    Sorts the nodes by :func:`_compare_nodes` when ``by_node`` (``u``, ``v`` and ``d`` unread),
    else the edges ``(u[e], v[e], d[e])`` by :func:`compare_edges`.
    """
    sorted_idx = np.arange(count)
    buffer = np.empty(count, np.int64)
    width = 1
    while width < count:
        for lo in range(0, count, 2 * width):
            mid = min(lo + width, count)
            hi = min(lo + 2 * width, count)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                a = sorted_idx[i]
                b = sorted_idx[j]
                if by_node:
                    b_first = _compare_nodes(b, a, order) < 0
                else:
                    b_first = compare_edges(u[b], v[b], d[b], u[a], v[a], d[a], order) < 0
                if b_first:
                    buffer[k] = b
                    j += 1
                else:
                    buffer[k] = a
                    i += 1
                k += 1
            buffer[k : k + mid - i] = sorted_idx[i:mid]
            k += mid - i
            buffer[k : k + hi - j] = sorted_idx[j:hi]
        sorted_idx, buffer = buffer, sorted_idx
        width *= 2
    return sorted_idx


@numba.njit(cache=True)
def argsort_edges(u, v, d, order):
    """Indices of the edges ``(u[e], v[e], d[e])`` in ``order``.

    Parameters
    ----------
    u, v, d : numpy.ndarray
        ``(m,)`` int64 endpoints and distances.
    order : EdgeOrder
        The order; edges it finds equal keep their input order.

    Returns
    -------
    numpy.ndarray
        ``(m,)`` int64 permutation: the edges in the order Kruskal's algorithm would take them.

    Notes
    -----
    A stable bottom-up merge sort: O(m log m) comparisons, O(m) extra memory.
    """
    return _merge_sort(u.shape[0], False, u, v, d, order)


@numba.njit(cache=True)
def node_ranks(lv, freq, levels):
    """Rank of each node: larger LV_1 first, then LV_2, ..., then larger frequency; ties share a rank.

    Parameters
    ----------
    lv, freq, levels
        As in :class:`EdgeOrder`, whose ``node_rank`` these ranks become.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 dense ranks, 0 first.

    Notes
    -----
    A node ranks as its self-loop ``(a, a, 0)`` does under the edge order without its id rule, so
    two edges at the same node w with the same distance compare by the other endpoints' ranks
    until those are equal (:func:`_relax_range`). O(n log n) comparisons of O(levels) each.
    """
    n = lv.shape[0]
    unread = np.zeros(0, np.int64)
    # The node comparison reads lv, freq and levels alone: the other fields are never read.
    nodes_only = EdgeOrder(lv, freq, unread, unread, unread, levels, np.int64(TIEBREAK_PHYLODB))
    by_rank = _merge_sort(n, True, unread, unread, unread, nodes_only)
    ranks = np.empty(n, np.int64)
    rank = 0
    for position in range(n):
        node = by_rank[position]
        if position and _compare_nodes(by_rank[position - 1], node, nodes_only) != 0:
            rank += 1
        ranks[node] = rank
    return ranks


# --------------------------------------------------------------------------------------------
# Prim


@numba.njit(cache=True)
def _heap_push(heap, size, u, v, d, order):
    """Add edge (u, v, d) to ``heap`` (which has room for it); returns the new size. O(log size)."""
    pos = size
    while pos > 0:
        parent = (pos - 1) // 2
        if compare_edges(u, v, d, heap.u[parent], heap.v[parent], heap.d[parent], order) >= 0:
            break
        heap.u[pos] = heap.u[parent]
        heap.v[pos] = heap.v[parent]
        heap.d[pos] = heap.d[parent]
        pos = parent
    heap.u[pos] = u
    heap.v[pos] = v
    heap.d[pos] = d
    return size + 1


@numba.njit(cache=True)
def _heap_pop(heap, size, order):
    """Remove the top entry of ``heap`` (the caller has read it); returns the new size. O(log size)."""
    hu, hv, hd = heap
    size -= 1
    u = hu[size]
    v = hv[size]
    d = hd[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if (
            child + 1 < size
            and compare_edges(
                hu[child + 1], hv[child + 1], hd[child + 1], hu[child], hv[child], hd[child], order
            )
            < 0
        ):
            child += 1
        if compare_edges(hu[child], hv[child], hd[child], u, v, d, order) >= 0:
            break
        hu[pos] = hu[child]
        hv[pos] = hv[child]
        hd[pos] = hd[child]
        pos = child
    if size > 0:
        hu[pos] = u
        hv[pos] = v
        hd[pos] = d
    return size


@numba.njit(cache=True)
def _heap_room(heap, size, needed):
    """``heap``, or a copy with at least twice the room when ``size + needed`` entries would not fit."""
    if size + needed <= heap.u.shape[0]:
        return heap
    capacity = max(2 * heap.u.shape[0], size + needed)
    grown = EdgeHeap(np.empty(capacity, np.int64), np.empty(capacity, np.int64), np.empty(capacity, np.int64))
    for column in range(3):
        grown[column][:size] = heap[column][:size]
    return grown


@numba.njit(cache=True)
def _drop_stale(heap, size, best, in_tree, order):
    """Pop stale entries until the top edge is current (its node outside, the edge its best).

    Returns the new size; O(log size) a stale entry.
    """
    while size > 0 and (in_tree[heap.v[0]] or best.best_u[heap.v[0]] != heap.u[0]):
        size = _heap_pop(heap, size, order)
    return size


@numba.njit(cache=True)
def _deciding_rule(u, x, d, heap, size, best, order):
    """The rule by which edge (u, x, d), just taken, beat the next best edge across the cut.

    That runner-up is the better of x's second-best edge and the edge now on top of the heap
    (stale entries dropped); with no runner-up the distance decided (1). Returns the magnitude and
    the runner-up ``(cu, cv, cd)``, ``cu == -1`` when there is none.
    """
    cu, cv, cd = best.second_u[x], x, best.second_d[x]
    if size > 0 and (cu < 0 or compare_edges(heap.u[0], heap.v[0], heap.d[0], cu, cv, cd, order) < 0):
        cu, cv, cd = heap.u[0], heap.v[0], heap.d[0]
    if cu < 0:
        return 1, np.int64(-1), np.int64(-1), np.int64(0)
    return -compare_edges(u, x, d, cu, cv, cd, order), cu, cv, cd


@numba.njit(cache=True, inline="always")
def _beyond(pairs, x, w, bound):
    """Whether the cover (:class:`PairDistances`) proves d(x, w) > bound; False without one."""
    if pairs.between.shape[0] == 0:
        return False
    apart = np.int64(pairs.between[pairs.center_of[x], pairs.center_of[w]])
    return apart - np.int64(pairs.to_center[x]) - np.int64(pairs.to_center[w]) > bound


@numba.njit(cache=True)
def _relax_range(x, targets, first, last, pairs, order, best, state):
    """Offer the edges from new forest node x to the nodes ``targets[first:last]`` still outside.

    Parameters
    ----------
    x : int
        The node that just joined the forest.
    targets : numpy.ndarray
        Nodes to offer an edge to; those in the forest are skipped.
    first, last : int
        The slice of ``targets`` to visit.
    pairs : PairDistances
        Distances; edges longer than ``max_distance`` are not offered.
    order : EdgeOrder
        Edge order, with ``node_rank``.
    best : BestEdges
        Updated for each target whose best or second-best edge x beats.
    state : PrimState
        ``in_tree`` is read; ``improved[idx]`` is set to whether ``targets[idx]`` got a new best
        edge. Without a distance matrix ``targets`` is ``outside[:listed]`` and ``limit`` is
        kept. The counters are not read.

    Notes
    -----
    O((last - first) loci) time without a distance matrix, O(last - first) with one. Without a
    matrix the distances are computed first, into ``state.found`` (a locus at a time across the
    targets when ``state.columns`` holds them), and a pair is skipped when it is farther apart
    than w's second-best edge (``state.limit``) or ``max_distance``: such an edge changes
    nothing, and the edges of equal distance, which the order decides, are still compared.
    Profiles are not even compared when the cover's bound (:func:`_beyond`) shows that. Two edges at the same
    node w with the same distance compare by ``node_rank`` alone: at each LV level (and for
    frequency) the (max, min) pair grows strictly with the other endpoint's count. Only nodes of
    equal rank need the id rules of :func:`compare_edges`. (This loop is written out in full: a
    call per pair with these arrays would cost more than the work.)
    """
    matrix, mode, dist, use_dist, max_distance = pairs[:5]
    best_u, best_d, second_u, second_d = best
    in_tree, improved, found = state.in_tree, state.improved, state.found
    limit, columns = state.limit, state.columns
    node_rank = order.node_rank
    rx = node_rank[x]
    if not use_dist and columns.shape[0] > 0:
        _column_distances(matrix, mode, x, columns, first, last, found)
    elif not use_dist:
        far = matrix.shape[1] + 1
        for idx in range(first, last):
            w = targets[idx]
            if in_tree[w]:
                continue
            if _beyond(pairs, x, w, min(limit[idx], max_distance)):
                found[idx] = far
            else:
                _store_distance(matrix, x, w, mode, far, found, idx)
    for idx in range(first, last):
        improved[idx] = False
        if not use_dist and found[idx] > limit[idx]:
            continue
        w = targets[idx]
        if in_tree[w]:
            continue
        d = np.int64(dist[x, w]) if use_dist else np.int64(found[idx])
        if d > max_distance:
            continue
        for slot in range(2):  # 0: w's best edge, 1: its second best
            other = best_u[w] if slot == 0 else second_u[w]
            other_d = best_d[w] if slot == 0 else second_d[w]
            if not (
                other < 0
                or d < other_d
                or (
                    d == other_d
                    and (
                        rx < node_rank[other]
                        or (rx == node_rank[other] and compare_edges(x, w, d, other, w, d, order) < 0)
                    )
                )
            ):
                continue
            if slot == 0:
                second_u[w] = other
                second_d[w] = other_d
                best_u[w] = x
                best_d[w] = d
                improved[idx] = True
            else:
                second_u[w] = x
                second_d[w] = d
            if not use_dist and second_u[w] >= 0:
                limit[idx] = second_d[w]
            break


@numba.njit(cache=True, parallel=True)
def _relax_parallel(x, targets, chunks, pairs, order, best, state):
    """:func:`_relax_range` over all of ``targets``, split into ``chunks`` tasks across the cores.

    Each target is visited by one task, so the tasks write disjoint entries.
    """
    count = targets.shape[0]
    for chunk in numba.prange(chunks):
        first = chunk * count // chunks
        last = (chunk + 1) * count // chunks
        _relax_range(x, targets, first, last, pairs, order, best, state)


@numba.njit(cache=True)
def _relax(x, targets, pairs, order, options, best, state):
    """:func:`_relax_range` over all of ``targets``, on all cores when the step is large enough.

    A step runs in parallel when it computes distances a pair at a time (no matrix, no
    ``state.columns``) and compares at least ``options.parallel_work`` loci. A step that compares
    a locus at a time takes microseconds, less than waking the other cores would.
    """
    if (pairs.use_dist or state.columns.shape[0] > 0
            or targets.shape[0] * pairs.matrix.shape[1] < options.parallel_work):
        _relax_range(x, targets, 0, targets.shape[0], pairs, order, best, state)
    else:
        _relax_parallel(x, targets, options.chunks, pairs, order, best, state)


@numba.njit(cache=True)
def _compact(state, listed):
    """Drop the forest's nodes from ``outside[:listed]``, ``limit`` and ``columns`` in place; new length."""
    outside, limit, columns = state.outside, state.limit, state.columns
    kept = 0
    for idx in range(listed):
        w = outside[idx]
        if not state.in_tree[w]:
            outside[kept] = w
            limit[kept] = limit[idx]
            for locus in range(columns.shape[0]):
                columns[locus, kept] = columns[locus, idx]
            kept += 1
    return kept


@numba.njit(cache=True)
def prim_steps(pairs, candidates, order, options, state, best, heap, edges):
    """Add up to ``options.max_steps`` nodes to the minimum spanning forest, Prim's way.

    Each step takes the first edge in ``order`` leaving the forest (or, when none is left, makes
    the smallest outside node the root of a new tree), then offers the new node's edges to the
    nodes outside.

    Parameters
    ----------
    pairs : PairDistances
        Distances and the longest edge allowed.
    candidates : Candidates
        The nodes to offer a new node's edges to; empty lists: every outside node.
    order : EdgeOrder
        Edge order.
    options : PrimOptions
        Steps per call and parallel split.
    state : PrimState
        Where the last call stopped (``PrimState.start_empty`` at first); its arrays are updated
        in place.
    best : BestEdges
        Updated in place.
    heap : EdgeHeap
        Candidate edges, ``state.size`` of them.
    edges : KeptEdges
        Room for n - 1 edges; edge ``state.kept`` onwards are written.

    Returns
    -------
    state : PrimState
        The new counters over the same arrays.
    heap : EdgeHeap
        The heap, which may have grown into new arrays.

    Notes
    -----
    Over all calls: n steps; each relaxes the outside nodes (or the candidates) in
    O(outside x loci) time, O(outside) with a distance matrix, and does O(improved) heap pushes
    and O(stale) pops of O(log heap) comparisons. O(n^2 loci) in all without a matrix.
    """
    n = pairs.matrix.shape[0]
    in_tree, outside = state.in_tree, state.outside
    added, kept, listed, size, start = state.added, state.kept, state.listed, state.size, state.start
    steps = 0
    while added < n and steps < options.max_steps:
        size = _drop_stale(heap, size, best, in_tree, order)
        if size == 0:  # no edge leaves the forest: the next tree starts at the smallest outside node
            while in_tree[start]:
                start += 1
            x = start
        else:
            u, x, d = heap.u[0], heap.v[0], heap.d[0]
            size = _drop_stale(heap, _heap_pop(heap, size, order), best, in_tree, order)
            edges.u[kept] = u
            edges.v[kept] = x
            edges.d[kept] = d
            rule, cu, cv, cd = _deciding_rule(u, x, d, heap, size, best, order)
            edges.rule[kept] = rule
            edges.runner_u[kept] = cu
            edges.runner_v[kept] = cv
            edges.runner_d[kept] = cd
            kept += 1
        in_tree[x] = True
        added += 1
        steps += 1
        if listed - (n - added) > max(64, listed // 8):
            listed = _compact(state, listed)
        # With candidate lists, visit x's candidates alone; else every outside node.
        if candidates.offsets.shape[0] > 0:
            targets = candidates.neighbours[candidates.offsets[x] : candidates.offsets[x + 1]]
        else:
            targets = outside[:listed]
        _relax(x, targets, pairs, order, options, best, state)
        heap = _heap_room(heap, size, targets.shape[0])
        for idx in range(targets.shape[0]):
            if state.improved[idx]:
                w = targets[idx]
                size = _heap_push(heap, size, x, w, best.best_d[w], order)
    return PrimState(added, kept, listed, size, start, in_tree, outside, state.improved, state.found,
                     state.limit, state.columns), heap


# --------------------------------------------------------------------------------------------
# Orientation


@numba.njit(cache=True)
def orient(low, high, n):
    """Parent of every node and the roots in order, for edges (low, high) in Kruskal order.

    Parameters
    ----------
    low, high : numpy.ndarray
        ``(m,)`` int64 endpoints of each edge, ``low < high``, in :func:`argsort_edges` order.
    n : int
        Number of nodes.

    Returns
    -------
    parent : numpy.ndarray
        ``(n,)`` int64 parent of each node, -1 for roots and nodes without edges.
    roots : numpy.ndarray
        The roots, in the order their trees were met.

    Notes
    -----
    A root is the first low endpoint, in edge order, that is never a high endpoint among the
    edges of its tree not yet rooted; a depth-first walk from it orients its tree. O(n + m).
    """
    m = low.shape[0]
    degree = np.zeros(n + 1, np.int64)
    for e in range(m):
        degree[low[e] + 1] += 1
        degree[high[e] + 1] += 1
    offsets = np.cumsum(degree)
    neighbours = np.empty(2 * m, np.int64)
    fill = offsets[:-1].copy()
    for e in range(m):
        neighbours[fill[low[e]]] = high[e]
        fill[low[e]] += 1
        neighbours[fill[high[e]]] = low[e]
        fill[high[e]] += 1
    is_high = np.zeros(n, np.bool_)
    for e in range(m):
        is_high[high[e]] = True
    parent = np.full(n, -1, np.int64)
    seen = np.zeros(n, np.bool_)
    roots = np.empty(n, np.int64)
    nroots = 0
    stack = np.empty(n, np.int64)
    for e in range(m):
        r = low[e]
        if seen[r] or is_high[r]:
            continue
        roots[nroots] = r
        nroots += 1
        seen[r] = True
        top = 0
        stack[0] = r
        while top >= 0:
            x = stack[top]
            top -= 1
            for k in range(offsets[x], offsets[x + 1]):
                y = neighbours[k]
                if not seen[y]:
                    seen[y] = True
                    parent[y] = x
                    top += 1
                    stack[top] = y
    return parent, roots[:nroots]
