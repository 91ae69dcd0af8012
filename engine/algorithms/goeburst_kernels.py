"""The numba kernels of goeBURST (:mod:`engine.algorithms.goeburst` wraps them)."""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.distances import row_distance

#: Locus comparisons per Prim step above which the step runs on all cores.
_PARALLEL_RELAX_WORK = 200_000


# --------------------------------------------------------------------------------------------
# numba kernels


@numba.njit(cache=True, parallel=True)
def _upper_distances(matrix, mode, first, last, dist):
    """Fill ``dist[i, j]`` (j > i) for the rows of pairs p in [first, last).

    Pair p covers rows p and n-1-p so that every task has the same amount of work.
    """
    n = matrix.shape[0]
    for p in numba.prange(first, last):
        for side in range(2):
            i = p if side == 0 else n - 1 - p
            if side == 1 and i <= p:
                break
            for j in range(i + 1, n):
                dist[i, j] = row_distance(matrix, i, j, mode)


@numba.njit(cache=True, parallel=True)
def _mirror_and_count(dist, levels, lv):
    """Copy the upper triangle of ``dist`` below the diagonal, then count LV levels per row."""
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
def _candidate_degrees(dist, max_distance):
    """Number of other nodes within ``max_distance`` of each node."""
    n = dist.shape[0]
    degrees = np.zeros(n, np.int64)
    for i in numba.prange(n):
        for j in range(n):
            if j != i and dist[i, j] <= max_distance:
                degrees[i] += 1
    return degrees


@numba.njit(cache=True, parallel=True)
def _candidate_lists(dist, max_distance, offsets):
    """The nodes within ``max_distance`` of each node, in CSR form over ``offsets``."""
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
def _level_counts_block(matrix, mode, levels, first, last, local):
    """LV counts of the row pairs p in [first, last), distances computed on the fly.

    Each thread counts into its own slice of ``local`` (threads x n x levels + 1).
    """
    n = matrix.shape[0]
    for p in numba.prange(first, last):
        tid = numba.get_thread_id()
        for side in range(2):
            i = p if side == 0 else n - 1 - p
            if side == 1 and i <= p:
                break
            for j in range(i + 1, n):
                d = row_distance(matrix, i, j, mode)
                if 0 < d <= levels:
                    local[tid, i, d] += 1
                    local[tid, j, d] += 1


# No reference counting: it is called millions of times and only reads its arrays.
@numba.njit(cache=True, _nrt=False)
def _compare(a1, b1, d1, a2, b2, d2, order):
    """Compare edge 1 with edge 2: < 0 when edge 1 comes first, > 0 when edge 2 does, 0 if equal.

    ``order`` = (lv, freq, rank_lc, rank_lex, node_rank, levels, tiebreak). The magnitude names
    the rule that decided: 1 distance, 1 + k LV level k, levels + 2 frequency, levels + 3 id.
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
    if tiebreak == 0:
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


@numba.njit(cache=True)
def _heap_push(hu, hv, hd, size, u, v, d, order):
    """Add edge (u, v, d) to the heap, which has room for it; returns the new size."""
    pos = size
    while pos > 0:
        parent = (pos - 1) // 2
        if _compare(u, v, d, hu[parent], hv[parent], hd[parent], order) >= 0:
            break
        hu[pos] = hu[parent]
        hv[pos] = hv[parent]
        hd[pos] = hd[parent]
        pos = parent
    hu[pos] = u
    hv[pos] = v
    hd[pos] = d
    return size + 1


@numba.njit(cache=True)
def _heap_room(heap, size, needed):
    """The heap arrays, grown when ``size + needed`` entries would not fit."""
    if size + needed <= heap[0].shape[0]:
        return heap
    capacity = max(2 * heap[0].shape[0], size + needed)
    grown = (np.empty(capacity, np.int64), np.empty(capacity, np.int64), np.empty(capacity, np.int64))
    for column in range(3):
        grown[column][:size] = heap[column][:size]
    return grown


@numba.njit(cache=True)
def _heap_pop(hu, hv, hd, size, order):
    """Remove the top entry (the caller has read it); returns the new size."""
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
            and _compare(hu[child + 1], hv[child + 1], hd[child + 1], hu[child], hv[child], hd[child], order)
            < 0
        ):
            child += 1
        if _compare(hu[child], hv[child], hd[child], u, v, d, order) >= 0:
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
def _relax_range(
    x, first, last, matrix, mode, dist, use_dist, max_distance, targets, in_tree, forest, improved, order
):
    """Offer the edges from new tree node ``x`` to the nodes ``targets[first:last]`` still outside.

    ``forest`` = (best_u, best_d, second_u, second_d): each outside node's best and second-best
    edge into the tree; ``improved[idx]`` tells whether the best edge of ``targets[idx]`` changed.
    Two edges at the same node w with the same distance compare by ``node_rank`` alone: at each LV
    level (and for frequency) the (max, min) pair grows strictly with the other endpoint's count.
    Only nodes of equal rank need the id rules of :func:`_compare`. (This loop is written out in
    full: a call per pair with these arrays would cost more than the work.)
    """
    best_u, best_d, second_u, second_d = forest
    node_rank = order[4]
    for idx in range(first, last):
        w = targets[idx]
        improved[idx] = False
        if in_tree[w]:
            continue
        d = np.int64(dist[x, w]) if use_dist else np.int64(row_distance(matrix, x, w, mode))
        if d > max_distance:
            continue
        rx = node_rank[x]
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
                        or (rx == node_rank[other] and _compare(x, w, d, other, w, d, order) < 0)
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
            break


@numba.njit(cache=True, parallel=True)
def _relax_parallel(x, count, chunks, matrix, mode, max_distance, outside, in_tree, forest, improved, order):
    """:func:`_relax_range` over the ``count`` outside nodes, split across the cores."""
    for chunk in numba.prange(chunks):
        first = chunk * count // chunks
        last = (chunk + 1) * count // chunks
        _relax_range(
            x,
            first,
            last,
            matrix,
            mode,
            matrix,
            False,
            max_distance,
            outside,
            in_tree,
            forest,
            improved,
            order,
        )


@numba.njit(cache=True)
def _prim_steps(
    matrix,
    mode,
    dist,
    use_dist,
    max_distance,
    order,
    state,
    outside,
    position,
    in_tree,
    forest,
    improved,
    heap,
    edges_out,
    candidates,
    max_steps,
    chunks,
):
    """Add up to ``max_steps`` nodes to the forest (relaxing in ``chunks`` tasks on all cores).

    ``state`` = [nodes added, edges kept, heap size, next start]; ``heap`` = (u, v, d) arrays of a
    binary heap of candidate edges with stale entries left in; ``edges_out`` = (u, v, d, rule)
    arrays of the kept edges; ``candidates`` = (offsets, neighbours), each node's candidate
    neighbours in CSR form, or two empty arrays to offer every outside node. Returns the heap,
    which may have grown.
    """
    best_u, best_d, second_u, second_d = forest
    hu, hv, hd = heap
    edge_u, edge_v, edge_d, edge_rule = edges_out
    n = matrix.shape[0]
    added, kept, size, start = state[0], state[1], state[2], state[3]
    count = n - added
    steps = 0
    while added < n and steps < max_steps:
        # Drop stale heap entries (the node joined, or a better edge replaced this one).
        while size > 0 and (in_tree[hv[0]] or best_u[hv[0]] != hu[0]):
            size = _heap_pop(hu, hv, hd, size, order)
        if size == 0:
            while in_tree[start]:
                start += 1
            x = start
        else:
            u, x, d = hu[0], hv[0], hd[0]
            size = _heap_pop(hu, hv, hd, size, order)
            while size > 0 and (in_tree[hv[0]] or best_u[hv[0]] != hu[0]):
                size = _heap_pop(hu, hv, hd, size, order)
            # The rule that decided this edge: how it beat the next best edge across the cut.
            cu, cv, cd = second_u[x], x, second_d[x]
            if size > 0 and (cu < 0 or _compare(hu[0], hv[0], hd[0], cu, cv, cd, order) < 0):
                cu, cv, cd = hu[0], hv[0], hd[0]
            edge_u[kept] = u
            edge_v[kept] = x
            edge_d[kept] = d
            edge_rule[kept] = 1 if cu < 0 else -_compare(u, x, d, cu, cv, cd, order)
            kept += 1
        in_tree[x] = True
        added += 1
        steps += 1
        # Remove x from the outside list (swap with the last one).
        last = outside[count - 1]
        slot = position[x]
        outside[slot] = last
        position[last] = slot
        count -= 1
        offsets, neighbours = candidates
        # With candidate lists, visit x's candidates alone; else every outside node.
        targets = neighbours[offsets[x] : offsets[x + 1]] if offsets.shape[0] > 0 else outside[:count]
        if use_dist or count * matrix.shape[1] < _PARALLEL_RELAX_WORK:
            _relax_range(
                x,
                0,
                targets.shape[0],
                matrix,
                mode,
                dist,
                use_dist,
                max_distance,
                targets,
                in_tree,
                forest,
                improved,
                order,
            )
        else:
            _relax_parallel(
                x, count, chunks, matrix, mode, max_distance, outside, in_tree, forest, improved, order
            )
        heap = _heap_room(heap, size, targets.shape[0])
        hu, hv, hd = heap
        for idx in range(targets.shape[0]):
            if improved[idx]:
                w = targets[idx]
                size = _heap_push(hu, hv, hd, size, x, w, best_d[w], order)
    state[0], state[1], state[2], state[3] = added, kept, size, start
    return heap


# No reference counting: it is called n log n times and only reads its arrays.
@numba.njit(cache=True, _nrt=False)
def _compare_nodes(a, b, order):
    """Node a before node b: larger LV_1, then LV_2, ..., then larger frequency (< 0, 0 or > 0)."""
    lv, freq, levels = order[0], order[1], order[5]
    for k in range(1, levels + 1):
        if lv[a, k] != lv[b, k]:
            return -1 if lv[a, k] > lv[b, k] else 1
    if freq[a] != freq[b]:
        return -1 if freq[a] > freq[b] else 1
    return 0


@numba.njit(cache=True)
def _sort(count, nodes, eu, ev, ed, order):
    """Indices 0..count-1 sorted by a stable bottom-up merge sort.

    Sorts nodes by :func:`_compare_nodes` when ``nodes``, else the edges (eu, ev, ed) by the
    strict goeBURST order of :func:`_compare`.
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
                if nodes:
                    b_first = _compare_nodes(b, a, order) < 0
                else:
                    b_first = _compare(eu[b], ev[b], ed[b], eu[a], ev[a], ed[a], order) < 0
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
def _dense_ranks(sorted_nodes, order):
    """Rank of every node (0 first) from the sorted order; nodes that compare equal share a rank."""
    ranks = np.empty(sorted_nodes.shape[0], np.int64)
    rank = 0
    for position in range(sorted_nodes.shape[0]):
        node = sorted_nodes[position]
        if position and _compare_nodes(sorted_nodes[position - 1], node, order) != 0:
            rank += 1
        ranks[node] = rank
    return ranks


@numba.njit(cache=True)
def _orient(low, high, n):
    """Parent of every node and the roots in order, for edges (low, high) in Kruskal order.

    A root is the first low endpoint, in edge order, that is never a high endpoint among the
    edges of its tree not yet rooted; a depth-first walk from it orients its tree.
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
